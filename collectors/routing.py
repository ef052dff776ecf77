"""Point tweepy's client at another base URL, and give every request a timeout.

tweepy 4.17 hard-codes ``https://api.twitter.com`` in ``BaseClient.request()`` and never
passes a timeout (a stalled server would hang the collector for ever). Its
``client.session`` is a public :class:`requests.Session`, so :func:`route_session` mounts a
:class:`RoutingAdapter` on it for that host: the adapter rewrites the URL to the configured
base (``$TERRITOIRES_X_API_URL``: a proxy, a gateway, or the tests' fake server) and sets
the timeout tweepy leaves out. Nothing else about the request changes.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import should_bypass_proxies

from model import settings

OFFICIAL_X_API = "https://api.twitter.com"
ENV_BASE_URL = "TERRITOIRES_X_API_URL"


def x_base_url(value: str | None = None) -> str:
    """The X API base URL: ``value``, else ``$TERRITOIRES_X_API_URL``, else the official one."""
    base = (value or settings.X_API_URL.get() or OFFICIAL_X_API).strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"{ENV_BASE_URL}: expected an http:// or https:// URL, got {base!r}")
    return base


class RoutingAdapter(HTTPAdapter):
    """An adapter that sends requests for ``prefix`` to ``base_url``, with a timeout."""

    def __init__(self, base_url: str, timeout: float, prefix: str = OFFICIAL_X_API) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.prefix = prefix.rstrip("/")
        self.timeout = timeout

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        url = request.url or ""
        if self.base_url != self.prefix and url.startswith(self.prefix):
            request.url = self.base_url + url[len(self.prefix) :]
            # proxies were chosen for the official host; a local target must bypass them
            if should_bypass_proxies(request.url, no_proxy=None):
                proxies = {}
        if timeout is None:  # tweepy never sets one: (connect, read between bytes)
            timeout = (min(10.0, self.timeout), self.timeout)
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )


def route_session(
    session: requests.Session, base_url: str | None = None, timeout: float = 30.0
) -> RoutingAdapter:
    """Mount a :class:`RoutingAdapter` on ``session`` for the official X API host."""
    adapter = RoutingAdapter(x_base_url(base_url), timeout)
    session.mount(OFFICIAL_X_API, adapter)
    return adapter
