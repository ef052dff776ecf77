"""Errors that the command line turns into one plain line (never a traceback)."""

from __future__ import annotations


class UsageError(ValueError):
    """A bad argument value: printed as one line, exit status 2."""
