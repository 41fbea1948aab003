"""SLA attainment stored per contract and month (2.1.6, 2.1.2; fed to the evaluation, 1.3.1) on
SQLite and PostgreSQL: availability from manual and monitoring-derived outages, response and
resolution from work orders and after-sales tickets (through the core port, a ticket's work order
counted once), missing kept missing, recomputing replaces, provisional running months, the
periodic job, and the evaluation indicator reading it without importing pss."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update

from somp.core import sla_ports
from somp.core.errors import ValidationFailed
from somp.core.tenancy import Scope
from somp.modules.assets.models import AssetStateChange
from somp.modules.pss import sla_records
from somp.modules.pss.models import SlaAttainmentRecord
from somp.modules.workorders.models import WorkOrder
from tests.factories import make_work_order
from tests.pss.test_billing import NOW, World, at

SLA = {"availability_target_pct": "99", "targets": {"high": {"response_hours": "2", "resolution_hours": "8"}}}


def _changes(db, tenant_id, asset_id, changes):
    with db.session(Scope.tenant(tenant_id)) as s:
        for frm, to, when, source in changes:
            s.add(AssetStateChange(tenant_id=tenant_id, asset_id=asset_id, from_state=frm, to_state=to, at=when,
                                   source=source))  # fmt: skip
        s.commit()


def _wo(db, w, asset, contract_id, **times):
    wo = make_work_order(db, w.t, asset, priority="high", contract_id=contract_id)
    with db.session(Scope.tenant(w.t.id)) as s:
        s.execute(update(WorkOrder).where(WorkOrder.id == wo.id).values(**times))
        s.commit()
    return wo


def _ticket(db, w, asset, opened, responded, resolved):
    from somp.modules.aftersales import service as aftersales
    from somp.modules.aftersales.schemas import TicketCreate, TicketTransition

    with db.session(Scope.tenant(w.t.id)) as s:
        t = aftersales.raise_ticket(
            s, TicketCreate(asset_id=asset, title="漏气", category="breakdown", priority="critical", opened_at=opened),
            user_id=None, now=opened,
        )  # fmt: skip
        aftersales.transition_ticket(s, t.id, TicketTransition(to_status="in_progress", at=responded), user_id=None,
                                     now=resolved)  # fmt: skip
        aftersales.transition_ticket(s, t.id, TicketTransition(to_status="resolved", at=resolved), user_id=None,
                                     now=resolved)  # fmt: skip
        s.commit()
        return t.id, t.number


def compute(db, w, period="2026-10", now=NOW, **kw):
    with db.session(Scope.tenant(w.t.id)) as s:
        res = sla_records.compute(s, period, now=now, **kw)
        s.commit()
        return {r.contract_id: r for r in res.records}, res.final


@pytest.fixture
def october(db):
    w = World(db)
    k1, (a,) = w.contract(None, sla=SLA)
    # 12 h down from a critical alarm (the monitoring moved the asset), 6 h from a failure entered by hand
    _changes(db, w.t.id, a, [
        ("in_service", "failed", at(5, 8), "monitoring"), ("failed", "in_service", at(5, 20), "monitoring"),
        ("in_service", "failed", at(12, 0), "manual"), ("failed", "in_service", at(12, 6), "manual"),
    ])  # fmt: skip
    ok = _wo(db, w, a, k1.id, opened_at=at(9, 0), responded_at=at(9, 1), resolved_at=at(9, 5))
    late = _wo(db, w, a, k1.id, opened_at=at(10, 0), responded_at=at(10, 3), resolved_at=at(10, 12))
    tid, tnum = _ticket(db, w, a, at(20, 0), at(20, 1), at(20, 3))  # critical: 2 h / 8 h on 24 x 7, met
    twin = _wo(db, w, a, k1.id, opened_at=at(20, 1))  # opened for the ticket, never resolved: not counted
    from somp.modules.aftersales.models import Ticket

    with db.session(Scope.tenant(w.t.id)) as s:
        s.execute(update(Ticket).where(Ticket.id == tid).values(work_order_id=twin.id))
        s.commit()
    bare, _ = w.contract(None, assets=0)  # no asset, no SLA, no work order: nothing to measure
    calm, _ = w.contract(None, sla={"availability_target_pct": "95"})
    return w, {"k1": k1.id, "bare": bare.id, "calm": calm.id, "ok": ok.number, "late": late.number, "ticket": tnum}


def test_a_month_is_measured_and_stored_per_contract(db, october):
    w, ids = october
    recs, final = compute(db, w)
    assert final is True and set(recs) == {ids["k1"], ids["bare"], ids["calm"]}
    r = recs[ids["k1"]]
    # 18 h down of 744 h: (744 - 18) / 744; two breaks: MTRS 9 h, MTBF 363 h, MTBSI 372 h
    assert (r.agreed_hours, r.downtime_hours, r.outages, r.monitored_outages) == (744.0, 18.0, 2, 1)
    assert r.availability_pct == D("97.5806") and r.availability_met is False
    assert (r.mtrs_hours, r.mtbf_hours, r.mtbsi_hours) == (9.0, 363.0, 372.0)
    # work orders: one in time, one late on both clocks; the ticket met both; its twin work order not counted
    assert (r.work_orders, r.tickets) == (2, 1)
    assert (r.response_met, r.response_breached, r.resolution_met, r.resolution_breached) == (2, 1, 2, 1)
    assert r.response_attainment_pct == D("66.6667") == r.resolution_attainment_pct
    assert r.breached == [ids["late"]] and r.attained is False and r.calendar == "24x7"
    b = recs[ids["bare"]]  # missing stays missing: no 0 %, no 100 %
    assert (b.availability_pct, b.response_attainment_pct, b.attained) == (None, None, None)
    assert "no covered asset" in b.note
    c = recs[ids["calm"]]
    assert (c.availability_pct, c.availability_met, c.attained, c.outages) == (D("100.0000"), True, True, 0)


def test_computing_again_replaces_the_month_and_a_running_month_is_provisional(db, october):
    w, ids = october
    first, _ = compute(db, w)
    again, _ = compute(db, w, now=NOW + dt.timedelta(days=1))
    assert {k: r.id for k, r in first.items()} == {k: r.id for k, r in again.items()}
    with db.session(Scope.tenant(w.t.id)) as s:
        assert s.scalar(select(func.count()).select_from(SlaAttainmentRecord)) == 3
    # November so far (1 Nov 00:00 China time to 3 Nov 00:00 UTC = 56 h), stored as provisional
    nov, final = compute(db, w, "2026-11")
    assert final is False and nov[ids["calm"]].agreed_hours == 56.0 and nov[ids["calm"]].final is False
    one, _ = compute(db, w, "2026-10", contract_id=ids["calm"])
    assert set(one) == {ids["calm"]}
    with pytest.raises(ValidationFailed):
        compute(db, w, "2026-12")  # not begun
    with pytest.raises(ValidationFailed):
        compute(db, w, "2026-13")


def test_the_evaluation_indicator_reads_the_stored_months_through_the_core_port(db, october):
    from somp.modules.evaluation.platform_data import measure

    w, ids = october
    compute(db, w)
    with db.session(Scope.tenant(w.t.id)) as s:
        m = measure(s, ["sla_attainment"], dt.date(2026, 10, 1), dt.date(2026, 11, 1))["sla_attainment"]
        # attained: calm; not attained: k1; bare measured nothing and is left out
        assert (m.value, m.numerator, m.denominator) == (0.5, 1, 2) and "3 contract-months" in m.note
        summary = sla_ports.attainment_source().summary(s, dt.date(2026, 1, 1), dt.date(2027, 1, 1))
        assert (summary.attained, summary.measured, summary.months, summary.provisional) == (1, 2, 3, 0)
        # nothing stored for September: the work orders' own rule answers (none due then: missing)
        sep = measure(s, ["sla_attainment"], dt.date(2026, 9, 1), dt.date(2026, 10, 1))["sla_attainment"]
        assert sep.value is None and "work order" in sep.note
    other = World(db)  # a tenant whose stored months measured nothing: missing, not 0
    other.contract(None, assets=0)
    compute(db, other)
    with db.session(Scope.tenant(other.t.id)) as s:
        m = measure(s, ["sla_attainment"], dt.date(2026, 10, 1), dt.date(2026, 11, 1))["sla_attainment"]
        assert m.value is None and m.denominator == 0 and "none with a measured commitment" in m.note


def test_the_periodic_job_finalises_last_month_and_refreshes_the_running_one_hourly(db, october):
    w, ids = october
    now = dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)
    sla_records.tick(db, now)
    with db.session(Scope.tenant(w.t.id)) as s:
        rows = s.execute(select(SlaAttainmentRecord.period, SlaAttainmentRecord.final,
                                SlaAttainmentRecord.computed_at)).all()  # fmt: skip
        assert sorted((p, f) for p, f, _ in rows) == [("2026-10", True)] * 3 + [("2026-11", False)] * 3
        assert sla_records.due_periods(s, now + dt.timedelta(minutes=30)) == []
        assert sla_records.due_periods(s, now + dt.timedelta(hours=1)) == ["2026-11"]
    idle = World(db)  # a tenant without contracts in those months: nothing is due, nothing computed each minute
    idle.contract(None, start_date=dt.date(2027, 1, 1), end_date=dt.date(2028, 1, 1))
    with db.session(Scope.tenant(idle.t.id)) as s:
        assert sla_records.due_periods(s, now) == []
