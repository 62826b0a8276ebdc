"""Analysis stage: what each outlet reports, adds, omits and quotes in a story, and a cited summary.

`analyse_story(articles, outlets=…, summarizer=…) -> StoryReport`; `StoryReport.to_dict()` is the JSON shape
the CLI, the REST API and the web UI render (documented on `StoryReport`).
"""

from storyweave.analyse.report import StoryReport, analyse_story
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
]
