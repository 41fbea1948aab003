"""The programmes dashboard and the regional ranking in headless Chromium (Debian's /usr/bin/chromium
driven by Playwright): the Plotly charts draw from the wheel's Plotly.js (no network, no CSP
error), in Chinese and English. Screenshots go to the test's temp folder (and ``SOMP_SCREENSHOT_DIR``)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.web.test_browser import ARGS, CHROMIUM, _free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]
YEAR = dt.date.today().year - 1


def _seed(db) -> None:
    from argon2 import PasswordHasher

    from somp.core import security
    from somp.core.identity import Role
    from somp.core.tenancy import Scope
    from somp.modules.evaluation import programmes, regions_service
    from somp.modules.invoicing.models import Invoice
    from tests.factories import make_customer, make_invoice, make_tenant, make_user

    with pytest.MonkeyPatch.context() as mp:  # cheap argon2 parameters for the test users
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        a, b = make_tenant(db, name="苏州压缩机有限公司"), make_tenant(db, name="杭州泵业有限公司")
        make_user(db, None, Role.evaluator, username="pbeval", display_name="评价员")
    c = make_customer(db, a)
    inv = make_invoice(db, a, c.id, issued_on=dt.date(YEAR, 3, 31))
    with db.session(Scope.tenant(a.id)) as s:
        s.get(Invoice, inv.id).status = "issued"
        s.commit()
    sz = regions_service.save_region(db, {"code": "320500", "name_zh": "苏州市", "name_en": "Suzhou", "area_km2": 8657})
    hz = regions_service.save_region(
        db, {"code": "330100", "name_zh": "杭州市", "name_en": "Hangzhou", "area_km2": 16850}
    )
    wx = regions_service.save_region(db, {"code": "320200", "name_zh": "无锡市", "name_en": "Wuxi", "area_km2": 4627})
    for rid, n in ((sz, 120), (hz, 200), (wx, 80)):
        regions_service.set_statistics(db, rid, [{"year": y, "name": "manufacturing_enterprises", "value": n}
                                                 for y in (YEAR - 1, YEAR)])  # fmt: skip
    regions_service.add_member(db, sz, a.id)
    regions_service.add_member(db, sz, b.id)
    m = regions_service.add_member(db, hz, b.id)
    with db.session(Scope.tenant(b.id)) as s:
        regions_service.declare_figures(s, m, YEAR, 1_000_000, 600_000)
        app = programmes.apply(db, s, {"programme": "demonstration_enterprise", "year": YEAR, "declared": {
            "service_revenue_share": 0.4, "operating_revenue_cny": 5e7, "years_in_operation": 8, "major_incidents": 0}},
            None)  # fmt: skip
        programmes.submit(db, s, app.id, None)
        s.commit()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from somp.api.app import create_app
    from somp.core import migrate
    from somp.core.config import Settings
    from somp.core.database import Database

    folder = tmp_path_factory.mktemp("programmes-browser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    _seed(db)
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-programmes", daemon=True)
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


def test_programmes_dashboard_and_regional_ranking_draw_their_charts(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(15000)
        page.goto(server + "/evaluation/programmes")
        page.get_by_label("用户名").fill("pbeval")
        page.get_by_label("密码").fill("correct-horse-9")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(server + "/evaluation/programmes")
        assert page.locator("h1").inner_text() == "服务型制造标准与示范培育"
        page.wait_for_selector("#targets-chart .main-svg")
        assert page.locator("#targets-chart .bars .point").count() == 6  # 3 goals x (done, target)
        assert page.locator("#targets tbody tr").first.locator("td").first.inner_text() == "1"  # GB/T 43880.4-2024
        assert page.locator("#standards tbody tr").count() == 11
        _shot(page, tmp_path, "programmes-zh")

        page.goto(f"{server}/evaluation/regions?year={YEAR}")
        page.wait_for_selector("#regions-chart .main-svg")
        rows = page.locator("#ranking tbody tr th").all_inner_texts()
        assert rows[0].startswith("苏州市") and len(rows) == 3
        assert page.locator("#regions-chart .bars .point").count() == 9  # 3 regions x 3 dimensions
        _shot(page, tmp_path, "regions-zh")
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Regional SOM evaluation"
        assert "Industrial ecosystem" in page.locator("#ranking thead").inner_text()
        _shot(page, tmp_path, "regions-en")
        assert errors == [], errors
        browser.close()
