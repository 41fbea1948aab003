"""Marketplace rules of shared manufacturing (framework node 3.4, 共享制造), pure: capability
matching, processing time, calendars, transport between sites, prices and the reschedule diff.
No database, no web framework.

* **Capability parameters.** A resource offers a capability code with parameters; an operation
  asks for the code with requirements. A requirement ``k: v`` is met when the offer has
  ``max_k >= v``, ``min_k <= v``, a list ``k`` holding ``v`` (or every item of a list ``v``), or
  ``k == v``; an offer that names none of these does not meet it. Example: laser cutting offering
  ``{"max_thickness_mm": 20, "materials": ["steel", "stainless"]}`` meets
  ``{"thickness_mm": 12, "materials": "steel"}``.
* **Processing time.** A fixed ``minutes`` of the operation, or the capability's setup minutes
  plus ``quantity / units_per_hour`` hours, rounded up to the minute.
* **Calendars.** Weekly shifts in local time (``utc_offset_hours``, China +8), breaks every day;
  a shift ending at or before its start runs past midnight. No shifts: available around the clock.
* **Transport.** Great-circle distance (haversine, mean Earth radius 6371.0 km) at a road speed
  plus a handling time; none within one site.
* **Changeovers** (sequence-dependent setups). A resource may publish the minutes to change over
  from one setup family (material, tooling) to another: ``changeover[from][to]``, else its default
  ``changeover_minutes`` between two different families; none within a family, none before the
  first operation on a resource. A quote prices the worst changeover into the operation's family.
* **Prices.** Exact ``Decimal`` CNY: machine time ``minutes / 60 x hourly rate`` and the platform
  fee, each rounded half-up to the fen (0.01).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

EARTH_RADIUS_KM = 6371.0
FEN = Decimal("0.01")
Interval = tuple[dt.datetime, dt.datetime]


# ------------------------------------------------------------------------------ capabilities


def requirement_unmet(requirements: Mapping[str, Any], offer: Mapping[str, Any]) -> str | None:
    """``None`` when ``offer`` meets every requirement; otherwise the first unmet one, in words."""
    try:
        return _unmet(requirements, offer)
    except ValueError as exc:  # a limit compared with a text
        return str(exc)


def _unmet(requirements: Mapping[str, Any], offer: Mapping[str, Any]) -> str | None:
    for key, want in requirements.items():
        if f"max_{key}" in offer:
            if not _num(want) <= _num(offer[f"max_{key}"]):
                return f"{key} {want} above the maximum {offer[f'max_{key}']}"
            if f"min_{key}" in offer and not _num(want) >= _num(offer[f"min_{key}"]):
                return f"{key} {want} below the minimum {offer[f'min_{key}']}"
        elif f"min_{key}" in offer:
            if not _num(want) >= _num(offer[f"min_{key}"]):
                return f"{key} {want} below the minimum {offer[f'min_{key}']}"
        elif key in offer:
            have = offer[key]
            if isinstance(have, list):
                wanted = want if isinstance(want, list) else [want]
                missing = [w for w in wanted if w not in have]
                if missing:
                    return f"{key} {missing[0]} not offered"
            elif have != want:
                return f"{key} {want} not offered ({have})"
        else:
            return f"{key} not offered"
    return None


def _num(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | Decimal | str):
        raise ValueError(f"not a number: {x!r}")
    return float(x)


def processing_minutes(
    minutes: int | None, quantity: Decimal, units_per_hour: Decimal | None, setup_minutes: int = 0
) -> int | None:
    """The operation's minutes on a resource; ``None`` when neither a fixed time nor a rate is known."""
    if minutes is not None:
        return minutes
    if units_per_hour is None or units_per_hour <= 0:
        return None
    run = (Decimal(quantity) * 60 / Decimal(units_per_hour)).to_integral_value(rounding=ROUND_CEILING)
    return setup_minutes + max(1, int(run))


def grade_serves(resource_rank: int, required_rank: int) -> bool:
    return resource_rank >= required_rank


# ------------------------------------------------------------------------------ changeovers


