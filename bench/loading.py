"""Loading contenders, each run in a child process so its time and peak memory are its own.

* ``ours``: ``territoires import FILE --config examples/villeneuve.toml --db DB``, the
  command a user runs: :func:`collectors.jsonl_import.import_files` →
  :func:`warehouse.load.load_pages` (raw layer, posts, accounts, refs, hashtags, mentions,
  links, territory posts, daily rollups), then the read-only snapshot the dashboard opens.
* ``floor``: :mod:`bench.floor` (``read_json`` with explicit types into one bare table).
* ``peer``: ``twarc2 csv`` from twarc-csv 0.7.2, in a virtual environment of its own.

Peak memory is the child's own maximum resident set size, from ``os.wait4`` (the rusage of
that one process, the same figure ``/usr/bin/time -v`` prints).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.data import first_line_length
from warehouse import raw_files

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "villeneuve.toml"
TWARC_CSV = "twarc-csv==0.7.2"
TWARC_DEPS = ("pandas<2.1", "numpy<2")


@dataclass
class ChildRun:
    seconds: float
    peak_rss: int  # bytes
    returncode: int
    log: Path


def run_child(argv: list[str], log: Path, stdin: int | None = None,
              env: dict[str, str] | None = None, cwd: Path = ROOT) -> ChildRun:
    """Run ``argv`` to its end; wall time and the child's own peak RSS (``os.wait4``)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(seconds, usage.ru_maxrss * 1024, proc.returncode, log)


def remove_warehouse(db: Path) -> None:
    """Remove a warehouse file and everything beside it (log, snapshot, lock, raw layer)."""
    for p in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".snapshot"),
              db.with_name(db.name + ".snapshot.wal"), db.with_name(db.name + ".lock")):
        if p.exists():
            p.unlink()
    raw_files.remove(db)  # the raw layer's files beside it


def run_ours(jsonl: Path, db: Path, log: Path, memory_limit: str | None = None) -> ChildRun:
    """``territoires import`` on a fresh warehouse (snapshot published at the end); with a
    memory limit, the same steps through :mod:`bench.ours`."""
    remove_warehouse(db)
    if memory_limit:
        return run_child([sys.executable, "-m", "bench.ours", str(jsonl), str(db),
                          memory_limit], log)
    return run_child([sys.executable, "-m", "territoires.cli", "import", str(jsonl),
                      "--config", str(EXAMPLE), "--db", str(db)], log)


def run_floor(jsonl: Path, db: Path, log: Path, memory_limit: str | None = None) -> ChildRun:
    remove_warehouse(db)
    argv = [sys.executable, "-m", "bench.floor", str(jsonl), str(db)]
    if memory_limit:
        argv.append(memory_limit)
    run = run_child(argv, log)
    remove_warehouse(db)
    return run


def twarc_venv(venv: Path, log: Path) -> Path:
    """The ``twarc2`` script of a virtualenv holding twarc-csv 0.7.2 (created on first use,
    as a new user would: pandas 3 removed ``applymap``, so ``pandas<2.1`` and ``numpy<2``)."""
    twarc2 = venv / "bin" / "twarc2"
    if twarc2.exists():
        return twarc2
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True, stdout=out,
                       stderr=subprocess.STDOUT)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", TWARC_CSV, *TWARC_DEPS],
                       check=True, stdout=out, stderr=subprocess.STDOUT)
    return twarc2


def run_peer(jsonl: Path, csv: Path, log: Path, twarc2: Path) -> tuple[ChildRun, int | None]:
    """``twarc2 --bearer-token x csv - OUT`` fed the file's tweet pages on stdin.

    The file's first line is the ``GET /2/users/by`` page; twarc-csv takes it for tweets,
    rejects the batch it falls in (losing the tweets of that batch), so it is skipped: the
    child reads the same file from its second line (no copy). Returns the run and the rows
    twarc-csv says it wrote.
    """
    fd = os.open(jsonl, os.O_RDONLY)
    try:
        os.lseek(fd, first_line_length(jsonl), os.SEEK_SET)
        run = run_child([str(twarc2), "--bearer-token", "x", "csv", "-", str(csv)], log,
                        stdin=fd, cwd=log.parent)  # twarc2 writes twarc.log in its cwd
    finally:
        os.close(fd)
    m = re.search(r"Wrote (\d+) rows", log.read_text(errors="replace"))
    if csv.exists():
        csv.unlink()
    return run, int(m.group(1)) if m else None
