"""A ticket's live SLA timer in headless Chromium (Playwright's sync API, Debian's
/usr/bin/chromium; the browser fixture is that of tests/web/test_browser.py).

The app runs under uvicorn in a background thread against a temp-file SQLite database built by
the migrations. A critical ticket under a contract runs 24 x 7 (2 h response, 8 h resolution):
the page shows the remaining working time counting down; "waiting for customer" pauses the
resolution clock (the time stands still across seconds); the customer's reply in the portal
resumes it, and it counts down again. Screenshots go to the test's temp folder."""

from __future__ import annotations

import re
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
HMS = re.compile(r"^(\d+):(\d\d):(\d\d)$")


@pytest.fixture(scope="module")
def as_server(tmp_path_factory):
    import datetime as dt

    import uvicorn
    from argon2 import PasswordHasher

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database, utcnow
    from somp.core.tenancy import Scope
    from somp.modules.aftersales import service
    from somp.modules.aftersales.schemas import TicketCreate
    from tests.aftersales.factories import make_shop

    folder = tmp_path_factory.mktemp("asbrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:  # cheap argon2 parameters for the test users
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        shop = make_shop(db, "W")
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        t = service.raise_ticket(
            s,
            TicketCreate(asset_id=shop.asset.id, title="主机停机", category="breakdown", priority="critical"),
            user_id=shop.manager.id,
            now=utcnow() - dt.timedelta(minutes=30),
        )
        s.commit()
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-as-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", shop, t
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def _seconds(page, clock: str) -> int:
    text = page.locator(f'[data-clock="{clock}"] [data-remaining]').inner_text().strip()
    m = HMS.match(text)
    assert m, text
    h, mi, s = map(int, m.groups())
    return h * 3600 + mi * 60 + s


def _sign_in(page, base: str, username: str, target: str) -> None:
    page.goto(base + target)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + target)


def test_ticket_sla_timer_counts_down_pauses_and_resumes(as_server, chromium, tmp_path):  # noqa: F811
    base, shop, t = as_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    page.set_default_timeout(15000)
    url = f"/tickets/{t.id}"
    _sign_in(page, base, shop.manager.username, url)

    # running: about 7.5 h of the 8 h left, counting down once a second
    resolution = page.locator('[data-clock="resolution"]')
    assert resolution.get_attribute("data-state") == "running"
    assert resolution.locator("[data-state-label]").inner_text() == "计时中"
    first = _seconds(page, "resolution")
    assert 7 * 3600 + 25 * 60 < first <= 7 * 3600 + 30 * 60
    page.wait_for_timeout(2200)
    later = _seconds(page, "resolution")
    assert first - 4 <= later <= first - 2
    assert page.locator('[data-clock="response"]').get_attribute("data-state") == "running"
    _shot(page, tmp_path, "sla-running")

    # waiting for the customer: the resolution clock stops, the response clock is met
    page.locator('button[data-state="waiting_customer"]').click()
    page.wait_for_url(base + url)
    assert resolution.get_attribute("data-state") == "paused"
    assert resolution.locator("[data-state-label]").inner_text() == "已暂停"
    assert page.locator('[data-clock="response"]').get_attribute("data-state") == "met"
    paused = _seconds(page, "resolution")
    assert later - 15 <= paused <= later
    page.wait_for_timeout(2200)
    assert _seconds(page, "resolution") == paused
    assert resolution.locator("[data-deadline]").inner_text() == "–"
    _shot(page, tmp_path, "sla-paused")

    # the customer replies in the portal: resumed, counting down again
    cust = context.browser.new_context(locale="zh-CN").new_page()
    cust.set_default_timeout(15000)
    _sign_in(cust, base, shop.customer_user.username, "/portal")
    cust.get_by_role("link", name=re.compile(t.number)).click()
    cust.wait_for_url(base + url)
    assert cust.locator('[data-clock="resolution"]').get_attribute("data-state") == "paused"
    cust.locator("#ticket-note").fill("已按要求复位，设备仍不能启动")
    cust.get_by_role("button", name="添加留言").click()
    cust.wait_for_url(base + url)
    assert cust.locator('[data-clock="resolution"]').get_attribute("data-state") == "running"

    # the staff page picks the change up on its next refresh (reload here) and counts down again
    page.reload()
    assert resolution.get_attribute("data-state") == "running"
    resumed = _seconds(page, "resolution")
    assert paused - 15 <= resumed <= paused
    page.wait_for_timeout(2200)
    assert _seconds(page, "resolution") <= resumed - 2
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", resolution.locator("[data-deadline]").inner_text())
    _shot(page, tmp_path, "sla-resumed")

    # the report pages draw their Plotly charts (served from the wheel, no network)
    page.goto(base + "/aftersales/quality")
    page.wait_for_selector("#quality-chart.js-plotly-plot .main-svg")
    assert page.locator("#quality-chart .bars path").count() >= 1
    _shot(page, tmp_path, "quality")
    page.goto(base + "/aftersales/satisfaction")
    page.wait_for_selector("#satisfaction-chart.js-plotly-plot .main-svg")
    _shot(page, tmp_path, "satisfaction")
    assert errors == []
    context.close()
