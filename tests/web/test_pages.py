"""The server-rendered web UI, through the real app on both databases (``app`` / ``db`` fixtures).

Covers: login / logout and safe ``next``; every list, detail, new and edit page for a service
manager in Chinese and English with every label resolved; forms that keep what the user typed and
show each error next to its field; lifecycle transitions with refusal reasons; CSRF; role and
tenant isolation (customer user, evaluator, another tenant's rows); the KPI dashboard.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from somp.core.identity import Role
from somp.core.tenancy import Scope
from tests.factories import (
    PASSWORD,
    make_asset,
    make_contract,
    make_customer,
    make_invoice,
    make_offering,
    make_product,
    make_tenant,
    make_user,
    make_work_order,
)
from tests.web.helpers import WebClient, csrf_of, raw_keys


def issue(db, tenant, invoice_id: int) -> None:
    from somp.modules.invoicing.schemas import InvoiceTransition
    from somp.modules.invoicing.service import transition_invoice

    with db.session(Scope.tenant(tenant.id)) as s:
        transition_invoice(s, invoice_id, InvoiceTransition(to_status="issued"))
        s.commit()


@pytest.fixture
def world(db):
    t = make_tenant(db, name="甲企业")
    sm = make_user(db, t, Role.service_manager, username="manager1")
    p = make_product(db, t, code="P-WEB", name="螺杆空压机")
    o = make_offering(db, t, p.id, code="O-WEB")
    c = make_customer(db, t, code="C-WEB", name="客户甲")
    c2 = make_customer(db, t, code="C-WEB2", name="客户乙")
    a = make_asset(db, t, p.id, c.id, serial_number="SN-WEB-1", state="in_service")
    a2 = make_asset(db, t, p.id, c2.id, serial_number="SN-WEB-2", state="in_service")
    k = make_contract(db, t, c.id, o.id, [a.id], number="CT-WEB")
    w = make_work_order(db, t, a.id, number="WO-WEB", priority="critical")
    i = make_invoice(db, t, c.id, number="INV-WEB")
    return dict(
        tenant=t,
        sm=sm,
        product=p,
        offering=o,
        customer=c,
        customer2=c2,
        asset=a,
        asset2=a2,
        contract=k,
        work_order=w,
        invoice=i,
    )


# ------------------------------------------------------------------------------------ login


def test_login_logout_and_wrong_password(app, world):
    http = TestClient(app, follow_redirects=False)
    r = http.get("/assets")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fassets"
    page = http.get(r.headers["location"])
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "登录" in page.text
    token = csrf_of(page.text)
    bad = http.post(
        "/login",
        data={"username": "manager1", "password": "wrong-password-1", "csrf_token": token, "next": "/assets"},
    )
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    assert 'value="manager1"' in bad.text and "wrong-password-1" not in bad.text
    assert http.get("/assets").status_code == 303
    # an off-site ``next`` is refused: the login lands on a page of this site
    ok = http.post(
        "/login",
        data={"username": "manager1", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    home = http.get("/")
    assert home.status_code == 200 and world["sm"].display_name in home.text
    assert http.post("/logout", data={}).status_code == 403  # no CSRF token
    r = http.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert http.get("/").status_code == 303


def test_login_keeps_relative_next_and_user_language(app, db, world):
    make_user(db, world["tenant"], Role.service_manager, username="english1", language="en")
    http = TestClient(app, follow_redirects=False)
    token = csrf_of(http.get("/login").text)
    r = http.post(
        "/login",
        data={
            "username": "english1",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/assets?state=in_service",
        },
    )
    assert r.headers["location"] == "/assets?state=in_service"
    page = http.get(r.headers["location"])
    assert 'lang="en"' in page.text and "Assets" in page.text and "SN-WEB-1" in page.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/assets?state=in_service", "/assets?state=in_service"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("assets", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next_allows_only_relative_urls(value, expected):
    from somp.web.context import safe_next

    assert safe_next(value) == expected


# ------------------------------------------------------------------------------------ every page


def _pages(w: dict) -> list[str]:
    out = [
        "/",
        "/terminology",
        "/terminology?q=service&framework=1.3",
        "/tenants",
        f"/tenants/{w['tenant'].id}",
    ]
    for base, key in (
        ("customers", "customer"),
        ("products", "product"),
        ("offerings", "offering"),
        ("assets", "asset"),
        ("contracts", "contract"),
        ("work-orders", "work_order"),
    ):
        out += [f"/{base}", f"/{base}/new", f"/{base}/{w[key].id}", f"/{base}/{w[key].id}/edit"]
    out += ["/invoices", "/invoices/new", f"/invoices/{w['invoice'].id}", f"/invoices/{w['invoice'].id}/edit"]
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_for_a_service_manager(app, db, world, lang):
    from somp.web.render import MISSING

    MISSING.clear()
    web = WebClient(app, "manager1", lang=lang)
    html_lang = 'lang="zh-CN"' if lang == "zh" else 'lang="en"'
    for url in _pages(world):
        r = web.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:500])
        assert html_lang in r.text, url
        assert not raw_keys(r.text), (url, raw_keys(r.text))
    assert not MISSING, sorted(MISSING)
    assets = web.get("/assets").text
    assert ("设备资产" if lang == "zh" else "Assets") in assets
    assert ("在役" if lang == "zh" else "In service") in assets
    detail = web.get(f"/work-orders/{world['work_order'].id}").text
    assert ("紧急" if lang == "zh" else "Critical") in detail
    # navigation: grouped by the four framework areas, only what a service manager may open
    home = web.get("/").text
    assert ("基础通用" if lang == "zh" else "Foundations") in home
    assert ("业务类型" if lang == "zh" else "Business types") in home
    assert 'href="/users"' not in home and 'href="/evaluation"' not in home


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_admin_pages_render(app, db, world, lang):
    from somp.web.render import MISSING

    MISSING.clear()
    admin = make_user(db, world["tenant"], Role.tenant_admin, username="tadmin1")
    web = WebClient(app, admin.username, lang=lang)
    for url in (
        "/users",
        "/users/new",
        f"/users/{admin.id}",
        f"/users/{admin.id}/edit",
        f"/tenants/{world['tenant'].id}/edit",
    ):
        r = web.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert not raw_keys(r.text), (url, raw_keys(r.text))
    assert web.get("/tenants/new").status_code == 403  # creating tenants is the platform's job
    root = make_user(db, None, Role.platform_admin, username="root1")
    web = WebClient(app, root.username, lang=lang)
    for url in ("/tenants", "/tenants/new", f"/tenants/{world['tenant'].id}/edit", "/users", "/users/new"):
        r = web.get(url)
        assert r.status_code == 200, (url, r.text[:300])
    assert web.get("/assets").status_code == 403
    assert not MISSING, sorted(MISSING)


def test_pages_render_with_no_data(app, db):
    t = make_tenant(db)
    make_user(db, t, Role.tenant_admin, username="emptyadmin")
    web = WebClient(app, "emptyadmin")
    for url in (
        "/",
        "/assets",
        "/customers",
        "/products",
        "/offerings",
        "/contracts",
        "/work-orders",
        "/invoices",
        "/users",
        "/assets/new",
        "/contracts/new",
        "/invoices/new",
        "/work-orders/new",
        "/offerings/new",
    ):
        r = web.get(url)
        assert r.status_code == 200, (url, r.text[:300])
    home = web.get("/").text
    assert "暂无数据" in home and "0.0%" not in home


# ------------------------------------------------------------------------------------ forms


def test_form_error_keeps_submitted_values_and_shows_field_messages(app, world):
    web = WebClient(app, "manager1")
    r = web.post(
        "/customers/new",
        {"code": "C WEB 9", "name": "新客户丙", "contact_email": "not-an-email", "address": "苏州工业园区"},
    )
    assert r.status_code == 422
    html = r.text
    assert 'value="新客户丙"' in html and 'value="苏州工业园区"' in html and 'value="not-an-email"' in html
    assert 'id="err-contact_email"' in html and 'id="err-code"' in html
    assert re.search(r'id="f-code"[^>]*aria-invalid="true"', html)
    assert "格式不正确" in html  # Pydantic's pattern error, in the user's language
    # a service refusal (duplicate code) lands on its field too
    r = web.post("/customers/new", {"code": "C-WEB", "name": "重复"})
    assert r.status_code == 422 and 'id="err-code"' in r.text and "已被使用" in r.text
    assert 'value="重复"' in r.text
    # nested inputs: a BOM row keeps its values and shows the error in its cell
    r = web.post(
        "/products/new",
        {
            "code": "P-NEW",
            "name": "新产品",
            "category": "pump",
            "status": "active",
            "bom.0.part_number": "PN-1",
            "bom.0.description": "叶轮",
            "bom.0.quantity": "abc",
        },
    )
    assert r.status_code == 422
    assert 'id="err-bom-0-quantity"' in r.text and 'value="abc"' in r.text and 'value="叶轮"' in r.text
    # values the database cannot take are form errors, not server errors
    r = web.post("/assets/new", {"serial_number": "SN-HUGE", "product_id": str(10**30)})
    assert r.status_code == 422 and 'value="SN-HUGE"' in r.text
    r = web.get("/assets?customer_id=" + "9" * 30)
    assert r.status_code == 200 and "筛选值无效" in r.text
    # the edit form keeps the submitted values as well
    url = f"/customers/{world['customer'].id}/edit"
    r = web.post(url, {"name": "", "contact_phone": "12"})
    assert r.status_code == 422 and 'id="err-name"' in r.text and 'value="12"' in r.text


def test_create_and_edit_through_the_forms(app, db, world):
    web = WebClient(app, "manager1")
    w = world
    r = web.post(
        "/products/new",
        {
            "code": "P-FORM",
            "name": "离心泵",
            "category": "pump",
            "status": "active",
            "list_price": "12000",
            "spec": '{"rated_power_kw": 7.5}',
            "bom.0.part_number": "PN-1",
            "bom.0.description": "叶轮",
            "bom.0.quantity": "2",
            "bom.0.spare_part": "on",
            "bom.2.part_number": "PN-2",
            "bom.2.description": "机封",
            "bom.2.quantity": "1",
        },
    )
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"]).text
    assert "PN-1" in page and "PN-2" in page and "离心泵" in page and "rated_power_kw" in page
    product_id = int(r.headers["location"].rsplit("/", 1)[1])
    r = web.post(
        "/offerings/new",
        {
            "code": "O-FORM",
            "name": "泵即服务",
            "product_id": str(product_id),
            "price_model": "availability_based",
            "status": "active",
            "currency": "CNY",
            "billing_period": "month",
            "periodic_fee": "800",
            "sla.availability_target_pct": "99",
            "sla.per_priority.high.response_hours": "4",
            "sla.per_priority.high.resolution_hours": "24",
            "service_items.0.kind": "remote_monitoring",
            "service_items.0.name": "远程监测",
            "service_items.0.included": "on",
        },
    )
    assert r.status_code == 303, r.text
    offering_url = r.headers["location"]
    page = web.get(offering_url).text
    assert "远程监测" in page and "按可用性" in page and "24" in page
    edit = web.get(offering_url + "/edit").text
    assert 'value="99"' in edit and 'name="sla.per_priority.high.resolution_hours"' in edit
    # an SLA row whose resolution is shorter than its response is refused next to the SLA
    r = web.post(
        offering_url + "/edit",
        {
            "name": "泵即服务",
            "status": "active",
            "billing_period": "month",
            "periodic_fee": "800",
            "sla.availability_target_pct": "99",
            "sla.per_priority.high.response_hours": "8",
            "sla.per_priority.high.resolution_hours": "2",
            "version": "1",
        },
    )
    assert r.status_code == 422 and "resolution_hours must not be shorter" in r.text
    r = web.post(
        "/assets/new",
        {
            "serial_number": "SN-FORM-1",
            "product_id": str(product_id),
            "customer_id": str(w["customer"].id),
            "state": "manufactured",
        },
    )
    assert r.status_code == 303, r.text
    asset_url = r.headers["location"]
    r = web.post(asset_url + "/edit", {"customer_id": str(w["customer"].id), "site_name": "苏州二厂", "version": "1"})
    assert r.status_code == 303
    assert "苏州二厂" in web.get(asset_url).text
    asset_id = int(asset_url.rsplit("/", 1)[1])
    r = web.post(
        "/contracts/new",
        [
            ("customer_id", str(w["customer"].id)),
            ("offering_id", str(w["offering"].id)),
            ("start_date", "2030-01-01"),
            ("end_date", "2031-01-01"),
            ("asset_ids", str(asset_id)),
        ],
    )
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"]).text
    assert "SN-FORM-1" in page and "CT-2030-" in page
    r = web.post(
        "/work-orders/new",
        {"kind": "preventive", "priority": "high", "asset_id": str(w["asset"].id), "title": "季度保养"},
    )
    assert r.status_code == 303, r.text
    wo_url = r.headers["location"]
    r = web.post(
        wo_url + "/edit",
        {
            "priority": "high",
            "title": "季度保养",
            "labour_hours": "2.5",
            "labour_cost": "300",
            "version": "1",
        },
    )
    assert r.status_code == 303, r.text
    assert "300.00" in web.get(wo_url).text
    r = web.post(
        "/invoices/new",
        {
            "kind": "invoice",
            "customer_id": str(w["customer"].id),
            "issued_on": "2025-06-30",
            "currency": "CNY",
            "lines.0.category": "service",
            "lines.0.description": "远程监测费",
            "lines.0.quantity": "3",
            "lines.0.unit_price": "1000",
        },
    )
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"]).text
    assert "远程监测费" in page and "3,000.00" in page
    r = web.post(
        "/invoices/new",
        {
            "kind": "invoice",
            "customer_id": str(w["customer"].id),
            "issued_on": "2025-06-30",
            "currency": "CNY",
        },
    )
    assert r.status_code == 422 and 'id="err-lines"' in r.text


def test_users_and_tenants_forms(app, db, world):
    admin = make_user(db, world["tenant"], Role.tenant_admin, username="tadmin2")
    web = WebClient(app, admin.username)
    r = web.post(
        "/users/new",
        [
            ("username", "engineer7"),
            ("display_name", "工程师七"),
            ("password", "short"),
            ("roles", "engineer"),
            ("language", "zh"),
        ],
    )
    assert r.status_code == 422 and 'id="err-password"' in r.text and 'value="engineer7"' in r.text
    assert 'value="engineer" checked' in r.text
    r = web.post(
        "/users/new",
        [
            ("username", "engineer7"),
            ("display_name", "工程师七"),
            ("password", "long-enough-7"),
            ("roles", "engineer"),
            ("language", "zh"),
        ],
    )
    assert r.status_code == 303, r.text
    user_url = r.headers["location"]
    r = web.post(
        user_url + "/edit",
        [("display_name", "工程师七号"), ("roles", "engineer"), ("language", "en"), ("active", "on")],
    )
    assert r.status_code == 303, r.text
    assert "工程师七号" in web.get(user_url).text
    assert WebClient(app, "engineer7", password="long-enough-7").get("/").status_code == 200
    r = web.post(
        f"/tenants/{world['tenant'].id}/edit",
        {"name": "甲企业（新）", "industry_code": "C3441", "region_code": "320500", "size_class": "medium"},
    )
    assert r.status_code == 303, r.text
    assert "甲企业（新）" in web.get(f"/tenants/{world['tenant'].id}").text


# ------------------------------------------------------------------------------------ lifecycle


def test_asset_transitions_with_refusal_reasons(app, db, world):
    web = WebClient(app, "manager1")
    a = make_asset(db, world["tenant"], world["product"].id, world["customer"].id, serial_number="SN-LIFE")
    url = f"/assets/{a.id}"
    page = web.get(url).text
    buttons = re.findall(r'name="to_state" value="(\w+)"', page)
    assert buttons == ["delivered", "retired"]  # allowed_next(manufactured), in lifecycle order
    # a move the state machine does not allow: refused, with its reason, the typed reason kept
    r = web.post(url + "/transition", {"to_state": "in_service", "reason": "客户催促投运", "version": "1"})
    assert r.status_code == 409
    assert "设备尚未交付" in r.text  # the refusal reason, in the page's language
    assert "不允许此状态变更" in r.text and "客户催促投运" in r.text
    r = web.post(url + "/transition", {"to_state": "delivered", "reason": "发货"})
    assert r.status_code == 303 and r.headers["location"] == url
    page = web.get(url).text
    assert "状态已变更为“已交付”" in page
    # a guard: installing needs the site first
    r = web.post(url + "/transition", {"to_state": "installed"})
    assert r.status_code == 409 and "请先填写安装地点（地址或坐标）" in r.text
    assert web.post(url + "/edit", {"customer_id": str(world["customer"].id), "site_name": "无锡厂"}).status_code == 303
    for state in ("installed", "in_service", "degraded"):
        r = web.post(url + "/transition", {"to_state": state})
        assert r.status_code == 303, (state, r.text[:2000])
    page = web.get(url).text
    timeline = page[page.index("生命周期时间线") :]
    for label in ("制造", "交付", "安装", "在役", "劣化"):
        assert label in timeline
    assert "发货" in timeline
    # contracts and invoices use the same mechanism
    r = web.post(f"/invoices/{world['invoice'].id}/transition", {"to_status": "paid"})
    assert r.status_code == 409 and "不能从“草稿”变更为“已付款”" in r.text
    assert web.post(f"/invoices/{world['invoice'].id}/transition", {"to_status": "issued"}).status_code == 303
    r = web.post(f"/work-orders/{world['work_order'].id}/transition", {"to_status": "in_progress", "note": "到场"})
    assert r.status_code == 303
    assert "到场" in web.get(f"/work-orders/{world['work_order'].id}").text


def test_device_token_secret_is_shown_once(app, world):
    web = WebClient(app, "manager1")
    url = f"/assets/{world['asset'].id}"
    r = web.post(url + "/device-tokens", {"name": "网关一"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(somp_dev_[^"]+)"', r.text).group(1)
    page = web.get(url).text
    assert "网关一" in page and secret not in page
    token_id = re.search(r"/device-tokens/(\d+)/revoke", page).group(1)
    r = web.post(f"{url}/device-tokens/{token_id}/revoke")
    assert r.status_code == 303
    assert f"/device-tokens/{token_id}/revoke" not in web.get(url).text
    r = web.post(url + "/device-tokens", {"name": ""})
    assert r.status_code == 422 and 'id="token-name-error"' in r.text


# ------------------------------------------------------------------------------------ security


def test_post_without_csrf_token_is_refused(app, db, world):
    web = WebClient(app, "manager1")
    asset = world["asset"]
    r = web.post("/customers/new", {"code": "C-NOCSRF", "name": "x"}, csrf=False)
    assert r.status_code == 403 and "表单已过期" in r.text
    r = web.post(f"/assets/{asset.id}/transition", {"to_state": "degraded", "csrf_token": "forged"}, csrf=False)
    assert r.status_code == 403
    r = web.post(f"/assets/{asset.id}/edit", {"site_name": "x"}, csrf=False)
    assert r.status_code == 403
    r = web.post(f"/assets/{asset.id}/device-tokens", {"name": "x"}, csrf=False)
    assert r.status_code == 403
    assert "C-NOCSRF" not in web.get("/customers").text
    assert "在役" in web.get(f"/assets/{asset.id}").text


def test_customer_user_sees_only_their_customers_assets(app, db, world):
    make_user(db, world["tenant"], Role.customer_user, customer_id=world["customer"].id, username="custuser1")
    web = WebClient(app, "custuser1")
    page = web.get("/assets").text
    assert "SN-WEB-1" in page and "SN-WEB-2" not in page
    assert 'href="/assets/new"' not in page
    assert web.get(f"/assets/{world['asset2'].id}").status_code == 404
    detail = web.get(f"/assets/{world['asset'].id}").text
    assert 'name="to_state"' not in detail and "/edit" not in detail
    assert web.post(f"/assets/{world['asset'].id}/transition", {"to_state": "degraded"}).status_code == 403
    assert web.get("/customers").status_code == 403
    assert "INV-WEB" in web.get("/invoices").text
    home = web.get("/").text
    assert 'href="/customers"' not in home and "服务收入占比" not in home


def test_evaluator_sees_evaluation_but_no_tenant_pages(app, db, world):
    t = world["tenant"]
    inv = make_invoice(db, t, world["customer"].id, number="INV-EVAL", issued_on=dt.date(2025, 5, 1))
    issue(db, t, inv.id)
    make_user(db, None, Role.evaluator, username="evaluator7")
    web = WebClient(app, "evaluator7")
    for url in (
        "/assets",
        "/customers",
        "/tenants",
        "/users",
        "/products",
        "/offerings",
        "/contracts",
        "/work-orders",
        "/invoices",
        f"/assets/{world['asset'].id}",
        f"/tenants/{t.id}",
        "/assets/new",
    ):
        r = web.get(url)
        assert r.status_code == 403, url
        assert "无权访问" in r.text
    r = web.get("/evaluation?year=2025")
    assert r.status_code == 200
    assert "甲企业" in r.text and t.uscc in r.text
    assert "4.6%" in r.text  # 12,000 service / 262,000 total revenue
    assert "SN-WEB-1" not in r.text and "客户甲" not in r.text and "INV-EVAL" not in r.text
    home = web.get("/").text
    assert 'href="/evaluation"' in home and 'href="/assets"' not in home
    assert web.get("/evaluation?year=abc&region_code=x").status_code == 200


def test_another_tenants_rows_are_not_found(app, db, world):
    other = make_tenant(db, name="乙企业")
    p = make_product(db, other, code="P-OTHER")
    o = make_offering(db, other, p.id, code="O-OTHER")
    c = make_customer(db, other, code="C-OTHER")
    a = make_asset(db, other, p.id, c.id, serial_number="SN-OTHER", state="in_service")
    k = make_contract(db, other, c.id, o.id, [a.id], number="CT-OTHER")
    w = make_work_order(db, other, a.id, number="WO-OTHER")
    i = make_invoice(db, other, c.id, number="INV-OTHER")
    web = WebClient(app, "manager1")
    for url in (
        f"/tenants/{other.id}",
        f"/customers/{c.id}",
        f"/products/{p.id}",
        f"/offerings/{o.id}",
        f"/assets/{a.id}",
        f"/contracts/{k.id}",
        f"/work-orders/{w.id}",
        f"/invoices/{i.id}",
        f"/assets/{a.id}/edit",
        f"/contracts/{k.id}/edit",
        f"/customers/{c.id}/edit",
    ):
        r = web.get(url)
        assert r.status_code == 404, url
        assert "OTHER" not in r.text and r.headers["content-type"].startswith("text/html")
    assert web.post(f"/assets/{a.id}/transition", {"to_state": "degraded"}).status_code == 404
    assert web.post(f"/assets/{a.id}/edit", {"site_name": "hijack"}).status_code == 404
    assert web.post(f"/assets/{a.id}/device-tokens", {"name": "stolen"}).status_code == 404
    for url in (
        "/assets",
        "/customers",
        "/contracts",
        "/work-orders",
        "/invoices",
        "/products",
        "/offerings",
        "/tenants",
        f"/assets?customer_id={c.id}",
    ):
        assert "OTHER" not in web.get(url).text, url
    with db.session(Scope.tenant(other.id)) as s:
        from somp.modules.assets.models import Asset

        row = s.get(Asset, a.id)
        assert row.state.value == "in_service" and row.site_name == "苏州工厂"


def test_api_paths_keep_problem_json_and_pages_get_html(app, world):
    http = TestClient(app)
    r = http.get("/api/v1/assets/999999")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert http.get("/api/v1/no-such-route").headers["content-type"].startswith("application/problem+json")
    web = WebClient(app, "manager1")
    r = web.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "未找到" in r.text
    assert web.get("/assets/not-a-number").status_code == 404


# ------------------------------------------------------------------------------------ lists


def test_lists_filter_and_page_with_cursors(app, db, world):
    from somp.modules.customers.schemas import CustomerCreate
    from somp.modules.customers.service import create_customer

    with db.session(Scope.tenant(world["tenant"].id)) as s:
        for n in range(30):
            create_customer(s, CustomerCreate(code=f"PAGE-{n:02d}", name=f"分页客户{n}"))
        s.commit()
    web = WebClient(app, "manager1")
    first = web.get("/customers?q=PAGE").text
    codes = re.findall(r">(PAGE-\d\d)<", first)
    assert len(codes) == 25 and codes[0] == "PAGE-29"  # newest first
    nxt = re.search(r'href="(/customers\?[^"]*cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = web.get(nxt).text
    codes2 = re.findall(r">(PAGE-\d\d)<", second)
    assert len(codes2) == 5 and not set(codes) & set(codes2)
    assert 'rel="next"' not in second and "第一页" in second
    assert "SN-WEB-1" in web.get("/assets?state=in_service").text
    assert "SN-WEB-1" not in web.get("/assets?state=failed").text
    r = web.get("/assets?state=bogus&cursor=garbage")
    assert r.status_code == 200 and "筛选值无效" in r.text


# ------------------------------------------------------------------------------------ dashboard


def test_dashboard_kpis_counts_and_chart_data(app, db, world):
    t = world["tenant"]
    last_year = dt.date.today().year - 1
    inv = make_invoice(db, t, world["customer"].id, number="INV-KPI", issued_on=dt.date(last_year, 6, 30))
    issue(db, t, inv.id)
    web = WebClient(app, "manager1")
    html = web.get("/").text
    # latest full year: 12,000 of 262,000 is service revenue; the current year has no data (not 0%)
    assert re.search(rf'data-kpi="service_revenue_share" data-period="{last_year}">4\.6%<', html)
    assert re.search(rf'data-kpi="service_revenue_share" data-period="{last_year + 1}">暂无数据<', html)
    assert re.search(rf'data-kpi="service_profit_margin" data-period="{last_year + 1}">暂无数据<', html)
    assert "解读文章建议用于衡量领军品牌的财务指标之一" in html  # the glossary definition under the card
    assert '<script src="/static/plotly/plotly.min.js"></script>' in html
    raw = re.search(r'<script type="application/json" id="kpi-data">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert len(data["periods"]) == 8 and len(data["kpis"]) == 3
    assert sum(data["revenue"]["service"]) == pytest.approx(12000.0)
    assert re.search(r'data-count="open-work-orders">1<', html)
    assert re.search(r'data-state="in_service">2<', html)


def test_json_embedding_cannot_close_the_script_element():
    from somp.web.render import json_script

    out = str(json_script({"name": "</script><script>alert(1)</script>", "amp": "a&b", "d": Decimal("1.5")}))
    assert "</" not in out and "<" not in out
    assert json.loads(out) == {"name": "</script><script>alert(1)</script>", "amp": "a&b", "d": "1.5"}


def test_pages_carry_security_headers_and_the_api_does_not(app):
    http = TestClient(app, follow_redirects=False)
    page = http.get("/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "content-security-policy" not in http.get("/api/v1/health").headers
    assert "content-security-policy" not in http.get("/docs").headers


def test_static_assets_are_served(app):
    http = TestClient(app)
    assert http.get("/static/somp.css").status_code == 200
    assert http.get("/static/dashboard.js").status_code == 200
    r = http.head("/static/plotly/plotly.min.js")
    assert r.status_code == 200


def test_a_draft_invoice_is_corrected_through_its_edit_page(app, db, world):
    web = WebClient(app, world["sm"].username)
    inv = world["invoice"]
    page = web.get(f"/invoices/{inv.id}/edit")
    assert page.status_code == 200 and 'name="lines.0.description"' in page.text
    issued_on = re.search(r'name="issued_on"[^>]*value="([^"]+)"', page.text).group(1)
    r = web.post(
        f"/invoices/{inv.id}/edit",
        {
            "issued_on": issued_on,
            "notes": "更正数量",
            "lines.0.category": "service",
            "lines.0.description": "压缩空气",
            "lines.0.quantity": "10",
            "lines.0.unit_price": "2.5",
        },
    )
    assert r.status_code == 303, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))[-3000:]
    detail = web.get(f"/invoices/{inv.id}").text
    assert "更正数量" in detail and "25.00" in detail


def test_sign_in_is_throttled_after_repeated_failures(app, db, world):
    from fastapi.testclient import TestClient

    from tests.web.helpers import csrf_of

    app.state.auth.throttle.limit = 2
    http = TestClient(app, follow_redirects=False)
    for expected in (401, 401, 429):
        token = csrf_of(http.get("/login").text)
        r = http.post(
            "/login",
            data={"username": world["sm"].username, "password": "wrong-password-9", "csrf_token": token, "next": "/"},
        )
        assert r.status_code == expected
    assert "登录失败次数过多" in r.text
