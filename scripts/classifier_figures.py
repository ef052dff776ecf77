"""The automatic judgement "expects an answer", measured (docs/metrics.md, "Réponse attendue
(jugement automatique)" / "Expected answer (automatic judgement)").

Prints precision, recall and F1 for "expects an answer", with the confusion counts, on

* the labelled set ``tests/data/expects_answer.tsv``, its ``tune`` and ``holdout`` splits;
* the demo's interpellations: a demo warehouse is built in a temporary directory (or
  ``--db`` reads one made by ``territoires demo --no-serve``), and the judgement the loader
  stored for each interpellation (``post_expectations``, read through
  :func:`warehouse.interpellations.interpellations`) is compared with the hand label of
  the template it was generated from (:func:`collectors.demo.texts.interpellation_labels`);

then the demo texts it misjudges most often, one line per template.

    .venv/bin/python scripts/classifier_figures.py                           # today's demo
    .venv/bin/python scripts/classifier_figures.py --anchor 2025-03-12 --seed 1 --posts 20000
    .venv/bin/python scripts/classifier_figures.py --db territoires.duckdb   # an existing demo
    .venv/bin/python scripts/classifier_figures.py --json
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file: the project's packages are importable
    sys.path.insert(0, str(ROOT))

from collectors.demo import WEEKS, default_anchor  # noqa: E402
from collectors.demo import texts as tx  # noqa: E402
from territoires.example import demo_territory  # noqa: E402
from warehouse.expectation import expects_answer  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "expects_answer.tsv"
SPLITS = ("tune", "holdout")


@dataclass(frozen=True)
class Scores:
    """Confusion counts for "expects an answer" (positive: expects one)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        return (f"{name:<10} n={self.n:<5} precision={self.precision:.3f} "
                f"recall={self.recall:.3f} F1={self.f1:.3f}   "
                f"TP={self.tp} FP={self.fp} FN={self.fn} TN={self.tn}")

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4)}


def score(pairs: Iterable[tuple[bool, bool]]) -> Scores:
    """Scores of ``(gold, judged)`` pairs."""
    tp = fp = fn = tn = 0
    for gold, got in pairs:
        tp += gold and got
        fp += got and not gold
        fn += gold and not got
        tn += not gold and not got
    return Scores(tp, fp, fn, tn)


