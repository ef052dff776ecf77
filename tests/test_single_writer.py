"""The single-writer rule at a small size: the dashboard keeps answering while imports land.

A real ``territoires serve`` and real ``territoires import`` processes share one warehouse;
readers query the published snapshot throughout. Nobody may see a lock error, and every
import must become visible.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.conftest import EXAMPLE_CONFIG, fixture_path
from tests.live import free_port
from warehouse.read import query_rows


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("server never became healthy")


def test_serve_keeps_answering_while_imports_land(tmp_path: Path):
    files = [
        fixture_path("x-api-v2", "twarc-csv", name)
        for name in ("two_tweets.jsonl", "brexit.jsonl", "kpop.jsonl", "withheld.jsonl")
    ]
    db = tmp_path / "w.duckdb"
    cli = [sys.executable, "-m", "territoires.cli"]
    first = subprocess.run(
        [*cli, "import", str(files[0]), "--config", str(EXAMPLE_CONFIG), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr

    port = free_port()
    log = open(tmp_path / "serve.log", "w+")
    server = subprocess.Popen(
        [*cli, "serve", "--db", str(db), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    errors: list[str] = []
    seen: list[int] = []
    health_ok = 0
    stop = threading.Event()

    def read_loop() -> None:
        nonlocal health_ok
        while not stop.is_set():
            try:
                seen.append(query_rows(db, "SELECT count(*) FROM territory_posts")[0][0])
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=5
                ) as r:
                    health_ok += r.status == 200
            except Exception as e:  # noqa: BLE001 - any reader error is a failure of the design
                errors.append(repr(e))
            time.sleep(0.02)

    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", server)
        readers = [threading.Thread(target=read_loop) for _ in range(3)]
        for t in readers:
            t.start()
        for f in files[1:]:
            r = subprocess.run(
                [*cli, "import", str(f), "--config", str(EXAMPLE_CONFIG), "--db", str(db)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert r.returncode == 0, r.stderr
            assert "lock" not in r.stderr.lower()
        time.sleep(0.5)
        stop.set()
        for t in readers:
            t.join()
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=20)

    assert errors == []
    assert health_ok > 10
    final = query_rows(db, "SELECT count(*) FROM territory_posts")[0][0]
    assert seen[0] < final and seen[-1] == final  # readers saw the imports land
    log.seek(0)
    server_log = log.read()
    assert "Conflicting lock" not in server_log and "IOException" not in server_log
