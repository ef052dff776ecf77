"""Does an interpellation expect an answer? A published, rule-based judgement.

Issue 17, first building block. Pure Python, no model, no SQL: every rule is a
regular expression below, documented in docs/metrics.md ("Réponse attendue
(jugement automatique)" / "Expected answer (automatic judgement)"), measured on
the labelled posts of tests/data/expects_answer.tsv by tests/test_expectation.py.

Order of the rules (the first that matches decides):

1. ``empty`` / ``emoji_only``: nothing but mentions, links, hashtags, emoji or
   punctuation (no letter, no digit, no "?") -> no answer expected.
2. ``question``: a "?" or an interrogative form (est-ce que, quand, où,
   comment, pourquoi, combien, quel…, qui…, pouvez-vous, y a-t-il, inverted
   subject "-t-il"; how, when, where, why, can you, is there…).
3. ``request``: merci de + infinitive, svp, s'il vous plaît, pourriez-vous,
   je voudrais…, please, could you, kindly…
4. ``problem_report``: a fault or nuisance (panne, fuite, nid de poule,
   poubelles non ramassées, lampadaire, bruit, inondé, cassé, dangereux,
   depuis 3 jours, toujours pas, encore…; broken, leak, pothole…).
5. ``complaint``: inadmissible, scandale, honte, ras-le-bol, marre, nul,
   jamais…; unacceptable, disgusting, fed up…
6. ``thanks``, ``praise``, ``greeting`` (wishes: bonne soirée, joyeux Noël…),
   ``acknowledgement``, ``regret`` (dommage…) -> no answer.
7. ``greeting`` again for an opening greeting (bonjour, salut, hello…) followed by at
   most two words ("Bonjour à tous !"); "Bonjour, le bus 4 ne passe plus" goes on to
8. ``default``: nothing matched -> an answer IS expected.

Any signal of 2-5 wins over 6: "Merci ! Et la navette, elle part d'où ?" is a
question. The default is True on purpose: for a community manager a missed
question (a resident left without an answer) costs more than a kept "thank
you" in the to-answer list, which takes one click to dismiss. Triage decisions
(a later step of issue 17) override this judgement.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

LANGS = ("fr", "en")
# Bumped whenever a rule changes: judgements of older rules are recomputed by the loader.
RULES_VERSION = 2


@dataclass(frozen=True)
class Judgement:
    """The verdict and the id of the rule that gave it (stable, documented)."""

    expects: bool
    rule: str


# Mentions, links and hashtags at the edges of the post (a hashtag inside a
# sentence is a word of it: "la #fibre toujours pas installée").
_EDGE = re.compile(
    r"^(?:\s*(?:@\w[\w.]*|https?://\S+|#\w+)[\s,:]*)+|(?:\s*(?:@\w[\w.]*|https?://\S+|#\w+)[\s.]*)+$"
)
_URL = re.compile(r"https?://\S+|www\.\S+")


def _fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe and hyphen."""
    text = text.replace("\u2019", "'").replace("\u2011", "-").lower()
    return unicodedata.normalize("NFKD", text).translate(_combining())


@functools.cache
def _combining() -> dict[int, None]:
    """Every character with a combining class (the accents of a decomposed text), to delete
    with ``str.translate``: a fifth of the time of testing each character in Python."""
    return dict.fromkeys(c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c)))


