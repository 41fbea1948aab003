"""The standards catalogue, conformance self-checks, recognition programmes and stored regions over
HTTP (issue 4), on SQLite and PostgreSQL.

Enterprise ``a`` has one issued invoice in 2025 (product 250,000 + service 12,000 CNY: a measured
service revenue share of 12,000 / 262,000 = 4.58 %); enterprise ``b`` has none, so its criteria
fall back to its declared figures. The regional figures are counted by hand in the docstrings.
"""

from __future__ import annotations

import datetime as dt

import pytest

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.evaluation import regional as rg
from tests.factories import make_customer, make_invoice, make_tenant, make_user

API = "/api/v1/evaluation"
DEMO_DECLARED = {"service_revenue_share": 0.35, "operating_revenue_cny": 3e7, "years_in_operation": 5,
                 "major_incidents": 0}  # fmt: skip


@pytest.fixture
def people(db, client_as):
    a, b = make_tenant(db, name="甲企业"), make_tenant(db, name="乙企业", region_code="330100")
    c = make_customer(db, a)
    inv = make_invoice(db, a, c.id, issued_on=dt.date(2025, 3, 31))
    from somp.modules.invoicing.models import Invoice

    with db.session(Scope.tenant(a.id)) as s:
        s.get(Invoice, inv.id).status = "issued"
        s.commit()
    return {
        "a": client_as(make_user(db, a, Role.tenant_admin)),
        "b": client_as(make_user(db, b, Role.tenant_admin)),
        "evaluator": client_as(make_user(db, None, Role.evaluator)),
        "tenant_a": a,
        "tenant_b": b,
    }


def _ok(r, code=200):
    assert r.status_code == code, r.text
    return r.json()


def test_catalogue_lists_standards_with_progress_and_only_evaluators_change_it(people):
    a, ev = people["a"], people["evaluator"]
    body = _ok(a.get(f"{API}/standards"))
    assert body["progress"] == {"target": 20, "published": 1, "by_status": {"planned": 6, "drafting": 2,
                                "published": 1}, "share": 0.05, "related": 2}  # fmt: skip
    codes = {s["key"]: s for s in body["items"]}
    assert codes["gbt-43880-4"]["code"] == "GB/T 43880.4-2024" and codes["gbt-43880-4"]["framework"] == ["1.3.1"]
    assert [s["key"] for s in _ok(a.get(f"{API}/standards", params={"framework": "1.3"}))["items"]] == [
        "gbt-43880-4", "gbt-43880-1", "gbt-39116", "gbt-39117", "plan-1-3-1", "plan-1-3-2", "plan-1-3-3",
        "plan-1-3-4"]  # fmt: skip
    plan = codes["plan-1-3-4"]
    new = {"key": "plan-1-3-4", "code": "TEST 0001-2026", "title": {"zh": plan["title_zh"], "en": plan["title_en"]},
           "status": "published", "year": 2026, "framework": ["1.3.4"], "verification": "unverified",
           "source_note": "test entry"}  # fmt: skip
    assert a.put(f"{API}/standards/{plan['id']}", json=new).status_code == 403
    bad = ev.put(f"{API}/standards/{plan['id']}", json=new | {"year": None})
    assert bad.status_code == 422 and "code and year" in bad.text
    assert _ok(ev.put(f"{API}/standards/{plan['id']}", json=new))["status"] == "published"
    assert _ok(a.get(f"{API}/standards"))["progress"]["published"] == 2
    dup = ev.post(f"{API}/standards", json=new)
    assert dup.status_code == 409


