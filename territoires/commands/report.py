"""``territoires report``: the weekly review as a PDF or PNG file, for the minutes.

The same content as the dashboard's "Revue de la semaine" page (``territoires.report``),
drawn without a browser window: the charts go through kaleido and Debian's Chromium
(``BROWSER_PATH=/usr/bin/chromium`` or ``chromium`` on ``PATH``). The week is an ISO week
(``2026-W47``: Monday to Sunday in the territory's time zone); it defaults to the last
complete week. The figures are judged at the data's last collection, at most 7 days after
the week (then they are final and the file is the same on every run). A week without any
post is not drawn unless ``--allow-empty`` says so: exit status 1 and one line instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from territoires import report_render, share
from territoires.commands import add_config_argument, add_db_argument
from territoires.config import load_config
from territoires.errors import UsageError
from territoires.privacy import Pseudonymizer, profiles_from_frame
from territoires.report import IsoWeek, build_review, review_as_of, review_doc
from territoires.text import i18n
from warehouse.db import db_path, snapshot_path
from warehouse.metrics import has_territory
from warehouse.page_collection import data_as_of
from warehouse.read import reader_cursor

HELP = "write the weekly review of an ISO week to a PDF or PNG file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    add_db_argument(parser)
    parser.add_argument("--week", metavar="YYYY-Www",
                        help="ISO week, e.g. 2026-W47 (default: the last complete week)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="output file; .pdf or .png decides the format")
    parser.add_argument("--lang", choices=i18n.LANGS, default="fr", help="default: fr")
    parser.add_argument(
        "--allow-empty", action="store_true",
        help="write the file even when the week holds no post (by default: a warning, no "
             "file, exit status 1)",
    )
    parser.add_argument(
        "--pseudonymize", action="store_true",
        help="apply the privacy rules of shared views (aliases for private people; needs "
             "$TERRITOIRES_SHARE_SECRET or <db>.share-secret), for minutes sent outside the team",
    )


def _data_as_of(cur: object, slug: str) -> datetime | None:
    return dict(data_as_of(cur)).get(slug)  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise UsageError(f"--out: the file name must end in .pdf or .png, got {args.out!r}")
    territory = load_config(args.config)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        week = (IsoWeek.parse(args.week) if args.week else
                IsoWeek.last_complete(datetime.now(ZoneInfo(territory.timezone)).date()))
    except ValueError as e:
        raise UsageError(f"--week: {e}") from None
    db = db_path(args.db)
    secret = b""
    if args.pseudonymize:
        try:
            secret = share.secret_for(db)
        except share.ShareError as e:
            raise UsageError(f"--pseudonymize: {e}") from None
    if not db.exists() and not snapshot_path(db).exists():
        raise UsageError(f"{db}: no warehouse here (build one with `territoires import` or `demo`)")
    i18n.set_lang(args.lang)
    started = time.perf_counter()
    cur = reader_cursor(db)
    try:
        if not has_territory(cur, territory.slug):
            raise UsageError(f"{db}: no data for territory {territory.slug!r}")
        fetched = _data_as_of(cur, territory.slug)
        freshness = fetched or now
        as_of = review_as_of(territory, week.until, min(freshness, now))
        review = build_review(cur, territory, week.monday, week.until, as_of)
    finally:
        cur.close()
    if not review.current.get("posts_total"):
        last = f"last collection {fetched:%Y-%m-%d %H:%M} UTC" if fetched else "no collection"
        print(f"territoires report: {week}: no post of {territory.name} that week ({last})"
              + ("; writing an empty review as asked" if args.allow_empty else
                 f"; no file written (add --allow-empty to write {out} anyway)"),
              file=sys.stderr)
        if not args.allow_empty:
            return 1
    pseudo = Pseudonymizer(territory, profiles_from_frame(review.profiles), secret,
                           enabled=args.pseudonymize, lang=args.lang)
    doc = review_doc(review, pseudo)
    built = time.perf_counter()
    try:
        data = report_render.render(doc, fmt)
    except report_render.RenderError as e:
        print(f"territoires report: {e}", file=sys.stderr)
        return 2
    finally:
        report_render.stop_charts()
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    print(f"{out}: weekly review {week} of {territory.name} ({len(data) // 1024} KiB; data "
          f"{built - started:.1f} s, drawing {time.perf_counter() - built:.1f} s)",
          file=sys.stderr)
    return 0
