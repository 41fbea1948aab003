"""REST routes of after-sales (2.1.6), customer participation and surveys (1.2.1) and the customer
portal. Customer users reach tickets (their own: the session scope narrows every query) and the
``/portal`` routes; the rest is for staff."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import AwareDatetime

from somp.api.common import Listing
from somp.api.deps import RequestContext, requires
from somp.core.database import utcnow
from somp.core.identity import Role
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.aftersales import engagement, portal, quality, service
from somp.modules.aftersales.models import (
    ParticipationStage,
    RecoveryStatus,
    SurveyKind,
    SurveyStatus,
    TicketCategory,
    TicketStatus,
)
from somp.modules.aftersales.satisfaction import Granularity
from somp.modules.aftersales.schemas import (
    EscalationCheck,
    EscalationCheckResult,
    EscalationRead,
    ParticipationCreate,
    ParticipationRead,
    ParticipationSummary,
    PortalSurveyRead,
    QualityReport,
    RecoveryCreate,
    RecoveryRead,
    RecoveryUpdate,
    RepurchaseRead,
    RequirementCapture,
    RequirementStatedRead,
    SatisfactionTrend,
    SlaDefaultRead,
    SlaDefaultsPut,
    SurveyAnswer,
    SurveyAnswerRecorded,
    SurveyCreate,
    SurveyRead,
    SurveyResponseRead,
    SurveyUpdate,
    TicketComment,
    TicketCreate,
    TicketDetail,
    TicketRead,
    TicketTransition,
    TicketUpdate,
    WorkOrderRequest,
)
from somp.modules.catalog.models import Priority

router = APIRouter(tags=["after-sales"])
TicketsRead = Annotated[RequestContext, Depends(requires("tickets:read"))]
TicketsRaise = Annotated[RequestContext, Depends(requires("tickets:raise"))]
TicketsWrite = Annotated[RequestContext, Depends(requires("tickets:write"))]
Read = Annotated[RequestContext, Depends(requires("aftersales:read"))]
Write = Annotated[RequestContext, Depends(requires("aftersales:write"))]
PortalRead = Annotated[RequestContext, Depends(requires("portal:read"))]
Answer = Annotated[RequestContext, Depends(requires("surveys:answer"))]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
A = "/aftersales"


def _customer(c: RequestContext) -> int | None:
    """The customer of a customer user (their tickets and answers are always their own)."""
    return c.principal.customer_id if Role.customer_user in c.principal.roles else None


def _last_year() -> tuple[dt.date, dt.date]:
    today = utcnow().date()
    return today.replace(day=1) - dt.timedelta(days=334), today + dt.timedelta(days=1)


# ---- tickets -----------------------------------------------------------------------------------------


@router.post(f"{A}/tickets", response_model=TicketDetail, status_code=status.HTTP_201_CREATED)
def raise_ticket(data: TicketCreate, c: TicketsRaise):
    """Raise a ticket: staff for any customer, a customer user for their own (portal)."""
    cust = _customer(c)
    t = service.raise_ticket(c.session, data, user_id=c.principal.user_id, customer_id=cust)
    c.commit()
    return service.ticket_detail(c.session, t, customer=cust is not None)


@router.get(f"{A}/tickets", response_model=Page[TicketRead])
def list_tickets(
    c: TicketsRead,
    params: Listing,
    status: TicketStatus | None = None,
    category: TicketCategory | None = None,
    priority: Priority | None = None,
    customer_id: IdQuery = None,
    asset_id: IdQuery = None,
    contract_id: IdQuery = None,
    assignee_user_id: IdQuery = None,
    open_only: bool = False,
    breached: Annotated[bool, Query(description="a response or resolution breach recorded")] = False,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    items, nxt = service.list_tickets(
        c.session,
        status=status,
        category=category,
        priority=priority,
        customer_id=customer_id,
        asset_id=asset_id,
        contract_id=contract_id,
        assignee_user_id=assignee_user_id,
        open_only=open_only,
        breached=breached,
        q=q,
        **params.kw(),
    )
    return {"items": service.to_read(items), "next_cursor": nxt, "limit": params.limit}


@router.get(f"{A}/tickets/{{ticket_id}}", response_model=TicketDetail)
def get_ticket(ticket_id: int, c: TicketsRead):
    """The ticket with its live SLA clocks (remaining working time, paused state) and history."""
    t = service.get_ticket(c.session, ticket_id)
    return service.ticket_detail(c.session, t, customer=_customer(c) is not None)


@router.patch(f"{A}/tickets/{{ticket_id}}", response_model=TicketRead)
def update_ticket(ticket_id: int, data: TicketUpdate, c: TicketsWrite):
    t = service.update_ticket(c.session, ticket_id, data)
    c.commit()
    return service.to_read([t])[0]


@router.post(f"{A}/tickets/{{ticket_id}}/transitions", response_model=TicketDetail)
def transition_ticket(ticket_id: int, req: TicketTransition, c: TicketsWrite):
    """Start, wait for the customer (pauses the resolution clock), resolve, close or reopen."""
    t = service.transition_ticket(c.session, ticket_id, req, user_id=c.principal.user_id)
    c.commit()
    return service.ticket_detail(c.session, t, customer=False)


@router.post(f"{A}/tickets/{{ticket_id}}/comments", response_model=TicketDetail)
def comment_ticket(ticket_id: int, data: TicketComment, c: TicketsRaise):
    """A comment; the customer's reply to a ticket waiting for them resumes it, ``reopen`` reopens
    a resolved one."""
    cust = _customer(c)
    t = service.comment_ticket(c.session, ticket_id, data, user_id=c.principal.user_id, customer=cust is not None)
    c.commit()
    return service.ticket_detail(c.session, t, customer=cust is not None)


@router.post(f"{A}/tickets/{{ticket_id}}/work-order", response_model=TicketRead, status_code=status.HTTP_202_ACCEPTED)
def request_work_order(ticket_id: int, data: WorkOrderRequest, c: TicketsWrite):
    """Ask for a work order on the ticket's asset; it is opened by the event reaction (202)."""
    t = service.request_work_order(c.session, ticket_id, data, user_id=c.principal.user_id)
    c.commit()
    return service.to_read([t])[0]


