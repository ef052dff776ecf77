"""Several territories' pages in the order of time, as a daily collection would land them.

A real observatory collects every day, all its territories each day, so its pages arrive in
time order and ``posts`` lies in time order on disk: a lookup that carries a post's
``created_at`` then reads one row group instead of all (docs/benchmark.md, "Posts in time
order, measured": 0.375 s -> 0.020 s at 10M). The demo generates its territories one after
the other (a territory's generator holds its cast: all 30 alive at once took 1.2 GB at 10M
posts), so each territory's pages are first written to a compressed file of their own, by
a child process, then the files are read back together, merged by ``fetched_at``: the child
holds one territory's generator at a time, the loading process one page per territory.

A territory's pages come out of its generator nearly in ``fetched_at`` order (a page is
fetched a few minutes after its newest post), so the merge is nearly sorted too; exact
order is not needed, only that the posts of a day land together.
"""

from __future__ import annotations

import heapq
import pickle
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from warehouse.pages import RawPage

_HEADER = struct.Struct("<IQq")  # metadata, body and canonical lengths (-1: no canonical)
_EPOCH = datetime(1970, 1, 1)


def spooled(
    spool: Callable[..., list[Path]], *args: Any, spool_dir: Path | None = None
) -> Iterator[RawPage]:
    """The pages that ``spool(*args, folder)`` writes (:func:`write_pages`, one file per
    stream), merged by ``fetched_at`` (:func:`merged`).

    ``spool`` runs in a child process (a new interpreter, :func:`run_job`): the
    generators' memory, and what Python keeps of it once freed, is that process's, gone
    before the first page is loaded. The files live in a temporary folder of ``spool_dir``
    (default: the system's), removed when the iterator ends or is closed. ``spool`` (a
    module's function) and its arguments must pickle."""
    with tempfile.TemporaryDirectory(prefix="demo-pages-", dir=spool_dir) as tmp:
        folder = Path(tmp)
        job = folder / "job.pickle"
        job.write_bytes(pickle.dumps((spool, (*args, folder))))
        # a new interpreter, not multiprocessing: no fork of a process running DuckDB's
        # threads, and no re-import of the caller's main module (spawn does that)
        run = subprocess.run([sys.executable, "-c", _CHILD, str(job)], check=False)  # noqa: S603
        if run.returncode != 0:
            raise RuntimeError(f"generating the demo's pages failed (exit {run.returncode})")
        files = pickle.loads((folder / "files.pickle").read_bytes())  # noqa: S301 (ours)
        yield from merged(files)


_CHILD = "import sys; from collectors.demo.interleave import run_job; run_job(sys.argv[1])"


def run_job(job: str) -> None:
    """The child's side of :func:`spooled`: run the job, write the list of its files."""
    path = Path(job)
    spool, args = pickle.loads(path.read_bytes())  # noqa: S301 (written by spooled, above)
    files = spool(*args)
    (path.parent / "files.pickle").write_bytes(pickle.dumps(files))


def merged(files: Iterable[Path]) -> Iterator[RawPage]:
    """The pages of ``files`` merged by ``fetched_at``; ties keep the files' order. Each
    file's pages come nearly in that order, so the merge is nearly sorted too."""
    readers = [read_pages(f) for f in files]
    try:
        yield from heapq.merge(*readers, key=_fetched)
    finally:
        for r in readers:
            r.close()


def _fetched(page: RawPage) -> datetime:
    return page.fetched_at or _EPOCH


def write_pages(path: Path, pages: Iterable[RawPage]) -> None:
    """Write ``pages`` to ``path`` (zstd; each page's fields, then its body)."""
    with pa.CompressedOutputStream(str(path), "zstd") as out:
        for p in pages:
            meta = orjson.dumps([p.territory, p.platform, p.source, p.endpoint, p.query,
                                 p.origin, p.fetched_at, p.kind])
            body = p.body.encode("utf-8", "surrogatepass")
            canon = None if p.canonical is None else p.canonical.encode("utf-8", "surrogatepass")
            out.write(_HEADER.pack(len(meta), len(body), -1 if canon is None else len(canon)))
            out.write(meta)
            out.write(body)
            if canon is not None:
                out.write(canon)


def read_pages(path: Path) -> Generator[RawPage, None, None]:
    """The pages :func:`write_pages` wrote, in their order."""
    with pa.CompressedInputStream(str(path), "zstd") as src:
        while header := src.read(_HEADER.size):
            n_meta, n_body, n_canon = _HEADER.unpack(header)
            territory, platform, source, endpoint, query, origin, fetched, kind = orjson.loads(
                src.read(n_meta))
            body = src.read(n_body).decode("utf-8", "surrogatepass")
            canon = None if n_canon < 0 else src.read(n_canon).decode("utf-8", "surrogatepass")
            yield RawPage(body, territory, platform, source, endpoint, query, origin,
                          None if fetched is None else datetime.fromisoformat(fetched), kind,
                          canon)

