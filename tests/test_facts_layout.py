"""Closed weeks of facts put in territory order (warehouse/facts_layout.py): the rows and
their values never change, only their stored order; a week already in territory order, or
still open, is left as it is; each week is looked at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from warehouse import facts_layout
from warehouse.db import connect
from warehouse.migrations import migrate

MONDAY = datetime(2026, 3, 2)  # a Monday


def _rows(con, table):
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)  # noqa: S608


def _stored_territories(con, w0):
    return [t for (t,) in con.execute(
        "SELECT territory FROM territory_timeline WHERE created_at >= $w0 "
        "AND created_at < $w1 ORDER BY rowid", {"w0": w0, "w1": w0 + timedelta(days=7)}
    ).fetchall()]


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "layout.duckdb")
    migrate(con)
    yield con
    con.close()


def _land(con, start, days, territories, interleaved=True):
    """Posts every 3 hours over ``days`` days, each instant for every territory (a
    collection's batches: territories interleaved) or territory after territory."""
    instants = [start + timedelta(hours=3 * i) for i in range(days * 8)]
    pairs = ([(at, t) for at in instants for t in territories] if interleaved
             else [(at, t) for t in territories for at in instants])
    for n, (at, t) in enumerate(pairs):
        pid = f"{t}-{at:%Y%m%d%H}"
        con.execute("INSERT INTO territory_timeline VALUES (?, 'x', ?, 'a', ?, ?, NULL, NULL,"
                    " NULL, NULL, false)", [t, pid, at, pid])
        con.execute("INSERT INTO mention_facts VALUES (?, 'x', ?, ?)", [t, pid, at])
        if n % 3 == 0:
            con.execute("INSERT INTO interpellation_facts VALUES (?, 'x', ?, 'a', ?, ?, NULL,"
                        " 'ville', NULL, NULL, NULL, NULL)", [t, pid, at, pid])
            con.execute("INSERT INTO conversation_facts VALUES (?, 'x', ?, 1, 1, false, ?, ?)",
                        [t, pid, at, at])


def test_closed_interleaved_weeks_are_rewritten_territory_by_territory(con):
    _land(con, MONDAY, 23, ["a", "b", "c"])  # weeks of 2, 9, 16 March, and 23 March (open)
    before = {t: _rows(con, t) for t in facts_layout.TABLES}
    assert _stored_territories(con, MONDAY)[:3] == ["a", "b", "c"]

    done = facts_layout.order_closed_weeks(con)

    assert done == [date(2026, 3, 2), date(2026, 3, 9)]  # 16 March: not 2 days over yet
    for table in facts_layout.TABLES:
        assert _rows(con, table) == before[table], table  # not a row gained, lost or changed
    for week in done:
        stored = _stored_territories(con, datetime.combine(week, datetime.min.time()))
        assert stored == sorted(stored) and len(stored) == 3 * 7 * 8
    open_week = _stored_territories(con, MONDAY + timedelta(days=21))
    assert open_week[:3] == ["a", "b", "c"]  # the open week untouched
    ordered = con.execute("SELECT territory, created_at FROM interpellation_facts "
                          "WHERE created_at < $w ORDER BY rowid",
                          {"w": MONDAY + timedelta(days=7)}).fetchall()
    assert ordered == sorted(ordered)  # every fact table, territory then instant
    looked = [w for (w,) in con.execute("SELECT week FROM facts_weeks ORDER BY week").fetchall()]
    assert looked == done
    assert facts_layout.order_closed_weeks(con) == []  # each week looked at once


def test_weeks_written_territory_by_territory_are_only_recorded(con):
    _land(con, MONDAY, 16, ["a", "b"], interleaved=False)
    first = _stored_territories(con, MONDAY)
    assert facts_layout.order_closed_weeks(con) == []
    assert _stored_territories(con, MONDAY) == first
    assert con.execute("SELECT count(*) FROM facts_weeks").fetchall()[0][0] == 1


def test_an_empty_warehouse_has_no_week(con):
    assert facts_layout.order_closed_weeks(con) == []
