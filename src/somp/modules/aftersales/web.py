"""After-sales pages (2.1.6) and the customer portal (1.2.1).

* ``/tickets`` (list, new, detail, edit, transition): the generic entity pages; the detail page
  adds the live SLA timer (remaining working time of the response and resolution clocks, paused
  while waiting for the customer; it counts down in the browser only while the calendar is in
  working time and re-reads ``/tickets/{id}/sla.json`` every 30 s and at each calendar edge), the
  history, escalations, recovery actions and a comment form (customers reply and reopen here).
* ``/aftersales/quality``: the quality supervision report of a period, with a chart by category.
* ``/aftersales/satisfaction``: NPS and CSAT trends (Plotly), the repurchase rate and customer
  participation by lifecycle stage.
* ``/portal``: a customer user's own assets, contracts, invoices, open tickets, SLA outcomes and
  the open surveys they can answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from somp.core.database import utcnow
from somp.core.errors import DomainError
from somp.core.identity import Role
from somp.modules.aftersales import engagement, portal, quality, service
from somp.modules.aftersales import satisfaction as sat
from somp.modules.aftersales.models import (
    TICKET_TRANSITIONS,
    ParticipationEvent,
    ParticipationStage,
    Survey,
    SurveyKind,
    SurveyStatus,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from somp.modules.aftersales.schemas import (
    ParticipationCreate,
    RequirementCapture,
    SurveyAnswer,
    SurveyCreate,
    SurveyUpdate,
    TicketComment,
    TicketCreate,
    TicketTransition,
    TicketUpdate,
)
from somp.modules.assets.service import list_assets
from somp.modules.catalog.models import Offering, Priority
from somp.modules.contracts.models import Contract
from somp.modules.contracts.service import list_contracts
from somp.modules.customers.service import list_customers
from somp.modules.workorders.models import WorkOrder
from somp.modules.workorders.web import staff_options
from somp.web.context import WebContext, check_csrf, flash, page, parse_id
from somp.web.crud import Column, EntitySpec, Filter, Section, TransitionSpec, add_routes, read_form, table_section
from somp.web.forms import Field, options_from
from somp.web.render import render, t_for

router = APIRouter(include_in_schema=False)

asset_options = options_from(list_assets, lambda a: a.serial_number + (f" · {a.site_name}" if a.site_name else ""))
contract_options = options_from(list_contracts, lambda c: c.number)
customer_options = options_from(list_customers, lambda c: f"{c.code} {c.name}")


def is_customer(w: WebContext) -> bool:
    return Role.customer_user in w.principal.roles and w.principal.customer_id is not None


def _staff(w: WebContext) -> bool:
    return not is_customer(w)


def _display(session, rows):  # noqa: ANN001, ANN202
    return service.to_read(rows)


def _create(s, data: TicketCreate, w: WebContext) -> Ticket:  # noqa: ANN001
    cust = w.principal.customer_id if is_customer(w) else None
    return service.raise_ticket(s, data, user_id=w.principal.user_id, customer_id=cust)


# ------------------------------------------------------------------------------------ detail sections


def sla_payload(w: WebContext, t: Ticket, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the live timer needs: each clock's state and remaining seconds as of ``as_of``, and
    whether the calendar is working now (and until when)."""
    out = service.sla_read(w.session, t, now or utcnow()).model_dump(mode="json")
    for name in ("response", "resolution"):
        out[name]["remaining_text"] = hms(out[name]["remaining_seconds"])
    return out


