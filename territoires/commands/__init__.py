"""One module per ``territoires`` command; shared argument helpers."""

from __future__ import annotations

import argparse


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="warehouse file (default: $TERRITOIRES_DB, then ./territoires.duckdb)",
    )


def add_config_argument(parser: argparse.ArgumentParser, many: bool = False) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        required=True,
        nargs="+" if many else None,
        help="territory configuration file (TOML)" + (", one or more" if many else ""),
    )
