"""Page forms of the pss module (issue 5; 2.1.1 and 2.1.5) on SQLite and PostgreSQL: capturing a
requirement (a blank code numbered, every problem shown, CSRF required), editing and moving it
(allowed statuses only, a stale edit refused, the history kept), a Kano answer upload stored
whole or refused with every row's reason, a delivery project planned on a page, and the
portal's delivery projects: a customer user sees their own only, staff do not have the page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.pss.design_models import DeliveryProject, DeliveryStage
from somp.modules.pss.requirements_models import KanoAnswer, Requirement, RequirementChange
from tests.factories import make_contract, make_customer, make_offering, make_product, make_tenant, make_user
from tests.pss.requirements_factories import seed_requirements
from tests.web.helpers import WebClient


@pytest.fixture
def shop(db):
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c = make_customer(db, t, code="C-HZ", name="杭州纺织")
    other = make_customer(db, t, code="C-SZ", name="苏州电子")
    k = make_contract(db, t, c.id, o.id, [])
    k2 = make_contract(db, t, other.id, o.id, [])
    make_user(db, t, Role.service_manager, username="formmanager")
    make_user(db, t, Role.customer_user, customer_id=c.id, username="formcustomer")
    make_user(db, t, Role.engineer, username="formengineer")
    return {"tenant": t, "offering": o, "customer": c, "other": other, "contract": k, "contract2": k2}


def _count(db, t, model, *where):
    with db.session(Scope.tenant(t.id)) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_requirement_is_captured_on_the_page(app, db, shop):
    web = WebClient(app, "formmanager", lang="en")
    form = web.get("/pss/requirements/new?source_kind=interview")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    assert re.search(r'<option value="interview" selected>', form.text)
    body = {"offering_id": shop["offering"].id, "title": "噪音低于 65 dB", "title_en": "Below 65 dB",
            "source_kind": "customer", "source_ref": "VISIT-7", "priority": "must", "weight": "4.5",
            "customer_id": shop["customer"].id, "code": ""}  # fmt: skip
    # without the CSRF token nothing is stored
    assert web.post("/pss/requirements/new", body, csrf=False).status_code == 403
    assert _count(db, shop["tenant"], Requirement) == 0
    r = web.post("/pss/requirements/new", body)
    assert r.status_code == 303, r.text
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        req = s.scalar(select(Requirement))
        assert re.fullmatch(r"REQ-\d{4}-000001", req.code) and r.headers["location"] == f"/pss/requirements/{req.id}"
        assert (req.title, req.title_en, req.priority.value, str(req.weight)) == ("噪音低于 65 dB", "Below 65 dB",
                                                                                   "must", "4.500")  # fmt: skip
        assert (req.source_kind.value, req.source_ref, req.customer_id) == ("customer", "VISIT-7", shop["customer"].id)
        assert s.scalar(select(RequirementChange.kind)) == "created"
    page = web.get(r.headers["location"]).text
    assert f"Requirement {req.code} stored." in page
    # refused: every problem shown, the values typed kept, nothing stored
    bad = body | {"weight": "0", "title": "", "code": req.code}
    r = web.post("/pss/requirements/new", bad)
    assert r.status_code == 422 and 'id="form-problems"' in r.text
    assert "weight" in r.text and "title" in r.text and 'value="VISIT-7"' in r.text
    r = web.post("/pss/requirements/new", body | {"code": req.code})
    assert r.status_code == 409 and req.code in r.text  # the code is taken
    assert _count(db, shop["tenant"], Requirement) == 1
    # an engineer reads but cannot capture
    eng = WebClient(app, "formengineer")
    assert eng.get("/pss/requirements/new").status_code == 403


def test_a_requirement_is_edited_and_moved_with_its_history(app, db, shop):
    ids = seed_requirements(db, shop["tenant"], shop["offering"].id, shop["customer"].id)
    rid = ids["requirement"]
    web = WebClient(app, "formmanager", lang="zh")
    page = web.get(f"/pss/requirements/{rid}").text
    assert 'id="requirement-edit"' in page
    options = re.findall(r'<option value="(\w+)"', page.split('id="e-status"')[1].split("</select>")[0])
    assert options == ["captured", "accepted", "analysed", "rejected"]  # the current, then the allowed moves
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    edit = {"status": "analysed", "title": "运行安静", "title_en": "Quiet operation", "source_kind": "ticket",
            "source_ref": "TK-1", "priority": "must", "weight": "5", "description": "", "note": "客户访谈确认",
            "version": version}  # fmt: skip
    r = web.post(f"/pss/requirements/{rid}", edit)
    assert r.status_code == 303, r.text
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        req = s.get(Requirement, rid)
        assert req.status.value == "analysed" and req.priority.value == "must"
        last = s.scalars(select(RequirementChange).where(RequirementChange.requirement_id == rid)
                         .order_by(RequirementChange.id.desc())).first()  # fmt: skip
        assert last.kind == "updated" and last.note == "客户访谈确认"
        assert last.changes == {"status": ["captured", "analysed"], "priority": ["should", "must"]}
    # the same version again is stale (409), shown on the page
    r = web.post(f"/pss/requirements/{rid}", edit | {"status": "accepted"})
    assert r.status_code == 409 and 'id="form-problems"' in r.text
    # a move the status machine does not allow (analysed -> implemented)
    fresh = re.search(r'name="version" value="(\d+)"', web.get(f"/pss/requirements/{rid}").text).group(1)
    r = web.post(f"/pss/requirements/{rid}", edit | {"status": "implemented", "version": fresh})
    assert r.status_code == 409 and "implemented" in r.text
    assert _count(db, shop["tenant"], RequirementChange, RequirementChange.requirement_id == rid) == 2


def test_kano_answers_are_uploaded_whole_or_refused_with_every_row(app, db, shop):
    ids = seed_requirements(db, shop["tenant"], shop["offering"].id, shop["customer"].id)
    qid = ids["kano_questionnaire"]
    web = WebClient(app, "formmanager", lang="en")
    page = web.get(f"/pss/requirements/kano/{qid}").text
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page
    before = _count(db, shop["tenant"], KanoAnswer)
    bad = ("respondent,requirement,functional,dysfunctional\n"
           "new1,R-QUIET,like,dislike\n"
           "new1,R-NOPE,like,dislike\n"
           "new2,R-FAST,maybe,dislike\n")  # fmt: skip
    files = {"file": ("answers.csv", bad.encode(), "text/csv")}
    r = web.http.post(f"/pss/requirements/kano/{qid}/answers", data={"csrf_token": web.csrf}, files=files)
    assert r.status_code == 422 and 'id="upload-problems"' in r.text
    problems = re.findall(r"<li>(row \d+: [^<]*)</li>", r.text.split('id="upload-problems"')[1])
    assert any(p.startswith("row 4:") and "maybe" in p for p in problems), problems
    assert _count(db, shop["tenant"], KanoAnswer) == before  # nothing stored
    bad2 = "respondent,requirement,functional,dysfunctional\nnew1,R-QUIET,like,dislike\nnew1,R-NOPE,like,dislike\n"
    r = web.http.post(f"/pss/requirements/kano/{qid}/answers", data={"csrf_token": web.csrf},
                      files={"file": ("answers.csv", bad2.encode(), "text/csv")})  # fmt: skip
    assert r.status_code == 422 and "row 3:" in r.text and "R-NOPE" in r.text
    assert _count(db, shop["tenant"], KanoAnswer) == before
    r = web.http.post(f"/pss/requirements/kano/{qid}/answers", data={"csrf_token": web.csrf},
                      files={"file": ("answers.pdf", b"x", "application/pdf")})  # fmt: skip
    assert r.status_code == 422 and "answers.pdf" in r.text
    good = "respondent,requirement,functional,dysfunctional\nnew1,R-QUIET,like,dislike\nnew2,R-QUIET,must-be,neutral\n"
    r = web.http.post(f"/pss/requirements/kano/{qid}/answers", data={"csrf_token": web.csrf},
                      files={"file": ("answers.csv", good.encode(), "text/csv")})  # fmt: skip
    assert r.status_code == 303, r.text
    assert _count(db, shop["tenant"], KanoAnswer) == before + 2
    assert "2 answers stored (2 respondents)." in web.get(r.headers["location"]).text
    # without the token: refused
    r = web.http.post(f"/pss/requirements/kano/{qid}/answers", files={"file": ("a.csv", good.encode(), "text/csv")})
    assert r.status_code == 403


def _plan(contract_id, start="2026-03-02"):
    days = ["2026-03-02", "2026-03-06", "2026-03-09", "2026-03-13", "2026-03-16", "2026-03-20", "2026-03-23",
            "2026-03-25", "2026-03-26", "2026-03-31"]  # fmt: skip
    out = {"contract_id": contract_id, "title": "", "ordered_on": "2026-02-20", "note": "page"}
    for k, st in enumerate(("plan", "ship", "install", "commission", "acceptance")):
        out[f"{st}_start"], out[f"{st}_end"] = days[2 * k], days[2 * k + 1]
    return out


def test_a_delivery_project_is_planned_on_a_page_and_the_portal_shows_the_customers_own(app, db, shop):
    web = WebClient(app, "formmanager", lang="en")
    form = web.get(f"/pss/delivery/new?contract_id={shop['contract'].id}")
    assert form.status_code == 200 and f'<option value="{shop["contract"].id}" selected>' in form.text
    # refused: a stage ending before it starts; the acceptance before the commissioning
    bad = _plan(shop["contract"].id) | {"ship_end": "2026-03-01"}
    r = web.post("/pss/delivery/new", bad)
    assert r.status_code == 422 and "planned end before planned start" in r.text and 'value="2026-03-01"' in r.text
    assert _count(db, shop["tenant"], DeliveryProject) == 0
    r = web.post("/pss/delivery/new", _plan(shop["contract"].id))
    assert r.status_code == 303, r.text
    assert web.post("/pss/delivery/new", _plan(shop["contract2"].id)).status_code == 303
    with db.session(Scope.tenant(shop["tenant"].id)) as s:
        p = s.scalar(select(DeliveryProject).where(DeliveryProject.contract_id == shop["contract"].id))
        assert (str(p.ordered_on), str(p.due_on), p.customer_id) == ("2026-02-20", "2026-03-31", shop["customer"].id)
        plan = [
            (st.stage.value, str(st.planned_start), str(st.planned_end))
            for st in s.scalars(
                select(DeliveryStage).where(DeliveryStage.project_id == p.id).order_by(DeliveryStage.seq)
            )
        ]
        assert plan[0] == ("plan", "2026-03-02", "2026-03-06") and plan[-1] == (
            "acceptance",
            "2026-03-26",
            "2026-03-31",
        )
    assert f"Delivery project {p.number} created." in web.get(r.headers["location"]).text
    # progress on the staff page, then the customer sees it in the portal
    r = web.post(f"/pss/delivery/{p.id}/progress", {"event": "start", "stage": "plan", "on": "2026-03-02"})
    assert r.status_code == 303
    cust = WebClient(app, "formcustomer", lang="en")
    portal = cust.get("/portal/delivery")
    assert portal.status_code == 200, portal.text
    assert p.number in portal.text and shop["contract"].number in portal.text
    assert shop["contract2"].number not in portal.text  # the other customer's project is not shown
    assert portal.text.count('data-stage="') == 5 and "2026-03-31" in portal.text
    assert "/portal/delivery" in cust.get("/portal").text or "/portal/delivery" in portal.text  # the nav entry
    # the customer cannot reach the staff pages nor the form; staff do not hold the portal page
    assert cust.get(f"/pss/delivery/{p.id}").status_code == 403
    assert cust.post("/pss/delivery/new", _plan(shop["contract"].id)).status_code == 403
    assert web.get("/portal/delivery").status_code == 403
