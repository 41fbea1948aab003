"""Contracts: covered assets, signing rules, no double coverage, renewals."""

from somp.core.identity import Role
from tests.factories import make_asset, make_customer, make_offering, make_product, make_tenant, make_user

API = "/api/v1"


def test_contract_lifecycle_and_coverage_rules(db, client_as):
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c1, c2 = make_customer(db, t), make_customer(db, t)
    a1 = make_asset(db, t, p.id, c1.id, state="in_service")
    a_other = make_asset(db, t, p.id, c2.id, state="in_service")
    api = client_as(make_user(db, t, Role.service_manager))
    base = {"customer_id": c1.id, "offering_id": o.id, "start_date": "2025-01-01", "end_date": "2026-01-01"}
    r = api.post(f"{API}/contracts", json=base | {"asset_ids": [a_other.id]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "other_customer"
    r = api.post(f"{API}/contracts", json=base | {"end_date": "2024-01-01"})
    assert r.status_code == 422
    k = api.post(f"{API}/contracts", json=base).json()
    assert k["status"] == "draft" and k["number"].startswith("CT-2025-")
    r = api.post(f"{API}/contracts/{k['id']}/transitions", json={"to_status": "active"})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "asset_ids"
    api.patch(f"{API}/contracts/{k['id']}", json={"asset_ids": [a1.id]})
    r = api.post(f"{API}/contracts/{k['id']}/transitions", json={"to_status": "active", "on": "2024-12-20"})
    assert r.json()["status"] == "active" and r.json()["signed_on"] == "2024-12-20"
    assert r.json()["asset_ids"] == [a1.id]
    # a second live contract over the same asset and an overlapping term is refused
    k2 = api.post(
        f"{API}/contracts", json=base | {"start_date": "2025-06-01", "end_date": "2026-06-01", "asset_ids": [a1.id]}
    ).json()
    r = api.post(f"{API}/contracts/{k2['id']}/transitions", json={"to_status": "active"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "overlap"
    # a renewal after the term is fine and points at the earlier contract
    k3 = api.post(
        f"{API}/contracts",
        json=base
        | {"start_date": "2026-01-01", "end_date": "2027-01-01", "asset_ids": [a1.id], "renewal_of_id": k["id"]},
    ).json()
    assert api.post(f"{API}/contracts/{k3['id']}/transitions", json={"to_status": "active"}).status_code == 200
    live = api.get(f"{API}/contracts", params={"asset_id": a1.id, "active_on": "2026-03-01"}).json()["items"]
    assert [x["id"] for x in live] == [k3["id"]]
    r = api.post(f"{API}/contracts/{k['id']}/transitions", json={"to_status": "draft"})
    assert r.status_code == 409 and r.json()["allowed"] == ["expired", "suspended", "terminated"]
