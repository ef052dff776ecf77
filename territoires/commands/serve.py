"""``territoires serve``: the dashboard (Streamlit) on an existing warehouse.

Sign-in (docs/deploying.md, "Sign-in and roles") is on when Streamlit's secrets have an
``[auth]`` section: ``$TERRITOIRES_SECRETS`` (passed to Streamlit), else Streamlit's own
places. Without it, the server listens on the loopback only: an ``--address`` beyond it is
refused unless ``--listen-without-sign-in`` says so (a reverse proxy that authenticates, on
another machine). ``$TERRITOIRES_USER_HEADER`` alone does not count: anyone reaching the
port directly could send that header.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import tomllib
from pathlib import Path

from model import settings
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
    parser.add_argument(
        "--listen-without-sign-in", action="store_true",
        help="listen beyond the loopback although sign-in is off (no [auth] in the secrets): "
             "only behind a reverse proxy that authenticates (docs/deploying.md)",
    )


def secrets_files() -> list[Path]:
    """Where Streamlit will read its secrets: ``$TERRITOIRES_SECRETS``, else its defaults."""
    chosen = settings.SECRETS.get()
    if chosen:
        return [Path(chosen)]
    return [Path.home() / ".streamlit" / "secrets.toml", APP.parent / ".streamlit" / "secrets.toml"]


def sign_in_configured(files: list[Path]) -> bool:
    """Any of ``files`` has an ``[auth]`` table (Streamlit then checks its keys itself)."""
    for f in files:
        try:
            if isinstance(tomllib.loads(f.read_text(encoding="utf-8")).get("auth"), dict):
                return True
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
    return False


def loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


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


def serve(db: Path, port: int, address: str = "127.0.0.1", *,
          without_sign_in: bool = False) -> int:
    files = secrets_files()
    signed = sign_in_configured(files)
    if not signed and not loopback(address) and not without_sign_in:
        print(f"territoires serve: refusing to listen on {address} without sign-in: anyone "
              "who reaches this port would see the dashboard. Configure sign-in ([auth] in "
              "$TERRITOIRES_SECRETS, docs/deploying.md), or listen on 127.0.0.1 behind a "
              "reverse proxy, or say --listen-without-sign-in if a proxy in front "
              "authenticates.", file=sys.stderr)
        return 2
    ensure_snapshot(db)
    env = {**os.environ, **share_env(db), "TERRITOIRES_DB": str(db.resolve())}
    print(f"Territoires: http://localhost:{port}  (warehouse {db}; Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    if settings.SECRETS.get():
        cmd += ["--secrets.files", str(files[0].resolve())]
    print(f"Sign-in: {'on' if signed else 'off'}", flush=True)
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
    return serve(db, args.port, args.address,
                 without_sign_in=args.listen_without_sign_in)
