"""The settings module: every environment variable declared once, read at call time, a clear
error for a bad value, and docs/settings.md generated from it (docs/design.md §14)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from model import settings
from model.prices import price_table

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("model", "warehouse", "collectors", "territoires", "views", "app.py")
# what may still touch os.environ: exporting a variable for a library or a child process
ALLOWED = {
    "model/settings.py",
    "territoires/commands/serve.py",  # the dashboard's environment, TERRITOIRES_DB added
    "territoires/report_render.py",  # exports BROWSER_PATH for kaleido
    "territoires/ui/timing.py",  # exports TERRITOIRES_DB for the pages it times
}


def test_docs_settings_md_is_generated_from_the_module():
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert doc == settings.markdown(), (
        "docs/settings.md is out of date: python -m model.settings --markdown > docs/settings.md")


def test_no_module_reads_the_environment_but_the_settings_module():
    offenders = []
    for package in PACKAGES:
        paths = [ROOT / package] if package.endswith(".py") else (ROOT / package).rglob("*.py")
        for path in paths:
            rel = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8")
            if rel not in ALLOWED and re.search(r"os\.environ|getenv|os\._Environ", text):
                offenders.append(rel)
    assert not offenders, f"read settings through model/settings.py: {offenders}"


def test_every_variable_named_in_the_code_is_declared():
    declared = {s.name.split("<")[0] for s in settings.SETTINGS}
    named = set()
    for package in PACKAGES[:-1]:
        for path in (ROOT / package).rglob("*.py"):
            named |= set(re.findall(r"\bTERRITOIRES_[A-Z_]+[A-Z]\b", path.read_text("utf-8")))
    missing = {n for n in named if not any(n == d or n.startswith(d) for d in declared if d)}
    assert not missing, f"declare these in model/settings.py: {sorted(missing)}"


def test_settings_are_read_at_call_time_with_their_defaults(monkeypatch):
    monkeypatch.delenv("TERRITOIRES_RETRIES", raising=False)
    assert settings.RETRIES.get() == 4
    monkeypatch.setenv("TERRITOIRES_RETRIES", " 2 ")
    assert settings.RETRIES.get() == 2
    monkeypatch.setenv("TERRITOIRES_HTTP_TIMEOUT", "0.5")
    assert settings.HTTP_TIMEOUT.get() == 0.5
    assert settings.DB.get({}) is None
    assert settings.MEMORY_LIMIT.get({"TERRITOIRES_MEMORY_LIMIT": "3GB"}) == "3GB"


@pytest.mark.parametrize("name,value,expected", [
    ("TERRITOIRES_RETRIES", "abc", "TERRITOIRES_RETRIES: expected a whole number ≥ 0, got 'abc'"),
    ("TERRITOIRES_LAND_BATCH", "0", "TERRITOIRES_LAND_BATCH: expected a whole number ≥ 1"),
    ("TERRITOIRES_BACKOFF", "-1", "TERRITOIRES_BACKOFF: expected a number of seconds ≥ 0"),
    ("TERRITOIRES_MEMORY_LIMIT", "3", "TERRITOIRES_MEMORY_LIMIT: expected a size like '3GB'"),
    ("TERRITOIRES_PRICES_X", "post_read=cheap", "TERRITOIRES_PRICES_X: expected name=price"),
])
def test_a_bad_value_names_the_variable_and_what_it_expects(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    setting = next(s for s in settings.SETTINGS if s.name.split("<")[0] in name)
    with pytest.raises(ValueError) as e:
        setting.get(key="x")
    assert str(e.value).startswith(expected)


def test_per_account_secrets_win_over_the_shared_one_and_are_never_echoed():
    env = {"BLUESKY_APP_PASSWORD": "shared-pass", "BLUESKY_APP_PASSWORD__VILLE_BSKY_SOCIAL": "own"}
    assert settings.BLUESKY_APP_PASSWORD.get(env, key="ville.bsky.social") == "own"
    assert settings.BLUESKY_APP_PASSWORD.get(env, key="other.bsky.social") == "shared-pass"
    assert "X_BEARER_TOKEN" in settings.SECRET_NAMES


def test_price_table_defaults_then_the_variable(monkeypatch):
    monkeypatch.delenv("TERRITOIRES_PRICES_X", raising=False)
    assert price_table("x")["post_read"] == 0.005
    assert price_table("bluesky") == {}
    monkeypatch.setenv("TERRITOIRES_PRICES_X", "post_read=0.01")
    assert price_table("x") == {"post_read": 0.01, "user_read": 0.010, "owned_read": 0.001}


def test_the_reference_page_command_prints_markdown():
    out = subprocess.run(
        [sys.executable, "-m", "model.settings", "--markdown"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("# Settings")


def test_a_bad_setting_stops_a_command_with_one_line_and_exit_2(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TERRITOIRES_MEMORY_LIMIT": "lots"}
    out = subprocess.run([sys.executable, "-m", "territoires.cli", "rebuild", "--db",
                          str(tmp_path / "w.duckdb")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == ("territoires rebuild: TERRITOIRES_MEMORY_LIMIT: expected a "
                                  "size like '3GB' or '512MiB', got 'lots'")
