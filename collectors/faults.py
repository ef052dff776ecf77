"""What to do when a request fails: retry policy and plain-words errors.

Platform-neutral. A collector wraps each API call in :func:`call_with_retries` with a
``classify`` function that turns its client's exceptions into a :class:`Fault`:

* ``rate_limit`` (HTTP 429): wait until the reset instant the server gave
  (``x-rate-limit-reset`` on X), at most ``max_rate_wait`` seconds; without a reset header
  wait ``no_header_wait`` seconds, doubling each time: never a tight loop. After
  ``max_retries`` waits, or if the reset is further than ``max_rate_wait``, raise
  :class:`RateLimited` with a message saying when the limit resets.
* ``unavailable`` (5xx, connection refused or reset, timeout): retry with exponential
  backoff (``backoff_base`` × 2ⁿ, at most ``backoff_max``), then raise
  :class:`Unavailable`; the run ends ``partial`` and keeps what landed.
* ``auth`` (401), ``forbidden`` (403): no retry; :class:`AccessDenied` carries a message
  naming the endpoint and the access it needs (:func:`explain_denial`).
* anything else (``bad_request``, ``not_found``, ``malformed``): no retry, raised as
  :class:`CollectError` for the caller to decide.

The policy is a setting (:meth:`RetryPolicy.from_env`), so tests run with tiny waits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests

from model import settings

T = TypeVar("T")

KINDS = ("rate_limit", "unavailable", "auth", "forbidden", "bad_request", "not_found", "malformed")


@dataclass(frozen=True)
class Fault:
    """A failed request, classified."""

    kind: str  # one of KINDS
    status: int | None = None  # HTTP status, if any
    detail: str = ""  # what the server said (never the request headers)
    reset_at: float | None = None  # rate limit reset, seconds since the epoch
    body: Any = None  # parsed error body, if any


class CollectError(RuntimeError):
    """A request that failed for good. ``scope`` says what must stop:

    ``query`` (skip this query), ``endpoint`` (skip every query of this endpoint this run),
    ``run`` (stop the run).
    """

    scope = "query"

    def __init__(self, message: str, *, endpoint: str | None = None, fault: Fault | None = None):
        super().__init__(message)
        self.endpoint = endpoint
        self.fault = fault

    @property
    def kind(self) -> str:
        return self.fault.kind if self.fault else "error"


class RateLimited(CollectError):
    scope = "endpoint"


class Unavailable(CollectError):
    scope = "run"


class AccessDenied(CollectError):
    scope = "endpoint"


class AuthFailed(AccessDenied):
    scope = "run"


@dataclass(frozen=True)
class RetryPolicy:
    # defaults and help in model/settings.py
    max_retries: int = settings.RETRIES.default
    max_rate_wait: float = settings.RATE_LIMIT_MAX_WAIT.default
    no_header_wait: float = settings.RATE_LIMIT_WAIT.default
    backoff_base: float = settings.BACKOFF.default
    backoff_max: float = settings.BACKOFF_MAX.default
    timeout: float = settings.HTTP_TIMEOUT.default  # tweepy sets none

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """Defaults, overridden by ``TERRITOIRES_RETRIES``, ``TERRITOIRES_RATE_LIMIT_MAX_WAIT``,
        ``TERRITOIRES_RATE_LIMIT_WAIT``, ``TERRITOIRES_BACKOFF``, ``TERRITOIRES_BACKOFF_MAX``,
        ``TERRITOIRES_HTTP_TIMEOUT`` (seconds; retries a whole number)."""
        return cls(
            max_retries=settings.RETRIES.get(),
            max_rate_wait=settings.RATE_LIMIT_MAX_WAIT.get(),
            no_header_wait=settings.RATE_LIMIT_WAIT.get(),
            backoff_base=settings.BACKOFF.get(),
            backoff_max=settings.BACKOFF_MAX.get(),
            timeout=settings.HTTP_TIMEOUT.get(),
        )

    def backoff(self, attempt: int) -> float:
        """Wait before retry number ``attempt`` (0-based) after a 5xx/connection error."""
        base = min(self.backoff_max, self.backoff_base * (2**attempt))
        return base * (0.75 + 0.5 * random.random())  # jitter: runs on many hosts spread out


def classify_connection_error(exc: BaseException) -> Fault | None:
    """A :mod:`requests` transport error (refused, reset, timeout) as an ``unavailable``
    fault; ``None`` for anything else."""
    if isinstance(exc, requests.Timeout):
        return Fault("unavailable", detail=f"no answer within the timeout ({type(exc).__name__})")
    if isinstance(exc, requests.ConnectionError):
        return Fault("unavailable", detail=f"connection failed ({type(exc).__name__})")
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return Fault("unavailable", detail=f"the answer was cut short ({type(exc).__name__})")
    return None


def _at(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S UTC")


def call_with_retries(
    fn: Callable[[], T],
    *,
    endpoint: str,
    classify: Callable[[BaseException], Fault | None],
    policy: RetryPolicy,
    explain: Callable[[Fault], str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    on_wait: Callable[[str], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds or the policy gives up (see the module docstring).

    ``classify`` returns ``None`` for exceptions that are not request failures (they
    propagate untouched). ``explain`` turns an auth/forbidden fault into plain words.
    ``on_wait`` is told about each wait (for progress output).
    """
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            fault = classify(exc)
            if fault is None:
                raise
            if fault.kind == "rate_limit":
                now = clock()
                if fault.reset_at is not None:
                    wait = max(1.0, fault.reset_at - now + 1)
                    when = f"it resets at {_at(fault.reset_at)} (in {wait:.0f} s)"
                else:
                    wait = policy.no_header_wait * (2**attempt)
                    when = "the server did not say when it resets"
                if wait > policy.max_rate_wait or attempt >= policy.max_retries:
                    why = (
                        f"the wait is longer than the maximum of {policy.max_rate_wait:g} s"
                        if wait > policy.max_rate_wait
                        else f"still limited after {attempt} waits"
                    )
                    raise RateLimited(
                        f"rate limit reached on {endpoint}; {when}; {why}: stopping this "
                        "endpoint for this run (the next run continues where it stopped)",
                        endpoint=endpoint,
                        fault=fault,
                    ) from None
                if on_wait:
                    on_wait(f"rate limit on {endpoint}: waiting {wait:.0f} s ({when})")
                sleep(wait)
                attempt += 1
                continue
            if fault.kind == "unavailable":
                if attempt >= policy.max_retries:
                    status = f"HTTP {fault.status}" if fault.status else fault.detail
                    raise Unavailable(
                        f"{endpoint} is unavailable ({status}) after {attempt + 1} attempts; "
                        "stopping the run (what landed is kept; the next run continues)",
                        endpoint=endpoint,
                        fault=fault,
                    ) from None
                wait = policy.backoff(attempt)
                if on_wait:
                    reason = f"HTTP {fault.status}" if fault.status else fault.detail
                    on_wait(f"{endpoint}: {reason}; retrying in {wait:.1f} s")
                sleep(wait)
                attempt += 1
                continue
            if fault.kind in ("auth", "forbidden"):
                message = (
                    explain(fault) if explain else f"{endpoint}: access denied ({fault.detail})"
                )
                cls = AuthFailed if fault.kind == "auth" else AccessDenied
                raise cls(message, endpoint=endpoint, fault=fault) from None
            raise CollectError(
                f"{endpoint}: {fault.kind.replace('_', ' ')}"
                + (f" (HTTP {fault.status})" if fault.status else "")
                + (f": {fault.detail}" if fault.detail else ""),
                endpoint=endpoint,
                fault=fault,
            ) from None


