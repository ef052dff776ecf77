"""The product's words: the interface strings (``messages.toml``, French and English side by
side) and the formatting of numbers, dates and durations in the reader's language.

No Streamlit here: the dashboard, the ``report`` command and shared links read the same
catalogue (:mod:`territoires.text.i18n` for ``t()``, :mod:`territoires.text.review` for the
weekly review's ``tr()``); the dashboard tells :func:`territoires.text.i18n.lang` where a
session's language lives (:mod:`territoires.ui.language`).
"""
