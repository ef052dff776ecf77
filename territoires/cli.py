"""The ``territoires`` command line (README, "Using it"; docs/design.md §12).

Each command lives in its own module under :mod:`territoires.commands` and exposes
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Expected failures (a bad
config, a busy warehouse, a bad argument) print one plain line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from model import ConfigError
from model.settings import SettingError
from territoires.errors import UsageError  # noqa: F401  (re-exported for commands)
from warehouse.db import (
    NotAWarehouse,
    RebuildPending,
    WarehouseBusy,
    check_warehouse_path,
    db_path,
)
from warehouse.txn import DiskFull

# command name -> module in territoires.commands
COMMANDS = {
    "demo": "demo",
    "serve": "serve",
    "import": "import_pages",
    "rebuild": "rebuild",
    "metrics": "metrics",
    "export": "export",
    "barometre": "barometre",
    "queue": "queue",
    "triage": "triage",
    "collect": "collect",
    "purge": "purge",
    "forget": "forget",
    "report": "report",
    "share": "share",
    "alert": "alert",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="territoires",
        description="Territoires: community-management dashboard for French local governments.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"territoires.commands.{module_name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if "db" in vars(args):  # every command that reads or writes a warehouse
            check_warehouse_path(db_path(args.db))
        return int(args.run(args) or 0)
    except (ConfigError, UsageError, NotAWarehouse, SettingError) as e:
        print(f"territoires {args.command}: {e}", file=sys.stderr)
        return 2
    except WarehouseBusy as e:
        print(f"territoires {args.command}: {e}", file=sys.stderr)
        return 75
    except RebuildPending as e:  # what landed is kept; the last snapshot stays published
        print(f"territoires {args.command}: {e}", file=sys.stderr)
        return 1
    except DiskFull as e:  # a full disk: its cause, not DuckDB's "cannot rollback"
        print(f"territoires {args.command}: {e}", file=sys.stderr)
        return 74
    except KeyboardInterrupt:
        print(f"territoires {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
