"""Kano questionnaire analysis (framework node 2.1.1, requirements engineering 需求工程). Pure: no
database, no web framework.

Each respondent answers a pair of questions per requirement: the *functional* one ("how do you feel
if the product has it?") and the *dysfunctional* one ("... if it does not?"), each on the five-point
scale :class:`Answer` (like / expect / neutral / live with / dislike). The Kano evaluation table
(Berger et al., "Kano's methods for understanding customer-defined quality", Center for Quality of
Management Journal 2(4), 1993, p. 6) maps the pair to a :class:`Category`:

=================  ====  ======  =======  =========  =======
functional \\ dys.  like  expect  neutral  live with  dislike
=================  ====  ======  =======  =========  =======
like               Q     A       A        A          O
expect             R     I       I        I          M
neutral            R     I       I        I          M
live with          R     I       I        I          M
dislike            R     R       R        R          Q
=================  ====  ======  =======  =========  =======

A attractive 魅力型, O one-dimensional 期望型, M must-be 必备型, I indifferent 无差异型, R reverse
反向型, Q questionable 可疑.

Per requirement (:func:`analyse`): the counts per category; the category is the *mode*. Ties are
broken by the rule of Berger et al. / Matzler and Hinterhuber (1998): M > O > A > I (what hurts most
when missing first), then R > Q. ``category_strength`` is the share of the mode minus the share of the
runner-up; Lee and Newcomb (1997) read a strength under 6 % as a mixed category. ``significant`` is
Fong's (1996) test: the two most frequent categories differ significantly (about 90 %) when
``|a - b| >= 1.65 * sqrt((a + b) * (2n - a - b) / (2n))``. The customer-satisfaction coefficients
of Timko (in Berger et al. 1993, p. 18) ignore R and Q:
``better = (A + O) / (A + O + M + I)``, ``worse = -(O + M) / (A + O + M + I)``.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


class Answer(enum.StrEnum):
    like = "like"  # 我喜欢
    expect = "expect"  # 理所当然 (must-be)
    neutral = "neutral"  # 无所谓
    live_with = "live_with"  # 能忍受
    dislike = "dislike"  # 我不喜欢


class Category(enum.StrEnum):
    attractive = "A"
    one_dimensional = "O"
    must_be = "M"
    indifferent = "I"
    reverse = "R"
    questionable = "Q"

    @property
    def label_zh(self) -> str:
        return {"A": "魅力型", "O": "期望型", "M": "必备型", "I": "无差异型", "R": "反向型", "Q": "可疑"}[self.value]

    @property
    def label_en(self) -> str:
        return self.name.replace("_", "-")


_ORDER = (Answer.like, Answer.expect, Answer.neutral, Answer.live_with, Answer.dislike)
_TABLE = ("QAAAO", "RIIIM", "RIIIM", "RIIIM", "RRRRQ")  # rows: functional answer; columns: dysfunctional
TIE_ORDER = (Category.must_be, Category.one_dimensional, Category.attractive, Category.indifferent, Category.reverse)
TIE_ORDER += (Category.questionable,)


def classify(functional: Answer | str, dysfunctional: Answer | str) -> Category:
    """The evaluation-table category of one respondent's answer pair."""
    f, d = _ORDER.index(Answer(functional)), _ORDER.index(Answer(dysfunctional))
    return Category(_TABLE[f][d])


@dataclass(frozen=True)
class Response:
    respondent: str
    requirement: str
    functional: Answer
    dysfunctional: Answer


@dataclass(frozen=True)
class KanoResult:
    requirement: str
    counts: dict[Category, int]  # every category, zero included
    category: Category
    category_strength: float  # share of the mode minus share of the runner-up (0..1)
    significant: bool  # Fong's test between the two most frequent categories
    better: float | None  # None when A + O + M + I is 0
    worse: float | None

    @property
    def n(self) -> int:
        return sum(self.counts.values())


def result_from_counts(requirement: str, counts: dict[Category | str, int]) -> KanoResult:
    """Category, strength, Fong's test and Better/Worse from a tally of categories."""
    c = {k: int(counts.get(k, counts.get(k.value, 0))) for k in Category}
    if any(v < 0 for v in c.values()):
        raise ValueError("counts must not be negative")
    n = sum(c.values())
    if n == 0:
        raise ValueError(f"requirement {requirement!r} has no answers")
    ranked = sorted(Category, key=lambda k: (-c[k], TIE_ORDER.index(k)))
    a, b = c[ranked[0]], c[ranked[1]]
    fong = 1.65 * math.sqrt((a + b) * (2 * n - a - b) / (2 * n))
    core = c[Category.attractive] + c[Category.one_dimensional] + c[Category.must_be] + c[Category.indifferent]
    better = (c[Category.attractive] + c[Category.one_dimensional]) / core if core else None
    worse = -(c[Category.one_dimensional] + c[Category.must_be]) / core if core else None
    return KanoResult(requirement, c, ranked[0], (a - b) / n, abs(a - b) >= fong, better, worse)


def analyse(responses: Iterable[Response | tuple]) -> dict[str, KanoResult]:
    """Kano results per requirement (in order of first appearance) from answer pairs.

    A response is a :class:`Response` or a tuple ``(respondent, requirement, functional,
    dysfunctional)``. A respondent answering the same requirement twice is refused."""
    tallies: dict[str, Counter] = {}
    seen: set[tuple[str, str]] = set()
    for r in responses:
        r = r if isinstance(r, Response) else Response(r[0], r[1], Answer(r[2]), Answer(r[3]))
        if (r.respondent, r.requirement) in seen:
            raise ValueError(f"respondent {r.respondent!r} answered {r.requirement!r} twice")
        seen.add((r.respondent, r.requirement))
        tallies.setdefault(r.requirement, Counter())[classify(r.functional, r.dysfunctional)] += 1
    return {req: result_from_counts(req, dict(t)) for req, t in tallies.items()}
