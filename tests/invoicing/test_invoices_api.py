"""Invoices: exact decimal amounts, VAT, immutability after issue, revenue by category."""

import datetime as dt
from decimal import Decimal

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.invoicing.models import RevenueCategory
from somp.modules.invoicing.service import revenue_by_category
from tests.factories import make_customer, make_tenant, make_user

API = "/api/v1"


def test_amounts_are_exact_and_rounded_half_up_to_the_fen(db, client_as):
    t = make_tenant(db)
    c = make_customer(db, t)
    api = client_as(make_user(db, t, Role.service_manager))
    r = api.post(
        f"{API}/invoices",
        json={
            "customer_id": c.id,
            "issued_on": "2026-01-31",
            "lines": [
                {
                    "category": "service",
                    "description": "压缩空气",
                    "quantity": "123456.7",
                    "unit": "m3",
                    "unit_price": "0.1235",
                },
                {"category": "product", "description": "过滤器", "quantity": "3", "unit_price": "0.005"},
                {"category": "service", "description": "0.1+0.2", "quantity": "1", "unit_price": "0.1"},
                {"category": "service", "description": "0.1+0.2", "quantity": "1", "unit_price": "0.2"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    inv = r.json()
    # 123456.7 x 0.1235 = 15246.90245 -> 15246.90; 3 x 0.005 = 0.015 -> 0.02 (half up, not to even)
    assert [ln["amount"] for ln in inv["lines"]] == ["15246.90", "0.02", "0.10", "0.20"]
    assert inv["net_total"] == "15247.22"
    # VAT 13% per line, each rounded half up: 1982.097 -> 1982.10, 0.0026 -> 0.00, 0.013 -> 0.01, 0.026 -> 0.03
    assert inv["tax_total"] == "1982.14"
    assert inv["number"].startswith("INV-2026-")


def test_only_issued_or_paid_invoices_count_and_credit_notes_subtract(db, client_as):
    t = make_tenant(db)
    c = make_customer(db, t)
    api = client_as(make_user(db, t, Role.service_manager))
    line = {"category": "service", "description": "服务费", "quantity": "1", "unit_price": "1000"}
    i1 = api.post(f"{API}/invoices", json={"customer_id": c.id, "issued_on": "2026-02-01", "lines": [line]}).json()
    api.post(f"{API}/invoices", json={"customer_id": c.id, "issued_on": "2026-02-02", "lines": [line]})  # draft
    cn = api.post(
        f"{API}/invoices",
        json={
            "customer_id": c.id,
            "issued_on": "2026-02-03",
            "kind": "credit_note",
            "lines": [line | {"unit_price": "150"}],
        },
    ).json()
    assert cn["number"].startswith("CN-2026-")
    for inv in (i1, cn):
        assert api.post(f"{API}/invoices/{inv['id']}/transitions", json={"to_status": "issued"}).status_code == 200
    r = api.post(f"{API}/invoices/{i1['id']}/transitions", json={"to_status": "draft"})
    assert r.status_code == 409
    with db.session(Scope.tenant(t.id)) as s:
        rev = revenue_by_category(s, dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert rev == {RevenueCategory.service: Decimal("850.00"), RevenueCategory.product: Decimal("0.00")}


def test_invoice_line_must_reference_the_tenants_own_asset(db, client_as):
    t, other = make_tenant(db), make_tenant(db)
    c = make_customer(db, t)
    api = client_as(make_user(db, t, Role.service_manager))
    r = api.post(
        f"{API}/invoices",
        json={
            "customer_id": c.id,
            "issued_on": "2026-02-01",
            "lines": [
                {"category": "service", "description": "x", "quantity": "1", "unit_price": "1", "asset_id": 987654}
            ],
        },
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.asset_id"
    r = api.post(
        f"{API}/invoices",
        json={
            "customer_id": c.id,
            "issued_on": "2026-02-01",
            "period_start": "2026-02-01",
            "lines": [{"category": "service", "description": "x", "quantity": "1", "unit_price": "1"}],
        },
    )
    assert r.status_code == 422
    assert other.id != t.id


def test_a_draft_can_be_corrected_and_an_issued_invoice_cannot(db, client_as):
    t = make_tenant(db)
    c = make_customer(db, t)
    api = client_as(make_user(db, t, Role.service_manager))
    line = {"category": "service", "description": "服务费", "quantity": "2", "unit_price": "100"}
    inv = api.post(f"{API}/invoices", json={"customer_id": c.id, "issued_on": "2026-02-01", "lines": [line]}).json()
    r = api.patch(f"{API}/invoices/{inv['id']}", json={"lines": [line | {"quantity": "3"}, line], "notes": "更正"})
    assert r.status_code == 200, r.text
    assert r.json()["net_total"] == "500.00" and [ln["line_no"] for ln in r.json()["lines"]] == [1, 2]
    r = api.patch(f"{API}/invoices/{inv['id']}", json={"due_on": "2026-01-01"})
    assert r.status_code == 422 and "due_on" in r.json()["errors"][0]["message"]
    api.post(f"{API}/invoices/{inv['id']}/transitions", json={"to_status": "issued"})
    r = api.patch(f"{API}/invoices/{inv['id']}", json={"notes": "too late"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "final"
