"""Remote O&M pages (3.6): the fleet overview and the asset monitoring page, server-side.

The data is made the way production makes it: readings ingested through the telemetry
``Ingestor``, alarm rules evaluated and reacted to through the event bus (alarm -> work order,
asset degraded), health scores as the scoring job stores them. Covered: both pages for a field
engineer and a service manager in Chinese and English with every label resolved, the charts' JSON
route, 403 for customer users and evaluators, another tenant's asset and alarm are 404,
acknowledging through the page (recorded with the user, CSRF, stale and repeated clicks), empty
states and the alarm list's pages and filters.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest
from sqlalchemy import select

from somp.api.app import build_bus
from somp.core.database import utcnow
from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.lifecycle import service
from somp.modules.lifecycle.models import Alarm, AlarmSource, AlarmStatus, HealthScore, Reaction
from somp.modules.lifecycle.schemas import AlarmRuleCreate
from somp.modules.telemetry.ingest import Ingestor, Item, Source
from somp.modules.telemetry.models import Metric
from somp.modules.telemetry.payloads import Columns, us_of
from tests.factories import make_asset, make_customer, make_product, make_tenant, make_user
from tests.web.helpers import WebClient, raw_keys

# (serial, site, latitude, longitude): three sites around Lake Tai
SITES = (
    ("SN-OM-1", "无锡纺织厂一车间", 31.49, 120.31),
    ("SN-OM-2", "苏州工业园区二号站", 31.30, 120.58),
    ("SN-OM-3", "常州泵站", 31.81, 119.97),
)
METRICS = {"vibration": ("振动", "Vibration", "mm/s"), "temperature": ("排气温度", "Discharge temperature", "°C")}
STEP = 300  # one reading every five minutes


def _send(db, tenant, asset, series: dict[str, np.ndarray], times: np.ndarray, now: dt.datetime) -> None:
    keys = [k for k in series for _ in times]
    cols = Columns(
        keys,
        np.concatenate([times for _ in series]),
        np.concatenate(list(series.values())).astype(np.float64),
        [None] * len(keys),
    )
    (out,) = Ingestor(db).ingest_many([Item(Source(tenant.id, asset.id, "http"), cols, repr(keys[:1]).encode())], now)
    assert out.ok, out.error


def dispatch(db) -> None:
    bus = build_bus()
    while bus.dispatch_pending(db):
        pass


def seed_monitoring(db, tenant, now: dt.datetime, *, hours: int = 48) -> dict:
    """Three assets in the field: SN-OM-1 vibrating above its limit for the last hour (a major
    alarm with a corrective work order, the asset degraded) and running hot (a minor alarm),
    health 35; SN-OM-2 with one vibration spike ten hours ago (raised, then cleared), health 82;
    SN-OM-3 without telemetry or score."""
    p = make_product(db, tenant, code="P-OM", name="螺杆空压机 55kW")
    c = make_customer(db, tenant, code="C-OM", name="无锡纺织厂")
    assets = [
        make_asset(
            db, tenant, p.id, c.id, serial_number=sn, state="in_service", site_name=site, latitude=lat, longitude=lon
        )  # fmt: skip
        for sn, site, lat, lon in SITES
    ]
    with db.session(Scope.tenant(tenant.id)) as s:
        service.create_rule(
            s,
            AlarmRuleCreate(
                name="振动超限",
                product_id=p.id,
                reaction=Reaction.corrective,
                spec={
                    "severity": "major",
                    "condition": {
                        "kind": "threshold",
                        "metric": "vibration",
                        "op": ">",
                        "value": 4.5,
                        "clear_value": 3.5,
                    },
                },  # fmt: skip
            ),
        )
        service.create_rule(
            s,
            AlarmRuleCreate(
                name="排气温度高",
                product_id=p.id,
                spec={
                    "severity": "minor",
                    "condition": {"kind": "threshold", "metric": "temperature", "op": ">", "value": 80},
                },  # fmt: skip
            ),
        )
        s.commit()
    n = hours * 3600 // STEP
    end_us = us_of(now - dt.timedelta(minutes=1))
    times = end_us - np.arange(n, dtype=np.int64)[::-1] * STEP * 1_000_000
    phase = np.linspace(0, 12 * np.pi, n)
    vib = 2.5 + 0.4 * np.sin(phase)
    vib[-12:] = 5.2  # the last hour
    temp = 70 + 4 * np.sin(phase / 3)
    temp[-6:] = 85.0  # the last half hour
    _send(db, tenant, assets[0], {"vibration": vib, "temperature": temp}, times, now)
    vib2 = 2.0 + 0.2 * np.sin(phase)
    vib2[-120:-118] = 5.0  # a spike ten hours ago, then back below the clear value
    _send(db, tenant, assets[1], {"vibration": vib2}, times, now)
    dispatch(db)
    with db.session(Scope.tenant(tenant.id)) as s:
        for m in s.scalars(select(Metric)):
            m.name, m.name_en, m.unit = METRICS[m.key]
        s.add(HealthScore(tenant_id=tenant.id, asset_id=assets[0].id, health=35.0, rul=420.0, rul_low=300.0,
                          rul_high=610.0, unit="h", scored_at=now - dt.timedelta(minutes=20),
                          data_until=now - dt.timedelta(minutes=30)))  # fmt: skip
        s.add(HealthScore(tenant_id=tenant.id, asset_id=assets[1].id, health=82.0, rul=5200.0, rul_low=4100.0,
                          rul_high=6400.0, unit="h", scored_at=now - dt.timedelta(minutes=20)))  # fmt: skip
        s.commit()
    return {"product": p, "customer": c, "assets": assets}


@pytest.fixture
def om(db):
    t = make_tenant(db, name="运维企业")
    data = seed_monitoring(db, t, utcnow())
    eng = make_user(db, t, Role.engineer, username="omeng", display_name="李工")
    make_user(db, t, Role.service_manager, username="omsm", display_name="王经理")
    make_user(db, t, Role.customer_user, customer_id=data["customer"].id, username="omcust")
    make_user(db, None, Role.evaluator, username="omeval")
    return data | {"tenant": t, "engineer": eng}


def _alarms(db, tenant) -> list[Alarm]:
    with db.session(Scope.tenant(tenant.id)) as s:
        return list(s.scalars(select(Alarm).order_by(Alarm.id)))


def _json_of(html: str, element_id: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert m, element_id
    return json.loads(m.group(1))


def _count(html: str, name: str) -> int:
    m = re.search(rf'data-count="{name}">(\d+)<', html)
    assert m, name
    return int(m.group(1))


def test_the_seed_is_what_the_pages_show(db, om):
    a1, a2, _a3 = om["assets"]
    alarms = _alarms(db, om["tenant"])
    assert [(al.asset_id, al.title, al.status) for al in alarms] == [
        (a1.id, "振动超限", AlarmStatus.raised),
        (a1.id, "排气温度高", AlarmStatus.raised),
        (a2.id, "振动超限", AlarmStatus.cleared),
    ]
    assert alarms[0].work_order_id is not None


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", ["omeng", "omsm"])
def test_both_pages_render_for_engineer_and_service_manager(app, om, username, lang):
    from somp.web.render import MISSING

    MISSING.clear()
    a1, a2, a3 = om["assets"]
    web = WebClient(app, username, lang=lang)
    html_lang = 'lang="zh-CN"' if lang == "zh" else 'lang="en"'
    urls = ["/lifecycle", "/lifecycle?unacknowledged=1", "/lifecycle?severity=major", f"/assets/{a1.id}"]
    urls += [f"/assets/{a.id}/monitoring" for a in (a1, a2, a3)]
    urls += [f"/assets/{a1.id}/monitoring?range={r}" for r in ("7d", "30d")]
    for url in urls:
        r = web.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:500])
        assert html_lang in r.text, url
        assert not raw_keys(r.text), (url, raw_keys(r.text))
    assert not MISSING, sorted(MISSING)
    zh = lang == "zh"

    home = web.get("/").text
    assert 'href="/lifecycle"' in home and ("远程运维" if zh else "Remote O&amp;M") in home
    fleet = web.get("/lifecycle").text
    assert (_count(fleet, "in-field"), _count(fleet, "scored")) == (3, 2)
    assert [_count(fleet, f"band-{b}") for b in ("good", "fair", "poor", "none")] == [1, 0, 1, 1]
    assert [_count(fleet, f"alarms-{s}") for s in ("critical", "major", "minor", "warning")] == [0, 1, 1, 0]
    assert (_count(fleet, "open-alarms"), _count(fleet, "unacknowledged")) == (2, 2)
    chart = _json_of(fleet, "fleet-data")
    points = chart["map"]["points"]
    assert [p["health"] for p in points] == [35.0, 82.0, None]  # the least healthy first, unscored last
    assert points[0]["url"] == f"/assets/{a1.id}/monitoring" and "SN-OM-1" in points[0]["text"]
    assert "300–610" in points[0]["text"] and "无锡纺织厂一车间" in points[0]["text"]
    assert 1.1 < chart["map"]["aspect"] < 1.2  # 1 / cos(31.5°)
    assert sum(chart["hist"]["counts"]) == 2 and chart["hist"]["counts"][7] == 1 and chart["hist"]["counts"][16] == 1
    rows = re.findall(r'<tr data-alarm="(\d+)" data-status="(\w+)" data-severity="(\w+)">', fleet)
    assert [(s, v) for _i, s, v in rows] == [("raised", "minor"), ("raised", "major")]  # newest first
    assert fleet.count('action="/lifecycle/alarms/') == 2  # both may acknowledge
    assert ("振动超限" in fleet) and ("紧急" if zh else "Critical") in fleet
    # the alarm in the reader's language (the engine's English message is the tooltip)
    assert ("超过阈值 · 振动 = 5.2" if zh else "Threshold crossed · Vibration = 5.2") in fleet
    assert re.search(r'title="rule-\d+ raised: vibration = 5.2 &gt; 4.5', fleet)
    assert 'href="/work-orders/' in fleet  # the alarm's work order
    assert re.search(r'id="worst-assets".*SN-OM-1.*SN-OM-2', fleet, re.S)

    page = web.get(f"/assets/{a1.id}/monitoring").text
    assert ("振动" if zh else "Vibration") in page and ("排气温度" if zh else "Discharge temperature") in page
    assert "420 h" in page and "300–610 h" in page and 'data-health="35.0"' in page
    data = _json_of(page, "asset-data")
    assert data["series_url"] == f"/assets/{a1.id}/monitoring/series" and data["refresh_seconds"] == 30
    assert (data["health"]["rul_low"], data["health"]["rul"], data["health"]["rul_high"]) == (300.0, 420.0, 610.0)
    series = {m["key"]: m for m in data["series"]["metrics"]}
    assert set(series) == {"vibration", "temperature"}
    assert 280 <= len(series["vibration"]["t"]) <= 290 and max(series["vibration"]["max"]) == 5.2
    assert series["vibration"]["latest"]["text"] == "5.2"
    kinds = re.findall(r'<li class="ev ev-\w+" data-kind="(\w+)">', page)
    assert {"state_change", "alarm_raised", "work_order_opened"} <= set(kinds)
    times = re.findall(r'<time datetime="([^"]+)"', page)
    assert times == sorted(times, reverse=True)
    assert 'id="work-orders"' in page and "振动超限 (SN-OM-1)" in page
    assert page.count('action="/lifecycle/alarms/') == 2
    detail = web.get(f"/assets/{a1.id}").text
    assert f'href="/assets/{a1.id}/monitoring"' in detail  # linked from the asset page
    cleared = web.get(f"/assets/{a2.id}/monitoring").text
    assert 'id="cleared-alarms"' in cleared and 'data-kind="alarm_cleared"' in cleared


def test_the_series_route_chooses_buckets_per_range(app, om):
    a1 = om["assets"][0]
    web = WebClient(app, "omeng")
    url = f"/assets/{a1.id}/monitoring/series"
    for rng, seconds, most in (("24h", 300, 289), ("7d", 3600, 169), ("30d", 14400, 181), ("bogus", 300, 289)):
        r = web.get(url, params={"range": rng})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert r.headers["cache-control"] == "no-store"
        body = r.json()
        assert body["bucket_seconds"] == seconds and body["range"] == (rng if rng != "bogus" else "24h")
        for m in body["metrics"]:
            assert 0 < len(m["t"]) <= most, (rng, m["key"], len(m["t"]))
            assert len(m["t"]) == len(m["min"]) == len(m["max"]) == len(m["avg"])
            lows = [x for x in m["min"] if x is not None]
            highs = [x for x in m["max"] if x is not None]
            assert all(lo <= hi for lo, hi in zip(lows, highs, strict=True))
    # two days of data on the 7-day axis: the start of the axis is before the first bucket
    body = web.get(url, params={"range": "7d"}).json()
    assert body["start"] < body["metrics"][0]["t"][0] and body["end"] > body["metrics"][0]["t"][-1]
    # a refresh asks for the buckets from the newest it holds: only those are read and sent
    full = web.get(url).json()
    assert full["partial"] is False and full["from"] == full["start"]
    newest = min(m["t"][-1] for m in full["metrics"])
    tail = web.get(url, params={"since": newest}).json()
    assert tail["partial"] is True and tail["from"] == newest and tail["start"] == full["start"]
    assert {m["key"] for m in tail["metrics"]} == {"vibration", "temperature"}
    assert all(1 <= len(m["t"]) <= 2 and m["t"][0] == newest for m in tail["metrics"])
    assert tail["metrics"][0]["latest"] == full["metrics"][0]["latest"]
    for bad in ("yesterday", "2001-01-01 00:00:00", "2999-01-01 00:00:00", "x" * 50):
        assert web.get(url, params={"since": bad}).json()["partial"] is False, bad


def test_customer_users_and_evaluators_are_refused(app, om):
    a1 = om["assets"][0]
    alarm = _alarms_of(app, om)[0]
    for username in ("omcust", "omeval"):
        web = WebClient(app, username)
        for url in ("/lifecycle", f"/assets/{a1.id}/monitoring", f"/assets/{a1.id}/monitoring/series"):
            assert web.get(url).status_code == 403, (username, url)
        r = web.post(f"/lifecycle/alarms/{alarm.id}/acknowledge", {"next": "/lifecycle"})
        assert r.status_code == 403, username
        assert 'href="/lifecycle"' not in web.get("/").text
    detail = WebClient(app, "omcust").get(f"/assets/{a1.id}").text  # the customer sees their asset
    assert "SN-OM-1" in detail and "/monitoring" not in detail
    assert _alarms_of(app, om)[0].acknowledged_at is None


def _alarms_of(app, om) -> list[Alarm]:
    return _alarms(app.state.db, om["tenant"])


def test_another_tenants_asset_and_alarm_are_not_found(app, db, om):
    other = make_tenant(db, name="别家企业")
    p = make_product(db, other, code="P-X")
    c = make_customer(db, other, code="C-X")
    asset = make_asset(db, other, p.id, c.id, serial_number="SN-OTHER", state="in_service", site_name="别处")
    with db.session(Scope.tenant(other.id)) as s:
        alarm = Alarm(tenant_id=other.id, asset_id=asset.id, source=AlarmSource.rule, severity="critical",
                      title="别家告警", reason="threshold", message="x", raised_at=utcnow())  # fmt: skip
        s.add(alarm)
        s.add(HealthScore(tenant_id=other.id, asset_id=asset.id, health=5.0, rul=1.0, rul_low=0.5, rul_high=2.0,
                          scored_at=utcnow()))  # fmt: skip
        s.commit()
        alarm_id = alarm.id
    web = WebClient(app, "omeng")
    for url in (f"/assets/{asset.id}/monitoring", f"/assets/{asset.id}/monitoring/series"):
        r = web.get(url)
        assert r.status_code == 404, url
        assert "SN-OTHER" not in r.text
    r = web.post(f"/lifecycle/alarms/{alarm_id}/acknowledge", {"next": "/lifecycle"})
    assert r.status_code == 404 and "别家告警" not in r.text
    fleet = web.get("/lifecycle").text
    assert "SN-OTHER" not in fleet and "别家告警" not in fleet and _count(fleet, "in-field") == 3
    with db.session(Scope.tenant(other.id)) as s:
        assert s.get(Alarm, alarm_id).acknowledged_at is None


def test_acknowledge_through_the_page_records_the_user(app, db, om):
    t, eng = om["tenant"], om["engineer"]
    a1 = om["assets"][0]
    web = WebClient(app, "omeng")
    fleet = web.get("/lifecycle").text
    forms = re.findall(
        r'action="/lifecycle/alarms/(\d+)/acknowledge".*?name="version" value="(\d+)".*?name="next" value="([^"]+)"',
        fleet,
        re.S,
    )
    assert len(forms) == 2
    alarm_id, version, back = forms[0]
    assert back == "/lifecycle"
    # without the session's CSRF token: refused, nothing recorded
    r = web.post(f"/lifecycle/alarms/{alarm_id}/acknowledge", {"version": version, "next": back}, csrf=False)
    assert r.status_code == 403
    assert all(al.acknowledged_at is None for al in _alarms(db, t))

    r = web.post(f"/lifecycle/alarms/{alarm_id}/acknowledge", {"version": version, "next": back})
    assert r.status_code == 303 and r.headers["location"] == "/lifecycle"
    al = next(x for x in _alarms(db, t) if x.id == int(alarm_id))
    assert (al.status, al.acknowledged_by) == (AlarmStatus.acknowledged, eng.id) and al.acknowledged_at is not None
    after = web.get("/lifecycle").text
    assert "已确认告警" in after and "李工" in after
    assert after.count('action="/lifecycle/alarms/') == 1 and _count(after, "unacknowledged") == 1
    assert _count(after, "open-alarms") == 2  # acknowledged is still open until it clears
    # a second click (a stale page): told so, nothing changes
    r = web.post(f"/lifecycle/alarms/{alarm_id}/acknowledge", {"version": version, "next": back})
    assert r.status_code == 303
    assert "已被确认或已变更" in web.get("/lifecycle").text
    # from the asset page, back to it; a foreign "next" goes to the overview instead
    other_id = forms[1][0]
    here = f"/assets/{a1.id}/monitoring#alarms"
    sm = WebClient(app, "omsm")
    r = sm.post(f"/lifecycle/alarms/{other_id}/acknowledge", {"next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/lifecycle"
    r = web.post(f"/lifecycle/alarms/{alarm_id}/acknowledge", {"next": here})
    assert r.headers["location"] == here
    page = web.get(f"/assets/{a1.id}/monitoring").text
    assert "王经理" in page and "李工" in page and 'action="/lifecycle/alarms/' not in page
    assert page.count('data-kind="alarm_acknowledged"') == 2


def test_empty_states(app, db):
    t = make_tenant(db)
    make_user(db, t, Role.engineer, username="emptyeng")
    web = WebClient(app, "emptyeng")
    fleet = web.get("/lifecycle")
    assert fleet.status_code == 200
    assert "暂无带坐标的在役设备" in fleet.text and "暂无健康评估" in fleet.text and "没有未关闭的告警" in fleet.text
    assert 'id="fleet-map"' not in fleet.text and 'id="health-hist"' not in fleet.text
    assert _count(fleet.text, "in-field") == 0
    p, c = make_product(db, t), make_customer(db, t)
    quiet = make_asset(db, t, p.id, c.id, state="in_service", site_name="新站点")
    unlocated = make_asset(db, t, p.id, c.id, state="installed", site_name="无坐标站点", latitude=None, longitude=None)
    fleet = web.get("/lifecycle").text
    assert _count(fleet, "in-field") == 2 and _count(fleet, "band-none") == 2
    assert len(_json_of(fleet, "fleet-data")["map"]["points"]) == 1 and "1 台设备没有坐标" in fleet
    page = web.get(f"/assets/{quiet.id}/monitoring")
    assert page.status_code == 200
    assert page.text.count("尚未评估健康度与剩余寿命") == 2 and "暂无该设备的运行数据" in page.text
    assert 'id="health-gauge"' not in page.text and 'class="chart metric-chart"' not in page.text
    data = _json_of(page.text, "asset-data")
    assert data["health"] is None and data["series"]["metrics"] == []
    assert web.get(f"/assets/{quiet.id}/monitoring/series").json()["metrics"] == []
    assert web.get(f"/assets/{unlocated.id}/monitoring").status_code == 200
    # not found and bad ids
    assert web.get("/assets/999999999/monitoring").status_code == 404
    assert web.get("/assets/abc/monitoring").status_code == 404
    assert web.post("/lifecycle/alarms/999999999/acknowledge", {}).status_code == 404


def test_open_alarm_list_pages_and_filters(app, db):
    t = make_tenant(db)
    make_user(db, t, Role.engineer, username="pageeng")
    p, c = make_product(db, t), make_customer(db, t)
    a = make_asset(db, t, p.id, c.id, state="in_service", serial_number="SN-MANY")
    now = utcnow()
    severities = ["critical", "major", "minor", "warning"]
    with db.session(Scope.tenant(t.id)) as s:
        for i in range(60):
            s.add(Alarm(tenant_id=t.id, asset_id=a.id, source=AlarmSource.anomaly, severity=severities[i % 4],
                        title=f"告警{i:02d}", reason="anomaly", message="z", raised_at=now - dt.timedelta(minutes=i),
                        status="cleared" if i >= 56 else "raised",
                        cleared_at=now if i >= 56 else None))  # fmt: skip
        s.commit()
    web = WebClient(app, "pageeng")
    first = web.get("/lifecycle").text
    assert first.count("<tr data-alarm=") == 50 and _count(first, "open-alarms") == 56
    nxt = re.search(r'href="(/lifecycle\?cursor=[^"]+)" rel="next"', first)
    assert nxt
    second = web.get(nxt.group(1).replace("&amp;", "&")).text
    assert second.count("<tr data-alarm=") == 6 and 'rel="next"' not in second and "第一页" in second
    crit = web.get("/lifecycle?severity=critical").text
    assert set(re.findall(r'data-severity="(\w+)"', crit)) == {"critical"} and crit.count("<tr data-alarm=") == 14
    bad = web.get("/lifecycle?severity=fatal&cursor=notacursor")
    assert bad.status_code == 200 and "筛选值无效" in bad.text
