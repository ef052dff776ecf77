"""The change drawn under a dashboard figure: its words and its sign, kept together.

Streamlit picks a metric's arrow and colour from the first character of the delta text, and
only an ASCII ``-`` counts as a fall: French formatting (and every time delta) writes the
minus sign U+2212, which it read as a rise. So a change carries its sign as a number, taken
from the figure *as shown* (rounded as it is written, so "+0 min" never gets an arrow), and
:func:`territoires.ui.render.metric` passes the arrow and the colour to the widget explicitly.

Which way is good is the metric's (``better``): +1 a rise is good (response rate, relays),
-1 a fall is good (response times), 0 neither (interpellations: more questions is not a
fault of the team). Counts are whole numbers: an average of counts is rounded before it is
shown or compared (docs/dashboard.md, "Changes").
"""

from __future__ import annotations

from dataclasses import dataclass

from territoires.text.i18n import fmt_int, fmt_minutes, fmt_pct, lang, t


@dataclass(frozen=True)
class Change:
    text: str  # the signed amount, "+3", "−19 pts", "−3 h 33"
    sign: int  # -1, 0 or +1: the sign of the amount as written
    better: int = 0  # +1 a rise is good, -1 a fall is good, 0 neither
    note: str = ""  # what it is compared with: "d'habitude : 12", "objectif 4 h"

    @property
    def arrow(self) -> str:
        """``st.metric``'s ``delta_arrow``."""
        return {1: "up", -1: "down"}.get(self.sign, "off")

    @property
    def colour(self) -> str:
        """``st.metric``'s ``delta_color``: green when the change is good, red when bad,
        gray when it is neither or there is no change."""
        if self.sign == 0 or self.better == 0:
            return "gray"
        return "green" if self.sign * self.better > 0 else "red"


def minus() -> str:
    return "−" if lang() == "fr" else "-"  # as fmt_num writes it


def _signed(sign: int, magnitude: str) -> str:
    return ("+" if sign > 0 else minus() if sign < 0 else "") + magnitude


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def count_change(now: float | None, ref: float | None, better: int = 0,
                 note: str = "") -> Change | None:
    """``now`` against ``ref`` (both counts, ``ref`` may be an average): a whole number."""
    if now is None or ref is None:
        return None
    d = round(now) - round(ref)
    return Change(_signed(_sign(d), fmt_int(abs(d))), _sign(d), better, note)


def rate_change(now: float | None, ref: float | None, better: int = 1,
                note: str = "") -> Change | None:
    """Two shares (0-1) apart, in whole percentage points."""
    if now is None or ref is None:
        return None
    pts = round(100 * now) - round(100 * ref)
    return Change(f"{_signed(_sign(pts), fmt_int(abs(pts)))} {t('unit.pts')}", _sign(pts),
                  better, note)


def time_change(now: float | None, ref: float | None, better: int = -1,
                note: str = "") -> Change | None:
    """Two durations in minutes apart, written as durations ("−3 h 33")."""
    if now is None or ref is None:
        return None
    d = round(now) - round(ref)
    return Change(_signed(_sign(d), fmt_minutes(abs(d))), _sign(d), better, note)


def usual(kind: str, value: float | None) -> str:
    """The note "d'habitude : 12" for a count, a rate or a time."""
    shown = (fmt_pct(value) if kind == "rate" else fmt_minutes(value) if kind == "minutes"
             else fmt_int(value))
    return t("vs.usual", usual=shown)


def target(kind: str, value: float) -> str:
    """The note "objectif 4 h"."""
    return t("resp.vs_target", target=fmt_pct(value) if kind == "rate" else fmt_minutes(value))
