"""Requirements pages in headless Chromium (Playwright, Debian's /usr/bin/chromium; fixtures of
tests/web/test_browser.py): sign in, open the requirements list, follow a Kano questionnaire — the
Better-Worse diagram is drawn by the wheel's Plotly.js (offline, under the page's CSP) with one
point per requirement — then the house of quality with its priorities; no page or console error."""

from __future__ import annotations

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
def req_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role
    from tests.factories import make_customer, make_offering, make_product, make_tenant, make_user
    from tests.pss.requirements_factories import seed_requirements

    folder = tmp_path_factory.mktemp("reqbrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州咖啡机有限公司")
        make_user(db, t, Role.service_manager, username="reqbrowser", display_name="李经理")
    p = make_product(db, t, code="CM-1", name="商用咖啡机")
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    ids = seed_requirements(db, t, o.id, c.id)
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-req-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ids | {"offering": o.id}
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def test_kano_diagram_and_house_of_quality_in_chromium(req_server, chromium, tmp_path):  # noqa: F811
    base, data = req_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    page.set_default_timeout(15000)
    page.goto(base + "/pss/requirements")
    page.get_by_label("用户名").fill("reqbrowser")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/pss/requirements")
    assert page.locator("#requirements tbody tr").count() == 3
    page.locator("#questionnaires a").first.click()
    page.wait_for_selector("#chart-kano[data-drawn='3'] .main-svg")
    assert page.locator("#chart-kano .scatterlayer .point").count() == 3
    assert "魅力型" in page.locator("#chart-kano").inner_text()  # quadrant labels
    cells = page.locator("#kano-results tbody tr[data-code='R-FAST'] td").all_inner_texts()
    assert "必备型" in " ".join(cells)
    _shot(page, tmp_path, "pss-kano")
    page.goto(base + "/pss/requirements")
    page.locator("#houses a").first.click()
    page.wait_for_url(f"{base}/pss/requirements/qfd/{data['offering']}")
    assert page.locator("#qfd-matrix tfoot .absolute").all_inner_texts() == ["45", "39", "51"]
    assert page.locator("#qfd-roof td[data-corr='-2']").inner_text() == "−−"
    assert "风扇转速 – 加热功率" in page.locator("#trade-offs").inner_text()
    _shot(page, tmp_path, "pss-qfd")
    assert errors == [], errors
    context.close()
