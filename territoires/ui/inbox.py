"""Aujourd'hui as an inbox: the queue's states and services, one card per interpellation with
its judgement explained and its actions, the bulk bar, undo, and the live refresh
(docs/dashboard.md, "Aujourd'hui : la file à traiter"; the judgement and the decisions are
defined in docs/metrics.md).

Decisions go to the triage journal (:mod:`warehouse.triage_journal`), never to DuckDB: the
next run shows them (the query cache is keyed by the journal's version, territoires/ui/data.py).
Notes and the names of who triaged are shown in the card's history only, as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from model import Territory, settings
from territoires.text.i18n import fmt_datetime, fmt_int, t
from territoires.ui import auth, data
from territoires.ui import render as r
from territoires.ui.state import View
from warehouse import triage_journal as journal
from warehouse.triage import suggest_service

BUCKETS = ("todo", "forwarded", "no_answer", "handled", "all")
DEFAULT_BUCKET = "todo"
ALL_SERVICES = ""
NO_SERVICE = "none"
CARDS = 10  # cards drawn; the table below holds the whole filtered queue
REFRESH_S = 4  # how often a browser checks for other people's decisions
USER_HEADER_ENV = "TERRITOIRES_USER_HEADER"
# the card's actions, in the order of the buttons (the first one is what Enter does)
ACTIONS = ("no_answer_expected", "handled_elsewhere", "forwarded", "note", "reopened")
TRIAGED = ("no_answer_expected", "handled_elsewhere", "forwarded")
RULES = ("empty", "emoji_only", "question", "request", "problem_report", "complaint", "thanks",
         "praise", "greeting", "acknowledgement", "default")  # warehouse/expectation.py
NAME_KEY, NAME_KEEP = "w_triage_name", "_triage_name"
UNDO_KEY, TOAST_KEY = "_inbox_undo", "_inbox_toast"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ---- the queue's states and services -----------------------------------------------------
def bucket(decision: object, expects: object) -> str:
    """Where an unanswered interpellation sits in the inbox: ``handled`` (traité hors
    réseau), ``forwarded`` (transmis à un service), ``no_answer`` (no answer expected,
    automatically or by decision), else ``todo``."""
    if decision == "handled_elsewhere":
        return "handled"
    if decision == "forwarded":
        return "forwarded"
    if expects is not None and not pd.isna(expects) and not bool(expects):
        return "no_answer"
    return "todo"


def annotate(queue: pd.DataFrame, territory: Territory) -> pd.DataFrame:
    """The queue with ``bucket``, ``suggested`` (the service its words suggest) and
    ``service`` (the decision's service, else the suggested one; None for none)."""
    out = queue.copy()
    decisions = out["triage_decision"].astype(object).where(out["triage_decision"].notna(), None)
    out["bucket"] = [bucket(d, e) for d, e in zip(decisions, out["expects"], strict=True)]
    suggested = [getattr(suggest_service(territory, x if isinstance(x, str) else None),
                         "slug", None) for x in out["text"]]
    out["suggested"] = suggested
    chosen = out["triage_service"].astype(object).where(out["triage_service"].notna(), None)
    out["service"] = [c or s for c, s in zip(chosen, suggested, strict=True)]
    return out


def counts(queue: pd.DataFrame) -> dict[str, int]:
    n = {b: int((queue["bucket"] == b).sum()) for b in BUCKETS if b != "all"}
    n["all"] = len(queue)
    return n


def select(queue: pd.DataFrame, state: str, service: str) -> pd.DataFrame:
    """The rows of bucket ``state`` (``all``: every row) and of ``service`` (a slug,
    :data:`NO_SERVICE`, or :data:`ALL_SERVICES`)."""
    out = queue if state == "all" else queue[queue["bucket"] == state]
    if service == NO_SERVICE:
        out = out[out["service"].isna()]
    elif service:
        out = out[out["service"] == service]
    return out


def card_key(platform: str, post_id: str) -> str:
    """A widget key for one interpellation (post ids can be URLs)."""
    return hashlib.sha1(f"{platform}|{post_id}".encode()).hexdigest()[:12]  # noqa: S324


def service_label(territory: Territory, slug: object) -> str:
    if not isinstance(slug, str) or not slug:
        return t("inbox.service.none")
    s = territory.service(slug)
    return s.label if s else slug


# ---- words for the judgement and the decisions -------------------------------------------
def rule_text(rule: object) -> str:
    return t(f"inbox.rule.{rule}") if rule in RULES else t("inbox.rule.unknown")


def judgement_text(row: Any, view: View) -> str:
    """The automatic judgement in plain words, or the decision that overrides it (which,
    when in local time, which service); never who made it."""
    auto = t("inbox.auto", verdict=t("inbox.expects" if row.expects_auto else "inbox.no_answer"),
             why=rule_text(row.expect_rule))
    decision = row.triage_decision if isinstance(row.triage_decision, str) else None
    if decision is None:
        return auto
    when = fmt_datetime(view.local(pd.Timestamp(row.triage_at).to_pydatetime()))
    what = t(f"inbox.decision.{decision}")
    if decision == "forwarded" and isinstance(row.triage_service, str):
        what += f" ({service_label(view.territory, row.triage_service)})"
    if decision == "reopened":
        return t("inbox.reopened_line", when=when, auto=auto)
    return t("inbox.decided_line", what=what, when=when, auto=auto)


def service_text(row: Any, territory: Territory) -> str:
    if row.triage_decision == "forwarded" and isinstance(row.triage_service, str):
        return t("inbox.service.forwarded", service=service_label(territory, row.triage_service))
    if isinstance(row.suggested, str):
        return t("inbox.service.suggested", service=service_label(territory, row.suggested))
    return t("inbox.service.no_suggestion")


def for_person(queue: pd.DataFrame) -> pd.DataFrame:
    """The part of the queue the signed-in person sees: a ``service`` role, only what is
    forwarded to its service; everyone else, all of it."""
    person = auth.current()
    if person is None or person.role != "service":
        return queue
    return queue[(queue["triage_decision"] == "forwarded")
                 & (queue["triage_service"] == person.service)]


def visible(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A card's history as the signed-in person may read it: another service's notes are
    left out (territoires.ui.auth.sees_note)."""
    return [e for e in history if not e.get("note") or auth.sees_note(e.get("decided_by"))]


def history_line(entry: dict[str, Any], view: View) -> str:
    """One entry of the history: when (local), who, what (and service)."""
    what = t(f"inbox.decision.{entry['decision']}")
    if entry.get("service"):
        what += f" ({service_label(view.territory, entry['service'])})"
    who = entry.get("decided_by") or t("inbox.history.erased")
    return f"{fmt_datetime(view.local(entry['decided_at']))} · {who} · {what}"


# ---- who, and the instant the inbox is judged at -----------------------------------------
def who() -> str | None:
    """The name decisions are recorded under: with sign-in on, the signed-in e-mail address
    (None for a role that does not triage); else the HTTP header named by
    ``$TERRITOIRES_USER_HEADER`` (set by the reverse proxy) when present, else the sidebar
    field (kept in the session while the CM moves between pages)."""
    person = auth.current()
    if person is not None:
        return person.email[: journal.MAX_BY] if person.can_triage else None
    header = settings.USER_HEADER.get() or ""
    if header:
        try:
            value = st.context.headers.get(header)
        except Exception:  # noqa: BLE001 - no request context (AppTest)
            value = None
        if value and value.strip():
            st.sidebar.caption(r.md_escape(t("inbox.name.header", name=value.strip())))
            return value.strip()[: journal.MAX_BY]
    ss = st.session_state
    if NAME_KEY not in ss:
        ss[NAME_KEY] = ss.get(NAME_KEEP, "")
    name = st.sidebar.text_input(t("inbox.name"), key=NAME_KEY, max_chars=journal.MAX_BY,
                                 help=t("inbox.name.help"))
    ss[NAME_KEEP] = name
    return name.strip() or None


@st.fragment(run_every=REFRESH_S)
def watch(db: str, drawn: tuple[int, ...]) -> None:
    """Every few seconds: a new snapshot or someone's decision redraws the page."""
    if data.identity(db) != drawn:
        st.rerun(scope="app")


# ---- recording ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One interpellation as the actions need it (its previous decision, for undo)."""

    platform: str
    post_id: str
    created_at: datetime | None
    decision: str | None = None
    service: str | None = None

    @classmethod
    def of(cls, row: Any) -> Item:
        created = pd.Timestamp(row.created_at).to_pydatetime() if row.created_at is not None \
            else None
        decision = row.triage_decision if isinstance(row.triage_decision, str) else None
        service = row.triage_service if isinstance(row.triage_service, str) else None
        return cls(str(row.platform), str(row.post_id), created, decision, service)


def decisions(territory: Territory, items: Sequence[Item], decision: str, by: str,
              service: str | None = None, note: str | None = None,
              at: datetime | None = None) -> list[journal.Decision]:
    """The journal entries of one action on ``items`` (checked for the dashboard's rules:
    a forward names a configured service, a note has text)."""
    if decision not in ACTIONS:
        raise journal.TriageError(t("inbox.error.decision"))
    if decision == "forwarded" and (not service or territory.service(service) is None):
        raise journal.TriageError(t("inbox.error.service"))
    if decision == "note" and not (note or "").strip():
        raise journal.TriageError(t("inbox.error.note"))
    if decision != "forwarded":
        service = None
    at = at or _utcnow()
    return [journal.Decision(territory=territory.slug, platform=i.platform, post_id=i.post_id,
                             decision=decision, decided_by=by, decided_at=at, service=service,
                             note=note, post_created_at=i.created_at) for i in items]


def apply(db: str, territory: Territory, items: Sequence[Item], decision: str, by: str,
          service: str | None = None, note: str | None = None,
          at: datetime | None = None) -> list[int]:
    """Record one action on ``items`` in one journal transaction (all or none)."""
    return journal.record(db, decisions(territory, items, decision, by, service, note, at))


def undo_entries(territory: Territory, items: Sequence[Item], by: str,
                 at: datetime | None = None) -> list[journal.Decision]:
    """What puts ``items`` back as they were before the last action: their previous
    decision again, or ``reopened`` (the automatic judgement) when they had none."""
    at = at or _utcnow()
    out = []
    for i in items:
        back = i.decision if i.decision in TRIAGED else "reopened"
        out.append(journal.Decision(territory.slug, i.platform, i.post_id, back, by, at,
                                    service=i.service if back == "forwarded" else None,
                                    post_created_at=i.created_at))
    return out


def _done(view: View, items: Sequence[Item], decision: str, service: str | None) -> None:
    """After an action: remember what to say and how to undo it, then redraw."""
    n = len(items)
    what = t(f"inbox.decision.{decision}")
    if decision == "forwarded" and service:
        what += f" ({service_label(view.territory, service)})"
    st.session_state[TOAST_KEY] = t("inbox.done", what=what, n=fmt_int(n))
    st.session_state[UNDO_KEY] = None if decision == "note" else {
        "slug": view.territory.slug, "items": list(items),
        "text": t("inbox.undo.text", what=what, n=fmt_int(n))}
    st.rerun()


def act(view: View, items: Sequence[Item], decision: str, by: str | None,
        service: str | None = None, note: str | None = None,
        clear: Sequence[str] = ()) -> None:
    """Record an action from a button; one st.error line if it cannot be recorded (the
    form keeps what was typed), else the toast and a rerun (``clear``: widget keys reset)."""
    if not by:
        st.error(t("inbox.error.name"))
        return
    try:
        apply(view.db, view.territory, items, decision, by, service, note)
    except journal.TriageError as e:
        st.error(r.md_escape(t("inbox.error", reason=str(e))), icon=":material/error:")
        return
    for key in clear:
        st.session_state.pop(key, None)
    _done(view, items, decision, service)


def flash(view: View, by: str | None) -> None:
    """The toast of the last action, and its undo button while it applies."""
    ss = st.session_state
    message = ss.pop(TOAST_KEY, None)
    if message:
        st.toast(r.md_escape(message), icon=":material/task_alt:")
    undo = ss.get(UNDO_KEY)
    if not undo or undo.get("slug") != view.territory.slug:
        return
    cols = st.columns([4, 1], vertical_alignment="center")
    cols[0].caption(r.md_escape(undo["text"]))
    if cols[1].button(t("inbox.undo"), key="inbox_undo", icon=":material/undo:",
                      disabled=not by, width="stretch"):
        try:
            journal.record(view.db, undo_entries(view.territory, undo["items"], by or ""))
        except journal.TriageError as e:
            st.error(r.md_escape(t("inbox.error", reason=str(e))), icon=":material/error:")
            return
        ss[UNDO_KEY] = None
        ss[TOAST_KEY] = t("inbox.undone")
        st.rerun()


# ---- the filters ---------------------------------------------------------------------------
def state_filter(n: dict[str, int]) -> str:
    """À traiter / Transmis / Pas de réponse attendue / Traité hors réseau / Tout, with
    counts; bound to the URL (``etat``)."""
    key = r.url_state("etat", DEFAULT_BUCKET)
    if st.session_state.get(key) not in BUCKETS:
        st.session_state[key] = DEFAULT_BUCKET
    st.segmented_control(t("inbox.state"), BUCKETS, key=key,
                         format_func=lambda b: f"{t(f'inbox.state.{b}')} ({fmt_int(n[b])})")
    chosen = st.session_state.get(key) or DEFAULT_BUCKET  # a click can empty the control
    r.mirror_to_url("etat", chosen, DEFAULT_BUCKET)
    return str(chosen)


def service_filter(territory: Territory) -> str:
    """Tous / each configured service / sans service; bound to the URL (``service``)."""
    options = [ALL_SERVICES, *(s.slug for s in territory.services), NO_SERVICE]
    key = r.url_state("service", ALL_SERVICES)
    if st.session_state.get(key) not in options:
        st.session_state[key] = ALL_SERVICES
    labels = {ALL_SERVICES: t("inbox.service.all"), NO_SERVICE: t("inbox.service.without")}
    chosen = st.selectbox(t("inbox.service"), options, key=key,
                          format_func=lambda s: labels.get(s) or service_label(territory, s),
                          help=t("inbox.service.help"))
    r.mirror_to_url("service", chosen, ALL_SERVICES)
    return str(chosen or "")


# ---- the card ------------------------------------------------------------------------------
def _service_choice(territory: Territory, current: object, key: str) -> str | None:
    options = ["", *(s.slug for s in territory.services)]
    index = options.index(current) if isinstance(current, str) and current in options else 0
    chosen = st.selectbox(t("inbox.forward_to"), options, index=index, key=key,
                          format_func=lambda s: service_label(territory, s) if s
                          else t("inbox.service.choose"))
    return chosen or None


def card_actions(row: Any) -> list[str]:
    """The buttons of a card, the most likely first (Enter in the note does the first)."""
    triaged = row.triage_decision in TRIAGED
    out = ["reopened"] if triaged else []
    for a in ACTIONS[:4]:
        if (a == "no_answer_expected" and row.bucket == "no_answer") or \
                (a == "handled_elsewhere" and row.bucket == "handled"):
            continue
        out.append(a)
    return out


def card(view: View, row: Any, history: list[dict[str, Any]], by: str | None, marker: str,
         meta: str) -> None:
    """One interpellation: the post (as text), its judgement explained, its service, its
    history, and its actions in one form (tab moves between them, Enter submits)."""
    k = card_key(row.platform, row.post_id)
    with st.container(border=True, key=f"card-{k}"):
        r.post_block(f"@{row.author_username or '?'}"
                     + (f" ({row.author_name})" if isinstance(row.author_name, str) else ""),
                     meta, row.text, url=row.url, marker=marker)
        st.caption(r.md_escape(f"{judgement_text(row, view)}  \n"
                               f"{service_text(row, view.territory)}"))
        if history:
            with st.expander(t("inbox.history", n=len(history)), icon=":material/history:"):
                for entry in history:
                    st.text(history_line(entry, view))
                    if entry.get("note"):
                        st.text(entry["note"])
        if not auth.may_triage():
            return  # a read-only role: no triage controls at all
        # Enter in the note does not submit: a typed note must never dismiss a post by
        # surprise; the actions are reached with Tab and pressed with Enter or Space
        with st.form(f"form-{k}", border=False, enter_to_submit=False):
            cols = st.columns([1, 2])
            with cols[0]:
                service = _service_choice(view.territory, row.service, f"svc-{k}")
            note = cols[1].text_input(t("inbox.note"), key=f"note-{k}",
                                      max_chars=journal.MAX_NOTE,
                                      placeholder=t("inbox.note.placeholder"))
            actions = card_actions(row)
            buttons = st.columns(len(actions))
            pressed = None
            for i, a in enumerate(actions):
                if buttons[i].form_submit_button(t(f"inbox.action.{a}"), key=f"act-{a}-{k}",
                                                 disabled=not by, width="stretch",
                                                 type="primary" if i == 0 else "secondary"):
                    pressed = a
        if pressed:
            act(view, [Item.of(row)], pressed, by, service, note, clear=[f"note-{k}"])


# ---- the bulk bar --------------------------------------------------------------------------
def bulk_bar(view: View, selected: pd.DataFrame, by: str | None) -> None:
    """One action (with service and note) on the rows selected in the table, in one journal
    transaction."""
    if not auth.may_triage():
        return
    n = len(selected)
    with st.form("inbox-bulk", border=True):
        st.markdown(r.md_escape(t("inbox.bulk", n=fmt_int(n))))
        cols = st.columns([2, 2, 3])
        action = cols[0].selectbox(t("inbox.bulk.action"), ACTIONS, key="bulk-action",
                                   format_func=lambda a: t(f"inbox.action.{a}"))
        with cols[1]:
            service = _service_choice(view.territory, None, "bulk-service")
        note = cols[2].text_input(t("inbox.note"), key="bulk-note", max_chars=journal.MAX_NOTE)
        go = st.form_submit_button(t("inbox.bulk.apply", n=fmt_int(n)), key="bulk-apply",
                                   disabled=not by or not n, type="primary")
    if go:
        items = [Item.of(row) for row in selected.itertuples()]
        act(view, items, action, by, service, note, clear=["bulk-note", "inbox-table"])
