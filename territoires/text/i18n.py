"""Interface strings, French by default, English available (``?lang=en`` in the URL).

Plain words for elected officials: no jargon, no column names. The strings are data, in
``messages.toml`` beside this module: one table per key, its French and English side by
side (docs/design.md §14, "Size"). ``t(key, **values)`` formats the string of the current
language; a key missing in English falls back to French, an unknown key shows as itself.

The current language is :func:`set_lang`'s (the ``report`` command's ``--lang``), unless a
source is registered with :func:`set_lang_source`: the dashboard registers the Streamlit
session's language (:mod:`territoires.ui.language`), each reader having their own.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, datetime
from importlib import resources

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
_current = {"lang": DEFAULT_LANG}
_source: list[Callable[[str], str]] = []  # at most one: where lang() reads the language


def _load() -> dict[str, dict[str, str]]:
    raw = tomllib.loads(resources.files("territoires.text").joinpath("messages.toml")
                        .read_text(encoding="utf-8"))
    catalogue: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or not all(
                isinstance(lg, str) and isinstance(text, str) for lg, text in entry.items()):
            raise ValueError(f"messages.toml: [{key!r}] must hold strings, one per language")
        catalogue[key] = dict(entry)
    return catalogue


S: dict[str, dict[str, str]] = _load()  # the one catalogue: key -> {language: text}


def _names(key: str) -> dict[str, list[str]]:
    return {lg: text.split() for lg, text in S[key].items()}


_WEEKDAYS = _names("calendar.weekdays")
_WEEKDAYS_SHORT = _names("calendar.weekdays.short")
_MONTHS = _names("calendar.months")


def set_lang(lang: str) -> None:
    _current["lang"] = lang if lang in LANGS else DEFAULT_LANG


def set_lang_source(source: Callable[[str], str] | None) -> None:
    """Read the current language from ``source(fallback)`` (``None``: :func:`set_lang`'s)."""
    _source[:] = [source] if source is not None else []


def lang() -> str:
    fallback = _current["lang"]
    return _source[0](fallback) if _source else fallback


def lookup(table: dict[str, dict[str, str]], key: str, values: dict[str, object]) -> str:
    """The string ``key`` of ``table`` in the current language, formatted with ``values``."""
    entry = table.get(key)
    if entry is None:
        return key
    text = entry.get(lang()) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def t(key: str, **values: object) -> str:
    """The string ``key`` in the current language, formatted with ``values``."""
    return lookup(S, key, values)


def fmt_int(n: float | int | None) -> str:
    if n is None:
        return t("na")
    s = f"{int(round(n)):,}"
    return s.replace(",", "\u202f") if lang() == "fr" else s


def fmt_num(x: float | None, digits: int = 1, sign: bool = False) -> str:
    if x is None:
        return t("na")
    s = f"{x:{'+' if sign else ''},.{digits}f}"  # thousands separated: 61,200.5
    if lang() != "fr":
        return s
    return s.replace(",", "\u202f").replace(".", ",").replace("-", "−")


def fmt_pct(x: float | None, digits: int = 0) -> str:
    if x is None:
        return t("na")
    s = f"{100 * x:,.{digits}f}"
    if lang() != "fr":
        return s + "%"
    return s.replace(",", "\u202f").replace(".", ",") + "\u202f%"


def fmt_minutes(m: float | None) -> str:
    """A duration for people: "45 min", "3 h 20", "2 j 4 h"."""
    if m is None:
        return t("na")
    m = float(m)
    if m < 60:
        return f"{m:.0f} min"
    if m < 48 * 60:
        h, rest = divmod(int(round(m)), 60)
        return f"{h} h {rest:02d}" if rest else f"{h} h"
    d, rest = divmod(int(round(m / 60)), 24)
    unit = "j" if lang() == "fr" else "d"
    return f"{d} {unit} {rest} h" if rest else f"{d} {unit}"


def fmt_date(d: date | None, weekday: bool = False) -> str:
    if d is None:
        return t("na")
    lg = lang()
    if lg == "fr":
        s = f"{d.day}{'er' if d.day == 1 else ''} {_MONTHS['fr'][d.month - 1]} {d.year}"
        return f"{_WEEKDAYS['fr'][d.weekday()]} {s}" if weekday else s
    s = f"{_MONTHS['en'][d.month - 1]} {d.day}, {d.year}"
    return f"{_WEEKDAYS['en'][d.weekday()]}, {s}" if weekday else s


def fmt_short_date(d: date) -> str:
    if lang() == "fr":
        return f"{_WEEKDAYS_SHORT['fr'][d.weekday()]} {d.day:02d}/{d.month:02d}"
    return f"{_WEEKDAYS_SHORT['en'][d.weekday()]} {d.month:02d}/{d.day:02d}"


def fmt_datetime(dt: datetime | None) -> str:
    """A local datetime (already converted to the territory's zone)."""
    if dt is None:
        return t("na")
    if lang() == "fr":
        return f"{dt.day:02d}/{dt.month:02d}/{dt.year} {dt.hour:02d}:{dt.minute:02d}"
    return f"{dt.year}-{dt.month:02d}-{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}"


def weekday_names(short: bool = True) -> list[str]:
    return list((_WEEKDAYS_SHORT if short else _WEEKDAYS)[lang()])
