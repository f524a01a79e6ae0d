"""huddles."""
