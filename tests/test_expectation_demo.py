"""The automatic judgement "expects an answer" on the demo's interpellations (issue 17).

A demo warehouse is built through the loading path (``territoires demo``'s
:func:`~territoires.commands.demo.build_demo`: 20,000 posts, seed 1, anchored on
2025-03-12, so the figures are the same on every run); the judgement the loader stored for
each interpellation (``post_expectations``, read through the metric query) is compared
with the hand label of the template the text was generated from
(:func:`collectors.demo.texts.interpellation_labels`). Run with ``pytest -s`` to see the
figures (the same as ``scripts/classifier_figures.py --anchor 2025-03-12``).

**The floor, and why.** Measured: precision 0.957, recall 1.000, F1 0.978 (3,576 labelled
interpellations); the same within ±0.002 for seeds 1-3 and anchors in March, July, October
and December 2025. Every error is a false positive, with three causes: "Enfin ! Ça fait des
mois qu'on attend." and "dommage que le … finisse si tôt…" fall to the rule ``default``
(expects an answer), and the demo's "Svp " greeting in front of a thank-you reads as a
request. The demo is ~50 templates repeated, so one template that changes verdict moves
the figures by up to 3 %: the floor is set just under the measure, so that losing any
frequent template fails the test.

* **recall >= 0.98**: a question left out of the queue is the costly error (a resident
  without an answer); losing any one frequent "expects" template (each is 1-4 % of the
  positives) fails.
* **precision >= 0.93**: the known false positives cost 4.3 %; a second family of
  thank-yous kept in the queue (a click each to dismiss) fails.
* **F1 >= 0.95**, above the labelled holdout's target (0.9): the demo's texts are few and
  plain, so it must do better than on the varied labelled posts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from collectors.demo import XSS_TEXT
from collectors.demo import texts as tx
from scripts import classifier_figures as cf

ANCHOR = date(2025, 3, 12)
POSTS = 20_000
SEED = 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> cf.DemoFigures:
    db = cf.build_demo_db(tmp_path_factory.mktemp("demo"), POSTS, SEED, ANCHOR)
    return cf.demo_figures(cf.demo_judgements(Path(db), ANCHOR))


def test_demo_figures_above_the_floor(demo: cf.DemoFigures) -> None:
    s = demo.scores
    text = cf.report(cf.labelled_figures(), demo,
                     f"posts {POSTS}, seed {SEED}, anchor {ANCHOR}", top=10)
    print("\n" + text)
    assert s.n >= 3000, text  # the demo's interpellations, nearly all labelled
    assert s.recall >= 0.98, text
    assert s.precision >= 0.93, text
    assert s.f1 >= 0.95, text


def test_every_demo_interpellation_is_labelled_and_judged_by_the_current_rules(
    demo: cf.DemoFigures,
) -> None:
    # the only text of no labelled template is the hostile-content probe
    assert set(demo.unlabelled) == {XSS_TEXT}
    assert demo.interpellations == demo.scores.n + len(demo.unlabelled)
    # what the loader stored is what the rules say today (no stale judgement)
    assert demo.stale == []
    # the demo has both kinds, in realistic proportions
    assert 0.1 < (demo.scores.tn + demo.scores.fp) / demo.scores.n < 0.4


def test_labels_name_real_templates_and_cover_every_interpellation_pool() -> None:
    labels = tx.interpellation_labels()
    by_pool: dict[str, set[str]] = {}
    for label in labels:
        by_pool.setdefault(label.pool, set()).add(label.template)
    # each "no answer" set names templates of its pool (a typo would silently label "yes")
    questions = set().union(*(by_pool[f"QUESTIONS.{r}"] for r in tx.ROLES))
    assert tx.QUESTIONS_NO_ANSWER <= questions
    assert tx.REPLIES_TO_CITY_NO_ANSWER <= by_pool["REPLIES_TO_CITY"]
    assert tx.FOLLOWUPS_NO_ANSWER <= by_pool["FOLLOWUPS"]
    assert tx.STORM_MENTIONS_NO_ANSWER <= by_pool["STORM_MENTIONS"]
    assert {label.template for label in labels if not label.expects} == (
        tx.QUESTIONS_NO_ANSWER | tx.REPLIES_TO_CITY_NO_ANSWER | tx.FOLLOWUPS_NO_ANSWER)
    # mixed pools: both labels occur
    assert {label.expects for label in labels if label.pool == "QUESTIONS.events"} == {True,
                                                                                        False}


@pytest.mark.parametrize(
    ("text", "template", "expects", "greeting"),
    [
        ("@vsl_sortir Svp dommage que le festival des jeux finisse si tôt…",
         "dommage que le {event} finisse si tôt…", False, "Svp "),
        ("Dommage que le marché de Noël finisse si tôt… @vsl_sortir",
         "dommage que le {event} finisse si tôt…", False, ""),
        ("@villeneuve.bsky.social Toujours rien…", "Toujours rien…", True, ""),
        ("@villeneuve_fr Bonjour, quand rouvre la piscine municipale ?",
         "quand rouvre la piscine municipale ?", True, "Bonjour, "),
    ],
)
def test_a_generated_text_is_traced_to_its_template(
    text: str, template: str, expects: bool, greeting: str
) -> None:
    label = cf.label_of(text)
    assert label is not None and label.template == template and label.expects is expects
    assert cf._greeting(label, text) == greeting


def test_a_text_of_no_template_has_no_label() -> None:
    assert cf.label_of("Tout le monde en parle au conseil municipal") is None
    assert cf.label_of("Super nouvelle ! Et la suite ?") is None  # a template, then more


def test_scores_count_the_confusion_matrix() -> None:
    s = cf.score([(True, True), (True, False), (False, True), (False, False), (True, True)])
    assert (s.tp, s.fn, s.fp, s.tn) == (2, 1, 1, 1)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert cf.score([]).f1 == 0.0
