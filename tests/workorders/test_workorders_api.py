"""Work orders: SLA deadlines from the covering contract, status machine, breach flags."""

import datetime as dt

from somp.core.identity import Role
from tests.factories import (
    make_asset,
    make_contract,
    make_customer,
    make_offering,
    make_product,
    make_tenant,
    make_user,
)

API = "/api/v1"


def world(db):
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    a = make_asset(db, t, p.id, c.id, state="in_service")
    k = make_contract(db, t, c.id, o.id, [a.id])
    return t, a, k


def test_deadlines_come_from_the_covering_contracts_sla(db, client_as):
    t, a, k = world(db)
    api = client_as(make_user(db, t, Role.service_manager))
    api.post(f"{API}/contracts/{k.id}/transitions", json={"to_status": "active", "on": "2025-01-01"})
    opened = "2026-03-02T08:00:00Z"
    r = api.post(
        f"{API}/work-orders",
        json={"kind": "corrective", "priority": "critical", "asset_id": a.id, "title": "停机", "opened_at": opened},
    )
    assert r.status_code == 201, r.text
    wo = r.json()
    assert wo["contract_id"] == k.id and wo["number"].startswith("WO-2026-")
    assert wo["response_due_at"].startswith("2026-03-02T10:00:00")
    assert wo["resolution_due_at"].startswith("2026-03-02T16:00:00")
    # high priority has no SLA terms in this offering: no deadlines rather than invented ones
    r = api.post(
        f"{API}/work-orders",
        json={"kind": "inspection", "priority": "high", "asset_id": a.id, "title": "巡检", "opened_at": opened},
    )
    assert r.json()["response_due_at"] is None and r.json()["response_breached"] is None


def test_status_machine_records_response_and_resolution_and_flags_breaches(db, client_as):
    t, a, k = world(db)
    api = client_as(make_user(db, t, Role.service_manager))
    api.post(f"{API}/contracts/{k.id}/transitions", json={"to_status": "active", "on": "2025-01-01"})
    wo = api.post(
        f"{API}/work-orders",
        json={
            "kind": "corrective",
            "priority": "critical",
            "asset_id": a.id,
            "title": "停机",
            "opened_at": "2026-03-02T08:00:00Z",
        },
    ).json()
    url = f"{API}/work-orders/{wo['id']}/transitions"
    r = api.post(url, json={"to_status": "closed"})
    assert r.status_code == 409 and "in_progress" in r.json()["detail"]
    r = api.post(url, json={"to_status": "assigned"})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "assignee_user_id"
    r = api.post(url, json={"to_status": "in_progress", "at": "2026-03-02T09:30:00Z"})
    assert r.json()["responded_at"].startswith("2026-03-02T09:30") and r.json()["response_breached"] is False
    r = api.post(url, json={"to_status": "resolved", "at": "2026-03-02T18:00:00Z", "note": "更换油分"})
    assert r.json()["resolution_breached"] is True and "更换油分" in r.json()["resolution_notes"]
    r = api.post(url, json={"to_status": "closed", "at": "2026-03-03T08:00:00Z"})
    assert r.json()["status"] == "closed"
    assert api.patch(f"{API}/work-orders/{wo['id']}", json={"labour_cost": "10"}).status_code == 422
    listed = api.get(f"{API}/work-orders", params={"status": "closed"}).json()["items"]
    assert [x["id"] for x in listed] == [wo["id"]]


def test_work_order_on_a_retired_asset_is_refused(db, client_as):
    t = make_tenant(db)
    p = make_product(db, t)
    a = make_asset(db, t, p.id, state="retired")
    api = client_as(make_user(db, t, Role.engineer))
    r = api.post(f"{API}/work-orders", json={"kind": "corrective", "asset_id": a.id, "title": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "end_of_life"


def test_assignee_must_be_staff_of_the_tenant(db, client_as):
    t, a, _k = world(db)
    other = make_tenant(db)
    outsider = make_user(db, other, Role.engineer)
    api = client_as(make_user(db, t, Role.service_manager))
    r = api.post(
        f"{API}/work-orders",
        json={"kind": "preventive", "asset_id": a.id, "title": "保养", "assignee_user_id": outsider.id},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "assignee_user_id"
    eng = make_user(db, t, Role.engineer)
    r = api.post(
        f"{API}/work-orders", json={"kind": "preventive", "asset_id": a.id, "title": "保养", "assignee_user_id": eng.id}
    )
    assert r.json()["status"] == "assigned"
    assert dt.datetime.fromisoformat(r.json()["opened_at"]).tzinfo is not None
