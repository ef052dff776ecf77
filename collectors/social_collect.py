"""One collection pass over Bluesky and/or Mastodon for several territories.

The entry point ``territoires collect --platform bluesky|mastodon`` calls: it takes the
warehouse's single-writer lock (:func:`warehouse.db.writer`, which publishes the dashboard's
snapshot when done), runs :func:`collectors.bluesky.collect` and/or
:func:`collectors.mastodon.collect` per territory, and returns one line per run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

import duckdb

from collectors import bluesky, mastodon
from model import Territory
from warehouse.db import writer
from warehouse.social import run_summary


class Collect(Protocol):
    """What ``bluesky.collect`` and ``mastodon.collect`` share: one pass, returns the run id."""

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        db: str | os.PathLike[str],
        territory: Territory,
        *,
        log: Callable[[str], None] = ...,
    ) -> int: ...


COLLECTORS: dict[str, Collect] = {"bluesky": bluesky.collect, "mastodon": mastodon.collect}


def collect_social(
    territories: list[Territory],
    db: str | os.PathLike[str],
    platforms: list[str],
    *,
    wait: float = 60.0,
    log: Callable[[str], None] = lambda _m: None,
) -> list[tuple[str, str, str, str]]:
    """Collect ``platforms`` for every territory; ``(territory, platform, status, line)`` each."""
    out: list[tuple[str, str, str, str]] = []
    with writer(db, wait=wait) as con:
        for t in territories:
            for platform in platforms:
                if not any(a.platform == platform for a in t.accounts) and not (
                    platform == "mastodon" and t.mastodon_instances
                ):
                    continue
                run_id = COLLECTORS[platform](con, db, t, log=log)
                status, pages, posts, message = run_summary(con, run_id)
                line = f"{t.slug} {platform}: {status}, {pages} pages, {posts} posts"
                out.append((t.slug, platform, status, line + (f" ({message})" if message else "")))
    return out
