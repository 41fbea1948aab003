"""After-sales tickets with SLA timers (framework node 2.1.6 售后管理).

A ticket's SLA terms are fixed when it is opened: the response and resolution targets of its
priority, in business minutes, and the working calendar they run on. They come from the covering
contract's offering SLA (``per_priority`` hours; ``calendar`` when the offering names one), else
from the tenant's default table (:class:`SlaDefault`), else from :data:`BUILTIN_SLA`. The clocks
are computed by the pure engine :mod:`.sla_timer` from the ticket's events; after every change the
projected deadlines and breach instants are stored on the ticket (for lists and reports), and the
escalation check (:func:`escalate`, run every minute by the server and by ``somp aftersales
escalate``) records the escalation levels reached.

Status machine: new -> in progress / waiting for customer / resolved; waiting for customer pauses
the resolution clock; resolved -> closed or reopened (the time already spent counts).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, Forbidden, NotFound, ValidationFailed, illegal_transition, invalid
from somp.core.events import record
from somp.core.identity import Role, User
from somp.core.pagination import Order
from somp.core.requirement_capture import RequirementStated
from somp.core.sequences import next_number
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.modules.aftersales import sla_timer as st
from somp.modules.aftersales.events import (
    TicketEscalated,
    TicketOpened,
    TicketStatusChanged,
    TicketWorkOrderRequested,
)
from somp.modules.aftersales.models import (
    CLOCK_EVENTS,
    OPEN_TICKET,
    TICKET_TRANSITIONS,
    Clock,
    Escalation,
    EscalationTarget,
    RecoveryAction,
    RecoveryStatus,
    SlaCalendarName,
    SlaDefault,
    SlaSource,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from somp.modules.aftersales.schemas import (
    ClockRead,
    RecoveryCreate,
    RecoveryUpdate,
    RequirementCapture,
    SlaDefaultRead,
    SlaDefaultsPut,
    SlaRead,
    TicketComment,
    TicketCreate,
    TicketDetail,
    TicketEventRead,
    TicketRead,
    TicketTransition,
    TicketUpdate,
    WorkOrderRequest,
)
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Offering, Priority
from somp.modules.contracts.models import Contract, ContractAsset
from somp.modules.contracts.service import covering_contract
from somp.modules.customers.models import Customer

# priority -> (response minutes, resolution minutes, calendar) when neither the contract nor the
# tenant's table says otherwise: critical incidents run 24 x 7, the rest on office hours
BUILTIN_SLA: dict[Priority, tuple[int, int, SlaCalendarName]] = {
    Priority.critical: (30, 4 * 60, SlaCalendarName.always),
    Priority.high: (2 * 60, 8 * 60, SlaCalendarName.cn_office),
    Priority.medium: (4 * 60, 24 * 60, SlaCalendarName.cn_office),
    Priority.low: (8 * 60, 40 * 60, SlaCalendarName.cn_office),
}
ENGINE_PRIORITY = {
    Priority.critical: st.Priority.p1,
    Priority.high: st.Priority.p2,
    Priority.medium: st.Priority.p3,
    Priority.low: st.Priority.p4,
}
ESCALATION_LEVELS = (0.5, 0.75, 1.0)  # fractions of a target: levels 1, 2, 3
ESCALATION_TARGETS = (EscalationTarget.assignee, EscalationTarget.service_manager, EscalationTarget.tenant_admin)
CLOCK_SKEW = dt.timedelta(minutes=2)  # a client's "at" may run this far ahead of the server


@cache
def calendar_of(name: SlaCalendarName | str) -> st.WorkingCalendar:
    name = SlaCalendarName(name)
    if name is SlaCalendarName.cn_office:
        return st.china_calendar()
    if name is SlaCalendarName.weekdays:
        return st.WorkingCalendar.weekdays()
    return st.WorkingCalendar.always()


# ---- SLA terms ---------------------------------------------------------------------------------------


def sla_defaults(session: Session) -> list[SlaDefaultRead]:
    """The tenant's table, with the built-in row for each priority it does not set."""
    rows = {r.priority: r for r in session.scalars(select(SlaDefault))}
    out = []
    for p in Priority:
        r = rows.get(p)
        if r is not None:
            out.append(
                SlaDefaultRead(
                    priority=p,
                    response_minutes=r.response_minutes,
                    resolution_minutes=r.resolution_minutes,
                    calendar=r.calendar,
                    source=SlaSource.tenant_default,
                )
            )
        else:
            resp, reso, cal = BUILTIN_SLA[p]
            out.append(
                SlaDefaultRead(
                    priority=p, response_minutes=resp, resolution_minutes=reso, calendar=cal, source=SlaSource.builtin
                )
            )
    return out


