"""Working calendars and SLA timers for after-sales tickets (framework node 2.1.6, 售后管理). Pure:
no database, no web framework.

:class:`WorkingCalendar` — working hours per weekday (several intervals a day, e.g. 09:00-12:00
and 13:00-18:00), holidays and make-up working days (调休上班: a weekend day worked in exchange for
a bridge day off), in one IANA time zone; all instants in and out are aware datetimes (any zone),
the calendar is read in its own zone. :func:`china_calendar` builds one with the public holidays and
make-up days of the State Council notices (国务院办公厅关于部分节假日安排的通知) for the years in
:data:`CN_HOLIDAYS`; asking it about another year raises :class:`CalendarNotCovered` rather than
silently treating a holiday as a working day. ``WorkingCalendar.always()`` is 24 x 7.

:func:`evaluate` runs the two clocks of a ticket over its events (:class:`Event`):

* response: from ``opened`` to the first ``responded``;
* resolution: from ``opened`` to ``resolved``, paused from ``paused`` (waiting for the customer) to
  ``resumed``, restarted by ``reopened`` (time already spent counts); by default the response clock
  is not paused (``SlaTerms.pause_response``).

Each clock counts business time only (the calendar of the ticket's priority, e.g. 24 x 7 for P1 and
office hours for the rest) and reports elapsed and remaining business seconds, the deadline (the
instant the target is reached: exact when it lies in the past, projected on the calendar when the
clock is running, None while paused), whether and when it was breached, and the escalation levels
reached (fractions of the target, e.g. 50 %, 75 %, 100 %) with the instant each was reached.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.UTC
Interval = tuple[dt.time, dt.time]


class CalendarNotCovered(ValueError):
    """The calendar has no holiday data for the date asked about."""


@dataclass(frozen=True)
class Holiday:
    name_zh: str
    name_en: str
    first: dt.date
    last: dt.date


# State Council notices: 国办发明电〔2024〕12号 (2025) and 国办发明电〔2025〕7号 (2026)
_D = dt.date
CN_HOLIDAYS: dict[int, tuple[tuple[Holiday, ...], tuple[dt.date, ...]]] = {
    2025: (
        (
            Holiday("元旦", "New Year's Day", _D(2025, 1, 1), _D(2025, 1, 1)),
            Holiday("春节", "Spring Festival", _D(2025, 1, 28), _D(2025, 2, 4)),
            Holiday("清明节", "Qingming Festival", _D(2025, 4, 4), _D(2025, 4, 6)),
            Holiday("劳动节", "Labour Day", _D(2025, 5, 1), _D(2025, 5, 5)),
            Holiday("端午节", "Dragon Boat Festival", _D(2025, 5, 31), _D(2025, 6, 2)),
            Holiday("国庆节、中秋节", "National Day and Mid-Autumn Festival", _D(2025, 10, 1), _D(2025, 10, 8)),
        ),
        (_D(2025, 1, 26), _D(2025, 2, 8), _D(2025, 4, 27), _D(2025, 9, 28), _D(2025, 10, 11)),
    ),
    2026: (
        (
            Holiday("元旦", "New Year's Day", _D(2026, 1, 1), _D(2026, 1, 3)),
            Holiday("春节", "Spring Festival", _D(2026, 2, 15), _D(2026, 2, 23)),
            Holiday("清明节", "Qingming Festival", _D(2026, 4, 4), _D(2026, 4, 6)),
            Holiday("劳动节", "Labour Day", _D(2026, 5, 1), _D(2026, 5, 5)),
            Holiday("端午节", "Dragon Boat Festival", _D(2026, 6, 19), _D(2026, 6, 21)),
            Holiday("中秋节", "Mid-Autumn Festival", _D(2026, 9, 25), _D(2026, 9, 27)),
            Holiday("国庆节", "National Day", _D(2026, 10, 1), _D(2026, 10, 7)),
        ),
        (_D(2026, 1, 4), _D(2026, 2, 14), _D(2026, 2, 28), _D(2026, 5, 9), _D(2026, 9, 20), _D(2026, 10, 10)),
    ),
}

OFFICE_HOURS: tuple[Interval, ...] = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))


@dataclass(frozen=True)
class WorkingCalendar:
    """Working intervals per weekday (0 = Monday) in ``tz``; holidays are off, make-up days are
    worked with ``makeup_hours`` (default: Monday's hours). ``covered``: the years whose holidays
    are known (None: any date is fine)."""

    weekly: Mapping[int, tuple[Interval, ...]]
    tz: str = "Asia/Shanghai"
    holidays: frozenset[dt.date] = frozenset()
    makeup_days: frozenset[dt.date] = frozenset()
    makeup_hours: tuple[Interval, ...] | None = None
    covered: frozenset[int] | None = None
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.tz))
        days = [*self.weekly.values(), self.makeup_hours or ()]
        object.__setattr__(self, "_overnight", any(b <= a for ivs in days for a, b in ivs))
        for day, ivs in self.weekly.items():
            if day not in range(7):
                raise ValueError(f"weekday {day} is not 0..6")
            _check_intervals(ivs)
        _check_intervals(self.makeup_hours or ())
        if self.holidays & self.makeup_days:
            raise ValueError(f"days both holiday and make-up day: {sorted(self.holidays & self.makeup_days)}")

    @classmethod
    def always(cls, tz: str = "Asia/Shanghai") -> WorkingCalendar:
        """24 x 7: every instant counts."""
        return cls({d: ((dt.time(0), dt.time(0)),) for d in range(7)}, tz)

    @classmethod
    def weekdays(cls, hours: tuple[Interval, ...] = OFFICE_HOURS, tz: str = "Asia/Shanghai") -> WorkingCalendar:
        return cls({d: hours for d in range(5)}, tz)

    def hours_on(self, day: dt.date) -> tuple[Interval, ...]:
        if self.covered is not None and day.year not in self.covered:
            raise CalendarNotCovered(f"no holiday data for {day.year} (known: {sorted(self.covered)})")
        if day in self.holidays:
            return ()
        if day in self.makeup_days:
            return self.makeup_hours or self.weekly.get(0, ())
        return self.weekly.get(day.weekday(), ())

    def intervals(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """Working intervals within [start, end), as UTC datetimes, in time order."""
        start, end = _utc(start), _utc(end)
        out: list[tuple[dt.datetime, dt.datetime]] = []
        day = start.astimezone(self.zone).date()
        if self._overnight:  # an interval of the day before may run past midnight
            day -= dt.timedelta(days=1)
        while _local(day, dt.time(0), self.zone) < end:  # days that begin before the end
            for a, b in self.hours_on(day):
                s = _local(day, a, self.zone)
                e = _local(day + dt.timedelta(days=1) if b <= a else day, b, self.zone)  # 00:00 end: midnight
                s, e = max(s, start), min(e, end)
                if s < e:
                    if out and out[-1][1] == s:
                        out[-1] = (out[-1][0], e)
                    else:
                        out.append((s, e))
            day += dt.timedelta(days=1)
        return out

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        return sum((e - s).total_seconds() for s, e in self.intervals(start, end))

    def add(self, start: dt.datetime, seconds: float, horizon_days: int = 400) -> dt.datetime:
        """The instant at which ``seconds`` of working time after ``start`` have passed."""
        t, left = _utc(start), float(seconds)
        if left <= 0:
            return t
        for _ in range(horizon_days):  # a day at a time: never reads a day it does not need
            for s, e in self.intervals(t, t + dt.timedelta(days=1)):
                span = (e - s).total_seconds()
                if span >= left:
                    return s + dt.timedelta(seconds=left)
                left -= span
            t += dt.timedelta(days=1)
        raise ValueError(f"no {seconds} s of working time within {horizon_days} days of {start}")


def china_calendar(
    hours: tuple[Interval, ...] = OFFICE_HOURS, tz: str = "Asia/Shanghai", years: Iterable[int] | None = None
) -> WorkingCalendar:
    """Monday-Friday ``hours`` with China's public holidays and make-up working days."""
    years = sorted(CN_HOLIDAYS) if years is None else sorted(years)
    missing = [y for y in years if y not in CN_HOLIDAYS]
    if missing:
        raise CalendarNotCovered(f"no State Council holiday notice stored for {missing}")
    off, makeup = set(), set()
    for y in years:
        hols, days = CN_HOLIDAYS[y]
        for h in hols:
            off |= {h.first + dt.timedelta(days=k) for k in range((h.last - h.first).days + 1)}
        makeup |= set(days)
    return WorkingCalendar({d: hours for d in range(5)}, tz, frozenset(off), frozenset(makeup), None, frozenset(years))


def _check_intervals(ivs: Sequence[Interval]) -> None:
    prev = None
    for a, b in ivs:
        if b != dt.time(0) and b <= a:
            raise ValueError(f"interval {a}-{b} ends before it starts (use 00:00 as the end for midnight)")
        if prev is not None and a < prev:
            raise ValueError("working intervals of a day must be in order and not overlap")
        prev = b if b != dt.time(0) else dt.time.max


def _utc(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t}: SLA times must be timezone-aware")
    return t.astimezone(UTC)


def _local(day: dt.date, t: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=zone).astimezone(UTC)


# ---- SLA clocks -----------------------------------------------------------------------------------


class Priority(enum.StrEnum):
    p1 = "P1"  # critical: production stopped
    p2 = "P2"  # high
    p3 = "P3"  # normal
    p4 = "P4"  # low


class EventKind(enum.StrEnum):
    opened = "opened"
    responded = "responded"
    paused = "paused"  # waiting for the customer
    resumed = "resumed"
    resolved = "resolved"
    reopened = "reopened"


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: EventKind


@dataclass(frozen=True)
class Target:
    response: dt.timedelta
    resolution: dt.timedelta
    calendar: WorkingCalendar


@dataclass(frozen=True)
class SlaTerms:
    targets: Mapping[Priority, Target]
    escalation: tuple[float, ...] = (0.5, 0.75, 1.0)  # fractions of the target
    pause_response: bool = False


class ClockState(enum.StrEnum):
    running = "running"
    paused = "paused"
    met = "met"  # stopped before the target
    breached = "breached"  # the target was reached while running (whether stopped since or not)


@dataclass(frozen=True)
class Clock:
    name: str
    target_seconds: float
    elapsed_seconds: float
    state: ClockState
    deadline: dt.datetime | None  # None while paused and not yet breached
    breached_at: dt.datetime | None
    escalations: tuple[tuple[float, dt.datetime], ...]  # (fraction, instant reached), reached ones only
    stopped_at: dt.datetime | None

    @property
    def remaining_seconds(self) -> float:
        return max(0.0, self.target_seconds - self.elapsed_seconds)

    @property
    def used(self) -> float:
        """Elapsed business time as a fraction of the target."""
        return self.elapsed_seconds / self.target_seconds if self.target_seconds else 1.0

    @property
    def escalation_level(self) -> int:
        return len(self.escalations)


@dataclass(frozen=True)
class SlaStatus:
    priority: Priority
    response: Clock
    resolution: Clock


def evaluate(terms: SlaTerms, priority: Priority | str, events: Iterable[Event], now: dt.datetime) -> SlaStatus:
    """Both clocks of a ticket at ``now`` (events after ``now`` are ignored)."""
    priority = Priority(priority)
    target = terms.targets[priority]
    now = _utc(now)
    evs = sorted((Event(_utc(e.at), EventKind(e.kind)) for e in events if _utc(e.at) <= now), key=lambda e: e.at)
    if not evs or evs[0].kind is not EventKind.opened:
        raise ValueError("a ticket's events start with 'opened'")
    resp = _periods(evs, now, stop={EventKind.responded}, pausable=terms.pause_response, once=True)
    reso = _periods(evs, now, stop={EventKind.resolved}, pausable=True, once=False)
    return SlaStatus(
        priority,
        _clock("response", target.response, target.calendar, resp, now, terms.escalation),
        _clock("resolution", target.resolution, target.calendar, reso, now, terms.escalation),
    )


@dataclass
class _Periods:
    spans: list[tuple[dt.datetime, dt.datetime]]  # running spans (wall clock), up to now
    running: bool  # running at now
    paused: bool  # paused at now
    stopped_at: dt.datetime | None


def _periods(evs: list[Event], now: dt.datetime, stop: set[EventKind], pausable: bool, once: bool) -> _Periods:
    spans, start, paused, stopped_at, open_ = [], None, False, None, False
    for e in evs:
        k = e.kind
        if k is EventKind.opened and not open_:
            open_, start = True, e.at
        elif k in stop and open_ and (stopped_at is None or not once):
            if start is not None:
                spans.append((start, e.at))
            start, stopped_at, open_, paused = None, e.at, False, False
            if once:
                break
        elif k is EventKind.reopened and not once and not open_ and stopped_at is not None:
            open_, start, stopped_at = True, e.at, None
        elif pausable and open_ and k is EventKind.paused and start is not None:
            spans.append((start, e.at))
            start, paused = None, True
        elif pausable and open_ and k is EventKind.resumed and paused:
            start, paused = e.at, False
    if start is not None:
        spans.append((start, now))
    return _Periods(spans, start is not None, paused and open_, stopped_at)


def _clock(name, target_td: dt.timedelta, cal: WorkingCalendar, p: _Periods, now, levels) -> Clock:
    target = target_td.total_seconds()
    business = [iv for s, e in p.spans for iv in cal.intervals(s, e)]
    elapsed = sum((e - s).total_seconds() for s, e in business)

    def reached(seconds: float) -> dt.datetime | None:
        """The instant the running business time reaches ``seconds``: in the past, or projected."""
        left = seconds
        for s, e in business:
            span = (e - s).total_seconds()
            if span >= left:
                return s + dt.timedelta(seconds=left)
            left -= span
        return cal.add(now, left) if p.running else None

    deadline = reached(target)
    breached_at = deadline if deadline is not None and deadline <= now and elapsed >= target else None
    escalations = tuple((f, t) for f in levels if (t := reached(f * target)) is not None and t <= now)
    if breached_at is not None:
        state = ClockState.breached
    elif p.stopped_at is not None:
        state = ClockState.met
    else:
        state = ClockState.paused if p.paused else ClockState.running
    return Clock(name, target, elapsed, state, deadline, breached_at, escalations, p.stopped_at)
