"""Tickets with SLA timers (2.1.6): terms from the contract, the tenant table or the built-in
defaults; clocks paused while waiting for the customer, on China's working calendar; escalation
levels recorded once; a work order opened through the outbox; service recovery; the quality
supervision report. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from somp.core.errors import IllegalTransition, ValidationFailed
from somp.core.tenancy import Scope
from somp.modules.aftersales import quality, service
from somp.modules.aftersales.models import Escalation, EscalationTarget, SlaCalendarName, SlaSource, TicketStatus
from somp.modules.aftersales.schemas import (
    RecoveryCreate,
    RecoveryUpdate,
    SlaDefaultIn,
    SlaDefaultsPut,
    TicketComment,
    TicketCreate,
    TicketTransition,
    WorkOrderRequest,
)
from tests.aftersales.factories import make_shop, sh


@pytest.fixture
def shop(db):
    return make_shop(db)


def _open(s, shop, now, **kw):
    data = {"asset_id": shop.asset.id, "title": "排气压力低", "category": "performance"} | kw
    opened = data.pop("opened_at", now)
    return service.raise_ticket(s, TicketCreate(opened_at=opened, **data), user_id=shop.manager.id, now=now)


def _move(s, t, to, at, now=None):
    return service.transition_ticket(s, t.id, TicketTransition(to_status=to, at=at), user_id=None, now=now or at)


def test_terms_come_from_the_contract_then_the_tenant_table_then_the_defaults(db, shop):
    now = sh(2026, 3, 2, 9, 0)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        t = _open(s, shop, now, priority="critical")
        assert (t.sla_source, t.contract_id) == (SlaSource.contract, shop.contract.id)
        assert (t.response_target_minutes, t.resolution_target_minutes) == (120, 480)
        assert t.calendar is SlaCalendarName.always  # the offering names none: critical runs 24 x 7
        t2 = _open(s, shop, now, asset_id=shop.bare_asset.id, priority="high")
        assert (t2.sla_source, t2.contract_id, t2.calendar) == (SlaSource.builtin, None, SlaCalendarName.cn_office)
        assert (t2.response_target_minutes, t2.resolution_target_minutes) == (120, 480)
        service.put_sla_defaults(
            s,
            SlaDefaultsPut(
                rows=[SlaDefaultIn(priority="high", response_minutes=60, resolution_minutes=600, calendar="weekdays")]
            ),
        )
        t3 = _open(s, shop, now, asset_id=shop.bare_asset.id, priority="high")
        assert (t3.sla_source, t3.calendar, t3.response_target_minutes) == (
            SlaSource.tenant_default,
            SlaCalendarName.weekdays,
            60,
        )
        assert t2.response_target_minutes == 120  # terms are frozen when a ticket is opened
        t4 = _open(s, shop, now, priority="high")  # the offering sets critical and medium only
        assert (t4.sla_source, t4.response_target_minutes) == (SlaSource.tenant_default, 60)
        t5 = _open(s, shop, now, priority="medium")  # the contract's hours, the default calendar
        assert (t5.sla_source, t5.response_target_minutes, t5.resolution_target_minutes) == (
            SlaSource.contract,
            8 * 60,
            48 * 60,
        )
        assert t5.calendar is SlaCalendarName.cn_office
        rows = {r.priority.value: r for r in service.sla_defaults(s)}
        assert rows["high"].source is SlaSource.tenant_default and rows["low"].source is SlaSource.builtin


def test_a_bad_default_table_is_refused_whole(db, shop):
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        row = SlaDefaultIn(priority="low", response_minutes=60, resolution_minutes=600)
        with pytest.raises(ValidationFailed) as exc:
            service.put_sla_defaults(s, SlaDefaultsPut(rows=[row, row]))
        assert exc.value.errors[0].field == "rows.1.priority"
        assert all(r.source is SlaSource.builtin for r in service.sla_defaults(s))
    with pytest.raises(ValueError):
        SlaDefaultIn(priority="low", response_minutes=600, resolution_minutes=60)


def test_waiting_for_the_customer_pauses_the_resolution_clock_on_the_working_calendar(db, shop):
    """Medium on the bare asset: built-in 4 h / 24 h on China's office hours (09-12, 13-18)."""
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        # Friday 2026-09-25 is the Mid-Autumn holiday: opened Thursday 24th at 16:00
        t = _open(s, shop, sh(2026, 9, 24, 16, 0), asset_id=shop.bare_asset.id, priority="medium")
        _move(s, t, TicketStatus.in_progress, sh(2026, 9, 24, 17, 0))  # responded after 1 h
        _move(s, t, TicketStatus.waiting_customer, sh(2026, 9, 24, 17, 30))  # 1.5 h used
        st = service.sla_read(s, t, sh(2026, 9, 28, 11, 0))
        assert (st.response.state, st.response.elapsed_seconds) == ("met", 3600)
        assert st.resolution.state == "paused" and st.resolution.deadline is None
        assert st.resolution.elapsed_seconds == 1.5 * 3600
        assert st.resolution.remaining_seconds == 22.5 * 3600
        # the customer answers on Monday 28th 11:00 (Fri 25th holiday, weekend off)
        service.comment_ticket(
            s,
            t.id,
            TicketComment(note="已按要求更换滤芯"),
            user_id=shop.customer_user.id,
            customer=True,
            now=sh(2026, 9, 28, 11, 0),
        )
        assert t.status is TicketStatus.in_progress
        st = service.sla_read(s, t, sh(2026, 9, 28, 14, 0))
        assert st.resolution.state == "running"
        assert st.resolution.elapsed_seconds == (1.5 + 1 + 1) * 3600  # 11-12 and 13-14
        # 20.5 h left from Mon 14:00: Mon 4 h, Tue 8 h, Wed 8 h -> Thu 29... Wed 30th 18:00 leaves
        # 0.5 h; Thu 1 Oct starts the National Day holiday (1-7 Oct), so Thu 8 Oct 09:30
        assert st.resolution.deadline == sh(2026, 10, 8, 9, 30)
        assert st.working_now and st.working_until == sh(2026, 9, 28, 18, 0)
        assert t.resolution_due_at == service.sla_read(s, t, sh(2026, 9, 28, 11, 0)).resolution.deadline