def test_conformance_self_check_share_evidence_and_evaluator_sees_only_submitted(people):
    a, b, ev = people["a"], people["b"], people["evaluator"]
    std = next(s for s in _ok(a.get(f"{API}/standards"))["items"] if s["key"] == "gbt-43880-4")
    digest = "ab" * 32
    items = [{"clause": "A-SI", "judgement": "conforms", "evidence": [{"name": "服务创新.pdf", "sha256": digest}]},
             {"clause": "A-SO", "judgement": "partial"}]  # fmt: skip
    check = _ok(a.post(f"{API}/conformance", json={"standard_id": std["id"], "items": items}), 201)
    assert check["summary"]["share"] == pytest.approx(0.75) and check["summary"]["unjudged"] == ["A-SS"]
    assert check["summary"]["evidence_missing"] == ["A-SO"]
    bad = a.put(f"{API}/conformance/{check['id']}", json={"items": [{"clause": "9.9", "judgement": "conforms"}]})
    assert bad.status_code == 422 and "no clause '9.9'" in bad.text
    assert _ok(a.get(f"{API}/conformance/{check['id']}"))["items"] == items_dump(items)  # refused batch: unchanged
    no_clauses = next(s for s in _ok(a.get(f"{API}/standards"))["items"] if s["key"] == "gbt-39117")
    r = a.post(f"{API}/conformance", json={"standard_id": no_clauses["id"], "items": []})
    assert r.status_code == 422 and "no_clauses" in r.text
    assert b.get(f"{API}/conformance/{check['id']}").status_code == 404
    assert ev.get(f"{API}/conformance/{check['id']}").status_code == 404  # not submitted yet
    done = items + [{"clause": "A-SS", "judgement": "not_conforming"}]
    final = _ok(a.put(f"{API}/conformance/{check['id']}", json={"items": done, "submit": True,
                                                                  "version": check["version"]}))  # fmt: skip
    assert final["summary"]["share"] == pytest.approx(0.5) and final["submitted_at"]
    assert [c["id"] for c in _ok(ev.get(f"{API}/conformance"))] == [check["id"]]
    assert a.put(f"{API}/conformance/{check['id']}", json={"items": done}).status_code == 409


def items_dump(items):
    return [{"evidence": []} | it for it in items]


def test_application_measured_figures_win_and_unmet_criteria_block_approval(people):
    """a's measured service share is 12,000 / 262,000 = 0.0458 (< 0.30) and its measured operating
    revenue 262,000 CNY (< 20 million): its declared 0.6 share is ignored, approval is refused."""
    a, ev = people["a"], people["evaluator"]
    app = _ok(a.post(f"{API}/applications", json={"programme": "leading_brand", "year": 2025,
                                                   "declared": {"service_revenue_share": 0.6, "major_incidents": 0}}),
              201)  # fmt: skip
    checks = {c["metric"]: c for c in app["checks"]}
    assert checks["service_revenue_share"]["source"] == "measured"
    assert checks["service_revenue_share"]["value"] == pytest.approx(12_000 / 262_000)
    assert "declared 0.6 ignored" in checks["service_revenue_share"]["note"]
    assert checks["operating_revenue_cny"] == checks["operating_revenue_cny"] | {
        "source": "measured", "value": 262_000.0, "met": False}  # fmt: skip
    assert checks["maturity_level"]["source"] == "missing" and checks["maturity_level"]["met"] is None
    assert checks["major_incidents"]["source"] == "declared" and checks["major_incidents"]["met"] is True
    assert app["eligible"] is False and app["status"] == "draft"
    assert ev.get(f"{API}/applications/{app['id']}").status_code == 404  # a draft is the enterprise's
    again = a.post(f"{API}/applications", json={"programme": "leading_brand", "year": 2025})
    assert again.status_code == 409
    region_prog = a.post(f"{API}/applications", json={"programme": "innovation_highland", "year": 2025})
    assert region_prog.status_code == 422 and "region_programme" in region_prog.text
    bad = a.put(f"{API}/applications/{app['id']}", json={"declared": {"service_revenue_share": 3}})
    assert bad.status_code == 422 and "between 0 and 1" in bad.text
    sub = _ok(a.post(f"{API}/applications/{app['id']}/submit", json={}))
    assert sub["status"] == "submitted"
    assert a.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "under_review"}).status_code == 403
    assert _ok(ev.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "under_review"}))[
        "status"] == "under_review"  # fmt: skip
    refused = ev.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "approved"})
    assert refused.status_code == 409 and "criteria_not_met" in refused.text
    assert set(refused.json()["errors"][0]["params"]["criteria"]) == {"C1", "C2", "C3", "C4"}
    no_note = ev.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "rejected"})
    assert no_note.status_code == 422
    done = _ok(ev.post(f"{API}/applications/{app['id']}/decision",
                       json={"to_status": "rejected", "note": "服务收入占比不足30%"}))  # fmt: skip
    assert done["status"] == "rejected" and done["decided_at"]


