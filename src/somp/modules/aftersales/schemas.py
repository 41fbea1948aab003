"""API contract of after-sales (2.1.6) and customer participation and surveys (1.2.1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field, field_validator, model_validator

from somp.core.schemas import MAX_ID, Code, InputModel, LongText, Name, NonNegativeAmount, ReadModel, ShortText, Stamped
from somp.modules.aftersales.models import (
    Clock,
    EscalationTarget,
    ParticipationStage,
    RecoveryKind,
    RecoveryStatus,
    SlaCalendarName,
    SlaSource,
    SurveyKind,
    SurveyStatus,
    TicketCategory,
    TicketChannel,
    TicketEventKind,
    TicketStatus,
)
from somp.modules.catalog.models import Priority
from somp.modules.workorders.models import WorkOrderKind

OptId = Field(None, ge=1, le=MAX_ID)


# ---- tickets ---------------------------------------------------------------------------------------


class TicketCreate(InputModel):
    """A customer user's ticket is always their own customer's (``customer_id`` is ignored);
    staff name the customer or an asset (its customer is taken)."""

    customer_id: int | None = OptId
    asset_id: int | None = OptId
    contract_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="the contract whose SLA applies; default: the live contract covering the asset",
    )
    title: Name
    description: LongText | None = None
    category: TicketCategory
    priority: Priority = Priority.medium
    channel: TicketChannel | None = Field(None, description="default: portal for customer users, phone for staff")
    assignee_user_id: int | None = OptId
    number: Code | None = Field(None, description="generated (TK-<year>-<n>) when omitted")
    opened_at: AwareDatetime | None = Field(None, description="staff only: when it was raised (default now)")


class TicketUpdate(InputModel):
    title: Name | None = None
    description: LongText | None = None
    category: TicketCategory | None = None
    assignee_user_id: int | None = OptId
    version: int | None = None


class TicketTransition(InputModel):
    to_status: TicketStatus
    at: AwareDatetime | None = Field(None, description="when it happened; default now")
    note: str | None = Field(None, max_length=2000)
    version: int | None = None


class TicketComment(InputModel):
    note: str = Field(min_length=1, max_length=4000)
    internal: bool = Field(False, description="staff only: hidden from the customer")
    reopen: bool = Field(False, description="customer: reopen a resolved ticket with this comment")


class RequirementCapture(InputModel):
    """What a customer said in a ticket, captured as a requirement on an offering (2.1.1): the
    ``pss`` module creates it (source kind ``ticket``, the ticket number as reference)."""

    offering_id: int | None = Field(None, ge=1, le=MAX_ID, description="default: the offering of the ticket's contract")
    title: Name | None = Field(None, description="default: the ticket's title")
    title_en: Name | None = None
    description: LongText | None = Field(None, description="default: the ticket's description")
    priority: Literal["must", "should", "could", "wont"] = "should"
    weight: Decimal = Field(Decimal(1), gt=0, le=100, max_digits=9, decimal_places=3)


class RequirementStatedRead(ReadModel):
    """The requirement asked for; the requirements module creates it from the event."""

    offering_id: int
    customer_id: int | None
    source_kind: str
    source_ref: str
    title: str
    title_en: str | None
    priority: str
    weight: Decimal


class WorkOrderRequest(InputModel):
    kind: WorkOrderKind = WorkOrderKind.corrective


class ClockRead(ReadModel):
    name: str
    state: str
    target_seconds: float
    elapsed_seconds: float
    remaining_seconds: float
    used_pct: float
    deadline: dt.datetime | None
    breached_at: dt.datetime | None
    escalation_level: int
    stopped_at: dt.datetime | None


class SlaRead(ReadModel):
    source: SlaSource
    calendar: SlaCalendarName
    as_of: dt.datetime
    working_now: bool = Field(description="the calendar is in working time now (a running clock counts down)")
    working_until: dt.datetime | None = Field(description="end of the current working interval")
    next_working_at: dt.datetime | None = Field(description="start of the next working interval when not working now")
    response: ClockRead
    resolution: ClockRead


class TicketRead(Stamped):
    number: str
    customer_id: int
    asset_id: int | None
    contract_id: int | None
    title: str
    description: str | None
    category: TicketCategory
    priority: Priority
    status: TicketStatus
    channel: TicketChannel
    raised_by_user_id: int | None
    assignee_user_id: int | None
    opened_at: dt.datetime
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    sla_source: SlaSource
    calendar: SlaCalendarName
    response_target_minutes: int
    resolution_target_minutes: int
    response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    response_breached_at: dt.datetime | None
    resolution_breached_at: dt.datetime | None
    escalation_level: int
    work_order_id: int | None
    response_breached: bool = False
    resolution_breached: bool = False


class TicketDetail(TicketRead):
    sla: SlaRead
    events: list[TicketEventRead]


class TicketEventRead(ReadModel):
    id: int
    kind: TicketEventKind
    at: dt.datetime
    user_id: int | None
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    note: str | None
    internal: bool


# ---- SLA defaults, escalations, recovery ------------------------------------------------------------


class SlaDefaultIn(InputModel):
    priority: Priority
    response_minutes: int = Field(gt=0, le=60 * 24 * 90)
    resolution_minutes: int = Field(gt=0, le=60 * 24 * 365)
    calendar: SlaCalendarName = SlaCalendarName.cn_office

    @model_validator(mode="after")
    def _order(self) -> SlaDefaultIn:
        if self.resolution_minutes < self.response_minutes:
            raise ValueError("resolution_minutes must not be shorter than response_minutes")
        return self


class SlaDefaultsPut(InputModel):
    """The whole table: stored whole or refused."""

    rows: list[SlaDefaultIn] = Field(max_length=len(Priority))


class SlaDefaultRead(ReadModel):
    priority: Priority
    response_minutes: int
    resolution_minutes: int
    calendar: SlaCalendarName
    source: SlaSource


class EscalationRead(ReadModel):
    id: int
    ticket_id: int
    clock: Clock
    level: int
    fraction: float
    reached_at: dt.datetime
    notify: EscalationTarget
    notify_user_id: int | None
    created_at: dt.datetime


class EscalationCheck(InputModel):
    pass


class EscalationCheckResult(ReadModel):
    checked: int
    new_escalations: list[EscalationRead]
    new_breaches: int


class RecoveryCreate(InputModel):
    kind: RecoveryKind
    description: Name
    amount: NonNegativeAmount | None = None
    owner_user_id: int | None = OptId
    due_at: AwareDatetime | None = None


class RecoveryUpdate(InputModel):
    status: RecoveryStatus | None = None
    description: Name | None = None
    amount: NonNegativeAmount | None = None
    owner_user_id: int | None = OptId
    due_at: AwareDatetime | None = None
    version: int | None = None


class RecoveryRead(Stamped):
    ticket_id: int
    kind: RecoveryKind
    description: str
    amount: Decimal | None
    owner_user_id: int | None
    status: RecoveryStatus
    due_at: dt.datetime | None
    done_at: dt.datetime | None


# ---- participation and surveys ------------------------------------------------------------------


class ParticipationCreate(InputModel):
    customer_id: int = Field(ge=1, le=MAX_ID)
    stage: ParticipationStage
    occurred_at: AwareDatetime | dt.date = Field(
        description="an instant with its time zone, or a day (taken as 00:00 in Asia/Shanghai)"
    )
    contract_id: int | None = OptId
    asset_id: int | None = OptId
    ticket_id: int | None = OptId
    channel: str | None = Field(None, max_length=40)
    summary: ShortText = Field(min_length=1)
    detail: LongText | None = None

    @field_validator("occurred_at")
    @classmethod
    def _day_to_instant(cls, v: dt.datetime | dt.date) -> dt.datetime:
        if isinstance(v, dt.datetime):
            return v
        return dt.datetime.combine(v, dt.time(), ZoneInfo("Asia/Shanghai"))


class ParticipationRead(Stamped):
    customer_id: int
    stage: ParticipationStage
    occurred_at: dt.datetime
    contract_id: int | None
    asset_id: int | None
    ticket_id: int | None
    channel: str | None
    summary: str
    detail: str | None


class ParticipationSummary(ReadModel):
    stage: ParticipationStage
    events: int
    customers: int


class SurveyCreate(InputModel):
    code: Code
    kind: SurveyKind
    title: Name
    question: ShortText = Field(min_length=1)
    status: SurveyStatus = SurveyStatus.open


class SurveyUpdate(InputModel):
    title: Name | None = None
    question: ShortText | None = None
    status: SurveyStatus | None = None
    version: int | None = None


class SurveyRead(Stamped):
    code: str
    kind: SurveyKind
    title: str
    question: str
    status: SurveyStatus


class PortalSurveyRead(SurveyRead):
    answered: bool = False


class SurveyAnswer(InputModel):
    """A portal user's answer (their customer; one answer per user, survey and ticket)."""

    score: int = Field(ge=0, le=10)
    comment: LongText | None = None
    ticket_id: int | None = OptId


