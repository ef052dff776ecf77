"""The queue a ticketing tool is fed from (``territoires queue``): every interpellation of a
window, judged at ``as_of``, one flat record each (docs/metrics.md, "Réponse attendue et
triage").

The rows are :func:`warehouse.interpellations.interpellations` (the snapshot plus the
journal's decisions recorded since); this module only names and shapes them. Notes and who
triaged are never part of a record: they are personal data, read only from the journal's
history where a page needs them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from model import Territory
from warehouse.interpellations import interpellations
from warehouse.metrics import iso_instant
from warehouse.metrics_base import Con
from warehouse.triage import reads_triage, suggest_service

# the public contract first (docs/metrics.md), then what helps a reader act on a record
QUEUE_KEYS = (
    "platform", "id", "created_at", "author_username", "addressed_account", "text", "url",
    "state", "expects_answer", "expects_answer_source", "triage_decision", "service",
    "first_answer_at",
)
EXTRA_KEYS = ("expects_answer_rule", "suggested_service")
KEYS = (*QUEUE_KEYS, *EXTRA_KEYS)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def _instant(value: Any) -> str | None:
    """A naive-UTC instant as ``YYYY-MM-DDTHH:MM:SSZ`` (:func:`warehouse.metrics.iso_instant`)."""
    if _missing(value):
        return None
    when = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    assert isinstance(when, datetime), when
    return iso_instant(when)


@reads_triage
def queue_records(
    con: Con,
    territory: Territory,
    since: date,
    until: date,
    as_of: datetime,
    *,
    platform: str | None = None,
) -> list[dict[str, Any]]:
    """One dict per interpellation created in ``[since, until)`` (dates in the territory's
    time zone), judged at ``as_of``, oldest first; keys :data:`KEYS`, JSON-ready."""
    df = interpellations(con, territory, since, until, as_of, platform=platform)
    out = []
    for row in df.to_dict("records"):
        suggested = suggest_service(territory, _text(row["text"]))
        out.append({
            "platform": str(row["platform"]),
            "id": str(row["post_id"]),
            "created_at": _instant(row["created_at"]),
            "author_username": _text(row["author_username"]),
            "addressed_account": _text(row["addressed_handle"]),
            "text": _text(row["text"]),
            "url": _text(row["url"]),
            "state": str(row["state"]),
            "expects_answer": bool(row["expects"]),
            "expects_answer_source": str(row["expects_source"]),
            "triage_decision": _text(row["triage_decision"]),
            "service": _text(row["triage_service"]),
            "first_answer_at": _instant(row["answered_at"]),
            "expects_answer_rule": _text(row["expect_rule"]),
            "suggested_service": suggested.slug if suggested else None,
        })
    return out
