"""A contract's SLA attainment trend in headless Chromium (Playwright's sync API, Debian's
/usr/bin/chromium; fixtures and helpers of tests/web/test_browser.py): two stored months, the chart
drawn by the Plotly.js of the wheel (offline, under the page's CSP) with a trace per measure and the
target line, the month table, and the link from the month list."""

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
CN = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def sla_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher
    from sqlalchemy import update

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role
    from somp.core.tenancy import Scope
    from somp.modules.assets.models import AssetStateChange
    from somp.modules.contracts.models import Contract
    from somp.modules.pss import service as pss
    from somp.modules.pss import sla_records
    from somp.modules.pss.schemas import SlaTermsIn
    from tests.factories import (
        make_asset,
        make_contract,
        make_customer,
        make_offering,
        make_product,
        make_tenant,
        make_user,
    )

    folder = tmp_path_factory.mktemp("slabrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州压缩机有限公司")
        make_user(db, t, Role.service_manager, username="slabrowser", display_name="王经理")
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    a = make_asset(db, t, p.id, c.id, state="in_service")
    k = make_contract(db, t, c.id, o.id, [a.id], number="CT-SLA-TREND")
    with db.session(Scope.tenant(t.id)) as s:
        s.execute(update(Contract).where(Contract.id == k.id).values(status="active"))
        pss.set_sla_terms(s, k.id, SlaTermsIn(availability_target_pct="99.5", calendar="china_calendar"))
        s.add_all([
            AssetStateChange(tenant_id=t.id, asset_id=a.id, from_state="in_service", to_state="failed",
                             at=dt.datetime(2026, 10, 9, 9, tzinfo=CN), source="monitoring"),
            AssetStateChange(tenant_id=t.id, asset_id=a.id, from_state="failed", to_state="in_service",
                             at=dt.datetime(2026, 10, 9, 12, tzinfo=CN), source="monitoring"),
        ])  # fmt: skip
        for period in ("2026-09", "2026-10"):
            sla_records.compute(s, period, now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
        s.commit()
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-sla-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", k.id
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def test_contract_sla_trend_in_chromium(sla_server, chromium, tmp_path):  # noqa: F811
    base, contract_id = sla_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    page.set_default_timeout(15000)
    page.goto(base + "/pss/sla")
    page.get_by_label("用户名").fill("slabrowser")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/pss/sla")
    assert "2026-10" in page.locator("#sla-records caption").inner_text()
    page.get_by_role("link", name="CT-SLA-TREND").click()
    page.wait_for_url(f"{base}/pss/contracts/{contract_id}/sla")
    page.wait_for_selector("#chart-sla[data-drawn='1'] .main-svg")
    # availability, resolution, response and the target line
    assert page.locator("#chart-sla .scatterlayer .trace").count() == 4
    rows = page.locator("#sla-months tbody tr")
    assert rows.count() == 2
    # October on the China calendar: 3 working hours down of 144 -> 97.9167 %, below 99.5 %: missed
    october = rows.nth(1)
    assert "2026-10" in october.inner_text() and "97.9167" in october.inner_text()
    assert october.locator("td.attained-no").inner_text().strip() == "未达成"
    september = rows.nth(0)  # no downtime: 100 %, attained
    assert "100" in september.inner_text() and september.locator("td.attained-yes").count() == 1
    _shot(page, tmp_path, "pss-sla-trend")
    assert errors == [], errors
    context.close()
