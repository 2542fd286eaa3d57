"""Models of spending."""
