"""The sell-vs-serve page in headless Chromium (Playwright's sync API, Debian's /usr/bin/chromium;
the browser fixture and helpers are those of tests/web/test_browser.py): sign in, fill the inputs,
the comparison with its verdict and the cumulative present value chart drawn by the Plotly.js of
the wheel (offline, under the page's CSP), and the billing runs page with a run's invoices."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from tests.web.test_browser import ARGS, CHROMIUM, _free_port, _shot, chromium  # noqa: F401 - chromium: fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]
assert ARGS


@pytest.fixture(scope="module")
def pss_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher
    from sqlalchemy import update

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role
    from somp.core.tenancy import Scope
    from somp.modules.contracts.models import Contract
    from somp.modules.pss import billing
    from somp.modules.pss import service as pss
    from somp.modules.pss.schemas import PricePlanIn
    from tests.factories import (
        make_asset,
        make_contract,
        make_customer,
        make_offering,
        make_product,
        make_tenant,
        make_user,
    )

    folder = tmp_path_factory.mktemp("pssbrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州压缩机有限公司")
        make_user(db, t, Role.service_manager, username="pssbrowser", display_name="王经理")
    p = make_product(db, t, code="SC-55", name="螺杆空压机 55 kW")
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    a = make_asset(db, t, p.id, c.id, state="in_service")
    k = make_contract(db, t, c.id, o.id, [a.id], number="CT-BROWSER-1")
    with db.session(Scope.tenant(t.id)) as s:
        s.execute(update(Contract).where(Contract.id == k.id).values(status="active"))
        pss.set_price_plan(s, k.id, PricePlanIn(model="subscription", fee="6500.00"))
        run = billing.run(s, "2026-10", now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
        s.commit()
        run_id = run.id
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-pss-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", {"product": p.id, "run": run_id}
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def test_sell_vs_serve_and_billing_runs_in_chromium(pss_server, chromium, tmp_path):  # noqa: F811
    base, data = pss_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    page.set_default_timeout(15000)
    page.goto(base + "/pss/sell-vs-serve")
    page.get_by_label("用户名").fill("pssbrowser")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/pss/sell-vs-serve")
    page.locator("#f-product").select_option(str(data["product"]))
    for name, value in (
        ("service_fee", "60000"),
        ("failure_rate", "0.8"),
        ("repair_cost", "6000"),
        ("preventive_cost", "4000"),
        ("operating_cost", "30000"),
        ("residual_value", "20000"),
    ):
        page.locator(f"#f-{name}").fill(value)  # fmt: skip
    page.get_by_role("button", name="计算").click()
    page.wait_for_selector("#chart-flows[data-drawn='1'] .main-svg")
    assert page.locator("#chart-flows .scatterlayer .trace").count() == 4
    assert page.locator("#comparison tbody tr").count() == 4
    assert page.locator("#verdict").inner_text().startswith(("是", "否"))
    _shot(page, tmp_path, "pss-sell-vs-serve")
    page.goto(base + "/pss/billing")
    page.get_by_role("link", name=f"#{data['run']}").click()
    assert "CT-BROWSER-1" in page.locator("table.data").inner_text()
    page.locator("table.data a[href^='/invoices/']").first.click()
    page.wait_for_url(f"{base}/invoices/*")
    assert "6,500.00" in page.locator("main").inner_text()
    assert errors == [], errors
    context.close()
