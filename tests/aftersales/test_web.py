"""After-sales pages (2.1.6) and the customer portal, server-side: staff and customer users in
Chinese and English with every label resolved, the live timer's JSON route, a customer's reply
resuming a paused ticket, transitions through the page, the quality and satisfaction pages and a
survey answered in the portal."""

from __future__ import annotations

import datetime as dt

import pytest

from somp.core.database import utcnow
from somp.core.tenancy import Scope
from somp.modules.aftersales import engagement, service
from somp.modules.aftersales.models import TicketStatus
from somp.modules.aftersales.schemas import SurveyCreate, TicketCreate, TicketTransition
from tests.aftersales.factories import make_shop
from tests.web.helpers import WebClient, raw_keys


@pytest.fixture
def world(db):
    shop = make_shop(db)
    now = utcnow()
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        t = service.raise_ticket(
            s,
            TicketCreate(asset_id=shop.asset.id, title="排气温度高", category="breakdown", priority="critical"),
            user_id=shop.manager.id,
            now=now - dt.timedelta(minutes=10),
        )
        engagement.create_survey(s, SurveyCreate(code="NPS-1", kind="nps", title="推荐意愿", question="会推荐吗？"))
        s.commit()
    return shop, t


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staff_pages_render_with_every_label(app, db, world, lang):
    shop, t = world
    web = WebClient(app, shop.manager.username, lang=lang)
    for url in (
        "/tickets",
        "/tickets/new",
        f"/tickets/{t.id}",
        "/aftersales/quality",
        "/aftersales/satisfaction",
        "/aftersales/quality?period=2026-Q4",
        f"/tickets/{t.id}/edit",
    ):
        r = web.get(url)
        assert r.status_code == 200, (url, r.text[:500])
        assert raw_keys(r.text) == [], (url, raw_keys(r.text))
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        (survey,), _ = engagement.list_surveys(s, limit=10, cursor=None)
    for url in (
        "/surveys",
        "/surveys/new",
        f"/surveys/{survey.id}",
        f"/surveys/{survey.id}/edit",
        "/participation",
        "/participation/new",
    ):
        r = web.get(url)
        assert r.status_code == 200, (url, r.text[:500])
        assert raw_keys(r.text) == [], (url, raw_keys(r.text))
    page = web.get(f"/tickets/{t.id}").text
    assert "data-sla-timer" in page and 'data-clock="resolution"' in page and 'data-state="running"' in page
    assert ("7×24 小时" if lang == "zh" else "24 x 7") in page
    assert web.get("/portal").status_code == 403  # the portal is for customer users
    assert web.get("/aftersales/quality?period=2026-13").status_code == 200  # a bad period is ignored


def test_participation_and_surveys_through_the_forms(app, db, world):
    shop, _t = world
    web = WebClient(app, shop.manager.username)
    form = {
        "customer_id": str(shop.customer.id),
        "stage": "co_design",
        "occurred_at": "2026-02-03",
        "contract_id": str(shop.contract.id),
        "summary": "参与选型方案评审",
    }
    r = web.post("/participation/new", form)
    assert r.status_code == 303, r.text[:2000]
    r = web.get(r.headers["location"])
    assert "参与选型方案评审" in r.text and "2026-02-02 16:00 UTC" in r.text  # 00:00 in Shanghai
    r = web.post("/participation/new", form | {"customer_id": str(shop.other_customer.id)})
    assert r.status_code == 422  # the contract is another customer's
    r = web.post(
        "/surveys/new",
        {"code": "CSAT-9", "kind": "csat", "title": "服务满意度", "question": "满意吗？", "status": "open"},
    )
    assert r.status_code == 303
    sid = int(r.headers["location"].rsplit("/", 1)[1])
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        from somp.modules.aftersales.schemas import SurveyAnswerRecorded

        for cust, score in ((shop.customer.id, 5), (shop.other_customer.id, 3)):
            engagement.answer_survey(
                s, sid, SurveyAnswerRecorded(customer_id=cust, score=score), customer_id=cust, user_id=None
            )
        s.commit()
    page = web.get(f"/surveys/{sid}").text
    assert 'data-score="CSAT">50.0<' in page and 'data-score="n">2<' in page
    r = web.post(f"/surveys/{sid}/edit", {"title": "服务满意度", "question": "满意吗？", "status": "closed"})
    assert r.status_code == 303


