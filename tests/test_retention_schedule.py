"""Retention on the collection schedule: `purge_if_due` runs at most once per period."""

from __future__ import annotations

from datetime import datetime, timedelta

from territoires.config import load_config
from tests.conftest import EXAMPLE_CONFIG
from warehouse.db import writer
from warehouse.retention import purge_if_due
from warehouse.territory import save_territory


def test_purge_runs_when_due_and_not_before(db_file):
    with writer(db_file) as con:
        save_territory(con, load_config(EXAMPLE_CONFIG))
    t0 = datetime(2026, 11, 29, 9, 0)
    assert purge_if_due(db_file, now=t0) is not None  # never ran: due
    assert purge_if_due(db_file, now=t0 + timedelta(hours=23)) is None  # ran 23 h ago
    later = purge_if_due(db_file, now=t0 + timedelta(hours=25))
    assert later is not None and later.posts_removed == 0
    with writer(db_file) as con:
        runs = con.execute("SELECT count(DISTINCT run_at) FROM retention_runs").fetchall()[0][0]
    assert runs == 2
