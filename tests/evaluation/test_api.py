"""The evaluation API (1.3.1, 1.3.2): indicator systems, an enterprise's self-assessment with values
computed from its platform data, the evaluator's review across enterprises, and the AHP and
input-output engines on uploaded data (Saaty 1990 and Miller & Blair 2009 figures).

Tenant admins and service managers hold ``self_assessment:*``; the evaluator holds
``evaluation:read`` and ``evaluation:review`` (somp.core.permissions).
"""

from __future__ import annotations

import datetime as dt

import pytest

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.evaluation.indicators import default_maturity_system, dump_system
from tests.evaluation.test_input_output import MB_CSV
from tests.evaluation.test_mcda import HOUSE_CSV
from tests.factories import make_customer, make_invoice, make_tenant, make_user

API = "/api/v1/evaluation"
@pytest.fixture
def people(db, client_as):
    a, b = make_tenant(db, name="甲企业"), make_tenant(db, name="乙企业")
    c = make_customer(db, a)
    inv = make_invoice(db, a, c.id, issued_on=dt.date(2025, 3, 31))  # product 250,000 + service 12,000
    from somp.modules.invoicing.models import Invoice

    with db.session(Scope.tenant(a.id)) as s:
        s.get(Invoice, inv.id).status = "issued"
        s.commit()
    return {
        "a": client_as(make_user(db, a, Role.tenant_admin)),
        "b": client_as(make_user(db, b, Role.tenant_admin)),
        "engineer": client_as(make_user(db, a, Role.engineer)),
        "evaluator": client_as(make_user(db, None, Role.evaluator)),
        "tenant_a": a,
    }


def default_system_id(api) -> int:
    r = api.get(f"{API}/systems")
    assert r.status_code == 200, r.text
    (row,) = [x for x in r.json() if x["builtin"]]
    assert row["tenant_id"] is None and row["code"] == "som-maturity"
    assert row["content_hash"] == default_maturity_system().content_hash
    return row["id"]


def test_systems_platform_default_own_versions_and_field_errors(people):
    a, b = people["a"], people["b"]
    sid = default_system_id(a)
    assert default_system_id(b) == sid  # one platform row, visible to both
    detail = a.get(f"{API}/systems/{sid}").json()
    assert len(detail["indicator_list"]) == 20 and detail["questionnaire"][0]["code"] == "SO1.1"
    assert sum(i["global_weight"] for i in detail["indicator_list"]) == pytest.approx(1.0)

    text = dump_system(default_maturity_system()).replace("code: som-maturity", "code: own-maturity")
    bad = text.replace("function: service_revenue_share", "function: revenue_magic")
    r = a.post(f"{API}/systems", json={"document": bad})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    (err,) = r.json()["errors"]
    assert err["field"].startswith("document.dimensions[2](DR)") and "revenue_magic" in err["message"]
    r = a.post(f"{API}/systems", json={"document": text})
    assert r.status_code == 201, r.text
    own = r.json()
    assert own["tenant_id"] == people["tenant_a"].id and own["code"] == "own-maturity" and not own["builtin"]
    assert a.post(f"{API}/systems", json={"document": text}).status_code == 409
    assert {x["id"] for x in a.get(f"{API}/systems").json()} == {sid, own["id"]}
    # another enterprise neither lists nor reads it, nor evaluates with it
    assert [x["id"] for x in b.get(f"{API}/systems").json()] == [sid]
    assert b.get(f"{API}/systems/{own['id']}").status_code == 404
    r = b.post(f"{API}/evaluations", json={"system_id": own["id"], "year": 2025})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "system_id"
    # the evaluator reads every system; an engineer (no self_assessment grant) none
    assert {x["id"] for x in people["evaluator"].get(f"{API}/systems").json()} >= {sid, own["id"]}
    assert people["engineer"].get(f"{API}/systems").status_code == 403
    assert people["evaluator"].post(f"{API}/systems", json={"document": text}).status_code == 403


