"""The "share" popover of the pages that make signed read-only links (the weekly review,
the baromètre): a lifetime in days, a button, the link and its expiry
(docs/weekly-review-and-sharing.md).

The link is signed with ``$TERRITOIRES_SHARE_SECRET`` (or the demo's secret file); without
one, the popover says that sharing is off. Who may see the popover is the page's decision
(:func:`territoires.ui.auth.may_share`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import streamlit as st

from territoires import share
from territoires.text.i18n import fmt_date, lang
from territoires.text.review import tr
from territoires.ui import render as r


def base_url() -> str:
    """The address the browser reached the server at (``http://localhost:8501`` without one)."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # noqa: BLE001 - no browser context (AppTest)
        return "http://localhost:8501"
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://localhost:8501"


def share_popover(label: str, help_text: str, slug: str, page: str, since: date, until: date,
                  as_of: datetime) -> None:
    """The popover that signs a link to ``page`` for ``slug`` and ``[since, until)``."""
    with st.popover(label, icon=":material/share:"):
        st.markdown(r.md_escape(help_text))
        try:
            secret = share.secret_from_env()
        except share.ShareError:
            st.warning(tr("ctl.share.nosecret"), icon=":material/key_off:")
            return
        days = st.number_input(tr("ctl.share.days"), min_value=1, max_value=share.MAX_DAYS,
                               value=30, step=1, key=f"w_{page}_share_days")
        made_key = f"_{page}_share_url"
        if st.button(tr("ctl.share.create"), key=f"w_{page}_share_create", type="primary"):
            now = datetime.now(UTC).replace(tzinfo=None)
            link = share.new_link(slug, page, since, until, as_of, int(days), now, lang())
            st.session_state[made_key] = (share.link_url(base_url(), share.sign(link, secret)),
                                          link.expires)
        made = st.session_state.get(made_key)
        if made:
            st.code(made[0], language=None, wrap_lines=True)
            st.caption(tr("ctl.share.until", until=fmt_date(made[1].date())))
