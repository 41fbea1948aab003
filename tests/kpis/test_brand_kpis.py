"""Brand KPIs: the pure definitions on a hand-worked example, and from platform data end to end."""

import datetime as dt
from decimal import Decimal

import pytest

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.kpis.brand import Period, Purchase, RevenueLine, ServiceCost, brand_kpis, quarters, years
from somp.modules.kpis.service import brand_kpi_series
from tests.factories import (
    make_asset,
    make_contract,
    make_customer,
    make_offering,
    make_product,
    make_tenant,
    make_user,
)

D = Decimal
Y2025 = Period(dt.date(2025, 1, 1), dt.date(2026, 1, 1), "2025")


def test_hand_worked_example():
    # 2025: product 600,000 (one sale); service 300,000 + 100,000 - credit 20,000 = 380,000
    revenue = [
        RevenueLine(dt.date(2025, 3, 1), False, D("600000")),
        RevenueLine(dt.date(2025, 4, 1), True, D("300000"), cost=D("50000")),
        RevenueLine(dt.date(2025, 9, 1), True, D("100000")),
        RevenueLine(dt.date(2025, 10, 1), True, D("-20000")),
        RevenueLine(dt.date(2024, 12, 31), True, D("999999")),  # outside the period
    ]
    costs = [ServiceCost(dt.date(2025, 6, 1), D("140000")), ServiceCost(dt.date(2026, 1, 1), D("1"))]
    # customers 1,2,3 bought before 2025; 1 and 3 bought again in 2025; 4 is new in 2025
    purchases = [
        Purchase(1, dt.date(2023, 5, 1)),
        Purchase(2, dt.date(2024, 2, 1)),
        Purchase(3, dt.date(2024, 12, 31)),
        Purchase(1, dt.date(2025, 2, 1)),
        Purchase(3, dt.date(2025, 12, 31)),
        Purchase(4, dt.date(2025, 6, 1)),
        Purchase(2, dt.date(2026, 1, 1)),
    ]
    k = brand_kpis(Y2025, revenue, costs, purchases)
    assert k.service_revenue == D("380000") and k.product_revenue == D("600000")
    assert k.service_revenue_share == pytest.approx(380000 / 980000)
    assert (k.repurchase_base, k.repurchasing_customers) == (3, 2)
    assert k.repurchase_rate == pytest.approx(2 / 3)
    assert k.service_cost == D("190000")
    assert k.service_profit_margin == pytest.approx((380000 - 190000) / 380000)


def test_missing_data_is_none_never_zero():
    k = brand_kpis(Y2025, [], [], [])
    assert k.service_revenue_share is None and k.repurchase_rate is None and k.service_profit_margin is None
    k = brand_kpis(Y2025, [RevenueLine(dt.date(2025, 1, 5), False, D("10"))], [], [Purchase(1, dt.date(2025, 1, 5))])
    assert k.service_revenue_share == 0.0 and k.service_profit_margin is None and k.repurchase_rate is None


def test_periods():
    qs = quarters(dt.date(2026, 2, 10), 5)
    assert [q.label for q in qs] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    assert qs[3].start == dt.date(2025, 10, 1) and qs[3].end == dt.date(2026, 1, 1)
    assert [y.label for y in years(dt.date(2026, 2, 10), 2)] == ["2025", "2026"]


def _enterprise_with_history(db, client_as):
    """A tenant with contracts (2023 sale, Dec 2024 renewal), a 2025 invoice and a resolved work order."""
    from tests.factories import make_invoice, make_work_order

    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    a = make_asset(db, t, p.id, c.id, state="in_service")
    k1 = make_contract(
        db,
        t,
        c.id,
        o.id,
        [a.id],
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2025, 1, 1),
        signed_on=dt.date(2023, 12, 1),
    )
    make_contract(
        db,
        t,
        c.id,
        o.id,
        [a.id],
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2026, 1, 1),
        signed_on=dt.date(2024, 12, 20),
        renewal_of_id=k1.id,
    )
    api = client_as(make_user(db, t, Role.service_manager))
    for kid in (k1.id, k1.id + 1):
        assert api.post(f"/api/v1/contracts/{kid}/transitions", json={"to_status": "active"}).status_code == 200, kid
    inv = make_invoice(db, t, c.id, issued_on=dt.date(2025, 3, 31))  # 250,000 product + 12,000 service
    api.post(f"/api/v1/invoices/{inv.id}/transitions", json={"to_status": "issued"})
    wo = make_work_order(db, t, a.id, opened_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
    api.patch(f"/api/v1/work-orders/{wo.id}", json={"labour_cost": "3000", "parts_cost": "1500", "travel_cost": "500"})
    for st, at in (("in_progress", "2025-05-01T10:00:00Z"), ("resolved", "2025-05-02T10:00:00Z")):
        api.post(f"/api/v1/work-orders/{wo.id}/transitions", json={"to_status": st, "at": at})
    return t, api


def test_kpis_from_platform_data(db, client_as):
    t, api = _enterprise_with_history(db, client_as)
    with db.session(Scope.tenant(t.id)) as s:
        (k,) = brand_kpi_series(s, [Y2025])
    assert k.service_revenue == D("12000.00") and k.product_revenue == D("250000.00")
    assert k.service_revenue_share == pytest.approx(12000 / 262000)
    assert k.service_cost == D("5000.00") and k.service_profit_margin == pytest.approx(7000 / 12000)
    # the customer bought in 2023 and renewed in Dec 2024 -> 2025's base; bought again in 2025 (product sale)
    assert (k.repurchase_base, k.repurchasing_customers) == (1, 1)
    r = api.get("/api/v1/kpis/brand", params={"granularity": "year", "until": "2025-06-30", "count": 2})
    assert [x["period"] for x in r.json()["periods"]] == ["2024", "2025"]
    assert r.json()["periods"][0]["service_revenue_share"] is None


def test_grouped_kpis_of_many_tenants_equal_each_tenants_own_series(db, client_as):
    """``brand_kpis_by_tenant`` (three grouped statements) gives, for every tenant, exactly what
    ``brand_kpi_series`` gives in that tenant's own scope; a tenant without data gets no-data KPIs."""
    from somp.modules.kpis.service import brand_kpis_by_tenant
    from tests.factories import make_invoice

    t1, _ = _enterprise_with_history(db, client_as)
    t2, api2 = _enterprise_with_history(db, client_as)
    c2 = make_customer(db, t2)
    inv = make_invoice(db, t2, c2.id, issued_on=dt.date(2024, 7, 1))
    api2.post(f"/api/v1/invoices/{inv.id}/transitions", json={"to_status": "issued"})
    empty = make_tenant(db)
    periods = years(dt.date(2025, 12, 31), 2)
    grouped = brand_kpis_by_tenant(db, [t1.id, t2.id, empty.id], periods)
    assert sorted(grouped) == sorted([t1.id, t2.id, empty.id])
    for t in (t1, t2, empty):
        with db.session(Scope.tenant(t.id)) as s:
            assert grouped[t.id] == brand_kpi_series(s, periods), t.id
    assert grouped[t2.id][0].product_revenue == D("250000.00")  # t2's 2024 invoice, not t1's
    assert grouped[t1.id][0].product_revenue == D("0")
    assert grouped[empty.id][1].service_revenue_share is None
    assert brand_kpis_by_tenant(db, [], periods) == {}
