"""Commands of the analyse stage."""
