"""After-sales tables (framework node 2.1.6 售后管理) and customer participation and surveys
(1.2.1 客户管理).

* :class:`Ticket` — a customer's request or complaint, with its SLA terms frozen when it is opened
  (targets in business minutes and the working calendar), the projected deadlines and breach
  instants kept current after every change, and the escalation level reached;
* :class:`TicketEvent` — what happened to a ticket (the SLA clocks are computed from these);
* :class:`Escalation`, :class:`RecoveryAction` — escalation levels reached (who was told, when) and
  service recovery actions;
* :class:`SlaDefault` — the tenant's SLA targets per priority for tickets without a contract SLA;
* :class:`ParticipationEvent` — customer participation across the PSS lifecycle;
* :class:`Survey`, :class:`SurveyResponse` — NPS (0-10) and CSAT (1-5) surveys and their answers.

Rows a customer user may see carry ``__customer_column__`` (the central scope narrows them).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import Base, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum
from somp.modules.catalog.models import Priority


class TicketStatus(enum.StrEnum):
    new = "new"
    in_progress = "in_progress"
    waiting_customer = "waiting_customer"  # the resolution clock is paused
    resolved = "resolved"
    closed = "closed"
    reopened = "reopened"


T = TicketStatus
TICKET_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    T.new: frozenset({T.in_progress, T.waiting_customer, T.resolved}),
    T.in_progress: frozenset({T.waiting_customer, T.resolved}),
    T.waiting_customer: frozenset({T.in_progress, T.resolved}),
    T.resolved: frozenset({T.closed, T.reopened}),
    T.reopened: frozenset({T.in_progress, T.waiting_customer, T.resolved}),
    T.closed: frozenset(),
}
OPEN_TICKET = (T.new, T.in_progress, T.waiting_customer, T.reopened)


class TicketCategory(enum.StrEnum):
    breakdown = "breakdown"
    performance = "performance"
    quality = "quality"
    spare_parts = "spare_parts"
    consultation = "consultation"
    complaint = "complaint"
    billing = "billing"
    other = "other"


class TicketChannel(enum.StrEnum):
    portal = "portal"
    phone = "phone"
    email = "email"
    onsite = "onsite"
    monitoring = "monitoring"


class SlaCalendarName(enum.StrEnum):
    """Working calendars a ticket's clocks can run on (see ``service.calendar_of``)."""

    cn_office = "cn_office"  # Mon-Fri 09-12, 13-18 with China's holidays and make-up days
    weekdays = "weekdays"  # Mon-Fri 09-12, 13-18, no holidays
    always = "always"  # 24 x 7


class SlaSource(enum.StrEnum):
    contract = "contract"  # the covering contract's offering SLA
    tenant_default = "tenant_default"  # the tenant's default table
    builtin = "builtin"  # somp's defaults (no table row for the priority)


class TicketEventKind(enum.StrEnum):
    opened = "opened"
    responded = "responded"
    paused = "paused"
    resumed = "resumed"
    resolved = "resolved"
    reopened = "reopened"
    closed = "closed"
    comment = "comment"
    escalated = "escalated"
    work_order_requested = "work_order_requested"
    work_order_opened = "work_order_opened"
    work_order_status = "work_order_status"
    recovery = "recovery"


CLOCK_EVENTS = frozenset(
    {
        TicketEventKind.opened,
        TicketEventKind.responded,
        TicketEventKind.paused,
        TicketEventKind.resumed,
        TicketEventKind.resolved,
        TicketEventKind.reopened,
    }
)


class SlaDefault(TenantOwned, Timestamped, Base):
    __tablename__ = "aftersales_sla_defaults"
    __table_args__ = (
        UniqueConstraint("tenant_id", "priority"),
        CheckConstraint("response_minutes > 0 AND resolution_minutes >= response_minutes", name="targets"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "priority"))
    response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    calendar: Mapped[SlaCalendarName] = mapped_column(str_enum(SlaCalendarName, "sla_calendar"))


class Ticket(TenantOwned, Timestamped, Base):
    __tablename__ = "tickets"
    __customer_column__ = "customer_id"
    __table_args__ = (
        tenant_key("tickets"),
        UniqueConstraint("tenant_id", "number"),
        tenant_fk("customer_id", "customers"),
        tenant_fk("asset_id", "assets"),
        tenant_fk("contract_id", "contracts"),
        tenant_fk("work_order_id", "work_orders"),
        Index("ix_tickets_tenant_status", "tenant_id", "status"),
        Index("ix_tickets_tenant_customer", "tenant_id", "customer_id"),
        Index("ix_tickets_tenant_opened", "tenant_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int]
    asset_id: Mapped[int | None]
    contract_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[TicketCategory] = mapped_column(str_enum(TicketCategory, "ticket_category"))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "priority"))
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, "ticket_status"), default=TicketStatus.new)
    channel: Mapped[TicketChannel] = mapped_column(str_enum(TicketChannel, "ticket_channel"))
    raised_by_user_id: Mapped[int | None]
    assignee_user_id: Mapped[int | None]
    opened_at: Mapped[dt.datetime]
    responded_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    # SLA terms frozen at opening
    sla_source: Mapped[SlaSource] = mapped_column(str_enum(SlaSource, "sla_source"))
    calendar: Mapped[SlaCalendarName] = mapped_column(str_enum(SlaCalendarName, "sla_calendar"))
    response_target_minutes: Mapped[int]
    resolution_target_minutes: Mapped[int]
    # kept current by the service after every change and by the escalation check
    response_due_at: Mapped[dt.datetime | None]
    resolution_due_at: Mapped[dt.datetime | None]
    response_breached_at: Mapped[dt.datetime | None]
    resolution_breached_at: Mapped[dt.datetime | None]
    escalation_level: Mapped[int] = mapped_column(default=0)
    work_order_id: Mapped[int | None]