def put_sla_defaults(session: Session, data: SlaDefaultsPut) -> list[SlaDefaultRead]:
    """Replace the tenant's table with ``data.rows`` (priorities not given fall back to built-in)."""
    seen: set[Priority] = set()
    for i, r in enumerate(data.rows):
        if r.priority in seen:
            raise ValidationFailed(
                "duplicate priority", [FieldError(f"rows.{i}.priority", f"{r.priority.value} given twice", "duplicate")]
            )
        seen.add(r.priority)
    existing = {r.priority: r for r in session.scalars(select(SlaDefault))}
    for p, row in existing.items():
        if p not in seen:
            session.delete(row)
    for r in data.rows:
        row = existing.get(r.priority)
        if row is None:
            session.add(
                SlaDefault(
                    priority=r.priority,
                    response_minutes=r.response_minutes,
                    resolution_minutes=r.resolution_minutes,
                    calendar=r.calendar,
                )
            )
        else:
            apply_changes(row, r.model_dump(exclude={"priority"}))
    session.flush()
    return sla_defaults(session)


def terms_for(
    session: Session, contract: Contract | None, priority: Priority
) -> tuple[SlaSource, SlaCalendarName, int, int]:
    """(source, calendar, response minutes, resolution minutes) for a new ticket."""
    table = session.scalar(select(SlaDefault).where(SlaDefault.priority == priority))
    resp, reso, cal = BUILTIN_SLA[priority]
    if table is not None:
        resp, reso, cal = table.response_minutes, table.resolution_minutes, table.calendar
    source = SlaSource.tenant_default if table is not None else SlaSource.builtin
    offering = session.get(Offering, contract.offering_id) if contract is not None else None
    sla = (offering.sla or {}) if offering is not None else {}
    per = (sla.get("per_priority") or {}).get(priority.value)
    if per:
        resp = round(float(per["response_hours"]) * 60)
        reso = round(float(per["resolution_hours"]) * 60)
        source = SlaSource.contract
        named = sla.get("calendar")
        if isinstance(named, dict):  # per priority
            named = named.get(priority.value)
        if named in SlaCalendarName.__members__.values():
            cal = SlaCalendarName(named)
    return source, cal, max(resp, 1), max(reso, resp, 1)


def engine_terms(t: Ticket) -> st.SlaTerms:
    target = st.Target(
        dt.timedelta(minutes=t.response_target_minutes),
        dt.timedelta(minutes=t.resolution_target_minutes),
        calendar_of(t.calendar),
    )
    return st.SlaTerms({ENGINE_PRIORITY[t.priority]: target}, escalation=ESCALATION_LEVELS)


def _clock_events(session: Session, ticket_ids: list[int]) -> dict[int, list[st.Event]]:
    """The clock events of the tickets, in order (one query for all of them)."""
    out: dict[int, list[st.Event]] = {i: [] for i in ticket_ids}
    for start in range(0, len(ticket_ids), 500):
        rows = session.execute(
            select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.kind)
            .where(TicketEvent.ticket_id.in_(ticket_ids[start : start + 500]), TicketEvent.kind.in_(CLOCK_EVENTS))
            .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
        ).all()
        for tid, at, kind in rows:
            out[tid].append(st.Event(at, st.EventKind(kind.value)))
    return out


def clocks(session: Session, t: Ticket, now: dt.datetime, events: list[st.Event] | None = None) -> st.SlaStatus:
    """Both SLA clocks of ``t`` at ``now`` (at its opening when ``now`` is earlier)."""
    now = max(now, t.opened_at)
    if events is None:
        session.flush()
        events = _clock_events(session, [t.id])[t.id]
    try:
        return st.evaluate(engine_terms(t), ENGINE_PRIORITY[t.priority], events, now)
    except st.CalendarNotCovered as exc:
        raise ValidationFailed(
            "working calendar not covered", [FieldError("calendar", str(exc), "calendar_not_covered")]
        ) from None


