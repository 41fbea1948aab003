"""Assets over HTTP: lifecycle transitions with reasons, timeline, events, validation, paging."""

import pytest
from sqlalchemy import select

from somp.core.events import OutboxEvent
from somp.core.identity import Role
from somp.core.tenancy import Scope
from tests.factories import make_customer, make_product, make_tenant, make_user

API = "/api/v1"


def setup(db, client_as, role=Role.service_manager):
    t = make_tenant(db)
    u = make_user(db, t, role)
    return t, client_as(u), make_product(db, t), make_customer(db, t)


def test_asset_moves_through_its_lifecycle_and_keeps_a_timeline(db, client_as):
    t, api, p, c = setup(db, client_as)
    a = api.post(f"{API}/assets", json={"serial_number": "SN-A", "product_id": p.id, "customer_id": c.id}).json()
    assert a["state"] == "manufactured"
    for state in ("delivered", "installed"):
        r = api.post(f"{API}/assets/{a['id']}/transitions", json={"to_state": state})
        if state == "installed":
            assert r.status_code == 409
            assert "site" in r.json()["detail"]
            api.patch(f"{API}/assets/{a['id']}", json={"site_name": "无锡工厂", "latitude": 31.5, "longitude": 120.3})
            r = api.post(f"{API}/assets/{a['id']}/transitions", json={"to_state": state})
        assert r.status_code == 200, r.text
    r = api.post(f"{API}/assets/{a['id']}/transitions", json={"to_state": "in_service", "on": "2026-02-01"})
    assert r.json()["commissioned_on"] == "2026-02-01"
    api.post(f"{API}/assets/{a['id']}/transitions", json={"to_state": "failed", "reason": "主机卡死"})
    r = api.post(f"{API}/assets/{a['id']}/transitions", json={"to_state": "in_service"})
    assert r.status_code == 409
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body["code"] == "illegal_transition" and "under_maintenance" in body["detail"]
    assert body["allowed"] == ["retired", "under_maintenance"]
    assert body["errors"][0]["field"] == "to_state"
    tl = api.get(f"{API}/assets/{a['id']}/timeline").json()
    assert [x["to_state"] for x in tl] == ["manufactured", "delivered", "installed", "in_service", "failed"]
    assert tl[-1]["reason"] == "主机卡死"
    allowed = api.get(f"{API}/assets/{a['id']}/transitions").json()
    assert allowed == {"state": "failed", "allowed": ["retired", "under_maintenance"]}
    with db.session(Scope.tenant(t.id)) as s:
        names = s.scalars(select(OutboxEvent.name).order_by(OutboxEvent.id)).all()
    assert names.count("AssetStateChanged") == 4 and names[0] == "AssetRegistered"


def test_invalid_input_is_a_problem_with_field_messages(db, client_as):
    _t, api, p, c = setup(db, client_as)
    r = api.post(f"{API}/assets", json={"serial_number": "", "product_id": p.id, "latitude": 95, "colour": "red"})
    assert r.status_code == 422
    body = r.json()
    assert body["status"] == 422 and body["type"].endswith("validation_failed")
    fields = {e["field"] for e in body["errors"]}
    assert {"serial_number", "latitude", "colour"} <= fields
    r = api.post(f"{API}/assets", json={"serial_number": "S1", "product_id": 999999})
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "product_id",
        "message": "no product with id 999999",
        "code": "not_found",
    }
    r = api.post(f"{API}/assets", json={"serial_number": "S1", "product_id": p.id, "state": "in_service"})
    assert r.status_code == 409 and "customer" in r.json()["detail"]


def test_duplicate_serial_number_is_a_conflict(db, client_as):
    _t, api, p, _c = setup(db, client_as)
    assert api.post(f"{API}/assets", json={"serial_number": "DUP", "product_id": p.id}).status_code == 201
    r = api.post(f"{API}/assets", json={"serial_number": "DUP", "product_id": p.id})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "serial_number"


def test_stale_version_is_refused(db, client_as):
    _t, api, p, _c = setup(db, client_as)
    a = api.post(f"{API}/assets", json={"serial_number": "V1", "product_id": p.id}).json()
    assert api.patch(f"{API}/assets/{a['id']}", json={"notes": "one", "version": a["version"]}).status_code == 200
    r = api.patch(f"{API}/assets/{a['id']}", json={"notes": "two", "version": a["version"]})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "version"


