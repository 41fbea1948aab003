"""The remote O&M pages end to end in headless Chromium (Playwright's sync API, Debian's
/usr/bin/chromium; the browser fixture and helpers are those of tests/web/test_browser.py).

The app runs under uvicorn in a background thread against a temp-file SQLite database built by
the Alembic migrations; the data goes in through the services (readings through the telemetry
Ingestor, rules evaluated and reacted to through the event bus, health scores). The scenario:
sign in, see the fleet map, the health histogram and the open alarms drawn by Plotly, acknowledge
an alarm by clicking, click a site on the map to open its asset, see the live charts with data,
the RUL with its interval and the timeline, the 30-second refresh through the session-authenticated
JSON route, another range and English. Screenshots go to the test's temp folder (and
``SOMP_SCREENSHOT_DIR`` if set).
"""

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
assert ARGS  # the launch arguments live with the fixture


@pytest.fixture(scope="module")
def om_server(tmp_path_factory):
    import uvicorn
    from argon2 import PasswordHasher

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database, utcnow
    from somp.core.identity import Role
    from tests.factories import make_tenant, make_user
    from tests.lifecycle.test_web import seed_monitoring

    folder = tmp_path_factory.mktemp("ombrowser")
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    with pytest.MonkeyPatch.context() as mp:  # cheap argon2 parameters for the test user
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        t = make_tenant(db, name="苏州压缩机有限公司")
        make_user(db, t, Role.service_manager, username="ombrowser", display_name="王经理")
    data = seed_monitoring(db, t, utcnow())
    app = create_app(Settings(data_dir=folder, secret_key="browser-test-key"), db=db, dispatch_events=False)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-om-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", data
    srv.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def test_fleet_overview_and_asset_monitoring_in_chromium(om_server, chromium, tmp_path):  # noqa: F811
    base, data = om_server
    a1 = data["assets"][0]
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)  # e.g. CSP
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_default_timeout(15000)

    # sign in on the way to the overview
    page.goto(base + "/lifecycle")
    assert "/login" in page.url
    page.get_by_label("用户名").fill("ombrowser")
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/lifecycle")
    assert page.locator("h1").inner_text() == "远程运维总览"
    assert page.locator("nav.sidenav a[aria-current='page']").inner_text() == "远程运维"

    # the map of sites (Plotly svg: three sites, one grey) and the health histogram
    page.wait_for_selector("#fleet-map.js-plotly-plot .main-svg")
    page.wait_for_selector("#health-hist.js-plotly-plot .main-svg")
    assert page.locator("#fleet-map .scatterlayer .point").count() == 3
    fills = page.locator("#fleet-map .scatterlayer .point").evaluate_all("els => els.map(e => e.style.fill)")
    assert "rgb(154, 165, 177)" in fills  # the unscored site is grey
    assert page.locator("#fleet-map .colorbar").count() == 1
    assert page.locator("#health-hist .bars path").count() >= 2
    assert page.locator('[data-count="open-alarms"]').inner_text() == "2"

    # the open alarms; acknowledge the newest by clicking
    rows = page.locator("#alarm-list tbody tr")
    assert rows.count() == 2
    first = rows.first
    title = first.locator(".alarm-title").inner_text().splitlines()[0]
    assert title == "排气温度高"
    assert first.locator(".alarm-ack").inner_text() == "未确认"
    first.get_by_role("button", name=re.compile("^确认告警")).click()
    page.wait_for_url(base + "/lifecycle")
    assert "已确认告警“排气温度高”" in page.locator(".flash").inner_text()
    row = page.locator("#alarm-list tbody tr", has_text="排气温度高")
    assert row.locator(".alarm-status").inner_text() == "已确认"
    assert row.locator(".alarm-ack").inner_text().startswith("王经理")
    assert row.get_by_role("button").count() == 0
    assert page.locator("#alarm-list button").count() == 1
    assert page.locator('[data-count="unacknowledged"]').inner_text() == "1"
    page.wait_for_selector("#fleet-map .main-svg")
    _shot(page, tmp_path, "om-fleet-zh")

    # click the least healthy site on the map: its asset page opens
    point = page.locator("#fleet-map .scatterlayer .trace").last.locator(".point").first
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_selector("#fleet-map .hoverlayer .hovertext")
    assert "SN-OM-1" in (page.locator("#fleet-map .hoverlayer").text_content() or "")
    page.mouse.click(x, y)
    page.wait_for_url(f"{base}/assets/{a1.id}/monitoring")

    # live charts: one per metric, band and average drawn from data; latest values
    assert page.locator("h1").inner_text() == "设备 SN-OM-1 远程运维"
    page.wait_for_selector("#chart-metric-0.js-plotly-plot .main-svg")
    page.wait_for_selector("#chart-metric-1.js-plotly-plot .main-svg")
    assert page.locator(".metric-chart").count() == 2
    for i in range(2):
        assert page.locator(f"#chart-metric-{i} .scatterlayer .trace").count() == 3
        d = page.locator(f"#chart-metric-{i} .scatterlayer .trace").last.locator("path.js-line").get_attribute("d")
        assert d and d.count("L") > 20, d  # drawn (Plotly simplifies straight runs of a line)
        n = page.evaluate(f"document.getElementById('chart-metric-{i}').data[2].x.length")
        assert 280 <= n <= 290, n  # a 5-minute bucket each over 24 h
        assert page.locator(f"#chart-metric-{i} .scatterlayer .trace path.js-fill").count() >= 1  # min-max band
    latest = page.locator("#latest-values tr[data-metric='vibration'] .latest-value").inner_text()
    assert latest == "5.2"
    # health gauge and the RUL with its 90% interval (an error bar from 300 to 610 h)
    page.wait_for_selector("#health-gauge .main-svg")
    page.wait_for_selector("#rul-chart .main-svg")
    assert page.locator("#rul-chart path.xerror").count() == 1
    assert page.locator("#rul-text").inner_text() == "剩余寿命 420 h（90% 区间 300–610 h）"
    # the timeline of the whole chain, newest first
    timeline = page.locator("ol.om-timeline").inner_text()
    for word in ("状态变更", "告警发生", "告警确认", "工单创建", "在役 → 性能劣化", "振动超限 (SN-OM-1)"):
        assert word in timeline, word
    stamps = page.locator("ol.om-timeline time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert stamps == sorted(stamps, reverse=True)
    assert page.locator("#work-orders tbody tr").count() == 1
    assert page.locator("#open-alarms tbody tr").count() == 2
    _shot(page, tmp_path, "om-asset-zh")

    # the 30-second refresh reads the page's JSON route with the session cookie
    last = page.evaluate(
        "(() => { const x = document.getElementById('chart-metric-1').data[2].x; return x[x.length - 1]; })()"
    )
    with page.expect_response(lambda r: "/monitoring/series" in r.url) as info:
        page.evaluate("window.sompMonitoring.refresh()")
    assert info.value.status == 200 and "since=" in info.value.url  # only the newest buckets
    tail = info.value.json()
    assert tail["partial"] is True and {m["key"] for m in tail["metrics"]} == {"vibration", "temperature"}
    page.wait_for_function("document.getElementById('series-updated').getAttribute('data-updated') !== null")
    n = page.evaluate("document.getElementById('chart-metric-1').data[2].x.length")
    assert 280 <= n <= 290, n  # merged: the same window, nothing doubled
    assert (
        page.evaluate(
            "(() => { const x = document.getElementById('chart-metric-1').data[2].x; return x[x.length - 1]; })()"
        )
        == last
    )

    # another range, then English
    page.get_by_role("link", name="7 天").click()
    page.wait_for_url(re.compile(r".*/monitoring\?range=7d.*"))
    page.wait_for_selector("#chart-metric-0.js-plotly-plot .main-svg")
    assert page.locator(".range-switch [aria-current='true']").inner_text() == "7 天"
    page.get_by_role("button", name="切换语言（English）").click()
    page.wait_for_selector("#chart-metric-0 .main-svg")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Remote O&M of SN-OM-1"
    assert page.locator("#rul-text").inner_text() == "RUL 420 h (90% interval 300–610 h)"
    assert "Vibration" in page.locator("#latest-values").inner_text()
    assert "Alarm raised" in page.locator("ol.om-timeline").inner_text()
    _shot(page, tmp_path, "om-asset-en")
    page.goto(base + "/lifecycle")
    page.wait_for_selector("#fleet-map .main-svg")
    assert page.locator("h1").inner_text() == "Remote O&M overview"
    _shot(page, tmp_path, "om-fleet-en")

    assert failed == [], failed
    assert errors == [], errors
    context.close()
