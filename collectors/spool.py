"""The spool: every fetched page is written to a file before it is loaded.

Platform-neutral. A collector calls :func:`spool_page` as soon as a page arrives (the file
is written under a temporary name, flushed, then ``os.replace``-d into place, so a spool
file is always whole), then :func:`land` loads it through the one loading path
(:func:`warehouse.load.load_pages`) and deletes it. If the process dies between the two,
the next run calls :func:`drain` first and lands the leftovers: a crash loses nothing that
was fetched.

A spool file is a JSON envelope: where the page came from (territory, platform, source,
endpoint, query, origin URL, fetch time), the state updates to apply with it
(:mod:`collectors.state`, same transaction), and ``body``, the page exactly as it came.

Pages that cannot be loaded (not JSON, not an object) are moved to the ``rejected/``
folder inside the spool (``<db>.spool/rejected/``) with a ``.reason.txt`` beside them, for
inspection; they are reported, never silently dropped.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from collectors.state import apply_update
from warehouse.db import spool_dir
from warehouse.load import LoadStats, load_pages
from warehouse.pages import PageError, RawPage, prepare_page

SUFFIX = ".page.json"
_seq = itertools.count()


def rejected_dir(db: str | os.PathLike[str]) -> Path:
    """Where unloadable pages are kept aside: ``<db>.spool/rejected/``."""
    return spool_dir(db) / "rejected"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def spool_page(
    db: str | os.PathLike[str],
    *,
    body: str,
    territory: str,
    platform: str,
    source: str = "collect",
    endpoint: str | None = None,
    query: str | None = None,
    origin: str | None = None,
    fetched_at: datetime | None = None,
    state: list[dict[str, Any]] | None = None,
    canonical: str | None = None,
    kind: str | None = None,
) -> Path:
    """Write one fetched page to the spool (atomically); return its file.

    Files sort in the order they were written (nanosecond clock, pid, sequence).
    """
    folder = spool_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    fetched = fetched_at or datetime.now(UTC).replace(tzinfo=None)
    envelope = {
        "v": 1,
        "territory": territory,
        "platform": platform,
        "source": source,
        "endpoint": endpoint,
        "query": query,
        "origin": origin,
        "fetched_at": fetched.isoformat(),
        "state": state or [],
        "body": body,
        # other platforms: the X-v2-shaped copy the loader reads, and its page kind
        **({"canonical": canonical, "kind": kind} if canonical is not None else {}),
    }
    name = f"{time.time_ns():020d}-{os.getpid()}-{next(_seq):06d}{SUFFIX}"
    path = folder / name
    _write_atomic(path, json.dumps(envelope, ensure_ascii=False).encode("utf-8"))
    return path


def pending(db: str | os.PathLike[str]) -> list[Path]:
    """Spool files waiting to be loaded, oldest first."""
    folder = spool_dir(db)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def reject(
    db: str | os.PathLike[str], body: bytes | str, reason: str, name: str | None = None
) -> Path:
    """Keep an unloadable body in ``rejected/`` with its reason; return the kept file."""
    folder = rejected_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    stem = name or f"{time.time_ns():020d}-{os.getpid()}-{next(_seq):06d}"
    path = folder / f"{stem}.body"
    _write_atomic(path, body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body)
    _write_atomic(folder / f"{stem}.reason.txt", (reason.rstrip() + "\n").encode("utf-8"))
    return path


@dataclass
class Landed:
    """What landing one spool file did."""

    path: Path
    page: RawPage | None
    stats: LoadStats = field(default_factory=LoadStats)
    rejected: Path | None = None
    reason: str | None = None
    envelope: dict[str, Any] = field(default_factory=dict)


def land(
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    path: Path,
    before_commit: Callable[[duckdb.DuckDBPyConnection, LoadStats], None] | None = None,
) -> Landed:
    """Load one spool file (page and state updates in one transaction), then delete it.

    A body the loader cannot take goes to ``rejected/`` (its state updates are dropped so
    the query is fetched again next time) and the result says why.
    ``before_commit`` runs inside the transaction too (e.g. to save run counters).
    """
    raw = path.read_bytes()
    try:
        envelope = json.loads(raw)
        body = envelope["body"]
        fetched = datetime.fromisoformat(envelope["fetched_at"])
    except (ValueError, KeyError, TypeError) as e:
        kept = reject(db, raw, f"{path.name}: unreadable spool file ({e})", name=path.name.removesuffix(SUFFIX))
        path.unlink()
        return Landed(path, None, rejected=kept, reason=f"unreadable spool file ({e})")
    try:
        page = prepare_page(
            body,
            territory=envelope["territory"],
            platform=envelope["platform"],
            source=envelope.get("source") or "collect",
            endpoint=envelope.get("endpoint"),
            query=envelope.get("query"),
            origin=envelope.get("origin"),
            fetched_at=fetched,
        )
    except PageError as e:
        where = envelope.get("origin") or envelope.get("endpoint") or path.name
        kept = reject(db, body, f"{where}: {e}", name=path.name.removesuffix(SUFFIX))
        path.unlink()
        return Landed(path, None, rejected=kept, reason=str(e), envelope=envelope)
    if envelope.get("canonical") is not None:  # Bluesky, Mastodon: keep the mapped copy
        kind = envelope.get("kind") or page.kind
        page = replace(page, canonical=envelope["canonical"], kind=kind)
    updates = envelope.get("state") or []

    def commit_hook(c: duckdb.DuckDBPyConnection, stats: LoadStats) -> None:
        for update in updates:
            apply_update(c, update)
        if before_commit is not None:
            before_commit(c, stats)

    stats = load_pages(con, [page], before_commit=commit_hook)
    path.unlink()
    return Landed(path, page, stats=stats, envelope=envelope)


@dataclass
class DrainReport:
    files: int = 0
    stats: LoadStats = field(default_factory=LoadStats)
    rejected: list[str] = field(default_factory=list)  # "file: reason"


def drain(
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    on_landed: Callable[[Landed], None] | None = None,
) -> DrainReport:
    """Land every leftover spool file (from a run that died), oldest first.

    Call it at the start of a run, while holding the writer lock.
    """
    report = DrainReport()
    folder = spool_dir(db)
    if folder.is_dir():  # temp files of a write cut short were never complete: drop them
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    for path in pending(db):
        landed = land(con, db, path)
        report.files += 1
        report.stats.add(landed.stats)
        if landed.rejected is not None:
            report.rejected.append(f"{landed.rejected}: {landed.reason}")
        if on_landed is not None:
            on_landed(landed)
    return report
