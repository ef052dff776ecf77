"""The spool: every fetched page is written to a file before it is loaded.

Platform-neutral. A collector calls :func:`spool_page` as soon as a page arrives (the file
is written under a temporary name, flushed, then ``os.replace``-d into place, so a spool
file is always whole), then :func:`land` loads it through the one loading path
(:func:`warehouse.load.load_pages`) and deletes it. If the process dies between the two,
the next run calls :func:`drain` first and lands the leftovers: a crash loses nothing that
was fetched.

A spool file is a JSON envelope (the format on disk: :mod:`warehouse.spool_format`): where
the page came from (territory, platform, source, endpoint, query, origin URL, fetch time),
the state updates to apply with it (:mod:`collectors.state`, same transaction), and
``body``, the page exactly as it came.

Pages that cannot be loaded (not JSON, not an object) are moved to the ``rejected/``
folder inside the spool (``<db>.spool/rejected/``) with a ``.reason.txt`` beside them, for
inspection; they are reported, never silently dropped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from collectors.redact import redact, redact_bytes
from collectors.state import apply_update
from warehouse.load import LoadStats, load_pages
from warehouse.pages import PageError, RawPage, prepare_page
from warehouse.spool_format import (
    BODY_SUFFIX,
    REASON_SUFFIX,
    SUFFIX,
    dump_envelope,
    leftover_temporaries,
    load_envelope,
    new_stem,
    pending,
    rejected_dir,
    spool_dir,
    write_atomic,
)


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
    # every secret the process knows, out of what is stored (collectors/redact.py)
    body = redact(body)
    canonical, origin, query = redact(canonical), redact(origin), redact(query)
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
    path = folder / f"{new_stem()}{SUFFIX}"
    write_atomic(path, dump_envelope(envelope))
    return path


def reject(
    db: str | os.PathLike[str], body: bytes | str, reason: str, name: str | None = None
) -> Path:
    """Keep an unloadable body in ``rejected/`` with its reason; return the kept file."""
    folder = rejected_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    stem = name or new_stem()
    path = folder / f"{stem}{BODY_SUFFIX}"
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    write_atomic(path, redact_bytes(data))  # no secret kept aside (collectors/redact.py)
    reason_text = redact(reason.rstrip()) + "\n"
    write_atomic(folder / f"{stem}{REASON_SUFFIX}", reason_text.encode("utf-8"))
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


def _read_entry(
    db: str | os.PathLike[str], path: Path
) -> tuple[RawPage | None, list[dict[str, Any]], Landed | None, dict[str, Any]]:
    """Read one spool file: ``(page, state updates, None, envelope)`` or, when it cannot be
    loaded, ``(None, [], Landed(rejected=...), envelope)`` after moving it to ``rejected/``."""
    raw = path.read_bytes()
    stem = path.name.removesuffix(SUFFIX)
    try:
        envelope = load_envelope(raw)
        body = envelope["body"]
        fetched = datetime.fromisoformat(envelope["fetched_at"])
    except (ValueError, KeyError, TypeError) as e:
        kept = reject(db, raw, f"{path.name}: unreadable spool file ({e})", name=stem)
        path.unlink()
        return (
            None,
            [],
            Landed(path, None, rejected=kept, reason=f"unreadable spool file ({e})"),
            {},
        )
    try:
        if envelope.get("canonical") is not None:  # Bluesky, Mastodon (a body may be a list)
            page = _mapped_page(body, envelope, fetched)
        else:
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
        kept = reject(db, body, f"{where}: {e}", name=stem)
        path.unlink()
        return (
            None,
            [],
            Landed(path, None, rejected=kept, reason=str(e), envelope=envelope),
            envelope,
        )
    return page, list(envelope.get("state") or []), None, envelope


def land_many(
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    paths: list[Path],
    before_commit: Callable[[duckdb.DuckDBPyConnection, LoadStats], None] | None = None,
) -> tuple[LoadStats, list[Landed]]:
    """Load several spool files in ONE transaction (pages, then their state updates in file
    order, then ``before_commit``), then delete them. Loading per batch rather than per
    page keeps the loader's fixed cost per transaction off every page.

    Unloadable files go to ``rejected/`` (their state updates are dropped, so the query is
    fetched again next time); the returned :class:`Landed` list says which.
    """
    results: list[Landed] = []
    good: list[tuple[Path, RawPage, list[dict[str, Any]], dict[str, Any]]] = []
    for path in paths:
        page, updates, rejected, envelope = _read_entry(db, path)
        if rejected is not None:
            results.append(rejected)
        elif page is not None:
            good.append((path, page, updates, envelope))
    stats = LoadStats()
    if not good:
        return stats, results

    def commit_hook(c: duckdb.DuckDBPyConnection, batch_stats: LoadStats) -> None:
        for _path, _page, updates, _env in good:
            for update in updates:
                apply_update(c, update)
        if before_commit is not None:
            before_commit(c, batch_stats)

    # one batch whatever its size, so the hook (and the state) runs exactly once
    stats = load_pages(con, [g[1] for g in good], max_bytes=sys.maxsize, before_commit=commit_hook)
    for path, page, _updates, envelope in good:
        path.unlink()
        results.append(Landed(path, page, envelope=envelope))
    return stats, results


def _mapped_page(body: str, envelope: dict[str, Any], fetched: datetime) -> RawPage:
    """A page of another platform: kept as it came (a JSON object or list), with the
    X-v2-shaped ``canonical`` copy its collector mapped and that copy's kind."""
    if not isinstance(body, str) or not body.strip():
        raise PageError("empty page")
    return RawPage(
        body=body.strip(),
        territory=envelope["territory"],
        platform=envelope["platform"],
        source=envelope.get("source") or "collect",
        endpoint=envelope.get("endpoint"),
        query=envelope.get("query"),
        origin=envelope.get("origin"),
        fetched_at=fetched,
        kind=envelope.get("kind") or "other",
        canonical=envelope["canonical"],
    )


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
    stats, landed = land_many(con, db, [path], before_commit)
    landed[0].stats = stats
    return landed[0]


@dataclass
class DrainReport:
    files: int = 0
    stats: LoadStats = field(default_factory=LoadStats)
    rejected: list[str] = field(default_factory=list)  # "file: reason"


def drain(
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    on_landed: Callable[[Landed], None] | None = None,
    batch: int = 50,
) -> DrainReport:
    """Land every leftover spool file (from a run that died), oldest first.

    Call it at the start of a run, while holding the writer lock.
    """
    report = DrainReport()
    for tmp in leftover_temporaries(db):  # writes cut short were never complete: drop them
        tmp.unlink(missing_ok=True)
    files = pending(db)
    for start in range(0, len(files), batch):
        stats, landed = land_many(con, db, files[start : start + batch])
        report.files += len(landed)
        report.stats.add(stats)
        for item in landed:
            if item.rejected is not None:
                report.rejected.append(f"{item.rejected}: {item.reason}")
            if on_landed is not None:
                on_landed(item)
    return report
