"""Pages of the configurator and C2M orders (server-rendered; the browser test drives the live
updates): greyed-out options with their reasons, a conflict with its rules in Chinese and English,
the JSON state route, confirming into an order, the order's bill of options and state machine."""

from __future__ import annotations

import re

import pytest

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.customization import service
from somp.modules.customization.schemas import ModelImport
from somp.web.render import MISSING
from tests.customization.factories import model_text
from tests.factories import PASSWORD, make_customer, make_offering, make_product, make_tenant, make_user
from tests.web.helpers import WebClient, raw_keys


@pytest.fixture
def site(app, db):
    t = make_tenant(db, name="澄风压缩机")
    for c in ("CF-37A", "CF-55V"):
        make_product(db, t, code=c)
    p = make_product(db, t, code="CF-75A")
    make_offering(db, t, p.id, code="OF-SALE-24")
    customer = make_customer(db, t, code="C-ZJ", name="浙江纺织")
    make_user(db, t, Role.service_manager, username="cfgweb")
    with db.session(Scope.tenant(t.id)) as s:
        conf, *_ = service.import_model(s, ModelImport(document=model_text()), None)
        s.commit()
    return {"tenant": t, "conf": conf, "customer": customer}


def _option(html: str, code: str) -> str:
    m = re.search(rf'<div class="cfg-option state-(\w+)" data-option="{code}">(.*?)</div>', html, re.S)
    assert m, code
    return m.group(1) + m.group(2)


def test_configurator_greys_out_an_option_with_the_rule_that_rules_it_out(app, site):
    web = WebClient(app, "cfgweb", PASSWORD)
    url = f"/customization/offerings/{site['conf'].id}"
    r = web.get(url + "?c=m37")
    assert r.status_code == 200
    desiccant = _option(r.text, "desiccant")
    assert desiccant.startswith("impossible")
    assert "不可选：吸附式干燥机不能与CF-37A 37 kW 定频同时选择" in desiccant
    assert _option(r.text, "m37").startswith("chosen") and _option(r.text, "refrig").startswith("open")
    assert 'id="cfg-total">96,000.00 CNY' in r.text
    assert raw_keys(r.text) == [] and not MISSING


def test_conflict_is_listed_with_its_rules_in_english_too(app, site):
    web = WebClient(app, "cfgweb", PASSWORD, lang="en")
    url = f"/customization/offerings/{site['conf'].id}"
    r = web.get(url + "?c=m37&lo.air_flow=12")
    assert r.status_code == 200
    box = re.search(r'<section id="cfg-conflict"(.*?)</section>', r.text, re.S).group(1)
    assert "hidden" not in box.split(">")[0]
    assert "customer requires air flow at least 12 m³/min" in box and "Machine: choose exactly 1" in box
    assert re.search(r'id="cfg-confirm-button"\s+disabled', r.text)
    state = web.get(url + "/state?c=m37&c=desiccant").json()
    assert state["status"] == "conflict"
    assert [(i["kind"], i["code"]) for i in state["conflict"]] == [
        ("rule", "small_desiccant"), ("choice", "m37"), ("choice", "desiccant")
    ]  # fmt: skip
    assert state["conflict"][0]["message"] == "desiccant dryer cannot be combined with CF-37A 37 kW fixed speed"
    bad = web.get(url + "/state?c=m99").json()
    assert bad["status"] == "invalid" and "m99" in bad["errors"][0]
    assert web.get(url + "?c=m99").status_code == 200  # the page shows the reason with the plain model
    bad = web.get(url + "/state?lo.air_flow=lots").json()
    assert bad["status"] == "invalid" and bad["errors"][0].startswith("requirements.air_flow.low")


