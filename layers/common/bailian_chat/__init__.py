"""Bailian Chat API: the shared domain package (the Lambda layer)."""
