"""The configurator and C2M orders through the API, on SQLite and PostgreSQL: model import/export and
versions, validation with paths, configuration queries on the cached compiled model, conflicts in
words, confirmation into a production order with its bill of options and a draft contract, and the
order's state machine. Prices are worked out by hand from data/compressor_c2m.yaml."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from sqlalchemy import select

from somp.core.events import OutboxEvent
from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.contracts.models import Contract
from somp.modules.customization import service
from tests.customization.factories import model_text
from tests.factories import make_customer, make_offering, make_product, make_tenant, make_user

API = "/api/v1/customization"
D = Decimal


@pytest.fixture
def shop(db, client_as):
    t = make_tenant(db, name="澄风压缩机")
    products = {c: make_product(db, t, code=c) for c in ("CF-37A", "CF-55V", "CF-75A")}
    offering = make_offering(db, t, products["CF-75A"].id, code="OF-SALE-24")
    customer = make_customer(db, t, code="C-ZJ", name="浙江纺织")
    other = make_customer(db, t, code="C-SH", name="上海电子")
    manager = make_user(db, t, Role.service_manager)
    api = client_as(manager)
    r = api.post(f"{API}/import", json={"document": model_text()})
    assert r.status_code == 201, r.text
    return {"tenant": t, "api": api, "conf": r.json(), "customer": customer, "other": other, "offering": offering}


def _states(result):
    return {o["code"]: o["state"] for o in result["options"]}


def test_import_stores_version_one_and_the_same_file_again_adds_nothing(shop):
    api, conf = shop["api"], shop["conf"]
    assert conf["current_version"] == 1 and conf["model_version"]["option_count"] == 14
    assert conf["model_version"]["rule_count"] == 6 and conf["model_version"]["warnings"] == []
    r = api.post(f"{API}/import", json={"document": model_text()})
    assert r.status_code == 200 and r.json()["current_version"] == 1
    # the export is a model file: importing it changes nothing either
    exported = api.get(f"{API}/offerings/{conf['id']}/export").text
    assert yaml.safe_load(exported)["offering"] == "OF-SALE-24"
    assert api.post(f"{API}/import", json={"document": exported}).status_code == 200
    as_json = api.get(f"{API}/offerings/{conf['id']}/export", params={"format": "json"})
    assert as_json.headers["content-type"].startswith("application/json")
    assert api.post(f"{API}/import", json={"document": as_json.text}).status_code == 200


def test_editing_the_model_adds_a_version_and_orders_keep_theirs(shop):
    api, conf = shop["api"], shop["conf"]
    order = api.post(
        f"{API}/orders", json={"configurable_id": conf["id"], "customer_id": shop["customer"].id, "choices": {}}
    ).json()
    doc = yaml.safe_load(api.get(f"{API}/offerings/{conf['id']}/export").text)
    for k in ("code", "name_zh", "name_en", "offering"):
        doc.pop(k)
    doc["base_price"] = "99000.00"
    r = api.post(f"{API}/offerings/{conf['id']}/versions", json={"model": doc, "based_on": 1})
    assert r.status_code == 201 and r.json()["current_version"] == 2
    stale = api.post(f"{API}/offerings/{conf['id']}/versions", json={"model": doc, "based_on": 1})
    assert stale.status_code == 409
    versions = api.get(f"{API}/offerings/{conf['id']}/versions").json()
    assert [v["number"] for v in versions] == [1, 2] and versions[0]["content_hash"] != versions[1]["content_hash"]
    assert api.get(f"{API}/offerings/{conf['id']}/versions/1").json()["document"]["base_price"] == "96000.00"
    assert api.get(f"{API}/orders/{order['id']}").json()["model_version"] == 1
    r = api.post(f"{API}/offerings/{conf['id']}/configure", json={"choices": {}})
    assert r.json()["model_version"] == 2 and r.json()["completion"]["total"] == "99000.00"
    old = api.post(f"{API}/offerings/{conf['id']}/configure", json={"choices": {}, "model_version": 1}).json()
    assert old["completion"]["total"] == "96000.00"


def test_a_model_with_unknown_codes_is_refused_with_every_path(shop):
    api = shop["api"]
    text = model_text(code="CF-BAD").replace("any_of: [remote]}", "any_of: [remot]}", 1)
    text = text.replace("others: [m37]", "others: [m37, m99]").replace("code: smart_remote", "code: avail_remote")
    r = api.post(f"{API}/import", json={"document": text})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    found = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert found == {
        ("document.rules.0.any_of.0", "unknown_option"),
        ("document.rules.1.code", "duplicate"),
        ("document.rules.3.others.1", "unknown_option"),
    }
    assert "unknown option 'remot'" in r.text
    broken = api.post(f"{API}/import", json={"document": "code: [unclosed"})
    assert broken.status_code == 422 and broken.json()["errors"][0]["code"] == "syntax"
    missing = api.post(
        f"{API}/import", json={"document": model_text().replace("    kind: addon\n", "    kind: gift\n")}
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "document.groups.4.kind"


def test_an_option_that_can_never_be_chosen_is_a_warning_naming_the_rules_that_forbid_it(shop):
    text = model_text(code="CF-DEAD").replace(
        "rules:\n",
        "rules:\n  - {type: requires, code: dead, option: training, any_of: [basic]}\n"
        "  - {type: requires, code: dead2, option: basic, any_of: [vsd]}\n",
        1,
    )
    r = shop["api"].post(f"{API}/import", json={"document": text})
    assert r.status_code == 201, r.text
    warnings = r.json()["model_version"]["warnings"]
    assert {w["code"] for w in warnings} == {"dead_option"}
    fields = {w["path"]: w["message"] for w in warnings}
    # basic needs vsd, but control is a single choice: basic is dead, and training (needs basic) too
    assert set(fields) == {"groups.1.options.0", "groups.4.options.2"}
    assert fields["groups.1.options.0"] == (
        "option 'basic' can never be chosen: Control: choose exactly 1; basic control requires variable-speed drive"
    )


def test_a_model_without_any_configuration_is_refused_and_a_cycle_is_a_warning(shop):
    api = shop["api"]
    text = model_text(code="CF-NONE").replace(
        "rules:\n", "rules:\n  - {type: at_least, code: impossible, k: 2, options: [m37, m55]}\n", 1
    )
    r = api.post(f"{API}/import", json={"document": text})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unsatisfiable"
    assert "impossible" in r.json()["errors"][0]["message"] or "at least 2" in r.json()["errors"][0]["message"]
    cyc = model_text(code="CF-CYC").replace(
        "rules:\n",
        "rules:\n  - {type: requires, code: kit_train, option: spare_kit, any_of: [training]}\n"
        "  - {type: requires, code: train_kit, option: training, any_of: [spare_kit]}\n",
        1,
    )
    r = api.post(f"{API}/import", json={"document": cyc})
    assert r.status_code == 201, r.text
    assert [w["code"] for w in r.json()["model_version"]["warnings"]] == ["cycle"]
    assert "spare_kit, training" in r.json()["model_version"]["warnings"][0]["message"]


def test_a_variant_naming_a_product_the_catalog_lacks_is_refused(shop):
    r = shop["api"].post(f"{API}/import", json={"document": model_text(code="CF-X").replace("CF-55V", "CF-56V")})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "document.groups.0.options.1.product"


def test_valid_choices_completion_and_price(shop):
    api, conf = shop["api"], shop["conf"]
    r = api.post(f"{API}/offerings/{conf['id']}/configure", json={"choices": {"m75": True}})
    assert r.status_code == 200, r.text
    res = r.json()
    s = _states(res)
    assert s["m75"] == "chosen" and s["m37"] == s["m55"] == s["basic"] == "impossible"
    assert s["vsd"] == s["smart"] == s["refrig"] == s["desiccant"] == "open"
    # 96000 + 86000 (75 kW) + 25000 (vsd: basic control is not for 75 kW) + 12000 (a dryer is required)
    assert res["completion"]["total"] == "219000.00"
    assert set(res["completion"]["selected"]) == {"m75", "vsd", "refrig", "basic_care"}
    assert res["completion"]["attributes"] == {"air_flow": "13.4", "power": "76.5"}
    basic = next(o for o in res["options"] if o["code"] == "basic")
    assert [i["code"] for i in basic["reason"]["items"] if i["kind"] == "rule"] == ["machine_control"]
    assert "基本控制" not in basic["reason"]["message_zh"] or "只允许" in basic["reason"]["message_zh"]


def test_conflicting_choices_are_explained_by_a_minimal_set_of_rules_in_both_languages(shop):
    api, conf = shop["api"], shop["conf"]
    res = api.post(f"{API}/offerings/{conf['id']}/configure", json={"choices": {"m37": True, "desiccant": True}}).json()
    assert res["status"] == "conflict" and res["completion"] is None
    items = res["conflict"]["items"]
    assert [(i["kind"], i["code"]) for i in items] == [
        ("rule", "small_desiccant"),
        ("choice", "m37"),
        ("choice", "desiccant"),
    ]
    assert res["conflict"]["message_zh"].startswith("吸附式干燥机不能与CF-37A 37 kW 定频同时选择")
    assert "desiccant dryer cannot be combined with CF-37A" in res["conflict"]["message_en"]
    # a numeric requirement the chosen machine cannot meet
    res = api.post(
        f"{API}/offerings/{conf['id']}/configure",
        json={"choices": {"m37": True}, "requirements": {"air_flow": {"low": "12"}}},
    ).json()
    assert res["status"] == "conflict"
    assert {(i["kind"], i["code"]) for i in res["conflict"]["items"]} == {
        ("group", "machine"),
        ("choice", "m37"),
        ("requirement", "air_flow"),
    }
    bad = api.post(f"{API}/offerings/{conf['id']}/configure", json={"choices": {"m99": True}})
    assert bad.status_code == 422 and "m99" in bad.text


def test_confirmed_configuration_becomes_a_released_order_with_bill_of_options_and_draft_contract(shop, db):
    api, conf = shop["api"], shop["conf"]
    body = {
        "configurable_id": conf["id"],
        "customer_id": shop["customer"].id,
        "choices": {"smart": True, "availability": True},
        "quantity": 2,
        "model_version": 1,
        "contract_start": "2026-12-01",
    }
    r = api.post(f"{API}/orders", json=body)
    assert r.status_code == 201, r.text
    o = r.json()
    # 96000 + 32000 (smart) + 38000 (availability) + 3000 (remote, required by both) - 5000 (bundle)
    assert o["status"] == "released" and o["unit_price"] == "164000.00" and o["total_amount"] == "328000.00"
    assert o["number"].startswith("C2M-") and o["model_version"] == 1
    lines = [(ln["kind"], ln["code"], ln["product_code"], ln["unit_price"]) for ln in o["lines"]]
    assert lines == [
        ("base", "CF-C2M", None, "96000.00"),
        ("variant", "m37", "CF-37A", "0.00"),
        ("variant", "smart", None, "32000.00"),
        ("service_level", "availability", None, "38000.00"),
        ("addon", "remote", None, "3000.00"),
        ("price_effect", "smart_bundle", None, "-5000.00"),
    ]
    assert sum(D(ln[3]) for ln in lines) == D(o["unit_price"])
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        contract = s.get(Contract, o["contract_id"])
        assert contract.status.value == "draft" and contract.total_value == D("328000.00")
        assert contract.customer_id == shop["customer"].id and contract.offering_id == shop["offering"].id
        assert str(contract.start_date) == "2026-12-01" and str(contract.end_date) == "2027-12-01"
        names = s.scalars(select(OutboxEvent.name).where(OutboxEvent.tenant_id == shop["tenant"].id)).all()
        assert "C2MOrderReleased" in names
    # the state machine: released -> in production -> completed -> delivered
    for to in ("in_production", "completed", "delivered"):
        r = api.post(f"{API}/orders/{o['id']}/transitions", json={"to_status": to})
        assert r.status_code == 200 and r.json()["status"] == to
    r = api.post(f"{API}/orders/{o['id']}/transitions", json={"to_status": "cancelled"})
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "illegal_transition"
    got = api.get(f"{API}/orders/{o['id']}").json()
    assert got["started_at"] and got["completed_at"] and got["delivered_at"]


def test_cancelling_an_order_cancels_its_draft_contract(shop, db):
    api, conf = shop["api"], shop["conf"]
    o = api.post(
        f"{API}/orders", json={"configurable_id": conf["id"], "customer_id": shop["customer"].id, "choices": {}}
    ).json()
    assert api.post(f"{API}/orders/{o['id']}/transitions", json={"to_status": "cancelled"}).status_code == 200
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        assert s.get(Contract, o["contract_id"]).status.value == "cancelled"


def test_confirming_conflicting_choices_or_a_stale_model_is_refused_and_stores_nothing(shop, db):
    api, conf = shop["api"], shop["conf"]
    base = {"configurable_id": conf["id"], "customer_id": shop["customer"].id}
    r = api.post(f"{API}/orders", json={**base, "choices": {"spare_kit": True, "full_care": True}})
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["code"] == "conflict" and err["params"]["rules"] == ["kit_included"]
    assert "备件包" in err["params"]["message_zh"]
    r = api.post(f"{API}/orders", json={**base, "choices": {}, "model_version": 7})
    assert r.status_code == 409
    assert api.get(f"{API}/orders").json()["items"] == []
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        assert s.scalars(select(Contract)).all() == []


def test_customer_user_sees_only_own_orders_and_cannot_confirm(shop, db, client_as):
    api, conf = shop["api"], shop["conf"]
    for c in (shop["customer"], shop["other"]):
        assert (
            api.post(
                f"{API}/orders", json={"configurable_id": conf["id"], "customer_id": c.id, "choices": {}}
            ).status_code
            == 201
        )
    cu = make_user(db, shop["tenant"], Role.customer_user, customer_id=shop["customer"].id)
    capi = client_as(cu)
    mine = capi.get(f"{API}/orders").json()["items"]
    assert [o["customer_id"] for o in mine] == [shop["customer"].id]
    assert capi.post(f"{API}/offerings/{conf['id']}/configure", json={"choices": {}}).status_code == 200
    r = capi.post(
        f"{API}/orders", json={"configurable_id": conf["id"], "customer_id": shop["customer"].id, "choices": {}}
    )
    assert r.status_code == 403


def test_queries_reuse_the_compiled_model_until_a_new_version(shop, db):
    service.clear_cache()
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        conf = service.get_configurable(s, shop["conf"]["id"])
        _, n1, first = service.compiled(s, conf)
        _, _, again = service.compiled(s, conf)
        assert again is first and n1 == 1
        from somp.modules.customization.document import ModelDoc
        from somp.modules.customization.schemas import ModelVersionCreate

        doc = ModelDoc.model_validate(service.current_model(s, conf).document).model_copy(
            update={"base_price": D("1.00")}
        )
        service.add_model_version(s, conf.id, ModelVersionCreate(model=doc), None)
        _, n2, second = service.compiled(s, conf)
        assert n2 == 2 and second is not first and second.cfg.offering.base_price == D("1.00")
        conf.name_en = "renamed"
        _, _, third = service.compiled(s, conf)
        assert third is not second and third.cfg.price([]).lines[0].name_en == "renamed"
        s.rollback()


def test_a_retired_configurable_offering_takes_no_new_orders(shop):
    api, conf = shop["api"], shop["conf"]
    r = api.patch(f"{API}/offerings/{conf['id']}", json={"status": "retired", "version": conf["version"]})
    assert r.status_code == 200 and r.json()["status"] == "retired"
    r = api.post(
        f"{API}/orders", json={"configurable_id": conf["id"], "customer_id": shop["customer"].id, "choices": {}}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "configurable_id"
    assert api.get(f"{API}/offerings", params={"status": "retired"}).json()["items"][0]["id"] == conf["id"]
