"""Queries. Repositories add, flush and select; they never commit."""