# -- the labelled set -----------------------------------------------------------------------
def labelled_rows(path: Path = LABELLED) -> list[tuple[str, bool, str]]:
    """``(split, expects, text)`` of every labelled post."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(r["split"], r["expects"] == "1", r["text"]) for r in reader]


def labelled_figures(path: Path = LABELLED) -> dict[str, tuple[Scores, list[str]]]:
    """Per split: the scores and the misjudged posts (``FP [rule] text``)."""
    out: dict[str, tuple[Scores, list[str]]] = {}
    rows = labelled_rows(path)
    for split in SPLITS:
        pairs, errors = [], []
        for s, gold, text in rows:
            if s != split:
                continue
            got = expects_answer(text)
            pairs.append((gold, got.expects))
            if got.expects != gold:
                errors.append(f"{'FP' if got.expects else 'FN'} [{got.rule}] {text}")
        out[split] = (score(pairs), errors)
    return out


# -- the demo -------------------------------------------------------------------------------
_SLOT = re.compile(r"\{\w+\}")
_GREETING = "|".join(re.escape(g) for g in tx.GREETINGS if g)


def _pattern(label: tx.Label) -> re.Pattern[str]:
    """A generated text of ``label``'s template: its slots filled, maybe a greeting first
    (first letter capitalised), city handles before (``@h …``, a reply's prefix) or after."""
    parts = [".+?" if _SLOT.fullmatch(p) else re.escape(p)
             for p in re.split(r"(\{\w+\})", label.template) if p]
    if label.greeted and parts and not parts[0].startswith(".+?"):
        first = re.escape(label.template[0])
        parts[0] = f"(?:{_GREETING})?(?i:{first})" + parts[0][len(first):]
    return re.compile(r"(?:@\S+\s+)*" + "".join(parts) + r"(?:\s+@\S+)*", re.S)


PATTERNS: tuple[tuple[tx.Label, re.Pattern[str]], ...] = tuple(
    (label, _pattern(label)) for label in tx.interpellation_labels()
)


def label_of(text: str) -> tx.Label | None:
    """The labelled template ``text`` was generated from (None: no template). Two
    templates with different labels matching one text is an error of the labels."""
    found = [label for label, rx in PATTERNS if rx.fullmatch(text)]
    if len({label.expects for label in found}) > 1:
        raise ValueError(f"{text!r}: templates with different labels match: {found}")
    return found[0] if found else None


def _greeting(label: tx.Label, text: str) -> str:
    """The greeting a text of a greeted template starts with ("" for none)."""
    body = re.sub(r"^(?:@\S+\s+)*", "", text)
    m = re.match(f"(?:{_GREETING})", body) if label.greeted else None
    if m and body[m.end():][:1].lower() == label.template[:1].lower():
        return m.group(0)
    return ""


@dataclass
class Misjudged:
    """The texts of one template (and greeting) that the judgement gets wrong."""

    pool: str
    template: str
    greeting: str
    expects: bool  # the label
    rule: str  # the rule that judged them (the same for every text of a template, nearly)
    count: int = 0
    example: str = ""


@dataclass
class DemoFigures:
    scores: Scores
    interpellations: int
    unlabelled: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # stored judgement != the rules' today
    misjudged: list[Misjudged] = field(default_factory=list)  # most frequent first


def demo_window(anchor: date) -> tuple[date, date]:
    """Local dates ``[since, until)`` that hold every post of a demo built at ``anchor``."""
    return anchor - timedelta(weeks=WEEKS, days=1), anchor + timedelta(days=1)


def demo_judgements(db: Path, anchor: date) -> list[tuple[str, bool, str]]:
    """``(text, stored judgement, rule)`` of every interpellation of the demo warehouse
    ``db`` (the loader's ``post_expectations``, through the metric query)."""
    from warehouse.db import connect
    from warehouse.interpellations import interpellations

    territory = demo_territory()
    since, until = demo_window(anchor)
    con = connect(db, read_only=True)
    try:
        frame = interpellations(con, territory, since, until,
                                datetime.now(UTC).replace(tzinfo=None))
    finally:
        con.close()
    return [(str(t or ""), bool(e), str(r)) for t, e, r in
            zip(frame["text"], frame["expects_auto"], frame["expect_rule"], strict=True)]


def demo_figures(judged: Sequence[tuple[str, bool, str]]) -> DemoFigures:
    """Compare each stored judgement with the label of the text's template."""
    pairs: list[tuple[bool, bool]] = []
    unlabelled, stale = [], []
    wrong: dict[tuple[str, str, str, str], Misjudged] = {}
    for text, got, rule in judged:
        if expects_answer(text).expects != got:
            stale.append(text)
        label = label_of(text)
        if label is None:
            unlabelled.append(text)
            continue
        pairs.append((label.expects, got))
        if got != label.expects:
            greeting = _greeting(label, text)
            key = (label.pool, label.template, greeting, rule)
            item = wrong.setdefault(key, Misjudged(label.pool, label.template, greeting,
                                                   label.expects, rule, 0, text))
            item.count += 1
    return DemoFigures(score(pairs), len(judged), unlabelled, stale,
                       sorted(wrong.values(), key=lambda m: (-m.count, m.template, m.greeting)))


def build_demo_db(directory: Path, posts: int, seed: int, anchor: date) -> Path:
    """A fresh demo warehouse in ``directory`` (``territoires demo --no-serve``'s path)."""
    from territoires.commands.demo import build_demo

    db = directory / "demo.duckdb"
    build_demo(db, posts, seed, anchor=anchor)
    return db


# -- output ---------------------------------------------------------------------------------
def report(labelled: dict[str, tuple[Scores, list[str]]], demo: DemoFigures | None,
           demo_args: str, top: int) -> str:
    lines = ['"Expects an answer" (warehouse/expectation.py), positive = expects an answer',
             "", f"Labelled set ({LABELLED.relative_to(ROOT)}):"]
    for split, (scores, errors) in labelled.items():
        lines.append("  " + scores.line(split))
        lines += [f"      {e}" for e in errors]
    if demo is None:
        return "\n".join(lines)
    lines += ["", f"Demo ({demo_args}): {demo.interpellations} interpellations, "
              f"{demo.interpellations - len(demo.unlabelled)} labelled by template "
              "(collectors/demo/texts.py interpellation_labels)",
              "  " + demo.scores.line("demo")]
    if demo.unlabelled:
        lines.append(f"  unlabelled ({len(demo.unlabelled)}): "
                     + "; ".join(sorted(set(demo.unlabelled))[:5]))
    if demo.stale:
        lines.append(f"  STALE: {len(demo.stale)} stored judgements differ from the rules "
                     "(RULES_VERSION not bumped?)")
    if demo.misjudged:
        lines += ["", f"  Most misjudged demo templates (top {top}): count, error, rule, text"]
        for m in demo.misjudged[:top]:
            kind = "FN" if m.expects else "FP"
            greet = f"«{m.greeting.strip()}» + " if m.greeting else ""
            lines.append(f"  {m.count:>5}  {kind}  [{m.rule}]  {greet}{m.template}"
                         f"   ({m.pool}; e.g. {m.example!r})")
    return "\n".join(lines)


def as_json(labelled: dict[str, tuple[Scores, list[str]]], demo: DemoFigures | None,
            demo_args: dict[str, Any]) -> str:
    out: dict[str, Any] = {split: {**scores.as_dict(), "errors": errors}
                           for split, (scores, errors) in labelled.items()}
    if demo is not None:
        out["demo"] = {
            **demo.scores.as_dict(), **demo_args, "interpellations": demo.interpellations,
            "unlabelled": len(demo.unlabelled), "stale": len(demo.stale),
            "misjudged": [{"pool": m.pool, "template": m.template, "greeting": m.greeting,
                           "label": m.expects, "rule": m.rule, "count": m.count,
                           "example": m.example} for m in demo.misjudged],
        }
    return json.dumps(out, ensure_ascii=False, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path,
                        help="an existing demo warehouse (default: build one in a temp dir)")
    parser.add_argument("--posts", type=int, default=20_000, help="demo posts (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    parser.add_argument("--anchor", type=date.fromisoformat,
                        help="the demo's anchor date (default: today, as `territoires demo`)")
    parser.add_argument("--no-demo", action="store_true", help="the labelled set only")
    parser.add_argument("--top", type=int, default=10, help="misjudged templates to list")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)

    labelled = labelled_figures()
    demo, demo_args = None, {}
    if not args.no_demo:
        anchor = args.anchor or default_anchor(demo_territory())
        if args.db is not None:
            demo_args = {"db": str(args.db), "anchor": anchor.isoformat()}
            demo = demo_figures(demo_judgements(args.db, anchor))
        else:
            demo_args = {"posts": args.posts, "seed": args.seed, "anchor": anchor.isoformat()}
            with tempfile.TemporaryDirectory(prefix="classifier-figures-") as tmp:
                db = build_demo_db(Path(tmp), args.posts, args.seed, anchor)
                demo = demo_figures(demo_judgements(db, anchor))
    if args.json:
        print(as_json(labelled, demo, demo_args))
    else:
        print(report(labelled, demo, ", ".join(f"{k} {v}" for k, v in demo_args.items()),
                     args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
