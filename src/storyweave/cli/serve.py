"""Commands of the serve stage."""
