"""SLA attainment per contract and period: ITIL availability measures from outages, response and
resolution attainment from ticket clocks; missing stays missing."""

import datetime as dt
import random

import pytest

from somp.modules.aftersales.sla_attainment import Outage, Ticket, attainment, availability
from somp.modules.aftersales.sla_timer import Event, EventKind, Priority, SlaTerms, Target, WorkingCalendar

UTC = dt.UTC
WEEK = dt.datetime(2026, 3, 2, tzinfo=UTC), dt.datetime(2026, 3, 9, tzinfo=UTC)  # Monday to Monday


def t(day: int, hour: float) -> dt.datetime:
    return dt.datetime(2026, 3, day, tzinfo=UTC) + dt.timedelta(hours=hour)


def test_itil_measures_of_a_24x7_week():
    """Agreed service time 24 x 7 = 168 h; two breaks of 2 h and 1.5 h:
    availability = (168 - 3.5) / 168 = 97.92 %, MTRS = 3.5 / 2 = 1.75 h,
    MTBF = (168 - 3.5) / 2 = 82.25 h, MTBSI = 168 / 2 = 84 h (ITIL Service Design, availability management)."""
    outages = [Outage(t(3, 10), t(3, 12)), Outage(t(6, 22), t(6, 23.5)), Outage(t(4, 1), t(4, 9), planned=True)]
    a = availability(outages, *WEEK, WorkingCalendar.always("UTC"), now=WEEK[1])
    assert a.agreed_seconds == 168 * 3600 and a.downtime_seconds == 3.5 * 3600 and a.breaks == 2
    assert a.availability == pytest.approx((168 - 3.5) / 168)
    assert a.mtrs_seconds == 1.75 * 3600 and a.mtbf_seconds == 82.25 * 3600 and a.mtbsi_seconds == 84 * 3600


def test_overlaps_count_once_and_open_outages_run_to_now_and_service_hours_only_count():
    office = WorkingCalendar.weekdays(tz="UTC")  # Monday to Friday, 09:00-12:00 and 13:00-18:00
    outages = [Outage(t(2, 8), t(2, 11)), Outage(t(2, 10), t(2, 14)), Outage(t(5, 17), None)]
    now = t(6, 10)
    a = availability(outages, *WEEK, office, now=now)
    # independent check: every minute of the period up to now, in service hours and in an outage
    agreed = down = 0
    m = WEEK[0]
    while m < now:
        if office.working_seconds(m, m + dt.timedelta(minutes=1)) == 60:
            agreed += 60
            if any(o.start <= m and (o.end or now) >= m + dt.timedelta(minutes=1) for o in outages):
                down += 60
        m += dt.timedelta(minutes=1)
    assert (a.agreed_seconds, a.downtime_seconds) == (agreed, down)
    assert a.breaks == 2  # the two overlapping outages are one break


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_availability_equals_a_minute_by_minute_count_on_random_outages(seed):
    rng = random.Random(seed)
    cal = WorkingCalendar.weekdays(tz="Asia/Shanghai")
    outages = []
    for _ in range(8):
        s = WEEK[0] + dt.timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        outages.append(Outage(s, s + dt.timedelta(minutes=rng.randrange(5, 600)), planned=rng.random() < 0.2))
    a = availability(outages, *WEEK, cal, now=WEEK[1])
    agreed = down = 0
    m = WEEK[0]
    while m < WEEK[1]:
        nxt = m + dt.timedelta(minutes=1)
        if cal.working_seconds(m, nxt) == 60:
            agreed += 60
            down += 60 * any(not o.planned and o.start <= m and o.end >= nxt for o in outages)
        m = nxt
    assert (a.agreed_seconds, a.downtime_seconds) == (agreed, down)
    assert a.availability == pytest.approx((agreed - down) / agreed)


def terms() -> SlaTerms:
    always = WorkingCalendar.always("UTC")
    return SlaTerms(
        {
            Priority.p1: Target(dt.timedelta(hours=1), dt.timedelta(hours=8), always),
            Priority.p3: Target(dt.timedelta(hours=4), dt.timedelta(hours=48), always),
        }
    )


def ticket(code, priority, *events) -> Ticket:
    return Ticket(code, priority, [Event(at, kind) for at, kind in events])


def test_tickets_of_the_period_give_response_and_resolution_attainment():
    o, r, d = EventKind.opened, EventKind.responded, EventKind.resolved
    tickets = [
        ticket("WO-1", "P1", (t(2, 10), o), (t(2, 10.5), r), (t(2, 15), d)),  # both met
        ticket("WO-2", "P1", (t(3, 10), o), (t(3, 12), r), (t(3, 16), d)),  # response breached
        ticket("WO-3", "P3", (t(8, 21), o)),  # open 3 h at now, within both targets: pending
        ticket("WO-4", "P3", (t(6, 0), o), (t(6, 1), r)),  # resolution breached while still open
        ticket("WO-0", "P1", (t(1, 10), o), (t(1, 20), r)),  # opened before the period: not counted
    ]
    outages = [Outage(t(3, 9), t(3, 13))]
    res = attainment(
        terms(),
        tickets,
        outages,
        *WEEK,
        now=t(9, 0),
        service_calendar=WorkingCalendar.always("UTC"),
        availability_target=0.99,
    )
    assert (res.response.met, res.response.breached, res.response.pending) == (2, 1, 1)
    assert (res.resolution.met, res.resolution.breached, res.resolution.pending) == (2, 1, 1)
    assert res.response.attainment == pytest.approx(2 / 3) and res.resolution.attainment == pytest.approx(2 / 3)
    assert res.breached_tickets == ("WO-2", "WO-4")
    assert res.availability.availability == pytest.approx(1 - 4 / 168) and res.availability_met is False


def test_nothing_known_is_missing_not_zero():
    res = attainment(
        terms(), [], [], *WEEK, now=WEEK[0], service_calendar=WorkingCalendar.always("UTC"), availability_target=0.99
    )
    assert res.availability.availability is None and res.availability_met is None
    assert res.response.attainment is None and res.resolution.attainment is None
    with pytest.raises(ValueError, match="fraction"):
        attainment(
            terms(), [], [], *WEEK, now=WEEK[1], service_calendar=WorkingCalendar.always("UTC"), availability_target=99
        )
