"""User content made safe to show and to hand out: names and post texts in cards and
reports, cells of the CSV files we write.

Names and texts come from the platforms as their authors typed them. Shown on a card or
drawn in a report they must stay one bounded piece of text (docs/dashboard.md: post texts,
names and bios are plain text):

* :func:`display_name`: control characters (line breaks, tabs, bidi embeddings and
  overrides U+202A–U+202E, isolates U+2066–U+2069, marks) become spaces or go, whitespace
  is collapsed, the result is cut at ``limit`` characters with "…"; a name written in a
  right-to-left script is wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, so it
  cannot reorder the time or the handle around it.
* :func:`display_text`: the same for a post's text, keeping its line breaks (at most one
  blank line in a row, at most ``max_lines`` lines).
* :func:`csv_cell` / :func:`csv_safe`: formula injection neutralised as OWASP recommends:
  a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab, CR, LF or NUL (or their
  full-width forms) gets a leading single quote; numbers stay numbers.

The full values stay in the warehouse; only what is shown is cut.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

NAME_LIMIT = 80  # characters of a name on a card or in a report
TEXT_LIMIT = 1000  # characters of a post's text on a card
TEXT_LINES = 20
ELLIPSIS = "…"
FSI, PDI = "\u2068", "\u2069"
# zero-width characters that join/separate glyphs inside words: kept (emoji, scripts)
_KEEP_FORMAT = {"\u200c", "\u200d"}
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def _strip_controls(s: str, keep_newlines: bool) -> str:
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif cat == "Cc" or ch in "\u2028\u2029":  # CR, LF, tab, NUL, …: a space
            out.append(" ")
        elif cat == "Cf" and ch not in _KEEP_FORMAT:  # bidi controls, marks, invisible ops
            continue
        else:
            out.append(ch)
    return "".join(out)


def _rtl(s: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in s)


def _cut(s: str, limit: int) -> str:
    if len(s) <= limit:
        return s
    return s[:max(limit - 1, 0)].rstrip() + ELLIPSIS


def display_name(value: object, limit: int = NAME_LIMIT, isolate: bool = True) -> str:
    """A name (or a handle line) as one line of at most ``limit`` characters, inert for bidi."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    s = _SPACES.sub(" ", _strip_controls(str(value), keep_newlines=False)).strip()
    s = _cut(s, limit)
    return f"{FSI}{s}{PDI}" if isolate and _rtl(s) else s


def display_text(value: object, limit: int = TEXT_LIMIT, max_lines: int = TEXT_LINES) -> str:
    """A post's text for a card or a report: no control characters but line breaks, at
    most one blank line in a row, at most ``max_lines`` lines and ``limit`` characters."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    s = str(value).replace("\r\n", "\n").replace("\r", "\n")
    s = _strip_controls(s, keep_newlines=True)
    s = _BLANK_LINES.sub("\n\n", s).strip()
    lines = s.split("\n")
    if len(lines) > max_lines:
        s = "\n".join(lines[:max_lines]).rstrip() + " " + ELLIPSIS
    return _cut(s, limit)


def csv_cell(value: Any) -> Any:
    """A cell for a CSV file: text that a spreadsheet would read as a formula gets a
    leading single quote; anything else (numbers, dates, missing values) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_value(value: Any) -> Any:
    """A cell of a command's CSV output as its JSON reads: empty for null, ``true``/``false``
    for booleans, text through :func:`csv_cell`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_cell(value)


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and column name passed through :func:`csv_cell`."""
    cols = []
    for n in range(df.shape[1]):
        col = df.iloc[:, n]
        if (col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype)
                or pd.api.types.is_string_dtype(col.dtype)):
            col = col.astype(object).map(csv_cell)
        cols.append(col.rename(n))
    out = pd.concat(cols, axis=1) if cols else df.copy()
    out.columns = [csv_cell(c) for c in df.columns]
    return out
