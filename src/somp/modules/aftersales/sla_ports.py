"""What the after-sales module offers other modules through core ports (framework node 2.1.6),
named in its manifest so nobody imports this module:

* ``extra["calendars"]`` -> :data:`CALENDARS`: its working calendars as service calendars of
  :mod:`somp.core.calendars`, so a contract's SLA (module ``pss``) can name ``china_calendar``
  (Mon-Fri 09-12, 13-18 Asia/Shanghai with the State Council's holidays and make-up working days)
  or ``weekdays`` (the same hours, no holidays). A date in a year without a stored holiday notice
  raises :class:`somp.core.calendars.CalendarNotCovered` (never a holiday counted as a working day);
* ``extra["ticket_clocks"]`` -> :class:`TicketClockAnswer`: the tickets opened in a period that name
  a contract, with their response and resolution outcome (:mod:`somp.core.sla_ports`), for the SLA
  attainment stored per contract and month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from somp.core.calendars import CalendarNotCovered
from somp.core.sla_ports import BREACHED, MET, PENDING, TicketClock
from somp.modules.aftersales import sla_timer as st
from somp.modules.aftersales.models import Ticket, TicketStatus
from somp.modules.aftersales.service import to_read


class _Calendar:
    """A working calendar seen as a service calendar; a year without holiday data is the core's
    :class:`CalendarNotCovered`."""

    def __init__(self, cal: st.WorkingCalendar) -> None:
        self.cal = cal

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        try:
            return self.cal.working_seconds(start, end)
        except st.CalendarNotCovered as exc:
            raise CalendarNotCovered(str(exc)) from None


def china_calendar() -> _Calendar:
    return _Calendar(st.china_calendar())


def weekdays() -> _Calendar:
    return _Calendar(st.WorkingCalendar.weekdays())


CALENDARS = {"china_calendar": china_calendar, "weekdays": weekdays}


class TicketClockAnswer:
    """Tickets on a contract opened in ``[start, end)``: a clock is met when it stopped before its
    target, breached when it reached the target (stopped since or not), pending otherwise — the
    rule of the quality supervision report."""

    def clocks(self, session: Any, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[TicketClock]:
        rows = list(
            session.scalars(
                select(Ticket)
                .where(Ticket.opened_at >= start, Ticket.opened_at < end, Ticket.contract_id.is_not(None))
                .order_by(Ticket.id)
            )
        )
        out = []
        for t, r in zip(rows, to_read(rows, now), strict=True):
            resolved = t.status in (TicketStatus.resolved, TicketStatus.closed)
            out.append(
                TicketClock(
                    code=t.number,
                    contract_id=t.contract_id,
                    opened_at=t.opened_at,
                    response=_outcome(r.response_breached, t.responded_at is not None),
                    resolution=_outcome(r.resolution_breached, resolved),
                    work_order_id=t.work_order_id,
                )
            )
        return out


def _outcome(breached: bool, stopped: bool) -> str:
    return BREACHED if breached else MET if stopped else PENDING
