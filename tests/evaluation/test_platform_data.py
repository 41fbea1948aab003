"""Indicators computed from platform data (1.3.1), on a small hand-made enterprise whose expected
values are counted by hand below; an enterprise without data gets missing values, never 0."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from somp.core.tenancy import Scope
from somp.modules.evaluation.indicators import PLATFORM_FUNCTIONS
from somp.modules.evaluation.platform_data import FUNCTIONS, measure
from tests.factories import (
    make_asset,
    make_contract,
    make_customer,
    make_invoice,
    make_offering,
    make_product,
    make_tenant,
    make_work_order,
)

Y2025 = (dt.date(2025, 1, 1), dt.date(2026, 1, 1))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _set(db, tenant, model, row_id: int, **values) -> None:
    with db.session(Scope.tenant(tenant.id)) as s:
        row = s.get(model, row_id)
        for k, v in values.items():
            setattr(row, k, v)
        s.commit()


@pytest.fixture
def enterprise(db):
    """Assets: 3 installed (1 with a live device token, 1 whose token was revoked in 2025, 1 without)
    and 1 still at the factory with a token. Work orders of 2025: corrective 12 h within its
    deadline; predictive 48 h, resolved a day late; corrective opened by a prediction, still open
    after its deadline; a cancelled one. Contracts: one ending mid-2025 and renewed, one ending in
    September not renewed. Invoices: 2024 service 10,000 under a contract; 2025 product 250,000 and
    service 12,000 under a contract."""
    from somp.modules.assets.models import DeviceToken
    from somp.modules.assets.service import issue_device_token
    from somp.modules.contracts.models import Contract
    from somp.modules.invoicing.models import Invoice
    from somp.modules.workorders.models import WorkOrder

    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    a1, a2, a3 = (make_asset(db, t, p.id, c.id, state="in_service") for _ in range(3))
    factory = make_asset(db, t, p.id, c.id)
    with db.session(Scope.tenant(t.id)) as s:
        tokens = [issue_device_token(s, a.id, f"gw{a.id}")[0] for a in (a1, a3, factory)]
        for tok in tokens:
            s.get(DeviceToken, tok.id).created_at = at("2025-01-01T00:00:00")
        s.get(DeviceToken, tokens[1].id).revoked_at = at("2025-06-01T00:00:00")
        s.commit()
    k1 = make_contract(db, t, c.id, o.id, [], start_date=dt.date(2024, 7, 1), end_date=dt.date(2025, 6, 30),
                       signed_on=dt.date(2024, 6, 1))  # fmt: skip
    k2 = make_contract(db, t, c.id, o.id, [], start_date=dt.date(2025, 7, 1), end_date=dt.date(2026, 6, 30),
                       signed_on=dt.date(2025, 6, 1), renewal_of_id=k1.id)  # fmt: skip
    k3 = make_contract(db, t, c.id, o.id, [], start_date=dt.date(2024, 10, 1), end_date=dt.date(2025, 9, 30))
    for k in (k1, k2, k3):
        _set(db, t, Contract, k.id, status="active")
    service_line = {"category": "service", "description": "服务", "quantity": "1", "unit_price": "10000"}
    i0 = make_invoice(db, t, c.id, contract_id=k1.id, issued_on=dt.date(2024, 12, 31), lines=[service_line])
    i1 = make_invoice(db, t, c.id, contract_id=k1.id, issued_on=dt.date(2025, 3, 31))  # 250,000 + 12,000
    for i in (i0, i1):
        _set(db, t, Invoice, i.id, status="issued")
    wos = [
        make_work_order(db, t, a1.id, kind="corrective"),
        make_work_order(db, t, a2.id, kind="predictive"),
        make_work_order(db, t, a3.id, kind="corrective", source="prediction"),
        make_work_order(db, t, a1.id, kind="corrective"),
    ]
    for wo, fields in zip(
        wos,
        [
            dict(opened_at=at("2025-03-01T08:00"), resolved_at=at("2025-03-01T20:00"),
                 resolution_due_at=at("2025-03-02T00:00"), status="resolved"),
            dict(opened_at=at("2025-04-01T00:00"), resolved_at=at("2025-04-03T00:00"),
                 resolution_due_at=at("2025-04-02T00:00"), status="resolved"),
            dict(opened_at=at("2025-12-20T00:00"), resolution_due_at=at("2025-12-30T00:00"), status="in_progress"),
            dict(opened_at=at("2025-06-01T00:00"), resolution_due_at=at("2025-06-02T00:00"), status="cancelled"),
        ],
        strict=True,
    ):  # fmt: skip
        _set(db, t, WorkOrder, wo.id, **fields)
    return t, wos, k1


def test_every_platform_function_named_by_systems_is_implemented():
    assert set(FUNCTIONS) == set(PLATFORM_FUNCTIONS)


def test_values_counted_by_hand(db, enterprise):
    t, _, _ = enterprise
    with db.session(Scope.tenant(t.id)) as s:
        m = measure(s, PLATFORM_FUNCTIONS, *Y2025)
    assert m["connected_asset_share"].value == pytest.approx(1 / 3)
    assert (m["connected_asset_share"].numerator, m["connected_asset_share"].denominator) == (1, 3)
    # deadlines in 2025, cancelled excluded: met, late, still open past the deadline at the period's end
    assert (m["sla_attainment"].numerator, m["sla_attainment"].denominator) == (1, 3)
    # maintenance work orders opened in 2025 (not cancelled): predictive kind + opened by a prediction
    assert m["predictive_work_order_share"].value == pytest.approx(2 / 3)
    assert m["mean_time_to_repair_hours"].value == pytest.approx((12 + 48) / 2)
    assert m["contract_renewal_rate"].value == pytest.approx(1 / 2)
    assert m["service_revenue_share"].value == pytest.approx(12_000 / 262_000)
    # service revenue under contracts: 12,000 in 2025 after 10,000 in 2024
    assert m["service_contract_revenue_growth"].value == pytest.approx(0.2)
    # no service cost recorded anywhere: the margin is missing, not 100 %
    assert m["service_profit_margin"].value is None and "cost" in m["service_profit_margin"].note
    assert m["first_time_fix_rate"].value is None and m["customer_satisfaction"].value is None


def test_profit_margin_once_costs_are_recorded(db, enterprise):
    from somp.modules.workorders.models import WorkOrder

    t, wos, k1 = enterprise
    # costs of a work order under no contract are not service costs
    _set(db, t, WorkOrder, wos[0].id, labour_cost=Decimal("3000"), parts_cost=Decimal("2000"))
    with db.session(Scope.tenant(t.id)) as s:
        assert measure(s, ["service_profit_margin"], *Y2025)["service_profit_margin"].value is None
    _set(db, t, WorkOrder, wos[0].id, contract_id=k1.id)
    with db.session(Scope.tenant(t.id)) as s:
        m = measure(s, ["service_profit_margin"], *Y2025)["service_profit_margin"]
    assert m.value == pytest.approx((12_000 - 5_000) / 12_000)
    assert (m.numerator, m.denominator) == (7_000, 12_000)


def test_an_enterprise_without_data_gets_missing_values_never_zero(db):
    t = make_tenant(db)
    with db.session(Scope.tenant(t.id)) as s:
        m = measure(s, PLATFORM_FUNCTIONS, *Y2025)
    assert all(v.value is None for v in m.values()), {k: v for k, v in m.items() if v.value is not None}
    assert all(v.note for v in m.values())


def test_another_tenants_data_is_not_counted(db, enterprise):
    t, _, _ = enterprise
    other = make_tenant(db)
    with db.session(Scope.tenant(other.id)) as s:
        assert all(v.value is None for v in measure(s, PLATFORM_FUNCTIONS, *Y2025).values())
    with pytest.raises(ValueError), db.session(Scope.tenant(t.id)) as s:
        measure(s, ["sla_attainment"], dt.date(2025, 1, 1), dt.date(2025, 1, 1))
