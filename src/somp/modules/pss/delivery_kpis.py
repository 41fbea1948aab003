"""Delivery KPIs (framework node 2.1.5 交付). Pure Python: no database, no web framework.

For the delivery projects of a period (a half-open range of days ``[start, end)``):

* **on-time delivery rate** — among the projects accepted in the period, the share accepted on or
  before the promised date (``accepted_on <= due_on``);
* **first-time-right commissioning rate** — among the projects whose commissioning passed in the
  period, the share that passed at the first attempt;
* **lead time** — days from the order (``ordered_on``) to acceptance of the projects accepted in
  the period: median and 90th percentile.

Percentiles interpolate linearly between order statistics (Hyndman and Fan's definition 7, the
default of numpy's ``percentile`` and of R's ``quantile``). A rate or lead time without any project
behind it is ``None``: no data is not 0 % or 100 %.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ProjectFacts:
    ordered_on: dt.date
    due_on: dt.date
    accepted_on: dt.date | None = None
    commissioned_on: dt.date | None = None  # the day commissioning passed
    first_time_right: bool | None = None  # passed at the first attempt


@dataclass(frozen=True)
class DeliveryKpis:
    start: dt.date
    end: dt.date  # exclusive
    accepted: int
    on_time: int
    on_time_rate: float | None
    commissioned: int
    first_time_right: int
    first_time_right_rate: float | None
    lead_time_median_days: float | None
    lead_time_p90_days: float | None
    lead_time_mean_days: float | None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation (definition 7)."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    xs = sorted(values)
    h = (len(xs) - 1) * q / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def kpis(projects: Iterable[ProjectFacts], start: dt.date, end: dt.date) -> DeliveryKpis:
    if end <= start:
        raise ValueError("the period must end after it starts")
    projects = list(projects)
    accepted = [p for p in projects if p.accepted_on is not None and start <= p.accepted_on < end]
    commissioned = [p for p in projects if p.commissioned_on is not None and start <= p.commissioned_on < end]
    on_time = sum(1 for p in accepted if p.accepted_on <= p.due_on)  # type: ignore[operator]
    ftr = sum(1 for p in commissioned if p.first_time_right)
    leads = [float((p.accepted_on - p.ordered_on).days) for p in accepted]  # type: ignore[operator]
    return DeliveryKpis(
        start=start,
        end=end,
        accepted=len(accepted),
        on_time=on_time,
        on_time_rate=on_time / len(accepted) if accepted else None,
        commissioned=len(commissioned),
        first_time_right=ftr,
        first_time_right_rate=ftr / len(commissioned) if commissioned else None,
        lead_time_median_days=percentile(leads, 50) if leads else None,
        lead_time_p90_days=percentile(leads, 90) if leads else None,
        lead_time_mean_days=sum(leads) / len(leads) if leads else None,
    )


def month_range(period: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` -> (first day, first day of the next month); ``YYYY-Qn`` and ``YYYY`` likewise."""
    try:
        if len(period) == 4:
            y = int(period)
            return dt.date(y, 1, 1), dt.date(y + 1, 1, 1)
        if len(period) == 7 and period[4:6] == "-Q":
            y, q = int(period[:4]), int(period[6])
            if not 1 <= q <= 4:
                raise ValueError(period)
            first = dt.date(y, 3 * q - 2, 1)
            return first, dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)
        if len(period) == 7 and period[4] == "-":
            y, m = int(period[:4]), int(period[5:])
            first = dt.date(y, m, 1)
            return first, dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1)
    except ValueError:
        pass
    raise ValueError(f"period {period!r} is not YYYY-MM, YYYY-Qn or YYYY")


def months(last: str, count: int) -> list[str]:
    """The ``count`` months ending with ``last`` (``YYYY-MM``), oldest first."""
    first, _ = month_range(last)
    out = []
    y, m = first.year, first.month
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]