@router.post(f"{A}/tickets/{{ticket_id}}/requirement", response_model=RequirementStatedRead,
             status_code=status.HTTP_202_ACCEPTED)  # fmt: skip
def capture_requirement(ticket_id: int, data: RequirementCapture, c: Write):
    """Capture what the ticket says as a requirement on an offering (2.1.1): recorded as a domain
    event; the requirements module creates the requirement (source ``ticket``, the ticket number) (202)."""
    ev = service.capture_requirement(c.session, ticket_id, data, user_id=c.principal.user_id)
    c.commit()
    return RequirementStatedRead.model_validate(ev.model_dump())


@router.post(
    f"{A}/tickets/{{ticket_id}}/recovery-actions", response_model=RecoveryRead, status_code=status.HTTP_201_CREATED
)
def add_recovery(ticket_id: int, data: RecoveryCreate, c: Write):
    r = service.add_recovery(c.session, ticket_id, data, user_id=c.principal.user_id)
    c.commit()
    return r


@router.get(f"{A}/recovery-actions", response_model=Page[RecoveryRead])
def list_recovery(c: Read, params: Listing, ticket_id: IdQuery = None, status: RecoveryStatus | None = None):
    items, nxt = service.list_recovery(c.session, ticket_id=ticket_id, status=status, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.patch(f"{A}/recovery-actions/{{action_id}}", response_model=RecoveryRead)
def update_recovery(action_id: int, data: RecoveryUpdate, c: Write):
    r = service.update_recovery(c.session, action_id, data)
    c.commit()
    return r


@router.get(f"{A}/escalations", response_model=Page[EscalationRead])
def list_escalations(c: Read, params: Listing, ticket_id: IdQuery = None):
    items, nxt = service.list_escalations(c.session, ticket_id=ticket_id, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.post(f"{A}/escalations/check", response_model=EscalationCheckResult)
def check_escalations(_data: EscalationCheck, c: Write):
    """Run the escalation check now (the server also runs it every minute)."""
    checked, new, breached = service.escalate(c.session)
    c.commit()
    return {"checked": checked, "new_escalations": new, "new_breaches": breached}


@router.get(f"{A}/sla-defaults", response_model=list[SlaDefaultRead])
def get_sla_defaults(c: Read):
    """SLA targets per priority for tickets whose contract sets none (tenant table or built-in)."""
    return service.sla_defaults(c.session)


@router.put(f"{A}/sla-defaults", response_model=list[SlaDefaultRead])
def put_sla_defaults(data: SlaDefaultsPut, c: Write):
    rows = service.put_sla_defaults(c.session, data)
    c.commit()
    return rows


@router.get(f"{A}/quality-report", response_model=QualityReport)
def quality_report(
    c: Read, period: Annotated[str | None, Query(max_length=10, description="YYYY, YYYY-Qn or YYYY-MM")] = None
):
    """Quality supervision report of one period (default: this month)."""
    return quality.report_for_period(c.session, period or utcnow().strftime("%Y-%m"))


# ---- participation, surveys, satisfaction, repurchase --------------------------------------------------


@router.post(f"{A}/participation", response_model=ParticipationRead, status_code=status.HTTP_201_CREATED)
def add_participation(data: ParticipationCreate, c: Write):
    ev = engagement.add_participation(c.session, data)
    c.commit()
    return ev


@router.get(f"{A}/participation", response_model=Page[ParticipationRead])
def list_participation(
    c: Read,
    params: Listing,
    customer_id: IdQuery = None,
    stage: ParticipationStage | None = None,
    contract_id: IdQuery = None,
):
    items, nxt = engagement.list_participation(
        c.session, customer_id=customer_id, stage=stage, contract_id=contract_id, **params.kw()
    )
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.get(f"{A}/participation/summary", response_model=list[ParticipationSummary])
def participation_summary(c: Read, start: AwareDatetime | None = None, end: AwareDatetime | None = None):
    return engagement.participation_summary(c.session, start, end)


@router.post(f"{A}/surveys", response_model=SurveyRead, status_code=status.HTTP_201_CREATED)
def create_survey(data: SurveyCreate, c: Write):
    s = engagement.create_survey(c.session, data)
    c.commit()
    return s


@router.get(f"{A}/surveys", response_model=Page[SurveyRead])
def list_surveys(c: Read, params: Listing, kind: SurveyKind | None = None, status: SurveyStatus | None = None):
    items, nxt = engagement.list_surveys(c.session, kind=kind, status=status, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.get(f"{A}/surveys/{{survey_id}}", response_model=SurveyRead)
def get_survey(survey_id: int, c: Read):
    return engagement.get_survey(c.session, survey_id)


@router.patch(f"{A}/surveys/{{survey_id}}", response_model=SurveyRead)
def update_survey(survey_id: int, data: SurveyUpdate, c: Write):
    s = engagement.update_survey(c.session, survey_id, data)
    c.commit()
    return s


@router.post(
    f"{A}/surveys/{{survey_id}}/responses", response_model=SurveyResponseRead, status_code=status.HTTP_201_CREATED
)
def record_response(survey_id: int, data: SurveyAnswerRecorded, c: Write):
    """Record a customer's answer taken by staff (phone, visit)."""
    r = engagement.answer_survey(c.session, survey_id, data, customer_id=data.customer_id, user_id=None)
    c.commit()
    return r


@router.post(
    f"{A}/surveys/{{survey_id}}/responses/{{response_id}}/requirement",
    response_model=RequirementStatedRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def capture_survey_requirement(survey_id: int, response_id: int, data: RequirementCapture, c: Write):
    """Capture what an answer's comment asks for as a requirement (2.1.1): recorded as a domain event;
    the requirements module creates it (source ``survey``, ``<survey code>#<answer id>``) (202)."""
    ev = engagement.capture_survey_requirement(c.session, survey_id, response_id, data, user_id=c.principal.user_id)
    c.commit()
    return RequirementStatedRead.model_validate(ev.model_dump())


@router.get(f"{A}/surveys/{{survey_id}}/responses", response_model=Page[SurveyResponseRead])
def list_responses(survey_id: int, c: Read, params: Listing, customer_id: IdQuery = None):
    items, nxt = engagement.list_responses(c.session, survey_id, customer_id=customer_id, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.get(f"{A}/satisfaction", response_model=SatisfactionTrend)
def satisfaction(
    c: Read,
    kind: SurveyKind = SurveyKind.nps,
    start: dt.date | None = None,
    end: dt.date | None = None,
    granularity: Granularity = Granularity.month,
    survey_id: IdQuery = None,
):
    """NPS or CSAT per period (default: the last twelve months by month)."""
    d0, d1 = _last_year()
    return engagement.satisfaction_trend(c.session, kind, start or d0, end or d1, granularity, survey_id)


@router.get(f"{A}/repurchase", response_model=RepurchaseRead)
def repurchase(c: Read, start: dt.date | None = None, end: dt.date | None = None):
    """Share of customers with more than one contract in the window (default: the last 12 months)."""
    d0, d1 = _last_year()
    return engagement.repurchase(c.session, start or d0, end or d1)


# ---- customer portal ---------------------------------------------------------------------------------


@router.get("/portal/overview", response_model=portal.PortalOverview)
def portal_overview(c: PortalRead):
    """The customer's own assets, contracts, invoices and open tickets."""
    return portal.overview(c.session, service.require_customer(c.principal.customer_id))


@router.get("/portal/sla-report", response_model=QualityReport)
def portal_sla_report(
    c: PortalRead, period: Annotated[str | None, Query(max_length=10, description="YYYY, YYYY-Qn or YYYY-MM")] = None
):
    """SLA outcomes of the customer's own tickets per contract (no internal parts)."""
    service.require_customer(c.principal.customer_id)
    return quality.report_for_period(c.session, period or utcnow().strftime("%Y-%m"), internal=False)


@router.get("/portal/surveys", response_model=list[PortalSurveyRead])
def portal_surveys(c: Answer):
    """Open surveys, with whether this user has answered each."""
    service.require_customer(c.principal.customer_id)
    done = engagement.answered_by(c.session, c.principal.user_id)
    items, _ = engagement.list_surveys(c.session, status=SurveyStatus.open, limit=100, cursor=None)
    return [PortalSurveyRead.model_validate(s).model_copy(update={"answered": s.id in done}) for s in items]


@router.post(
    "/portal/surveys/{survey_id}/responses", response_model=SurveyResponseRead, status_code=status.HTTP_201_CREATED
)
def portal_answer(survey_id: int, data: SurveyAnswer, c: Answer):
    cust = service.require_customer(c.principal.customer_id)
    r = engagement.answer_survey(c.session, survey_id, data, customer_id=cust, user_id=c.principal.user_id)
    c.commit()
    return r
