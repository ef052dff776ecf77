"""``territoires serve``: the dashboard (Streamlit) on an existing warehouse."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from territoires import resources, share
from territoires.commands import add_db_argument
from warehouse.db import db_path, ensure_snapshot

HELP = "serve the dashboard on an existing warehouse"
APP = resources.path("app.py")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    add_serve_arguments(parser)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: publish it behind a reverse proxy, see README)",
    )


def share_env(db: Path) -> dict[str, str]:
    """The shared-link secret for the server: ``$TERRITOIRES_SHARE_SECRET``, else
    ``<db>.share-secret`` (written by ``territoires demo``); a weak one is reported, and the
    dashboard then says shared links are disabled (docs/weekly-review-and-sharing.md)."""
    try:
        return {share.SECRET_ENV: share.secret_for(db).decode("utf-8")}
    except share.ShareError as e:
        if e.reason != "no_secret":
            print(f"territoires serve: shared links disabled: {e}", file=sys.stderr)
        return {}


def serve(db: Path, port: int, address: str = "127.0.0.1") -> int:
    ensure_snapshot(db)
    env = {**os.environ, **share_env(db), "TERRITOIRES_DB": str(db.resolve())}
    print(f"Territoires: http://localhost:{port}  (warehouse {db}; Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    # streamlit replaces this process: a SIGTERM (systemd, a test, kill) reaches the server
    # itself rather than leaving it orphaned behind a dead parent
    sys.stdout.flush()
    os.chdir(APP.parent)
    os.execve(sys.executable, cmd, env)


def run(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    if not db.exists():
        print(
            f"territoires serve: {db}: no warehouse here; build one with "
            "`territoires demo` or `territoires import`",
            file=sys.stderr,
        )
        return 2
    return serve(db, args.port, args.address)
