"""Versions of what the analysis keeps in a store. A prepared record or a story report of another version
was computed by other analysis code: it is computed anew, so an upgrade never serves old judgements."""

PREPARED_FORMAT = 6
"""The prepared record (`prepared.PreparedArticle`): bump it when the statement filter, quotes, names or
figures change."""
REPORT_FORMAT = 3
"""The story report (`report.StoryReport`): bump it when what a report says changes (facts, marks, quotes,
entities, figures, summary)."""
