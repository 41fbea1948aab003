"""Pages of requirements engineering (framework node 2.1.1), Chinese and English: the requirements
of the enterprise's offerings (filter by offering and status), a requirement with its change
history, a Kano questionnaire's results with the Better-Worse diagram (Plotly.js of the wheel,
``/static/pss/requirements_kano.js``), and an offering's house of quality (roof, relationship
matrix with weights, directions and units, technical priorities and the roof's trade-offs).
Templates: ``web/templates/pss/requirements_*.html``. The forms that write (capture, edit, move,
upload answers) are in :mod:`.web_forms`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from somp.core.errors import NotFound, ValidationFailed
from somp.core.identity import User
from somp.modules.catalog.models import Offering
from somp.modules.customers.models import Customer
from somp.modules.pss import requirements as svc
from somp.modules.pss.kano import Category
from somp.modules.pss.requirements import TRANSITIONS
from somp.modules.pss.requirements_models import QfdHouse, RequirementPriority, RequirementSource, RequirementStatus
from somp.web.context import PageNotFound, WebContext, page, parse_id
from somp.web.render import render, t_for

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200
SYMBOLS = {0: "", 1: "△", 3: "○", 9: "◎"}
ROOF_SYMBOLS = {-2: "−−", -1: "−", 0: "", 1: "+", 2: "++"}
ARROWS = {"minimise": "↓", "maximise": "↑", "target": "◯"}


def _offerings(session: Any, lang: str) -> dict[int, str]:
    rows = session.execute(select(Offering.id, Offering.code, Offering.name, Offering.name_en).order_by(Offering.code))
    return {i: f"{code} {(en if lang == 'en' and en else name)}" for i, code, name, en in rows}


def requirement_list(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        q = request.query_params
        offering_id = int(q["offering_id"]) if q.get("offering_id", "").isdigit() else None
        status = q.get("status") if q.get("status") in {s.value for s in RequirementStatus} else None
        rows, nxt = svc.list_requirements(
            w.session, limit=PAGE_SIZE, cursor=None, offering_id=offering_id, status=status
        )
        questionnaires, _ = svc.list_questionnaires(w.session, limit=PAGE_SIZE, cursor=None)
        houses = list(w.session.scalars(select(QfdHouse.offering_id).order_by(QfdHouse.offering_id)))
        offerings = _offerings(w.session, w.lang)
        return render(
            request,
            "pss/requirements_list.html",
            w,
            title_key="pss.req.page.list",
            rows=rows,
            more=nxt is not None,
            offerings=[
                {"id": k, "code": v.split(" ", 1)[0], "name": v.split(" ", 1)[-1]} for k, v in offerings.items()
            ],
            offering_names=offerings,
            offering_id=offering_id,
            status_filter=status,
            statuses=[s.value for s in RequirementStatus],
            questionnaires=questionnaires,
            houses=houses,
        )


def requirement_detail(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        return requirement_view(w, parse_id(request, "requirement_id"))


def requirement_view(
    w: WebContext, requirement_id: int, *, problems: list[str] | None = None, values: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:  # fmt: skip
    """The requirement page; with the edit form's problems and typed values when it was refused."""
    request = w.request
    try:
        r = svc.get_requirement(w.session, requirement_id)
    except NotFound:
        raise PageNotFound() from None
    history = svc.list_changes(w.session, r.id)
    ids = {h.by_user_id for h in history if h.by_user_id}
    users = dict(w.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    customer = w.session.get(Customer, r.customer_id) if r.customer_id else None
    return render(
        request,
        "pss/requirements_detail.html",
        w,
        title=f"{r.code} {r.title}",
        r=r,
        history=history,
        users=users,
        offering=_offerings(w.session, w.lang).get(r.offering_id, ""),
        customer=customer.name if customer else None,
        status=status,
        can_write=w.can("pss:write"),
        next_statuses=[x.value for x in sorted(TRANSITIONS[r.status])],
        sources=[x.value for x in RequirementSource],
        priorities=[x.value for x in RequirementPriority],
        problems=problems or [],
        values=values or {},
    )


def kano_page(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        return kano_view(w, parse_id(request, "questionnaire_id"))


def kano_view(
    w: WebContext, questionnaire_id: int, *, problems: list[str] | None = None, status: int = 200
) -> HTMLResponse:
    """The Kano page; with every reason when an uploaded answer table was refused."""
    request = w.request
    try:
        q = svc.questionnaire_view(w.session, questionnaire_id)
    except NotFound:
        raise PageNotFound() from None
    res = svc.kano_results(w.session, q["id"])
    tr = t_for(w.lang)
    label = "category_en" if w.lang == "en" else "category_zh"
    points = [
        {
            "x": -r["worse"],
            "y": r["better"],
            "label": r["code"],
            "category": r["category"],
            "hover": f"{r['code']} {r['title']}: {r[label]} (Better {r['better']:.2f}, Worse {r['worse']:.2f}, "
            f"n = {r['n']})",
        }
        for r in res["requirements"]
        if r["better"] is not None
    ]
    quadrants = [
        {"x": 0.25, "y": 1.02, "text": Category.attractive},
        {"x": 0.78, "y": 1.02, "text": Category.one_dimensional},
        {"x": 0.78, "y": 0.03, "text": Category.must_be},
        {"x": 0.25, "y": 0.03, "text": Category.indifferent},
    ]
    for x in quadrants:
        c = x["text"]
        x["text"] = c.label_en if w.lang == "en" else c.label_zh
    chart = {
        "points": points,
        "quadrants": quadrants,
        "titles": {"x": tr("pss.req.chart.worse"), "y": tr("pss.req.chart.better")},
    }
    return render(
        request,
        "pss/requirements_kano.html",
        w,
        title=f"{q['code']} {q['title']}",
        q=q,
        results=res["requirements"],
        categories=[c.value for c in Category],
        chart=chart,
        offering=_offerings(w.session, w.lang).get(q["offering_id"], ""),
        status=status,
        can_write=w.can("pss:write"),
        upload_problems=problems or [],
    )


def qfd_page(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        offering_id = parse_id(request, "offering_id")
        try:
            house = svc.get_house(w.session, offering_id)
        except NotFound:
            raise PageNotFound() from None
        h, error = None, None
        try:
            h = svc.house_priorities(w.session, offering_id)
        except ValidationFailed as exc:
            error = [f"{e.field}: {e.message}" for e in exc.errors]
        chars, names = [], {}
        if h:
            for c in h["characteristics"]:
                c["label"] = c["name_en"] if w.lang == "en" and c.get("name_en") else c["name"]
                names[c["code"]] = c["label"]
                chars.append(c)
            for r in h["requirements"]:
                r["title"] = r["title_en"] if w.lang == "en" and r.get("title_en") else r["title"]
        return render(
            request,
            "pss/requirements_qfd.html",
            w,
            title_key="pss.req.page.qfd",
            h=h,
            error=error,
            house=house,
            chars=chars,
            names=names,
            symbols=SYMBOLS,
            roof_symbols=ROOF_SYMBOLS,
            arrows=ARROWS,
            offering=_offerings(w.session, w.lang).get(offering_id, ""),
        )


router.add_api_route(
    "/pss/requirements", requirement_list, methods=["GET"], response_class=HTMLResponse, name="web_pss_requirements"
)
router.add_api_route(
    "/pss/requirements/kano/{questionnaire_id}",
    kano_page,
    methods=["GET"],
    response_class=HTMLResponse,
    name="web_pss_kano",
)
router.add_api_route(
    "/pss/requirements/qfd/{offering_id}", qfd_page, methods=["GET"], response_class=HTMLResponse, name="web_pss_qfd"
)
router.add_api_route(
    "/pss/requirements/{requirement_id}",
    requirement_detail,
    methods=["GET"],
    response_class=HTMLResponse,
    name="web_pss_requirement",
)
