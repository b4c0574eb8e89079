"""Placeholder while the views are written."""