def changeover(default: int, matrix: Mapping[str, Mapping[str, int]] | None, a: str, b: str) -> int:
    """Minutes to change a resource over from an operation of family ``a`` to one of family ``b``."""
    if a == b:
        return 0
    row = (matrix or {}).get(a)
    if row is not None and b in row:
        return int(row[b])
    return int(default)


def worst_changeover_into(default: int, matrix: Mapping[str, Mapping[str, int]] | None, family: str) -> int:
    """The longest changeover an operation of ``family`` may need on the resource (any family
    before it: the listed ones, or an unlisted one at the default)."""
    listed = [int(row[family]) for a, row in (matrix or {}).items() if a != family and family in row]
    return max([int(default), *listed])


def has_changeovers(default: int, matrix: Mapping[str, Mapping[str, int]] | None) -> bool:
    return default > 0 or any(int(m) > 0 for row in (matrix or {}).values() for m in row.values())


# ------------------------------------------------------------------------------ calendars


def _hhmm(text: str) -> int:
    h, _, m = text.partition(":")
    value = int(h) * 60 + int(m)
    if not (0 <= int(m) < 60 and 0 <= value <= 24 * 60):
        raise ValueError(f"not a time of day: {text!r}")
    return value


def check_calendar(calendar: Mapping[str, Any]) -> list[str]:
    """Problems of a calendar document (empty when sound)."""
    out = []
    off = calendar.get("utc_offset_hours", 8)
    if not isinstance(off, int | float) or not -12 <= off <= 14:
        out.append("utc_offset_hours must be between -12 and 14")
    for i, s in enumerate(calendar.get("shifts") or []):
        try:
            days = s["days"]
            if not days or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
                out.append(f"shifts[{i}].days: weekdays 0 (Monday) to 6")
            if _hhmm(s["start"]) == _hhmm(s["end"]) and s["start"] != "00:00":
                out.append(f"shifts[{i}]: start equals end")
        except (KeyError, TypeError, ValueError) as exc:
            out.append(f"shifts[{i}]: needs days, start 'HH:MM' and end 'HH:MM' ({exc})")
    for i, b in enumerate(calendar.get("breaks") or []):
        try:
            if _hhmm(b["start"]) >= _hhmm(b["end"]):
                out.append(f"breaks[{i}]: start must be before end (same day)")
        except (KeyError, TypeError, ValueError) as exc:
            out.append(f"breaks[{i}]: needs start and end 'HH:MM' ({exc})")
    return out


