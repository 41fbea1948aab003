"""The requirement capture form in headless Chromium (Playwright, Debian's /usr/bin/chromium;
fixtures of tests/web/test_browser.py): a service manager opens "Capture a requirement" from the
list, a weight of 0 is refused with the problem shown and the typed values kept, the corrected
form stores the requirement (numbered REQ-<year>-000001) and lands on its page; then the status is
moved with a note and the history shows it. No page or console error."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.web.test_browser import ARGS, CHROMIUM, _free_port, chromium  # noqa: F401 - chromium: fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]
assert ARGS


@pytest.fixture(scope="module")
def form_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role
    from tests.factories import make_customer, make_offering, make_product, make_tenant, make_user

    folder = tmp_path_factory.mktemp("pssuiforms")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州压缩机有限公司")
        make_user(db, t, Role.service_manager, username="formbrowser", display_name="王经理")
    p = make_product(db, t, code="AC-37", name="螺杆空压机")
    o = make_offering(db, t, p.id, code="OF-AIR", name="压缩空气服务")
    make_customer(db, t, code="C-WX", name="无锡纺织")
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-pssui-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", {"offering": o.id}
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def test_capture_refuse_correct_and_move_a_requirement_in_chromium(form_server, chromium):  # noqa: F811
    base, data = form_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    page.set_default_timeout(15000)
    page.goto(base + "/pss/requirements")
    page.get_by_label("用户名").fill("formbrowser")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/pss/requirements")
    page.locator("#new-requirement").click()
    page.wait_for_url(base + "/pss/requirements/new")
    page.get_by_label("产品服务包").select_option(str(data["offering"]))
    page.get_by_label("需求（中文）").fill("噪音低于 65 分贝")
    page.get_by_label("需求（英文）").fill("Below 65 dB")
    page.get_by_label("来源", exact=True).select_option("interview")
    page.get_by_label("来源编号").fill("IV-2026-03")
    page.get_by_label("优先级").select_option("must")
    page.get_by_label("权重").fill("0")
    page.get_by_role("button", name="创建").click()
    page.wait_for_selector("#form-problems")
    assert "weight" in page.locator("#form-problems").inner_text()
    assert page.get_by_label("需求（中文）").input_value() == "噪音低于 65 分贝"  # kept
    assert page.get_by_label("来源编号").input_value() == "IV-2026-03"
    page.get_by_label("权重").fill("4")
    page.get_by_role("button", name="创建").click()
    page.wait_for_url(f"{base}/pss/requirements/*")
    heading = page.locator("h1").inner_text()
    assert heading.startswith("REQ-") and heading.split(" ")[0].endswith("-000001") and "噪音低于 65 分贝" in heading
    assert "已保存" in page.locator("body").inner_text()
    # move the status with a note: the history shows it
    page.get_by_label("状态", exact=True).select_option("accepted")
    page.get_by_label("变更说明（记入变更记录）").fill("评审通过")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=需求已修改")
    assert "已采纳" in page.locator("dl.facts").inner_text()
    assert "评审通过" in page.locator("#history").inner_text()
    # the refused form is answered 422 on purpose (the browser logs the status); nothing else
    assert [e for e in errors if "status of 422" not in e] == [], errors
    assert len(errors) <= 1, errors
    context.close()
