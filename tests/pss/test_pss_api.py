"""pss over HTTP, pages and CLI: price plans validated at the edge, SLA terms, billing runs (POST,
list, detail, per-contract items with cursor paging), sell-vs-serve with inputs measured from the
product's work orders; the pages in Chinese and English; ``somp pss bill`` end to end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.contracts.models import Contract
from somp.modules.pss import pricing
from somp.modules.workorders.models import WorkOrder
from tests.factories import (
    make_asset,
    make_contract,
    make_customer,
    make_offering,
    make_product,
    make_tenant,
    make_user,
    make_work_order,
)

API = "/api/v1/pss"


@pytest.fixture
def shop(db):
    t = make_tenant(db)
    p = make_product(db, t, list_price="250000.00", unit_cost="150000.00")
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    admin = make_user(db, t, Role.tenant_admin)
    contracts = []
    for _ in range(3):
        a = make_asset(db, t, p.id, c.id, state="in_service", commissioned_on=dt.date(2024, 1, 1))
        k = make_contract(db, t, c.id, o.id, [a.id])
        contracts.append(k.id)
    with db.session(Scope.tenant(t.id)) as s:
        s.execute(update(Contract).where(Contract.id.in_(contracts)).values(status="active"))
        s.commit()
    return t, p, admin, contracts


def problem(r, status=422):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_price_plans_are_validated_at_the_edge(client_as, shop):
    _t, _p, admin, (k, *_) = shop
    api = client_as(admin)
    url = f"{API}/contracts/{k}/price-plan"
    assert "tiers" in str(problem(api.put(url, json={"model": "pay_per_use", "metric": "m3", "unit": "m3"})))
    bad_tiers = [{"up_to": "100", "unit_price": "1"}, {"up_to": "50", "unit_price": "1"}, {"up_to": None,
                 "unit_price": "1"}]  # fmt: skip
    body = {"model": "pay_per_use", "metric": "m3", "unit": "m3", "tiers": bad_tiers}
    assert "increasing" in str(problem(api.put(url, json=body)))
    open_middle = [{"up_to": None, "unit_price": "1"}, {"up_to": "50", "unit_price": "1"}]
    assert "open-ended" in str(problem(api.put(url, json=body | {"tiers": open_middle})))
    assert "does not take" in str(problem(api.put(url, json={"model": "subscription", "fee": "1", "bands": [
        {"from_pct": "99", "adjust_pct": "1"}]})))  # fmt: skip
    assert problem(api.put(url, json={"model": "subscription", "fee": "-1"}))
    assert api.get(url).status_code == 404
    good = {"model": "pay_per_use", "metric": "m3", "unit": "m3", "included": "100", "minimum_charge": "50",
            "tiers": [{"up_to": "1000", "unit_price": "0.12"}, {"up_to": None, "unit_price": "0.1"}]}  # fmt: skip
    r = api.put(url, json=good)
    assert r.status_code == 200, r.text
    got = api.get(url).json()
    assert got["tiers"] == [{"up_to": "1000.0000", "unit_price": "0.1200"}, {"up_to": None, "unit_price": "0.1000"}]
    assert D(got["included"]) == 100 and got["version"] == 1
    r = api.put(url, json={"model": "subscription", "fee": "800.00"})  # replaced
    assert r.json()["model"] == "subscription" and r.json()["tiers"] == [] and r.json()["version"] == 2
    assert api.put(f"{API}/contracts/999999/price-plan", json={"model": "subscription", "fee": "1"}).status_code == 404


def test_sla_terms_name_a_known_calendar(client_as, shop):
    _t, _p, admin, (k, *_) = shop
    api = client_as(admin)
    url = f"{API}/contracts/{k}/sla"
    assert "24x7" in str(problem(api.put(url, json={"calendar": "mars-time"})))
    critical = {"critical": {"response_hours": "1", "resolution_hours": "4"}}
    body = {"availability_target_pct": "99.5", "targets": critical, "breach_credit": "200.00"}
    assert problem(
        api.put(url, json=body | {"targets": {"critical": {"response_hours": "5", "resolution_hours": "4"}}})
    )
    r = api.put(url, json=body)
    assert r.status_code == 200, r.text
    assert api.get(url).json()["targets"] == {"critical": {"response_hours": "1", "resolution_hours": "4"}}


def test_billing_runs_over_http_are_idempotent_and_report_per_contract(client_as, shop):
    _t, _p, admin, contracts = shop
    api = client_as(admin)
    for k in contracts[:2]:
        assert (
            api.put(f"{API}/contracts/{k}/price-plan", json={"model": "subscription", "fee": "1000"}).status_code == 200
        )
    assert problem(api.post(f"{API}/billing-runs", json={"period": "2026-13"}))
    r = api.post(f"{API}/billing-runs", json={"period": "2026-10", "issued_on": "2026-11-05"})
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["contracts"], run["invoices"], run["skipped"], run["skip_reasons"]) == (3, 2, 1, {"no_price_plan": 1})
    assert D(run["net_invoiced"]) == D("2000.00")
    again = api.post(f"{API}/billing-runs", json={"period": "2026-10"}).json()
    assert (again["invoices"], again["skip_reasons"]) == (0, {"already_billed": 2, "no_price_plan": 1})
    listed = api.get(f"{API}/billing-runs", params={"period": "2026-10"}).json()["items"]
    assert [x["id"] for x in listed] == [run["id"], again["id"]]
    assert api.get(f"{API}/billing-runs/{run['id']}").json()["invoices"] == 2
    page1 = api.get(f"{API}/billing-runs/{run['id']}/items", params={"limit": 2}).json()
    page2 = api.get(f"{API}/billing-runs/{run['id']}/items", params={"limit": 2, "cursor": page1["next_cursor"]}).json()
    items = page1["items"] + page2["items"]
    assert [i["contract_id"] for i in items] == contracts and page2["next_cursor"] is None
    inv = api.get(f"/api/v1/invoices/{items[0]['invoice_id']}").json()
    assert inv["issued_on"] == "2026-11-05" and inv["contract_id"] == contracts[0] and inv["status"] == "draft"
    skipped = api.get(f"{API}/billing-runs/{run['id']}/items", params={"outcome": "skipped"}).json()["items"]
    assert [(i["contract_id"], i["reason"]) for i in skipped] == [(contracts[2], "no_price_plan")]


def test_sell_vs_serve_measures_failure_rate_and_repair_cost_from_work_orders(db, client_as, shop):
    t, p, admin, _ = shop
    api = client_as(admin)
    # three assets commissioned 2024-01-01; as of 2026-01-01 that is 3 x 731 days = 6.0082 asset-years
    from sqlalchemy import select

    from somp.modules.assets.models import Asset

    with db.session(Scope.tenant(t.id)) as s:
        assets = list(s.scalars(select(Asset.id).where(Asset.product_id == p.id)))
    costs = [("corrective", "3000.00", "1200.00"), ("corrective", "2000.00", None), ("corrective", None, None),
             ("preventive", "900.00", "300.00")]  # fmt: skip
    for n, (kind, labour, parts) in enumerate(costs):
        w = make_work_order(db, t, assets[n % 3], kind=kind)
        with db.session(Scope.tenant(t.id)) as s:
            opened = dt.datetime(2025, 3, 1 + n, tzinfo=dt.UTC)
            s.execute(
                update(WorkOrder)
                .where(WorkOrder.id == w.id)
                .values(labour_cost=labour, parts_cost=parts, opened_at=opened)
            )
            s.commit()
    body = {"product_id": p.id, "service_fee": "60000.00", "life_years": 8, "operating_cost": "5000.00",
            "residual_value": "20000.00", "as_of": "2026-01-01"}  # fmt: skip
    r = api.post(f"{API}/sell-vs-serve", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    years = D(3 * 731) / D(365)
    assert D(out["inputs"]["failure_rate"]) == (D(3) / years).quantize(D("0.000001"))
    assert D(out["inputs"]["repair_cost"]) == D("3100.00")  # (4200 + 2000) / 2 costed corrective orders
    assert D(out["inputs"]["preventive_cost"]) == pricing.money(D("1200.00") / years)
    assert out["sources"]["price"] == "product" and out["sources"]["service_fee"] == "given"
    assert out["sources"]["failure_rate"].startswith("work_orders (3 corrective")
    m = pricing.Machine(D("250000.00"), D("150000.00"), 8, D(out["inputs"]["failure_rate"]), D("3100.00"),
                        D(out["inputs"]["preventive_cost"]), D("5000.00"), D("20000.00"), D("0.8"))  # fmt: skip
    ref = pricing.compare(m, D("60000.00"), D("0.08"), D("0.06"))
    assert (
        D(out["customer_max_fee"]) == ref.customer_max_fee
        and D(out["manufacturer_min_fee"]) == ref.manufacturer_min_fee
    )
    assert D(out["service_customer"]["npv"]) == ref.service_customer.npv
    assert out["fee_acceptable_to_both"] == (ref.manufacturer_min_fee <= D("60000.00") <= ref.customer_max_fee)
    # nothing to measure from: the missing inputs are named
    err = problem(api.post(f"{API}/sell-vs-serve", json={"service_fee": "1000"}))
    assert {e["field"] for e in err["errors"]} == {"price", "manufacturing_cost", "failure_rate", "repair_cost",
                                                    "preventive_cost"}  # fmt: skip


def test_pages_list_runs_show_a_run_and_compare_in_both_languages(app, db, shop):
    from somp.web.render import MISSING
    from tests.web.helpers import WebClient

    t, p, admin, contracts = shop
    from somp.modules.pss import billing
    from somp.modules.pss import service as pss
    from somp.modules.pss.schemas import PricePlanIn

    with db.session(Scope.tenant(t.id)) as s:
        pss.set_price_plan(s, contracts[0], PricePlanIn(model="subscription", fee="1000.00"))
        run = billing.run(s, "2026-10")
        s.commit()
    MISSING.clear()
    for lang, word in (("zh", "计费运行"), ("en", "Billing runs")):
        web = WebClient(app, admin.username, lang=lang)
        r = web.get("/pss/billing")
        assert r.status_code == 200 and word in r.text and f"/pss/billing/{run.id}" in r.text
        r = web.get(f"/pss/billing/{run.id}")
        assert r.status_code == 200 and "/invoices/" in r.text
        r = web.get("/pss/sell-vs-serve", params={"product_id": p.id, "service_fee": "60000", "failure_rate": "0.5",
                                                  "repair_cost": "3000", "preventive_cost": "1000"})  # fmt: skip
        assert r.status_code == 200 and 'id="flows-data"' in r.text and 'id="verdict"' in r.text, r.text[-2000:]
        r = web.get("/pss/sell-vs-serve", params={"service_fee": "abc"})
        assert r.status_code == 200 and 'role="alert"' in r.text
    assert web.get("/pss/billing/999999").status_code == 404
    assert not {k for k in MISSING if k.startswith("pss.")}, MISSING


def test_somp_pss_bill_from_the_command_line(tmp_path):
    from somp.cli import app
    from somp.core import migrate
    from somp.core.database import Database, build_engine
    from somp.modules.pss import service as pss
    from somp.modules.pss.schemas import PricePlanIn

    url = f"sqlite:///{tmp_path / 'somp.db'}"
    engine = build_engine(url)
    migrate.upgrade(engine)
    db = Database(url, engine=engine)
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    k = make_contract(db, t, c.id, o.id, [])
    with db.session(Scope.tenant(t.id)) as s:
        s.execute(update(Contract).where(Contract.id == k.id).values(status="active"))
        pss.set_price_plan(s, k.id, PricePlanIn(model="subscription", fee="1234.56"))
        s.commit()
    db.dispose()
    run = CliRunner().invoke(app, ["pss", "bill", "--period", "2026-10", "--tenant", str(t.id), "--database-url", url],
                             env={"COLUMNS": "160"})  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "1,234.56" in run.output and "invoices" in run.output
    again = CliRunner().invoke(app, ["pss", "bill", "--period", "2026-10", "--tenant", str(t.id), "--database-url",
                                     url], env={"COLUMNS": "160"})  # fmt: skip
    assert again.exit_code == 0 and "already_billed: 1" in again.output
    bad = CliRunner().invoke(app, ["pss", "bill", "--period", "2026-13", "--tenant", str(t.id), "--database-url", url])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
