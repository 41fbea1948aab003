"""Reactions of after-sales to domain events, and its periodic escalation check (2.1.6).

* :class:`TicketWorkOrderRequested` -> a corrective (or requested kind) work order on the
  ticket's asset, through the work-orders kernel service; the ticket keeps its id.
* :class:`WorkOrderStatusChanged` of a ticket's work order -> an entry in the ticket's history.
* :class:`CustomerParticipated` (any module: a delivery accepted, a blueprint co-designed...) -> a
  participation event of the customer (1.2.1).
* every minute (the server's periodic jobs): :func:`tick` runs the escalation check per tenant.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.database import Database
from somp.core.events import EventBus
from somp.core.participation import CustomerParticipated
from somp.core.tenancy import Scope
from somp.modules.aftersales import service
from somp.modules.aftersales.events import TicketWorkOrderRequested
from somp.modules.aftersales.models import Ticket, TicketEventKind
from somp.modules.workorders.events import WorkOrderStatusChanged
from somp.modules.workorders.models import WorkOrderKind, WorkOrderSource
from somp.modules.workorders.schemas import WorkOrderCreate
from somp.modules.workorders.service import open_work_order

log = logging.getLogger(__name__)


def on_work_order_requested(session: Session, event: TicketWorkOrderRequested) -> None:
    t = session.get(Ticket, event.ticket_id)
    if t is None or t.work_order_id is not None or t.asset_id is None:
        return
    description = "\n".join(x for x in (f"{t.number}: {t.title}", t.description or "") if x)
    wo = open_work_order(
        session,
        WorkOrderCreate(
            kind=WorkOrderKind(event.kind),
            priority=t.priority,
            asset_id=t.asset_id,
            contract_id=t.contract_id,
            title=f"{t.number} {t.title}"[:200],
            description=description[:20000],
            source=WorkOrderSource.ticket,
            assignee_user_id=t.assignee_user_id,
        ),
    )
    t.work_order_id = wo.id
    at = max(event.occurred_at, service._last_event_at(session, t))
    service._event(session, t, TicketEventKind.work_order_opened, at, event.requested_by, wo.number)
    session.flush()


def on_work_order_status_changed(session: Session, event: WorkOrderStatusChanged) -> None:
    for t in session.scalars(select(Ticket).where(Ticket.work_order_id == event.work_order_id)):
        at = max(event.occurred_at, service._last_event_at(session, t))
        note = f"{event.from_status.value} -> {event.to_status.value}"
        service._event(session, t, TicketEventKind.work_order_status, at, None, note)
    session.flush()


def on_customer_participated(session: Session, event: CustomerParticipated) -> None:
    from somp.modules.aftersales.engagement import add_participation
    from somp.modules.aftersales.schemas import ParticipationCreate

    add_participation(
        session,
        ParticipationCreate(
            customer_id=event.customer_id, stage=event.stage, occurred_at=event.at, contract_id=event.contract_id,
            asset_id=event.asset_id, channel=event.channel, summary=event.summary, detail=event.detail,
        ),
    )  # fmt: skip


def tick(db: Database, now: dt.datetime) -> None:
    """The escalation check of every tenant with open tickets, one transaction per tenant."""
    with db.session(Scope.all_tenants()) as s:
        tenants = service.tenants_with_open_tickets(s)
    for tenant_id in tenants:
        try:
            with db.session(Scope.tenant(tenant_id)) as s:
                service.escalate(s, now)
                s.commit()
        except Exception:  # one tenant's failure must not stop the others
            log.exception("escalation check failed for tenant %s", tenant_id)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(TicketWorkOrderRequested, on_work_order_requested)
    bus.subscribe(WorkOrderStatusChanged, on_work_order_status_changed)
    bus.subscribe(CustomerParticipated, on_customer_participated)