def test_cursor_pagination_walks_every_asset_once_in_both_orders(db, client_as):
    _t, api, p, _c = setup(db, client_as)
    for i in range(7):
        api.post(f"{API}/assets", json={"serial_number": f"PG{i}", "product_id": p.id})
    for order in ("asc", "desc"):
        seen, cursor = [], None
        while True:
            params = {"limit": 3, "order": order} | ({"cursor": cursor} if cursor else {})
            page = api.get(f"{API}/assets", params=params).json()
            seen += [x["serial_number"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        expected = [f"PG{i}" for i in range(7)]
        assert seen == (expected if order == "asc" else expected[::-1])
    r = api.get(f"{API}/assets", params={"cursor": "garbage!"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
    assert api.get(f"{API}/assets", params={"limit": 501}).status_code == 422


def test_filters(db, client_as):
    _t, api, p, c = setup(db, client_as)
    api.post(f"{API}/assets", json={"serial_number": "F1", "product_id": p.id, "customer_id": c.id})
    api.post(f"{API}/assets", json={"serial_number": "F2", "product_id": p.id})
    assert [a["serial_number"] for a in api.get(f"{API}/assets", params={"customer_id": c.id}).json()["items"]] == [
        "F1"
    ]
    assert len(api.get(f"{API}/assets", params={"state": "manufactured"}).json()["items"]) == 2
    assert [a["serial_number"] for a in api.get(f"{API}/assets", params={"q": "f2"}).json()["items"]] == ["F2"]


def test_engineer_moves_states_but_cannot_edit_assets(db, client_as):
    t = make_tenant(db)
    p = make_product(db, t)
    mgr = client_as(make_user(db, t, Role.service_manager))
    eng = client_as(make_user(db, t, Role.engineer))
    a = mgr.post(f"{API}/assets", json={"serial_number": "E1", "product_id": p.id}).json()
    assert eng.patch(f"{API}/assets/{a['id']}", json={"notes": "x"}).status_code == 403
    assert eng.post(f"{API}/assets/{a['id']}/transitions", json={"to_state": "retired"}).status_code == 200


def test_device_token_is_shown_once_and_authenticates_only_its_asset(db, client_as):
    from somp.modules.assets.service import authenticate_device

    t, api, p, _c = setup(db, client_as)
    a = api.post(f"{API}/assets", json={"serial_number": "D1", "product_id": p.id}).json()
    issued = api.post(f"{API}/assets/{a['id']}/device-tokens", json={"name": "gw"}).json()
    assert issued["token"].startswith("somp_dev_")
    listed = api.get(f"{API}/assets/{a['id']}/device-tokens").json()
    assert "token" not in listed[0]
    with db.session(Scope.all_tenants()) as s:
        assert authenticate_device(s, issued["token"]) == (t.id, a["id"])
        assert authenticate_device(s, issued["token"][:-1] + "x") is None
    api.delete(f"{API}/assets/{a['id']}/device-tokens/{issued['id']}")
    with db.session(Scope.all_tenants()) as s:
        assert authenticate_device(s, issued["token"]) is None


def test_many_device_tokens_are_authenticated_together(db, client_as):
    from somp.modules.assets.service import authenticate_devices

    t, api, p, _c = setup(db, client_as)
    a = api.post(f"{API}/assets", json={"serial_number": "M1", "product_id": p.id}).json()
    b = api.post(f"{API}/assets", json={"serial_number": "M2", "product_id": p.id}).json()
    ta = api.post(f"{API}/assets/{a['id']}/device-tokens", json={"name": "a"}).json()
    tb = api.post(f"{API}/assets/{b['id']}/device-tokens", json={"name": "b"}).json()
    revoked = api.post(f"{API}/assets/{b['id']}/device-tokens", json={"name": "old"}).json()
    api.delete(f"{API}/assets/{b['id']}/device-tokens/{revoked['id']}")
    forged = ta["token"][:-1] + ("x" if ta["token"][-1] != "x" else "y")
    tokens = [ta["token"], tb["token"], revoked["token"], forged, "somp_api_000000000000_x", "garbage", ""]
    with db.session(Scope.all_tenants()) as s:
        found = authenticate_devices(s, tokens)
    assert found == {
        ta["token"]: (t.id, a["id"]),
        tb["token"]: (t.id, b["id"]),
        revoked["token"]: None,
        forged: None,
        "somp_api_000000000000_x": None,
        "garbage": None,
        "": None,
    }
    with db.session(Scope.tenant(t.id)) as s, pytest.raises(PermissionError):
        authenticate_devices(s, [ta["token"]])


def test_fast_list_path_equals_the_schemas_serialisation(db, client_as):
    """The asset list is serialised straight from rows; it must equal Page[AssetRead] exactly."""
    import json

    from somp.core.pagination import Page
    from somp.modules.assets.schemas import AssetRead
    from somp.modules.assets.service import list_assets, list_assets_json

    t, api, p, c = setup(db, client_as)
    api.post(
        f"{API}/assets",
        json={
            "serial_number": "J1",
            "product_id": p.id,
            "customer_id": c.id,
            "state": "in_service",
            "site_name": "厂",
            "latitude": 31.25,
            "longitude": 121.5,
            "installed_on": "2025-02-03",
            "notes": '引号"和</script>',
        },
    )
    api.post(f"{API}/assets", json={"serial_number": "J2", "product_id": p.id})
    with db.session(Scope.tenant(t.id)) as s:
        for order in ("asc", "desc"):
            fast = json.loads(list_assets_json(s, limit=1, cursor=None, order=order))
            items, nxt = list_assets(s, limit=1, cursor=None, order=order)
            slow = json.loads(Page[AssetRead](items=items, next_cursor=nxt, limit=1).model_dump_json())
            assert fast == slow
