"""Real processes for end-to-end tests: a ``territoires serve`` server and Debian's chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not installed (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def dashboard(db: Path, env: dict[str, str] | None = None, timeout: float = 60, *,
              exe: Path | None = None, cwd: Path = ROOT,
              base_env: dict[str, str] | None = None, port: int | None = None) -> Iterator[str]:
    """Run ``territoires serve`` on ``db`` (``port``, else a free one); yield its base URL
    once healthy. ``exe`` (default: this environment's ``territoires``) runs in ``cwd`` with
    ``base_env`` (default: this process's environment) plus ``env``."""
    port = port or free_port()
    exe = exe or Path(sys.executable).with_name("territoires")
    log_path = db.with_suffix(".log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(exe), "serve", "--db", str(db), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
            env={**(os.environ if base_env is None else base_env), "PYTHONUNBUFFERED": "1",
                 **(env or {})},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {log_path.read_text()}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def settle(page, title: str = "", quiet: float = 0.8) -> None:  # noqa: ANN001
    """Wait until the script run has finished: the title ``title`` drawn, then no running
    indicator for ``quiet`` seconds. Generous limits: on 2 busy cores a first, uncached run
    can take tens of seconds."""
    page.locator("h1", has_text=title).first.wait_for(timeout=90_000)
    quiet_since = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > quiet:
            return
        time.sleep(0.1)
    raise AssertionError("the page did not finish rendering")
