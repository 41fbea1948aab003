"""The evaluation report in headless Chromium (Playwright's sync API, Debian's /usr/bin/chromium; the
browser fixture and helpers of tests/web/test_browser.py): sign in, open an evaluation, follow its
report link, see the radar and bar charts drawn by Plotly with their data-source captions, the
badge, and the yearly data page with the carbon chart; download the PDF through the page's link.
Screenshots go to the test's temp folder (and ``SOMP_SCREENSHOT_DIR`` if set)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.web.test_browser import CHROMIUM, _free_port, _shot, chromium  # noqa: F401 - chromium: fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def report_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role
    from tests.evaluation.test_report_pages import seed
    from tests.factories import PASSWORD, make_tenant, make_user

    folder = tmp_path_factory.mktemp("reportbrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:  # cheap argon2 parameters for the test user
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州压缩机有限公司")
        make_user(db, t, Role.tenant_admin, username="reportbrowser")
    eid = seed(db, t)
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-report-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", eid, PASSWORD
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def test_report_charts_badge_and_pdf_link_in_chromium(report_server, chromium, tmp_path):  # noqa: F811
    base, eid, password = report_server
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_default_timeout(20000)

    page.goto(f"{base}/evaluation/maturity/{eid}")
    page.get_by_label("用户名").fill("reportbrowser")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/evaluation/maturity/{eid}")
    badge = page.locator("p.report-links img")
    badge.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", badge.element_handle())

    page.locator("#report-link").click()
    page.wait_for_url(f"**/evaluation/maturity/{eid}/report")
    page.wait_for_function("window.__reportReady === true")
    assert page.locator("#chart-radar .main-svg").count() >= 1  # Plotly drew the radar
    assert page.locator("#chart-indicators .main-svg").count() >= 1
    assert page.locator("#chart-carbon .main-svg").count() >= 1
    assert page.locator("figcaption", has_text="数据来源").count() == len(page.locator("figure").all())
    assert "苏州压缩机有限公司" in page.locator("header").inner_text()
    _shot(page, tmp_path, "evaluation-report-zh")

    page.goto(f"{base}/evaluation/maturity/{eid}")
    with page.expect_download() as dl:
        page.get_by_role("link", name="PDF 报告").click()
    pdf = Path(dl.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")

    page.goto(f"{base}/evaluation/yearly")
    page.locator("#carbon-chart .main-svg").first.wait_for()
    assert page.locator("#statements tbody tr").count() == 1 and page.locator("#sustainability tbody tr").count() == 1
    _shot(page, tmp_path, "evaluation-yearly-zh")
    assert errors == [] and failed == [], (errors, failed)
    context.close()
