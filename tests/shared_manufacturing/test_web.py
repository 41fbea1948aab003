"""Marketplace pages (3.4): post an order through the form (stored and quoted, or refused whole),
accept it, see the plan per order and per factory, record progress, the diff and the demand page;
every label resolves in both languages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.shared_manufacturing.models import Booking, Order
from tests.factories import make_tenant, make_user
from tests.shared_manufacturing.market import publish, resource
from tests.web.helpers import RAW_KEY_RE, WebClient


@pytest.fixture
def two_sides(db):
    factory, buyer = make_tenant(db, name="苏州精工"), make_tenant(db, name="买方甲")
    publish(
        db,
        factory.id,
        resource("SZ-L1", [{"code": "laser_cutting", "parameters": {"max_thickness_mm": 20}}]),
        resource("SZ-M1", [{"code": "cnc_milling_5axis"}], hourly_rate="150.00"),
    )
    make_user(db, factory, Role.tenant_admin, username="factoryadmin")
    make_user(db, buyer, Role.tenant_admin, username="buyeradmin")
    make_user(db, None, Role.platform_admin, username="mfgroot")
    return factory, buyer


FORM = {
    "title": "法兰盘 50 件",
    "release_at": "2026-03-02T00:00",
    "due_at": "2026-03-04T00:00",
    "quality_grade": "C",
    "weight": "2",
    "part-0-name": "法兰",
    "part-0-quantity": "50",
    "part-0-op-0-capability": "laser_cutting",
    "part-0-op-0-minutes": "90",
    "part-0-op-0-params": "thickness_mm=12",
    "part-0-op-1-capability": "cnc_milling_5axis",
    "part-0-op-1-minutes": "120",
}


def test_post_accept_and_follow_an_order_through_the_pages(app, db, two_sides):
    from somp.web.render import MISSING

    MISSING.clear()
    factory, buyer = two_sides
    web = WebClient(app, "buyeradmin")
    r = web.get("/shared-mfg/orders/new")
    assert r.status_code == 200 and "laser_cutting" in r.text
    r = web.post("/shared-mfg/orders/new", FORM)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = web.get(url).text
    assert "法兰盘 50 件" in page and "mfg-accept" in page
    # 90 min at 120 CNY/h + 120 min at 150 CNY/h = 480.00; +5 % = 504.00
    assert re.search(r'id="mfg-quote-total">504\.00<', page)
    r = web.post(url + "/accept", {})
    assert r.status_code == 303
    page = web.get(url).text
    assert re.search(r"求解状态 (optimal|feasible)，与下界差距 \d+\.\d%", page)  # the run's status and gap
    assert "苏州精工" in page and '"bars":[{' in page.replace(" ", "")
    with db.session(Scope.tenant(factory.id)) as s:
        bookings = list(s.scalars(select(Booking).order_by(Booking.start_at)))
    assert len(bookings) == 2

    fweb = WebClient(app, "factoryadmin", lang="en")
    g = fweb.get("/shared-mfg/gantt")
    assert g.status_code == 200 and "Factory Gantt chart" in g.text and "买方甲" in g.text
    assert fweb.get("/shared-mfg").status_code == 200
    assert fweb.get(url).status_code == 404  # the buyer's order page is the buyer's
    r = fweb.post(f"/shared-mfg/bookings/{bookings[1].id}/progress", {"event": "started"})
    assert r.status_code == 303  # refused (the first operation is not finished): a message, no change
    with db.session(Scope.tenant(factory.id)) as s:
        assert s.get(Booking, bookings[1].id).status == "planned"
    for b in bookings:
        for event in ("started", "finished"):
            assert fweb.post(f"/shared-mfg/bookings/{b.id}/progress", {"event": event}).status_code == 303
    r = web.post(url + "/settle", {})
    assert r.status_code == 303
    with db.session(Scope.tenant(buyer.id)) as s:
        o = s.scalar(select(Order))
        assert o.status == "settled" and o.settled_total <= o.quote_total
    for path in ("/shared-mfg/changes", "/shared-mfg/demand", "/shared-mfg/orders", "/shared-mfg"):
        for client in (web, fweb):
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            assert not RAW_KEY_RE.search(r.text), path
    root = WebClient(app, "mfgroot")
    assert root.get("/shared-mfg/demand").status_code == 200
    assert root.get("/shared-mfg/orders").status_code == 403
    assert not MISSING, sorted(MISSING)


def test_an_order_no_one_can_make_is_refused_whole_with_the_reason(app, db, two_sides):
    _factory, buyer = two_sides
    web = WebClient(app, "buyeradmin")
    bad = FORM | {"part-0-op-0-params": "thickness_mm=30"}
    r = web.post("/shared-mfg/orders/new", bad)
    assert r.status_code == 422 and "parts[0].operations[0]" in r.text and "thickness_mm=30" in r.text
    r = web.post("/shared-mfg/orders/new", FORM | {"due_at": "2026-03-01T00:00"})
    assert r.status_code == 422
    with db.session(Scope.tenant(buyer.id)) as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 0


def test_a_breakdown_reported_on_the_board_replans_and_opens_the_diff(app, db, two_sides):
    factory, buyer = two_sides
    web = WebClient(app, "buyeradmin")
    url = web.post("/shared-mfg/orders/new", FORM).headers["location"]
    assert web.post(url + "/accept", {}).status_code == 303
    with db.session(Scope.tenant(factory.id)) as s:
        laser = s.scalar(select(Booking).where(Booking.capability == "laser_cutting"))
        before = (laser.operation_id, laser.start_at)
    fweb = WebClient(app, "factoryadmin", lang="en")
    assert f"/shared-mfg/resources/{laser.resource_id}/breakdown" in fweb.get("/shared-mfg").text
    r = fweb.post(f"/shared-mfg/resources/{laser.resource_id}/breakdown", {"hours": "1000"})
    assert r.status_code == 303 and r.headers["location"] == "/shared-mfg"  # refused: at most 720 hours
    r = fweb.post(f"/shared-mfg/resources/{laser.resource_id}/breakdown", {"hours": "500"})
    assert r.status_code == 303 and r.headers["location"] == "/shared-mfg/changes"
    page = fweb.get("/shared-mfg/changes").text
    assert "Moved" in page and "breakdown" in page
    with db.session(Scope.tenant(factory.id)) as s:
        moved = s.scalar(select(Booking).where(Booking.operation_id == before[0]))
        assert moved.start_at >= before[1] + dt.timedelta(hours=499)
    bpage = web.get("/shared-mfg/changes").text
    assert "时间调整" in bpage and "苏州精工" in bpage


def test_changeovers_show_as_setup_bars_before_the_operation_on_both_gantt_charts(app, db):
    """Two parts of different setup families posted through the form on a machine with a
    2-hour changeover: one of them is planned after a changeover, drawn as its own bar ending
    where the operation starts, on the order's chart and the factory's, and listed in the tables."""
    import json

    factory, buyer = make_tenant(db, name="折弯厂"), make_tenant(db, name="买方乙")
    publish(db, factory.id, resource("BD-1", [{"code": "sheet_bending"}], changeover_minutes=120))
    make_user(db, factory, Role.tenant_admin, username="benderadmin")
    make_user(db, buyer, Role.tenant_admin, username="benderbuyer")
    web = WebClient(app, "benderbuyer")
    form = {"title": "两种材料", "release_at": "2026-03-02T00:00", "due_at": "2026-03-06T00:00", "quality_grade": "C"}
    for i, family in enumerate(("steel", "aluminium")):
        form |= {f"part-{i}-name": f"板{i}", f"part-{i}-quantity": "1", f"part-{i}-op-0-capability": "sheet_bending",
                 f"part-{i}-op-0-minutes": "60", f"part-{i}-op-0-family": family}  # fmt: skip
    r = web.post("/shared-mfg/orders/new", form)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    assert web.post(url + "/accept", {}).status_code == 303

    def chart(html: str) -> dict:
        m = re.search(r'<script[^>]*id="mfg-gantt-data"[^>]*>(.*?)</script>', html, re.S)
        return json.loads(m.group(1))

    page = web.get(url).text
    bars = chart(page)["bars"]
    setups = [b for b in bars if b.get("kind") == "setup"]
    ops = [b for b in bars if b.get("kind") != "setup"]
    assert len(ops) == 2 and len(setups) == 1
    after = next(b for b in ops if b["y"] == setups[0]["y"])
    assert setups[0]["end"] == after["start"] and "120" in setups[0]["text"] and "换型" in setups[0]["group"]
    assert "aluminium" in page and "steel" in page
    g = WebClient(app, "benderadmin", lang="en").get("/shared-mfg/gantt").text
    fsetups = [b for b in chart(g)["bars"] if b.get("kind") == "setup"]
    assert len(fsetups) == 1 and fsetups[0]["start"] == setups[0]["start"] and "Changeover" in fsetups[0]["group"]
    assert not RAW_KEY_RE.search(g) and not RAW_KEY_RE.search(page)