def refresh_sla(session: Session, t: Ticket, now: dt.datetime, events: list[st.Event] | None = None) -> st.SlaStatus:
    """Store the projected deadlines and breach instants of ``t`` as of ``now``."""
    s = clocks(session, t, now, events)
    updates = {
        "response_due_at": s.response.deadline if s.response.state is not st.ClockState.met else None,
        "resolution_due_at": s.resolution.deadline if s.resolution.state is not st.ClockState.met else None,
        "response_breached_at": s.response.breached_at,
        "resolution_breached_at": s.resolution.breached_at,
    }
    if s.response.state is st.ClockState.met:
        updates["response_due_at"] = t.response_due_at  # keep the deadline it met
    if s.resolution.state is st.ClockState.met:
        updates["resolution_due_at"] = t.resolution_due_at
    apply_changes(t, updates)
    return s


# ---- tickets -----------------------------------------------------------------------------------------


def _event(
    session: Session,
    t: Ticket,
    kind: TicketEventKind,
    at: dt.datetime,
    user_id: int | None,
    note: str | None = None,
    *,
    internal: bool = False,
    from_status: TicketStatus | None = None,
    to_status: TicketStatus | None = None,
) -> TicketEvent:
    ev = TicketEvent(
        ticket_id=t.id,
        customer_id=t.customer_id,
        kind=kind,
        at=at,
        user_id=user_id,
        note=note,
        internal=internal,
        from_status=from_status,
        to_status=to_status,
    )
    session.add(ev)
    return ev


def _check_staff(session: Session, user_id: int | None, field: str) -> None:
    if user_id is None:
        return
    user = require_ref(session, User, user_id, field, "user")
    if Role.customer_user.value in user.roles or not user.active:
        raise ValidationFailed("invalid user", [FieldError(field, "choose an active staff member", "not_staff")])


