"""Records: add, correct, delete and bulk-edit exchanges by hand."""