def test_self_assessment_then_review_across_enterprises(people):
    a, b, ev_api = people["a"], people["b"], people["evaluator"]
    sid = default_system_id(a)
    r = a.post(f"{API}/evaluations", json={"system_id": sid, "year": 2025})
    assert r.status_code == 201, r.text
    ev = r.json()
    eid = ev["id"]
    assert ev["status"] == "draft" and ev["content_hash"] == default_maturity_system().content_hash
    assert (ev["period_start"], ev["period_end"]) == ("2025-01-01", "2026-01-01")

    # answers: refused values name the indicator; a whole batch is refused together
    r = a.post(f"{API}/evaluations/{eid}/answers",
               json={"answers": [{"indicator_code": "SO1.1", "value": 3}, {"indicator_code": "SO2.1", "value": 7},
                                 {"indicator_code": "NOPE", "value": 1}]})  # fmt: skip
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"answers[1].value", "answers[2].indicator_code"}
    digest = "ab" * 32
    answers = [
        {"indicator_code": "SO1.1", "value": 3, "evidence": [{"name": "战略规划.pdf", "sha256": digest, "size": 1024}]},
        {"indicator_code": "SO1.2", "value": 0.08, "note": "2025 年报"},
        {"indicator_code": "SO2.1", "value": None, "note": "尚未评估"},
    ]
    r = a.post(f"{API}/evaluations/{eid}/answers", json={"answers": answers})
    assert r.status_code == 200, r.text
    got = {x["indicator_code"]: x for x in r.json()["answers"]}
    assert got["SO1.1"]["source"] == "questionnaire" and got["SO1.1"]["evidence"][0]["sha256"] == digest
    assert got["SO1.2"]["source"] == "uploaded" and got["SO2.1"]["value"] is None
    res = r.json()["result"]
    assert res["indicators"]["SO2.1"]["status"] == "missing" and res["indicators"]["SO2.1"]["source"] == "missing"
    assert res["indicators"]["SO1.1"]["score"] == pytest.approx(60.0)  # level 3 of 5

    # platform indicators from the enterprise's invoices; what has no data is missing, not 0
    r = a.post(f"{API}/evaluations/{eid}/compute", json={})
    assert r.status_code == 200, r.text
    body = r.json()
    got = {x["indicator_code"]: x for x in body["answers"]}
    assert got["DR1.1"]["source"] == "computed" and got["DR1.1"]["value"] == pytest.approx(12_000 / 262_000)
    assert got["DR1.1"]["detail"]["function"] == "service_revenue_share"
    assert got["CA2.1"]["value"] is None and "work order" in got["CA2.1"]["note"]
    res = body["result"]
    assert res["indicators"]["DR1.1"]["source"] == "computed" and res["indicators"]["CA2.1"]["status"] == "missing"
    assert 0 < body["coverage"] < 0.5 and body["score"] is not None and body["level"] == 0  # level 1 needs 50 %
    assert any(g["target"] == "coverage" for g in res["next_level_gaps"])
    # a measured value is not overwritten by an uploaded one
    r = a.post(f"{API}/evaluations/{eid}/answers", json={"answers": [{"indicator_code": "DR1.1", "value": 0.5}]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "computed_indicator"

    # the evaluator does not see a draft; another enterprise never sees it
    assert ev_api.get(f"{API}/evaluations/{eid}").status_code == 404
    assert ev_api.get(f"{API}/evaluations").json()["items"] == []
    assert b.get(f"{API}/evaluations/{eid}").status_code == 404 and b.get(f"{API}/evaluations").json()["items"] == []

    r = a.post(f"{API}/evaluations/{eid}/submit", json={"version": body["version"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "self_assessed" and r.json()["submitted_by"] is not None
    assert a.post(f"{API}/evaluations/{eid}/answers", json={"answers": answers}).status_code == 409

    listed = ev_api.get(f"{API}/evaluations").json()["items"]
    assert [(x["id"], x["enterprise"]) for x in listed] == [(eid, "甲企业")]
    seen = ev_api.get(f"{API}/evaluations/{eid}").json()
    assert {x["indicator_code"] for x in seen["answers"]} >= {"SO1.1", "DR1.1"}
    # the evaluator writes nothing but reviews; the enterprise does not review itself
    assert ev_api.post(f"{API}/evaluations/{eid}/answers", json={"answers": answers}).status_code == 403
    assert a.post(f"{API}/evaluations/{eid}/review", json={"to_status": "reviewed"}).status_code == 403
    r = ev_api.post(f"{API}/evaluations/{eid}/review", json={"to_status": "reviewed"})
    assert r.status_code == 409 and r.json()["allowed"] == ["under_review"]
    r = ev_api.post(f"{API}/evaluations/{eid}/review", json={"to_status": "under_review"})
    assert r.status_code == 200 and r.json()["status"] == "under_review" and r.json()["review_started_at"]
    r = ev_api.post(f"{API}/evaluations/{eid}/review", json={"to_status": "returned", "note": "请补充证据"})
    assert r.status_code == 200 and r.json()["status"] == "returned" and r.json()["review_note"] == "请补充证据"

    # returned: the enterprise answers again and resubmits; then the review is accepted
    r = a.post(f"{API}/evaluations/{eid}/answers", json={"answers": [{"indicator_code": "SO2.1", "value": 2}]})
    assert r.status_code == 200, r.text
    assert a.post(f"{API}/evaluations/{eid}/submit", json={}).json()["status"] == "self_assessed"
    ev_api.post(f"{API}/evaluations/{eid}/review", json={"to_status": "under_review"})
    r = ev_api.post(f"{API}/evaluations/{eid}/review", json={"to_status": "reviewed", "note": "通过"})
    assert r.status_code == 200 and r.json()["status"] == "reviewed" and r.json()["reviewer_id"] is not None
    mine = a.get(f"{API}/evaluations", params={"status": "reviewed"}).json()["items"]
    assert [x["id"] for x in mine] == [eid] and mine[0]["coverage"] == pytest.approx(seen["coverage"], abs=0.2)


def test_ahp_endpoint_on_saatys_published_example(people):
    """Saaty (1990) table 3 yard space: A .674, B .101, C .226, CR 0.074; table 2 is refused (CR 0.169)."""
    api = people["a"]
    r = api.post(f"{API}/ahp", json={"criteria": ["A", "B", "C"], "matrix": [[1, 5, 4], [0.2, 1, 1 / 3], [0.25, 3, 1]]})
    assert r.status_code == 200, r.text
    assert [r.json()["weights"][k] for k in "ABC"] == pytest.approx([0.674, 0.101, 0.226], abs=5e-4)
    assert r.json()["CR"] == pytest.approx(0.074, abs=5e-4)
    r = people["evaluator"].post(f"{API}/ahp", json={"csv": HOUSE_CSV})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["code"] == "ahp_inconsistent" and (err["params"]["row"], err["params"]["column"]) == (
        "neighborhood", "condition")  # fmt: skip
    assert r.json()["result"]["CR"] == pytest.approx(0.169, abs=5e-4)
    r = api.post(f"{API}/ahp", json={"criteria": ["A", "B"], "matrix": [[1, 2], [2, 1]]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_reciprocal"


def test_input_output_endpoint_on_miller_blair(people):
    """Miller & Blair (2009) section 2.3: with sector 2 as services, a_21 = 0.20 and b_21 = 0.264."""
    api = people["evaluator"]
    form = {"services": "2", "manufacturing": "1"}
    r = api.post(f"{API}/input-output", files={"file": ("mb.csv", MB_CSV.encode(), "text/csv")}, data=form)
    assert r.status_code == 200, r.text
    (s,) = r.json()["service_inputs"]
    assert s["direct"] == pytest.approx(0.2) and s["complete"] == pytest.approx(0.264, abs=5e-4)
    assert r.json()["balances_checked"] == ["inputs", "uses"]
    unbalanced = MB_CSV.replace("增加值,650,1400", "增加值,650,1300").encode()
    r = api.post(f"{API}/input-output", files={"file": ("mb.csv", unbalanced, "text/csv")}, data=form)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unbalanced"
    assert [(i["sector"], i["side"]) for i in r.json()["imbalances"]] == [("2", "inputs")]
    r = api.post(f"{API}/input-output", files={"file": ("mb.csv", MB_CSV.encode(), "text/csv")},
                 data={"services": "9", "manufacturing": "1"})  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "services"
    r = api.post(f"{API}/input-output", files={"file": ("mb.txt", b"x", "text/plain")}, data=form)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_format"


def test_carbon_endpoint_on_the_epa_natural_gas_example_and_the_chinese_grid_factor(people):
    """US EPA Emission Factors Hub natural gas (53.06 kg CO2, 1.0 g CH4, 0.10 g N2O per mmBtu; 0.001026
    mmBtu/scf): 10,000 scf -> 0.54495477 t CO2e with AR5 GWPs 28 and 265; China's 2023 grid factor
    0.5703 t CO2/MWh (环办气候〔2023〕43号): 1,200,000 kWh -> 684.36 t."""
    factors = [
        {"key": "ng_co2", "value": 53.06, "unit": "kg CO2/mmBtu", "gas": "CO2"},
        {"key": "ng_ch4", "value": 0.001, "unit": "kg CH4/mmBtu", "gas": "CH4", "gwp": 28},
        {"key": "ng_n2o", "value": 0.0001, "unit": "kg N2O/mmBtu", "gas": "N2O", "gwp": 265},
        {"key": "cn_grid", "value": 0.5703, "unit": "tCO2/MWh", "source": "环办气候〔2023〕43号"},
    ]
    gas = [{"name": f"boiler {g}", "scope": 1, "quantity": 10_000, "unit": "scf", "factor": f"ng_{g}",
            "category": "stationary combustion", "conversion_value": 0.001026, "conversion_unit": "mmBtu/scf"}
           for g in ("co2", "ch4", "n2o")]  # fmt: skip
    grid = {"name": "grid", "scope": 2, "quantity": 1_200_000, "unit": "kWh", "factor": "cn_grid"}
    body = {"activities": [*gas, grid], "factors": factors, "intensity_denominator": 1000}
    r = people["a"].post(f"{API}/carbon", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["by_scope"]["1"] == pytest.approx(0.54495477) and out["by_scope"]["2"] == pytest.approx(684.36)
    assert out["by_scope"]["3"] == 0 and out["total_t"] == pytest.approx(684.90495477)
    assert out["lines"][0]["gas_mass_kg"] == pytest.approx(544.3956)
    assert out["intensity"]["t_co2e_per_unit"] == pytest.approx(0.68490495477)
    body["activities"][0] = {k: v for k, v in gas[0].items() if not k.startswith("conversion")}
    r = people["evaluator"].post(f"{API}/carbon", json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "incompatible_units"


def test_regions_endpoint_with_posted_records_and_the_platform_enterprises(db, people):
    """Two cities evaluated over two years; the figures equal the engine's on the same records
    (itself checked against scikit-criteria in test_regional.py). With ``include_platform`` the
    evaluator also counts the platform's enterprise registered in Suzhou (320500): its reviewed
    maturity level and its measured revenue (250,000 product + 12,000 service)."""
    from somp.modules.evaluation import regional as rg
    from somp.modules.evaluation.models import EvaluationRecord

    stats = {"manufacturing_enterprises": 40}
    regions = [{"code": "320500", "name": "苏州市", "area_km2": 8657.3, "statistics": stats},
               {"code": "320200", "name": "无锡市", "area_km2": 4627.5, "statistics": stats}]
    s1, w1 = {"enterprise": "S1", "region": "320500"}, {"enterprise": "W1", "region": "320200"}
    records = [
        s1 | {"year": 2024, "maturity_level": 2, "revenue": 100, "service_revenue": 20},
        s1 | {"year": 2025, "maturity_level": 3, "revenue": 120, "service_revenue": 36, "leading_brand": True},
        w1 | {"year": 2024, "maturity_level": 3, "supplier_spend": 50, "supplier_spend_local": 20},
        w1 | {"year": 2025, "maturity_level": 3, "supplier_spend": 50, "supplier_spend_local": 30},
    ]  # fmt: skip
    body = {"regions": regions, "records": records, "years": [2024, 2025], "previous_year": 2024}
    r = people["a"].post(f"{API}/regions", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    engine = rg.evaluate_regions([rg.Region(x["code"], x["name"], x["area_km2"], x["statistics"]) for x in regions],
                                 [rg.EnterpriseRecord(**x) for x in records], [2024, 2025])  # fmt: skip
    for row in out["rows"]:
        ref = engine.get(row["region"], row["year"])
        assert row["index"] == pytest.approx(ref.index) and row["rank"] == ref.rank
    assert out["year_over_year"]["320500"]["changes"]["average_maturity"]["delta"] == pytest.approx(1.0)
    wuxi = next(x for x in out["rows"] if x["region"] == "320200" and x["year"] == 2025)
    assert wuxi["indicators"]["service_revenue_share"]["value"] is None  # missing, not 0
    assert people["a"].post(f"{API}/regions", json=body | {"include_platform": True}).status_code == 403

    # the platform's enterprise (registered in 320500 by the factories) with a reviewed evaluation of 2025
    tid = people["tenant_a"].id
    with db.session(Scope.tenant(tid)) as s:
        s.add(EvaluationRecord(tenant_id=tid, system_id=_builtin_id(db), system_code="x", system_version="1",
                               content_hash="h", period_start=dt.date(2025, 1, 1), period_end=dt.date(2026, 1, 1),
                               status="reviewed", level=4, reviewed_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)))
        s.commit()
    r = people["evaluator"].post(f"{API}/regions", json=body | {"include_platform": True})
    assert r.status_code == 200, r.text
    suzhou = next(x for x in r.json()["rows"] if x["region"] == "320500" and x["year"] == 2025)
    assert suzhou["indicators"]["average_maturity"]["value"] == pytest.approx((3 + 4) / 2)
    assert suzhou["indicators"]["service_revenue_share"]["value"] == pytest.approx((36 + 12_000) / (120 + 262_000))


def _builtin_id(db) -> int:
    from somp.modules.evaluation import service

    service.ensure_builtin_systems(db)
    with db.session(Scope.all_tenants()) as s:
        return next(r.id for r in service.list_systems(db, s) if r.builtin)
