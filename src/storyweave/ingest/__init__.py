"""Ingest: read text, HTML (.gz), JSON Lines, folders and URLs into Articles and add them via the Pipeline."""

from storyweave.ingest.readers import IngestError, Item, Source, expand, read_source
from storyweave.ingest.run import Ingestor, IngestSummary

__all__ = ["IngestError", "IngestSummary", "Ingestor", "Item", "Source", "expand", "read_source"]
