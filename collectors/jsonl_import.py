"""Import X API v2 response pages from JSONL files, one page per line (what twarc2 writes).

Reading, checking and loading are separate steps: :func:`read_pages` streams a file and
yields good pages while reporting bad lines (file, line number, reason) to ``on_error``;
the pages go through the one loading path, :func:`warehouse.load.load_pages`.
Blank lines are ignored; nothing valid is ever dropped because a neighbour was bad. A JSON
object that is not an X API v2 page Territoires reads (posts, users, counts, compliance
events, errors, an empty page) is reported and not landed: ``{"foo": 1}`` is not a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import orjson
from tqdm import tqdm

from collectors.read_ahead import read_ahead
from warehouse.load import LoadStats, load_pages
from warehouse.pages import PageError, RawPage, prepare_page


@dataclass
class ImportReport:
    files: int = 0
    lines: int = 0
    skipped: list[str] = field(default_factory=list)  # "file:line: reason"
    stats: LoadStats = field(default_factory=LoadStats)


API_KEYS = ("data", "includes", "meta", "errors")  # the top level of an X API v2 page


def unrecognised(page: RawPage) -> str | None:
    """Why ``page`` is not an X API v2 page the loader reads, or None if it is one."""
    if page.kind != "other":
        return None
    doc = orjson.loads(page.body)
    found = ", ".join(f'"{k}"' for k in list(doc)[:5]) or "nothing"
    if not any(k in doc for k in API_KEYS):
        return ("not an X API v2 page: expected \"data\", \"includes\", \"meta\" or "
                f"\"errors\" at the top level, found {found}")
    return ("an X API v2 page of a kind Territoires does not read: its \"data\" holds no "
            "posts, users, counts or compliance events")


def read_pages(
    path: Path, territory: str, on_error: Callable[[str], None], source: str = "import"
) -> Iterator[RawPage]:
    """Yield each valid line of ``path`` as a raw page; report the others."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                page = prepare_page(
                    line, territory=territory, source=source, origin=f"{path}:{number}"
                )
            except PageError as e:
                on_error(f"{path}:{number}: {e}")
                continue
            reason = unrecognised(page)
            if reason:
                on_error(f"{path}:{number}: {reason}")
            else:
                yield page


# About two thirds of a 64 MB batch of the demo's pages. Importing 1M posts (2 GB DuckDB
# memory limit): 108 s without reading ahead, 101 s with 128 pages, 93 s with 384, 88 s with
# 1024 pages, which also added 400 MB to the peak memory (2.75 -> 3.16 GB).
READ_AHEAD_PAGES = 384

# An import that adds at least a quarter of the warehouse's posts recomputes the facts and
# daily rollups once, before the snapshot (``load_pages(bulk=True)``): each of its batches
# touches most of the warehouse. A smaller one refreshes what each batch touches, which
# costs less than recomputing a large warehouse whole. The posts a file brings are estimated
# from its size: the demo's pages hold about 1.2 kB of text per post, includes and all.
BULK_SHARE = 0.25
PAGE_BYTES_PER_POST = 1200


def is_bulk(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> bool:
    """Whether importing ``paths`` adds at least :data:`BULK_SHARE` of the stored posts."""
    incoming = sum(p.stat().st_size for p in paths if p.is_file()) / PAGE_BYTES_PER_POST
    stored = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
    return incoming >= BULK_SHARE * stored


def import_files(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    territory: str,
    on_error: Callable[[str], None] | None = None,
    progress: bool = False,
) -> ImportReport:
    report = ImportReport()
    bulk = is_bulk(con, paths)

    def bad(message: str) -> None:
        report.skipped.append(message)
        if on_error:
            on_error(message)

    for path in paths:
        if not path.is_file():
            bad(f"{path}: no such file")
            continue
        report.files += 1
        pages = read_ahead(read_pages(path, territory, bad), READ_AHEAD_PAGES)
        if progress:
            pages = tqdm(pages, desc=path.name, unit=" pages", leave=False)
        stats = load_pages(con, pages, bulk=bulk)
        for message in stats.rejected:  # posts of impossible dates (warehouse/load.py)
            bad(message)
        report.stats.add(stats)
    return report
