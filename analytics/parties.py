"""Parties: the list, names over time, rename, merge, reclassify, possible duplicates."""
