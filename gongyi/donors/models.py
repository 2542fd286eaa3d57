"""Models of donors."""
