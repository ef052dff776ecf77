"""Sign-in with Streamlit's native OpenID Connect, and the roles it opens
(docs/deploying.md, "Sign-in and roles").

Sign-in is on when Streamlit's secrets hold an ``[auth]`` section (``territoires serve``
passes ``$TERRITOIRES_SECRETS`` to Streamlit). ``app.py`` calls :func:`gate` before drawing
anything else: signed out, the page holds the sign-in button and nothing more (no data, no
sidebar of territories); signed in but listed in no role of the roles file
(:mod:`territoires.roles`), a page says so. Shared links never come here: they carry their
own signed authorisation (``territoires.ui.shared_view``).

Sign-in off (no ``[auth]``): :func:`current` is None and the dashboard works as before (the
triage name from the reverse proxy's header or the sidebar field, every control shown).
"""

from __future__ import annotations

import logging

import streamlit as st

from territoires import roles
from territoires.roles import Person
from territoires.text.i18n import LANGS, set_lang, t
from territoires.ui.render import md_escape
from territoires.ui.shell import warehouse

log = logging.getLogger("territoires.ui")
PERSON_KEY = "_person"


def configured() -> bool:
    """True when Streamlit's secrets have an ``[auth]`` section (sign-in on)."""
    # An unreadable secrets file raises: sign-in may be meant to be on, so app.py stops the
    # run (fails closed) rather than serving the data as if sign-in were off.
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def _lang() -> None:
    chosen = st.query_params.get("lang") or st.session_state.get("lang") or "fr"
    set_lang(chosen if chosen in LANGS else "fr")


def people() -> dict[str, Person]:
    """The roles file, read on every run (a few lines; a change applies at the next click)."""
    return roles.load(roles.roles_path(warehouse()))


def gate() -> Person | None:
    """Sign-in off: None. Sign-in on: the signed-in, listed person, kept for this run;
    otherwise the sign-in page or the no-access page, and the run stops there."""
    st.session_state.pop(PERSON_KEY, None)
    if not configured():
        return None
    _lang()
    if not st.user.get("is_logged_in"):
        st.title(t("auth.title"), anchor=False)
        st.markdown(md_escape(t("auth.intro")))
        st.button(t("auth.login"), key="auth_login", type="primary", icon=":material/login:",
                  on_click=st.login)
        st.stop()
    email = st.user.get("email")
    try:
        found = roles.person(people(), email if isinstance(email, str) else None)
    except roles.RolesError as e:
        log.error("roles file: %s", e)
        found = None
    if found is None:
        st.title(t("auth.denied.title"), anchor=False)
        st.markdown(md_escape(t("auth.denied", email=str(email or "?"))))
        st.button(t("auth.logout"), key="auth_logout", on_click=st.logout,
                  icon=":material/logout:")
        st.stop()
    st.session_state[PERSON_KEY] = found
    return found


def sidebar(person: Person | None) -> None:
    """Who is signed in, with which role, and the sign-out button (sign-in on only)."""
    if person is None:
        return
    role = t(f"auth.role.{person.role}")
    if person.service:
        role += f" ({person.service})"
    st.sidebar.caption(md_escape(t("auth.signed_in", email=person.email, role=role)))
    st.sidebar.button(t("auth.logout"), key="auth_logout", on_click=st.logout,
                      icon=":material/logout:")


def current() -> Person | None:
    """The signed-in person of this run (None: sign-in off)."""
    found = st.session_state.get(PERSON_KEY)
    return found if isinstance(found, Person) else None


def may_triage() -> bool:
    """Triage controls are drawn: sign-in off, or a role that triages."""
    person = current()
    return person is None or person.can_triage


def may_share() -> bool:
    """Sharing controls are drawn: sign-in off, or admin or cm."""
    person = current()
    return person is None or person.can_share


def sees_note(author: object) -> bool:
    """A note is shown to a ``service`` person only when written by an admin, a cm or
    someone of the same service (another service's notes stay with it)."""
    person = current()
    if person is None or person.role != "service":
        return True
    try:
        wrote = roles.person(people(), author if isinstance(author, str) else None)
    except roles.RolesError:
        return False
    return wrote is not None and (wrote.role in roles.SHARING or wrote.service == person.service)


