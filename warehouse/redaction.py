"""Rewriting stored pages without a person or a post: the raw pages in the warehouse
(:func:`rewrite_pages`) and the spool files beside it (:func:`redact_spool`).

A page is rewritten without the target's objects (tweets they wrote in ``data`` and
``includes.tweets``, their user object in ``includes.users`` or ``data``, mention entities
naming them, partial errors naming them), keeping its ``page_id``, so that re-importing the
original file does not bring them back (the page is already there). Used by erasure
(:mod:`warehouse.forget`) and by retention (:mod:`warehouse.retention`: old posts in recent
pages).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import duckdb
import orjson

from warehouse import raw_files
from warehouse.spool_format import (
    dump_envelope,
    is_rejected,
    load_envelope,
    reason_path,
    spool_dir,
    stored_files,
    write_atomic,
)


@dataclass
class Target:
    """Who or what to erase on one platform."""

    platform: str
    user_ids: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)  # lower case
    post_ids: set[str] = field(default_factory=set)  # to erase (filled from the warehouse too)

    def needles(self) -> list[str]:
        return sorted(self.user_ids | self.handles | self.post_ids)


# -- rewriting one page (pure functions, also used on spool files) ----------------------------


def _s(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _tweet_hit(t: Any, target: Target) -> bool:
    if not isinstance(t, dict):
        return False
    if _s(t.get("id")) in target.post_ids or _s(t.get("author_id")) in target.user_ids:
        return True
    refs = t.get("referenced_tweets")
    if isinstance(refs, list):
        for r in refs:
            if isinstance(r, dict) and r.get("type") == "retweeted" and _s(r.get("id")) in target.post_ids:  # noqa: E501
                return True
    return False


def _user_hit(u: Any, target: Target) -> bool:
    if not isinstance(u, dict):
        return False
    name = u.get("username")
    return _s(u.get("id")) in target.user_ids or (
        isinstance(name, str) and name.lower() in target.handles
    )


def _scrub_tweet(t: Any, target: Target) -> Any:
    """A tweet without the mention entities that name the target."""
    if not isinstance(t, dict) or not (target.user_ids or target.handles):
        return t
    ent = t.get("entities")
    if not isinstance(ent, dict) or not isinstance(ent.get("mentions"), list):
        return t
    kept = [m for m in ent["mentions"] if not _user_hit(m, target)]
    if len(kept) == len(ent["mentions"]):
        return t
    return {**t, "entities": {**ent, "mentions": kept}}


def _filter(items: Any, hit: Any, target: Target, scrub: bool) -> Any:
    if isinstance(items, dict):
        return None if hit(items, target) else (_scrub_tweet(items, target) if scrub else items)
    if not isinstance(items, list):
        return items
    out = [i for i in items if not hit(i, target)]
    return [_scrub_tweet(i, target) for i in out] if scrub else out


def redact_document(doc: Any, target: Target) -> Any:
    """The X API v2 page ``doc`` without the target's objects (a new object; may be equal)."""
    if not isinstance(doc, dict):
        return doc
    # posts of the target found in this page also count: their reposts go too
    for t in _tweets_of(doc):
        if isinstance(t, dict) and _s(t.get("author_id")) in target.user_ids and _s(t.get("id")):
            target.post_ids.add(str(t["id"]))
    out = dict(doc)
    data = doc.get("data")
    first = data[0] if isinstance(data, list) and data else data
    is_users = isinstance(first, dict) and "username" in first and "text" not in first
    if data is not None:
        new = _filter(data, _user_hit if is_users else _tweet_hit, target, scrub=not is_users)
        if new is None:
            out.pop("data")
        else:
            out["data"] = new
    inc = doc.get("includes")
    if isinstance(inc, dict):
        inc = dict(inc)
        if "tweets" in inc:
            inc["tweets"] = _filter(inc["tweets"], _tweet_hit, target, scrub=True)
        if "users" in inc:
            inc["users"] = _filter(inc["users"], _user_hit, target, scrub=False)
        out["includes"] = inc
    errs = doc.get("errors")
    if isinstance(errs, list):
        names = target.user_ids | target.handles | target.post_ids
        out["errors"] = [
            e for e in errs
            if not (isinstance(e, dict) and (
                _s(e.get("resource_id")) in names or str(_s(e.get("value")) or "").lower() in names
            ))
        ]
    return out


