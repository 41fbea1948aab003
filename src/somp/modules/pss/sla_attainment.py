"""SLA attainment per contract and period (framework nodes 2.1.6 售后管理 and 1.3.1, where SLA
attainment is a platform-data indicator of the maturity evaluation). Pure: no database, no web
framework.

Two sources are combined for one contract and one period ``[start, end)``:

* **availability** from downtime (outages of the covered assets, e.g. the telemetry-driven asset
  states failed / under maintenance): the ITIL measures, counted in the agreed service time of a
  service calendar (24 x 7 or service hours; anything with ``working_seconds(start, end)``, e.g. the
  after-sales module's ``WorkingCalendar`` or :mod:`somp.core.calendars`):

  - availability = (agreed service time - downtime) / agreed service time;
  - MTRS, mean time to restore service = downtime / number of service breaks;
  - MTBF, mean time between failures = (agreed service time - downtime) / number of breaks;
  - MTBSI, mean time between service incidents = agreed service time / number of breaks.

  Overlapping outages (two assets of one contract down at once) count once; planned maintenance
  agreed with the customer is not downtime; an outage still open is counted up to ``now``.
* **response and resolution** of the period's tickets or work orders from the outcome of their SLA
  clocks (:class:`Clock`: met, breached or pending): the share met among those whose outcome is
  known (met, or breached, including one still open past its target); tickets still running
  within their target are counted as pending, not as met. The clocks are evaluated by the caller:
  after-sales tickets with their pausing timers, work orders with :func:`clock` (a clock without
  pauses, on the service calendar). This file imports no other module, so the billing of the
  ``pss`` module and the after-sales module can both use it.

A period with no agreed service time, or no ticket with a known outcome, has no value for that
measure (``None``): missing is never scored as 0 or 100 %.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class ServiceCalendar(Protocol):
    """The agreed service time: seconds of service time between two aware instants."""

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float: ...


class Clock(enum.StrEnum):
    """The outcome of one SLA clock (response or resolution) when it is read."""

    met = "met"
    breached = "breached"
    pending = "pending"  # still running (or paused) within its target


@dataclass(frozen=True)
class Outage:
    """A span the service was down (an asset failed, or under maintenance for a failure)."""

    start: dt.datetime
    end: dt.datetime | None = None  # None: still down
    planned: bool = False  # agreed maintenance window: not downtime


@dataclass(frozen=True)
class Ticket:
    """A ticket or work order with its clocks read at the attainment's ``now``."""

    code: str
    opened_at: dt.datetime
    response: Clock
    resolution: Clock


def clock(
    calendar: ServiceCalendar,
    opened_at: dt.datetime,
    done_at: dt.datetime | None,
    target_seconds: float | None,
    now: dt.datetime,
) -> Clock:
    """A clock without pauses: service time from ``opened_at`` to ``done_at`` (or ``now`` while not
    done) against ``target_seconds``. Done in time: met; done late, or not done and already past the
    target: breached; otherwise pending. No target: pending (nothing was agreed)."""
    if target_seconds is None:
        return Clock.pending
    stop = done_at if done_at is not None and done_at <= now else now
    spent = calendar.working_seconds(opened_at, stop) if stop > opened_at else 0.0
    if done_at is not None and done_at <= now:
        return Clock.met if spent <= target_seconds else Clock.breached
    return Clock.breached if spent > target_seconds else Clock.pending


@dataclass(frozen=True)
class Availability:
    agreed_seconds: float
    downtime_seconds: float
    breaks: int
    availability: float | None  # fraction; None without agreed service time
    mtrs_seconds: float | None
    mtbf_seconds: float | None
    mtbsi_seconds: float | None


@dataclass(frozen=True)
class ClockTally:
    met: int
    breached: int
    pending: int

    @property
    def attainment(self) -> float | None:
        known = self.met + self.breached
        return self.met / known if known else None


@dataclass(frozen=True)
class SlaAttainment:
    start: dt.datetime
    end: dt.datetime
    availability: Availability
    availability_target: float | None
    availability_met: bool | None
    response: ClockTally
    resolution: ClockTally
    breached_tickets: tuple[str, ...]


def availability(
    outages: Iterable[Outage], start: dt.datetime, end: dt.datetime, calendar: ServiceCalendar, now: dt.datetime
) -> Availability:
    """ITIL availability, MTRS, MTBF and MTBSI of ``[start, min(end, now))`` in ``calendar``'s time."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    stop = min(end, now)
    agreed = calendar.working_seconds(start, stop) if stop > start else 0.0
    spans = sorted(
        (max(o.start, start), min(o.end or now, stop))
        for o in outages
        if not o.planned and o.start < stop and (o.end or now) > start
    )
    merged: list[list[dt.datetime]] = []
    for a, b in spans:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    down = sum(calendar.working_seconds(a, b) for a, b in merged)
    breaks = sum(1 for a, b in merged if calendar.working_seconds(a, b) > 0)
    if agreed <= 0:
        return Availability(0.0, 0.0, 0, None, None, None, None)
    return Availability(
        agreed_seconds=agreed,
        downtime_seconds=down,
        breaks=breaks,
        availability=(agreed - down) / agreed,
        mtrs_seconds=down / breaks if breaks else None,
        mtbf_seconds=(agreed - down) / breaks if breaks else None,
        mtbsi_seconds=agreed / breaks if breaks else None,
    )


def attainment(
    tickets: Iterable[Ticket],
    outages: Iterable[Outage],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    service_calendar: ServiceCalendar,
    availability_target: float | None = None,
) -> SlaAttainment:
    """SLA attainment of one contract over ``[start, end)`` at ``now``: availability from the outages,
    response and resolution from the tickets opened in the period (their clocks read at ``now``)."""
    if availability_target is not None and not 0 < availability_target <= 1:
        raise ValueError("availability_target is a fraction in (0, 1], e.g. 0.99")
    av = availability(outages, start, end, service_calendar, now)
    response, resolution = [0, 0, 0], [0, 0, 0]
    breached: list[str] = []
    for t in tickets:
        if not start <= t.opened_at < end:
            continue
        bad = False
        for state, tally in ((t.response, response), (t.resolution, resolution)):
            if state is Clock.met:
                tally[0] += 1
            elif state is Clock.breached:
                tally[1] += 1
                bad = True
            else:  # running or paused within its target
                tally[2] += 1
        if bad:
            breached.append(t.code)
    met = None
    if availability_target is not None and av.availability is not None:
        met = av.availability >= availability_target
    return SlaAttainment(
        start=start,
        end=end,
        availability=av,
        availability_target=availability_target,
        availability_met=met,
        response=ClockTally(*response),
        resolution=ClockTally(*resolution),
        breached_tickets=tuple(breached),
    )
