"""C2M delivery registers the delivered units (framework node 3.2): when an order reaches
``delivered``, its units become assets of the customer (serials from the order number, the chosen
variant's product) covered by the order's contract; idempotent; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from somp.core.errors import IllegalTransition
from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.assets.models import Asset
from somp.modules.contracts.service import asset_ids_of
from somp.modules.customization import orders
from somp.modules.customization.models import C2MOrder
from tests.customization.factories import model_text
from tests.factories import make_customer, make_offering, make_product, make_tenant, make_user

API = "/api/v1/customization"


@pytest.fixture
def shop(db, client_as):
    t = make_tenant(db, name="澄风压缩机")
    products = {c: make_product(db, t, code=c) for c in ("CF-37A", "CF-55V", "CF-75A")}
    make_offering(db, t, products["CF-75A"].id, code="OF-SALE-24")
    customer = make_customer(db, t, code="C-ZJ", name="浙江纺织")
    api = client_as(make_user(db, t, Role.service_manager))
    r = api.post(f"{API}/import", json={"document": model_text()})
    assert r.status_code == 201, r.text
    return {"tenant": t, "api": api, "conf": r.json(), "customer": customer, "products": products}


def _order(shop, quantity: int, choices: dict) -> dict:
    body = {"configurable_id": shop["conf"]["id"], "customer_id": shop["customer"].id, "choices": choices,
            "quantity": quantity}  # fmt: skip
    r = shop["api"].post(f"{API}/orders", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _move(shop, order_id: int, *steps: str) -> None:
    for to in steps:
        r = shop["api"].post(f"{API}/orders/{order_id}/transitions", json={"to_status": to, "at": None})
        assert r.status_code == 200, r.text


def test_delivery_registers_each_unit_as_an_asset_covered_by_the_contract(shop, db):
    o = _order(shop, 2, {"m37": True})
    _move(shop, o["id"], "in_production", "completed")
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        assert s.scalars(select(Asset)).all() == []  # nothing before the delivery
    _move(shop, o["id"], "delivered")
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        assets = s.scalars(select(Asset).order_by(Asset.serial_number)).all()
        assert [a.serial_number for a in assets] == [f"{o['number']}-01", f"{o['number']}-02"]
        assert {a.customer_id for a in assets} == {shop["customer"].id}
        assert {a.product_id for a in assets} == {shop["products"]["CF-37A"].id}  # the chosen variant's product
        assert {a.state.value for a in assets} == {"delivered"} and all(a.delivered_on for a in assets)
        assert asset_ids_of(s, [o["contract_id"]])[o["contract_id"]] == [a.id for a in assets]
        # idempotent: running it again adds nothing
        order = s.get(C2MOrder, o["id"])
        again = orders.register_delivered_assets(s, order)
        s.commit()
        assert [a.id for a in again] == [a.id for a in assets]
        assert len(s.scalars(select(Asset)).all()) == 2
        assert asset_ids_of(s, [o["contract_id"]])[o["contract_id"]] == [a.id for a in assets]
    # the customer's asset list (API) shows them
    got = shop["api"].get("/api/v1/assets", params={"customer_id": shop["customer"].id}).json()
    assert sorted(a["serial_number"] for a in got["items"]) == [f"{o['number']}-01", f"{o['number']}-02"]


def test_a_single_unit_takes_the_order_number_and_a_taken_serial_refuses_the_delivery(shop, db):
    o = _order(shop, 1, {})
    _move(shop, o["id"], "in_production", "completed")
    other = make_customer(db, shop["tenant"], code="C-SH", name="上海电子")
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        s.add(Asset(serial_number=o["number"], product_id=shop["products"]["CF-75A"].id, customer_id=other.id))
        s.commit()
    r = shop["api"].post(f"{API}/orders/{o['id']}/transitions", json={"to_status": "delivered"})
    assert r.status_code == 409 and "another customer" in r.json()["detail"], r.text
    assert shop["api"].get(f"{API}/orders/{o['id']}").json()["status"] == "completed"  # refused whole
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        s.execute(Asset.__table__.delete().where(Asset.serial_number == o["number"]))
        s.commit()
    _move(shop, o["id"], "delivered")
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        a = s.scalar(select(Asset).where(Asset.serial_number == o["number"]))
        assert a.customer_id == shop["customer"].id
        with pytest.raises(IllegalTransition):  # delivered is final
            orders.transition_order(s, o["id"], orders.C2MTransition(to_status="delivered"))
