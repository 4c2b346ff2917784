"""Errors meant for people: one line that says what went wrong and what to do."""


class BakeryError(Exception):
    """An error the CLI prints as one line, without a traceback."""
