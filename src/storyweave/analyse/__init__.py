"""Analysis stage: what each outlet reports, adds, omits and quotes in a story, and a cited summary.

`analyse_story(articles, outlets=…, summarizer=…) -> StoryReport`; `StoryReport.to_dict()` is the JSON shape
the CLI, the REST API and the web UI render (documented on `StoryReport`). `prepare_article(article)` does
an article's own share of the work ahead (parse, vectors, names, quotes, figures), when it is stored.
"""

from storyweave.analyse.report import StoryReport, analyse_story, prepare_article
from storyweave.analyse.summary import (
    ExtractiveSummarizer,
    LLMSummarizer,
    SourceText,
    Summarizer,
    Summary,
    SummaryError,
    SummarySentence,
)

__all__ = [
    "ExtractiveSummarizer",
    "LLMSummarizer",
    "SourceText",
    "StoryReport",
    "Summarizer",
    "Summary",
    "SummaryError",
    "SummarySentence",
    "analyse_story",
    "prepare_article",
]
