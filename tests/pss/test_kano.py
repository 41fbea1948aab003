"""Kano analysis (somp.modules.pss.kano) against published material.

* The evaluation table of Berger et al., "Kano's methods for understanding customer-defined
  quality", Center for Quality of Management Journal 2(4), Fall 1993, p. 6 (functional answer by
  row, dysfunctional by column, like / must-be / neutral / live-with / dislike)::

      like      Q A A A O
      must-be   R I I I M
      neutral   R I I I M
      live-with R I I I M
      dislike   R R R R Q

* The worked tally of the Kano study guide "Classic Kano survey analysis"
  (kano-model.proofofthepudding.be, step 4 "lookup table analysis"), 25 respondents:
  feature 1: M 9, O 10, A 1, I 2, R 3, Q 0 -> one-dimensional (majority);
  feature 2: M 9, O 5, A 4, I 2, R 4, Q 1 -> must-be.
  Timko's coefficients (Berger et al. 1993, p. 18) on those counts:
  feature 1 better = (1 + 10) / 22 = 0.5, worse = -(10 + 9) / 22 = -0.8636;
  feature 2 better = (4 + 5) / 20 = 0.45, worse = -(5 + 9) / 20 = -0.70.
"""

from __future__ import annotations

import pytest

from somp.modules.pss.kano import Answer, Category, analyse, classify, result_from_counts

BERGER_TABLE = {
    "like": "QAAAO",
    "expect": "RIIIM",
    "neutral": "RIIIM",
    "live_with": "RIIIM",
    "dislike": "RRRRQ",
}
COLUMNS = ["like", "expect", "neutral", "live_with", "dislike"]

# an answer pair that gives each category (read off the table above)
PAIR = {
    "A": ("like", "neutral"),
    "O": ("like", "dislike"),
    "M": ("neutral", "dislike"),
    "I": ("neutral", "neutral"),
    "R": ("dislike", "like"),
    "Q": ("like", "like"),
}


@pytest.mark.parametrize("functional", COLUMNS)
def test_evaluation_table_is_berger_et_al_1993(functional):
    got = "".join(classify(functional, d).value for d in COLUMNS)
    assert got == BERGER_TABLE[functional]


def responses_for(requirement: str, counts: dict[str, int], start: int = 0):
    out, k = [], start
    for cat, n in counts.items():
        for _ in range(n):
            out.append((f"resp{k}", requirement, *PAIR[cat]))
            k += 1
    return out


def test_worked_tally_of_the_kano_study_guide():
    f1 = {"M": 9, "O": 10, "A": 1, "I": 2, "R": 3, "Q": 0}
    f2 = {"M": 9, "O": 5, "A": 4, "I": 2, "R": 4, "Q": 1}
    res = analyse(responses_for("feature 1", f1) + responses_for("feature 2", f2))
    r1, r2 = res["feature 1"], res["feature 2"]
    assert {k.value: v for k, v in r1.counts.items()} == f1 and r1.n == 25
    assert r1.category is Category.one_dimensional and r2.category is Category.must_be
    assert r1.better == pytest.approx(0.5) and r1.worse == pytest.approx(-0.8636, abs=1e-4)
    assert r2.better == pytest.approx(0.45) and r2.worse == pytest.approx(-0.70)
    # O leads M by one answer of 25: a weak, not significant classification (Fong 1996)
    assert r1.category_strength == pytest.approx(0.04) and not r1.significant
    assert r2.category_strength == pytest.approx(0.16) and not r2.significant


def test_ties_prefer_must_be_then_one_dimensional_then_attractive():
    assert result_from_counts("x", {"M": 4, "O": 4, "A": 4}).category is Category.must_be
    assert result_from_counts("x", {"O": 4, "A": 4, "I": 4}).category is Category.one_dimensional
    assert result_from_counts("x", {"A": 3, "I": 3}).category is Category.attractive


def test_clear_majority_is_significant_and_labels_are_bilingual():
    r = result_from_counts("remote monitoring", {"A": 30, "O": 5, "M": 2, "I": 3})
    assert r.category is Category.attractive and r.significant
    assert (r.category.label_zh, r.category.label_en) == ("魅力型", "attractive")
    assert r.better == pytest.approx(35 / 40) and r.worse == pytest.approx(-7 / 40)


def test_only_reverse_and_questionable_answers_have_no_coefficients():
    r = result_from_counts("x", {"R": 3, "Q": 1})
    assert r.category is Category.reverse and r.better is None and r.worse is None


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="twice"):
        analyse([("r1", "x", "like", "dislike"), ("r1", "x", "like", "like")])
    with pytest.raises(ValueError):
        classify("love", "dislike")
    with pytest.raises(ValueError, match="no answers"):
        result_from_counts("x", {})
    assert Answer("live_with") is Answer.live_with
