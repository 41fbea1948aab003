"""PSS design and delivery over HTTP (2.1.2, 2.1.5): blueprint versions validated by the engine
(every reason, stale edits refused, YAML round trip, SVG), product component lists and the
product-service interface matrix, delivery projects through their state machine, the KPIs of a
month, and the acceptance recorded as the customer's participation through a domain event."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import yaml
from sqlalchemy import select

from somp.core.identity import Role
from somp.core.tenancy import Scope
from tests.factories import make_contract, make_customer, make_offering, make_product, make_tenant, make_user
from tests.pss.test_blueprint import compressor_service, hotel

API = "/api/v1/pss"
D = dt.date


@pytest.fixture
def shop(db):
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id, service_items=[
        {"kind": "predictive_maintenance", "name": "预测性维护"}, {"kind": "spare_parts", "name": "备件"},
        {"kind": "remote_monitoring", "name": "远程监测"}])  # fmt: skip
    c = make_customer(db, t)
    k = make_contract(db, t, c.id, o.id, [])
    admin = make_user(db, t, Role.tenant_admin)
    return t, p, o, c, k, admin


def problem(r, status=422):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_blueprint_versions_are_validated_stored_exported_and_drawn(client_as, shop):
    _t, _p, o, *_, admin = shop
    api = client_as(admin)
    url = f"{API}/offerings/{o.id}/blueprint"
    assert api.get(url).status_code == 404
    r = api.post(f"{url}/versions", json={"blueprint": compressor_service(), "note": "first"})
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert v1["number"] == 1 and v1["current"] == 1 and v1["step_count"] == 9 and v1["fail_points"] == 2
    assert v1["interfaces"]["airend"] == ["S1", "F2", "B2", "F3"]
    assert {"B1"} == {f["code"] for f in v1["findings"] if "recovery" in f["message_en"]}
    assert v1["summary"]["steps_per_lane"] == {"customer": 3, "frontstage": 3, "backstage": 2, "support": 1}
    # the same content again stores nothing
    r = api.post(f"{url}/versions", json={"blueprint": compressor_service()})
    assert r.status_code == 200 and r.json()["number"] == 1
    # every reason, in English with the Chinese in params
    bad = compressor_service()
    bad["steps"][1]["lane"] = "frontstage"
    bad["steps"][1]["column"] = 3  # now shares a cell with F1
    bad["flows"].append({"source": "C3", "target": "S1"})  # back in time
    errs = problem(api.post(f"{url}/versions", json={"blueprint": bad}))["errors"]
    text = " | ".join(e["message"] for e in errs)
    assert "share a lane and column" in text and "goes back in time" in text
    assert all(e["params"]["zh"] for e in errs)
    assert "steps.0" in str(problem(api.post(f"{url}/versions", json={"blueprint": {"name": "x", "steps": [1]}})))
    assert problem(api.post(f"{url}/versions", json={"document": "a: [b"}))["errors"][0]["field"] == "document"
    # YAML export -> edit -> import as version 2 based on 1; a stale edit is refused
    text = api.get(f"{url}/export").text
    doc = yaml.safe_load(text)
    assert doc == v1["document"]
    doc["flows"].append({"source": "B1", "target": "S1", "recovery": True})
    r = api.post(f"{url}/versions", json={"document": yaml.safe_dump(doc, allow_unicode=True), "based_on": 1})
    assert r.status_code == 201 and r.json()["number"] == 2, r.text
    assert not [f for f in r.json()["findings"] if "recovery" in f["message_en"]]
    assert problem(api.post(f"{url}/versions", json={"blueprint": hotel(), "based_on": 1}), 409)
    versions = api.get(f"{url}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert api.get(url, params={"version": 1}).json()["note"] == "first"
    for lang, word in (("zh", "可视分界线"), ("en", "Line of visibility")):
        r = api.get(f"{url}/svg", params={"lang": lang})
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(r.text)
        assert word in r.text and len(root.findall(".//{http://www.w3.org/2000/svg}g")) == 9
    assert api.get(f"{url}/svg", params={"version": 9}).status_code == 404


def test_components_and_the_interface_matrix(client_as, shop):
    _t, p, o, *_, admin = shop
    api = client_as(admin)
    curl, iurl = f"{API}/products/{p.id}/components", f"{API}/offerings/{o.id}/interfaces"
    comps = [{"code": "airend", "name": "主机", "name_en": "Airend"}, {"code": "motor", "name": "电机"},
             {"code": "controller", "name": "控制器"}, {"code": "dryer", "name": "干燥机"}]  # fmt: skip
    errs = problem(
        api.put(
            curl,
            json={
                "components": [
                    *comps,
                    {"code": "motor", "name": "x"},
                    {"code": "fan", "name": "风扇", "part_number": "NOPE"},
                ]
            },
        )
    )
    assert {e["code"] for e in errs["errors"]} == {"duplicate", "not_found"}  # fmt: skip
    assert api.get(curl).json() == []  # refused whole
    r = api.put(curl, json={"components": comps})
    assert r.status_code == 200 and [c["code"] for c in r.json()] == ["airend", "motor", "controller", "dryer"]
    api.post(f"{API}/offerings/{o.id}/blueprint/versions", json={"blueprint": compressor_service()})
    body = {"interfaces": [{"service_line_no": 1, "component": "airend", "kind": "maintains"},
                           {"service_line_no": 2, "component": "airend", "kind": "replaces"},
                           {"service_line_no": 3, "component": "motor", "kind": "monitors"}]}  # fmt: skip
    bad = {"interfaces": [*body["interfaces"], {"service_line_no": 9, "component": "gearbox", "kind": "repairs"},
                          {"service_line_no": 1, "component": "airend", "kind": "inspects"}]}  # fmt: skip
    assert {e["field"] for e in problem(api.put(iurl, json=bad))["errors"]} == {
        "interfaces.3.service_line_no", "interfaces.3.component", "interfaces.4"}  # fmt: skip
    m = api.put(iurl, json=body).json()
    assert [s["line_no"] for s in m["services"]] == [1, 2, 3] and len(m["cells"]) == 3
    assert m["blueprint_version"] == 1 and m["blueprint_touches"]["controller"] == ["F3"]
    assert m["untouched_components"] == ["dryer"] and m["unknown_in_blueprint"] == []
    assert api.get(iurl).json() == m
    # a component still used by an interface cannot be removed; an unused one can
    errs = problem(api.put(curl, json={"components": comps[1:]}))["errors"]
    assert errs[0]["code"] == "in_use" and "airend" in errs[0]["message"]
    assert [c["code"] for c in api.put(curl, json={"components": comps[:3]}).json()] == [
        "airend",
        "motor",
        "controller",
    ]


def plan(start: dt.date) -> list[dict]:
    days = [(0, 2), (3, 6), (7, 9), (10, 11), (12, 14)]
    names = ["plan", "ship", "install", "commission", "acceptance"]
    return [{"stage": n, "planned_start": str(start + dt.timedelta(a)), "planned_end": str(start + dt.timedelta(b))}
            for n, (a, b) in zip(names, days, strict=True)]  # fmt: skip


def go(api, pid, event, stage, on, status=200):
    r = api.post(f"{API}/delivery-projects/{pid}/progress", json={"event": event, "stage": stage, "on": str(on)})
    assert r.status_code == status, r.text
    return r.json()


def run_through(api, pid, start: dt.date, *, fails: int = 0, late_days: int = 0) -> dict:
    day = start
    for stage in ("plan", "ship", "install", "commission", "acceptance"):
        go(api, pid, "start", stage, day)
        if stage == "commission":
            for _ in range(fails):
                go(api, pid, "fail", stage, day)
        day += dt.timedelta(days=2 if stage != "acceptance" else 2 + late_days)
        out = go(api, pid, "complete", stage, day)
    return out


def test_a_delivery_project_runs_its_stages_in_order_and_acceptance_records_participation(app, db, client_as, shop):
    from somp.api.app import build_bus
    from somp.modules.aftersales.models import ParticipationEvent

    t, _p, _o, c, k, admin = shop
    api = client_as(admin)
    start = D(2026, 10, 1)
    assert "stages must be" in str(problem(api.post(f"{API}/delivery-projects", json={
        "contract_id": k.id, "stages": plan(start)[::-1]})))  # fmt: skip
    r = api.post(f"{API}/delivery-projects", json={"contract_id": k.id, "ordered_on": "2026-09-20",
                                                   "stages": plan(start)})  # fmt: skip
    assert r.status_code == 201, r.text
    p = r.json()
    pid = p["id"]
    assert p["status"] == "planned" and p["due_on"] == "2026-10-15" and p["number"].startswith("DP-2026-")
    assert [s["stage"] for s in p["stages"]] == ["plan", "ship", "install", "commission", "acceptance"]
    # out of order, before the previous stage is done, too early, failing a stage other than commissioning
    r = api.post(f"{API}/delivery-projects/{pid}/progress", json={"event": "start", "stage": "ship", "on": str(start)})
    assert "starts after plan is done" in str(problem(r, 409))
    assert problem(
        api.post(
            f"{API}/delivery-projects/{pid}/progress", json={"event": "start", "stage": "plan", "on": "2026-09-01"}
        )
    )  # before the order
    assert "only a commissioning" in str(
        problem(
            api.post(
                f"{API}/delivery-projects/{pid}/progress", json={"event": "fail", "stage": "ship", "on": str(start)}
            )
        )
    )
    done = run_through(api, pid, start, fails=1)
    assert done["status"] == "accepted" and done["accepted_on"] == "2026-10-11"
    assert done["commission_attempts"] == 2 and done["first_time_right"] is False
    assert [e["kind"] for e in done["events"]].count("failed") == 1
    assert problem(api.post(f"{API}/delivery-projects/{pid}/progress", json={"event": "cancel", "on": "2026-10-12"}),
                   409)  # fmt: skip
    # the acceptance reached after-sales as a participation event, through the outbox
    build_bus().dispatch_pending(db)
    with db.session(Scope.tenant(t.id)) as s:
        ev = s.scalars(select(ParticipationEvent).where(ParticipationEvent.customer_id == c.id)).all()
        assert [(e.stage.value, e.contract_id) for e in ev] == [("acceptance", k.id)]
        assert p["number"] in ev[0].summary
    assert api.get(f"{API}/delivery-projects", params={"contract_id": k.id}).json()["items"][0]["id"] == pid


def test_delivery_kpis_of_a_month(client_as, shop):
    *_, k, admin = shop
    api = client_as(admin)
    leads = []
    for n, (fails, late) in enumerate([(0, 0), (1, 0), (0, 5), (0, 0)]):
        start = D(2026, 10, 1 + n)
        pid = api.post(f"{API}/delivery-projects", json={"contract_id": k.id, "ordered_on": "2026-09-25",
                                                         "stages": plan(start)}).json()["id"]  # fmt: skip
        out = run_through(api, pid, start, fails=fails, late_days=late)
        leads.append((D.fromisoformat(out["accepted_on"]) - D(2026, 9, 25)).days)
    cancelled = api.post(f"{API}/delivery-projects", json={"contract_id": k.id, "stages": plan(D(2026, 10, 2))})
    go(api, cancelled.json()["id"], "cancel", None, D(2026, 10, 3))
    r = api.get(f"{API}/delivery-kpis", params={"period": "2026-10"})
    assert r.status_code == 200, r.text
    m = r.json()
    assert (m["accepted"], m["on_time"], m["commissioned"], m["first_time_right"]) == (4, 3, 4, 3)
    assert m["on_time_rate"] == 0.75 and m["first_time_right_rate"] == 0.75
    import numpy as np

    assert m["lead_time_median_days"] == float(np.percentile(leads, 50))
    assert m["lead_time_p90_days"] == pytest.approx(float(np.percentile(leads, 90)))
    empty = api.get(f"{API}/delivery-kpis", params={"period": "2026-Q1"}).json()
    assert empty["accepted"] == 0 and empty["on_time_rate"] is None
    assert api.get(f"{API}/delivery-kpis", params={"period": "2026-13"}).status_code == 422


def test_pages_show_the_blueprint_matrix_projects_and_kpis_in_both_languages(app, client_as, shop):
    from somp.web.render import MISSING
    from tests.web.helpers import WebClient

    _t, p, o, _c, k, admin = shop
    MISSING.clear()
    api = client_as(admin)
    api.put(f"{API}/products/{p.id}/components", json={"components": [{"code": "airend", "name": "主机"}]})
    api.post(f"{API}/offerings/{o.id}/blueprint/versions", json={"blueprint": compressor_service()})
    api.put(f"{API}/offerings/{o.id}/interfaces", json={"interfaces": [
        {"service_line_no": 1, "component": "airend", "kind": "maintains"}]})  # fmt: skip
    pid = api.post(f"{API}/delivery-projects", json={"contract_id": k.id, "stages": plan(D(2026, 10, 1))}).json()["id"]
    run_through(api, pid, D(2026, 10, 1))
    for lang, words in (("zh", ("服务蓝图", "可视分界线", "产品服务接口", "交付项目", "准时交付率")),
                        ("en", ("Service blueprint", "Line of visibility", "Product-service interfaces",
                                "Delivery projects", "On-time delivery rate"))):  # fmt: skip
        web = WebClient(app, admin.username, lang=lang)
        r = web.get(f"/pss/offerings/{o.id}/blueprint")
        assert r.status_code == 200 and words[0] in r.text and words[1] in r.text and "<svg" in r.text
        r = web.get(f"/pss/offerings/{o.id}/interfaces")
        assert r.status_code == 200 and words[2] in r.text and 'data-cell="1:airend"' in r.text
        r = web.get("/pss/delivery")
        assert r.status_code == 200 and words[3] in r.text and f"/pss/delivery/{pid}" in r.text
        r = web.get(f"/pss/delivery/{pid}")
        assert r.status_code == 200 and "2026-10-11" in r.text
        r = web.get("/pss/delivery-kpis", params={"month": "2026-10"})
        assert r.status_code == 200 and words[4] in r.text and 'id="kpi-data"' in r.text
    assert web.get("/pss/offerings/999999/blueprint").status_code == 404
    assert web.get("/pss/delivery/999999").status_code == 404
    r = web.get("/pss/delivery-kpis", params={"month": "2026-Q4"})
    assert r.status_code == 200 and 'role="alert"' in r.text
    r = web.get(f"/pss/offerings/{o.id}/blueprint.yaml", params={"version": 1})
    assert r.status_code == 200 and "compressor" in r.text.lower()
    assert web.get("/pss/blueprints").status_code == 200
    assert not MISSING, MISSING


def test_cli_imports_exports_and_draws_a_blueprint_and_prints_delivery_kpis(tmp_path):
    from typer.testing import CliRunner

    from somp.cli import app
    from somp.core import migrate
    from somp.core.database import Database, build_engine
    from somp.modules.pss import delivery
    from somp.modules.pss.design_schemas import DeliveryProgress, DeliveryProjectCreate

    url = f"sqlite:///{tmp_path / 'somp.db'}"
    engine = build_engine(url)
    migrate.upgrade(engine)
    db = Database(url, engine=engine)
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    k = make_contract(db, t, make_customer(db, t).id, o.id, [])
    with db.session(Scope.tenant(t.id)) as s:
        dp = delivery.create_project(s, DeliveryProjectCreate(contract_id=k.id, stages=plan(D(2026, 10, 1))), None)
        day = D(2026, 10, 1)
        for stage in ("plan", "ship", "install", "commission", "acceptance"):
            delivery.progress(s, dp.id, DeliveryProgress(event="start", stage=stage, on=day), None)
            day += dt.timedelta(days=3)
            delivery.progress(s, dp.id, DeliveryProgress(event="complete", stage=stage, on=day), None)
        s.commit()
    db.dispose()
    src = tmp_path / "bp.yaml"
    src.write_text(yaml.safe_dump(compressor_service(), allow_unicode=True), encoding="utf-8")
    base = ["--offering", o.code, "--tenant", str(t.id), "--database-url", url]
    run = CliRunner().invoke(app, ["pss", "blueprint", "import", str(src), *base], env={"COLUMNS": "160"})
    assert run.exit_code == 0, run.output
    assert "version 1" in run.output and "B1" in run.output  # the fail point without recovery
    again = CliRunner().invoke(app, ["pss", "blueprint", "import", str(src), *base])
    assert again.exit_code == 0 and "unchanged" in again.output
    out = CliRunner().invoke(app, ["pss", "blueprint", "export", *base])
    assert out.exit_code == 0 and yaml.safe_load(out.output)["name_en"] == "Compressor predictive maintenance"
    svg = tmp_path / "bp.svg"
    drawn = CliRunner().invoke(app, ["pss", "blueprint", "svg", "--out", str(svg), "--lang", "en", *base])
    assert drawn.exit_code == 0 and "Line of visibility" in svg.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps: [{code: A, lane: kitchen, column: 1, label: a}]\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["pss", "blueprint", "import", str(bad), *base])
    assert refused.exit_code == 1 and "unknown lane" in refused.output
    kpis = CliRunner().invoke(
        app,
        ["pss", "delivery-kpis", "--period", "2026-10", "--tenant", str(t.id), "--database-url", url],
        env={"COLUMNS": "200"},
    )
    # accepted 10-16, due 10-15: late; lead time from the plan's start (no signing date): 15 days
    assert kpis.exit_code == 0 and "0.0%" in kpis.output and "100.0%" in kpis.output and "15" in kpis.output


def test_a_blueprint_is_edited_and_a_delivery_progressed_on_the_pages(app, client_as, shop):
    from somp.web.render import MISSING
    from tests.web.helpers import WebClient

    _t, _p, o, _c, k, admin = shop
    api = client_as(admin)
    api.post(f"{API}/offerings/{o.id}/blueprint/versions", json={"blueprint": compressor_service()})
    pid = api.post(f"{API}/delivery-projects", json={"contract_id": k.id, "stages": plan(D(2026, 10, 1))}).json()["id"]
    MISSING.clear()
    web = WebClient(app, admin.username, lang="zh")
    url = f"/pss/offerings/{o.id}/blueprint"
    form = web.get(url)
    assert 'name="document"' in form.text and 'name="based_on" value="1"' in form.text
    doc = yaml.safe_load(api.get(f"{API}/offerings/{o.id}/blueprint/export").text)
    doc["steps"][0]["label"] = "远程监测"
    r = web.post(url, {"document": yaml.safe_dump(doc, allow_unicode=True), "based_on": "1", "note": "改名"})
    assert r.status_code == 303
    assert api.get(f"{API}/offerings/{o.id}/blueprint").json()["number"] == 2
    doc["flows"].append({"source": "C3", "target": "S1"})
    r = web.post(url, {"document": yaml.safe_dump(doc, allow_unicode=True), "based_on": "2"})
    assert r.status_code == 422 and "逆时间方向" in r.text and 'role="alert"' in r.text  # the reason, in Chinese
    r = web.post(url, {"document": yaml.safe_dump(doc, allow_unicode=True), "based_on": "1"})
    assert r.status_code == 409 and "edited meanwhile" in r.text  # stale
    page = f"/pss/delivery/{pid}"
    assert 'name="event"' in web.get(page).text
    assert web.post(f"{page}/progress", {"event": "start", "stage": "plan", "on": "2026-10-01"}).status_code == 303
    assert "已记录" in web.get(page).text
    assert web.post(f"{page}/progress", {"event": "start", "stage": "install", "on": "2026-10-02"}).status_code == 303
    shown = web.get(page).text
    assert "未能记录" in shown and "starts after ship is done" in shown
    detail = api.get(f"{API}/delivery-projects/{pid}").json()
    assert detail["status"] == "in_progress" and [s["status"] for s in detail["stages"]][:2] == [
        "in_progress",
        "pending",
    ]
    assert web.post(f"{page}/progress", {"event": "cancel", "on": "2026-10-03"}).status_code == 303
    assert api.get(f"{API}/delivery-projects/{pid}").json()["status"] == "cancelled"
    assert 'name="event"' not in web.get(page).text  # final: no form
    assert not MISSING, MISSING
