"""The headline metrics computed with pandas in memory, as a notebook user would.

Read the JSONL pages with ``json``, keep the fields needed in columns, build DataFrames,
then compute with pandas (the definitions of docs/metrics.md): interpellations, the response rate,
the median and 90th percentile of the response time, relays and relays per local account.
Run as a child process (``python -m bench.notebook IN.jsonl SINCE UNTIL AS_OF``) so its
peak memory is its own; prints one JSON object: the figures, ``read_s`` (reading and
building the frames) and ``compute_s`` (the metric cells, what a rerun costs).
"""

from __future__ import annotations

import json
import re
import sys
import time
import unicodedata
from datetime import date, datetime
from typing import Any

import pandas as pd

from territoires.example import demo_territory
from warehouse.metrics_base import window_utc

COLUMNS = ("id", "author_id", "created_at", "conversation_id", "in_reply_to_user_id",
           "replied_to", "reposted", "quoted", "mentions", "domains", "in_data")


def _host(url: str) -> str:
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#@]+)", url or "")
    return m.group(1).lower().removeprefix("www.") if m else ""


def read(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posts (``data`` and ``includes.tweets``) and users (last copy wins) of every page."""
    cols: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    users: dict[str, dict[str, Any]] = {}

    def add(t: dict[str, Any], in_data: bool) -> None:
        refs = {r["type"]: r["id"] for r in t.get("referenced_tweets", ())}
        ent = t.get("entities", {})
        cols["id"].append(t["id"])
        cols["author_id"].append(t.get("author_id"))
        cols["created_at"].append(t.get("created_at"))
        cols["conversation_id"].append(t.get("conversation_id"))
        cols["in_reply_to_user_id"].append(t.get("in_reply_to_user_id"))
        cols["replied_to"].append(refs.get("replied_to"))
        cols["reposted"].append(refs.get("retweeted"))
        cols["quoted"].append(refs.get("quoted"))
        cols["mentions"].append([m.get("id") or m.get("username", "").lower()
                                 for m in ent.get("mentions", ())])
        cols["domains"].append([_host(u.get("unwound_url") or u.get("expanded_url")
                                      or u.get("url", "")) for u in ent.get("urls", ())])
        cols["in_data"].append(in_data)

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            page = json.loads(line)
            data = page.get("data", [])
            inc = page.get("includes", {})
            for item in data:
                if "text" in item:
                    add(item, True)
                elif "username" in item:
                    users[item["id"]] = item
            for t in inc.get("tweets", ()):
                add(t, False)
            for u in inc.get("users", ()):
                users[u["id"]] = u
    posts = pd.DataFrame(cols)
    posts["created_at"] = pd.to_datetime(posts["created_at"], utc=True).dt.tz_localize(None)
    posts = posts.sort_values("in_data", ascending=False).drop_duplicates("id")
    udf = pd.DataFrame.from_records(
        [(u["id"], u.get("username", ""), u.get("location") or "", u.get("description") or "")
         for u in users.values()], columns=["id", "username", "location", "description"])
    return posts, udf


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s.lower())
                   if not unicodedata.combining(c))


def compute(posts: pd.DataFrame, users: pd.DataFrame, since: date, until: date,
            as_of: datetime) -> dict[str, Any]:
    terr = demo_territory()
    t0, t1 = window_utc(terr, since, until)
    handles = {a.handle.lower() for a in terr.accounts if a.platform == "x"}
    city = set(users.loc[users["username"].str.lower().isin(handles), "id"])
    city_keys = city | handles
    data = posts[posts["in_data"]]
    win = data[(data["created_at"] >= t0) & (data["created_at"] < t1)]

    # interpellations and their first answer
    not_city = ~win["author_id"].isin(city)
    not_rt = win["reposted"].isna()
    to_city = win["in_reply_to_user_id"].isin(city)
    fresh = win["replied_to"].isna() & win["in_reply_to_user_id"].isna()
    mentions_city = win["mentions"].map(lambda ms: any(m in city_keys for m in ms))
    inter = win[not_rt & not_city & (to_city | (fresh & mentions_city))]
    answers = data[data["author_id"].isin(city) & (data["created_at"] <= as_of)][
        ["conversation_id", "in_reply_to_user_id", "created_at"]]
    pairs = inter[["id", "conversation_id", "author_id", "created_at"]].merge(
        answers, left_on=["conversation_id", "author_id"],
        right_on=["conversation_id", "in_reply_to_user_id"], suffixes=("", "_r"))
    pairs = pairs[pairs["created_at_r"] > pairs["created_at"]]
    first = pairs.groupby("id")["created_at_r"].min()
    delays = (first - inter.set_index("id").loc[first.index, "created_at"]).dt.total_seconds() / 60
    n = len(inter)

    # relays and local accounts
    author_of = posts.set_index("id")["author_id"]
    doms = [d.lower() for d in terr.city_domains]
    cand = win[not_city & win["replied_to"].isna() & win["in_reply_to_user_id"].isna()]
    repost = cand["reposted"].map(author_of).isin(city)
    quote = cand["quoted"].map(author_of).isin(city)
    link = cand["domains"].map(lambda ds: any(d == c or d.endswith("." + c)
                                              for d in ds for c in doms))
    rel = cand[repost | quote | link]
    terms = sorted({_fold(t) for t in terr.locality_terms}, key=len, reverse=True)
    pat = re.compile(r"(?:^|[^\w]|_)(?:" + "|".join(map(re.escape, terms)) + r")(?:[^\w]|_|$)")
    folded = (users["location"] + "\n" + users["description"]).map(_fold)
    uname = users["username"].str.lower()
    listed = {h.lower() for h in terr.local_accounts}
    excluded = {h.lower() for h in terr.exclude_accounts}
    is_local = ((folded.map(lambda s: bool(pat.search(s))) | uname.isin(listed))
                & ~uname.isin(excluded) & ~users["id"].isin(city) & ~uname.isin(handles))
    local_ids = set(users.loc[is_local, "id"])
    local_rel = rel[rel["author_id"].isin(local_ids)]
    tweetos = local_rel["author_id"].nunique()
    return {
        "interpellations": n,
        "answered": int(len(first)),
        "response_rate": round(len(first) / n, 4) if n else None,
        "median_response_minutes": round(float(delays.quantile(0.5)), 2) if len(first) else None,
        "p90_response_minutes": round(float(delays.quantile(0.9)), 2) if len(first) else None,
        "relays": int(len(rel)),
        "local_relays": int(len(local_rel)),
        "local_tweetos": int(tweetos),
        "relays_per_local_account": round(len(local_rel) / tweetos, 4) if tweetos else None,
    }


def main(argv: list[str]) -> int:
    path, since, until, as_of = argv
    t = time.perf_counter()
    posts, users = read(path)
    read_s = time.perf_counter() - t
    t = time.perf_counter()
    figures = compute(posts, users, date.fromisoformat(since), date.fromisoformat(until),
                      datetime.fromisoformat(as_of))
    compute_s = time.perf_counter() - t
    print(json.dumps({"read_s": read_s, "compute_s": compute_s, "posts": len(posts),
                      "figures": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
