"""Billing runs (2.1.2) on SQLite and PostgreSQL: amounts checked by hand in exact CNY, usage from
real telemetry ingest, availability from the asset timeline, SLA credit notes from work orders;
idempotent, atomic, tenant-bound, and set-based (the statements do not grow with the contracts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import orjson
import pytest
from sqlalchemy import event, func, select, update

from somp.core.tenancy import Scope
from somp.modules.assets.models import AssetStateChange
from somp.modules.contracts.models import Contract, ContractStatus
from somp.modules.invoicing.models import Invoice, InvoiceKind, InvoiceLine, RevenueCategory
from somp.modules.pss import billing, service
from somp.modules.pss.models import BilledPeriod, BillingRun, BillingRunItem
from somp.modules.pss.schemas import PricePlanIn, SlaTermsIn
from somp.modules.telemetry.ingest import Ingestor, Source
from somp.modules.telemetry.payloads import decode_json
from somp.modules.workorders.models import WorkOrder
from tests.factories import make_asset, make_contract, make_customer, make_offering, make_product, make_tenant

CN = dt.timezone(dt.timedelta(hours=8))
OCT = "2026-10"
NOW = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)


class World:
    def __init__(self, db):
        self.db = db
        self.t = make_tenant(db)
        self.p = make_product(db, self.t)
        self.o = make_offering(db, self.t, self.p.id)
        self.c = make_customer(db, self.t)

    def contract(self, plan: dict | None, *, sla: dict | None = None, assets: int = 1, **kw):
        aids = [make_asset(self.db, self.t, self.p.id, self.c.id, state="in_service").id for _ in range(assets)]
        k = make_contract(self.db, self.t, self.c.id, self.o.id, aids, **kw)
        with self.db.session(Scope.tenant(self.t.id)) as s:
            s.execute(update(Contract).where(Contract.id == k.id).values(status=ContractStatus.active))
            if plan:
                service.set_price_plan(s, k.id, PricePlanIn(**plan))
            if sla:
                service.set_sla_terms(s, k.id, SlaTermsIn(**sla))
            s.commit()
        return k, aids

    def run(self, period=OCT, now=NOW):
        with self.db.session(Scope.tenant(self.t.id)) as s:
            r = billing.run(s, period, now=now)
            s.commit()
            return r

    def documents(self, contract_id, kind=InvoiceKind.invoice):
        with self.db.session(Scope.tenant(self.t.id)) as s:
            return s.scalars(select(Invoice).where(Invoice.contract_id == contract_id, Invoice.kind == kind)).all()

    def items(self, run_id):
        with self.db.session(Scope.tenant(self.t.id)) as s:
            return {i.contract_id: i for i in s.scalars(select(BillingRunItem).where(BillingRunItem.run_id == run_id))}


def at(day, hour=0):
    return dt.datetime(2026, 10, day, hour, tzinfo=CN)


def test_subscription_is_billed_whole_or_prorated_by_days_with_vat(db):
    w = World(db)
    full, _ = w.contract({"model": "subscription", "fee": "8000.00"})
    part, _ = w.contract({"model": "subscription", "fee": "8000.00"}, start_date=dt.date(2026, 10, 11))
    run = w.run()
    [inv] = w.documents(full.id)
    assert inv.net_total == D("8000.00") and inv.tax_total == D("1040.00")  # 13 % VAT
    assert inv.status == "draft" and inv.number.startswith("INV-2026-")
    assert (inv.period_start, inv.period_end, inv.issued_on) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31),
                                                                  dt.date(2026, 11, 1))  # fmt: skip
    [line] = inv.lines
    assert line.category == RevenueCategory.service and line.quantity * line.unit_price == line.amount
    [inv2] = w.documents(part.id)
    assert inv2.net_total == D("5419.35")  # 8000 x 21 / 31 = 5419.354..., half-up to the fen
    assert "21/31" in inv2.lines[0].description
    assert (run.invoices, run.credit_notes, run.skipped, run.net_invoiced) == (2, 0, 0, D("13419.35"))


def _send(db, tenant_id, asset_id, points, tag):
    raw = orjson.dumps({"batch_id": tag, "readings": [
        {"metric": "air_m3", "ts": ts.isoformat(), "value": v} for ts, v in points]})  # fmt: skip
    assert Ingestor(db).ingest(Source(tenant_id, asset_id, "http"), decode_json(raw, NOW), raw, NOW).ok


def test_pay_per_use_bills_metered_usage_on_graduated_tiers_after_the_included_quantity(db):
    w = World(db)
    plan = {"model": "pay_per_use", "metric": "air_m3", "unit": "m3", "included": "200",
            "tiers": [{"up_to": "1000", "unit_price": "0.12"}, {"up_to": None, "unit_price": "0.10"}]}  # fmt: skip
    k, (a1, a2) = w.contract(plan, assets=2)
    # m3 delivered per reading (a gauge of quantities): a1 1000.5 m3, a2 500 m3 in October (China time);
    # readings just outside the month are not billed
    _send(db, w.t.id, a1, [(at(1, 0), 400.25), (at(15, 12), 600.25), (at(1, 0) - dt.timedelta(minutes=1), 99.0)], "a")
    _send(db, w.t.id, a2, [(at(31, 23), 500.0), (dt.datetime(2026, 11, 1, tzinfo=CN), 77.0)], "b")
    run = w.run()
    [inv] = w.documents(k.id)
    # billable 1500.5 - 200 = 1300.5: 1000 x 0.12 + 300.5 x 0.10 = 120.00 + 30.05
    assert [(ln.quantity, ln.unit_price, ln.amount) for ln in inv.lines] == [
        (D("1000.0000"), D("0.1200"), D("120.00")), (D("300.5000"), D("0.1000"), D("30.05"))]  # fmt: skip
    assert inv.net_total == D("150.05") and inv.tax_total == D("19.51")  # 15.60 + 3.9065 -> 3.91
    assert w.items(run.id)[k.id].usage == D("1500.5000")


def test_pay_per_use_without_readings_is_skipped_not_billed_as_zero_and_minimum_charge_tops_up(db):
    w = World(db)
    plan = {"model": "pay_per_use", "metric": "air_m3", "unit": "m3", "minimum_charge": "300.00",
            "tiers": [{"up_to": None, "unit_price": "0.10"}]}  # fmt: skip
    silent, _ = w.contract(plan)
    small, (a,) = w.contract(plan)
    _send(db, w.t.id, a, [(at(3), 1000.0)], "s")
    run = w.run()
    items = w.items(run.id)
    assert (items[silent.id].outcome, items[silent.id].reason) == ("skipped", "no_usage")
    [inv] = w.documents(small.id)
    assert [ln.amount for ln in inv.lines] == [D("100.00"), D("200.00")]  # usage, minimum top-up
    assert run.skip_reasons == {"no_usage": 1}


def _outage(db, tenant_id, asset_id, changes):
    """Lifecycle changes (from, to, instant) of ``asset_id``, as the asset service records them."""
    with db.session(Scope.tenant(tenant_id)) as s:
        for frm, to, when in changes:
            s.add(AssetStateChange(tenant_id=tenant_id, asset_id=asset_id, from_state=frm, to_state=to, at=when))
        s.commit()


def test_availability_based_fee_with_penalty_as_credit_note_and_bonus_on_the_invoice(db):
    w = World(db)
    bands = [{"from_pct": "99.5", "adjust_pct": "3"}, {"from_pct": "99", "adjust_pct": "0"},
             {"from_pct": "97", "adjust_pct": "-5"}, {"from_pct": "0", "adjust_pct": "-15"}]  # fmt: skip
    plan = {"model": "availability_based", "fee": "20000.00", "bands": bands}
    bad, (a,) = w.contract(plan)
    good, (g,) = w.contract(plan)
    # 10 h down (6 h failed + 4 h repair); a planned 8 h maintenance is not downtime
    _outage(db, w.t.id, a, [
        ("in_service", "failed", at(5, 8)), ("failed", "under_maintenance", at(5, 14)),
        ("under_maintenance", "in_service", at(5, 18)),
        ("in_service", "under_maintenance", at(20, 8)), ("under_maintenance", "in_service", at(20, 16)),
    ])  # fmt: skip
    # failed since September, repaired 2 h into October: 2 h down
    _outage(db, w.t.id, g, [("in_service", "failed", dt.datetime(2026, 9, 30, 20, tzinfo=CN)),
                            ("failed", "in_service", at(1, 2))])  # fmt: skip
    run = w.run()
    items = w.items(run.id)
    # 744 h in October: (744 - 10) / 744 = 98.6559 % -> the 97 % band, -5 % of 20000
    assert items[bad.id].availability_pct == D("98.6559")
    [inv] = w.documents(bad.id)
    [cn] = w.documents(bad.id, InvoiceKind.credit_note)
    assert inv.net_total == D("20000.00") and cn.net_total == D("1000.00") and cn.number.startswith("CN-2026-")
    # (744 - 2) / 744 = 99.7312 % -> +3 % bonus on the invoice
    assert items[good.id].availability_pct == D("99.7312")
    [inv] = w.documents(good.id)
    assert [ln.amount for ln in inv.lines] == [D("20000.00"), D("600.00")]
    assert w.documents(good.id, InvoiceKind.credit_note) == []


def test_sla_breaches_give_a_capped_credit_note(db):
    w = World(db)
    sla = {"availability_target_pct": "99.5", "availability_credit_pct": "10", "breach_credit": "500.00",
           "targets": {"high": {"response_hours": "2", "resolution_hours": "8"}}, "credit_cap_pct": "15"}  # fmt: skip
    k, (a,) = w.contract({"model": "subscription", "fee": "10000.00"}, sla=sla)
    _outage(
        db,
        w.t.id,
        a,
        [
            ("in_service", "failed", at(9, 0)),
            ("failed", "under_maintenance", at(9, 12)),
            ("under_maintenance", "in_service", at(9, 20)),
        ],
    )  # 20 h: 97.31 %
    from tests.factories import make_work_order

    late = make_work_order(db, w.t, a, priority="high")
    ok = make_work_order(db, w.t, a, priority="high")
    with db.session(Scope.tenant(w.t.id)) as s:
        s.execute(update(WorkOrder).where(WorkOrder.id == late.id).values(
            opened_at=at(9, 0), responded_at=at(9, 1), resolved_at=at(9, 20)))  # fmt: skip
        s.execute(update(WorkOrder).where(WorkOrder.id == ok.id).values(
            opened_at=at(12, 0), responded_at=at(12, 1), resolved_at=at(12, 3)))  # fmt: skip
        s.commit()
    run = w.run()
    [cn] = w.documents(k.id, InvoiceKind.credit_note)
    # 10 % of 10000 = 1000 plus one late work order 500 = 1500, capped at 15 % = 1500 (not reached)
    assert [(ln.quantity, ln.amount) for ln in cn.lines] == [(D("1.0000"), D("1000.00")), (D("1.0000"), D("500.00"))]
    assert run.net_credited == D("1500.00")
    # the same breaches under a 12 % cap: one capped line of 1200
    k2, (a2,) = w.contract({"model": "subscription", "fee": "10000.00"}, sla=sla | {"credit_cap_pct": "12"})
    _outage(db, w.t.id, a2, [("in_service", "failed", at(9, 0)), ("failed", "in_service", at(9, 20))])
    with db.session(Scope.tenant(w.t.id)) as s:
        s.execute(update(WorkOrder).where(WorkOrder.id == late.id).values(contract_id=k2.id))
        s.execute(update(Contract).where(Contract.id == k2.id).values(start_date=dt.date(2026, 10, 1)))
        s.commit()
    run = w.run()
    [cn] = w.documents(k2.id, InvoiceKind.credit_note)
    assert [ln.amount for ln in cn.lines] == [D("1200.00")]
    assert "capped" in w.items(run.id)[k2.id].detail


def test_a_second_run_of_the_month_bills_nothing_twice_and_reports_why(db):
    w = World(db)
    k, _ = w.contract({"model": "subscription", "fee": "100.00"})
    first = w.run()
    k2, _ = w.contract({"model": "subscription", "fee": "50.00"})  # signed after the first run
    second = w.run()
    assert (first.invoices, second.invoices) == (1, 1)
    assert second.skip_reasons == {"already_billed": 1}
    assert len(w.documents(k.id)) == 1 and len(w.documents(k2.id)) == 1
    third = w.run()
    assert (third.invoices, third.skipped) == (0, 2)
    with db.session(Scope.tenant(w.t.id)) as s:
        assert s.scalar(select(func.count()).select_from(BilledPeriod)) == 2


def test_contracts_without_plan_suspended_or_with_nothing_to_bill_are_skipped_with_reasons(db):
    w = World(db)
    none, _ = w.contract(None)
    susp, _ = w.contract({"model": "subscription", "fee": "100.00"})
    with db.session(Scope.tenant(w.t.id)) as s:
        s.execute(update(Contract).where(Contract.id == susp.id).values(status=ContractStatus.suspended))
        s.commit()
    later, _ = w.contract({"model": "one_time_sale", "price": "250000.00", "sold_on": "2026-12-01"})
    sold, _ = w.contract({"model": "one_time_sale", "price": "250000.00", "sold_on": "2026-10-20"})
    run = w.run()
    assert run.skip_reasons == {"no_price_plan": 1, "suspended": 1, "nothing_to_bill": 1}
    [inv] = w.documents(sold.id)
    assert inv.lines[0].category == RevenueCategory.product and inv.net_total == D("250000.00")


def test_a_failing_run_leaves_nothing_behind(db, monkeypatch):
    w = World(db)
    w.contract({"model": "subscription", "fee": "100.00"})
    real = billing.create_many

    def then_fail(*a, **kw):
        real(*a, **kw)
        raise RuntimeError("disk full")

    monkeypatch.setattr(billing, "create_many", then_fail)
    with pytest.raises(RuntimeError), db.session(Scope.tenant(w.t.id)) as s:
        billing.run(s, OCT, now=NOW)
        s.commit()
    with db.session(Scope.tenant(w.t.id)) as s:
        for model in (Invoice, InvoiceLine, BillingRun, BillingRunItem, BilledPeriod):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model


def test_a_run_bills_only_its_own_tenant(db):
    a, b = World(db), World(db)
    a.contract({"model": "subscription", "fee": "100.00"})
    kb, _ = b.contract({"model": "subscription", "fee": "100.00"})
    assert a.run().invoices == 1
    assert b.documents(kb.id) == []
    assert b.run().invoices == 1


def test_the_run_is_set_based_its_statements_do_not_grow_with_the_contracts(db):
    """No query per contract: the same number of statements for 3 and for 12 contracts of each kind."""
    counts = []
    for n in (3, 12):
        w = World(db)
        plan = {"model": "pay_per_use", "metric": "air_m3", "unit": "m3", "tiers": [{"up_to": None, "unit_price": "1"}]}
        sla = {"availability_target_pct": "99", "availability_credit_pct": "5", "breach_credit": "10.00",
               "targets": {"medium": {"response_hours": "4", "resolution_hours": "24"}}}  # fmt: skip
        for i in range(n):
            _, (aid,) = w.contract(plan, sla=sla)
            _send(db, w.t.id, aid, [(at(2), 10.0 + i)], f"n{n}-{i}")
            w.contract({"model": "subscription", "fee": "10.00"}, sla=sla)
        statements = []
        engine = db.engine

        def count(conn, cursor, statement, *args, seen=statements):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            run = w.run()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert run.invoices == 2 * n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_an_invalid_period_or_a_month_not_over_is_refused(db):
    w = World(db)
    from somp.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed), db.session(Scope.tenant(w.t.id)) as s:
        billing.run(s, "2026-13")
    with pytest.raises(ValidationFailed, match="period not over"), db.session(Scope.tenant(w.t.id)) as s:
        billing.run(s, "2026-11", now=NOW)  # November is still running on 3 November


def test_a_contract_whose_sla_calendar_is_gone_is_skipped_and_the_others_are_billed(db, monkeypatch):
    from somp.core import calendars

    class Weekdays:
        def working_seconds(self, start, end):
            return max(0.0, (end - start).total_seconds()) * 5 / 7

    monkeypatch.setitem(calendars._registered, "office", Weekdays)
    w = World(db)
    gone, _ = w.contract({"model": "subscription", "fee": "100.00"}, sla={"calendar": "office"})
    kept, _ = w.contract({"model": "subscription", "fee": "100.00"}, sla={"calendar": "24x7"})
    monkeypatch.delitem(calendars._registered, "office")  # the module that offered it was removed
    run = w.run()
    items = w.items(run.id)
    assert (items[gone.id].reason, items[kept.id].outcome) == ("unknown_calendar", "billed")