def available_windows(calendar: Mapping[str, Any], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """The calendar's working time within ``[start, end)`` (UTC, sorted, disjoint)."""
    shifts = calendar.get("shifts") or []
    if not shifts:
        return [(start, end)] if start < end else []
    tz = dt.timezone(dt.timedelta(hours=float(calendar.get("utc_offset_hours", 8))))
    breaks = [(_hhmm(b["start"]), _hhmm(b["end"])) for b in calendar.get("breaks") or []]
    day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last = end.astimezone(tz).date()
    out: list[Interval] = []
    while day <= last:
        midnight = dt.datetime.combine(day, dt.time(), tz)
        for s in shifts:
            if day.weekday() not in s["days"]:
                continue
            a, b = _hhmm(s["start"]), _hhmm(s["end"])
            if b <= a:
                b += 24 * 60
            pieces = [(a, b)]
            for ba, bb in breaks:
                for off in (0, 24 * 60):  # a break may fall on the day after a night shift began
                    pieces = [q for p in pieces for q in _cut(p, (ba + off, bb + off))]
            for pa, pb in pieces:
                out.append((midnight + dt.timedelta(minutes=pa), midnight + dt.timedelta(minutes=pb)))
        day += dt.timedelta(days=1)
    clipped = [(max(a, start), min(b, end)) for a, b in out]
    return merge([(a.astimezone(dt.UTC), b.astimezone(dt.UTC)) for a, b in clipped if a < b])


def _cut(piece: tuple[int, int], hole: tuple[int, int]) -> list[tuple[int, int]]:
    a, b = piece
    ha, hb = hole
    if hb <= a or ha >= b:
        return [piece]
    return [p for p in ((a, ha), (hb, b)) if p[0] < p[1]]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[list[dt.datetime]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def subtract(windows: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``windows`` minus ``holes`` (both UTC)."""
    out = list(windows)
    for ha, hb in merge(holes):
        nxt = []
        for a, b in out:
            if hb <= a or ha >= b:
                nxt.append((a, b))
                continue
            if a < ha:
                nxt.append((a, ha))
            if hb < b:
                nxt.append((hb, b))
        out = nxt
    return out


def hours(intervals: Iterable[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals) / 3600.0


# ------------------------------------------------------------------------------ transport


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float, radius: float = EARTH_RADIUS_KM) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class TransportModel:
    speed_kmh: float = 50.0  # trunk road average, loading included in handling
    handling_minutes: int = 60
    same_site_km: float = 1.0

    def minutes(self, km: float) -> int:
        if km < self.same_site_km:
            return 0
        return self.handling_minutes + math.ceil(km / self.speed_kmh * 60)


# ------------------------------------------------------------------------------ prices


def machine_cost(minutes: int, hourly_rate: Decimal) -> Decimal:
    return (Decimal(minutes) * Decimal(hourly_rate) / 60).quantize(FEN, rounding=ROUND_HALF_UP)


def platform_fee(amount: Decimal, rate: Decimal) -> Decimal:
    return (Decimal(amount) * Decimal(rate)).quantize(FEN, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------ diff


@dataclass(frozen=True)
class Placement:
    resource: int
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class PlanChange:
    operation: int
    kind: str  # new, moved, reassigned, unplanned
    old: Placement | None
    new: Placement | None


def diff_plans(old: Mapping[int, Placement], new: Mapping[int, Placement]) -> list[PlanChange]:
    """Operation by operation, what changed from ``old`` to ``new`` (unchanged ones left out): in
    ``new`` only is ``new``, in ``old`` only is ``unplanned``, another resource is ``reassigned``,
    the same resource at another time is ``moved``. Callers pass the operations they re-planned."""
    out = []
    for op in sorted(set(old) | set(new)):
        a, b = old.get(op), new.get(op)
        if a == b:
            continue
        if a is None:
            out.append(PlanChange(op, "new", None, b))
        elif b is None:
            out.append(PlanChange(op, "unplanned", a, None))
        elif a.resource != b.resource:
            out.append(PlanChange(op, "reassigned", a, b))
        else:
            out.append(PlanChange(op, "moved", a, b))
    return out


# ------------------------------------------------------------------------------ eligibility


@dataclass(frozen=True)
class Offer:
    """A published resource as the matching needs it."""

    resource: int
    grade_rank: int
    certifications: frozenset[str]
    hourly_rate: Decimal
    capabilities: Mapping[str, tuple[Mapping[str, Any], Decimal | None, int]]  # code -> (params, rate, setup)
    changeover_minutes: int = 0
    changeover: Mapping[str, Mapping[str, int]] | None = None

    def worst_changeover(self, family: str) -> int:
        return worst_changeover_into(self.changeover_minutes, self.changeover, family)


def eligible(
    capability: str,
    requirements: Mapping[str, Any],
    minutes: int | None,
    quantity: Decimal,
    grade_rank: int,
    certifications: Iterable[str],
    offers: Iterable[Offer],
    minutes_by_resource: Mapping[int, int] | None = None,
) -> list[tuple[Offer, int]]:
    """The offers that can do an operation, each with its processing minutes there: the capability
    with its parameters, at least the quality grade, every certification, and a known time.
    ``minutes_by_resource`` (the buyer's time per resource) limits the eligible resources to those
    listed, with those times."""
    need = frozenset(certifications)
    out = []
    for o in offers:
        if minutes_by_resource is not None and o.resource not in minutes_by_resource:
            continue
        cap = o.capabilities.get(capability)
        if cap is None or o.grade_rank < grade_rank or not need <= o.certifications:
            continue
        params, rate, setup = cap
        if requirement_unmet(requirements, params) is not None:
            continue
        if minutes_by_resource is not None:
            m: int | None = minutes_by_resource[o.resource]
        else:
            m = processing_minutes(minutes, quantity, rate, setup)
        if m is not None:
            out.append((o, m))
    return out
