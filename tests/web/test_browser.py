"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright's sync API).

The app runs under uvicorn in a background thread against a temp-file SQLite database built by
the Alembic migrations and filled through the services. The scenario: sign in, register an asset
through the form, move it along its lifecycle with the state buttons (one move refused with its
reason), open the dashboard and see the Plotly charts drawn from invoice data, switch to English.
Screenshots go to the test's temp folder (and ``SOMP_SCREENSHOT_DIR`` if set).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(db) -> dict:
    from argon2 import PasswordHasher

    from somp.core import security
    from somp.core.identity import Role
    from somp.core.tenancy import Scope
    from somp.modules.invoicing.schemas import InvoiceTransition
    from somp.modules.invoicing.service import transition_invoice
    from tests.factories import (
        make_customer,
        make_invoice,
        make_offering,
        make_product,
        make_tenant,
        make_user,
    )

    with pytest.MonkeyPatch.context() as mp:  # cheap argon2 parameters for the test user
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州压缩机有限公司")
        make_user(db, t, Role.service_manager, username="browser1", display_name="王经理")
    p = make_product(db, t, code="P-BR", name="螺杆空压机 55kW")
    make_offering(db, t, p.id, code="O-BR", name="压缩空气即服务")
    c = make_customer(db, t, code="C-BR", name="无锡纺织厂")
    today = dt.date.today()
    days = [dt.date(today.year - 1, m, 15) for m in (2, 5, 8, 11)] + [dt.date(today.year, 1, 10)]
    for n, day in enumerate(days):
        inv = make_invoice(
            db,
            t,
            c.id,
            number=f"INV-BR-{n}",
            issued_on=day,
            lines=[
                {
                    "category": "product",
                    "description": "空压机",
                    "quantity": "1",
                    "unit_price": str(200000 - 20000 * n),
                },
                {
                    "category": "service",
                    "description": "压缩空气",
                    "quantity": str(100000 + 40000 * n),
                    "unit": "m3",
                    "unit_price": "0.12",
                    "cost_amount": str(4000 + 1000 * n),
                },
            ],
        )
        with db.session(Scope.tenant(t.id)) as s:
            transition_invoice(s, inv.id, InvoiceTransition(to_status="issued"))
            s.commit()
    return {"product": p, "customer": c}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from somp.api.app import create_app
    from somp.core import migrate
    from somp.core.config import Settings
    from somp.core.database import Database

    folder = tmp_path_factory.mktemp("browser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    data = _seed(db)
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", data
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("SOMP_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path


def test_asset_lifecycle_dashboard_and_language_in_chromium(server, chromium, tmp_path):
    base, data = server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_default_timeout(15000)

    # sign in (the first page redirects to the login form)
    page.goto(base + "/assets")
    assert "/login" in page.url
    page.get_by_label("用户名").fill("browser1")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/assets")
    assert page.locator("h1").inner_text() == "设备资产"

    # register an asset through the form
    page.get_by_role("link", name="新建设备资产").click()
    page.get_by_role("textbox", name="序列号").fill("SN-BROWSER-1")
    page.get_by_role("combobox", name="产品", exact=True).select_option(str(data["product"].id))
    page.get_by_role("combobox", name="客户", exact=True).select_option(str(data["customer"].id))
    page.get_by_role("button", name="创建").click()
    page.wait_for_url(f"{base}/assets/*")
    asset_url = page.url
    assert "SN-BROWSER-1" in page.locator("h1").inner_text()
    assert page.locator("strong.state").inner_text() == "已制造"

    def move(state: str) -> None:
        page.locator(f'button[name="to_state"][value="{state}"]').click()
        page.wait_for_load_state()

    move("delivered")
    assert page.locator("strong.state").inner_text() == "已交付"
    # installing needs a site first: refused, with the reason, the state unchanged
    page.get_by_label("原因").fill("客户要求今天安装")
    move("installed")
    assert page.locator(".alert .refusal").inner_text() == "请先填写安装地点（地址或坐标）"
    assert page.locator("strong.state").inner_text() == "已交付"
    assert page.get_by_label("原因").input_value() == "客户要求今天安装"
    _shot(page, tmp_path, "asset-refused-zh")
    # record the site, then move on through the lifecycle
    page.goto(asset_url + "/edit")
    page.get_by_label("安装地点").fill("无锡纺织厂一车间")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(asset_url)
    for state, label in (("installed", "已安装"), ("in_service", "在役"), ("degraded", "性能劣化")):
        move(state)
        assert page.locator("strong.state").inner_text() == label
    assert sorted(page.locator('button[name="to_state"]').evaluate_all("els => els.map(e => e.value)")) == [
        "failed",
        "in_service",
        "retired",
        "under_maintenance",
    ]
    timeline = page.locator("section", has_text="生命周期时间线").inner_text()
    assert all(w in timeline for w in ("制造", "交付", "安装", "在役", "劣化"))
    _shot(page, tmp_path, "asset-detail-zh")

    # the dashboard: KPI cards and both Plotly charts drawn from the issued invoices
    page.goto(base + "/")
    page.wait_for_selector("#chart-kpis.js-plotly-plot .main-svg")
    page.wait_for_selector("#chart-revenue.js-plotly-plot .main-svg")
    assert page.locator("#chart-revenue .bars path").count() >= 2
    share = page.locator('[data-kpi="service_revenue_share"]').first.inner_text()
    assert share.endswith("%"), share
    assert page.locator('[data-count="open-work-orders"]').inner_text() == "0"
    shot = _shot(page, tmp_path, "dashboard-zh")
    assert shot.stat().st_size > 20000

    # English
    page.get_by_role("button", name="切换语言（English）").click()
    page.wait_for_selector("#chart-kpis .main-svg")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Dashboard"
    assert "Service revenue share" in page.locator(".kpi-cards").inner_text()
    assert "Foundations" in page.locator("nav.sidenav").text_content()
    _shot(page, tmp_path, "dashboard-en")
    page.goto(asset_url)
    assert page.locator("strong.state").inner_text() == "Degraded"
    # the only failed response is the refused transition (409, by design); no script or CSP errors
    assert [f.split()[0] for f in failed] == ["409"], failed
    assert [e for e in errors if "409" not in e] == [], errors
    context.close()