def test_status_machine_refuses_illegal_moves_and_times_out_of_order(db, shop):
    now = sh(2026, 3, 2, 9, 0)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        t = _open(s, shop, now)
        with pytest.raises(IllegalTransition):
            _move(s, t, TicketStatus.closed, now)
        with pytest.raises(ValidationFailed):
            _move(s, t, TicketStatus.in_progress, now - dt.timedelta(hours=1))
        _move(s, t, TicketStatus.resolved, now + dt.timedelta(hours=1))
        _move(s, t, TicketStatus.reopened, now + dt.timedelta(hours=2))
        st = service.sla_read(s, t, now + dt.timedelta(hours=3))
        assert st.resolution.state == "running"  # reopened: the time already spent counts
        _move(s, t, TicketStatus.resolved, now + dt.timedelta(hours=3))
        _move(s, t, TicketStatus.closed, now + dt.timedelta(hours=4))
        with pytest.raises(ValidationFailed):
            service.comment_ticket(
                s, t.id, TicketComment(note="x"), user_id=None, customer=False, now=now + dt.timedelta(hours=5)
            )


def test_escalation_levels_are_recorded_once_with_who_is_told(db, shop):
    """Critical under the contract: 2 h response / 8 h resolution, 24 x 7."""
    opened = sh(2026, 3, 2, 9, 0)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        t = _open(s, shop, opened, priority="critical", assignee_user_id=shop.engineer.id)
        checked, new, breached = service.escalate(s, opened + dt.timedelta(minutes=59))
        assert (checked, new, breached) == (1, [], 0)
        checked, new, breached = service.escalate(s, opened + dt.timedelta(hours=5))
        got = sorted((e.clock.value, e.level, e.notify, e.reached_at) for e in new)
        assert got == [
            ("resolution", 1, EscalationTarget.assignee, opened + dt.timedelta(hours=4)),
            ("response", 1, EscalationTarget.assignee, opened + dt.timedelta(hours=1)),
            ("response", 2, EscalationTarget.service_manager, opened + dt.timedelta(hours=1.5)),
            ("response", 3, EscalationTarget.tenant_admin, opened + dt.timedelta(hours=2)),
        ]
        assert all(e.notify_user_id == shop.engineer.id for e in new if e.notify is EscalationTarget.assignee)
        assert breached == 1 and t.response_breached_at == opened + dt.timedelta(hours=2)
        assert t.escalation_level == 3
        s.flush()
        version = t.version
        assert service.escalate(s, opened + dt.timedelta(hours=5, minutes=1))[1] == []  # nothing twice
        s.flush()
        assert t.version == version  # the steady check writes nothing (no lost-update conflicts for users)
        s.commit()
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        assert len(s.scalars(select(Escalation)).all()) == 4
        read = service.to_read([service.get_ticket(s, t.id)], opened + dt.timedelta(hours=5))[0]
        assert read.response_breached and not read.resolution_breached


def test_periodic_tick_escalates_every_tenant(db):
    from somp.modules.aftersales.reactions import tick

    a, b = make_shop(db, "A"), make_shop(db, "B")
    opened = sh(2026, 3, 2, 9, 0)
    for shop in (a, b):
        with db.session(Scope.tenant(shop.tenant.id)) as s:
            _open(s, shop, opened, priority="critical")
            s.commit()
    tick(db, opened + dt.timedelta(hours=3))
    for shop in (a, b):
        with db.session(Scope.tenant(shop.tenant.id)) as s:
            assert {(e.clock.value, e.level) for e in s.scalars(select(Escalation))} == {
                ("response", 1),
                ("response", 2),
                ("response", 3),
            }


