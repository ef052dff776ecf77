"""Files read at run time that live outside the Python packages, in a checkout or a wheel.

``territoires serve`` runs ``app.py`` (which opens the pages in ``views/`` and reads
``.streamlit/config.toml`` from its folder), ``territoires demo`` reads
``examples/villeneuve.toml`` and the Définitions page reads ``docs/metrics.md``. In a
checkout they sit at the repository root, where they stay; the wheel carries copies of them
under ``territoires/_bundle/`` (``force-include`` in pyproject.toml), so that an installed
``territoires`` works from any folder (docs/deploying.md, "Installing from a wheel").
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
BUNDLE = Path(__file__).resolve().parent / "_bundle"


def root() -> Path:
    """The folder holding ``app.py``, ``views/``, ``examples/`` and ``docs/``: the checkout
    when this module runs from one (``pyproject.toml`` beside ``app.py``), else the copies
    installed with the wheel."""
    if (CHECKOUT / "app.py").is_file() and (CHECKOUT / "pyproject.toml").is_file():
        return CHECKOUT
    return BUNDLE


def path(relative: str) -> Path:
    """A run-time file by its path relative to the repository root: ``path("app.py")``."""
    return root() / relative
