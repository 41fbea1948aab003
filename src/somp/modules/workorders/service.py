"""Work orders service: open with SLA deadlines from the covering contract, move through the
status machine, record costs (framework nodes 3.6 maintenance, 2.3.1 fast service response)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, IllegalTransition, ValidationFailed, illegal_transition
from somp.core.events import record
from somp.core.identity import Role, User
from somp.core.pagination import Order
from somp.core.sequences import next_number
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.modules.assets.lifecycle import END_OF_LIFE
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Offering, Priority
from somp.modules.contracts.models import Contract, ContractAsset
from somp.modules.contracts.service import covering_contract
from somp.modules.workorders.events import WorkOrderOpened, WorkOrderStatusChanged
from somp.modules.workorders.models import (
    WORK_ORDER_TRANSITIONS,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from somp.modules.workorders.schemas import (
    WorkOrderCreate,
    WorkOrderRead,
    WorkOrderTransition,
    WorkOrderUpdate,
)

OPEN_STATUSES = (WorkOrderStatus.open, WorkOrderStatus.assigned, WorkOrderStatus.in_progress, WorkOrderStatus.on_hold)


def sla_deadlines(
    offering: Offering | None, priority: Priority, opened_at: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Response and resolution deadlines (clock hours) from the offering's SLA for ``priority``."""
    if offering is None:
        return None, None
    terms = (offering.sla or {}).get("per_priority", {}).get(priority.value)
    if not terms:
        return None, None
    return (
        opened_at + dt.timedelta(hours=float(terms["response_hours"])),
        opened_at + dt.timedelta(hours=float(terms["resolution_hours"])),
    )


def breaches(wo: WorkOrder, now: dt.datetime) -> tuple[bool | None, bool | None]:
    def late(done: dt.datetime | None, due: dt.datetime | None) -> bool | None:
        if due is None:
            return None
        return (done or now) > due

    if wo.status == WorkOrderStatus.cancelled:
        return None, None
    return late(wo.responded_at, wo.response_due_at), late(wo.resolved_at, wo.resolution_due_at)


def to_read(wos: list[WorkOrder]) -> list[WorkOrderRead]:
    now = utcnow()
    out = []
    for wo in wos:
        r, s = breaches(wo, now)
        out.append(
            WorkOrderRead.model_validate(wo).model_copy(update={"response_breached": r, "resolution_breached": s})
        )
    return out


def _check_assignee(session: Session, user_id: int | None) -> None:
    if user_id is None:
        return
    user = require_ref(session, User, user_id, "assignee_user_id", "user")
    if Role.customer_user.value in user.roles or not user.active:
        raise ValidationFailed(
            "invalid assignee", [FieldError("assignee_user_id", "assign work to an active staff member", "not_staff")]
        )


def open_work_order(session: Session, data: WorkOrderCreate) -> WorkOrder:
    asset = require_ref(session, Asset, data.asset_id, "asset_id", "asset")
    if asset.state in END_OF_LIFE:
        raise ValidationFailed(
            "asset out of service", [FieldError("asset_id", f"asset is {asset.state.value}", "end_of_life")]
        )
    opened_at = data.opened_at or utcnow()
    if data.contract_id:
        contract = require_ref(session, Contract, data.contract_id, "contract_id", "contract")
        covered = session.scalar(
            select(ContractAsset.id).where(ContractAsset.contract_id == contract.id, ContractAsset.asset_id == asset.id)
        )
        if not covered:
            raise ValidationFailed(
                "invalid reference",
                [FieldError("contract_id", "the contract does not cover this asset", "not_covered")],
            )
    else:
        contract = covering_contract(session, asset.id, opened_at.date())
    _check_assignee(session, data.assignee_user_id)
    offering = session.get(Offering, contract.offering_id) if contract else None
    response_due, resolution_due = sla_deadlines(offering, data.priority, opened_at)
    number = data.number or next_number(session, asset.tenant_id, "WO", opened_at.year)
    ensure_unique(session, WorkOrder, "number", number)
    wo = WorkOrder(
        tenant_id=asset.tenant_id,
        number=number,
        kind=data.kind,
        priority=data.priority,
        source=data.source,
        asset_id=asset.id,
        customer_id=asset.customer_id,
        contract_id=contract.id if contract else None,
        title=data.title,
        description=data.description,
        assignee_user_id=data.assignee_user_id,
        status=WorkOrderStatus.assigned if data.assignee_user_id else WorkOrderStatus.open,
        opened_at=opened_at,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
    )
    session.add(wo)
    session.flush()
    record(
        session,
        WorkOrderOpened(
            tenant_id=wo.tenant_id, work_order_id=wo.id, asset_id=wo.asset_id, kind=wo.kind, source=wo.source.value
        ),
    )
    return wo


