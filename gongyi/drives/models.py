"""Models of drives."""