def _tweets_of(doc: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    data = doc.get("data")
    found += data if isinstance(data, list) else [data]
    inc = doc.get("includes")
    if isinstance(inc, dict) and isinstance(inc.get("tweets"), list):
        found += inc["tweets"]
    return found


def redact_text(text: str, target: Target) -> str | None:
    """``text`` (one JSON page) rewritten without the target, or None if unchanged."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    new = redact_document(doc, target)
    if new == doc:
        return None
    return orjson.dumps(new).decode()


# -- the raw layer ---------------------------------------------------------------------------


def rewrite_pages(con: duckdb.DuckDBPyConnection, target: Target) -> int:
    """Rewrite every raw page that holds ``target`` without it, keeping its ``page_id`` (so
    re-importing the original file does not bring it back); returns how many. Used by
    erasure and by retention (:mod:`warehouse.retention`: old posts in recent pages)."""
    p = target.platform
    needles = target.needles()
    if not needles:
        return 0
    pages = raw_files.pages_sql(con, "platform = $platform", {"platform": p})
    candidates = con.execute(
        f"""
        SELECT page_id, body, canonical FROM {pages}
        WHERE len(list_filter($needles::VARCHAR[], lambda n: contains(
                  lower(coalesce(canonical, '') || body), lower(n)))) > 0
        """,  # noqa: S608
        {"platform": p, "needles": needles},
    ).fetchall()
    new: dict[str, tuple[str, str | None]] = {}
    for page_id, body, canonical in candidates:
        new_canonical = redact_text(canonical, target) if canonical else None
        new_body = redact_text(body, target) if p == "x" else None
        if canonical and new_canonical is not None and p != "x":
            new_body = new_canonical  # a foreign payload: keep only the redacted X-shaped copy
        if new_body is None and new_canonical is None:
            continue
        new[page_id] = (new_body or body, new_canonical or canonical)
    # each file holding one is replaced by a file without it (warehouse/raw_files.py)
    return raw_files.replace_pages(con, new)


# -- the spool -------------------------------------------------------------------------------


_TMP_TAG = "erasure.tmp"  # this writer's temporaries (warehouse/spool_format.py)


def redact_spool(db: str | os.PathLike[str], targets: list[Target]) -> int:
    """Rewrite the spool files (``<db>.spool/``) that hold a target; return how many.

    A spool file is a JSON envelope whose ``body`` (and ``canonical``, for other platforms)
    is the page; both are redacted like raw pages. A rejected body (``rejected/*.body``)
    that names a target is redacted if it is JSON, deleted with its reason otherwise.
    Call it holding the writer lock (no loader is landing these files meanwhile).
    """
    if not spool_dir(db).is_dir() or not targets:
        return 0
    needles = [n.lower().encode() for t in targets for n in t.needles()]
    changed = 0
    for path in stored_files(db):
        raw = path.read_bytes()
        low = raw.lower()
        if not any(n in low for n in needles):
            continue
        text = raw.decode("utf-8", "replace")
        if is_rejected(path):
            new = text
            for t in targets:
                new = redact_text(new, t) or new
            if new == text:
                path.unlink()
                reason_path(path).unlink(missing_ok=True)
            else:
                write_atomic(path, new.encode("utf-8"), tag=_TMP_TAG)
            changed += 1
            continue
        try:
            envelope = load_envelope(raw)
        except ValueError:
            continue
        if not isinstance(envelope, dict):
            continue
        before = dict(envelope)
        for t in targets:
            if t.platform != envelope.get("platform", t.platform):
                continue
            for key in ("body", "canonical"):
                if isinstance(envelope.get(key), str):
                    envelope[key] = redact_text(envelope[key], t) or envelope[key]
            if envelope.get("platform") != "x" and envelope.get("canonical") != before.get(
                "canonical"
            ):
                envelope["body"] = envelope["canonical"]  # a foreign payload: keep the copy
        if envelope != before:
            write_atomic(path, dump_envelope(envelope), tag=_TMP_TAG)
            changed += 1
    return changed