def get_work_order(session: Session, work_order_id: int) -> WorkOrder:
    return get_or_404(session, WorkOrder, work_order_id, "work order")


def update_work_order(session: Session, work_order_id: int, data: WorkOrderUpdate) -> WorkOrder:
    wo = get_work_order(session, work_order_id)
    check_version(wo, data.version)
    if wo.status in (WorkOrderStatus.closed, WorkOrderStatus.cancelled):
        raise ValidationFailed(
            "work order closed", [FieldError("status", f"a {wo.status.value} work order is final", "closed")]
        )
    changes = data.model_dump(exclude_unset=True)
    if "assignee_user_id" in changes:
        _check_assignee(session, changes["assignee_user_id"])
    apply_changes(wo, changes)
    session.flush()
    return wo


def transition_work_order(session: Session, work_order_id: int, req: WorkOrderTransition) -> WorkOrder:
    wo = get_work_order(session, work_order_id)
    check_version(wo, req.version)
    allowed = WORK_ORDER_TRANSITIONS[wo.status]
    if req.to_status not in allowed:
        raise illegal_transition("work_order_status", wo.status, req.to_status, allowed)
    if req.to_status == WorkOrderStatus.assigned and wo.assignee_user_id is None:
        raise IllegalTransition(
            "set an assignee before assigning", [FieldError("assignee_user_id", "no assignee", "required")]
        )
    at = req.at or utcnow()
    if at < wo.opened_at:
        raise ValidationFailed("invalid time", [FieldError("at", "before the work order was opened", "order")])
    if req.to_status == WorkOrderStatus.in_progress and wo.responded_at is None:
        wo.responded_at = at
    if req.to_status == WorkOrderStatus.resolved:
        wo.resolved_at = at
    if req.to_status == WorkOrderStatus.in_progress and wo.status == WorkOrderStatus.resolved:
        wo.resolved_at = None  # reopened
    if req.to_status == WorkOrderStatus.closed:
        wo.closed_at = at
    if req.note:
        wo.resolution_notes = (wo.resolution_notes + "\n" if wo.resolution_notes else "") + req.note
    previous = wo.status
    wo.status = req.to_status
    record(
        session,
        WorkOrderStatusChanged(
            tenant_id=wo.tenant_id,
            work_order_id=wo.id,
            asset_id=wo.asset_id,
            kind=wo.kind,
            from_status=previous,
            to_status=req.to_status,
        ),
    )
    session.flush()
    return wo


def list_work_orders(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    status: WorkOrderStatus | None = None,
    kind: WorkOrderKind | None = None,
    asset_id: int | None = None,
    customer_id: int | None = None,
    contract_id: int | None = None,
    assignee_user_id: int | None = None,
    open_only: bool = False,
    overdue: bool = False,
    q: str | None = None,
) -> tuple[list[WorkOrder], str | None]:
    stmt = select(WorkOrder)
    if status:
        stmt = stmt.where(WorkOrder.status == status)
    if kind:
        stmt = stmt.where(WorkOrder.kind == kind)
    if asset_id:
        stmt = stmt.where(WorkOrder.asset_id == asset_id)
    if customer_id:
        stmt = stmt.where(WorkOrder.customer_id == customer_id)
    if contract_id:
        stmt = stmt.where(WorkOrder.contract_id == contract_id)
    if assignee_user_id:
        stmt = stmt.where(WorkOrder.assignee_user_id == assignee_user_id)
    if open_only or overdue:
        stmt = stmt.where(WorkOrder.status.in_(OPEN_STATUSES))
    if overdue:
        stmt = stmt.where(WorkOrder.resolution_due_at < utcnow())
    if q:
        stmt = stmt.where(
            WorkOrder.number.icontains(q, autoescape=True) | WorkOrder.title.icontains(q, autoescape=True)
        )
    return list_page(session, stmt, WorkOrder, limit=limit, cursor=cursor, order=order)


def count_open(session: Session, now: dt.datetime | None = None) -> tuple[int, int]:
    """(open, overdue): open = open, assigned, in progress or on hold; overdue = open and past the
    resolution deadline."""
    now = now or utcnow()
    base = select(func.count()).select_from(WorkOrder).where(WorkOrder.status.in_(OPEN_STATUSES))
    open_ = session.scalar(base)
    overdue = session.scalar(base.where(WorkOrder.resolution_due_at < now))
    return int(open_ or 0), int(overdue or 0)
