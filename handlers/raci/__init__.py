"""raci."""
