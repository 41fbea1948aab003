"""The after-sales module's China working calendar offered to billing through the core calendar
registry (its manifest's ``extra["calendars"]``; pss never imports aftersales): a contract's SLA
names ``china_calendar`` and billing counts availability and work-order clocks in its working time
(Mon-Fri 09-12, 13-18 with the State Council's holidays and make-up days). Checked against the
``chinese_calendar`` package's working days; a year without a stored notice is skipped, not billed
with holidays counted as working days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import update

from somp.core import calendars
from somp.core.tenancy import Scope
from somp.modules.invoicing.models import InvoiceKind
from somp.modules.workorders.models import WorkOrder
from tests.factories import make_work_order
from tests.pss.test_billing import CN, World, _outage, at

OCTOBER_WORKING_HOURS = 144  # 18 working days x 8 h (see the test below)


def test_china_calendar_is_offered_by_name_and_agrees_with_the_chinese_calendar_package():
    assert "china_calendar" in calendars.names()
    cal = calendars.get("china_calendar")
    start, end = dt.datetime(2026, 10, 1, tzinfo=CN), dt.datetime(2026, 11, 1, tzinfo=CN)
    hours = cal.working_seconds(start, end) / 3600
    try:
        import chinese_calendar
    except ImportError:  # the package is optional: the hand count then stands alone
        days = 18
    else:
        days = len(chinese_calendar.get_workdays(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    # National Day 1-7 October off; Saturday 10 October a make-up working day
    assert days == 18 and hours == days * 8 == OCTOBER_WORKING_HOURS
    with pytest.raises(calendars.CalendarNotCovered):
        cal.working_seconds(dt.datetime(2027, 1, 4, tzinfo=CN), dt.datetime(2027, 1, 5, tzinfo=CN))


def test_billing_on_the_china_calendar_counts_only_working_time(db):
    w = World(db)
    plan = {"model": "subscription", "fee": "10000.00"}
    sla = {"availability_target_pct": "97", "availability_credit_pct": "10", "breach_credit": "300.00",
           "targets": {"high": {"response_hours": "4", "resolution_hours": "8"}}}  # fmt: skip
    cn, (a,) = w.contract(plan, sla=sla | {"calendar": "china_calendar"})
    round_clock, (b,) = w.contract(plan, sla=sla | {"calendar": "24x7"})
    for asset in (a, b):  # down from the holiday of 5 October 08:00 to Thursday 8 October 12:00
        _outage(db, w.t.id, asset, [("in_service", "failed", at(5, 8)), ("failed", "in_service", at(8, 12))])
    wos = {}
    for k, asset in ((cn, a), (round_clock, b)):
        wo = make_work_order(db, w.t, asset, priority="high", contract_id=k.id)
        wos[k.id] = wo.id
        with db.session(Scope.tenant(w.t.id)) as s:  # Friday 17:00 to the make-up Saturday 15:00
            s.execute(update(WorkOrder).where(WorkOrder.id == wo.id).values(
                opened_at=at(9, 17), responded_at=at(9, 17), resolved_at=at(10, 15)))  # fmt: skip
            s.commit()
    run = w.run()
    items = w.items(run.id)
    # china: 3 working hours down (8 Oct 09-12) of 144: 97.9167 % >= 97; the work order took 1 h + 5 h
    assert items[cn.id].availability_pct == D("97.9167")
    assert w.documents(cn.id, InvoiceKind.credit_note) == []
    # 24 x 7: 76 h down of 744 h: 89.7849 % < 97 -> 10 % credit; the work order took 22 h > 8 h -> 300
    assert items[round_clock.id].availability_pct == D("89.7849")
    [credit] = w.documents(round_clock.id, InvoiceKind.credit_note)
    assert [ln.amount for ln in credit.lines] == [D("1000.00"), D("300.00")]


def test_a_month_the_china_calendar_has_no_notice_for_is_skipped_and_others_billed(db):
    w = World(db)
    plan = {"model": "subscription", "fee": "100.00"}
    sla = {"availability_target_pct": "99", "availability_credit_pct": "5"}
    gone, _ = w.contract(plan, sla=sla | {"calendar": "china_calendar"})
    kept, _ = w.contract(plan, sla=sla)
    run = w.run("2027-01", now=dt.datetime(2027, 2, 3, tzinfo=dt.UTC))
    items = w.items(run.id)
    assert (items[gone.id].outcome, items[gone.id].reason) == ("skipped", "calendar_not_covered")
    assert "2027" in items[gone.id].detail and items[kept.id].outcome == "billed"
    from somp.modules.terminology.service import enum_label

    assert (
        enum_label("pss.reason", "calendar_not_covered", "zh") == "服务日历缺少该年度节假日安排"
    )  # the run page's text