def test_a_ticket_opens_its_work_order_through_the_outbox(db, shop):
    from somp.api.app import build_bus
    from somp.modules.workorders.models import WorkOrder, WorkOrderSource, WorkOrderStatus
    from somp.modules.workorders.schemas import WorkOrderTransition
    from somp.modules.workorders.service import transition_work_order

    with db.session(Scope.tenant(shop.tenant.id)) as s:
        t = _open(s, shop, service.utcnow(), priority="critical")
        service.request_work_order(s, t.id, WorkOrderRequest(), user_id=shop.manager.id)
        with pytest.raises(ValidationFailed):
            service.request_work_order(s, t.id, WorkOrderRequest(), user_id=shop.manager.id)
        s.commit()
        tid = t.id
    bus = build_bus()
    bus.dispatch_pending(db)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        t = service.get_ticket(s, tid)
        wo = s.get(WorkOrder, t.work_order_id)
        assert wo.source is WorkOrderSource.ticket and wo.asset_id == shop.asset.id
        assert wo.contract_id == shop.contract.id and wo.title.startswith(t.number)
        transition_work_order(s, wo.id, WorkOrderTransition(to_status=WorkOrderStatus.in_progress))
        s.commit()
    bus.dispatch_pending(db)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        kinds = [e.kind.value for e in service.ticket_detail(s, service.get_ticket(s, tid), customer=True).events]
        assert kinds[-2:] == ["work_order_opened", "work_order_status"]
        assert "work_order_requested" not in kinds  # internal


def test_customer_raises_only_on_their_own_assets_and_cannot_set_staff_fields(db, shop):
    from somp.modules.aftersales.models import TicketChannel

    scope = Scope.tenant(shop.tenant.id, shop.customer.id)
    with db.session(scope) as s:
        t = service.raise_ticket(
            s,
            TicketCreate(
                asset_id=shop.asset.id, title="漏气", category="breakdown", customer_id=shop.other_customer.id
            ),
            user_id=shop.customer_user.id,
            customer_id=shop.customer.id,
        )
        assert (t.customer_id, t.channel) == (shop.customer.id, TicketChannel.portal)
        with pytest.raises(ValidationFailed) as exc:  # the other customer's asset is not in their scope
            service.raise_ticket(
                s,
                TicketCreate(asset_id=shop.other_asset.id, title="x", category="other"),
                user_id=shop.customer_user.id,
                customer_id=shop.customer.id,
            )
        assert exc.value.errors[0].field == "asset_id"
        with pytest.raises(ValidationFailed):
            service.raise_ticket(
                s,
                TicketCreate(title="x", category="other", opened_at=sh(2026, 1, 1)),
                user_id=shop.customer_user.id,
                customer_id=shop.customer.id,
            )


def test_recovery_actions_and_the_quality_report(db, shop):
    opened = sh(2026, 3, 2, 9, 0)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        late = _open(s, shop, opened, priority="critical", category="breakdown")
        ok = _open(s, shop, opened, priority="critical", category="breakdown")
        _move(s, ok, TicketStatus.in_progress, opened + dt.timedelta(minutes=30))
        _move(s, ok, TicketStatus.resolved, opened + dt.timedelta(hours=2))
        _move(s, late, TicketStatus.in_progress, opened + dt.timedelta(hours=3))  # response breached
        pending = _open(s, shop, opened, asset_id=shop.bare_asset.id, priority="low", category="consultation")
        _open(s, shop, sh(2026, 4, 1, 9, 0), category="quality")  # another period
        r = service.add_recovery(
            s,
            late.id,
            RecoveryCreate(kind="credit_note", description="减免一个月服务费", amount=Decimal("5000.00")),
            user_id=shop.manager.id,
        )
        service.update_recovery(s, r.id, RecoveryUpdate(status="done"))
        service.escalate(s, opened + dt.timedelta(hours=3))
        rep = quality.quality_report(s, dt.date(2026, 3, 1), dt.date(2026, 4, 1), now=opened + dt.timedelta(hours=3))
        assert rep.total.opened == 3 and rep.total.resolved == 1
        assert (rep.total.response.met, rep.total.response.breached, rep.total.response.pending) == (1, 1, 1)
        assert rep.total.response.attainment_pct == 50.0
        assert (rep.total.resolution.met, rep.total.resolution.breached, rep.total.resolution.pending) == (1, 0, 2)
        cats = {row.key: row.opened for row in rep.by_category}
        assert cats == {"breakdown": 2, "consultation": 1}
        assert {row.key for row in rep.by_contract} == {shop.contract.number, "-"}
        assert rep.recovery_by_kind == {"credit_note": 1} and rep.recovery_done == 1
        assert rep.recovery_amount == Decimal("5000.00")
        assert rep.escalations_by_level["3"] == 1  # the late response
        assert pending.status is TicketStatus.new
        with pytest.raises(ValidationFailed):
            quality.report_for_period(s, "2026-13")
