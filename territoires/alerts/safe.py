"""User content (post texts, names, handles) made inert for a chat webhook (docs/deploying.md,
"Alerts").

Mattermost, Slack and Matrix (hookshot) read a webhook's ``text`` as Markdown or mrkdwn, and
act on some of it: ``@channel``, ``@here``, ``@all``, ``@room`` notify everyone; Slack's
``<!here>``, ``<!channel>`` and ``<https://url|label>`` are commands and disguised links;
``[label](https://url)`` is a disguised link; a bare URL becomes a link. A post's author
chooses all of that. So, after :func:`territoires.safe_text.display_text` (no control or
bidi characters, bounded length):

* ``<`` and ``>`` become ``‹`` and ``›`` (no Slack command, no HTML), a backtick ``ˋ`` (no
  code span that could swallow the rest of the message);
* ``@`` (and the full-width ``＠``) is followed by a zero-width space: no mention notifies;
* ``](`` is split by a zero-width space (no Markdown link or image), and so are ``://`` and
  ``www.`` (no link from the author's text; our own links are written by us).

The text stays readable; it is only not acted upon.
"""

from __future__ import annotations

import re

from territoires.safe_text import display_name, display_text

ZWSP = "\u200b"
_REPLACE = str.maketrans({"<": "\u2039", ">": "\u203a", "`": "\u02cb"})
_AT = re.compile("([@\uff20])")
_LINKISH = re.compile(r"(\]\s*)(\()|(:)(//)|(?i:\b(www))(\.)")


def _inert(s: str) -> str:
    s = s.translate(_REPLACE)
    s = _AT.sub(r"\1" + ZWSP, s)
    return _LINKISH.sub(lambda m: "".join(g for g in m.groups()[:6:2] if g)
                        + ZWSP + "".join(g for g in m.groups()[1:6:2] if g), s)


def webhook_text(value: object, limit: int = 500) -> str:
    """A post's text for a webhook: :func:`display_text`, then made inert."""
    return _inert(display_text(value, limit=limit, max_lines=8))


def webhook_name(value: object) -> str:
    """A name or handle for a webhook: one line (:func:`display_name`), then made inert."""
    return _inert(display_name(value))
