"""Telemetry over HTTP: a device posts JSON, CSV or ThingsBoard telemetry with its own token; a
bad token or body is answered with a reason and kept as a dead letter; users import history and
query bucketed series, the latest values and the metric catalogue."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.assets.service import issue_device_token
from tests.factories import make_asset, make_product, make_tenant, make_user

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
E0 = int(T0.timestamp())


@pytest.fixture
def fleet(db):
    t = make_tenant(db)
    p = make_product(db, t)
    a = make_asset(db, t, p.id, serial_number="SN-1")
    b = make_asset(db, t, p.id, serial_number="SN-2")
    with db.session(Scope.tenant(t.id)) as s:
        _, token = issue_device_token(s, a.id, "gateway")
        s.commit()
    return t, a, b, token


def post_as_device(client, token, body, ctype="application/json"):
    return client.post(
        "/api/v1/telemetry", content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": ctype}
    )


def test_device_posts_json_csv_and_thingsboard(client, client_as, db, fleet):
    t, a, _, token = fleet
    batch = {
        "batch_id": "b-1",
        "readings": [{"metric": "pressure", "ts": E0 + i, "value": 7.0 + i / 10} for i in range(60)],
    }
    r = post_as_device(client, token, orjson.dumps(batch))
    assert r.status_code == 200, r.text
    assert r.json() == {"batch_id": "b-1", "accepted": 60, "duplicate": False}
    again = post_as_device(client, token, orjson.dumps(batch))
    assert again.json() == {"batch_id": "b-1", "accepted": 0, "duplicate": True}
    csv_body = "metric,ts,value\n" + "".join(f"temperature,{E0 + i},{60 + i}\n" for i in range(3))
    assert post_as_device(client, token, csv_body, "text/csv").json()["accepted"] == 3
    tb = [{"ts": (E0 + 30) * 1000, "values": {"power": 30.5, "flow": 4.0}}]
    assert post_as_device(client, token, orjson.dumps(tb)).json()["accepted"] == 2

    user = client_as(make_user(db, t, Role.engineer))
    series = user.get(
        f"/api/v1/assets/{a.id}/telemetry",
        params={
            "metric": "pressure",
            "start": T0.isoformat(),
            "end": (T0 + dt.timedelta(minutes=1)).isoformat(),
            "bucket": "30s",
        },
    )
    assert series.status_code == 200, series.text
    buckets = series.json()["buckets"]
    assert [b["count"] for b in buckets] == [30, 30]
    assert (
        buckets[0]["min"] == 7.0
        and buckets[0]["max"] == pytest.approx(9.9)
        and buckets[1]["last"] == pytest.approx(12.9)
    )
    assert buckets[0]["avg"] == pytest.approx(sum(7.0 + i / 10 for i in range(30)) / 30)
    latest = {x["metric"]: x["value"] for x in user.get(f"/api/v1/assets/{a.id}/telemetry/latest").json()}
    assert latest == {"pressure": pytest.approx(12.9), "temperature": 62.0, "power": 30.5, "flow": 4.0}
    keys = {m["key"] for m in user.get("/api/v1/telemetry/metrics").json()["items"]}
    assert keys == {"pressure", "temperature", "power", "flow"}


def test_bad_token_and_bad_body_are_refused_with_reasons_and_kept(client, client_as, db, fleet):
    t, _, b, token = fleet
    r = post_as_device(client, "somp_dev_000000000000_wrong", b'{"metric": "p", "ts": 1767225600, "value": 1}')
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    user_token = client_as(make_user(db, t, Role.service_manager)).headers["Authorization"].split()[1]
    assert post_as_device(client, user_token, b"{}").status_code == 401  # a user token is not a device token
    bad = post_as_device(client, token, b'{"readings": [{"metric": "p", "ts": 1767225600, "value": "x"}]}')
    assert bad.status_code == 422
    assert "value" in bad.json()["errors"][0]["message"]
    stray = post_as_device(client, token, orjson.dumps({"metric": "p", "ts": E0, "value": 1, "asset": "SN-2"}))
    assert stray.status_code == 422 and "SN-2" in stray.json()["errors"][0]["message"]
    admin = client_as(make_user(db, t, Role.tenant_admin))
    letters = admin.get("/api/v1/telemetry/dead-letters").json()["items"]
    assert len(letters) == 2  # the unknown token belongs to no tenant and is not shown here
    assert {x["source"] for x in letters} == {"http"}


def test_metric_range_refuses_out_of_range_batches(client, client_as, db, fleet):
    t, _, _, token = fleet
    assert post_as_device(client, token, orjson.dumps({"metric": "pressure", "ts": E0, "value": 7})).status_code == 200
    admin = client_as(make_user(db, t, Role.tenant_admin))
    mid = admin.get("/api/v1/telemetry/metrics").json()["items"][0]["id"]
    r = admin.patch(f"/api/v1/telemetry/metrics/{mid}", json={"unit": "bar", "min_valid": 0, "max_valid": 16})
    assert r.status_code == 200 and r.json()["unit"] == "bar"
    assert admin.patch(f"/api/v1/telemetry/metrics/{mid}", json={"min_valid": 5, "max_valid": 1}).status_code == 422
    r = post_as_device(client, token, orjson.dumps({"metric": "pressure", "ts": E0 + 1, "value": 99}))
    assert r.status_code == 422 and "outside its valid range" in r.text


def test_user_imports_history_by_serial_number(client_as, db, fleet):
    t, a, b, _ = fleet
    user = client_as(make_user(db, t, Role.service_manager))
    body = "asset,metric,ts,value\n" + "".join(f"SN-{1 + i % 2},vibration,{E0 + i},{i}\n" for i in range(10))
    r = user.post("/api/v1/telemetry/import", content=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["accepted"] == 10
    unknown = user.post(
        "/api/v1/telemetry/import",
        content="asset,metric,ts,value\nSN-9,v,1767225600,1\n",
        headers={"Content-Type": "text/csv"},
    )
    assert unknown.status_code == 422 and "SN-9" in unknown.text
    engineer = client_as(make_user(db, t, Role.engineer))
    assert (
        engineer.post("/api/v1/telemetry/import", content=body, headers={"Content-Type": "text/csv"}).status_code == 403
    )
    series = user.get(
        f"/api/v1/assets/{b.id}/telemetry",
        params={"metric": "vibration", "start": T0.isoformat(), "end": (T0 + dt.timedelta(hours=1)).isoformat()},
    )
    assert series.json()["buckets"][0]["count"] == 5


def test_series_query_validates_its_parameters(client_as, db, fleet):
    t, a, _, _ = fleet
    user = client_as(make_user(db, t, Role.engineer))
    base = f"/api/v1/assets/{a.id}/telemetry"
    assert user.get(base, params={"metric": "p", "start": "2026-01-01T00:00:00"}).status_code == 422  # no offset
    assert user.get(base, params={"metric": "p", "start": T0.isoformat(), "bucket": "7x"}).status_code == 422
    unknown = user.get(base, params={"metric": "none", "start": T0.isoformat()})
    assert unknown.status_code == 422 and "no metric 'none'" in unknown.text
    assert user.get(f"/api/v1/assets/{a.id + 999}/telemetry/latest").status_code == 404
