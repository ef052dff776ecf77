"""The benchmark's input: demo X API v2 pages written as JSONL, one page body per line.

The pages come from :func:`collectors.demo.generate_pages` (the demo's mix: a ``GET
/2/users/by`` page, then ``GET /2/tweets/search/recent`` / mentions / timeline pages of up to
100 posts with ``includes.users`` and ``includes.tweets``), written as they are generated —
the format twarc2 writes and ``territoires import`` reads. Files are cached by size, seed
and anchor, written to a temporary name and renamed, so an interrupted run leaves nothing
half-written behind.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from collectors.demo import generate_pages
from territoires.example import demo_territory


@dataclass
class Dataset:
    path: Path
    posts: int  # posts asked of the generator (pages' data)
    pages: int
    bytes: int
    seconds: float  # generation time (0 when the file was reused)


def jsonl_path(out_dir: Path, posts: int, seed: int, anchor: date) -> Path:
    return out_dir / "data" / f"demo-{posts}-s{seed}-{anchor.isoformat()}.jsonl"


def ensure_jsonl(out_dir: Path, posts: int, seed: int, anchor: date, progress: bool = False
                 ) -> Dataset:
    """The JSONL file of ``posts`` demo posts, generated (streaming) unless already there."""
    path = jsonl_path(out_dir, posts, seed, anchor)
    meta = path.with_suffix(".meta.json")
    if path.is_file() and meta.is_file():
        info = json.loads(meta.read_text())
        return Dataset(path, posts, info["pages"], path.stat().st_size, 0.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    start = time.perf_counter()
    pages = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for page in generate_pages(demo_territory(), posts=posts, seed=seed, anchor=anchor,
                                   progress=progress, platforms=("x",)):
            fh.write(page.body)
            fh.write("\n")
            pages += 1
    os.replace(tmp, path)
    ds = Dataset(path, posts, pages, path.stat().st_size, time.perf_counter() - start)
    meta.write_text(json.dumps({k: v for k, v in asdict(ds).items() if k != "path"}))
    return ds


def first_line_length(path: Path) -> int:
    """Bytes of the first line (the ``users/by`` page), newline included."""
    with open(path, "rb") as fh:
        return len(fh.readline())
