"""Small pieces shared by the mappers that turn other platforms' JSON into X API v2 shapes."""

from __future__ import annotations

from typing import Any


def set_public_metrics(
    target: dict[str, Any], source: dict[str, Any], names: dict[str, str]
) -> None:
    """Copy the integer counts of ``source`` into ``target["public_metrics"]``, renamed by
    ``names`` (X name → platform name); nothing is set when none is an integer."""
    metrics = {k: source[src] for k, src in names.items() if isinstance(source.get(src), int)}
    if metrics:
        target["public_metrics"] = metrics