def raise_ticket(
    session: Session,
    data: TicketCreate,
    *,
    user_id: int | None,
    customer_id: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket. ``customer_id`` set means a customer user raised it (portal): the ticket is
    theirs whatever the input says, and their session only finds their own assets and contracts."""
    now = now or utcnow()
    portal = customer_id is not None
    if portal and (data.assignee_user_id or data.opened_at or data.number):
        raise ValidationFailed(
            "not allowed from the portal",
            [
                FieldError(f, "set by the service team", "staff_only")
                for f in ("assignee_user_id", "opened_at", "number")
                if getattr(data, f)
            ],
        )
    opened_at = data.opened_at or now
    if opened_at > now + CLOCK_SKEW:
        raise invalid("opened_at", "in the future")
    asset = require_ref(session, Asset, data.asset_id, "asset_id", "asset")
    if portal:
        cust = customer_id
    elif asset is not None:
        cust = asset.customer_id
        if data.customer_id and cust and data.customer_id != cust:
            raise invalid("customer_id", "the asset belongs to another customer", "mismatch")
        cust = cust or data.customer_id
    else:
        cust = data.customer_id
    if cust is None:
        raise invalid("customer_id", "name the customer or an asset of theirs", "required")
    require_ref(session, Customer, cust, "customer_id", "customer")
    if asset is not None and asset.customer_id != cust:
        raise invalid("asset_id", "not an asset of this customer", "mismatch")
    contract = None
    if data.contract_id:
        contract = require_ref(session, Contract, data.contract_id, "contract_id", "contract")
        if contract.customer_id != cust:
            raise invalid("contract_id", "not a contract of this customer", "mismatch")
        if asset is not None and not session.scalar(
            select(ContractAsset.id).where(ContractAsset.contract_id == contract.id, ContractAsset.asset_id == asset.id)
        ):
            raise invalid("contract_id", "the contract does not cover this asset", "not_covered")
    elif asset is not None:
        contract = covering_contract(session, asset.id, opened_at.date())
    _check_staff(session, data.assignee_user_id, "assignee_user_id")
    source, cal, resp, reso = terms_for(session, contract, data.priority)
    tenant_id = session.info["scope"].tenant_id
    number = data.number or next_number(session, tenant_id, "TK", opened_at.year)
    ensure_unique(session, Ticket, "number", number)
    t = Ticket(
        number=number,
        customer_id=cust,
        asset_id=asset.id if asset else None,
        contract_id=contract.id if contract else None,
        title=data.title,
        description=data.description,
        category=data.category,
        priority=data.priority,
        status=TicketStatus.new,
        channel=TicketChannel.portal if portal else (data.channel or TicketChannel.phone),
        raised_by_user_id=user_id,
        assignee_user_id=data.assignee_user_id,
        opened_at=opened_at,
        sla_source=source,
        calendar=cal,
        response_target_minutes=resp,
        resolution_target_minutes=reso,
    )
    session.add(t)
    session.flush()
    _event(session, t, TicketEventKind.opened, opened_at, user_id, to_status=TicketStatus.new)
    session.flush()
    refresh_sla(session, t, now)
    record(
        session,
        TicketOpened(
            tenant_id=t.tenant_id,
            ticket_id=t.id,
            customer_id=t.customer_id,
            asset_id=t.asset_id,
            priority=t.priority.value,
            category=t.category.value,
        ),
    )
    session.flush()
    return t


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    return get_or_404(session, Ticket, ticket_id, "ticket")


def update_ticket(session: Session, ticket_id: int, data: TicketUpdate) -> Ticket:
    t = get_ticket(session, ticket_id)
    check_version(t, data.version)
    if t.status is TicketStatus.closed:
        raise ValidationFailed("ticket closed", [FieldError("status", "a closed ticket is final", "closed")])
    changes = data.model_dump(exclude_unset=True)
    if "assignee_user_id" in changes:
        _check_staff(session, changes["assignee_user_id"], "assignee_user_id")
    apply_changes(t, changes)
    session.flush()
    return t


def _last_event_at(session: Session, t: Ticket) -> dt.datetime:
    from sqlalchemy import func

    return session.scalar(select(func.max(TicketEvent.at)).where(TicketEvent.ticket_id == t.id)) or t.opened_at


def _when(session: Session, t: Ticket, at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    at = at or now
    if at > now + CLOCK_SKEW:
        raise invalid("at", "in the future")
    if at < _last_event_at(session, t):
        raise invalid("at", "before the ticket's last event", "order")
    return at


def transition_ticket(
    session: Session, ticket_id: int, req: TicketTransition, *, user_id: int | None, now: dt.datetime | None = None
) -> Ticket:
    now = now or utcnow()
    t = get_ticket(session, ticket_id)
    check_version(t, req.version)
    allowed = TICKET_TRANSITIONS[t.status]
    if req.to_status not in allowed:
        raise illegal_transition("ticket_status", t.status, req.to_status, allowed)
    at = _when(session, t, req.at, now)
    _move(session, t, req.to_status, at, user_id, req.note)
    refresh_sla(session, t, now)
    session.flush()
    return t


def _move(
    session: Session, t: Ticket, to: TicketStatus, at: dt.datetime, user_id: int | None, note: str | None
) -> None:
    """The clock events of a status change, in order (the engine keeps the order of equal times)."""
    frm = t.status
    K = TicketEventKind  # noqa: N806
    if t.responded_at is None and to in (
        TicketStatus.in_progress,
        TicketStatus.waiting_customer,
        TicketStatus.resolved,
    ):
        _event(session, t, K.responded, at, user_id)
        t.responded_at = at
    if frm is TicketStatus.waiting_customer and to is TicketStatus.in_progress:
        _event(session, t, K.resumed, at, user_id)
    if to is TicketStatus.waiting_customer:
        _event(session, t, K.paused, at, user_id)
    if to is TicketStatus.resolved:
        _event(session, t, K.resolved, at, user_id)
        t.resolved_at = at
    if to is TicketStatus.reopened:
        _event(session, t, K.reopened, at, user_id)
        t.resolved_at = None
    if to is TicketStatus.closed:
        _event(session, t, K.closed, at, user_id)
        t.closed_at = at
    _event(session, t, K.comment, at, user_id, note, from_status=frm, to_status=to)
    t.status = to
    record(
        session, TicketStatusChanged(tenant_id=t.tenant_id, ticket_id=t.id, from_status=frm.value, to_status=to.value)
    )


def comment_ticket(
    session: Session,
    ticket_id: int,
    data: TicketComment,
    *,
    user_id: int | None,
    customer: bool,
    now: dt.datetime | None = None,
) -> Ticket:
    """Add a comment. A customer's comment on a ticket waiting for them resumes it (in progress);
    with ``reopen`` it reopens a resolved ticket. Staff may make it internal."""
    now = now or utcnow()
    t = get_ticket(session, ticket_id)
    if t.status is TicketStatus.closed:
        raise ValidationFailed("ticket closed", [FieldError("status", "a closed ticket is final", "closed")])
    if customer and data.internal:
        raise invalid("internal", "only the service team writes internal notes", "staff_only")
    at = _when(session, t, None, now)
    if customer and data.reopen:
        if t.status is not TicketStatus.resolved:
            raise illegal_transition("ticket_status", t.status, TicketStatus.reopened, TICKET_TRANSITIONS[t.status])
        _move(session, t, TicketStatus.reopened, at, user_id, data.note)
    elif customer and t.status is TicketStatus.waiting_customer:
        _move(session, t, TicketStatus.in_progress, at, user_id, data.note)
    else:
        _event(session, t, TicketEventKind.comment, at, user_id, data.note, internal=data.internal)
    t.updated_at = now  # a comment is a change of the ticket (version bump for optimistic locking)
    refresh_sla(session, t, now)
    session.flush()
    return t


def request_work_order(session: Session, ticket_id: int, data: WorkOrderRequest, *, user_id: int | None) -> Ticket:
    """Ask for a work order on the ticket's asset; it is opened by the after-sales reaction to
    :class:`TicketWorkOrderRequested` (through the outbox, in its own transaction)."""
    t = get_ticket(session, ticket_id)
    if t.asset_id is None:
        raise invalid("asset_id", "the ticket names no asset to work on", "required")
    if t.status is TicketStatus.closed:
        raise ValidationFailed("ticket closed", [FieldError("status", "a closed ticket is final", "closed")])
    if t.work_order_id is not None:
        raise ValidationFailed(
            "work order exists", [FieldError("work_order_id", f"work order {t.work_order_id} exists", "duplicate")]
        )
    pending = session.scalar(
        select(exists().where(TicketEvent.ticket_id == t.id, TicketEvent.kind == TicketEventKind.work_order_requested))
    )
    if pending:
        raise ValidationFailed("already requested", [FieldError("work_order_id", "already requested", "duplicate")])
    _event(session, t, TicketEventKind.work_order_requested, utcnow(), user_id, data.kind.value, internal=True)
    record(
        session,
        TicketWorkOrderRequested(
            tenant_id=t.tenant_id, ticket_id=t.id, asset_id=t.asset_id, kind=data.kind.value, requested_by=user_id
        ),
    )
    session.flush()
    return t


def capture_requirement(
    session: Session, ticket_id: int, data: RequirementCapture, *, user_id: int | None
) -> RequirementStated:
    """Record that the ticket states a requirement (2.1.1 fed by 2.1.6): a
    :class:`somp.core.requirement_capture.RequirementStated` event that the requirements module
    turns into a requirement (source kind ``ticket``, the ticket number as reference), and an
    internal line in the ticket's history, in one transaction. The offering defaults to the
    offering of the ticket's contract."""
    t = get_ticket(session, ticket_id)
    offering_id = data.offering_id
    if offering_id is None and t.contract_id is not None:
        contract = session.get(Contract, t.contract_id)
        offering_id = contract.offering_id if contract is not None else None
    if offering_id is None:
        raise invalid("offering_id", "the ticket has no contract: name the offering", "required")
    require_ref(session, Offering, offering_id, "offering_id", "offering")
    title = data.title or t.title
    event = RequirementStated(
        tenant_id=t.tenant_id,
        offering_id=offering_id,
        customer_id=t.customer_id,
        source_kind="ticket",
        source_ref=t.number,
        title=title,
        title_en=data.title_en,
        description=data.description if data.description is not None else t.description,
        priority=data.priority,
        weight=data.weight,
        by_user_id=user_id,
    )
    _event(session, t, TicketEventKind.comment, utcnow(), user_id, f"需求已采集 / captured as a requirement: {title}",
           internal=True)  # fmt: skip
    record(session, event)
    session.flush()
    return event


def list_tickets(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    status: TicketStatus | None = None,
    category: TicketCategory | None = None,
    priority: Priority | None = None,
    customer_id: int | None = None,
    asset_id: int | None = None,
    contract_id: int | None = None,
    assignee_user_id: int | None = None,
    open_only: bool = False,
    breached: bool = False,
    q: str | None = None,
) -> tuple[list[Ticket], str | None]:
    stmt = select(Ticket)
    for col, value in (
        (Ticket.status, status),
        (Ticket.category, category),
        (Ticket.priority, priority),
        (Ticket.customer_id, customer_id),
        (Ticket.asset_id, asset_id),
        (Ticket.contract_id, contract_id),
        (Ticket.assignee_user_id, assignee_user_id),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    if open_only:
        stmt = stmt.where(Ticket.status.in_(OPEN_TICKET))
    if breached:
        stmt = stmt.where(or_(Ticket.response_breached_at.is_not(None), Ticket.resolution_breached_at.is_not(None)))
    if q:
        stmt = stmt.where(Ticket.number.icontains(q, autoescape=True) | Ticket.title.icontains(q, autoescape=True))
    return list_page(session, stmt, Ticket, limit=limit, cursor=cursor, order=order)


def to_read(tickets: list[Ticket], now: dt.datetime | None = None) -> list[TicketRead]:
    """Read models; a clock past its stored deadline counts as breached even before the next
    escalation check stores it."""
    now = now or utcnow()
    out = []
    for t in tickets:
        live = t.status in OPEN_TICKET
        resp = t.response_breached_at is not None or (
            t.responded_at is None and t.response_due_at is not None and t.response_due_at <= now
        )
        reso = t.resolution_breached_at is not None or (
            live
            and t.status is not TicketStatus.waiting_customer
            and t.resolution_due_at is not None
            and t.resolution_due_at <= now
        )
        out.append(
            TicketRead.model_validate(t).model_copy(update={"response_breached": resp, "resolution_breached": reso})
        )
    return out


def _clock_read(c: st.Clock) -> ClockRead:
    return ClockRead(
        name=c.name,
        state=c.state.value,
        target_seconds=c.target_seconds,
        elapsed_seconds=c.elapsed_seconds,
        remaining_seconds=c.remaining_seconds,
        used_pct=round(100 * c.used, 2),
        deadline=c.deadline,
        breached_at=c.breached_at,
        escalation_level=c.escalation_level,
        stopped_at=c.stopped_at,
    )


def sla_read(session: Session, t: Ticket, now: dt.datetime) -> SlaRead:
    s = clocks(session, t, now)
    cal = calendar_of(t.calendar)
    working_until = next_working = None
    try:
        current = cal.intervals(now, now + dt.timedelta(days=1))
        if current and current[0][0] <= now:
            working_until = current[0][1]
        else:
            next_working = current[0][0] if current else cal.add(now, 1) - dt.timedelta(seconds=1)
    except st.CalendarNotCovered:
        pass
    return SlaRead(
        source=t.sla_source,
        calendar=t.calendar,
        as_of=now,
        working_now=working_until is not None,
        working_until=working_until,
        next_working_at=next_working,
        response=_clock_read(s.response),
        resolution=_clock_read(s.resolution),
    )


def ticket_detail(session: Session, t: Ticket, *, customer: bool, now: dt.datetime | None = None) -> TicketDetail:
    now = now or utcnow()
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.at, TicketEvent.id)
    if customer:
        stmt = stmt.where(TicketEvent.internal.is_(False))
    events = [TicketEventRead.model_validate(e) for e in session.scalars(stmt)]
    base = to_read([t], now)[0]
    return TicketDetail(**base.model_dump(), sla=sla_read(session, t, now), events=events)


# ---- escalation --------------------------------------------------------------------------------------


def _service_managers(session: Session) -> list[int]:
    users = session.scalars(select(User).where(User.active.is_(True))).all()
    return [u.id for u in users if Role.service_manager.value in u.roles]


def escalate(session: Session, now: dt.datetime | None = None) -> tuple[int, list[Escalation], int]:
    """Record every escalation level reached by the open tickets of the session's tenant, once.

    Returns (tickets checked, new escalations, tickets newly breached). Level 1 (50 % of a target)
    goes to the assignee (the service managers when nobody is assigned), level 2 (75 %) to the
    service managers, level 3 (100 %, the breach) to the tenant's administrators."""
    now = now or utcnow()
    tickets = session.scalars(select(Ticket).where(Ticket.status.in_(OPEN_TICKET)).order_by(Ticket.id)).all()
    if not tickets:
        return 0, [], 0
    ids = [t.id for t in tickets]
    have: set[tuple[int, Clock, int]] = set()
    for start in range(0, len(ids), 500):
        have |= set(
            session.execute(
                select(Escalation.ticket_id, Escalation.clock, Escalation.level).where(
                    Escalation.ticket_id.in_(ids[start : start + 500])
                )
            ).all()
        )
    new: list[Escalation] = []
    breached = 0
    events = _clock_events(session, ids)
    for t in tickets:
        was = (t.response_breached_at, t.resolution_breached_at)
        s = refresh_sla(session, t, now, events[t.id])
        breached += was != (t.response_breached_at, t.resolution_breached_at)
        level = t.escalation_level
        for clock, c in ((Clock.response, s.response), (Clock.resolution, s.resolution)):
            for i, (fraction, reached) in enumerate(c.escalations):
                lvl = i + 1
                level = max(level, lvl)
                if (t.id, clock, lvl) in have:
                    continue
                target = ESCALATION_TARGETS[min(i, len(ESCALATION_TARGETS) - 1)]
                user = t.assignee_user_id if target is EscalationTarget.assignee else None
                if target is EscalationTarget.assignee and user is None:
                    target = EscalationTarget.service_manager
                esc = Escalation(
                    ticket_id=t.id,
                    clock=clock,
                    level=lvl,
                    fraction=fraction,
                    reached_at=reached,
                    notify=target,
                    notify_user_id=user,
                )
                session.add(esc)
                new.append(esc)
                _event(
                    session,
                    t,
                    TicketEventKind.escalated,
                    max(reached, t.opened_at),
                    None,
                    f"{clock.value} level {lvl} ({fraction:.0%}) -> {target.value}",
                    internal=True,
                )
                record(
                    session,
                    TicketEscalated(
                        tenant_id=t.tenant_id,
                        ticket_id=t.id,
                        clock=clock.value,
                        level=lvl,
                        notify=target.value,
                        notify_user_id=user,
                    ),
                )
        if level != t.escalation_level:
            t.escalation_level = level
    session.flush()
    return len(tickets), new, breached


def tenants_with_open_tickets(session: Session) -> list[int]:
    return list(session.scalars(select(Ticket.tenant_id).where(Ticket.status.in_(OPEN_TICKET)).distinct()))


def list_escalations(
    session: Session, *, limit: int, cursor: str | None, order: Order = "asc", ticket_id: int | None = None
) -> tuple[list[Escalation], str | None]:
    stmt = select(Escalation)
    if ticket_id is not None:
        stmt = stmt.where(Escalation.ticket_id == ticket_id)
    return list_page(session, stmt, Escalation, limit=limit, cursor=cursor, order=order)


# ---- service recovery --------------------------------------------------------------------------------


def add_recovery(session: Session, ticket_id: int, data: RecoveryCreate, *, user_id: int | None) -> RecoveryAction:
    t = get_ticket(session, ticket_id)
    _check_staff(session, data.owner_user_id, "owner_user_id")
    r = RecoveryAction(ticket_id=t.id, **data.model_dump())
    session.add(r)
    _event(
        session,
        t,
        TicketEventKind.recovery,
        max(utcnow(), _last_event_at(session, t)),
        user_id,
        f"{data.kind.value}: {data.description}",
        internal=True,
    )
    session.flush()
    return r


def get_recovery(session: Session, action_id: int) -> RecoveryAction:
    return get_or_404(session, RecoveryAction, action_id, "recovery action")


def update_recovery(session: Session, action_id: int, data: RecoveryUpdate) -> RecoveryAction:
    r = get_recovery(session, action_id)
    check_version(r, data.version)
    changes = data.model_dump(exclude_unset=True)
    if "owner_user_id" in changes:
        _check_staff(session, changes["owner_user_id"], "owner_user_id")
    if changes.get("status") is RecoveryStatus.done and r.done_at is None:
        r.done_at = utcnow()
    apply_changes(r, changes)
    session.flush()
    return r


def list_recovery(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    ticket_id: int | None = None,
    status: RecoveryStatus | None = None,
) -> tuple[list[RecoveryAction], str | None]:
    stmt = select(RecoveryAction)
    if ticket_id is not None:
        stmt = stmt.where(RecoveryAction.ticket_id == ticket_id)
    if status is not None:
        stmt = stmt.where(RecoveryAction.status == status)
    return list_page(session, stmt, RecoveryAction, limit=limit, cursor=cursor, order=order)


def require_customer(customer_id: int | None) -> int:
    if customer_id is None:
        raise Forbidden("the portal is for customer users")
    return customer_id


def ensure_found(obj: Any, label: str, key: Any) -> Any:
    if obj is None:
        raise NotFound(f"{label} {key} not found")
    return obj
