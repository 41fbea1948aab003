"""Catalog: products with a bill of materials, offerings whose prices must fit their price model."""

from somp.core.identity import Role
from tests.factories import make_tenant, make_user

API = "/api/v1"


def test_product_bom_is_kept_in_order_and_replaced_whole(db, client_as):
    t = make_tenant(db)
    api = client_as(make_user(db, t, Role.service_manager))
    r = api.post(
        f"{API}/products",
        json={
            "code": "SAC-55",
            "name": "螺杆空压机 55kW",
            "name_en": "Screw compressor 55 kW",
            "category": "compressor",
            "spec": {"rated_power_kw": 55, "fad_m3_min": 9.8, "pressure_bar": 8},
            "list_price": "268000.00",
            "bom": [
                {
                    "part_number": "AF-1",
                    "description": "空气滤芯",
                    "quantity": "1",
                    "spare_part": True,
                    "unit_cost": "320",
                },
                {"part_number": "OF-1", "description": "油滤", "quantity": "2", "spare_part": True},
            ],
        },
    )
    assert r.status_code == 201, r.text
    p = r.json()
    assert [b["line_no"] for b in p["bom"]] == [1, 2] and p["bom"][1]["quantity"] == "2.0000"
    r = api.patch(
        f"{API}/products/{p['id']}", json={"bom": [{"part_number": "SEP-1", "description": "油分", "quantity": "1"}]}
    )
    assert [b["part_number"] for b in r.json()["bom"]] == ["SEP-1"]
    r = api.patch(f"{API}/products/{p['id']}", json={"list_price": "-1"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "list_price"
    assert api.get(f"{API}/products", params={"q": "55kw"}).json()["items"][0]["code"] == "SAC-55"


def test_offering_prices_must_fit_the_price_model(db, client_as):
    t = make_tenant(db)
    api = client_as(make_user(db, t, Role.service_manager))
    p = api.post(f"{API}/products", json={"code": "P1", "name": "x", "category": "c"}).json()
    base = {"code": "CAAS", "name": "压缩空气即服务", "product_id": p["id"]}
    r = api.post(f"{API}/offerings", json=base | {"price_model": "pay_per_use", "usage_unit": "m3"})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"usage_unit_price"}
    r = api.post(f"{API}/offerings", json=base | {"price_model": "availability_based", "periodic_fee": "9000"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "availability_target_pct"
    r = api.post(
        f"{API}/offerings",
        json=base
        | {
            "price_model": "pay_per_use",
            "usage_unit": "m3",
            "usage_unit_price": "0.118",
            "periodic_fee": "3000",
            "sla": {
                "availability_target_pct": 99,
                "per_priority": {"critical": {"response_hours": 2, "resolution_hours": 8}},
            },
            "service_items": [
                {"kind": "remote_monitoring", "name": "远程监测"},
                {"kind": "preventive_maintenance", "name": "预防性维护"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["sla"] == {"per_priority": {"critical": {"response_hours": 2.0, "resolution_hours": 8.0}}}
    assert [s["line_no"] for s in o["service_items"]] == [1, 2]
    r = api.patch(f"{API}/offerings/{o['id']}", json={"usage_unit_price": None})
    assert r.status_code == 422
    r = api.post(
        f"{API}/offerings",
        json=base
        | {
            "code": "X2",
            "price_model": "subscription",
            "periodic_fee": "1",
            "sla": {"per_priority": {"low": {"response_hours": 10, "resolution_hours": 5}}},
        },
    )
    assert r.status_code == 422 and "resolution_hours" in r.json()["errors"][0]["message"]


def test_tenant_codes_are_validated(db, client_as):
    admin = make_user(db, None, Role.platform_admin, username="root9")
    api = client_as(admin)
    ok = {
        "name": "华为技术有限公司",
        "uscc": "914403001922038216",
        "industry_code": "C3921",
        "region_code": "440300",
        "size_class": "large",
    }
    r = api.post(f"{API}/tenants", json=ok | {"uscc": "914403001922038217"})
    assert r.status_code == 422 and "check character" in r.json()["errors"][0]["message"]
    r = api.post(f"{API}/tenants", json=ok | {"industry_code": "C01", "region_code": "990000"})
    assert {e["field"] for e in r.json()["errors"]} == {"industry_code", "region_code"}
    r = api.post(f"{API}/tenants", json=ok)
    assert r.status_code == 201
    assert api.post(f"{API}/tenants", json=ok).status_code == 409
