"""The enterprise's programme-application form and conformance self-check in headless Chromium
(Debian's /usr/bin/chromium driven by Playwright), and the region report's charts: a tenant
administrator starts an application from the programmes page, declares figures, sees the criteria
checked (measured over declared) and submits; attaches an evidence file to a clause (stored: its
link downloads the same bytes; a refused file shows its reason and is not stored); the evaluator
opens the region report and its three charts draw (no script error). Screenshots go to the test's
temp folder (and ``SOMP_SCREENSHOT_DIR``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.evaluation.test_programmes_browser import YEAR, _shot
from tests.web.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The programmes browser test's data, plus a tenant administrator of 苏州压缩机有限公司 (the
    seeded enterprise with an invoice of YEAR: service revenue share 12,000 / 262,000)."""
    import threading
    import time

    import uvicorn
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role, Tenant
    from somp.core.tenancy import Scope
    from tests.evaluation.test_programmes_browser import _seed
    from tests.factories import make_user
    from tests.web.test_browser import _free_port

    folder = tmp_path_factory.mktemp("forms-browser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    _seed(db)
    with db.session(Scope.all_tenants()) as s:
        tenant = s.scalar(select(Tenant).where(Tenant.name == "苏州压缩机有限公司"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        make_user(db, tenant, Role.tenant_admin, username="fbadmin", display_name="企业管理员")
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-forms", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def _login(page, url: str, username: str, target: str) -> None:
    page.goto(url + target)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + target)


def test_application_form_checks_criteria_and_submits(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(15000)
        _login(page, server, "fbadmin", "/evaluation/programmes")
        page.get_by_role("link", name="示范培育申报").click()
        page.wait_for_url(server + "/evaluation/programmes/applications")
        page.get_by_label("项目").select_option("leading_brand")
        page.get_by_label("年度").fill(str(YEAR))
        page.get_by_role("button", name="新建申报").click()
        page.wait_for_url("**/evaluation/programmes/applications/*")
        assert page.locator("#application-status").inner_text() == "草稿"
        row = page.locator('#checks tr[data-metric="service_revenue_share"]')
        row.get_by_role("textbox").fill("0.6")
        page.locator('#checks tr[data-metric="major_incidents"]').get_by_role("textbox").fill("0")
        page.get_by_role("button", name="保存并核验条件").click()
        page.wait_for_selector(".flash")
        assert page.locator(".flash").inner_text() == "已保存"
        # measured 12,000 / 262,000 wins over the declared 0.6: not met
        assert "平台测算" in row.inner_text() and "不满足" in row.inner_text() and "0.0458" in row.inner_text()
        assert page.locator("#application-eligible").inner_text() == "不满足"
        _shot(page, tmp_path, "application-draft")
        page.get_by_role("button", name="提交").click()
        page.wait_for_selector(".flash")
        assert page.locator("#application-status").inner_text() == "已申报"
        assert page.get_by_role("button", name="提交").count() == 0  # no longer editable

        page.goto(server + "/evaluation/programmes/conformance")
        page.get_by_role("button", name="开始自查").click()
        page.wait_for_url("**/evaluation/programmes/conformance/*")
        page.get_by_label("A-SI 自评结论").select_option("conforms")
        evidence = tmp_path / "服务创新.pdf"
        evidence.write_bytes(b"%PDF-1.4 service innovation centre")
        page.get_by_label("A-SI 佐证材料").set_input_files(str(evidence))
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_selector(".flash")
        digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
        assert digest[:12] in page.locator("#clauses").inner_text()
        assert page.locator("#conformance-summary").inner_text().count("100.0%") == 1  # one clause, conforms
        # the file itself is stored: its link downloads the same bytes
        with page.expect_download() as dl:
            page.locator("#clauses a", has_text="服务创新.pdf").click()
        assert hashlib.sha256(Path(dl.value.path()).read_bytes()).hexdigest() == digest
        # a refused file (a script named .pdf): the reason is shown and nothing is stored
        fake = tmp_path / "运营.pdf"
        fake.write_bytes(b"<script>alert(1)</script>")
        page.get_by_label("A-SO 佐证材料").set_input_files(str(fake))
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_selector(".flash")
        assert "A-SO: 运营.pdf: not an accepted kind of file" in page.locator(".flash").inner_text()
        assert page.locator("#clauses a").count() == 1
        _shot(page, tmp_path, "conformance")
        assert errors == [], errors
        browser.close()


def test_region_report_draws_its_charts(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.set_default_timeout(15000)
        _login(page, server, "pbeval", f"/evaluation/regions?year={YEAR}")
        with page.expect_popup() as popup:
            page.get_by_role("link", name="报告（HTML）").click()
        report = popup.value
        for chart in ("dimensions", "ranking", "yoy"):  # (the page's CSP forbids wait_for_function's eval)
            report.wait_for_selector(f"#chart-{chart} .main-svg")
        assert report.locator("#chart-dimensions .bars .point").count() == 9  # 3 regions x 3 dimensions
        assert report.locator("#chart-yoy .bars .point").count() == 6  # 3 regions x 2 years
        assert "苏州市 (320500)" in report.locator("#ranking").inner_text()
        _shot(report, tmp_path, "region-report")
        assert errors == [], errors
        browser.close()
