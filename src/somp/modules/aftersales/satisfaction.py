"""Customer satisfaction and loyalty figures (framework nodes 1.2.1 客户管理 and 2.1.6 售后管理).
Pure: numbers and dates in, dataclasses out; no database, no web framework.

* Net Promoter Score (Reichheld, "The One Number You Need to Grow", HBR 81(12), 2003): answers
  0-10 to "how likely are you to recommend us"; promoters 9-10, passives 7-8, detractors 0-6;
  NPS = % promoters - % detractors, from -100 to +100.
* CSAT: answers 1-5 ("very dissatisfied" .. "very satisfied"); the score is the share of
  satisfied answers (4 or 5) in %, the usual top-two-box definition (as in Delighted's help
  centre, whose worked example the tests reproduce); the mean is reported too.
* Repurchase rate: among the customers who bought (signed a contract, placed an order) inside a
  window, the share who bought more than once in it.

No answers give ``None`` scores: missing is never 0.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


class Granularity(enum.StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


@dataclass(frozen=True)
class NpsResult:
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None  # % promoters - % detractors

    @property
    def promoter_pct(self) -> float | None:
        return 100.0 * self.promoters / self.n if self.n else None

    @property
    def detractor_pct(self) -> float | None:
        return 100.0 * self.detractors / self.n if self.n else None


@dataclass(frozen=True)
class CsatResult:
    n: int
    satisfied: int  # answers 4 or 5
    mean: float | None
    score: float | None  # % satisfied
    counts: tuple[int, int, int, int, int]  # answers 1..5


def _check(scores: Iterable[int], low: int, high: int) -> list[int]:
    out = []
    for s in scores:
        if isinstance(s, bool) or not isinstance(s, int) or not low <= s <= high:
            raise ValueError(f"score {s!r} is not an integer {low}..{high}")
        out.append(s)
    return out


def nps(scores: Iterable[int]) -> NpsResult:
    """NPS of 0-10 answers."""
    xs = _check(scores, 0, 10)
    p = sum(1 for s in xs if s >= 9)
    d = sum(1 for s in xs if s <= 6)
    n = len(xs)
    return NpsResult(n, p, n - p - d, d, (100.0 * (p - d) / n) if n else None)


def csat(scores: Iterable[int]) -> CsatResult:
    """CSAT of 1-5 answers."""
    xs = _check(scores, 1, 5)
    n = len(xs)
    counts = tuple(sum(1 for s in xs if s == k) for k in range(1, 6))
    sat = counts[3] + counts[4]
    return CsatResult(n, sat, (sum(xs) / n) if n else None, (100.0 * sat / n) if n else None, counts)  # type: ignore[arg-type]


def period_of(day: dt.date, granularity: Granularity | str) -> str:
    """The label of the period holding ``day``: ``2026-03``, ``2026-Q1`` or ``2026``."""
    g = Granularity(granularity)
    if g is Granularity.month:
        return f"{day.year}-{day.month:02d}"
    if g is Granularity.quarter:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")


def period_bounds(label: str) -> tuple[dt.date, dt.date]:
    """``(first day, first day after)`` of a period label (``2026``, ``2026-Q1``, ``2026-03``)."""
    m = _PERIOD.match(label.strip())
    if not m:
        raise ValueError(f"period {label!r} is not YYYY, YYYY-Qn or YYYY-MM")
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"period {label!r}: month {month} is not 01..12")
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
    elif m.group(3):
        q = int(m.group(3))
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
    else:
        start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return start, end


def periods_between(start: dt.date, end: dt.date, granularity: Granularity | str) -> list[str]:
    """Every period label touching ``[start, end)``, in order."""
    out: list[str] = []
    day = start
    while day < end:
        label = period_of(day, granularity)
        out.append(label)
        day = period_bounds(label)[1]
    return out


@dataclass(frozen=True)
class TrendPoint:
    period: str
    nps: NpsResult | None = None
    csat: CsatResult | None = None


def trend(
    answers: Iterable[tuple[dt.date, int]],
    kind: str,
    granularity: Granularity | str,
    start: dt.date,
    end: dt.date,
) -> list[TrendPoint]:
    """NPS (``kind="nps"``) or CSAT (``"csat"``) per period over ``[start, end)``; periods without
    answers are kept with ``n = 0`` and a ``None`` score, so a chart shows the gap."""
    if kind not in ("nps", "csat"):
        raise ValueError(f"kind {kind!r} is not nps or csat")
    if end <= start:
        raise ValueError("the end must be after the start")
    by: dict[str, list[int]] = defaultdict(list)
    for day, score in answers:
        if start <= day < end:
            by[period_of(day, granularity)].append(score)
    out = []
    for label in periods_between(start, end, granularity):
        xs = by.get(label, [])
        out.append(TrendPoint(label, nps=nps(xs)) if kind == "nps" else TrendPoint(label, csat=csat(xs)))
    return out


@dataclass(frozen=True)
class RepurchaseResult:
    customers: int  # bought at least once in the window
    repeat_customers: int  # bought more than once in it
    rate: float | None  # % repeat among buyers


def repurchase_rate(purchases: Iterable[tuple[Hashable, dt.date]], start: dt.date, end: dt.date) -> RepurchaseResult:
    """Share of the customers buying inside ``[start, end)`` who bought more than once there."""
    if end <= start:
        raise ValueError("the end must be after the start")
    counts: dict[Hashable, int] = defaultdict(int)
    for customer, day in purchases:
        if start <= day < end:
            counts[customer] += 1
    n = len(counts)
    repeat = sum(1 for c in counts.values() if c > 1)
    return RepurchaseResult(n, repeat, (100.0 * repeat / n) if n else None)
