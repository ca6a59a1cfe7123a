"""Deletion certificates: a signed statement of what a succeeded job removed and how it was proven."""
