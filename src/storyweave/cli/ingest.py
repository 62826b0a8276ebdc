"""Commands of the ingest stage."""
