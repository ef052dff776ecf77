"""Strings of the weekly review, its report and shared links (French, English).

They are the catalogue's keys under ``review.`` (``messages.toml``), read with :func:`tr`,
so the review page, the ``report`` command and the shared view say the same words, in the
language of :func:`territoires.text.i18n.lang`, formatted by the same functions. Plain
words: the readers are a communication team and elected officials.
"""

from __future__ import annotations

from territoires.text import i18n

PREFIX = "review."
S: dict[str, dict[str, str]] = {key.removeprefix(PREFIX): entry for key, entry in i18n.S.items()
                                if key.startswith(PREFIX)}


def tr(key: str, **values: object) -> str:
    """The review's string ``key`` in the current language, formatted with ``values``."""
    return i18n.lookup(S, key, values)
