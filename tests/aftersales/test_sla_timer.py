"""Working calendars and SLA clocks (somp.modules.aftersales.sla_timer), hand-checked across
China's 2025 National Day holiday and its make-up working days, with pauses; the stored State
Council holiday data is compared with the ``chinese_calendar`` package when it is installed.

Calendar of the hand-checked cases: Monday-Friday 09:00-12:00 and 13:00-18:00 (8 h a day), Asia/
Shanghai (UTC+8). 2025 notice: 1-8 October off; Sunday 28 September and Saturday 11 October worked.
"""

from __future__ import annotations

import datetime as dt

import pytest

from somp.modules.aftersales.sla_timer import (
    CN_HOLIDAYS,
    CalendarNotCovered,
    ClockState,
    Event,
    EventKind,
    Priority,
    SlaTerms,
    Target,
    WorkingCalendar,
    china_calendar,
    evaluate,
)

CST = dt.timezone(dt.timedelta(hours=8))
H = dt.timedelta(hours=1)


def t(month, day, hour, minute=0):
    return dt.datetime(2025, month, day, hour, minute, tzinfo=CST)


CAL = china_calendar()
TERMS = SlaTerms(
    {
        Priority.p1: Target(response=H / 2, resolution=4 * H, calendar=WorkingCalendar.always()),
        Priority.p2: Target(response=4 * H, resolution=16 * H, calendar=CAL),
    }
)


def ev(*pairs):
    return [Event(at, EventKind(kind)) for at, kind in pairs]


# ---- calendar --------------------------------------------------------------------------------------


def test_make_up_sunday_is_worked_and_the_holiday_week_is_not():
    assert CAL.working_seconds(t(9, 26, 0), t(9, 27, 0)) == 8 * 3600  # Friday
    assert CAL.working_seconds(t(9, 27, 0), t(9, 28, 0)) == 0  # Saturday
    assert CAL.working_seconds(t(9, 28, 0), t(9, 29, 0)) == 8 * 3600  # Sunday, make-up day
    assert CAL.working_seconds(t(10, 1, 0), t(10, 9, 0)) == 0  # 1-8 October
    assert CAL.working_seconds(t(10, 11, 0), t(10, 12, 0)) == 8 * 3600  # Saturday, make-up day
    assert CAL.working_seconds(t(9, 29, 11), t(9, 29, 14)) == 2 * 3600  # lunch break excluded


def test_adding_working_time_skips_weekend_lunch_and_holidays():
    assert CAL.add(t(9, 26, 17), 4 * 3600) == t(9, 28, 12)
    assert CAL.add(t(9, 30, 17), 2 * 3600) == t(10, 9, 10)  # over the whole holiday
    assert CAL.add(t(9, 29, 11, 30), 3600) == t(9, 29, 13, 30)


def test_time_zone_of_the_input_does_not_matter():
    utc = dt.datetime(2025, 9, 26, 9, 0, tzinfo=dt.UTC)  # = 17:00 in Shanghai
    assert CAL.add(utc, 4 * 3600) == t(9, 28, 12)
    with pytest.raises(ValueError, match="naive"):
        CAL.add(dt.datetime(2025, 9, 26, 17), 60)


def test_years_without_a_notice_are_refused():
    with pytest.raises(CalendarNotCovered):
        CAL.working_seconds(dt.datetime(2027, 3, 1, tzinfo=CST), dt.datetime(2027, 3, 2, tzinfo=CST))
    with pytest.raises(CalendarNotCovered):
        china_calendar(years=[2024])


def test_always_calendar_counts_every_second():
    cal = WorkingCalendar.always()
    assert cal.working_seconds(t(10, 1, 22), t(10, 2, 1)) == 3 * 3600
    assert cal.add(t(10, 1, 23), 2 * 3600) == t(10, 2, 1)


def test_stored_notices_agree_with_the_chinese_calendar_package():
    cc = pytest.importorskip("chinese_calendar")
    for year in CN_HOLIDAYS:
        cal = china_calendar(years=[year])
        day = dt.date(year, 1, 1)
        while day.year == year:
            assert (len(cal.hours_on(day)) > 0) == cc.is_workday(day), day
            day += dt.timedelta(days=1)


# ---- SLA clocks ------------------------------------------------------------------------------------


def test_response_deadline_lands_on_the_make_up_sunday():
    # opened Friday 17:00: 1 h on Friday, Saturday off, Sunday 28 Sep worked 09:00-12:00
    s = evaluate(TERMS, "P2", ev((t(9, 26, 17), "opened")), now=t(9, 27, 10))
    assert s.response.deadline == t(9, 28, 12)
    assert s.response.state is ClockState.running and s.response.elapsed_seconds == 3600
    assert s.resolution.deadline == t(9, 29, 17)  # 16 h: 1 (Fri) + 8 (Sun) + 7 (Mon)