def hms(seconds: float) -> str:
    """``H:MM:SS`` (what the timer shows; the script formats the same way)."""
    s = max(0, int(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _sections(w: WebContext, t: Ticket) -> list[Section]:
    out = [Section("section.sla_timer", "aftersales/sla_timer.html", {"sla": sla_payload(w, t), "ticket": t})]
    detail = service.ticket_detail(w.session, t, customer=is_customer(w))
    out.append(
        table_section(
            w,
            "section.ticket_history",
            [
                Column("at", "datetime"),
                Column("kind", "enum", enum_prefix="ticket_event", label="field.event_kind"),
                Column("to_status", "enum", enum_prefix="ticket_status"),
                Column("user_id", "ref", ref="users"),
                Column("note", "multiline"),
            ],
            detail.events,
        )
    )
    if t.status is not TicketStatus.closed and w.can("tickets:raise"):
        out.append(
            Section(
                "section.ticket_comment",
                "aftersales/comment.html",
                {"ticket": t, "customer": is_customer(w), "can_reopen": t.status is TicketStatus.resolved},
            )
        )
    if t.status is not TicketStatus.closed and w.can("aftersales:write"):
        out.append(Section("section.ticket_requirement", "aftersales/capture_requirement.html",
                           _requirement_form_data(w, t)))  # fmt: skip
    if w.can("aftersales:read"):
        escalations, _ = service.list_escalations(w.session, ticket_id=t.id, limit=100, cursor=None)
        out.append(
            table_section(
                w,
                "section.escalations",
                [
                    Column("clock", "enum", enum_prefix="sla_clock"),
                    Column("level", "num"),
                    Column("reached_at", "datetime"),
                    Column("notify", "enum", enum_prefix="escalation_target"),
                    Column("notify_user_id", "ref", ref="users"),
                ],
                escalations,
            )
        )
        actions, _ = service.list_recovery(w.session, ticket_id=t.id, limit=100, cursor=None)
        out.append(
            table_section(
                w,
                "section.recovery_actions",
                [
                    Column("kind", "enum", enum_prefix="recovery_kind"),
                    Column("description"),
                    Column("amount", "money"),
                    Column("status", "enum", enum_prefix="recovery_status"),
                    Column("done_at", "datetime"),
                ],
                actions,
            )
        )
    if t.work_order_id and w.can("workorders:read"):
        wo = w.session.get(WorkOrder, t.work_order_id)
        if wo is not None:
            out.append(
                table_section(
                    w,
                    "section.work_orders",
                    [
                        Column("number", "link"),
                        Column("title"),
                        Column("status", "enum", enum_prefix="work_order_status"),
                    ],
                    [wo],
                    entity="work-orders",
                )
            )
    return out


SPEC = EntitySpec(
    name="tickets",
    id_param="ticket_id",
    singular="entity.ticket",
    plural="nav.tickets",
    model=Ticket,
    title=lambda t: f"{t.number} {t.title}",
    read_perm="tickets:read",
    create_perm="tickets:raise",
    update_perm="tickets:write",
    list_fn=service.list_tickets,
    get_fn=service.get_ticket,
    create_schema=TicketCreate,
    update_schema=TicketUpdate,
    create_fn=_create,
    update_fn=lambda s, id_, data, w: service.update_ticket(s, id_, data),
    display=_display,
    sections=_sections,
    fields=[
        Field("customer_id", kind="select", options=customer_options, show=_staff),
        Field("asset_id", kind="select", options=asset_options),
        Field("contract_id", kind="select", options=contract_options, help="hint.contract_default"),
        Field("category", kind="enum", enum=TicketCategory, enum_prefix="ticket_category", required=True),
        Field("priority", kind="enum", enum=Priority, enum_prefix="priority", required=True),
        Field("channel", kind="enum", enum=TicketChannel, enum_prefix="ticket_channel", show=_staff),
        Field("title", required=True),
        Field("description", kind="textarea"),
        Field("assignee_user_id", kind="select", options=staff_options, show=_staff),
    ],
    defaults=lambda w: {"priority": Priority.medium.value},
    columns=[
        Column("number", "link"),
        Column("title"),
        Column("category", "enum", enum_prefix="ticket_category"),
        Column("priority", "enum", enum_prefix="priority"),
        Column("status", "enum", enum_prefix="ticket_status"),
        Column("customer_id", "ref", ref="customers"),
        Column("resolution_due_at", "datetime"),
        Column("resolution_breached", "breach"),
    ],
    detail=[
        Column("number"),
        Column("title"),
        Column("category", "enum", enum_prefix="ticket_category"),
        Column("priority", "enum", enum_prefix="priority"),
        Column("status", "enum", enum_prefix="ticket_status"),
        Column("channel", "enum", enum_prefix="ticket_channel"),
        Column("customer_id", "ref", ref="customers"),
        Column("asset_id", "ref", ref="assets"),
        Column("contract_id", "ref", ref="contracts"),
        Column("assignee_user_id", "ref", ref="users"),
        Column("opened_at", "datetime"),
        Column("sla_source", "enum", enum_prefix="sla_source"),
        Column("calendar", "enum", enum_prefix="sla_calendar"),
        Column("response_due_at", "datetime"),
        Column("responded_at", "datetime"),
        Column("response_breached", "breach"),
        Column("resolution_due_at", "datetime"),
        Column("resolved_at", "datetime"),
        Column("resolution_breached", "breach"),
        Column("closed_at", "datetime"),
        Column("escalation_level", "num"),
        Column("description", "multiline"),
    ],
    filters=[
        Filter("q"),
        Filter("status", "enum", enum=TicketStatus, enum_prefix="ticket_status"),
        Filter("category", "enum", enum=TicketCategory, enum_prefix="ticket_category"),
        Filter("priority", "enum", enum=Priority, enum_prefix="priority"),
        Filter("asset_id", "select", options=asset_options),
        Filter("open_only", "bool"),
        Filter("breached", "bool"),
    ],
    transition=TransitionSpec(
        field="status",
        target="to_status",
        enum_prefix="ticket_status",
        permission="tickets:write",
        allowed=lambda t: TICKET_TRANSITIONS[t.status],
        schema=TicketTransition,
        apply=lambda s, id_, req, w: service.transition_ticket(s, id_, req, user_id=w.principal.user_id),
        extra=(Field("note", kind="textarea"),),
    ),
)


@router.get("/tickets/{ticket_id}/sla.json", response_class=JSONResponse)
def ticket_sla_json(request: Request) -> JSONResponse:
    """The live timer's data (session-authenticated, same origin as the page)."""
    with page(request, "tickets:read") as w:
        t = service.get_ticket(w.session, parse_id(request, "ticket_id"))
        return JSONResponse(sla_payload(w, t), headers={"cache-control": "no-store"})


@router.post("/tickets/{ticket_id}/comment", response_class=HTMLResponse)
def ticket_comment(request: Request, form: FormData = Depends(read_form)) -> Any:
    with page(request, "tickets:raise") as w:
        check_csrf(request, form)
        id_ = parse_id(request, "ticket_id")
        service.get_ticket(w.session, id_)
        try:
            data = TicketComment(
                note=str(form.get("note") or "").strip() or " ",
                internal=form.get("internal") in ("1", "on") and not is_customer(w),
                reopen=form.get("reopen") in ("1", "on"),
            )
            service.comment_ticket(w.session, id_, data, user_id=w.principal.user_id, customer=is_customer(w))
            w.commit()
            flash(request, "msg.comment_added")
        except (DomainError, ValueError):
            w.rollback()
            flash(request, "msg.comment_refused")
        return RedirectResponse(SPEC.url(id_), status_code=303)


def _requirement_form_data(w: WebContext, t: Ticket) -> dict[str, Any]:
    offering_id = None
    if t.contract_id is not None:
        contract = w.session.get(Contract, t.contract_id)
        offering_id = contract.offering_id if contract is not None else None
    return {"ticket": t, "offerings": _offering_options(w), "offering_id": offering_id}


def _offering_options(w: WebContext) -> list[tuple[int, str]]:
    rows = w.session.execute(
        select(Offering.id, Offering.code, Offering.name, Offering.name_en).order_by(Offering.code)
    )
    return [(i, f"{code} {en if w.lang == 'en' and en else name}") for i, code, name, en in rows]


@router.post("/tickets/{ticket_id}/requirement", response_class=HTMLResponse)
def ticket_requirement(request: Request, form: FormData = Depends(read_form)) -> Any:
    """Capture what the ticket says as a requirement (2.1.1): a domain event that the requirements
    module turns into a requirement with the ticket number as its source reference."""
    with page(request, "aftersales:write") as w:
        check_csrf(request, form)
        id_ = parse_id(request, "ticket_id")
        service.get_ticket(w.session, id_)
        raw = {k: str(form.get(k) or "").strip() or None for k in ("offering_id", "title", "title_en", "priority",
                                                                      "weight")}  # fmt: skip
        try:
            data = RequirementCapture(**{k: v for k, v in raw.items() if v is not None})
            service.capture_requirement(w.session, id_, data, user_id=w.principal.user_id)
            w.commit()
            flash(request, "msg.requirement_captured")
        except (DomainError, ValidationError) as exc:
            w.rollback()
            flash(request, "msg.requirement_refused", reason=str(exc).splitlines()[0])
        return RedirectResponse(SPEC.url(id_), status_code=303)


add_routes(router, SPEC)


# ------------------------------------------------------------------------------------ participation, surveys

PARTICIPATION = EntitySpec(
    name="participation",
    id_param="participation_id",
    singular="entity.participation",
    plural="nav.participation",
    model=ParticipationEvent,
    title=lambda ev: ev.summary,
    read_perm="aftersales:read",
    create_perm="aftersales:write",
    list_fn=engagement.list_participation,
    get_fn=engagement.get_participation,
    create_schema=ParticipationCreate,
    create_fn=lambda s, data, w: engagement.add_participation(s, data),
    fields=[
        Field("customer_id", kind="select", options=customer_options, required=True),
        Field("stage", kind="enum", enum=ParticipationStage, enum_prefix="participation_stage", required=True),
        Field("occurred_at", kind="date", required=True, label="field.occurred_on"),
        Field("contract_id", kind="select", options=contract_options),
        Field("asset_id", kind="select", options=asset_options),
        Field("channel"),
        Field("summary", required=True),
        Field("detail", kind="textarea"),
    ],
    columns=[
        Column("summary", "link"),
        Column("stage", "enum", enum_prefix="participation_stage"),
        Column("customer_id", "ref", ref="customers"),
        Column("occurred_at", "datetime"),
    ],
    detail=[
        Column("summary"),
        Column("stage", "enum", enum_prefix="participation_stage"),
        Column("customer_id", "ref", ref="customers"),
        Column("occurred_at", "datetime"),
        Column("contract_id", "ref", ref="contracts"),
        Column("asset_id", "ref", ref="assets"),
        Column("ticket_id", "ref", ref="tickets"),
        Column("channel"),
        Column("detail", "multiline"),
    ],
    filters=[
        Filter("customer_id", "select", options=customer_options),
        Filter("stage", "enum", enum=ParticipationStage, enum_prefix="participation_stage"),
    ],
)
add_routes(router, PARTICIPATION)


def _survey_sections(w: WebContext, survey: Survey) -> list[Section]:
    rows, _ = engagement.list_responses(w.session, survey.id, limit=200, cursor=None, order="desc")
    scores = [r.score for r in rows]
    score = sat.nps(scores) if survey.kind is SurveyKind.nps else sat.csat(scores)
    summary = [{"name": "n", "value": score.n}, {"name": survey.kind.value.upper(), "value": score.score}]
    out = []
    commented = [(r.id, f"{r.respondent}: {(r.comment or '').strip()[:80]}") for r in rows if (r.comment or "").strip()]
    if commented and w.can("aftersales:write"):
        offerings = _offering_options(w)
        out.append(Section("section.survey_requirement", "aftersales/capture_survey_requirement.html",
                           {"survey": survey, "answers": commented, "offerings": offerings}))  # fmt: skip
    return [
        *out,
        Section("section.survey_score", "aftersales/survey_score.html", {"summary": summary}),
        table_section(
            w,
            "section.survey_responses",
            [
                Column("answered_at", "datetime"),
                Column("customer_id", "ref", ref="customers"),
                Column("ticket_id", "ref", ref="tickets"),
                Column("score", "num"),
                Column("comment", "multiline"),
            ],
            rows,
        ),
    ]


SURVEYS = EntitySpec(
    name="surveys",
    id_param="survey_id",
    singular="entity.survey",
    plural="nav.surveys",
    model=Survey,
    title=lambda s: f"{s.code} {s.title}",
    read_perm="aftersales:read",
    create_perm="aftersales:write",
    update_perm="aftersales:write",
    list_fn=engagement.list_surveys,
    get_fn=engagement.get_survey,
    create_schema=SurveyCreate,
    update_schema=SurveyUpdate,
    create_fn=lambda s, data, w: engagement.create_survey(s, data),
    update_fn=lambda s, id_, data, w: engagement.update_survey(s, id_, data),
    sections=_survey_sections,
    fields=[
        Field("code", required=True, edit=False),
        Field("kind", kind="enum", enum=SurveyKind, enum_prefix="survey_kind", required=True, edit=False),
        Field("title", required=True),
        Field("question", required=True),
        Field("status", kind="enum", enum=SurveyStatus, enum_prefix="survey_status", required=True),
    ],
    defaults=lambda w: {"status": SurveyStatus.open.value, "kind": SurveyKind.nps.value},
    columns=[
        Column("code", "link"),
        Column("title"),
        Column("kind", "enum", enum_prefix="survey_kind"),
        Column("status", "enum", enum_prefix="survey_status"),
    ],
    detail=[
        Column("code"),
        Column("title"),
        Column("question"),
        Column("kind", "enum", enum_prefix="survey_kind"),
        Column("status", "enum", enum_prefix="survey_status"),
        Column("created_at", "datetime"),
    ],
    filters=[
        Filter("kind", "enum", enum=SurveyKind, enum_prefix="survey_kind"),
        Filter("status", "enum", enum=SurveyStatus, enum_prefix="survey_status"),
    ],
)
add_routes(router, SURVEYS)


# ------------------------------------------------------------------------------------ report pages


def _period(request: Request, w: WebContext) -> tuple[str, list[str]]:
    raw = (request.query_params.get("period") or "").strip() or utcnow().strftime("%Y-%m")
    try:
        sat.period_bounds(raw)
        return raw, []
    except ValueError:
        return utcnow().strftime("%Y-%m"), [t_for(w.lang)("error.invalid_filter")]


@router.get("/aftersales/quality", response_class=HTMLResponse)
def quality_page(request: Request) -> HTMLResponse:
    with page(request, "aftersales:read") as w:
        period, errors = _period(request, w)
        report = quality.report_for_period(w.session, period)
        return render(
            request,
            "aftersales/quality.html",
            w,
            title_key="page.aftersales_quality.title",
            period=period,
            errors=errors,
            report=report,
            chart=_category_chart(w, report),
        )


def _category_chart(w: WebContext, report: Any) -> dict[str, Any]:
    from somp.web.render import e_for

    e, t = e_for(w.lang), t_for(w.lang)
    rows = report.by_category
    return {
        "x": [e("ticket_category", r.key) for r in rows],
        "series": [
            {"name": t("field.opened"), "y": [r.opened for r in rows]},
            {"name": t("field.response_breaches"), "y": [r.response.breached for r in rows]},
            {"name": t("field.resolution_breaches"), "y": [r.resolution.breached for r in rows]},
        ],
    }


@router.get("/aftersales/satisfaction", response_class=HTMLResponse)
def satisfaction_page(request: Request) -> HTMLResponse:
    with page(request, "aftersales:read") as w:
        today = utcnow().date()
        end = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        start = dt.date(end.year - 1, end.month, 1)
        nps = engagement.satisfaction_trend(w.session, SurveyKind.nps, start, end)
        csat = engagement.satisfaction_trend(w.session, SurveyKind.csat, start, end)
        rep = engagement.repurchase(w.session, start, end)
        stages = engagement.participation_summary(w.session)
        surveys, _ = engagement.list_surveys(w.session, limit=100, cursor=None, order="desc")
        t = t_for(w.lang)
        chart = {
            "x": [p.period for p in nps.points],
            "nps": {"name": "NPS", "y": [p.score for p in nps.points], "n": [p.n for p in nps.points]},
            "csat": {"name": t("field.csat_pct"), "y": [p.score for p in csat.points], "n": [p.n for p in csat.points]},
        }
        return render(
            request,
            "aftersales/satisfaction.html",
            w,
            title_key="page.satisfaction.title",
            nps=nps,
            csat=csat,
            repurchase=rep,
            stages=stages,
            surveys=surveys,
            chart=chart,
        )


# ------------------------------------------------------------------------------------ portal


@router.get("/portal", response_class=HTMLResponse)
def portal_page(request: Request) -> HTMLResponse:
    with page(request, "portal:read") as w:
        cust = service.require_customer(w.principal.customer_id if is_customer(w) else None)
        ov = portal.overview(w.session, cust)
        period, errors = _period(request, w)
        sla = quality.report_for_period(w.session, period, internal=False)
        done = engagement.answered_by(w.session, w.principal.user_id)
        surveys, _ = engagement.list_surveys(w.session, status=SurveyStatus.open, limit=50, cursor=None)
        return render(
            request,
            "aftersales/portal.html",
            w,
            title_key="page.portal.title",
            ov=ov,
            sla=sla,
            period=period,
            errors=errors,
            surveys=[(s, s.id in done) for s in surveys],
        )


@router.post("/portal/surveys/{survey_id}/answer", response_class=HTMLResponse)
def portal_answer(request: Request, form: FormData = Depends(read_form)) -> Any:
    with page(request, "surveys:answer") as w:
        check_csrf(request, form)
        cust = service.require_customer(w.principal.customer_id if is_customer(w) else None)
        survey_id = parse_id(request, "survey_id")
        engagement.get_survey(w.session, survey_id)
        try:
            data = SurveyAnswer(score=int(str(form.get("score") or "")), comment=str(form.get("comment") or "") or None)
            engagement.answer_survey(w.session, survey_id, data, customer_id=cust, user_id=w.principal.user_id)
            w.commit()
            flash(request, "msg.survey_answered")
        except (DomainError, ValueError):
            w.rollback()
            flash(request, "msg.survey_refused")
        return RedirectResponse("/portal#surveys", status_code=303)


@router.post("/surveys/{survey_id}/requirement", response_class=HTMLResponse)
def survey_requirement(request: Request, form: FormData = Depends(read_form)) -> Any:
    """An answer's comment captured as a requirement (2.1.1): the same domain event as a ticket's."""
    with page(request, "aftersales:write") as w:
        check_csrf(request, form)
        id_ = parse_id(request, "survey_id")
        engagement.get_survey(w.session, id_)
        raw = {k: str(form.get(k) or "").strip() or None for k in ("offering_id", "title", "priority", "weight")}
        response_id = str(form.get("response_id") or "")
        try:
            data = RequirementCapture(**{k: v for k, v in raw.items() if v is not None})
            rid = int(response_id) if response_id.isdigit() and len(response_id) < 12 else 0
            engagement.capture_survey_requirement(w.session, id_, rid, data, user_id=w.principal.user_id)
            w.commit()
            flash(request, "msg.requirement_captured")
        except (DomainError, ValidationError) as exc:
            w.rollback()
            flash(request, "msg.requirement_refused", reason=str(exc).splitlines()[0])
        return RedirectResponse(SURVEYS.url(id_), status_code=303)
