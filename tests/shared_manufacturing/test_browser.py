"""End to end in headless Chromium (/usr/bin/chromium through Playwright): a buyer posts an order
through the form, accepts the quote and sees the order scheduled on the Gantt chart; the factory
sees the booking on its own Gantt chart. The app runs under uvicorn in a thread on a temp-file
SQLite database built by the migrations."""

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


def _seed(db) -> None:
    from argon2 import PasswordHasher

    from somp.core import security
    from somp.core.identity import Role
    from tests.factories import make_tenant, make_user
    from tests.shared_manufacturing.market import DAY_SHIFT, publish, resource

    factory, buyer = make_tenant(db, name="苏州精工制造"), make_tenant(db, name="杭州采购方")
    publish(
        db,
        factory.id,
        resource("SZ-L1", [{"code": "laser_cutting", "parameters": {"max_thickness_mm": 20}}], calendar=DAY_SHIFT),
        resource("SZ-M1", [{"code": "cnc_milling_5axis"}], hourly_rate="150.00"),
        resource("SZ-B1", [{"code": "sheet_bending"}], hourly_rate="90.00", changeover_minutes=120),
    )
    with pytest.MonkeyPatch.context() as mp:  # cheap argon2 parameters for the test users
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        make_user(db, buyer, Role.tenant_admin, username="buyer1", display_name="采购员")
        make_user(db, factory, Role.tenant_admin, username="factory1", display_name="厂长")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from somp.api.app import create_app
    from somp.core import migrate
    from somp.core.config import Settings
    from somp.core.database import Database

    folder = tmp_path_factory.mktemp("mfgbrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    _seed(db)
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-mfg", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def _shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("SOMP_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def _sign_in(page, base: str, user: str, target: str) -> None:
    page.goto(base + target)
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + target)


def test_post_an_order_and_see_it_scheduled_on_the_gantt_chart(server, tmp_path):
    from playwright.sync_api import sync_playwright

    base = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(20000)

        _sign_in(page, base, "buyer1", "/shared-mfg/orders/new")
        assert page.locator("h1").inner_text() == "发布订单"
        start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        page.get_by_label("标题").fill("法兰盘外协")
        page.get_by_label("可开工时间 (UTC)").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("交期 (UTC)").fill((start + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
        page.locator("#f-part-0-name").fill("法兰")
        page.locator("#f-part-0-quantity").fill("50")
        page.locator("#f-part-0-op-0-capability").select_option("laser_cutting")
        page.locator("#f-part-0-op-0-minutes").fill("90")
        page.locator("#f-part-0-op-0-params").fill("thickness_mm=12")
        page.locator("#f-part-0-op-1-capability").select_option("cnc_milling_5axis")
        page.locator("#f-part-0-op-1-minutes").fill("120")
        page.locator("#f-part-1-name").fill("盖板")
        page.locator("#f-part-1-quantity").fill("20")
        page.locator("#f-part-1-op-0-capability").select_option("laser_cutting")
        page.locator("#f-part-1-op-0-minutes").fill("60")
        page.get_by_role("button", name="发布并报价").click()
        page.wait_for_url(f"{base}/shared-mfg/orders/*")
        order_url = page.url
        assert page.locator("#mfg-order-status").inner_text() == "已报价"
        # 90 min at 120 + 120 min at 150 + 60 min at 120 CNY/h = 600.00; + 5 % = 630.00
        assert page.locator("#mfg-quote-total").inner_text() == "630.00"

        page.get_by_role("button", name="接受报价并排程").click()
        page.wait_for_url(order_url)
        assert page.locator("#mfg-order-status").inner_text() == "已排程"
        page.wait_for_selector("#mfg-gantt .plot-container")
        bars = page.locator("#mfg-gantt g.trace.bars g.point")
        assert bars.count() == 3  # three operations, one bar each
        assert page.locator("#mfg-gantt").get_by_text("1. 法兰").count() == 1
        assert "苏州精工制造" in page.locator("#mfg-operations").inner_text()
        _shot(page, tmp_path, "mfg-order-gantt-zh")

        factory = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        factory.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(factory, base, "factory1", "/shared-mfg/gantt")
        factory.wait_for_selector("#mfg-gantt .plot-container")
        assert factory.locator("#mfg-gantt g.trace.bars g.point").count() == 3
        assert "杭州采购方" in factory.locator("#mfg-bookings").inner_text()
        _shot(factory, tmp_path, "mfg-factory-gantt-zh")
        assert factory.goto(order_url).status == 404  # the buyer's order is not the factory's page
        browser.close()
    assert errors == []


def test_a_changeover_is_drawn_as_a_setup_bar_before_the_operation(server, tmp_path):
    """Two parts of different setup families on a press brake with a 2-hour changeover: the order's
    Gantt chart draws three bars (two operations, one changeover) and names the changeover."""
    from playwright.sync_api import sync_playwright

    base = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(20000)
        _sign_in(page, base, "buyer1", "/shared-mfg/orders/new")
        start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        page.get_by_label("标题").fill("两种材料折弯")
        page.get_by_label("可开工时间 (UTC)").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("交期 (UTC)").fill((start + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
        for i, family in enumerate(("steel", "stainless")):
            page.locator(f"#f-part-{i}-name").fill(f"板{i + 1}")
            page.locator(f"#f-part-{i}-quantity").fill("10")
            page.locator(f"#f-part-{i}-op-0-capability").select_option("sheet_bending")
            page.locator(f"#f-part-{i}-op-0-minutes").fill("60")
            page.locator(f"#f-part-{i}-op-0-family").fill(family)
        page.get_by_role("button", name="发布并报价").click()
        page.wait_for_url(f"{base}/shared-mfg/orders/*")
        order_url = page.url
        page.get_by_role("button", name="接受报价并排程").click()
        page.wait_for_url(order_url)
        page.wait_for_selector("#mfg-gantt .plot-container")
        assert page.locator("#mfg-gantt g.trace.bars g.point").count() == 3  # two operations, one changeover
        assert sorted(page.locator("#mfg-gantt text.legendtext").all_text_contents()) == ["换型", "苏州精工制造"]
        assert "120" in page.locator("#mfg-operations").inner_text()
        _shot(page, tmp_path, "mfg-order-gantt-setup-zh")
        browser.close()
    assert errors == []
