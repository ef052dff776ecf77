"""The fictional territory of the demo, read from the example file the product ships.

``examples/villeneuve.toml`` is found in the checkout or in the installed wheel
(territoires/resources.py). The demo generator (collectors/demo/) takes the territory as an
argument: finding and reading files of the distribution is this layer's job
(docs/design.md §14).
"""

from __future__ import annotations

from model import Territory
from territoires import resources
from territoires.config import load_config

EXAMPLE = resources.path("examples/villeneuve.toml")


def demo_territory() -> Territory:
    """The fictional territory of the demo (``examples/villeneuve.toml``)."""
    return load_config(EXAMPLE)
