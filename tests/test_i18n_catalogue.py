"""The interface strings are one catalogue, ``territoires/text/messages.toml`` (docs/design.md
§14): every key in French and in English, with the same placeholders, and every key the code
names literally (``t("…")``, ``tr("…")``) present in it."""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path

from territoires.text import i18n, review

ROOT = Path(__file__).resolve().parents[1]
CODE = [*sorted((ROOT / "territoires").rglob("*.py")), *sorted((ROOT / "views").glob("*.py")),
        ROOT / "app.py"]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    assert len(i18n.S) > 300
    for key, entry in i18n.S.items():
        assert set(entry) == set(i18n.LANGS), key
        assert all(text.strip() for text in entry.values()), key
        assert _fields(entry["fr"]) == _fields(entry["en"]), key


def test_calendar_names() -> None:
    for lg in i18n.LANGS:
        i18n.set_lang(lg)
        try:
            assert len(i18n.weekday_names(short=True)) == 7
            assert len(i18n.weekday_names(short=False)) == 7
            assert i18n.fmt_date(date(2026, 12, 31)) in ("31 décembre 2026",
                                                               "December 31, 2026")
        finally:
            i18n.set_lang("fr")


def test_every_key_named_in_the_code_is_in_the_catalogue() -> None:
    named = re.compile(r"""\b(tr?)\(\s*["']([\w.]+)["']\s*[,)]""")
    missing = []
    for path in CODE:
        for fn, key in named.findall(path.read_text(encoding="utf-8")):
            table = review.S if fn == "tr" else i18n.S
            if key not in table:
                missing.append(f"{path.relative_to(ROOT)}: {fn}({key!r})")
    assert not missing, missing


def test_the_review_reads_its_own_keys() -> None:
    assert review.S and all(f"{review.PREFIX}{key}" in i18n.S for key in review.S)
    i18n.set_lang("en")
    try:
        assert review.tr("open.post") == "Open the post"  # not the dashboard's "Open"
        assert i18n.t("open.post") == "Open"
        assert review.tr("no.such.key") == "no.such.key"
    finally:
        i18n.set_lang("fr")
