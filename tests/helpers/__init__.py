"""Reusable test helpers (a real HTTP server for the HTTP clients' tests)."""
