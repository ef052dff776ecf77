"""Tables for the terminal and the growth per tenfold, from the benchmark's result dicts."""

from __future__ import annotations

import math
from typing import Any

MB = 1024 * 1024


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if unit == "s":
            return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"
        if unit == "x":
            return f"{v:.2f}×"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def loading_table(size: dict[str, Any]) -> str:
    if not size.get("loading"):
        return "loading: not run (--queries-only: the warehouse of an earlier run)"
    rows = []
    for name in ("floor", "ours", "peer"):
        c = size["loading"].get(name)
        if not c:
            continue
        rows.append([name, _fmt(c["seconds"], "s"), _fmt(c["posts_per_s"]),
                     f"{c['peak_rss'] / MB:,.0f} MB", _fmt(c.get("rows")), c.get("note", "")])
    r = size["loading"]["ratios"]
    text = table(["loading", "time", "posts/s", "peak RSS", "rows", "note"], rows)
    text += (f"\nours ÷ floor time: {_fmt(r.get('ours_over_floor'), 'x')} (target ≤ 2×)"
             f"   peer ÷ ours time: {_fmt(r.get('peer_over_ours'), 'x')} (target ≥ 20×)")
    return text


def pages_table(size: dict[str, Any]) -> str:
    rows = [[p["page"], str(p["calls"]), _fmt(p["first_s"], "s"), _fmt(p["uncached_s"], "s"),
             _fmt(p["cached_s"], "s"), f"{p['slowest']} {_fmt(p['slowest_s'], 's')}"]
            for p in size["pages"]]
    return table(["page", "queries", "uncached (1st)", "uncached (median)", "cached",
                  "slowest query"], rows)


def pandas_table(size: dict[str, Any]) -> str:
    nb = size.get("pandas")
    if not nb:
        return "pandas: not run at this size"
    h = size["headline"]
    keys = ("response_rate", "median_response_minutes", "p90_response_minutes",
            "relays_per_local_account")
    rows = [[k, _fmt(h["figures"].get(k)), _fmt(nb["figures"].get(k))] for k in keys]
    text = table(["metric", "Territoires", "pandas"], rows)
    text += (f"\nheadline query {_fmt(h['seconds'], 's')} vs pandas compute "
             f"{_fmt(nb['compute_s'], 's')} (read {_fmt(nb['read_s'], 's')}, peak "
             f"{nb['peak_rss'] / MB:,.0f} MB): pandas ÷ ours {_fmt(nb['ratio_compute'], 'x')} "
             f"(target ≥ 10×); read+compute ÷ (load+query) {_fmt(nb['ratio_end_to_end'], 'x')}")
    return text


def figures(size: dict[str, Any]) -> dict[str, float]:
    """Flat name → value of the figures whose growth is reported."""
    out: dict[str, float] = {}
    for name, c in (size.get("loading") or {}).items():
        if name != "ratios" and c and "seconds" in c:  # a contender skipped at this size
            out[f"load {name} s"] = c["seconds"]
            out[f"load {name} peak MB"] = c["peak_rss"] / MB
    for p in size["pages"]:
        out[f"page {p['page']} uncached s"] = p["uncached_s"]
        out[f"page {p['page']} cached s"] = p["cached_s"]
    out["headline query s"] = size["headline"]["seconds"]
    if size.get("pandas"):
        out["pandas compute s"] = size["pandas"]["compute_s"]
        out["pandas read s"] = size["pandas"]["read_s"]
        out["pandas peak MB"] = size["pandas"]["peak_rss"] / MB
    return out


def growth(sizes: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """figure → {"100000→1000000": factor per tenfold, …} over consecutive sizes."""
    sizes = sorted(sizes, key=lambda s: s["posts"])
    out: dict[str, dict[str, float]] = {}
    for a, b in zip(sizes, sizes[1:], strict=False):
        fa, fb = figures(a), figures(b)
        decades = math.log10(b["posts"] / a["posts"])
        if decades <= 0:
            continue
        for k in fa.keys() & fb.keys():
            if fa[k] > 0:
                out.setdefault(k, {})[f"{a['posts']}→{b['posts']}"] = (fb[k] / fa[k]) ** (
                    1 / decades)
    return out


def growth_table(g: dict[str, dict[str, float]]) -> str:
    spans = sorted({s for v in g.values() for s in v}, key=lambda s: int(s.split("→")[0]))
    rows = [[k, *(_fmt(v.get(s), "x") for s in spans)] for k, v in sorted(g.items())]
    return table(["figure (× per tenfold)", *spans], rows)
