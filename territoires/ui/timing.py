"""Server time of each dashboard page, uncached and cached: ``python -m territoires.ui.timing``.

Runs ``app.py`` in-process with Streamlit's AppTest (the same script run the server does,
without the browser) on a warehouse, for every page: once after clearing ``st.cache_data``
(the first render after a new snapshot) and then again (a cached rerun). Prints one line
per page; a timing script, not a test.

    uv run python -m territoires.ui.timing --db /tmp/demo1m.duckdb [--from D --to D] [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from territoires import resources
from territoires.ui.shell import PAGES

ROOT = resources.root()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--from", dest="since")
    ap.add_argument("--to", dest="until")
    ap.add_argument("--runs", type=int, default=3, help="cached reruns per page (median)")
    ap.add_argument("--pages", nargs="*", help="only these pages (file names under views/)")
    ap.add_argument("--calls", action="store_true",
                    help="also print each uncached query call and its time")
    args = ap.parse_args()
    if args.calls:
        logging.basicConfig(format="    %(message)s")
        logging.getLogger("territoires.ui").setLevel(logging.DEBUG)
    os.environ["TERRITOIRES_DB"] = str(Path(args.db).resolve())

    params = {k: v for k, v in (("from", args.since), ("to", args.until)) if v}

    def app() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        for k, v in params.items():
            at.query_params[k] = v
        return at

    warm = app()
    warm.run()  # imports, territory list, as-of: not part of any page's time
    st.cache_data.clear()
    print(f"{'page':16s} {'uncached s':>10s} {'cached s':>9s}  errors")
    for path, *_ in PAGES:
        if args.pages and Path(path).name not in args.pages and Path(path).stem not in args.pages:
            continue
        at = app()
        at.run()  # the home page first (as a browser would), then the page, cache cleared
        st.cache_data.clear()
        at.switch_page(path)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        again = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            at.run()
            again.append(time.perf_counter() - t0)
        errors = len(at.exception) + len(at.error)
        print(f"{Path(path).stem:16s} {first:10.2f} {statistics.median(again):9.2f}  {errors}",
              flush=True)


if __name__ == "__main__":
    main()
