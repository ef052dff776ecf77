"""The X API v2 endpoints Territoires reads, one documented function each, via tweepy.

tweepy's real :class:`tweepy.Client` does the HTTP; this module adds what it lacks:

* routing to ``$TERRITOIRES_X_API_URL`` and a timeout on every request
  (:mod:`collectors.routing`, an adapter on ``client.session``);
* retries with caps (:mod:`collectors.faults`); tweepy's ``wait_on_rate_limit`` is left
  off: it has no cap and, without a reset header, retries in a tight loop;
* each page is returned whole, **as the bytes came** (``return_type=requests.Response``),
  wrapped in a :class:`Page` (a ``dict`` for :class:`tweepy.Paginator`, plus ``body``);
* the bearer token is redacted from tweepy's debug log (which prints request headers).

Fields and expansions are the ones the metrics need (docs/metrics.md) and no more, because
every object returned is billed: posts with author, creation time, conversation, reply
target, references, entities (mentions, hashtags, links), public metrics; the referenced
posts (``referenced_tweets.id``: to tell a repost or quote of the city) and the authors
(``author_id``: followers for reach, location and bio for locality).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import inf
from typing import Any

import orjson
import requests
import tweepy

from collectors.faults import (
    CollectError,
    Fault,
    RetryPolicy,
    call_with_retries,
    classify_connection_error,
    explain_denial,
)
from collectors.redact import register
from collectors.routing import route_session
from model import settings

TWEET_FIELDS = [
    "author_id",
    "created_at",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "public_metrics",
    "lang",
    "edit_history_tweet_ids",
    "withheld",
]
TWEET_EXPANSIONS = ["author_id", "referenced_tweets.id"]
USER_FIELDS = [
    "name",
    "username",
    "description",
    "location",
    "public_metrics",
    "verified",
    "verified_type",
    "created_at",
]
MAX_RESULTS = 100  # the most each of these endpoints allows per page
TOKEN_ENV = ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN")
PAID_ACCESS = "X API Basic access or higher, or pay-per-use credits"


@dataclass(frozen=True)
class Endpoint:
    path: str  # as X documents it
    what: str  # what Territoires reads there, in plain words
    method: str  # the tweepy.Client method
    needs: str = PAID_ACCESS


USERS_BY = Endpoint("/2/users/by", "looking up the city accounts by handle", "get_users")
MENTIONS = Endpoint(
    "/2/users/:id/mentions", "posts mentioning a city account", "get_users_mentions"
)
USER_TWEETS = Endpoint("/2/users/:id/tweets", "a city account's own posts", "get_users_tweets")
SEARCH_RECENT = Endpoint(
    "/2/tweets/search/recent",
    "recent search: hashtags, keywords, links and relays of the last 7 days",
    "search_recent_tweets",
)
ENDPOINTS = (USERS_BY, MENTIONS, USER_TWEETS, SEARCH_RECENT)


class MalformedPage(CollectError):
    """A 200 whose body is not a JSON object; the body was kept aside."""

    scope = "query"


class Page(dict):  # type: ignore[type-arg]
    """One response page: the parsed JSON (a dict, as tweepy's Paginator expects) plus
    ``body``, the exact text received, and ``url``, where it came from."""

    body: str
    url: str
    endpoint: Endpoint

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.get("meta")
        return meta if isinstance(meta, dict) else {}

    @property
    def newest_id(self) -> str | None:
        return self.meta.get("newest_id")

    @property
    def next_token(self) -> str | None:
        return self.meta.get("next_token")


def bearer_token(environ: dict[str, str] | None = None) -> str | None:
    """The bearer token from ``$X_BEARER_TOKEN`` (or ``$TWITTER_BEARER_TOKEN``)."""
    return (settings.X_BEARER_TOKEN.get(environ)
            or settings.TWITTER_BEARER_TOKEN.get(environ))


class _Redact(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg = message.replace(self.secret, "[redacted]")
            record.args = ()
        return True


def classify(exc: BaseException) -> Fault | None:
    """tweepy and requests exceptions as :class:`~collectors.faults.Fault`\\ s."""
    if isinstance(exc, tweepy.HTTPException):
        resp = exc.response
        status = getattr(resp, "status_code", None)
        try:
            body = resp.json()
        except Exception:
            body = None
        detail = "; ".join(str(m) for m in exc.api_messages)[:500]
        if isinstance(body, dict) and not detail:
            detail = str(body.get("detail") or body.get("title") or "")[:500]
        if isinstance(exc, tweepy.TooManyRequests):
            reset = resp.headers.get("x-rate-limit-reset")
            try:
                reset_at = float(reset) if reset is not None else None
            except ValueError:
                reset_at = None
            return Fault("rate_limit", status, detail, reset_at=reset_at, body=body)
        if isinstance(exc, tweepy.TwitterServerError):
            return Fault("unavailable", status, detail, body=body)
        if isinstance(exc, tweepy.Unauthorized):
            return Fault("auth", status, detail, body=body)
        if isinstance(exc, tweepy.Forbidden):
            return Fault("forbidden", status, detail, body=body)
        if isinstance(exc, tweepy.NotFound):
            return Fault("not_found", status, detail, body=body)
        return Fault("bad_request", status, detail, body=body)
    return classify_connection_error(exc)


class XApi:
    """tweepy's Client, routed, timed out, retried, returning raw pages.

    ``on_malformed(body, reason, url)`` is called with a 200 body that is not a JSON object
    (the caller keeps it aside) before :class:`MalformedPage` is raised. ``on_wait`` hears
    about every retry wait. ``requests_ok`` counts successful requests.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
        on_malformed: Callable[[bytes, str, str], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        register(token)  # redacted from whatever is stored or printed (collectors/redact.py)
        self.policy = policy or RetryPolicy.from_env()
        self.client = tweepy.Client(
            bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False
        )
        self.adapter = route_session(self.client.session, base_url, self.policy.timeout)
        self.on_malformed = on_malformed
        self.on_wait = on_wait
        self.sleep = sleep
        self.requests_ok = 0
        logger = logging.getLogger("tweepy.client")
        if not any(isinstance(f, _Redact) and f.secret == token for f in logger.filters):
            logger.addFilter(_Redact(token))

    @property
    def base_url(self) -> str:
        return self.adapter.base_url

    # -- plumbing ---------------------------------------------------------------------------
    def _page(self, endpoint: Endpoint, resp: requests.Response) -> Page:
        raw = resp.content
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            doc, reason = None, f"not valid JSON ({e})"
        else:
            reason = "" if isinstance(doc, dict) else f"a JSON {type(doc).__name__}, not an object"
        if doc is None or reason:
            message = f"{endpoint.path}: malformed response body ({reason or 'empty'})"
            if self.on_malformed:
                self.on_malformed(raw, message, resp.url)
            raise MalformedPage(
                message, endpoint=endpoint.path, fault=Fault("malformed", resp.status_code, reason)
            )
        page = Page(doc)
        page.body = raw.decode("utf-8", "replace")
        page.url = resp.url
        page.endpoint = endpoint
        return page

    def _callable(self, endpoint: Endpoint) -> Callable[..., Page]:
        """The tweepy method of ``endpoint`` with retries and page parsing, keeping its
        ``__name__`` (tweepy's Paginator picks ``next_token`` or ``pagination_token`` by it)."""
        method = getattr(self.client, endpoint.method)

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Page:
            def once() -> Page:
                return self._page(endpoint, method(*args, **kwargs))

            page = call_with_retries(
                once,
                endpoint=f"GET {endpoint.path}",
                classify=classify,
                policy=self.policy,
                explain=lambda f: explain_denial(
                    f,
                    platform="X",
                    endpoint=f"GET {endpoint.path}",
                    what=endpoint.what,
                    needs=endpoint.needs,
                ),
                sleep=self.sleep,
                on_wait=self.on_wait,
            )
            self.requests_ok += 1
            return page

        return call

    def _paginate(
        self,
        endpoint: Endpoint,
        *args: Any,
        since_id: str | None,
        cursor: str | None,
        max_pages: float,
        **params: Any,
    ) -> Iterator[Page]:
        if since_id:
            params["since_id"] = since_id
        previous = cursor
        for page in tweepy.Paginator(
            self._callable(endpoint), *args, limit=max_pages, pagination_token=cursor, **params
        ):
            yield page
            token = page.next_token
            if token is not None and token == previous:  # a server repeating itself
                return
            previous = token

    def _tweet_params(self) -> dict[str, Any]:
        return {
            "max_results": MAX_RESULTS,
            "tweet_fields": TWEET_FIELDS,
            "expansions": TWEET_EXPANSIONS,
            "user_fields": USER_FIELDS,
        }

    # -- endpoints --------------------------------------------------------------------------
    def users_by_usernames(self, usernames: list[str]) -> Iterator[Page]:
        """``GET /2/users/by?usernames=…``: profiles (and ids) of up to 100 handles a request.

        Unknown or suspended handles come back in the page's partial ``errors[]``.
        https://docs.x.com/x-api/users/get-users-by-usernames
        """
        call = self._callable(USERS_BY)
        for start in range(0, len(usernames), 100):
            yield call(usernames=usernames[start : start + 100], user_fields=USER_FIELDS)

    def mentions(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        cursor: str | None = None,
        max_pages: float = inf,
    ) -> Iterator[Page]:
        """``GET /2/users/:id/mentions``: posts mentioning the account, newest first
        (X serves the most recent 800), pages of 100, only newer than ``since_id``.
        https://docs.x.com/x-api/users/get-mentions
        """
        yield from self._paginate(
            MENTIONS,
            user_id,
            since_id=since_id,
            cursor=cursor,
            max_pages=max_pages,
            **self._tweet_params(),
        )

    def user_tweets(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        cursor: str | None = None,
        max_pages: float = inf,
    ) -> Iterator[Page]:
        """``GET /2/users/:id/tweets``: the account's own posts, replies and reposts,
        newest first (X serves the most recent 3,200), only newer than ``since_id``.
        https://docs.x.com/x-api/users/get-posts
        """
        yield from self._paginate(
            USER_TWEETS,
            user_id,
            since_id=since_id,
            cursor=cursor,
            max_pages=max_pages,
            **self._tweet_params(),
        )

    def search_recent(
        self,
        query: str,
        *,
        since_id: str | None = None,
        cursor: str | None = None,
        max_pages: float = inf,
    ) -> Iterator[Page]:
        """``GET /2/tweets/search/recent``: posts of the last 7 days matching ``query``
        (hashtags, keywords, ``url:``, ``retweets_of:``, ``quotes_of:``), newest first.
        https://docs.x.com/x-api/posts/search-recent-posts
        """
        yield from self._paginate(
            SEARCH_RECENT,
            query,
            since_id=since_id,
            cursor=cursor,
            max_pages=max_pages,
            **self._tweet_params(),
        )
