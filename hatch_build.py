"""Build hook: the wheel carries the files read at run time from outside the packages.

``app.py``, ``views/``, ``.streamlit/config.toml``, ``examples/villeneuve.toml`` and
``docs/metrics.md`` stay at the repository root; a standard wheel gets copies of them under
``territoires/_bundle/`` (the ``bundle`` table of this hook in pyproject.toml), where
``territoires/resources.py`` finds them once installed. An editable install (``uv sync``)
gets none: it runs from the checkout, and copies in site-packages would only go stale.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BundleHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "standard":
            build_data["force_include"].update(self.config.get("bundle", {}))
