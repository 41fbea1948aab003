"""Reactions of the pss module to domain events (framework node 2.1.1 requirements engineering).

* :class:`somp.core.requirement_capture.RequirementStated` (after-sales: a ticket or a survey
  answer states a requirement) -> a requirement on the offering, status ``captured``, with the
  source kind and reference of the event, the customer, and the next ``REQ-<year>-<n>`` code.
  The event bus delivers each event once per handler; a second event for the same source,
  offering and title (a form sent twice) adds nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.events import EventBus
from somp.core.requirement_capture import RequirementStated
from somp.modules.pss import requirements as svc
from somp.modules.pss.requirements_models import Requirement
from somp.modules.pss.requirements_schemas import RequirementCreate


def on_requirement_stated(session: Session, event: RequirementStated) -> Requirement:
    same = session.scalar(
        select(Requirement).where(
            Requirement.source_kind == event.source_kind,
            Requirement.source_ref == event.source_ref,
            Requirement.offering_id == event.offering_id,
            Requirement.title == event.title,
        )
    )
    if same is not None:
        return same
    data = RequirementCreate(
        code=svc.next_code(session, event.tenant_id),
        title=event.title[:200],
        title_en=event.title_en,
        description=event.description,
        offering_id=event.offering_id,
        customer_id=event.customer_id,
        source_kind=event.source_kind,
        source_ref=event.source_ref,
        priority=event.priority,
        weight=event.weight,
    )
    return svc.create_requirement(session, data, event.by_user_id)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(RequirementStated, on_requirement_stated)