class TicketEvent(TenantOwned, Base):
    __tablename__ = "ticket_events"
    __customer_column__ = "customer_id"
    __table_args__ = (
        tenant_fk("ticket_id", "tickets", ondelete="CASCADE"),
        Index("ix_ticket_events_ticket", "tenant_id", "ticket_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int]
    customer_id: Mapped[int]
    kind: Mapped[TicketEventKind] = mapped_column(str_enum(TicketEventKind, "ticket_event_kind"))
    at: Mapped[dt.datetime]
    user_id: Mapped[int | None]
    from_status: Mapped[TicketStatus | None] = mapped_column(str_enum(TicketStatus, "ticket_from_status"))
    to_status: Mapped[TicketStatus | None] = mapped_column(str_enum(TicketStatus, "ticket_to_status"))
    note: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(default=False)  # hidden from the customer
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Clock(enum.StrEnum):
    response = "response"
    resolution = "resolution"


class EscalationTarget(enum.StrEnum):
    """Who a level goes to: 1 the assignee (the service managers when nobody is assigned), 2 the
    service managers, 3 the tenant's administrators."""

    assignee = "assignee"
    service_manager = "service_manager"
    tenant_admin = "tenant_admin"


class Escalation(TenantOwned, Base):
    __tablename__ = "ticket_escalations"
    __table_args__ = (
        UniqueConstraint("ticket_id", "clock", "level"),
        tenant_fk("ticket_id", "tickets", ondelete="CASCADE"),
        Index("ix_ticket_escalations_reached", "tenant_id", "reached_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int]
    clock: Mapped[Clock] = mapped_column(str_enum(Clock, "sla_clock"))
    level: Mapped[int]
    fraction: Mapped[float]
    reached_at: Mapped[dt.datetime]
    notify: Mapped[EscalationTarget] = mapped_column(str_enum(EscalationTarget, "escalation_target"))
    notify_user_id: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecoveryKind(enum.StrEnum):
    apology = "apology"
    callback = "callback"
    expedited_repair = "expedited_repair"
    free_service = "free_service"
    replacement = "replacement"
    credit_note = "credit_note"
    goodwill_visit = "goodwill_visit"
    other = "other"


class RecoveryStatus(enum.StrEnum):
    planned = "planned"
    done = "done"
    cancelled = "cancelled"


class RecoveryAction(TenantOwned, Timestamped, Base):
    __tablename__ = "ticket_recovery_actions"
    __table_args__ = (
        tenant_fk("ticket_id", "tickets", ondelete="CASCADE"),
        Index("ix_ticket_recovery_ticket", "tenant_id", "ticket_id"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int]
    kind: Mapped[RecoveryKind] = mapped_column(str_enum(RecoveryKind, "recovery_kind"))
    description: Mapped[str] = mapped_column(String(500))
    amount: Mapped[Decimal | None]
    owner_user_id: Mapped[int | None]
    status: Mapped[RecoveryStatus] = mapped_column(
        str_enum(RecoveryStatus, "recovery_status"), default=RecoveryStatus.planned
    )
    due_at: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]


class ParticipationStage(enum.StrEnum):
    """Where in the product-service system's lifecycle the customer took part."""

    requirements = "requirements"
    co_design = "co_design"
    prototype_review = "prototype_review"
    trial = "trial"
    acceptance = "acceptance"
    feedback = "feedback"
    improvement = "improvement"


class ParticipationEvent(TenantOwned, Timestamped, Base):
    __tablename__ = "customer_participation"
    __customer_column__ = "customer_id"
    __table_args__ = (
        tenant_fk("customer_id", "customers"),
        tenant_fk("contract_id", "contracts"),
        tenant_fk("asset_id", "assets"),
        tenant_fk("ticket_id", "tickets"),
        Index("ix_customer_participation_customer", "tenant_id", "customer_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int]
    stage: Mapped[ParticipationStage] = mapped_column(str_enum(ParticipationStage, "participation_stage"))
    occurred_at: Mapped[dt.datetime]
    contract_id: Mapped[int | None]
    asset_id: Mapped[int | None]
    ticket_id: Mapped[int | None]
    channel: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)


class SurveyKind(enum.StrEnum):
    nps = "nps"  # 0-10: how likely to recommend
    csat = "csat"  # 1-5: how satisfied


SCORE_RANGE = {SurveyKind.nps: (0, 10), SurveyKind.csat: (1, 5)}


class SurveyStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Survey(TenantOwned, Timestamped, Base):
    __tablename__ = "surveys"
    __table_args__ = (tenant_key("surveys"), UniqueConstraint("tenant_id", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, "survey_kind"))
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(500))
    status: Mapped[SurveyStatus] = mapped_column(str_enum(SurveyStatus, "survey_status"), default=SurveyStatus.draft)


class SurveyResponse(TenantOwned, Base):
    __tablename__ = "survey_responses"
    __customer_column__ = "customer_id"
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent"),
        tenant_fk("survey_id", "surveys", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers"),
        tenant_fk("ticket_id", "tickets"),
        Index("ix_survey_responses_answered", "tenant_id", "survey_id", "answered_at"),
        CheckConstraint("score >= 0 AND score <= 10", name="score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int]
    customer_id: Mapped[int]
    ticket_id: Mapped[int | None]
    respondent_user_id: Mapped[int | None]
    # who answered: "u<user id>" (a portal user) or "c<customer id>" (recorded by staff), plus
    # "/t<ticket id>" for an answer about one ticket; one answer per respondent and survey
    respondent: Mapped[str] = mapped_column(String(60))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime]
