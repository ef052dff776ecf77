"""Territoires benchmark: loading against the floor and twarc-csv, page queries, growth.

Run ``uv run python -m bench --posts 1000000`` (see ``docs/benchmark.md``).
"""
