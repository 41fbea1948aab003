"""Stored SLA attainment over HTTP, pages and CLI (2.1.6, 2.1.2): compute a month (all contracts or
one; another tenant's contract is a 404), list with filters and cursor pages, a contract's trend;
the pages in Chinese and English; the customer portal's SLA report with the availability of the
customer's own contracts only; ``somp pss sla`` end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.assets.models import AssetStateChange
from somp.modules.contracts.models import Contract
from tests.factories import (
    make_asset,
    make_contract,
    make_customer,
    make_offering,
    make_product,
    make_tenant,
    make_user,
)

API = "/api/v1/pss"
CN = dt.timezone(dt.timedelta(hours=8))


def _setup(db, *, mark=""):
    from somp.modules.pss import service as pss
    from somp.modules.pss.schemas import SlaTermsIn

    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    admin = make_user(db, t, Role.tenant_admin, username=f"slaadmin{mark}")
    out = {"tenant": t, "admin": admin, "contracts": [], "customers": []}
    for n in range(2):
        c = make_customer(db, t, name=f"客户{n}{mark}")
        a = make_asset(db, t, p.id, c.id, state="in_service")
        k = make_contract(db, t, c.id, o.id, [a.id], number=f"CT-SLA-{n}{mark}")
        with db.session(Scope.tenant(t.id)) as s:
            s.execute(update(Contract).where(Contract.id == k.id).values(status="active"))
            pss.set_sla_terms(s, k.id, SlaTermsIn(availability_target_pct="99"))
            # 7.44 h down in September and October each (1 % of October's 744 h): 99 % exactly
            for month in (9, 10):
                start = dt.datetime(2026, month, 3, 0, tzinfo=CN)
                s.add(AssetStateChange(tenant_id=t.id, asset_id=a.id, from_state="in_service", to_state="failed",
                                       at=start, source="monitoring"))  # fmt: skip
                s.add(AssetStateChange(tenant_id=t.id, asset_id=a.id, from_state="failed", to_state="in_service",
                                       at=start + dt.timedelta(hours=7.44 * (n + 1)), source="monitoring"))  # fmt: skip
            s.commit()
        out["contracts"].append(k.id)
        out["customers"].append(c.id)
    return out


@pytest.fixture
def world(db):
    return _setup(db)


def test_compute_list_and_trend_over_http(client_as, db, world):
    api = client_as(world["admin"])
    k0, k1 = world["contracts"]
    for period in ("2026-09", "2026-10"):
        r = api.post(f"{API}/sla-attainment", json={"period": period})
        assert r.status_code == 201, r.text
    body = r.json()
    assert (body["period"], body["final"], body["contracts"], body["attained"], body["not_attained"]) == (
        "2026-10", True, 2, 1, 1)  # fmt: skip
    by = {x["contract_id"]: x for x in body["records"]}
    assert by[k0]["availability_pct"] == "99.0000" and by[k0]["attained"] is True  # 99 % meets 99 %
    assert by[k1]["availability_pct"] == "98.0000" and by[k1]["monitored_outages"] == 1
    page1 = api.get(f"{API}/sla-attainment", params={"period": "2026-10", "limit": 1}).json()
    page2 = api.get(f"{API}/sla-attainment", params={"period": "2026-10", "cursor": page1["next_cursor"]}).json()
    assert [x["contract_id"] for x in page1["items"] + page2["items"]] == [k0, k1]
    missed = api.get(f"{API}/sla-attainment", params={"attained": "false"}).json()["items"]
    # September has 720 h: 7.44 h down is 98.9667 %, below the 99 % target
    assert {(x["contract_id"], x["period"]) for x in missed} == {(k0, "2026-09"), (k1, "2026-09"), (k1, "2026-10")}
    trend = api.get(f"{API}/contracts/{k1}/sla-attainment").json()
    assert [m["period"] for m in trend["months"]] == ["2026-09", "2026-10"]
    # September has 720 h: 14.88 h down -> 97.9333 %
    assert [m["availability_pct"] for m in trend["months"]] == ["97.9333", "98.0000"]
    one = api.post(f"{API}/sla-attainment", json={"period": "2026-10", "contract_id": k0}).json()
    assert [x["contract_id"] for x in one["records"]] == [k0]
    assert api.post(f"{API}/sla-attainment", json={"period": "2026-13"}).status_code == 422
    r = api.post(f"{API}/sla-attainment", json={"period": "2099-01"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"{API}/contracts/999999/sla-attainment").status_code == 404
    other = _setup(db, mark="X")
    assert api.post(f"{API}/sla-attainment", json={"period": "2026-10", "contract_id": other["contracts"][0]}
                    ).status_code == 404  # fmt: skip


def test_pages_in_both_languages(app, db, client_as, world):
    from somp.web.render import MISSING
    from tests.web.helpers import WebClient

    api = client_as(world["admin"])
    for period in ("2026-09", "2026-10"):
        api.post(f"{API}/sla-attainment", json={"period": period})
    k1 = world["contracts"][1]
    MISSING.clear()
    for lang, word in (("zh", "SLA 达成情况"), ("en", "SLA attainment")):
        web = WebClient(app, world["admin"].username, lang=lang)
        r = web.get("/pss/sla")  # the newest stored month by default
        assert r.status_code == 200 and word in r.text and "CT-SLA-1" in r.text and "2026-10" in r.text
        assert f"/pss/contracts/{k1}/sla" in r.text
        r = web.get(f"/pss/contracts/{k1}/sla")
        assert r.status_code == 200 and 'id="sla-data"' in r.text and "97.93" in r.text and "sla_trend.js" in r.text
        assert web.get("/pss/sla", params={"period": "2025-01"}).status_code == 200
    assert web.get("/pss/contracts/999999/sla").status_code == 404
    r = web.post("/pss/sla", {"period": "2026-08"})  # the compute form: stores the month, shows it
    assert r.status_code == 303 and r.headers["location"] == "/pss/sla?period=2026-08"
    r = web.get(r.headers["location"])
    assert "SLA attainment of 2026-08 computed and stored (2 contracts)" in r.text and "CT-SLA-0" in r.text
    r = web.post("/pss/sla", {"period": "2099-01"})
    assert r.status_code == 303 and "Cannot compute 2099-01" in web.get(r.headers["location"]).text
    assert web.post("/pss/sla", {"period": "2026-08"}, csrf=False).status_code in (400, 403)
    assert not {k for k in MISSING if k.startswith(("sla.", "pss."))}, MISSING


def test_the_portal_sla_report_shows_the_customers_own_availability_only(app, db, client_as, world):
    from somp.core.identity import Role as R

    api = client_as(world["admin"])
    api.post(f"{API}/sla-attainment", json={"period": "2026-10"})
    cu = make_user(db, world["tenant"], R.customer_user, customer_id=world["customers"][1], username="slaportal")
    portal = client_as(cu)
    rep = portal.get("/api/v1/portal/sla-report", params={"period": "2026-10"}).json()
    assert [(x["contract_number"], x["availability_pct"]) for x in rep["availability"]] == [("CT-SLA-1", 98.0)]
    assert portal.get(f"{API}/sla-attainment").status_code == 403  # the staff routes stay closed
    from tests.web.helpers import WebClient

    page = WebClient(app, "slaportal", lang="en").get("/portal", params={"period": "2026-10"})
    assert page.status_code == 200 and 'id="contract-availability"' in page.text
    assert "CT-SLA-1" in page.text and "98.00%" in page.text and "CT-SLA-0" not in page.text
    staff = api.get("/api/v1/aftersales/quality-report", params={"period": "2026-Q4"}).json()
    assert [x["contract_number"] for x in staff["availability"]] == ["CT-SLA-0", "CT-SLA-1"]


def test_somp_pss_sla_from_the_command_line(tmp_path):
    from somp.cli import app
    from somp.core import migrate
    from somp.core.database import Database, build_engine

    url = f"sqlite:///{tmp_path / 'somp.db'}"
    engine = build_engine(url)
    migrate.upgrade(engine)
    db = Database(url, engine=engine)
    w = _setup(db)
    db.dispose()
    run = CliRunner().invoke(app, ["pss", "sla", "--period", "2026-10", "--database-url", url], env={"COLUMNS": "200"})
    assert run.exit_code == 0, run.output
    assert "CT-SLA-0" in run.output and "99.0000" in run.output and "2 contract-months stored" in run.output
    js = CliRunner().invoke(app, ["pss", "sla", "--period", "2026-10", "--tenant", str(w["tenant"].id),
                                  "--contract", str(w["contracts"][1]), "--json", "--database-url", url])  # fmt: skip
    assert js.exit_code == 0 and '"availability_pct": "98.0000"' in js.output and "CT-SLA-0" not in js.output
    bad = CliRunner().invoke(app, ["pss", "sla", "--period", "2026-13", "--database-url", url])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