def test_confirm_makes_an_order_whose_page_shows_the_bill_of_options_and_moves_through_states(app, site):
    web = WebClient(app, "cfgweb", PASSWORD)
    url = f"/customization/offerings/{site['conf'].id}"
    r = web.post(url + "/confirm", {"query": "c=m75&c=remote", "customer_id": site["customer"].id, "quantity": "2",
                                   "model_version": "1"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/customization/orders/")
    detail = web.get(r.headers["location"])
    assert detail.status_code == 200
    # 96000 + 86000 + 25000 (vsd) + 12000 (refrig) + 3000 (remote) = 222000, twice
    assert "444,000.00" in detail.text and "CF-75A" in detail.text and "冷冻式干燥机" in detail.text
    assert "已下达生产" in detail.text
    r = web.post(r.headers["location"] + "/transition", {"to_status": "in_production"})
    assert r.status_code == 303
    assert "生产中" in web.get(r.headers["location"]).text
    listing = web.get("/customization/orders")
    assert listing.status_code == 200 and "C2M-" in listing.text
    assert raw_keys(listing.text) == [] and not MISSING
    # a conflicting configuration is not ordered: back to the configurator with the reason
    r = web.post(url + "/confirm", {"query": "c=m37&c=desiccant", "customer_id": site["customer"].id,
                                   "quantity": "1"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith(url + "?")
    assert "未能下单" in web.get(r.headers["location"]).text


def test_configurable_list_links_to_the_configurator(app, site):
    web = WebClient(app, "cfgweb", PASSWORD)
    r = web.get("/customization/offerings")
    assert r.status_code == 200 and f'href="/customization/offerings/{site["conf"].id}"' in r.text
    assert "澄风 CF 系列螺杆空压机" in r.text


def test_customer_user_configures_without_ordering_and_sees_only_own_orders(app, db, site):
    from somp.modules.customization import orders
    from somp.modules.customization.schemas import C2MOrderCreate

    other = make_customer(db, site["tenant"], code="C-SH", name="上海电子")
    with db.session(Scope.tenant(site["tenant"].id)) as s:
        mine = orders.confirm(s, C2MOrderCreate(configurable_id=site["conf"].id, customer_id=site["customer"].id,
                                                choices={}))  # fmt: skip
        theirs = orders.confirm(s, C2MOrderCreate(configurable_id=site["conf"].id, customer_id=other.id, choices={}))
        s.commit()
    make_user(db, site["tenant"], Role.customer_user, customer_id=site["customer"].id, username="cfgcustomer")
    web = WebClient(app, "cfgcustomer", PASSWORD)
    r = web.get(f"/customization/offerings/{site['conf'].id}?c=m55")
    assert r.status_code == 200 and 'id="cfg-confirm"' not in r.text
    listing = web.get("/customization/orders").text
    assert mine.number in listing and theirs.number not in listing
    assert web.get(f"/customization/orders/{theirs.id}").status_code == 404
    r = web.post(f"/customization/offerings/{site['conf'].id}/confirm",
                 {"query": "c=m55", "customer_id": site["customer"].id, "quantity": "1"})  # fmt: skip
    assert r.status_code == 403


def test_a_pasted_model_file_is_stored_or_refused_with_its_paths_and_exported(app, site):
    web = WebClient(app, "cfgweb", PASSWORD)
    exported = web.get(f"/customization/offerings/{site['conf'].id}/export")
    assert exported.status_code == 200 and "CF-C2M-v1.yaml" in exported.headers["content-disposition"]
    assert "offering: OF-SALE-24" in exported.text
    edited = exported.text.replace("base_price: '96000.00'", "base_price: '97000.00'")
    assert edited != exported.text
    r = web.post("/customization/offerings/import", {"document": edited, "note": "涨价"})
    assert r.status_code == 303 and r.headers["location"] == f"/customization/offerings/{site['conf'].id}"
    page_ = web.get(r.headers["location"]).text
    assert "已保存 CF-C2M 第 2 版" in page_ and "97,000.00 CNY" in page_
    r = web.post("/customization/offerings/import", {"document": edited})
    assert "与第 2 版相同" in web.get(r.headers["location"]).text
    typo = edited.replace("option: desiccant", "option: desiccan")
    assert typo != edited
    bad = web.post("/customization/offerings/import", {"document": typo})
    assert bad.status_code == 422
    assert "document.rules.3.option" in bad.text and "unknown option &#39;desiccan&#39;" in bad.text
    assert "option: desiccan\n" in bad.text  # the pasted text is kept for correction
    assert raw_keys(bad.text) == [] and not MISSING
