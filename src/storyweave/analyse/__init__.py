"""Analysis stage: what each outlet reports, adds, omits and quotes in a story, and a cited summary.

`analyse_story(articles, outlets=…, summarizer=…) -> StoryReport`; `StoryReport.to_dict()` is the JSON shape
the CLI, the REST API and the web UI render (documented on `StoryReport`).
`prepare_articles(articles, embedder)` does articles' own share of the work ahead (parse, vectors,
names, quotes, figures) when they are stored;
`save_prepared`/`load_prepared` keep it in the store for `analyse_story(..., prepared=...)`.
"""

from storyweave.analyse.prepared import (
    PreparedArticle,
    load_prepared,
    prepare_articles,
    prepared_for,
    save_prepared,
)
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
    "PreparedArticle",
    "SourceText",
    "StoryReport",
    "Summarizer",
    "Summary",
    "SummaryError",
    "SummarySentence",
    "analyse_story",
    "load_prepared",
    "prepare_article",
    "prepare_articles",
    "prepared_for",
    "save_prepared",
]
