"""The dashboard's user-interface helpers (Streamlit): strings, URL state, cached queries,
safe rendering of user content, charts, and the error boundary.

Pages (``views/``) stay thin: they read the shared :class:`~territoires.ui.state.View`,
call warehouse query functions through :mod:`territoires.ui.data`, and draw with
:mod:`territoires.ui.render`.
"""
