"""Customer participation, NPS/CSAT surveys and the repurchase rate (framework node 1.2.1 客户管理,
with 2.1.6): the database side of :mod:`.satisfaction`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import Conflict, FieldError, NotFound, ValidationFailed, invalid
from somp.core.events import record
from somp.core.pagination import Order
from somp.core.requirement_capture import RequirementStated
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.modules.aftersales import satisfaction as sat
from somp.modules.aftersales.models import (
    SCORE_RANGE,
    ParticipationEvent,
    ParticipationStage,
    Survey,
    SurveyKind,
    SurveyResponse,
    SurveyStatus,
    Ticket,
)
from somp.modules.aftersales.schemas import (
    ParticipationCreate,
    ParticipationSummary,
    RepurchaseRead,
    RequirementCapture,
    SatisfactionTrend,
    ScorePoint,
    SurveyAnswer,
    SurveyAnswerRecorded,
    SurveyCreate,
    SurveyUpdate,
)
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Offering
from somp.modules.contracts.models import Contract, ContractStatus
from somp.modules.customers.models import Customer

# ---- participation -----------------------------------------------------------------------------------


def add_participation(session: Session, data: ParticipationCreate) -> ParticipationEvent:
    require_ref(session, Customer, data.customer_id, "customer_id", "customer")
    for field, model, label in (
        ("contract_id", Contract, "contract"),
        ("asset_id", Asset, "asset"),
        ("ticket_id", Ticket, "ticket"),
    ):
        obj = require_ref(session, model, getattr(data, field), field, label)
        if obj is not None and obj.customer_id != data.customer_id:
            raise invalid(field, f"the {label} belongs to another customer", "mismatch")
    ev = ParticipationEvent(**data.model_dump())
    session.add(ev)
    session.flush()
    return ev


def get_participation(session: Session, participation_id: int) -> ParticipationEvent:
    return get_or_404(session, ParticipationEvent, participation_id, "participation event")


def list_participation(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    customer_id: int | None = None,
    stage: ParticipationStage | None = None,
    contract_id: int | None = None,
) -> tuple[list[ParticipationEvent], str | None]:
    stmt = select(ParticipationEvent)
    for col, v in (
        (ParticipationEvent.customer_id, customer_id),
        (ParticipationEvent.stage, stage),
        (ParticipationEvent.contract_id, contract_id),
    ):
        if v is not None:
            stmt = stmt.where(col == v)
    return list_page(session, stmt, ParticipationEvent, limit=limit, cursor=cursor, order=order)


def participation_summary(
    session: Session, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[ParticipationSummary]:
    """Events and distinct customers per lifecycle stage (every stage listed, zeros included)."""
    stmt = select(ParticipationEvent.stage, func.count(), func.count(func.distinct(ParticipationEvent.customer_id)))
    if start is not None:
        stmt = stmt.where(ParticipationEvent.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(ParticipationEvent.occurred_at < end)
    got = {s: (n, c) for s, n, c in session.execute(stmt.group_by(ParticipationEvent.stage))}
    return [
        ParticipationSummary(stage=s, events=got.get(s, (0, 0))[0], customers=got.get(s, (0, 0))[1])
        for s in ParticipationStage
    ]


# ---- surveys -----------------------------------------------------------------------------------------


def create_survey(session: Session, data: SurveyCreate) -> Survey:
    ensure_unique(session, Survey, "code", data.code)
    s = Survey(**data.model_dump())
    session.add(s)
    session.flush()
    return s


def get_survey(session: Session, survey_id: int) -> Survey:
    return get_or_404(session, Survey, survey_id, "survey")


def update_survey(session: Session, survey_id: int, data: SurveyUpdate) -> Survey:
    s = get_survey(session, survey_id)
    check_version(s, data.version)
    apply_changes(s, data.model_dump(exclude_unset=True))
    session.flush()
    return s


def list_surveys(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    kind: SurveyKind | None = None,
    status: SurveyStatus | None = None,
) -> tuple[list[Survey], str | None]:
    stmt = select(Survey)
    if kind is not None:
        stmt = stmt.where(Survey.kind == kind)
    if status is not None:
        stmt = stmt.where(Survey.status == status)
    return list_page(session, stmt, Survey, limit=limit, cursor=cursor, order=order)


def answered_by(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(SurveyResponse.survey_id).where(SurveyResponse.respondent_user_id == user_id)))


def answer_survey(
    session: Session,
    survey_id: int,
    data: SurveyAnswer | SurveyAnswerRecorded,
    *,
    customer_id: int,
    user_id: int | None,
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """Store one answer. A portal user (``user_id`` given with their ``customer_id``) answers
    once per survey (and ticket); staff record answers for a customer once per survey and ticket."""
    now = now or utcnow()
    s = get_survey(session, survey_id)
    if s.status is not SurveyStatus.open:
        raise ValidationFailed(
            "survey not open", [FieldError("survey_id", f"the survey is {s.status.value}", "closed")]
        )
    low, high = SCORE_RANGE[s.kind]
    if not low <= data.score <= high:
        raise invalid("score", f"a {s.kind.value.upper()} answer is {low}..{high}", "out_of_range")
    require_ref(session, Customer, customer_id, "customer_id", "customer")
    ticket = require_ref(session, Ticket, data.ticket_id, "ticket_id", "ticket")
    if ticket is not None and ticket.customer_id != customer_id:
        raise invalid("ticket_id", "the ticket belongs to another customer", "mismatch")
    answered_at = getattr(data, "answered_at", None) or now
    if answered_at > now + dt.timedelta(minutes=2):
        raise invalid("answered_at", "in the future")
    respondent = f"u{user_id}" if user_id is not None else f"c{customer_id}"
    if data.ticket_id:
        respondent += f"/t{data.ticket_id}"
    if session.scalar(
        select(SurveyResponse.id).where(SurveyResponse.survey_id == s.id, SurveyResponse.respondent == respondent)
    ):
        raise Conflict("already answered", [FieldError("survey_id", "this survey was already answered", "duplicate")])
    r = SurveyResponse(
        survey_id=s.id,
        customer_id=customer_id,
        ticket_id=data.ticket_id,
        respondent_user_id=user_id,
        respondent=respondent,
        score=data.score,
        comment=data.comment,
        answered_at=answered_at,
    )
    session.add(r)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("already answered", [FieldError("survey_id", "answered concurrently", "duplicate")]) from None
    return r


def list_responses(
    session: Session,
    survey_id: int,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    customer_id: int | None = None,
) -> tuple[list[SurveyResponse], str | None]:
    get_survey(session, survey_id)
    stmt = select(SurveyResponse).where(SurveyResponse.survey_id == survey_id)
    if customer_id is not None:
        stmt = stmt.where(SurveyResponse.customer_id == customer_id)
    return list_page(session, stmt, SurveyResponse, limit=limit, cursor=cursor, order=order)


def _point(label: str, r: sat.NpsResult | sat.CsatResult) -> ScorePoint:
    if isinstance(r, sat.NpsResult):
        return ScorePoint(
            period=label, n=r.n, score=r.score, promoters=r.promoters, passives=r.passives, detractors=r.detractors
        )
    return ScorePoint(period=label, n=r.n, score=r.score, satisfied=r.satisfied, mean=r.mean)


def satisfaction_trend(
    session: Session,
    kind: SurveyKind,
    start: dt.date,
    end: dt.date,
    granularity: sat.Granularity = sat.Granularity.month,
    survey_id: int | None = None,
) -> SatisfactionTrend:
    """NPS or CSAT per period over all surveys of ``kind`` (or one survey); a period without
    answers has ``n = 0`` and no score."""
    if end <= start:
        raise invalid("end", "must be after start")
    if len(sat.periods_between(start, end, granularity)) > 120:
        raise invalid("granularity", "at most 120 periods")
    lo = dt.datetime.combine(start, dt.time(), dt.UTC)
    hi = dt.datetime.combine(end, dt.time(), dt.UTC)
    stmt = (
        select(SurveyResponse.answered_at, SurveyResponse.score)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(Survey.kind == kind, SurveyResponse.answered_at >= lo, SurveyResponse.answered_at < hi)
    )
    if survey_id is not None:
        get_survey(session, survey_id)
        stmt = stmt.where(SurveyResponse.survey_id == survey_id)
    rows = [(at.astimezone(dt.UTC).date(), score) for at, score in session.execute(stmt)]
    scores = [s for _d, s in rows]
    total = sat.nps(scores) if kind is SurveyKind.nps else sat.csat(scores)
    points = [_point(p.period, p.nps or p.csat) for p in sat.trend(rows, kind.value, granularity, start, end)]
    return SatisfactionTrend(
        kind=kind,
        granularity=sat.Granularity(granularity).value,
        start=start,
        end=end,
        total=_point("total", total),
        points=points,
    )


# ---- repurchase --------------------------------------------------------------------------------------

BOUGHT = (ContractStatus.active, ContractStatus.suspended, ContractStatus.expired, ContractStatus.terminated)


def repurchase(session: Session, start: dt.date, end: dt.date) -> RepurchaseRead:
    """Customers with more than one contract signed in ``[start, end)`` among those with one
    (a contract's date: signed on, else its start; drafts and cancelled contracts do not count)."""
    if end <= start:
        raise invalid("end", "must be after start")
    rows = session.execute(
        select(Contract.customer_id, func.coalesce(Contract.signed_on, Contract.start_date)).where(
            Contract.status.in_(BOUGHT)
        )
    ).all()
    r = sat.repurchase_rate(rows, start, end)
    return RepurchaseRead(
        start=start, end=end, customers=r.customers, repeat_customers=r.repeat_customers, rate_pct=r.rate
    )


def capture_survey_requirement(
    session: Session, survey_id: int, response_id: int, data: RequirementCapture, *, user_id: int | None
) -> RequirementStated:
    """Record that a survey answer's comment states a requirement (1.2.1 -> 2.1.1): the core event
    :class:`somp.core.requirement_capture.RequirementStated` with source kind ``survey`` and the
    reference ``<survey code>#<answer id>``; the requirements module creates the requirement. The
    offering defaults to that of the contract of the answer's ticket; the title to the comment."""
    survey = get_survey(session, survey_id)
    resp = session.scalar(
        select(SurveyResponse).where(SurveyResponse.id == response_id, SurveyResponse.survey_id == survey_id)
    )
    if resp is None:
        raise NotFound(f"survey {survey.code} has no answer {response_id}")
    offering_id = data.offering_id
    if offering_id is None and resp.ticket_id is not None:
        contract_id = session.scalar(select(Ticket.contract_id).where(Ticket.id == resp.ticket_id))
        contract = session.get(Contract, contract_id) if contract_id else None
        offering_id = contract.offering_id if contract is not None else None
    if offering_id is None:
        raise invalid("offering_id", "name the offering the requirement is about", "required")
    require_ref(session, Offering, offering_id, "offering_id", "offering")
    title = data.title or (resp.comment or "").strip()[:200]
    if not title:
        raise invalid("title", "the answer has no comment: give the requirement's title", "required")
    suffix = f"#{resp.id}"
    event = RequirementStated(
        tenant_id=survey.tenant_id,
        offering_id=offering_id,
        customer_id=resp.customer_id,
        source_kind="survey",
        source_ref=survey.code[: 64 - len(suffix)] + suffix,
        title=title,
        title_en=data.title_en,
        description=data.description if data.description is not None else resp.comment,
        priority=data.priority,
        weight=data.weight,
        by_user_id=user_id,
    )
    record(session, event)
    session.flush()
    return event
