"""PSS design and delivery pages in headless Chromium (2.1.2, 2.1.5; Debian's /usr/bin/chromium,
the fixtures of tests/web/test_browser.py): the blueprint's server-side SVG with its four lanes and
three lines, switched to English; the interface matrix; the delivery KPI charts drawn by the
Plotly.js of the wheel under the page's CSP, with no console error."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from tests.pss.test_blueprint import compressor_service
from tests.web.test_browser import ARGS, CHROMIUM, _free_port, _shot, chromium  # noqa: F401 - chromium: fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]
assert ARGS


@pytest.fixture(scope="module")
def design_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role
    from somp.core.tenancy import Scope
    from somp.modules.pss import delivery, design
    from somp.modules.pss.design_schemas import (
        BlueprintVersionCreate,
        ComponentsIn,
        DeliveryProgress,
        DeliveryProjectCreate,
        InterfacesIn,
    )
    from tests.factories import make_contract, make_customer, make_offering, make_product, make_tenant, make_user

    folder = tmp_path_factory.mktemp("pssdesignbrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州压缩机有限公司")
        make_user(db, t, Role.service_manager, username="pssdesign", display_name="王经理")
    p = make_product(db, t, code="SC-55", name="螺杆空压机 55 kW")
    o = make_offering(db, t, p.id, service_items=[{"kind": "predictive_maintenance", "name": "预测性维护"}])
    k = make_contract(db, t, make_customer(db, t).id, o.id, [])
    with db.session(Scope.tenant(t.id)) as s:
        names = (("airend", "主机"), ("motor", "电机"), ("controller", "控制器"))
        design.set_components(s, p.id, ComponentsIn(components=[{"code": c, "name": n} for c, n in names]))
        design.add_blueprint_version(s, o.id, BlueprintVersionCreate(blueprint=compressor_service()), None)
        design.set_interfaces(s, o.id, InterfacesIn(interfaces=[
            {"service_line_no": 1, "component": "airend", "kind": "maintains"}]))  # fmt: skip
        for month, late in ((8, 0), (9, 4), (10, 0), (10, 9)):
            day = dt.date(2026, month, 1)
            stages = [
                {"stage": st, "planned_start": day + dt.timedelta(3 * n), "planned_end": day + dt.timedelta(3 * n + 2)}
                for n, st in enumerate(("plan", "ship", "install", "commission", "acceptance"))
            ]
            dp = delivery.create_project(s, DeliveryProjectCreate(contract_id=k.id, stages=stages), None)
            for n, st in enumerate(("plan", "ship", "install", "commission", "acceptance")):
                on = day + dt.timedelta(3 * n)
                delivery.progress(s, dp.id, DeliveryProgress(event="start", stage=st, on=on), None)
                end = on + dt.timedelta(2 + (late if st == "acceptance" else 0))
                delivery.progress(s, dp.id, DeliveryProgress(event="complete", stage=st, on=end), None)
        s.commit()
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-pss-design-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", {"offering": o.id}
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def test_blueprint_matrix_and_delivery_kpis_in_chromium(design_server, chromium, tmp_path):  # noqa: F811
    base, data = design_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    page.set_default_timeout(15000)
    url = f"{base}/pss/offerings/{data['offering']}/blueprint"
    page.goto(url)
    page.get_by_label("用户名").fill("pssdesign")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url)
    svg = page.locator("#blueprint-diagram svg")
    assert svg.locator("g.step").count() == 9 and svg.locator("line.boundary").count() == 3
    assert svg.locator("rect.lane-band").count() == 4 and svg.locator("line.flow").count() == 9
    assert "可视分界线" in svg.inner_html()
    box = svg.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 300  # drawn, not collapsed
    _shot(page, tmp_path, "pss-blueprint")
    page.get_by_role("link", name="产品服务接口").first.click()
    assert page.locator("#interface-matrix td[data-cell='1:airend']").inner_text().strip() == "维护保养"
    page.goto(base + "/pss/delivery-kpis?month=2026-10")
    page.wait_for_selector("#chart-rates[data-drawn='1'] .main-svg")
    page.wait_for_selector("#chart-lead[data-drawn='1'] .main-svg")
    assert page.locator("#chart-rates .scatterlayer .trace").count() == 2
    assert page.locator("#chart-lead .barlayer .trace").count() == 1
    assert page.locator("#kpi-table tbody tr").count() == 12
    assert "50.0" in page.locator("#kpi-current").inner_text()  # October: one of two accepted on time
    _shot(page, tmp_path, "pss-delivery-kpis")
    assert errors == [], errors
    context.close()
