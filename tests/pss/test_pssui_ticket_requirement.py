"""After-sales -> requirements engineering (issue 5; 2.1.6 feeding 2.1.1) on SQLite and
PostgreSQL: "capture as requirement" on a ticket (API and page) records a domain event and an
internal history line; the pss reaction creates the requirement (source ticket, the ticket number,
the ticket's customer, the contract's offering by default) once, however often the event is
dispatched or the form is sent; refusals say why; the customer sees nothing of it."""

from __future__ import annotations

from sqlalchemy import select

from somp.api.app import build_bus
from somp.core.events import OutboxEvent
from somp.core.tenancy import Scope
from somp.modules.pss.requirements_models import Requirement, RequirementChange
from tests.aftersales.factories import make_shop
from tests.factories import make_offering, make_product
from tests.web.helpers import WebClient

API = "/api/v1/aftersales"


def _ticket(api, shop, **kw):
    body = {"asset_id": shop.asset.id, "title": "希望增加远程诊断", "category": "other", "priority": "low",
            "description": "客户希望停机时能远程看到报警原因"} | kw  # fmt: skip
    r = api.post(f"{API}/tickets", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _requirements(db, shop):
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        return s.scalars(select(Requirement).order_by(Requirement.id)).all()


def test_a_ticket_captured_as_a_requirement_through_the_api(app, db, client_as):
    shop = make_shop(db)
    api = client_as(shop.manager)
    t = _ticket(api, shop)
    r = api.post(f"{API}/tickets/{t['id']}/requirement", json={"priority": "must", "weight": "4",
                                                                "title_en": "Remote diagnosis"})  # fmt: skip
    assert r.status_code == 202, r.text
    got = r.json()
    assert (got["source_kind"], got["source_ref"], got["offering_id"]) == (
        "ticket",
        t["number"],
        shop.contract.offering_id,
    )
    assert _requirements(db, shop) == []  # created by the reaction, not by after-sales
    bus = build_bus()
    bus.dispatch_pending(db)
    bus.dispatch_pending(db)  # dispatching again adds nothing
    reqs = _requirements(db, shop)
    assert len(reqs) == 1
    req = reqs[0]
    assert req.code.startswith("REQ-") and req.status.value == "captured"
    assert (req.source_kind.value, req.source_ref, req.customer_id) == ("ticket", t["number"], shop.customer.id)
    assert (req.title, req.title_en, req.priority.value, str(req.weight)) == ("希望增加远程诊断", "Remote diagnosis",
                                                                               "must", "4.000")  # fmt: skip
    assert req.description == "客户希望停机时能远程看到报警原因" and req.offering_id == shop.contract.offering_id
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        change = s.scalar(select(RequirementChange).where(RequirementChange.requirement_id == req.id))
        assert change.kind == "created" and change.by_user_id == shop.manager.id
        assert s.scalar(select(OutboxEvent.last_error).where(OutboxEvent.name == "RequirementStated")) is None
    # the ticket's history has an internal line; the customer does not see it
    events = api.get(f"{API}/tickets/{t['id']}").json()["events"]
    assert any(e["internal"] and "captured as a requirement" in (e["note"] or "") for e in events)
    cust = client_as(shop.customer_user)
    seen = cust.get(f"{API}/tickets/{t['id']}").json()["events"]
    assert not any("requirement" in (e["note"] or "") for e in seen)
    assert cust.post(f"{API}/tickets/{t['id']}/requirement", json={}).status_code == 403
    # the same requirement sent again (a double click) is one requirement; another title is another
    assert api.post(f"{API}/tickets/{t['id']}/requirement", json={"priority": "must"}).status_code == 202
    assert api.post(f"{API}/tickets/{t['id']}/requirement", json={"title": "报警推送到手机"}).status_code == 202
    bus.dispatch_pending(db)
    assert [r.title for r in _requirements(db, shop)] == ["希望增加远程诊断", "报警推送到手机"]
    # the engineer works tickets but does not capture requirements
    assert client_as(shop.engineer).post(f"{API}/tickets/{t['id']}/requirement", json={}).status_code == 403


def test_refusals_name_the_reason(app, db, client_as):
    shop = make_shop(db)
    api = client_as(shop.manager)
    # a ticket without asset and contract: the offering must be named
    t = _ticket(api, shop, asset_id=None, customer_id=shop.customer.id, channel="phone")
    r = api.post(f"{API}/tickets/{t['id']}/requirement", json={})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "offering_id"
    r = api.post(f"{API}/tickets/{t['id']}/requirement", json={"offering_id": 999999})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "offering_id"
    r = api.post(f"{API}/tickets/{t['id']}/requirement", json={"offering_id": shop.contract.offering_id, "weight": 0})
    assert r.status_code == 422
    assert api.post(f"{API}/tickets/999999/requirement", json={}).status_code == 404
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        assert s.scalars(select(OutboxEvent).where(OutboxEvent.name == "RequirementStated")).all() == []


def test_capture_as_requirement_on_the_ticket_page(app, db):
    shop = make_shop(db)
    other = make_offering(db, shop.tenant, make_product(db, shop.tenant, code="P-OTHER").id, code="OF-OTHER")
    web = WebClient(app, shop.manager.username, lang="en")
    r = web.post("/tickets/new", {"asset_id": shop.asset.id, "title": "需要夜间服务", "category": "other",
                                  "priority": "low"})  # fmt: skip
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = web.get(url).text
    assert 'id="capture-requirement"' in page
    assert f'<option value="{shop.contract.offering_id}" selected>' in page  # the contract's offering
    tid = int(url.rstrip("/").split("/")[-1])
    r = web.post(f"/tickets/{tid}/requirement", {"offering_id": other.id, "title": "夜间上门服务",
                                                 "priority": "could", "weight": "2"})  # fmt: skip
    assert r.status_code == 303
    assert "Captured; the requirement appears under Customer requirements." in web.get(url).text
    r = web.post(f"/tickets/{tid}/requirement", {"offering_id": other.id, "weight": "abc"})
    assert "Not captured:" in web.get(r.headers["location"]).text
    assert web.post(f"/tickets/{tid}/requirement", {"offering_id": other.id}, csrf=False).status_code == 403
    build_bus().dispatch_pending(db)
    (req,) = _requirements(db, shop)
    assert (req.offering_id, req.title, req.priority.value, req.source_ref) == (other.id, "夜间上门服务", "could",
                                                                                  page_number(page))  # fmt: skip
    listing = web.get(f"/pss/requirements?offering_id={other.id}").text
    assert req.code in listing and "Ticket" in listing
    # the customer's ticket page has no such form
    cust = WebClient(app, shop.customer_user.username)
    assert 'id="capture-requirement"' not in cust.get(url).text


def page_number(html: str) -> str:
    import re

    return re.search(r"TK-\d{4}-\d{6}", html).group(0)


def test_a_survey_comment_captured_as_a_requirement(app, db, client_as):
    shop = make_shop(db)
    api = client_as(shop.manager)
    sid = api.post(f"{API}/surveys", json={"code": "NPS-2026Q1", "kind": "nps", "title": "季度回访",
                                          "question": "您会推荐吗？"}).json()["id"]  # fmt: skip
    assert api.patch(f"{API}/surveys/{sid}", json={"status": "open"}).status_code == 200
    t = _ticket(api, shop)
    answer = {"customer_id": shop.customer.id, "score": 6, "comment": "希望提供能耗月报", "ticket_id": t["id"]}
    r = api.post(f"{API}/surveys/{sid}/responses", json=answer)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    silent = api.post(f"{API}/surveys/{sid}/responses", json={"customer_id": shop.other_customer.id, "score": 9}).json()
    # no comment and no title: refused with the reason; another survey's answer: 404
    r = api.post(
        f"{API}/surveys/{sid}/responses/{silent['id']}/requirement", json={"offering_id": shop.contract.offering_id}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    assert api.post(f"{API}/surveys/{sid}/responses/999999/requirement", json={}).status_code == 404
    # the offering comes from the contract of the answer's ticket, the title from the comment
    r = api.post(f"{API}/surveys/{sid}/responses/{rid}/requirement", json={"weight": "3"})
    assert r.status_code == 202, r.text
    assert (r.json()["source_kind"], r.json()["source_ref"]) == ("survey", f"NPS-2026Q1#{rid}")
    build_bus().dispatch_pending(db)
    (req,) = _requirements(db, shop)
    assert (req.source_kind.value, req.source_ref, req.title, req.customer_id) == (
        "survey", f"NPS-2026Q1#{rid}", "希望提供能耗月报", shop.customer.id)  # fmt: skip
    assert req.offering_id == shop.contract.offering_id and str(req.weight) == "3.000"


def test_a_survey_comment_captured_on_the_survey_page(app, db, client_as):
    shop = make_shop(db)
    api = client_as(shop.manager)
    sid = api.post(f"{API}/surveys", json={"code": "CSAT-1", "kind": "csat", "title": "服务满意度",
                                          "question": "满意吗？"}).json()["id"]  # fmt: skip
    api.patch(f"{API}/surveys/{sid}", json={"status": "open"})
    answer = api.post(f"{API}/surveys/{sid}/responses", json={"customer_id": shop.customer.id, "score": 3,
                                                              "comment": "备件到货太慢"}).json()  # fmt: skip
    web = WebClient(app, shop.manager.username, lang="en")
    page = web.get(f"/surveys/{sid}").text
    assert 'id="capture-survey-requirement"' in page and f'<option value="{answer["id"]}">' in page
    # no ticket, no offering named: refused with the reason
    r = web.post(f"/surveys/{sid}/requirement", {"response_id": answer["id"], "weight": "1"})
    assert r.status_code == 303 and "Not captured:" in web.get(r.headers["location"]).text
    body = {"response_id": answer["id"], "offering_id": shop.contract.offering_id, "priority": "must", "weight": "2"}
    r = web.post(f"/surveys/{sid}/requirement", body)
    assert "Captured; the requirement appears under Customer requirements." in web.get(r.headers["location"]).text
    build_bus().dispatch_pending(db)
    (req,) = _requirements(db, shop)
    assert (req.source_kind.value, req.source_ref, req.title) == ("survey", f"CSAT-1#{answer['id']}", "备件到货太慢")
