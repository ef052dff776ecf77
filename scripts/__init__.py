"""Maintenance and measurement scripts (run with ``uv run python scripts/NAME.py``)."""