def _rx(*parts: str) -> re.Pattern[str]:
    """One pattern matching where any of ``parts`` does. The alternatives that start at a
    word boundary are put behind one ``\\b`` (``\\bX|\\bY`` is ``\\b(?:X|Y)``): Python's
    engine then skips at once, on its first letter, each alternative that cannot start at
    a position, instead of trying every alternative's boundary there (a third of the time)."""
    bounded: list[str] = []
    other: list[str] = []
    for part in parts:
        for alt in _alternatives(part):
            (bounded if alt.startswith("\\b") else other).append(alt)
    merged = ["\\b(?:" + "|".join(f"(?:{a[2:]})" for a in bounded) + ")"] if bounded else []
    return re.compile("|".join(f"(?:{a})" for a in (*merged, *other)))


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (its ``|`` outside groups and classes)."""
    out: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":  # a "]" right after "[" is a member
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


# Start of a clause: start of text or after . ! ? ; : , or a newline (and "et").
_S = r"(?:^|[.!?;:,\n]\s*|\bet\s+|\band\s+)"

# "où" is "ou" once accents are folded, so the accented form is looked for in
# the lower-cased text and the folded "ou" only in unambiguous phrases.
_OU_ACCENT = re.compile(r"\boù\b")
_QUESTION = _rx(
    r"\?",
    r"\best[- ]ce qu",
    r"\bquand\b(?! meme)",
    r"\bqd\b",
    r"\bd'ou\b",
    r"\bcomment\b",
    r"\bpourquoi\b",
    r"\bcombien\b",
    r"\bquel(?:le)?s?\b(?! (?:belles?|beaux?|bonheur|plaisir|joie|magnifique|chance|spectacle|"
    r"reussite|ambiance|travail|talent|soiree|journee|fete)\b)",
    r"\by a[- ]t[- ]il\b|\bya t il\b",
    r"\b\w+-t-(?:il|elle|on|ils|elles)\b",
    r"\b(?!rendez)\w+-(?:vous|on|je|tu|il|elle|ils|elles)\b(?!-meme)",
    r"\b(?:on fait|c'est|c) (?:quoi|koi)\b",
    r"\b(?:savoir|sais|savez|savait) si\b|\bvous savez\b",
    r"\b(?:voudrais|aimerais) (?:savoir|connaitre)\b",
    r"\b(?:a|jusqu'a|depuis) quand\b",
    r"\bhow\b(?! (?:lovely|nice|beautiful|great|cool|amazing|wonderful|kind|sweet)\b)",
    r"\b(?:when|where|why|which|whom|whose)\b",
    # the phrases that open a clause, behind one opening (a search over the alternatives of
    # one ``_S`` is a fifth of the time of a search over five of them)
    _S + r"(?:ou (?:est|sont|se|peut|peux|puis|faut|trouver|aller|deposer|acheter|s'inscrire)\b"
    r"|qui\b|what\b(?! an? )|who\b"
    r"|(?:is|are|do|does|did|can|will|should|has|have|was|were|any) "
    r"(?:there|the|it|you|we|i|they|this|that|anyone|anybody|news|update|info)\b)",
)

_INFINITIVE = r"(?!(?:votre|notre|leur|vos|nos|tout|toute|tous|rien)\b)\w+(?:er|ir|re|oir)\b"
_REQUEST = _rx(
    r"\bmerci de (?:bien vouloir |(?:nous |me |m'|le |la |les |l'|y |en |vous ))?" + _INFINITIVE,
    r"\bsvp\b|\bstp\b|\bs'il (?:vous|te) pla[iî]t\b",
    r"\b(?:pourriez|pouvez|pourrais|pourrait|serait)[- ]",
    r"\bvous (?:pouvez|pourriez|devriez)\b",
    r"\b(?:je voudrais|j'aimerais|je souhaite|je souhaiterais|nous souhaitons)\b",
    r"\b(?:il faudrait|faites quelque)\b",
    r"\bfaudrait\b|\bmerci d'avance\b|\bmerci par avance\b",
    r"\bplease\b|\bpls\b|\bplz\b|\bkindly\b",
    r"\b(?:could|can|would|will) (?:you|someone|somebody|anyone)\b",
    r"\b(?:i'd like|i would like|we need|need someone|send someone)\b",
)

_PROBLEM = _rx(
    r"\bpannes?\b|\ben panne\b|\bfuites?\b|\bnids?[- ]de[- ]poule\b",
    r"\bdechets?\b|\bordures?\b|\bencombrants?\b|\bdepots? sauvages?\b|\bcrottes?\b",
    r"\bpoubelles?\b|\bbacs?\b.*\b(?:pas|non|oublie)|\b(?:pas|non) ramasse",
    r"\beclairage\b|\blampadaires?\b|\beteinte?s?\b|\bfeux?\b (?:tricolores?|pietons?|rouges?)",
    r"\bbruit\b|\bbruyant|\btapage\b|\brodeos?\b",
    r"\binonde(?:e|es|s)?\b|\bdeborde|\bbouche(?:e|es|s)?\b|\bcasse(?:e|es|s)?\b|\bdefonce",
    r"\bdangere(?:ux|use|uses)\b|\bdanger\b|\btombee?s?\b|\bcoupure\b",
    r"\bne (?:marche|fonctionne|s'allume) (?:plus|pas)\b|\bhors service\b|\bplante\b|\bbug",
    r"\bn'arrive pas\b|\bimpossible de\b|\bsignal(?:e|ement)\b|\boublie(?:e|es|s)?\b",
    r"\bdepuis (?:\d+|un|une|deux|trois|quatre|des|plusieurs|ce|hier|lundi|mardi|mercredi|jeudi|"
    r"vendredi|samedi|dimanche)\b",
    r"\btoujours pas\b|\bon attend toujours\b|\bvoiture ventouse\b",
    r"(?<!merci )\bencore\b(?! (?:merci|bravo|une fois merci)\b)",
    r"\bbroken\b|\bleak(?:s|ing)?\b|\bpot ?holes?\b",
    r"\bnot working\b|\bdoesn't work\b|\bout of order\b",
    r"\bflood(?:ed|ing)?\b|\bblocked\b|\bdangerous\b|\brubbish\b|\blitter\b|\bfly[- ]?tipping\b",
    r"\bbins?\b.*\b(?:not|missed|never)\b|\bnot collected\b|\bmissed\b",
    r"\bstreet ?lights?\b|\bnoise\b",
    r"\bfallen\b|\bfor (?:\d+|two|three|four|several) (?:days|weeks|months)\b|\bstill (?:no|not)\b",
    r"(?<!thanks )(?<!thank you )\bagain\b",
)

_COMPLAINT = _rx(
    r"\binadmissible\b|\bscandal|\bhonte\b|\bhonteu|\bras[- ]le[- ]bol\b|\bmarre\b",
    r"\bmerci pour rien\b|\bthanks for nothing\b",
    r"\bnul(?:le|s)?\b|\bjamais\b(?! vu)",
    r"\binsupportable\b|\binacceptable\b|\blamentable\b|\bpenible\b",
    r"\bpas normal\b|\bn'importe comment\b|\bc'est abuse\b|\bridicule\b|\bdegoutant\b",
    r"\bunacceptable\b|\bdisgusting\b|\bdisgrace|\bshame(?:ful)?\b|\bfed up\b|\bridiculous\b",
    r"\bterrible\b|\buseless\b|\bnever\b(?! seen)|\bappalling\b|\bsick of\b",
)

_THANKS = _rx(r"\bmerci\b|\bremercie|\bthank|\bthx\b|\bcheers\b|\bty\b")
_PRAISE = _rx(
    r"\bbravo\b|\bsuper\b|\btop\b|\bgenial\b|\bfelicitation|\bmagnifique\b|\bexcellent",
    r"\bbelles?\b|\bbeaux?\b|\bbien joue\b|\btrop bien\b|\bchapeau\b|\bmerveill|\bsplendide\b",
    r"\bgreat\b|\bwell done\b|\bamazing\b|\blove(?:ly)?\b|\bbrilliant\b|\bcongrat|\bbeautiful\b",
    r"\bawesome\b|\bfantastic\b|\bwonderful\b|\bnice\b",
    r"\benfin\s*!|\bfinally\s*!",
)
# Wishes close a message ("bonne soirée !"); an opening greeting ("Bonjour, ...") only
# prefaces one: it decides only when next to nothing follows it (:data:`_OPENING`).
_GREETING = _rx(
    r"\bbonne (?:journee|soiree|nuit|annee|fete|semaine)\b",
    r"\bbon (?:week-?end|dimanche|appetit)\b|\bjoyeu(?:x|ses)\b|\bbienvenue\b|\bmeilleurs voeux\b",
    r"\bgood night\b|\bhappy\b|\bhave a (?:nice|good|great)\b",
    r"\bmerry\b|\bwelcome\b",
)
_OPENING = _rx(
    r"\bbonjour\b|\bbonsoir\b|\bsalut\b|\bslt\b|\bbjr\b|\bcoucou\b",
    r"\bhello\b|\bhi\b|\bhey\b|\bgood (?:morning|evening|afternoon)\b",
)
_OPENING_REST = 2  # words after the greeting, at most, for the greeting to decide
# Regret about something that is over ("dommage que le carnaval finisse si tôt"): nothing
# to answer (a problem or a question in the same post decides first).
_REGRET = _rx(r"\bdommage\b|\bpity\b|\btoo bad\b")
_ACK = _rx(
    r"^ok\b|\bd'accord\b|\bdac\b|\bnote\b|\bparfait\b|\bbien recu\b|\bcompris\b|\btres bien\b",
    r"\bnoted\b|\bgot it\b|\bunderstood\b|\bperfect\b|^okay\b|\bsure\b",
)

_RULES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("question", _QUESTION, True),
    ("request", _REQUEST, True),
    ("problem_report", _PROBLEM, True),
    ("complaint", _COMPLAINT, True),
    ("thanks", _THANKS, False),
    ("praise", _PRAISE, False),
    ("greeting", _GREETING, False),
    ("acknowledgement", _ACK, False),
    ("regret", _REGRET, False),
)


def expects_answer(text: str, lang: str | None = None) -> Judgement:
    """Judge whether ``text`` (an interpellation) expects an answer.

    ``lang`` ("fr", "en" or None) is accepted for the callers' sake; the rules
    hold both languages at once, since residents mix them and the collected
    language tag is often missing or wrong.
    """
    if lang is not None and lang not in LANGS:
        lang = None
    body = _EDGE.sub("", text or "")
    body = _URL.sub(" ", body).strip()
    if not body:
        return Judgement(False, "empty")
    if "?" not in body and not any(c.isalnum() for c in body):
        return Judgement(False, "emoji_only")
    lowered = body.lower().replace("\u2019", "'")
    folded = _fold(body)
    if _OU_ACCENT.search(lowered):
        return Judgement(True, "question")
    for rule, pattern, expects in _RULES:
        if pattern.search(folded):
            return Judgement(expects, rule)
    if _OPENING.search(folded):
        rest = re.findall(r"\w+", _OPENING.sub(" ", folded))
        if len(rest) <= _OPENING_REST:  # "Bonjour à tous !"
            return Judgement(False, "greeting")
    return Judgement(True, "default")
