"""Commands of the feeds stage."""
