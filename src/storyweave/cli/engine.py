"""Commands of the engine stage."""
