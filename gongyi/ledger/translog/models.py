"""Models of the public log."""
