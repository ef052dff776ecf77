"""The dashboard's user-interface helpers (Streamlit): the session's language, URL state,
cached queries, safe rendering of user content, charts, and the error boundary.

Pages (``views/``) stay thin: they read the shared :class:`~territoires.ui.state.View`,
call warehouse query functions through :mod:`territoires.ui.data`, and draw with
:mod:`territoires.ui.render`.
"""

from territoires.ui import language as language  # the session's language for territoires.text
