"""storyweave: turn a stream of news reports into stories.

Pipeline stages, one package each: ingest → extract → dedup → embed → cluster → analyse → store → serve.
The Python API is `StoryWeave` (storyweave.api).
"""

from storyweave.api import StoryWeave
from storyweave.models import Article, Outlet, Story

__all__ = ["Article", "Outlet", "Story", "StoryWeave"]
__version__ = "0.1.0"