def test_declared_figures_decide_where_the_platform_has_none_and_the_dashboard_counts(people):
    b, ev = people["b"], people["evaluator"]
    app = _ok(b.post(f"{API}/applications", json={"programme": "demonstration_enterprise", "year": 2025,
                                                   "declared": DEMO_DECLARED}), 201)  # fmt: skip
    assert {c["source"] for c in app["checks"]} == {"declared"} and app["eligible"] is True
    _ok(b.post(f"{API}/applications/{app['id']}/submit", json={"version": app["version"]}))
    _ok(ev.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "under_review"}))
    ok = _ok(ev.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "approved", "note": "符合"}))
    assert ok["status"] == "approved"
    dash = _ok(ev.get(f"{API}/programmes/dashboard"))
    by = {p["code"]: p for p in dash["programmes"]}
    assert by["demonstration_enterprise"]["approved"] == 1 and by["leading_brand"]["target"] == 50
    assert by["innovation_highland"]["target"] == 100 and dash["standards"]["target"] == 20
    assert _ok(people["a"].get(f"{API}/programmes/dashboard"))["programmes"][0]["approved"] == 0  # own only
    # the evaluator writes no enterprise row: applying, self-checks and declared figures are the enterprise's
    assert ev.post(f"{API}/applications", json={"programme": "leading_brand", "year": 2025}).status_code == 403
    assert ev.put(f"{API}/applications/{app['id']}", json={"declared": {}}).status_code == 403
    assert ev.post(f"{API}/conformance", json={"standard_id": 1, "items": []}).status_code == 403
    assert ev.get(f"{API}/region-memberships").status_code == 403
    progs = _ok(b.get(f"{API}/programmes"))
    c1 = progs[0]["criteria"][0]
    assert c1["quote"] == "服务收入占企业营业收入比重达30%以上" and c1["measured_by"].startswith("platform")


def _region(ev, code, name, area):
    return _ok(ev.post(f"{API}/region-registry", json={"code": code, "name_zh": name, "area_km2": area}), 201)


