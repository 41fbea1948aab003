"""The configurator end to end in headless Chromium (Playwright's sync API, Debian's
/usr/bin/chromium; the browser fixture and helpers are those of tests/web/test_browser.py).

The app runs under uvicorn in a background thread against a temp-file SQLite database built by
the Alembic migrations; the compressor model goes in through the service. The scenario: sign in,
open the configurator, choose the 37 kW machine by clicking: the desiccant dryer greys out with
the rule that rules it out and the price updates live; ask for more air than the machine gives:
the conflict appears with its minimal set (the group, the choice, the requirement) and ordering is
disabled; remove the requirement, choose the 75 kW machine: a dryer becomes required and basic
control impossible; confirm: the C2M order page shows the bill of options. Then in English.
Screenshots go to the test's temp folder (and ``SOMP_SCREENSHOT_DIR`` if set).
"""

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
def cfg_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role
    from somp.core.tenancy import Scope
    from somp.modules.customization import service
    from somp.modules.customization.schemas import ModelImport
    from tests.customization.factories import model_text
    from tests.factories import make_customer, make_offering, make_product, make_tenant, make_user

    folder = tmp_path_factory.mktemp("cfgbrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:  # cheap argon2 parameters for the test user
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="澄风压缩机有限公司")
        make_user(db, t, Role.service_manager, username="cfgbrowser", display_name="李经理")
    for code in ("CF-37A", "CF-55V", "CF-75A"):
        p = make_product(db, t, code=code)
    make_offering(db, t, p.id, code="OF-SALE-24")
    make_customer(db, t, code="C-ZJ", name="浙江纺织")
    with db.session(Scope.tenant(t.id)) as s:
        conf, *_ = service.import_model(s, ModelImport(document=model_text()), None)
        s.commit()
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-cfg-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", conf.id
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def _settled(page) -> str:  # noqa: ANN001
    page.wait_for_selector("body[data-cfg-status]:not([data-cfg-status='loading'])", state="attached")
    return page.locator("body").get_attribute("data-cfg-status")


def test_configurator_explains_a_conflict_in_chromium(cfg_server, chromium, tmp_path):  # noqa: F811
    base, conf_id = cfg_server
    context = chromium.new_context(viewport={"width": 1366, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(15000)
    url = f"{base}/customization/offerings/{conf_id}"

    page.goto(url)
    page.get_by_label("用户名").fill("cfgbrowser")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url)
    assert _settled(page) == "ok"
    assert page.locator("#cfg-total").inner_text() == "96,000.00 CNY"
    assert page.locator("#cfg-update").is_hidden()  # live updates: no update button

    # choose the 37 kW machine: the desiccant dryer greys out with its reason, the price stays
    page.locator('[data-option="m37"] input').check()
    assert _settled(page) == "ok"
    desiccant = page.locator('[data-option="desiccant"]')
    assert "state-impossible" in (desiccant.get_attribute("class") or "")
    assert desiccant.locator(".cfg-state").inner_text() == "不可选"
    assert (
        desiccant.locator(".cfg-reason").inner_text().startswith("不可选：吸附式干燥机不能与CF-37A 37 kW 定频同时选择")
    )
    assert page.locator('[data-option="refrig"] input').is_enabled()
    assert "c=m37" in page.url  # the state is in the address: reload or share it

    # smart sequencing: remote monitoring becomes required, the price follows
    page.locator('[data-option="smart"] input').check()
    assert _settled(page) == "ok"
    assert page.locator('[data-option="remote"] .cfg-state').inner_text() == "必选"
    assert page.locator("#cfg-total").inner_text() == "131,000.00 CNY"  # 96000 + 32000 + 3000

    # more air than a 37 kW machine gives: a conflict with its minimal set, ordering disabled
    page.locator('input[name="lo.air_flow"]').fill("12")
    page.locator('input[name="lo.air_flow"]').dispatch_event("change")
    assert _settled(page) == "conflict"
    conflict = page.locator("#cfg-conflict")
    assert conflict.is_visible() and page.locator("#cfg-summary").is_hidden()
    items = conflict.locator("li")
    kinds = items.evaluate_all("els => els.map(e => [e.dataset.kind, e.dataset.code])")
    assert kinds == [["group", "machine"], ["choice", "m37"], ["requirement", "air_flow"]]
    text = conflict.inner_text()
    assert "机型：必须选择 1 项" in text and "客户要求排气量不低于 12 m³/min" in text
    assert page.locator("#cfg-confirm-button").is_disabled()
    _shot(page, tmp_path, "configurator-conflict-zh")

    # drop the requirement and choose the greyed-out desiccant dryer anyway: the rule is named
    page.locator('input[name="lo.air_flow"]').fill("")
    page.locator('input[name="lo.air_flow"]').dispatch_event("change")
    assert _settled(page) == "ok"
    page.locator('[data-option="desiccant"] input').check()
    assert _settled(page) == "conflict"
    kinds = page.locator("#cfg-conflict li").evaluate_all("els => els.map(e => [e.dataset.kind, e.dataset.code])")
    assert kinds == [["rule", "small_desiccant"], ["choice", "m37"], ["choice", "desiccant"]]
    assert page.locator('[data-option="smart"] input').is_checked()  # the choices stay as they were
    _shot(page, tmp_path, "configurator-rule-conflict-zh")
    page.locator('[data-option="desiccant"] input').uncheck()

    # change to the 75 kW machine: basic control is impossible, a dryer required
    assert _settled(page) == "ok"
    page.locator('[data-option="m75"] input').check()
    assert _settled(page) == "ok"
    assert page.locator('[data-option="m37"] input').is_checked() is False  # a single choice
    assert "state-impossible" in (page.locator('[data-option="basic"]').get_attribute("class") or "")
    assert "CF-75A 75 kW" in page.locator('[data-option="basic"] .cfg-reason').inner_text()
    # 96000 + 86000 + 32000 (smart) + 3000 (remote) + 12000 (refrigerated dryer, required)
    assert page.locator("#cfg-total").inner_text() == "229,000.00 CNY"
    page.get_by_role("button", name="确认下单").click()
    page.wait_for_url(f"{base}/customization/orders/*")
    assert "已生成 C2M 订单" in page.locator(".flash").inner_text()
    body = page.locator("main").inner_text()
    assert "选配清单" in body and "CF-75A" in body and "冷冻式干燥机" in body and "229,000.00" in body
    _shot(page, tmp_path, "c2m-order-zh")

    # the same conflict in English
    page.goto(url + "?c=m37&c=desiccant")
    page.get_by_role("button", name="切换语言（English）").click()
    page.wait_for_url(url + "*")
    assert _settled(page) == "conflict"
    assert (
        "desiccant dryer cannot be combined with CF-37A 37 kW fixed speed" in page.locator("#cfg-conflict").inner_text()
    )
    _shot(page, tmp_path, "configurator-conflict-en")
    assert errors == []
    context.close()