def test_response_met_and_breached():
    met = evaluate(TERMS, "P2", ev((t(9, 26, 17), "opened"), (t(9, 28, 11), "responded")), now=t(9, 29, 9))
    assert met.response.state is ClockState.met and met.response.elapsed_seconds == 3 * 3600
    assert met.response.breached_at is None
    late = evaluate(TERMS, "P2", ev((t(9, 26, 17), "opened"), (t(9, 28, 14), "responded")), now=t(9, 29, 9))
    assert late.response.state is ClockState.breached and late.response.breached_at == t(9, 28, 12)


def test_waiting_for_the_customer_pauses_resolution_over_the_holiday():
    # 10 h before the pause (Fri 1 + Sun 8 + Mon 09-10 1); customer answers Thu 9 Oct 11:00;
    # 6 h left: 11-12 and 13-18 -> deadline Thu 9 Oct 18:00
    events = ev(
        (t(9, 26, 17), "opened"),
        (t(9, 26, 17, 30), "responded"),
        (t(9, 29, 10), "paused"),
        (t(10, 9, 11), "resumed"),
    )
    paused = evaluate(TERMS, "P2", events[:3], now=t(10, 3, 12))
    assert paused.resolution.state is ClockState.paused
    assert paused.resolution.elapsed_seconds == 10 * 3600 and paused.resolution.deadline is None
    running = evaluate(TERMS, "P2", events, now=t(10, 9, 15))
    assert running.resolution.elapsed_seconds == 13 * 3600
    assert running.resolution.deadline == t(10, 9, 18)
    # escalation at 50 % (8 h: Sun 17:00) and 75 % (12 h: Thu 14:00); 100 % not yet
    assert running.resolution.escalations == ((0.5, t(9, 28, 17)), (0.75, t(10, 9, 14)))
    assert running.resolution.escalation_level == 2
    # resolved Saturday 11 October (a make-up day) 10:00: 13 + 3 (Thu 15-18) + 1 = 17 h > 16 h
    done = evaluate(TERMS, "P2", [*events, Event(t(10, 11, 10), EventKind.resolved)], now=t(10, 13, 9))
    assert done.resolution.state is ClockState.breached
    assert done.resolution.breached_at == t(10, 9, 18) and done.resolution.stopped_at == t(10, 11, 10)


def test_response_clock_is_not_paused_by_default():
    events = ev((t(9, 29, 9), "opened"), (t(9, 29, 10), "paused"), (t(9, 30, 9), "resumed"))
    s = evaluate(TERMS, "P2", events, now=t(9, 29, 17))
    assert s.response.state is ClockState.breached and s.response.breached_at == t(9, 29, 14)
    assert s.resolution.state is ClockState.paused and s.resolution.elapsed_seconds == 3600


def test_reopened_ticket_resumes_its_resolution_clock():
    events = ev(
        (t(9, 29, 9), "opened"),
        (t(9, 29, 9, 10), "responded"),
        (t(9, 29, 11), "resolved"),
        (t(9, 30, 9), "reopened"),
    )
    s = evaluate(TERMS, "P2", events, now=t(9, 30, 12))
    assert s.resolution.state is ClockState.running
    assert s.resolution.elapsed_seconds == 5 * 3600  # 2 h before the first resolution + 3 h since
    assert s.resolution.deadline == t(10, 9, 16)  # 11 h left: Tue 13-18 (5 h), Thu 9 Oct 09-12, 13-16


def test_critical_tickets_run_around_the_clock():
    s = evaluate(TERMS, Priority.p1, ev((t(10, 1, 23), "opened")), now=t(10, 2, 1))
    assert s.response.deadline == t(10, 1, 23, 30) and s.response.breached_at == t(10, 1, 23, 30)
    assert s.resolution.deadline == t(10, 2, 3) and s.resolution.state is ClockState.running
    assert [f for f, _ in s.resolution.escalations] == [0.5]


def test_events_must_start_with_opened():
    with pytest.raises(ValueError, match="opened"):
        evaluate(TERMS, "P2", ev((t(9, 29, 9), "responded")), now=t(9, 29, 10))


def test_deadlines_near_the_end_of_the_stored_years_need_no_later_data():
    cal = china_calendar()
    dec30 = dt.datetime(2026, 12, 30, 17, tzinfo=CST)  # Wednesday
    assert cal.add(dec30, 3600) == dt.datetime(2026, 12, 30, 18, tzinfo=CST)
    assert cal.working_seconds(dec30, dt.datetime(2027, 1, 1, tzinfo=CST)) == 9 * 3600  # 1 h + Thursday 8 h
    with pytest.raises(CalendarNotCovered):
        cal.add(dt.datetime(2026, 12, 31, 17, tzinfo=CST), 2 * 3600)  # runs into 2027
