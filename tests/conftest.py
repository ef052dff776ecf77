"""Shared test helpers: where the recorded payloads live, a fresh warehouse, the demo territory."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from model import Territory
from territoires.config import load_config
from warehouse.db import connect
from warehouse.migrations import migrate

ROOT = Path(__file__).resolve().parents[1]
# Recorded API payloads are read from the shared folder beside the project, never copied in.
FIXTURES = ROOT.parent / "shared" / "fixtures"
EXAMPLE_CONFIG = ROOT / "examples" / "villeneuve.toml"
APP = str(ROOT / "app.py")


def fixture_path(*parts: str) -> Path:
    """Path of a shared recorded payload; skips the test with a clear reason if absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixtures not found at {path} (they live in ../shared/fixtures/)")
    return path


def run_app(page: str | None = None, timeout: float = 60, **params: str) -> AppTest:
    """``app.py`` in AppTest with ``params`` in the URL, then ``page`` opened (if given);
    the run must raise nothing. ``$TERRITOIRES_DB`` names the warehouse."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(db_file: Path):
    """A real, migrated DuckDB warehouse file, opened read-write."""
    c = connect(db_file)
    migrate(c)
    yield c
    c.close()


@pytest.fixture
def territory() -> Territory:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, one per test module (tests/live.py; browser tests only)."""
    from tests.live import chromium

    with chromium() as b:
        yield b
