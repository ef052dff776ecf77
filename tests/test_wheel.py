"""The wheel runs on its own: built with ``uv build``, installed in a fresh virtualenv
outside the checkout, ``territoires demo``, ``serve``, ``metrics`` and ``queue`` work from
an empty folder (docs/deploying.md, "Installing from a wheel"; the files read at run time travel in
``territoires/_bundle/``, see territoires/resources.py and hatch_build.py).

Slow (a build, a virtualenv, an install: about 15 s with uv's cache warm). Skipped with the
reason when uv is missing or the install cannot reach PyPI nor its cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live import CHROMIUM, chromium, dashboard, settle

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = "2026-03-16"  # the demo covers the 13 weeks before this date (as tests/test_browser.py)
SINCE, UNTIL = "2026-02-16", "2026-03-16"
# what uv prints when it cannot download: no network, no proxy, nothing in its cache
NO_NETWORK = re.compile(r"failed to fetch|error sending request|dns error|connect|network|"
                        r"timed out|offline|not found in the cache", re.IGNORECASE)

pytestmark = pytest.mark.slow


def _uv() -> str:
    found = shutil.which("uv") or (str(ROOT / ".tools/bin/uv")
                                   if (ROOT / ".tools/bin/uv").exists() else None)
    if not found:
        pytest.skip("uv not found (on PATH or .tools/bin/uv; `make` installs it)")
    return found


def _clean_env() -> dict[str, str]:
    """The environment of a stranger's shell: no project virtualenv, no warehouse setting."""
    drop = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX")
    return {k: v for k, v in os.environ.items()
            if k not in drop and not k.startswith("TERRITOIRES_")}


def _step(what: str, cmd: list[str], cwd: Path, env: dict[str, str],
          timeout: float = 300) -> tuple[str, float]:
    """Run one setup step; skip if it failed for want of a network, fail otherwise."""
    started = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    if p.returncode != 0:
        if NO_NETWORK.search(out):
            pytest.skip(f"{what} impossible here (no network?): {out.strip()[-300:]}")
        pytest.fail(f"{what} failed ({p.returncode}): {out[-2000:]}")
    return out, time.monotonic() - started


@dataclass
class Installed:
    bin: Path       # the virtualenv's bin/
    run: Path       # an empty folder outside the checkout, the commands' working directory
    env: dict[str, str]
    db: Path
    demo_output: str

    def territoires(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bin / "territoires"), *args], cwd=self.run, env=self.env,
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    uv = _uv()
    base = tmp_path_factory.mktemp("wheel")
    assert ROOT not in base.parents, f"{base} must lie outside the checkout"
    env = _clean_env()
    out, t_build = _step("uv build", [uv, "build", "--wheel", "-o", str(base / "dist")], ROOT, env)
    wheels = list((base / "dist").glob("territoires-*.whl"))
    assert len(wheels) == 1, out
    venv = base / "venv"
    _, t_venv = _step("uv venv", [uv, "venv", "-q", "-p", sys.executable, str(venv)], base, env)
    _, t_install = _step("uv pip install", [uv, "pip", "install", "-q", "--python",
                                            str(venv / "bin" / "python"), str(wheels[0])],
                         base, env)
    run = base / "run"
    run.mkdir()
    env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
           "PYTHONUNBUFFERED": "1"}
    inst = Installed(venv / "bin", run, env, run / "t.duckdb", "")
    started = time.monotonic()
    demo = inst.territoires("demo", "--no-serve", "--posts", "2000", "--anchor", ANCHOR,
                            "--db", "./t.duckdb", timeout=300)
    t_demo = time.monotonic() - started
    assert demo.returncode == 0, demo.stdout + demo.stderr
    inst.demo_output = demo.stdout + demo.stderr
    print(f"wheel {wheels[0].stat().st_size / 1e3:.0f} kB; build {t_build:.1f} s, venv "
          f"{t_venv:.1f} s, install {t_install:.1f} s, demo {t_demo:.1f} s")
    return inst


def _installed_python(inst: Installed, code: str) -> str:
    p = subprocess.run([str(inst.bin / "python"), "-c", code], cwd=inst.run, env=inst.env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[str]:
    """``territoires serve`` of the installed wheel on the demo warehouse, once healthy."""
    with dashboard(installed.run / "t.duckdb", exe=installed.bin / "territoires",
                   cwd=installed.run, base_env=installed.env) as base:
        yield base


def test_the_installed_package_runs_from_site_packages(installed: Installed) -> None:
    where = _installed_python(installed, "import territoires, territoires.resources as r; "
                                         "print(territoires.__file__); print(r.root())")
    package, root = where.splitlines()
    venv = installed.bin.parent
    assert Path(package).is_relative_to(venv), package  # not the checkout
    assert Path(root) == Path(package).parent / "_bundle", root
    for rel in ("app.py", "views/aujourdhui.py", "views/definitions.py", "docs/metrics.md",
                "examples/villeneuve.toml", ".streamlit/config.toml"):
        assert (Path(root) / rel).is_file(), rel


def test_demo_builds_a_warehouse_in_an_empty_folder(installed: Installed) -> None:
    assert "2000 posts" in installed.demo_output, installed.demo_output
    assert installed.db.is_file()


def test_serve_answers_its_health_check(served: str) -> None:
    with urllib.request.urlopen(f"{served}/_stcore/health", timeout=5) as r:
        assert r.status == 200 and r.read() == b"ok"


def test_metrics_and_queue_read_the_demo_warehouse(installed: Installed) -> None:
    config = _installed_python(installed, "from territoires import resources; "
                                          "print(resources.path('examples/villeneuve.toml'))")
    period = ["--config", config, "--db", "./t.duckdb", "--since", SINCE, "--until", UNTIL]
    metrics = installed.territoires("metrics", *period)
    assert metrics.returncode == 0, metrics.stderr
    figures = json.loads(metrics.stdout)
    assert figures["territory"] == "villeneuve"
    assert figures["interpellations"] > 0 and figures["posts_total"] > 0, figures
    queue = installed.territoires("queue", *period)
    assert queue.returncode == 0, queue.stderr
    rows = json.loads(queue.stdout)
    assert rows and {"platform", "id", "text"} <= rows[0].keys()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason=f"{CHROMIUM} not installed (apt-get install chromium)")
def test_the_installed_dashboard_renders_its_pages(served: str) -> None:
    """Home and Définitions (which reads docs/metrics.md) draw without an error, with the
    bundled .streamlit/config.toml in force (no Deploy button)."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        for path, title, key in (("", "Aujourd'hui", "À traiter"),
                                 ("definitions", "Définitions", "Définitions des indicateurs")):
            page.goto(f"{served}/{path}?lang=fr&from={SINCE}&to=2026-03-15")
            settle(page, title)
            body = page.inner_text("body")
            assert key in body, path
            for bad in ("Traceback", "Page not found", "n'a pas pu s'afficher"):
                assert bad not in body, f"{path or 'home'}: {bad!r} on screen"
            assert page.get_by_text("Deploy", exact=True).count() == 0