def test_stored_regions_rank_like_the_engine_on_the_same_records(people):
    """Region 苏州 (320500, 8,657 km²) holds a and b, both SOM; 杭州 (330100, 16,850 km²) holds none in
    2024 and b in 2025 (an enterprise may be counted in two regions). b declares supplier spend in
    苏州 for 2025 (1,000,000 of which 400,000 local): local collaboration rate 0.4; a's revenue is
    measured (262,000 with 12,000 service). b's approved demonstration counts in 2025, not 2024."""
    a, b, ev = people["a"], people["b"], people["evaluator"]
    sz, hz = _region(ev, "320500", "苏州市", 8657.0), _region(ev, "330100", "杭州市", 16850.0)
    assert a.post(f"{API}/region-registry", json={"code": "320500", "name_zh": "x", "area_km2": 1}).status_code == 403
    r = ev.post(f"{API}/region-registry", json={"code": "999900", "name_zh": "x", "area_km2": 1})
    assert r.status_code == 422 and "invalid_region_code" in r.text
    assert ev.post(f"{API}/region-registry", json={"code": "320500", "name_zh": "x", "area_km2": 1}).status_code == 409
    stats = [{"year": 2024, "name": "manufacturing_enterprises", "value": 100, "source": "统计年鉴"},
             {"year": 2025, "name": "manufacturing_enterprises", "value": 120, "source": "统计年鉴"},
             {"year": 2025, "name": "service_platforms", "value": 5}]  # fmt: skip
    detail = _ok(ev.put(f"{API}/region-registry/{sz['id']}/statistics", json={"statistics": stats}))
    assert len(detail["statistics"]) == 3
    bad = ev.put(f"{API}/region-registry/{sz['id']}/statistics", json={"statistics": stats + [stats[0]]})
    assert bad.status_code == 422  # the whole batch refused
    ta, tb = people["tenant_a"], people["tenant_b"]
    _ok(ev.post(f"{API}/region-registry/{sz['id']}/members", json={"tenant_id": ta.id}))
    detail = _ok(ev.post(f"{API}/region-registry/{sz['id']}/members", json={"tenant_id": tb.id}))
    _ok(ev.post(f"{API}/region-registry/{hz['id']}/members", json={"tenant_id": tb.id}))
    mine = _ok(b.get(f"{API}/region-memberships"))
    assert {m["region_id"] for m in mine} == {sz["id"], hz["id"]}
    m_sz = next(m for m in mine if m["region_id"] == sz["id"])
    over = b.post(f"{API}/region-memberships/{m_sz['id']}/figures",
                  json={"year": 2025, "supplier_spend": 10, "supplier_spend_local": 11})  # fmt: skip
    assert over.status_code == 422
    _ok(b.post(f"{API}/region-memberships/{m_sz['id']}/figures",
               json={"year": 2025, "supplier_spend": 1_000_000, "supplier_spend_local": 400_000}))  # fmt: skip
    assert a.post(f"{API}/region-memberships/{m_sz['id']}/figures", json={"year": 2025}).status_code == 404
    app = _ok(b.post(f"{API}/applications", json={"programme": "demonstration_enterprise", "year": 2025,
                                                   "declared": DEMO_DECLARED}), 201)  # fmt: skip
    _ok(b.post(f"{API}/applications/{app['id']}/submit", json={}))
    _ok(ev.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "under_review"}))
    _ok(ev.post(f"{API}/applications/{app['id']}/decision", json={"to_status": "approved"}))

    out = _ok(ev.post(f"{API}/region-registry/ranking", json={"years": [2025], "previous_year": 2024}))
    assert a.post(f"{API}/region-registry/ranking", json={"years": [2025]}).status_code == 403
    got = {(r["region"], r["year"]): r for r in out["rows"]}
    s25 = got[("320500", 2025)]["indicators"]
    assert s25["som_density"]["value"] == pytest.approx(2 / 8657)
    assert s25["local_collaboration_rate"]["value"] == pytest.approx(0.4)
    assert s25["som_enterprise_share"]["value"] == pytest.approx(2 / 120)
    assert s25["service_revenue_share"]["value"] == pytest.approx(12_000 / 262_000)
    assert s25["demonstration_count"]["value"] == 1 and got[("320500", 2024)]["indicators"][
        "demonstration_count"]["value"] == 0  # fmt: skip
    assert got[("330100", 2025)]["indicators"]["local_collaboration_rate"]["value"] is None  # missing, not 0
    assert got[("330100", 2024)]["indicators"]["som_enterprise_share"]["note"]
    # the same records through the engine directly give the same index and ranks
    ua, ub = ta.uscc, tb.uscc
    regions = [rg.Region("320500", "苏州市", 8657.0, {"manufacturing_enterprises@2024": 100,
                         "manufacturing_enterprises@2025": 120, "service_platforms@2025": 5}),
               rg.Region("330100", "杭州市", 16850.0, {})]  # fmt: skip
    records = [
        rg.EnterpriseRecord(
            ua, "320500", y, revenue=262_000.0 if y == 2025 else None, service_revenue=12_000.0 if y == 2025 else None
        )
        for y in (2024, 2025)
    ]
    records += [rg.EnterpriseRecord(ub, "320500", 2025, demonstration=True, supplier_spend=1_000_000,
                                    supplier_spend_local=400_000),
                rg.EnterpriseRecord(ub, "320500", 2024), rg.EnterpriseRecord(ub, "330100", 2024),
                rg.EnterpriseRecord(ub, "330100", 2025, demonstration=True)]  # fmt: skip
    ref = rg.evaluate_regions(regions, records, [2024, 2025])
    for row in ref.rows:
        mine = got[(row.region, row.year)]
        assert mine["rank"] == row.rank and mine["index"] == pytest.approx(row.index), (row.region, row.year)
    assert set(out["year_over_year"]) == {"320500", "330100"}
    assert out["sources"][f"{ub}@320500@2025"]["supplier_spend"] == "declared"
    assert out["sources"][f"{ua}@320500@2025"]["revenue"] == "measured"

    # a regional programme, filed by the evaluator, checked against the stored regions' evaluation
    filed = _ok(ev.post(f"{API}/region-applications", json={"programme": "innovation_highland",
                                                             "region_id": sz["id"], "year": 2025}), 201)  # fmt: skip
    checks = {c["metric"]: c for c in filed["checks"]}
    assert filed["status"] == "submitted" and filed["tenant_id"] is None
    assert checks["region_local_collaboration_rate"]["value"] == pytest.approx(0.4)
    assert checks["region_som_density"]["source"] == "measured" and checks["region_som_density"]["met"] is False
    assert a.get(f"{API}/applications/{filed['id']}").status_code == 404
    # removing a member
    assert ev.delete(f"{API}/region-registry/{sz['id']}/members/{detail['members'][0]['id']}").status_code == 204
    assert len(_ok(ev.get(f"{API}/region-registry/{sz['id']}"))["members"]) == 1
