"""Several territories' pages in the order of time, as a daily collection would land them.

A real observatory collects every day, all its territories each day, so its pages arrive in
time order and ``posts`` lies in time order on disk: a lookup that carries a post's
``created_at`` then reads one row group instead of all (docs/benchmark.md, "Posts in time
order, measured": 0.375 s -> 0.020 s at 10M). The demo generates its territories one after
the other (a territory's generator holds its cast: all 30 alive at once took 1.2 GB at 10M
posts), so each territory's pages are first written to a compressed file of their own, then
the files are read back together, merged by ``fetched_at``: memory holds one territory's
generator while generating, then one page per territory while loading.

A territory's pages come out of its generator nearly in ``fetched_at`` order (a page is
fetched a few minutes after its newest post), so the merge is nearly sorted too; exact
order is not needed, only that the posts of a day land together.
"""

from __future__ import annotations

import heapq
import struct
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import orjson
import pyarrow as pa

from warehouse.pages import RawPage

_HEADER = struct.Struct("<IQq")  # metadata, body and canonical lengths (-1: no canonical)
_EPOCH = datetime(1970, 1, 1)


def in_time_order(streams: Iterable[Iterable[RawPage]], spool_dir: Path | None = None
                  ) -> Iterator[RawPage]:
    """The pages of ``streams`` (each consumed whole, one after the other) merged by
    ``fetched_at``; ties keep the streams' order. The files live in a temporary folder of
    ``spool_dir`` (default: the system's), removed when the iterator ends or is closed."""
    with tempfile.TemporaryDirectory(prefix="demo-pages-", dir=spool_dir) as tmp:
        files = []
        for k, stream in enumerate(streams):
            path = Path(tmp) / f"{k:02d}.zst"
            _write(path, stream)
            files.append(path)
        readers = [_read(p) for p in files]
        try:
            yield from heapq.merge(*readers, key=_fetched)
        finally:
            for r in readers:
                r.close()


def _fetched(page: RawPage) -> datetime:
    return page.fetched_at or _EPOCH


def _write(path: Path, pages: Iterable[RawPage]) -> None:
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


def _read(path: Path) -> Iterator[RawPage]:
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
