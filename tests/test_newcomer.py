"""The newcomer's path: the README's commands, shared links out of the box, clear one-line
errors for a wrong ``--db``, an unrecognised import, an empty week (issue 16)."""

from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from territoires import share
from tests.conftest import EXAMPLE_CONFIG
from tests.live import ROOT, chromium, dashboard, needs_chromium

EXE = Path(sys.executable).with_name("territoires")
NO_SECRET = {k: v for k, v in os.environ.items() if k != share.SECRET_ENV}


def territoires(*args: str, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real console script, as a user runs it."""
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=300,
                          env=NO_SECRET if env is None else env, cwd=cwd)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo warehouse whose 13 weeks end on 2026-11-30 (weeks 2026-W36 to W48)."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = territoires("demo", "--no-serve", "--posts", "1500", "--anchor", "2026-11-30",
                         "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


# ---- shared-link secret ---------------------------------------------------------------------
@pytest.mark.parametrize("weak", [" " * 16, "a" * 16, "a" * 64, "abcabcabc" * 6,
                                  secrets.token_urlsafe(16)])
def test_a_weak_share_secret_is_refused_with_the_command_to_make_one(weak: str) -> None:
    with pytest.raises(share.ShareError) as e:
        share.secret_from_env({share.SECRET_ENV: weak})
    assert e.value.reason == "weak_secret"
    assert "secrets.token_urlsafe(32)" in str(e.value)


def test_a_generated_share_secret_is_accepted() -> None:
    for _ in range(200):
        good = secrets.token_urlsafe(32)
        assert share.secret_from_env({share.SECRET_ENV: good}) == good.encode()
    good = secrets.token_hex(32)
    assert share.secret_from_env({share.SECRET_ENV: good}) == good.encode()


def test_share_command_refuses_a_weak_secret_in_one_line(tmp_path: Path) -> None:
    result = territoires("share", "--config", str(EXAMPLE_CONFIG), "--week", "2026-W47",
                         "--db", str(tmp_path / "w.duckdb"),
                         env={**NO_SECRET, share.SECRET_ENV: "aaaaaaaaaaaaaaaa"})
    assert result.returncode == 2 and result.stdout == ""
    line = one_line(result)
    assert "too weak" in line and "secrets.token_urlsafe(32)" in line


def test_the_demo_keeps_a_private_secret_that_share_uses(demo_db: Path) -> None:
    path = Path(str(demo_db) + ".share-secret")
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text().strip()
    assert len(secret) >= 43 and share.check_secret(secret)
    result = territoires("share", "--config", str(EXAMPLE_CONFIG), "--week", "2026-W47",
                         "--db", str(demo_db))
    assert result.returncode == 0, result.stderr
    token = re.fullmatch(r"http://localhost:8501/\?share=([\w.-]+)\n", result.stdout)
    assert token, result.stdout
    link = share.verify(token[1], secret.encode(), datetime.now(UTC).replace(tzinfo=None))
    assert link.territory == "villeneuve"
    assert secret not in result.stdout + result.stderr
    # never in git, whatever the warehouse is called
    for name in ("territoires.duckdb.share-secret", "demo.db.share-secret"):
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=ROOT)
        assert ignored.returncode == 0, f"{name} is not git-ignored"


def test_the_environment_wins_over_the_file_and_a_readable_file_is_refused(
        tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    path = share.ensure_secret_file(db)
    from_file = path.read_text().strip()
    assert share.ensure_secret_file(db) == path and path.read_text().strip() == from_file
    env_secret = secrets.token_urlsafe(32)
    assert share.secret_for(db, {share.SECRET_ENV: env_secret}) == env_secret.encode()
    assert share.secret_for(db, {}) == from_file.encode()
    path.chmod(0o644)
    with pytest.raises(share.ShareError, match="chmod 600"):
        share.secret_for(db, {})
    with pytest.raises(share.ShareError) as e:
        share.secret_for(tmp_path / "other.duckdb", {})
    assert e.value.reason == "no_secret"


@pytest.mark.slow
@needs_chromium[0]
@needs_chromium[1]
def test_a_demo_link_opens_on_the_demo_server_with_no_secret_set(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(share.SECRET_ENV, raising=False)
    with dashboard(demo_db) as base, chromium() as browser:
        made = territoires("share", "--config", str(EXAMPLE_CONFIG), "--week", "2026-W47",
                           "--db", str(demo_db), "--base-url", base)
        assert made.returncode == 0, made.stderr
        page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        page.goto(made.stdout.strip())
        page.wait_for_selector(".rv-cards", timeout=120_000)
        text = page.inner_text("body")
        assert "n'accepte pas de lien partagé" not in text
        assert "Villeneuve" in text



# ---- --db that is not a warehouse --------------------------------------------------------------
CFG = str(EXAMPLE_CONFIG)
DB_COMMANDS = {
    "demo": ["--no-serve", "--posts", "10"],
    "serve": ["--port", "1"],
    "import": ["pages.jsonl", "--config", CFG],
    "rebuild": [],
    "metrics": ["--config", CFG, "--since", "2026-11-16", "--until", "2026-11-23"],
    "queue": ["--config", CFG, "--since", "2026-11-16", "--until", "2026-11-23"],
    "triage": ["--config", CFG, "123", "--decision", "forwarded", "--by", "C"],
    "collect": ["--config", CFG, "--platform", "bluesky"],
    "purge": [],
    "forget": ["some_handle"],
    "report": ["--config", CFG, "--out", "revue.pdf"],
    "share": ["--config", CFG, "--week", "2026-W47"],
    "alert": ["--config", CFG],
    "export": ["--lake", "lake"],
    "barometre": ["--since", "2026-11-01", "--until", "2026-12-01"],
}


def test_every_command_with_a_db_option_is_covered() -> None:
    from territoires.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    with_db = {name for name, p in sub.choices.items()  # type: ignore[union-attr]
               if any(a.dest == "db" for a in p._actions)}
    assert with_db == set(DB_COMMANDS)


@pytest.mark.parametrize(("command", "kind"), [
    *((c, k) for c in sorted(DB_COMMANDS) for k in ("folder", "text")),
    ("import", "under-a-file"), ("serve", "env-folder"), ("metrics", "env-folder"),
])
def test_a_db_that_is_not_a_warehouse_gets_one_line_and_exit_2(
        tmp_path: Path, command: str, kind: str) -> None:
    folder = tmp_path / "some-folder"
    folder.mkdir()
    notes = tmp_path / "notes.txt"
    notes.write_text("mes notes\n")
    env = dict(NO_SECRET, X_BEARER_TOKEN="t", BLUESKY_APP_PASSWORD="p")
    db_args = {"folder": ["--db", f"{folder}/"], "text": ["--db", str(notes)],
               "under-a-file": ["--db", f"{notes}/w.duckdb"], "env-folder": []}[kind]
    if kind == "env-folder":
        env["TERRITOIRES_DB"] = str(folder)
    before = sorted(tmp_path.iterdir())
    result = territoires(command, *DB_COMMANDS[command], *db_args, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert line.startswith(f"territoires {command}: ")
    assert ("is a folder" if "folder" in kind else
            "is a file, not a folder" if kind == "under-a-file" else
            "not a Territoires warehouse") in line
    assert sorted(tmp_path.iterdir()) == before  # nothing created beside it (no .lock)
    assert notes.read_text() == "mes notes\n" and not any(folder.iterdir())


# ---- import of JSON that is not an API page ----------------------------------------------------
def test_import_of_json_that_is_not_a_page_says_so_and_exits_1(tmp_path: Path) -> None:
    from warehouse.db import connect, snapshot_path

    jsonl = tmp_path / "notes.jsonl"
    jsonl.write_text('{"foo": 1}\n')
    db = tmp_path / "w.duckdb"
    result = territoires("import", str(jsonl), "--config", CFG, "--db", str(db))
    assert result.returncode == 1, result.stderr
    assert f"{jsonl}:1: not an X API v2 page" in result.stderr and '"foo"' in result.stderr
    assert "0 pages (0 new), 0 posts" in result.stdout and "1 skipped" in result.stdout
    assert "Traceback" not in result.stderr
    con = connect(snapshot_path(db), read_only=True)
    assert con.execute("SELECT count(*) FROM raw_pages").fetchall()[0][0] == 0


def test_valid_pages_beside_unrecognised_ones_still_land(tmp_path: Path) -> None:
    from tests.conftest import fixture_path
    from warehouse.db import connect, snapshot_path

    good = fixture_path("x-api-v2", "twarc-csv", "two_tweets.jsonl").read_text().strip()
    lists = fixture_path("x-api-v2", "twarc-csv", "lists.jsonl").read_text().splitlines()[0]
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_text("\n".join([good, '{"foo": 1, "bar": [2]}', lists, '{"meta": {}}']) + "\n")
    db = tmp_path / "w.duckdb"
    result = territoires("import", str(jsonl), "--config", CFG, "--db", str(db))
    assert result.returncode == 1
    assert f"{jsonl}:2: not an X API v2 page" in result.stderr and '"bar"' in result.stderr
    assert f"{jsonl}:3: an X API v2 page of a kind Territoires does not read" in result.stderr
    assert ":1:" not in result.stderr and ":4:" not in result.stderr
    assert "2 pages (2 new)" in result.stdout and "2 skipped" in result.stdout
    con = connect(snapshot_path(db), read_only=True)
    assert con.execute("SELECT count(*) FROM territory_posts").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM raw_pages WHERE kind = 'other'").fetchall()[0][0] == 0


# ---- report of an empty week -------------------------------------------------------------------
def test_report_of_a_week_without_data_warns_and_writes_nothing(demo_db: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "revue.pdf"
    result = territoires("report", "--config", CFG, "--db", str(demo_db), "--week", "2026-W20",
                         "--out", str(out))
    assert result.returncode == 1
    line = one_line(result)
    assert "2026-W20" in line and "no post" in line and "--allow-empty" in line
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.slow
@needs_chromium[1]
def test_report_of_an_empty_week_is_written_when_asked(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "revue.png"
    result = territoires("report", "--config", CFG, "--db", str(demo_db), "--week", "2026-W20",
                         "--out", str(out), "--allow-empty")
    assert result.returncode == 0, result.stderr
    assert "no post" in result.stderr and out.read_bytes()[:4] == b"\x89PNG"


# ---- docs/configuration.md ---------------------------------------------------------------------
def test_the_configuration_doc_describes_every_key_in_both_languages(tmp_path: Path) -> None:
    from model.territory import _SCHEMA
    from territoires.config import load_config

    pointer = re.search(r"see (docs/\S+\.md)", EXAMPLE_CONFIG.read_text())
    assert pointer, "examples/villeneuve.toml should point to its documentation"
    doc = (ROOT / pointer[1]).read_text()
    assert pointer[1] == "docs/configuration.md"
    french, english = doc.split("\n## English\n")
    for section, keys in _SCHEMA.items():
        heading = (f"### `[[{section}]]`" if section in ("accounts", "services")
                   else f"### `[{section}]`")
        assert heading in french and heading in english, section
        for key in keys:
            assert f"| `{key}` |" in french.split("\n## Français\n")[1], f"{section}.{key}"
            assert f"| `{key}` |" in english, f"{section}.{key}"
    example = re.search(r"```toml\n(.*?)```", doc, re.S)
    assert example
    cfg = tmp_path / "ville.toml"
    cfg.write_text(example[1])
    territory = load_config(cfg)  # the example in the doc is a valid file
    assert territory.slug == "villeneuve" and territory.shared_text == "truncate"


# ---- the README's command lines ----------------------------------------------------------------
def sh_lines(markdown: str) -> list[str]:
    """Every command line of the ```sh blocks, comments and blank lines dropped."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


README_LINES = sh_lines((ROOT / "README.md").read_text())
TERRITOIRES_LINES = [x for x in README_LINES if "territoires " in x and not x.startswith("cp ")]


def test_the_readme_starts_with_make_demo_and_make_test_and_its_targets_exist() -> None:
    assert README_LINES[:2] == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for line in README_LINES:
        if line.startswith("make "):
            assert re.search(rf"^{re.escape(line.split()[1])}:", makefile, re.M), line


def test_every_territoires_line_of_the_readme_resolves_after_make_demo() -> None:
    import shlex

    from territoires.cli import build_parser

    assert len(TERRITOIRES_LINES) >= 10
    assert (ROOT / ".venv" / "bin" / "territoires").is_file()  # what `make demo` leaves
    for line in TERRITOIRES_LINES:
        argv = shlex.split(line)
        # not `uv run` (uv is in .tools/bin, not on PATH) nor a bare name (not on PATH either)
        assert argv[0] == ".venv/bin/territoires", line
        try:
            args = build_parser().parse_args(argv[1:])  # the subcommand and its options exist
        except SystemExit:
            pytest.fail(f"the CLI refuses the README's line: {line}")
        assert args.command == argv[1]
    docs = "\n".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    assert not [x for x in sh_lines(docs) if x.startswith("uv ")], "docs still say `uv run`"


def _readme_run(tmp: Path) -> dict[str, subprocess.CompletedProcess]:
    """Run the README's lines in order in a fresh folder, as a newcomer would: verbatim,
    except that the demo is small, pinned to 2026-11-30 and does not serve, and `serve`
    gets a free port. The collection lines need the network: only parsed (above)."""
    from tests.conftest import fixture_path
    from tests.live import free_port

    (tmp / "examples").symlink_to(ROOT / "examples")
    (tmp / ".venv").symlink_to(ROOT / ".venv")
    (tmp / "pages.jsonl").write_bytes(
        fixture_path("x-api-v2", "twarc-csv", "two_tweets.jsonl").read_bytes())
    env = {k: v for k, v in NO_SECRET.items()
           if k not in ("TERRITOIRES_DB", "X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN")}
    results = {}
    for line in README_LINES:
        if line.startswith(("make ", "source ")) or " collect " in line:
            continue
        if " demo " in line:
            line += " --posts 1500 --anchor 2026-11-30 --no-serve"
        if line.endswith(" serve"):
            import time
            import urllib.request

            port = free_port()
            proc = subprocess.Popen(["bash", "-c", f"exec {line} --port {port}"], cwd=tmp,
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                for _ in range(300):
                    try:
                        with urllib.request.urlopen(
                                f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                            ok = r.status == 200
                            break
                    except OSError:
                        assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                        time.sleep(0.2)
                else:
                    ok = False
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            results["serve"] = subprocess.CompletedProcess(line, 0 if ok else 1, "", "")
            continue
        if " report " in line and not Path("/usr/bin/chromium").exists():
            continue
        results[line.split()[1] if line.startswith(".venv") else line.split()[0]] = \
            subprocess.run(["bash", "-c", line], cwd=tmp, env=env, capture_output=True,
                           text=True, timeout=300)
    return results


@pytest.mark.slow
def test_the_readme_lines_run_in_order_in_a_fresh_folder(tmp_path: Path) -> None:
    import json

    r = _readme_run(tmp_path)
    for name, result in r.items():
        assert "Traceback" not in result.stderr, (name, result.stderr)
    for name in ("cp", "demo", "import", "metrics", "share", "serve", "rebuild", "purge"):
        assert r[name].returncode == 0, (name, r[name].stderr)
    assert json.loads(r["metrics"].stdout)["interpellations"] > 0
    secret = (tmp_path / "territoires.duckdb.share-secret").read_text().strip()
    token = r["share"].stdout.strip().split("share=")[1]
    assert share.verify(token, secret.encode(), datetime.now(UTC).replace(tzinfo=None))
    if "report" in r:
        assert r["report"].returncode == 0, r["report"].stderr
        assert (tmp_path / "revue.pdf").read_bytes()[:5] == b"%PDF-"
    assert r["forget"].returncode in (0, 1)  # 1: nobody of that name in the demo
    assert one_line(r["forget"]) if r["forget"].stderr else True


@pytest.mark.parametrize("command", ["metrics", "import", "rebuild"])
def test_a_db_of_another_application_is_refused_and_left_alone(tmp_path: Path,
                                                               command: str) -> None:
    import duckdb

    other = tmp_path / "compta.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE factures (id INTEGER)")
    con.close()
    before = other.read_bytes()
    result = territoires(command, *DB_COMMANDS[command], "--db", str(other), cwd=tmp_path)
    assert result.returncode == 2
    assert "not a Territoires warehouse" in one_line(result)
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "compta.duckdb"]


def test_an_empty_duckdb_file_and_a_real_warehouse_are_accepted(demo_db: Path,
                                                                tmp_path: Path) -> None:
    import duckdb

    from warehouse.db import check_warehouse_path

    duckdb.connect(str(tmp_path / "new.duckdb")).close()
    check_warehouse_path(tmp_path / "new.duckdb")
    check_warehouse_path(demo_db)
    check_warehouse_path(tmp_path / "not-yet.duckdb")
