"""What reading an object costs on each platform: the price table behind a run's estimated
cost (collectors/runlog.py) and the Collecte page.

:data:`DEFAULT_PRICES` (X's published pay-per-use prices, 2025: a post read $0.005, a user
read $0.010, an owned read $0.001), overridden per platform by the setting
``TERRITOIRES_PRICES_<PLATFORM>`` (model/settings.py). Platforms without a table cost 0.
"""

from __future__ import annotations

from model import settings

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "x": {"post_read": 0.005, "user_read": 0.010, "owned_read": 0.001},
}


def price_table(platform: str) -> dict[str, float]:
    """US dollars per object read on ``platform``: defaults, then ``TERRITOIRES_PRICES_<P>``
    (``name=price`` pairs separated by commas, or a JSON object). A bad value raises
    :class:`ValueError` naming the variable."""
    return {**DEFAULT_PRICES.get(platform, {}), **settings.PRICES.get(key=platform)}
