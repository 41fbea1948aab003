from somp.core.identity import Role
from tests.factories import make_asset, make_customer, make_product, make_tenant, make_user


def test_service_manager_creates_and_lists_assets(db, client_as):
    t = make_tenant(db)
    u = make_user(db, t, Role.service_manager)
    p = make_product(db, t)
    c = make_customer(db, t)
    api = client_as(u)
    r = api.post("/api/v1/assets", json={"serial_number": "SN-1", "product_id": p.id, "customer_id": c.id})
    assert r.status_code == 201, r.text
    make_asset(db, t, p.id)
    r = api.get("/api/v1/assets?limit=1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["items"]) == 1 and body["next_cursor"]
    r2 = api.get(f"/api/v1/assets?limit=1&cursor={body['next_cursor']}")
    assert r2.json()["items"][0]["id"] != body["items"][0]["id"]
    assert r2.json()["next_cursor"] is None
