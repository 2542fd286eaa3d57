"""Models of oversight."""
