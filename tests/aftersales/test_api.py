"""The after-sales REST API end to end (2.1.6, 1.2.1): a staff ticket through its states with the
SLA block, the escalation check, recovery actions, the default SLA table, a work order requested
(202, opened by the event reaction), surveys, trends, repurchase, participation and the quality
report; errors are problem+json."""

from __future__ import annotations

from somp.api.app import build_bus
from tests.aftersales.factories import make_shop

API = "/api/v1/aftersales"


def test_staff_ticket_flow_over_http(app, db, client_as):
    shop = make_shop(db)
    api = client_as(shop.manager)
    r = api.post(
        f"{API}/tickets",
        json={
            "asset_id": shop.asset.id,
            "title": "停机",
            "category": "breakdown",
            "priority": "critical",
            "opened_at": "2026-03-02T01:00:00Z",
        },
    )
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["number"].startswith("TK-2026-") and t["sla_source"] == "contract" and t["calendar"] == "always"
    assert t["sla"]["resolution"]["target_seconds"] == 8 * 3600 and t["events"][0]["kind"] == "opened"
    tid = t["id"]
    r = api.post(f"{API}/tickets/{tid}/transitions", json={"to_status": "closed"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "illegal_transition"
    r = api.post(
        f"{API}/tickets/{tid}/transitions", json={"to_status": "waiting_customer", "at": "2026-03-02T02:00:00Z"}
    )
    assert r.status_code == 200 and r.json()["sla"]["resolution"]["state"] == "paused"
    assert r.json()["sla"]["response"]["state"] == "met"
    r = api.post(f"{API}/escalations/check", json={})
    assert r.status_code == 200 and r.json()["checked"] >= 1
    r = api.post(f"{API}/tickets/{tid}/recovery-actions", json={"kind": "apology", "description": "电话致歉"})
    assert r.status_code == 201
    aid = r.json()["id"]
    r = api.patch(f"{API}/recovery-actions/{aid}", json={"status": "done"})
    assert r.status_code == 200 and r.json()["done_at"] is not None
    assert [x["id"] for x in api.get(f"{API}/recovery-actions", params={"ticket_id": tid}).json()["items"]] == [aid]
    r = api.post(f"{API}/tickets/{tid}/work-order", json={"kind": "corrective"})
    assert r.status_code == 202
    build_bus().dispatch_pending(db)
    wo = api.get(f"{API}/tickets/{tid}").json()["work_order_id"]
    assert wo and api.get(f"/api/v1/work-orders/{wo}").json()["source"] == "ticket"
    r = api.post(f"{API}/tickets/{tid}/transitions", json={"to_status": "resolved"})
    assert r.status_code == 200 and r.json()["sla"]["resolution"]["state"] in ("met", "breached")
    assert api.get(f"{API}/tickets", params={"status": "resolved"}).json()["items"][0]["id"] == tid
    rep = api.get(f"{API}/quality-report", params={"period": "2026-03"}).json()
    assert rep["total"]["opened"] == 1 and rep["recovery_by_kind"] == {"apology": 1}
    assert api.get(f"{API}/quality-report", params={"period": "2026-3"}).status_code == 422
    # the engineer works tickets but does not change the SLA table
    eng = client_as(shop.engineer)
    assert eng.get(f"{API}/tickets/{tid}").status_code == 200
    assert eng.put(f"{API}/sla-defaults", json={"rows": []}).status_code == 403


def test_sla_table_surveys_and_trends_over_http(app, db, client_as):
    shop = make_shop(db)
    api = client_as(shop.manager)
    rows = [{"priority": "low", "response_minutes": 480, "resolution_minutes": 4800, "calendar": "weekdays"}]
    r = api.put(f"{API}/sla-defaults", json={"rows": rows})
    assert r.status_code == 200
    assert {x["priority"]: x["source"] for x in r.json()} == {
        "critical": "builtin",
        "high": "builtin",
        "medium": "builtin",
        "low": "tenant_default",
    }
    r = api.put(f"{API}/sla-defaults", json={"rows": rows + [rows[0] | {"resolution_minutes": 10}]})
    assert r.status_code == 422  # refused whole
    assert api.get(f"{API}/sla-defaults").json()[3]["resolution_minutes"] == 4800
    r = api.post(f"{API}/surveys", json={"code": "CSAT-1", "kind": "csat", "title": "满意度", "question": "满意吗？"})
    assert r.status_code == 201
    sid = r.json()["id"]
    for cust, score in ((shop.customer.id, 5), (shop.other_customer.id, 2)):
        r = api.post(f"{API}/surveys/{sid}/responses", json={"customer_id": cust, "score": score})
        assert r.status_code == 201, r.text
    r = api.post(f"{API}/surveys/{sid}/responses", json={"customer_id": shop.customer.id, "score": 6})
    assert r.status_code == 422  # CSAT is 1..5
    assert len(api.get(f"{API}/surveys/{sid}/responses").json()["items"]) == 2
    tr = api.get(f"{API}/satisfaction", params={"kind": "csat", "granularity": "year"}).json()
    assert tr["total"]["n"] == 2 and tr["total"]["score"] == 50.0 and tr["total"]["mean"] == 3.5
    r = api.patch(f"{API}/surveys/{sid}", json={"status": "closed"})
    assert r.status_code == 200
    r = api.post(f"{API}/surveys/{sid}/responses", json={"customer_id": shop.customer.id, "score": 4})
    assert r.status_code == 422  # closed
    r = api.post(
        f"{API}/participation",
        json={
            "customer_id": shop.customer.id,
            "stage": "acceptance",
            "occurred_at": "2026-05-01T02:00:00Z",
            "summary": "联合验收",
        },
    )
    assert r.status_code == 201
    summary = {x["stage"]: x["events"] for x in api.get(f"{API}/participation/summary").json()}
    assert summary["acceptance"] == 1
    window = {"start": "2026-05-01T00:00:00Z", "end": "2026-05-01T02:00:00Z"}
    assert api.get(f"{API}/participation/summary", params=window).json()[4]["events"] == 0  # before it
    r = api.get(f"{API}/participation/summary", params={"start": "2026-05-01T00:00:00"})
    assert r.status_code == 422  # an instant needs its time zone
    rp = api.get(f"{API}/repurchase", params={"start": "2025-01-01", "end": "2026-01-01"}).json()
    assert (rp["customers"], rp["repeat_customers"]) == (1, 0)