def test_the_timer_route_follows_a_pause_and_a_resume(app, db, world):
    shop, t = world
    web = WebClient(app, shop.manager.username)
    first = web.get(f"/tickets/{t.id}/sla.json").json()
    assert first["resolution"]["state"] == "running" and first["working_now"] is True
    assert 0 < first["resolution"]["remaining_seconds"] < 8 * 3600 - 500
    r = web.post(f"/tickets/{t.id}/transition", {"to_status": "waiting_customer", "version": str(t.version)})
    assert r.status_code == 303
    paused = web.get(f"/tickets/{t.id}/sla.json").json()
    assert paused["resolution"]["state"] == "paused" and paused["resolution"]["deadline"] is None
    assert paused["response"]["state"] == "met"
    # the customer replies in the portal: the clock runs again
    cust = WebClient(app, shop.customer_user.username)
    assert "hint.reply_resumes" not in cust.get(f"/tickets/{t.id}").text
    r = cust.post(f"/tickets/{t.id}/comment", {"note": "已复位，请继续处理"})
    assert r.status_code == 303
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        assert service.get_ticket(s, t.id).status is TicketStatus.in_progress
    resumed = cust.get(f"/tickets/{t.id}/sla.json").json()
    assert resumed["resolution"]["state"] == "running"
    assert resumed["resolution"]["elapsed_seconds"] >= paused["resolution"]["elapsed_seconds"]


def test_customer_sees_their_portal_and_answers_a_survey(app, db, world):
    shop, t = world
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        other = service.raise_ticket(
            s, TicketCreate(asset_id=shop.other_asset.id, title="别家的工单", category="other"), user_id=None
        )
        s.commit()
    for lang in ("zh", "en"):
        web = WebClient(app, shop.customer_user.username, lang=lang)
        r = web.get("/portal")
        assert r.status_code == 200 and raw_keys(r.text) == []
        assert t.number in r.text and other.number not in r.text
        assert shop.asset.serial_number in r.text and shop.other_asset.serial_number not in r.text
        listing = web.get("/tickets").text
        assert t.number in listing and other.number not in listing
        assert web.get(f"/tickets/{other.id}").status_code == 404
        assert web.get("/tickets/new").status_code == 200
        assert web.get("/aftersales/quality").status_code == 403
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        (survey,), _ = engagement.list_surveys(s, limit=10, cursor=None)
    r = web.post(f"/portal/surveys/{survey.id}/answer", {"score": "9", "comment": "响应很快"})
    assert r.status_code == 303
    assert "msg.survey_answered" not in web.get("/portal").text
    r = web.post(f"/portal/surveys/{survey.id}/answer", {"score": "9"})  # a second answer is refused
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        tr = engagement.satisfaction_trend(
            s, survey.kind, utcnow().date().replace(day=1), utcnow().date() + dt.timedelta(days=1)
        )
        assert (tr.total.n, tr.total.score) == (1, 100.0)
    # a customer raises a ticket through the form: it is theirs
    r = web.post(
        "/tickets/new",
        {"asset_id": str(shop.asset.id), "title": "噪音大", "category": "performance", "priority": "low"},
    )
    assert r.status_code == 303
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        mine, _ = service.list_tickets(s, limit=50, cursor=None, q="噪音大")
        assert [x.customer_id for x in mine] == [shop.customer.id]
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        service.transition_ticket(s, t.id, TicketTransition(to_status="resolved"), user_id=None)
        s.commit()
    page = web.get(f"/tickets/{t.id}").text
    assert 'name="reopen"' in page
