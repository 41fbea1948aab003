"""The marketplace over HTTP (/api/v1/shared-mfg): publish, post, quote, accept and schedule,
progress, a breakdown re-plan with its diff, runs, demand; errors as problem+json."""

from __future__ import annotations

import datetime as dt

from somp.core.identity import Role
from tests.factories import make_tenant, make_user

API = "/api/v1/shared-mfg"


def _resource(code: str, cap: str, rate: str, **kw) -> dict:
    return {
        "code": code,
        "name": f"设备{code}",
        "hourly_rate": rate,
        "quality_grade": "B",
        "site_name": "无锡新区",
        "latitude": 31.49,
        "longitude": 120.31,
        "region_code": "320200",
        "capabilities": [{"code": cap, "parameters": {"max_thickness_mm": 20}, "units_per_hour": "30"}],
    } | kw


def test_marketplace_over_http(app, db, client_as):
    factory, buyer = make_tenant(db, name="无锡机加"), make_tenant(db, name="买方丙")
    fapi = client_as(make_user(db, factory, Role.tenant_admin))
    bapi = client_as(make_user(db, buyer, Role.tenant_admin))
    root = client_as(make_user(db, None, Role.platform_admin))

    bad = fapi.post(f"{API}/resources", json=_resource("X", "laser", "1", calendar={"shifts": [{"days": [9]}]}))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    r1 = fapi.post(f"{API}/resources", json=_resource("WX-L1", "laser_cutting", "90.00"))
    r2 = fapi.post(f"{API}/resources", json=_resource("WX-L2", "laser_cutting", "110.00"))
    assert r1.status_code == r2.status_code == 201
    assert fapi.post(f"{API}/resources", json=_resource("WX-L1", "laser_cutting", "90.00")).status_code == 409
    assert len(bapi.get(f"{API}/catalogue").json()) == 2
    assert bapi.get(f"{API}/resources").json()["items"] == []  # the buyer has no resources of its own

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    order = {
        "title": "支架",
        "release_at": now.isoformat(),
        "due_at": (now + dt.timedelta(days=2)).isoformat(),
        "parts": [
            {
                "name": f"支架{k}",
                "quantity": "60",
                "operations": [{"capability": "laser_cutting", "parameters": {"thickness_mm": 8}}],
            }
            for k in range(3)
        ],
    }
    o = bapi.post(f"{API}/orders", json=order)
    assert o.status_code == 201, o.text
    oid = o.json()["id"]
    q = bapi.post(f"{API}/orders/{oid}/quote")
    assert q.status_code == 200, q.text
    # 60 pieces at 30 an hour: 120 min; 180.00 (90/h) .. 220.00 (110/h) per part; 3 parts; fee 5 % of 660.00
    body = q.json()
    assert (body["quote_low"], body["quote_cost"], body["quote_fee"], body["quote_total"]) == (
        "540.00",
        "660.00",
        "33.00",
        "693.00",
    )
    a = bapi.post(f"{API}/orders/{oid}/accept", json={"time_limit": 2})
    assert a.status_code == 200 and a.json()["order"]["status"] == "scheduled"
    assert a.json()["run"]["trigger"] == "accept" and a.json()["run"]["status"] in ("optimal", "feasible")
    assert a.json()["run"]["gap"] is not None and a.json()["run"]["time_limit"] == 2
    ops = [op for p in a.json()["order"]["parts"] for op in p["operations"]]
    assert all(op["status"] == "planned" and op["factory_label"] == "无锡机加" for op in ops)
    assert bapi.post(f"{API}/orders/{oid}/accept", json={}).status_code == 422  # only a quoted order

    bookings = fapi.get(f"{API}/bookings").json()["items"]
    assert len(bookings) == 3 and {b["buyer_label"] for b in bookings} == {"买方丙"}
    first = min(bookings, key=lambda b: b["start_at"])
    p = fapi.post(f"{API}/bookings/{first['id']}/progress", json={"event": "started"})
    assert p.status_code == 200 and p.json()["status"] == "started"
    bad = fapi.post(f"{API}/bookings/{first['id']}/progress", json={"event": "started"})
    assert bad.status_code == 409 and bad.json()["code"] == "illegal_transition"
    assert bapi.get(f"{API}/orders/{oid}").json()["status"] == "in_progress"
    assert bapi.post(f"{API}/orders/{oid}/cancel").status_code == 409  # work started

    # a breakdown of the machine holding the not-started work: re-planned at once, the diff stored
    busy = {b["resource_id"] for b in bookings if b["id"] != first["id"]}
    rid = busy.pop() if busy else first["resource_id"]
    blk = fapi.post(
        f"{API}/resources/{rid}/blocks",
        json={"kind": "breakdown", "start_at": now.isoformat(), "end_at": (now + dt.timedelta(days=1)).isoformat()},
    )
    assert blk.status_code == 201 and blk.json()["affected"] >= 1 and blk.json()["run"]["trigger"] == "breakdown"
    runs = root.get(f"{API}/runs", params={"order": "desc"}).json()["items"]
    assert runs[0]["trigger"] == "breakdown" and runs[0]["status"] in ("optimal", "feasible")
    changes = bapi.get(f"{API}/changes").json()["items"]
    assert changes and all(c["order_number"] == o.json()["number"] for c in changes)
    moved = bapi.get(f"{API}/orders/{oid}").json()
    for op in (op for p in moved["parts"] for op in p["operations"] if op["status"] == "planned"):
        assert op["resource_id"] != rid or op["planned_start"] >= (now + dt.timedelta(days=1)).isoformat()[:19]

    assert fapi.post(f"{API}/runs", json={"time_limit": 1}).status_code == 403  # the operator's
    run = root.post(f"{API}/runs", json={"time_limit": 1, "objective": "makespan"})
    assert run.status_code == 201 and run.json()["gap"] is not None
    assert root.get(f"{API}/orders").status_code == 403  # the operator reads no orders
    demand = root.get(f"{API}/demand", params={"weeks": 2}).json()
    assert {d["capability"] for d in demand} == {"laser_cutting"} and len(demand) == 2
    assert demand[0]["demand_hours"] > 0
