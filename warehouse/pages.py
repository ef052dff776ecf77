"""Raw pages: one API response page, kept exactly as it came, with where and when it came from.

:func:`prepare_page` checks a page's text and classifies it; it raises :class:`PageError`
with a plain reason for anything the loader cannot take, so callers can report the file
and line (or URL) and go on with the next page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import orjson

# X API v2 page kinds the loader understands; anything else is kept raw as "other".
KINDS = ("tweets", "users", "counts", "compliance", "errors", "empty", "other")


# The dates a post can sanely carry (docs/metrics.md): none before 2006 (X opened that year,
# the other platforms later), none more than a day after the page that holds it was fetched
# (a day of slack for clocks). The loader drops and reports the others
# (:mod:`warehouse.load`): a post dated 9999-12-31 or 0001-01-01 reached the service-hours
# calendar and made every later import, rebuild, purge and metrics fail.
EARLIEST_POST = datetime(2006, 1, 1)
FUTURE_SLACK = timedelta(days=1)


class PageError(ValueError):
    """A page that cannot be loaded: not JSON, not a JSON object, or not UTF-8."""


@dataclass(frozen=True)
class RawPage:
    body: str  # the page exactly as it came
    territory: str
    platform: str = "x"
    source: str = "import"
    endpoint: str | None = None
    query: str | None = None
    origin: str | None = None  # file:line or URL
    fetched_at: datetime | None = None  # UTC; defaults to now
    kind: str = "other"
    canonical: str | None = None  # X-v2-shaped copy the loader reads instead of body

    @cached_property  # hashed once (a page of 100 posts is about 110 kB)
    def page_id(self) -> str:
        return _page_id(self.platform, self.territory,
                        self.body.encode("utf-8", "surrogatepass"))


def _page_id(platform: str, territory: str, body: bytes) -> str:
    """A page's id: the hash of its platform, territory and UTF-8 text."""
    h = hashlib.sha1(f"{platform}\x1f{territory}\x1f".encode())
    h.update(body)
    return h.hexdigest()


def classify(doc: dict[str, Any]) -> str:
    """The kind of an X API v2 page (see :data:`KINDS`)."""
    data = doc.get("data")
    if isinstance(data, dict):
        data = [data]
    if isinstance(data, list) and data:
        first = next((d for d in data if isinstance(d, dict)), {})
        if "text" in first:
            return "tweets"
        if "username" in first:
            return "users"
        if "tweet_count" in first and "start" in first:
            return "counts"
        return "other"
    if "action" in doc and "id" in doc:
        return "compliance"
    if doc.get("errors"):
        return "errors"
    if "meta" in doc or data == []:
        return "empty"
    return "other"


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def prepare_page(
    raw: bytes | str,
    *,
    territory: str,
    platform: str = "x",
    source: str = "import",
    endpoint: str | None = None,
    query: str | None = None,
    origin: str | None = None,
    fetched_at: datetime | None = None,
) -> RawPage:
    """Validate one page's text and return it as a :class:`RawPage` ready to load."""
    body: bytes | None = None  # the text's UTF-8 bytes, when they are at hand
    if isinstance(raw, bytes):
        body = raw.strip()
        try:  # stripped as bytes first: stripping the decoded text copies it again
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PageError(f"not UTF-8 text (byte {e.start})") from None
    else:
        text = raw
    if text[:1].isspace() or text[-1:].isspace():  # strip copies the text: only when needed
        text, body = text.strip(), None
    if not text:
        raise PageError("empty line (expected one JSON object)")
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise PageError(f"not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise PageError(f"expected a JSON object (an API page), got a JSON {type(doc).__name__}")
    kind = classify(doc)
    canonical = None
    if isinstance(doc.get("data"), dict) and kind in ("tweets", "users"):
        # single-object responses (GET /2/tweets/:id, streams): the loader reads a list
        canonical = orjson.dumps({**doc, "data": [doc["data"]]}).decode()
    meta = doc.get("__twarc")
    if isinstance(meta, dict):  # twarc2 records where and when it fetched the page
        fetched_at = fetched_at or _parse_instant(meta.get("retrieved_at"))
        url = meta.get("url")
        if isinstance(url, str) and endpoint is None:
            path, _, q = url.partition("?")
            endpoint = path.split("api.twitter.com", 1)[-1] or path
            query = query or q or None
    page = RawPage(
        body=text,
        territory=territory,
        platform=platform,
        source=source,
        endpoint=endpoint,
        query=query,
        origin=origin,
        fetched_at=fetched_at or datetime.now(UTC).replace(tzinfo=None),
        kind=kind,
        canonical=canonical,
    )
    if body is not None:
        # the id hashed from the bytes read, which are the text's UTF-8: encoding the text
        # again took four times as long as hashing it (4.4 s for the 1.2 GB of 1M posts),
        # on the thread that loads. The cached property's own slot, set once here.
        page.__dict__["page_id"] = _page_id(platform, territory, body)
    return page