class SurveyAnswerRecorded(SurveyAnswer):
    """An answer staff record for a customer (e.g. by phone)."""

    customer_id: int = Field(ge=1, le=MAX_ID)
    answered_at: AwareDatetime | None = None


class SurveyResponseRead(ReadModel):
    id: int
    survey_id: int
    customer_id: int
    ticket_id: int | None
    respondent_user_id: int | None
    score: int
    comment: str | None
    answered_at: dt.datetime


class ScorePoint(ReadModel):
    period: str
    n: int
    score: float | None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    satisfied: int | None = None
    mean: float | None = None


class SatisfactionTrend(ReadModel):
    kind: SurveyKind
    granularity: str
    start: dt.date
    end: dt.date
    total: ScorePoint
    points: list[ScorePoint]


class RepurchaseRead(ReadModel):
    start: dt.date
    end: dt.date
    customers: int
    repeat_customers: int
    rate_pct: float | None


TicketDetail.model_rebuild()


# ---- quality supervision report ---------------------------------------------------------------------


class ClockTally(ReadModel):
    met: int = 0
    breached: int = 0
    pending: int = 0
    attainment_pct: float | None = Field(None, description="met / (met + breached); None when no outcome is known")


class ReportRow(ReadModel):
    key: str
    opened: int = 0
    resolved: int = 0
    response: ClockTally = Field(default_factory=ClockTally)
    resolution: ClockTally = Field(default_factory=ClockTally)


class ContractAvailability(ReadModel):
    """One contract's stored SLA attainment for one month (availability of the covered assets)."""

    contract_id: int
    contract_number: str
    period: str
    availability_pct: float | None
    availability_target_pct: float | None
    availability_met: bool | None
    downtime_hours: float
    outages: int
    response_attainment_pct: float | None
    resolution_attainment_pct: float | None
    attained: bool | None
    final: bool


class QualityReport(ReadModel):
    """Quality supervision of after-sales service for one period (2.1.6)."""

    start: dt.date
    end: dt.date
    as_of: dt.datetime
    total: ReportRow
    by_category: list[ReportRow]
    by_priority: list[ReportRow]
    by_contract: list[ReportRow]
    escalations_by_level: dict[str, int] | None = None
    recovery_by_kind: dict[str, int] | None = None
    recovery_done: int | None = None
    recovery_amount: Decimal | None = None
    csat: ScorePoint | None = None
    nps: ScorePoint | None = None
    availability: list[ContractAvailability] | None = Field(
        None, description="stored SLA attainment per contract and month inside the period (pss, through a core port)"
    )
