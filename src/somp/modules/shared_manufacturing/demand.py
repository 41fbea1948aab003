"""Shared-manufacturing demand analysis (framework node 3.4, "analyse shared-manufacturing
demand"), pure: demand by capability over time against the published capacity.

Per capability and time bucket (a week by default):

* ``capacity_hours``: working time of the published resources offering the capability (calendar
  minus maintenance, breakdowns and time booked elsewhere); a resource with several capabilities
  counts in each of them;
* ``demand_hours``: processing hours of the operations asking for the capability, counted whole
  in the bucket where they start (planned start, or the order's release while unplanned);
* ``idle_hours = max(0, capacity - demand)``, ``utilisation = demand / capacity``;
* verdict ``short`` (utilisation at or above ``short_at``, or demand with no capacity), ``idle``
  (below ``idle_below``) or ``balanced``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class CapacityItem:
    capability: str
    windows: tuple[Interval, ...]  # available time of one resource (UTC)


@dataclass(frozen=True)
class DemandItem:
    capability: str
    start: dt.datetime
    hours: float


@dataclass(frozen=True)
class DemandRow:
    capability: str
    bucket_start: dt.datetime
    capacity_hours: float
    demand_hours: float
    idle_hours: float
    utilisation: float | None
    verdict: str  # short, balanced, idle


def buckets(start: dt.datetime, count: int, days: int = 7) -> list[Interval]:
    step = dt.timedelta(days=days)
    return [(start + k * step, start + (k + 1) * step) for k in range(count)]


def _overlap_hours(windows: Iterable[Interval], a: dt.datetime, b: dt.datetime) -> float:
    total = 0.0
    for wa, wb in windows:
        lo, hi = max(wa, a), min(wb, b)
        if lo < hi:
            total += (hi - lo).total_seconds()
    return total / 3600.0


def analyse(
    capacity: Sequence[CapacityItem],
    demand: Sequence[DemandItem],
    periods: Sequence[Interval],
    *,
    short_at: float = 0.9,
    idle_below: float = 0.5,
) -> list[DemandRow]:
    """One row per (capability, period), capabilities in name order, periods in time order."""
    codes = sorted({c.capability for c in capacity} | {d.capability for d in demand})
    rows = []
    for code in codes:
        items = [c for c in capacity if c.capability == code]
        for a, b in periods:
            cap = sum(_overlap_hours(c.windows, a, b) for c in items)
            dem = sum(d.hours for d in demand if d.capability == code and a <= d.start < b)
            util = dem / cap if cap > 0 else None
            if (util is None and dem > 0) or (util is not None and util >= short_at):
                verdict = "short"
            elif util is None or util < idle_below:
                verdict = "idle"
            else:
                verdict = "balanced"
            rows.append(DemandRow(code, a, round(cap, 4), round(dem, 4), round(max(0.0, cap - dem), 4), util, verdict))
    return rows
