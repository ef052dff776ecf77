"""The metric definitions document (``docs/metrics.md``): its sections and their anchors.

Anchors follow GitHub's heading slugs, so ``docs/metrics.md#<slug>`` works in the
repository and ``/definitions#<slug>`` in the app (the Définitions page draws each heading
with that anchor). A metric finds its section by the heading's first words, in the
document's French or English half.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from territoires import resources

DOC_REL = "docs/metrics.md"
DOC = resources.path(DOC_REL)

# metric key -> first words of its section heading, in French and in English
SECTIONS: dict[str, tuple[str, str]] = {
    "interpellations": ("Interpellation", "Interpellation"),
    "answered": ("Répondu", "Answered"),
    "median": ("Répondu", "Answered"),
    "p90": ("Répondu", "Answered"),
    "median_service": ("Temps de réponse en heures", "Service-hours response time"),
    "p90_service": ("Temps de réponse en heures", "Service-hours response time"),
    "response_rate": ("Taux de réponse", "Response rate"),
    "pending": ("Taux de réponse", "Response rate"),
    "missed": ("Taux de réponse", "Response rate"),
    "relays": ("Relais", "Relay"),
    "local_relays": ("Compte local", "Local account"),
    "local_tweetos": ("Compte local", "Local account"),
    "potential_reach": ("Portée potentielle", "Potential reach"),
    "hashtag_posts": ("Activité des hashtags", "Hashtag activity"),
    "posts_total": ("Messages comptés", "Posts counted"),
    # the expected-answer family (after triage)
    **{k: ("Réponse attendue et triage", "Expected answers and triage") for k in (
        "expecting_answer", "answered_expecting", "response_rate_expecting",
        "pending_expecting", "missed_expecting")},
}


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    slug: str
    body: str


def github_slug(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    s = title.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def parse(text: str) -> list[Section]:
    """Headings (``#`` to ``####``) and the Markdown under each; text before the first
    heading is a level-0 section."""
    out: list[Section] = []
    level, title, body = 0, "", list[str]()
    seen: dict[str, int] = {}
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^(#{1,4})\s+(.*?)\s*#*$", line)
        if m:
            out.append(_section(level, title, body, seen))
            level, title, body = len(m[1]), m[2], []
        else:
            body.append(line)
    out.append(_section(level, title, body, seen))
    return [s for s in out if s.title or s.body.strip()]


def _section(level: int, title: str, body: list[str], seen: dict[str, int]) -> Section:
    slug = github_slug(title) if title else ""
    if slug:  # GitHub numbers repeated headings: conversation, conversation-1, ...
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        slug = f"{slug}-{n}" if n else slug
    return Section(level, title, slug, "\n".join(body))


@lru_cache(maxsize=4)
def _load(mtime_ns: int) -> tuple[Section, ...]:
    return tuple(parse(DOC.read_text(encoding="utf-8")))


def sections() -> tuple[Section, ...]:
    return _load(DOC.stat().st_mtime_ns) if DOC.exists() else ()


def anchor(key: str, lang: str) -> str:
    """The slug of the section defining metric ``key`` in the ``lang`` half ("" if none)."""
    words = SECTIONS.get(key)
    if not words:
        return ""
    want = words[0 if lang == "fr" else 1].lower()
    half = ""
    for s in sections():
        if s.level <= 2 and s.title:
            low = s.title.lower()
            if low.startswith(("français", "english")):
                half = "fr" if low.startswith("français") else "en"
        if half == lang and s.level >= 3 and s.title.lower().startswith(want):
            return s.slug
    return ""
