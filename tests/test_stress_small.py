"""Writer and readers together, small (docs/design.md §4): ``scripts/stress.py`` for a few
seconds.

A writer spools and lands batches of X API v2 pages and publishes the snapshot after each;
two reader processes query the snapshot continuously. No reader error, no partial batch
seen, every batch seen by a reader, and every post in the final snapshot exactly once.
The larger run whose figures are quoted is the script itself (see its docstring).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest


def _stress_module():
    from scripts import stress  # run_stress spawns processes: they import it by this name

    return stress


@pytest.mark.timeout(180)
def test_writer_and_readers_together_lose_nothing(tmp_path: Path) -> None:
    stress = _stress_module()
    figures = stress.run_stress(
        tmp_path / "stress.duckdb", duration=120, posts=900, batch_posts=300, per_page=100,
        readers=2, interval=0.1, linger=1.0,
    )
    assert figures["batches"] == 3, figures
    assert figures["posts_loaded"] == 900
    assert figures["reader_errors"] == 0, figures["error_samples"]
    assert figures["inconsistent_reads"] == 0, figures["error_samples"]
    assert figures["reads_served"] > 10
    assert figures["batches_seen"] == figures["batches"], "a published batch was never seen"
    assert figures["staleness_max_s"] is not None and figures["staleness_max_s"] < 60
    assert figures["rows_lost"] == 0 and figures["rows_doubled"] == 0
    assert figures["posts_table_rows"] == 900
    assert figures["rollup_posts"] == 900  # the daily rollups count every landed post
    assert figures["raw_pages"] == 9


def test_batch_pages_are_deterministic_and_well_formed() -> None:
    stress = _stress_module()
    now = datetime(2025, 3, 1, 12)
    a = stress.batch_pages(3, 250, per_page=100, seed=1, now=now)
    b = stress.batch_pages(3, 250, per_page=100, seed=1, now=now)
    assert a == b  # same batch, seed and instant: the same pages
    docs = [json.loads(p) for p in a]
    assert [len(d["data"]) for d in docs] == [100, 100, 50]
    ids = [t["id"] for d in docs for t in d["data"]]
    assert len(set(ids)) == 250
    assert all((int(i) - stress.ID_BASE) // stress.ID_STRIDE == 3 for i in ids)
