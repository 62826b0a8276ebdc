"""storyweave: turn a stream of news reports into stories.

Pipeline stages, one package each: ingest → extract → dedup → embed → cluster → analyse → store → serve.
"""

from storyweave.models import Article, Outlet, Story

__all__ = ["Article", "Outlet", "Story"]
__version__ = "0.1.0"
