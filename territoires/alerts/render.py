"""The words of ``territoires alert``: plain text, in the ``[alerts] lang`` of the territory
(French by default), for an e-mail or a webhook (docs/deploying.md, "Alerts").

Each alert's own text (a digest, one waiting interpellation, one spike) is rendered once per
kind of channel and recorded with it (warehouse/alerts.py); a message is then the alerts of
one kind for one channel, between a heading and a footer. User content is plain text: for
e-mail through :mod:`territoires.safe_text`, for a webhook through :mod:`.safe` (no mention,
command or link of the author's acts), and a private person's text, handle and link go to a
webhook only when ``[alerts] webhook_post_text = true``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from model import Territory
from territoires.alerts.content import Spike, Waiting, local_now
from territoires.alerts.safe import webhook_name, webhook_text
from territoires.safe_text import display_name, display_text
from territoires.text.i18n import fmt_date, fmt_datetime, fmt_int, fmt_minutes, fmt_pct, lang, t

EMAIL, WEBHOOK = "email", "webhook"
# the `territoires metrics` keys of yesterday, with their label in the catalogue
FIGURES = {
    "interpellations": "m.interpellations", "answered": "m.answered",
    "response_rate": "m.response_rate", "pending": "m.pending", "missed": "m.missed",
    "median_response_minutes": "m.median", "p90_response_minutes": "alert.figure.p90",
    "median_service_response_minutes": "m.median_service", "relays": "m.relays",
    "local_relays": "m.local_relays", "local_tweetos": "m.local_tweetos",
    "potential_reach": "m.potential_reach", "hashtag_posts": "m.hashtag_posts",
    "posts_total": "m.posts_total", "expecting_answer": "m.expecting_answer",
    "answered_expecting": "m.answered_expecting",
    "response_rate_expecting": "m.response_rate_expecting",
    "pending_expecting": "m.pending_expecting", "missed_expecting": "m.missed_expecting",
}


def channel_kind(channel: str) -> str:
    return WEBHOOK if channel.startswith("webhook:") else EMAIL


def _value(key: str, value: Any) -> str:
    if key.startswith("response_rate"):
        return fmt_pct(value, 1)
    if key.endswith("_minutes"):
        return fmt_minutes(value)
    return fmt_int(value)


def waiting_block(w: Waiting, territory: Territory, kind: str) -> str:
    """One waiting interpellation: who, to whom, how long, when, its text and link."""
    shown = kind == EMAIL or not w.private or bool(
        territory.alerts and territory.alerts.webhook_post_text)
    name = display_name if kind == EMAIL else webhook_name
    if not shown:
        who = t("alert.item.private")
    else:
        handle = "@" + name(w.username) if w.username else "?"
        who = f"{handle} ({name(w.name)})" if w.name and w.name != w.username else handle
    lines = [
        "- " + t("alert.item.who", who=who, account=name(w.addressed or "?")) + " — "
        + t("alert.item.wait", wait=fmt_minutes(w.service_minutes)),
        "  " + t("alert.item.at", when=fmt_datetime(local_now(territory, w.created_at)),
                 platform=w.platform),
    ]
    if not shown:
        lines.append("  " + t("alert.item.hidden"))
    else:
        text = display_text(w.text, limit=500, max_lines=8) if kind == EMAIL else webhook_text(
            w.text)
        lines += ["  « " + text.replace("\n", "\n    ") + " »" if text else "  « »"]
        if w.url:
            lines.append("  " + w.url)
    return "\n".join(lines)


def spike_line(s: Spike, kind: str) -> str:
    series = s.series if s.series != "mentions" else t("kind.mentions")
    series = display_name(series) if kind == EMAIL else webhook_name(series)
    return "- " + t("today.alert", series=series, day=fmt_date(s.day), count=fmt_int(s.posts),
                    usual=fmt_int(s.usual))


def digest_body(territory: Territory, as_of: datetime, items: list[Waiting],
                figures: dict[str, Any], spikes: list[Spike], link: str | None,
                kind: str) -> str:
    """The morning digest: what waits (oldest first), yesterday's figures, spikes, a link."""
    local = local_now(territory, as_of)
    out = [t("alert.digest.intro", date=fmt_date(local.date(), weekday=True),
             time=f"{local:%H:%M}"), ""]
    if items:
        out.append(t("alert.digest.waiting", count=len(items)))
        out += [waiting_block(w, territory, kind) for w in items]
    else:
        out.append(t("alert.digest.waiting.none"))
    out += ["", t("alert.digest.yesterday", date=fmt_date(date.fromisoformat(figures["since"])))]
    colon = " : " if lang() == "fr" else ": "
    out += [f"- {t(label)}{colon}{_value(key, figures[key])}" for key, label in FIGURES.items()]
    out += ["", t("alert.digest.spikes") if spikes else t("today.alerts.none")]
    out += [spike_line(s, kind) for s in spikes]
    if link:
        out += ["", t("alert.digest.link", url=link)]
    return "\n".join(out)


def message(kind: str, key: str, territory: Territory, bodies: list[str],
            link: str | None) -> tuple[str, str]:
    """``(subject, text)`` of one message: alerts of ``kind`` (their recorded bodies)."""
    name = display_name(territory.name, isolate=False)
    assert territory.alerts is not None
    if kind == "digest":
        subject = t("alert.subject.digest", territory=name,
                    date=fmt_date(date.fromisoformat(key), weekday=True))
        text = "\n\n".join(bodies)
    elif kind == "pending":
        threshold = fmt_minutes(territory.alerts.pending_over_service_minutes)
        subject = t("alert.subject.pending", territory=name, count=len(bodies),
                    threshold=threshold)
        text = "\n".join([t("alert.pending.intro", threshold=threshold), "", *bodies])
        if link:
            text += "\n\n" + t("alert.digest.link", url=link)
    else:
        subject = t("alert.subject.spike", territory=name, count=len(bodies))
        text = "\n".join([t("alert.spike.intro"), "", *bodies])
        if link:
            text += "\n\n" + t("alert.digest.link", url=link)
    return subject, f"{text}\n\n-- \n{t('alert.footer')}\n"