def explain_denial(fault: Fault, *, platform: str, endpoint: str, what: str, needs: str) -> str:
    """Plain words for a 401/403, naming the endpoint, what it is for and the access needed.

    Recognises X's ``453`` ("access to a subset of X API v2 endpoints": the app's access
    level lacks this endpoint) and ``client-not-enrolled`` (the app is not in a Project).
    """
    body = fault.body if isinstance(fault.body, dict) else {}
    codes = {e.get("code") for e in body.get("errors", []) if isinstance(e, dict)}
    reason = body.get("reason") or ""
    if fault.kind == "auth":
        return (
            f"{platform}: the credentials were refused (HTTP 401) on {endpoint}: the token is "
            "wrong, revoked or expired. Check the token in the environment "
            "(it is never printed)."
        )
    if 453 in codes or "subset of" in (fault.detail or ""):
        return (
            f"{platform}: {endpoint} ({what}) is not included in this app's access level "
            f"(X error 453). It needs {needs}. Upgrade the app's access in the developer "
            "portal, or remove what uses it from the territory's configuration."
        )
    if reason == "client-not-enrolled":
        return (
            f"{platform}: {endpoint} ({what}) refused: this app is not attached to a Project "
            "in the developer portal (client-not-enrolled); X API v2 needs an App inside a "
            f"Project with {needs}."
        )
    detail = f": {fault.detail}" if fault.detail else ""
    return (
        f"{platform}: access to {endpoint} ({what}) was refused (HTTP {fault.status}){detail}. "
        f"It needs {needs}."
    )
