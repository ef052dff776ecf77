"""The warehouse never fails for good: impossible post dates, secrets, retention of the raw
layer, erased conversation roots, a full disk (issue 16, "Trust")."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from territoires.config import load_config
from tests.conftest import EXAMPLE_CONFIG
from tests.raw_layer import files_text, raw_bodies
from tests.scenario import Scenario
from warehouse import raw_files
from warehouse.db import connect, snapshot_path, writer


def territoires(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "territoires.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _scenario() -> Scenario:
    s = Scenario(load_config(EXAMPLE_CONFIG))
    s.user("villeneuve_fr", id="1")
    s.user("alice", id="2001")
    return s


def _jsonl(path: Path, s: Scenario, post_ids: list[str], fetched: str) -> Path:
    doc = json.loads(s.page(post_ids))
    doc["__twarc"] = {"retrieved_at": fetched, "url": "https://api.twitter.com/2/tweets/search/recent"}
    path.write_text(json.dumps(doc) + "\n")
    return path


def _count(db: Path, sql: str) -> int:
    con = connect(snapshot_path(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


# -- impossible post dates -------------------------------------------------------------------


def test_impossible_post_dates_are_rejected_at_landing_with_file_line(tmp_path: Path) -> None:
    s = _scenario()
    good = s.post("alice", "2024-06-03 08:00", "@villeneuve_fr bonjour")
    answer = s.reply("villeneuve_fr", good, "2024-06-03 09:00", "@alice bonjour")
    far = s.post("alice", datetime.fromisoformat("9999-12-31T10:00Z"), "@villeneuve_fr futur")
    early = s.post("alice", datetime.fromisoformat("0001-01-01T10:00Z"), "@villeneuve_fr vieux")
    tomorrow = s.post("alice", "2024-06-06 08:00", "@villeneuve_fr demain")  # 3 days after fetch
    src = _jsonl(tmp_path / "p.jsonl", s, [good, answer, far, early, tomorrow], "2024-06-04T10:00Z")
    db = tmp_path / "w.duckdb"
    cfg = ("--config", str(EXAMPLE_CONFIG), "--db", str(db))
    result = territoires("import", str(src), *cfg)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for post in (far, early, tomorrow):
        assert f"{src}:1: post {post}: created_at" in result.stderr
    assert "expected a date between 2006-01-01 and 2024-06-05 10:00 UTC" in result.stderr
    # the other posts of the page landed
    ids = {r for (r,) in connect(snapshot_path(db), read_only=True).execute(
        "SELECT id FROM posts").fetchall()}
    assert ids == {good, answer}
    # and nothing is left that fails the writer: a later import, rebuild, purge, metrics
    later = s.post("alice", "2024-06-10 08:00", "@villeneuve_fr encore")
    src2 = _jsonl(tmp_path / "q.jsonl", s, [later], "2024-06-10T10:00Z")
    assert territoires("import", str(src2), *cfg).returncode == 0
    assert territoires("rebuild", "--db", str(db)).returncode == 0
    assert _count(db, "SELECT count(*) FROM posts") == 3
    m = territoires("metrics", *cfg, "--since", "2024-06-01", "--until", "2024-06-30")
    assert m.returncode == 0, m.stderr
    assert territoires("purge", "--db", str(db)).returncode == 0


def test_a_warehouse_holding_an_impossible_date_still_imports_rebuilds_purges(
    tmp_path: Path,
) -> None:
    """A row dated 9999-12-31 that landed before the check: the calendar skips it."""
    s = _scenario()
    good = s.post("alice", "2024-06-03 08:00", "@villeneuve_fr bonjour")
    answer = s.reply("villeneuve_fr", good, "2024-06-03 09:00", "@alice bonjour")
    bad = s.post("alice", "2024-06-03 10:00", "@villeneuve_fr une autre")
    db = tmp_path / "w.duckdb"
    cfg = ("--config", str(EXAMPLE_CONFIG), "--db", str(db))
    src = _jsonl(tmp_path / "p.jsonl", s, [good, answer, bad], "2024-06-04T10:00Z")
    assert territoires("import", str(src), *cfg).returncode == 0
    # what a warehouse from before the check holds: the post and its raw page say 9999
    s.posts[bad]["created_at"] = "9999-12-31T10:00:00.000Z"
    with writer(db) as con:
        con.execute("UPDATE posts SET created_at = '9999-12-31 10:00' WHERE id = ?", [bad])
        pages = con.execute("SELECT page_id FROM raw_pages").fetchall()
        raw_files.replace_pages(con, {p: (s.page([good, answer, bad]), None) for (p,) in pages})
        con.execute("DELETE FROM facts_state")  # recompute the facts whole
    assert _count(db, "SELECT count(*) FROM territory_timeline WHERE year(created_at) = 9999")
    later = s.post("alice", "2024-06-10 08:00", "@villeneuve_fr encore")
    src2 = _jsonl(tmp_path / "q.jsonl", s, [later], "2024-06-10T10:00Z")
    imported = territoires("import", str(src2), *cfg)
    assert imported.returncode == 0, imported.stderr
    m = territoires("metrics", *cfg, "--since", "2024-06-01", "--until", "2024-06-30")
    assert m.returncode == 0, m.stderr
    assert json.loads(m.stdout)
    purged = territoires("purge", "--db", str(db), "--now", "2024-06-20T00:00Z")
    assert purged.returncode == 0, purged.stderr
    rebuilt = territoires("rebuild", "--db", str(db))
    assert rebuilt.returncode == 0, rebuilt.stderr
    # rebuild replays the raw page through the check: the impossible post is gone
    assert _count(db, f"SELECT count(*) FROM posts WHERE id = '{bad}'") == 0
    assert _count(db, f"SELECT count(*) FROM posts WHERE id = '{good}'") == 1


# -- an erased conversation root ------------------------------------------------------------


def test_threads_whose_root_author_was_erased_render_a_neutral_label(
    tmp_path: Path, monkeypatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from warehouse.forget import forget_account

    s = _scenario()
    s.user("bob", id="2002")
    root = s.post("alice", "2026-11-10 10:00", "@villeneuve_fr la rue est fermée ?")
    reply = s.reply("bob", root, "2026-11-10 10:30", "@alice @villeneuve_fr oui")
    s.reply("villeneuve_fr", reply, "2026-11-10 11:00", "@bob @alice elle rouvre demain")
    other = s.post("bob", "2026-11-11 10:00", "@villeneuve_fr et le marché ?")
    s.reply("villeneuve_fr", other, "2026-11-11 11:00", "@bob samedi")
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        s.land(con, fetched_at=datetime(2026, 11, 12))
    with writer(db) as con:
        forget_account(con, "alice")
    monkeypatch.setenv("TERRITOIRES_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"),
                           default_timeout=60)
    for k, v in {"from": "2026-11-09", "to": "2026-11-15", "asof": "2026-11-16T00:00Z",
                 "conv": f"x:{root}"}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("views/conversations.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert not errors, errors
    assert at.selectbox(key="w_conv").value == f"x:{root}"
    box = at.selectbox(key="w_conv")
    label = box.options[box.index]
    assert "(message effacé)" in label and "nan" not in label
    tables = [d.value for d in at.dataframe if "root_text" in d.value.columns]
    assert tables and "(message effacé)" in list(tables[0]["root_text"])
    shown = " ".join(m.value for m in at.markdown)
    assert "@nan" not in shown and "@bob" in shown  # the thread's remaining posts


# -- a full disk -----------------------------------------------------------------------------


def test_a_full_disk_is_named_in_one_line_not_cannot_rollback(tmp_path: Path) -> None:
    """A real full disk: the import runs in its own mount namespace on a 4 MB tmpfs
    (root can make one; the test is skipped where it cannot)."""
    import random
    import shutil

    if shutil.which("unshare") is None:
        import pytest

        pytest.skip("unshare (util-linux) is needed to mount a small tmpfs")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs "
                            f"{tmp_path}"], capture_output=True, text=True)
    if probe.returncode:
        import pytest

        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.strip()}")
    s = _scenario()
    rnd = random.Random(1)
    src = tmp_path / "big.jsonl"
    with open(src, "w") as fh:
        for _ in range(40):  # 40 pages of 100 posts: 2.2 MB of JSON, more than the disk holds
            ids = [s.post("alice", f"2024-06-{1 + i % 28:02d} 10:00",
                          "".join(rnd.choice("abcdefghij ") for _ in range(250)))
                   for i in range(100)]
            fh.write(s.page(ids) + "\n")
            s.posts.clear()
    small = tmp_path / "small"
    small.mkdir()
    db = small / "w.duckdb"
    script = (
        f"mount -t tmpfs -o size=4m tmpfs {small} && "
        f"{sys.executable} -m territoires.cli import {src} --config {EXAMPLE_CONFIG} --db {db}"
    )
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 74, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "No space left on device" in lines[0] and "the disk is full" in lines[0]
    assert "cannot rollback" not in result.stderr and "Traceback" not in result.stderr


# -- secrets ---------------------------------------------------------------------------------

BEARER = (
    "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMD"
    "jRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"
)
PROXY_PASSWORD = "pr0xy-S3cret-pw"


def _echoing_api(*args, **kwargs):
    """The fake X API behind an upstream that echoes the request's Authorization header in
    every answer: 200 pages, error bodies and a malformed body alike."""
    from tests.fake_x_api import FakeXApi, Recorded

    class Echoing(FakeXApi):
        def handle(self, method, path, query, headers):  # noqa: ANN001, ANN202
            rec = super().handle(method, path, query, headers)
            auth = headers.get("authorization", "")
            try:
                doc = json.loads(rec.body)
            except ValueError:  # the malformed fault: the echo comes first, then the cut
                return Recorded(rec.status, rec.headers,
                                b'{"echo": "' + auth.encode() + b'", ' + rec.body[1:])
            if isinstance(doc, dict):
                doc["echo"] = {"authorization": auth}
                if "detail" in doc:
                    doc["detail"] = f"{doc['detail']} (you sent Authorization: {auth})"
            return Recorded(rec.status, rec.headers, json.dumps(doc).encode())

    return Echoing(*args, **kwargs)


def test_no_secret_is_stored_or_printed_when_the_upstream_echoes_it(
    tmp_path: Path, monkeypatch
) -> None:
    from collectors import spool
    from collectors.x_collect import collect, summary
    from tests.fake_x_api import fast_policy, make_dataset, x_territory

    territory = x_territory()
    ds = make_dataset(60, city_handles=tuple(territory.handles("x")), seed=5)
    db = tmp_path / "w.duckdb"
    with _echoing_api(ds.users, ds.all_posts(), token=BEARER) as fake:
        fake.page_cap = 30
        fake.inject("malformed", r"^/2/users/\d+/mentions$", times=1)
        fake.inject("503", r"^/2/tweets/search/recent$", times=None)
        proxied = fake.url.replace("http://", f"http://territoires:{PROXY_PASSWORD}@")
        monkeypatch.setenv("TERRITOIRES_X_API_URL", proxied)
        report = collect([territory], db, BEARER, policy=fast_policy(), sleep=lambda s: None)
        assert any("echo" in body.decode() and BEARER in body.decode()
                   for _, _, body in fake.responses)  # the upstream did echo it
    assert report.status == "partial"
    assert list(spool.rejected_dir(db).glob("*.body"))  # the malformed page was kept aside
    printed = summary(report)
    assert "[redacted]" in printed  # the proxy URL is shown, without its password
    con = connect(db, read_only=True)
    try:
        stored = json.dumps(con.execute(
            "SELECT (SELECT list(coalesce(origin, '')) FROM raw_pages), "
            "(SELECT list(message || errors) FROM collect_runs), "
            "(SELECT list(coalesce(detail, '') || coalesce(title, '')) FROM page_errors)"
        ).fetchall(), default=str)
        assert con.execute("SELECT count(*) FROM raw_pages").fetchall()[0][0] > 0
    finally:
        con.close()
    stored += files_text(db)  # the pages as they came, in the raw layer's files
    assert "[redacted]" in stored
    files = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in (BEARER, PROXY_PASSWORD):
        assert secret not in printed
        assert secret not in stored
        assert secret.encode() not in files  # the warehouse, its snapshot, the spool


# -- retention of the raw layer's content ----------------------------------------------------


def test_purge_removes_old_posts_from_recent_raw_pages_and_rebuild_agrees(con) -> None:
    from tests.scenario import make_territory
    from tests.test_retention_erasure import _tables
    from warehouse.load import rebuild
    from warehouse.retention import purge

    s = Scenario(make_territory(privacy={"retention_days": 60}))
    s.user("ville", id="1")
    s.user("alice", id="2001")
    old = s.post("alice", "2024-01-10 10:00", "@ville Vieux-Texte-9f2 trou #ville")
    new = s.post("alice", "2024-06-01 08:00", "@ville encore #Ville")
    answer = s.reply("ville", new, "2024-06-01 09:00", "@alice merci")
    # a backfill fetched in June carries January's post with the recent ones
    s.land(con, [old, new, answer], fetched_at=datetime(2024, 6, 3))
    purge(con, now=datetime(2024, 6, 10))
    bodies = " ".join(raw_bodies(con))
    assert "Vieux-Texte-9f2" not in bodies and old not in bodies
    assert new in bodies and answer in bodies
    ids = {r[0] for r in con.execute("SELECT id FROM posts").fetchall()}
    assert ids == {new, answer}
    purged = _tables(con)
    rebuild(con)
    assert _tables(con) == purged
