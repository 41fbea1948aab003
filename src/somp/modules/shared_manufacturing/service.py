"""Shared-manufacturing service, one participant's view (framework node 3.4): a factory publishes
and maintains its resources and sees the bookings on them and the orders it serves; a buyer posts
and follows its orders. Everything here runs in the caller's scoped session, so it reads and
writes only the caller's own rows. What crosses tenants (quotes from the published catalogue,
scheduling, progress reaching the buyer, settlement) is in :mod:`.marketplace`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, ValidationFailed
from somp.core.pagination import Order as SortOrder
from somp.core.sequences import next_number
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page
from somp.modules.shared_manufacturing.models import (
    Block,
    Booking,
    BookingStatus,
    Capability,
    Operation,
    Order,
    OrderStatus,
    Part,
    Payout,
    Resource,
    ScheduleChange,
    ScheduleRun,
)
from somp.modules.shared_manufacturing.schemas import (
    BlockCreate,
    CapabilityIn,
    CapabilityRead,
    OperationRead,
    OrderCreate,
    OrderRead,
    PartRead,
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    ServedOrder,
)

# ------------------------------------------------------------------------------ resources


def _capabilities(resource: Resource, items: list[CapabilityIn]) -> list[Capability]:
    return [
        Capability(
            tenant_id=resource.tenant_id,
            resource_id=resource.id,
            code=c.code,
            parameters=c.parameters,
            units_per_hour=c.units_per_hour,
            setup_minutes=c.setup_minutes,
        )
        for c in items
    ]


def create_resource(session: Session, data: ResourceCreate) -> Resource:
    ensure_unique(session, Resource, "code", data.code)
    r = Resource(**data.model_dump(exclude={"capabilities"}))
    session.add(r)
    session.flush()
    session.add_all(_capabilities(r, data.capabilities))
    session.flush()
    return r


def get_resource(session: Session, resource_id: int) -> Resource:
    return get_or_404(session, Resource, resource_id, "resource")


def update_resource(session: Session, resource_id: int, data: ResourceUpdate) -> Resource:
    r = get_resource(session, resource_id)
    check_version(r, data.version)
    changes = data.model_dump(exclude_unset=True, exclude={"capabilities"})
    apply_changes(r, changes)
    if data.capabilities is not None:
        session.execute(delete(Capability).where(Capability.resource_id == r.id))
        session.add_all(_capabilities(r, data.capabilities))
        r.updated_at = utcnow()  # a new version even when only the capabilities changed
    session.flush()
    return r


def list_resources(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: SortOrder = "asc",
    published: bool | None = None,
    capability: str | None = None,
) -> tuple[list[Resource], str | None]:
    stmt = select(Resource)
    if published is not None:
        stmt = stmt.where(Resource.published == published)
    if capability:
        stmt = stmt.where(Resource.id.in_(select(Capability.resource_id).where(Capability.code == capability)))
    return list_page(session, stmt, Resource, limit=limit, cursor=cursor, order=order)


def resource_reads(session: Session, resources: list[Resource]) -> list[ResourceRead]:
    ids = [r.id for r in resources]
    caps: dict[int, list[CapabilityRead]] = defaultdict(list)
    if ids:
        for c in session.scalars(select(Capability).where(Capability.resource_id.in_(ids)).order_by(Capability.code)):
            caps[c.resource_id].append(CapabilityRead.model_validate(c))
    return [ResourceRead.model_validate(r).model_copy(update={"capabilities": caps[r.id]}) for r in resources]


def add_block(session: Session, resource_id: int, data: BlockCreate) -> tuple[Block, int]:
    """A maintenance window, time booked elsewhere or a breakdown; with the number of planned
    bookings on the resource it overlaps (those need a re-plan)."""
    r = get_resource(session, resource_id)
    b = Block(
        tenant_id=r.tenant_id,
        resource_id=r.id,
        kind=data.kind,
        start_at=data.start_at,
        end_at=data.end_at,
        note=data.note,
    )
    session.add(b)
    session.flush()
    hit = session.scalars(
        select(Booking.id).where(
            Booking.resource_id == r.id,
            Booking.status != BookingStatus.finished,
            Booking.start_at < data.end_at,
            Booking.end_at > data.start_at,
        )
    ).all()
    return b, len(hit)


def list_blocks(session: Session, resource_id: int) -> list[Block]:
    get_resource(session, resource_id)
    return list(session.scalars(select(Block).where(Block.resource_id == resource_id).order_by(Block.start_at)))


# ------------------------------------------------------------------------------ orders


def post_order(session: Session, data: OrderCreate, tenant_id: int) -> Order:
    """Store the order whole (parts and operations) or refuse it."""
    number = data.number or next_number(session, tenant_id, "MO", data.release_at.year)
    ensure_unique(session, Order, "number", number)
    o = Order(
        tenant_id=tenant_id,
        number=number,
        title=data.title,
        release_at=data.release_at,
        due_at=data.due_at,
        weight=data.weight,
        quality_grade=data.quality_grade,
        certifications=data.certifications,
        urgent=data.urgent,
        notes=data.notes,
        status=OrderStatus.posted,
    )
    session.add(o)
    session.flush()
    for i, p in enumerate(data.parts, start=1):
        part = Part(tenant_id=tenant_id, order_id=o.id, position=i, name=p.name, quantity=p.quantity)
        session.add(part)
        session.flush()
        for k, op in enumerate(p.operations, start=1):
            session.add(
                Operation(
                    tenant_id=tenant_id,
                    order_id=o.id,
                    part_id=part.id,
                    position=k,
                    capability=op.capability,
                    parameters=op.parameters,
                    minutes=op.minutes,
                    setup_family=op.setup_family,
                    minutes_by_resource=(
                        None
                        if op.minutes_by_resource is None
                        else {str(k): v for k, v in op.minutes_by_resource.items()}
                    ),
                )
            )
    session.flush()
    return o


def get_order(session: Session, order_id: int) -> Order:
    return get_or_404(session, Order, order_id, "order")


def list_orders(
    session: Session, *, limit: int, cursor: str | None, order: SortOrder = "asc", status: OrderStatus | None = None
) -> tuple[list[Order], str | None]:
    stmt = select(Order)
    if status:
        stmt = stmt.where(Order.status == status)
    return list_page(session, stmt, Order, limit=limit, cursor=cursor, order=order)


def parts_of(session: Session, order_ids: list[int]) -> dict[int, list[tuple[Part, list[Operation]]]]:
    out: dict[int, list[tuple[Part, list[Operation]]]] = defaultdict(list)
    if not order_ids:
        return out
    ops: dict[int, list[Operation]] = defaultdict(list)
    for op in session.scalars(
        select(Operation).where(Operation.order_id.in_(order_ids)).order_by(Operation.part_id, Operation.position)
    ):
        ops[op.part_id].append(op)
    for p in session.scalars(select(Part).where(Part.order_id.in_(order_ids)).order_by(Part.order_id, Part.position)):
        out[p.order_id].append((p, ops[p.id]))
    return out


def order_reads(session: Session, orders: list[Order]) -> list[OrderRead]:
    parts = parts_of(session, [o.id for o in orders])
    out = []
    for o in orders:
        prs = [
            PartRead.model_validate(p).model_copy(update={"operations": [OperationRead.model_validate(x) for x in ops]})
            for p, ops in parts[o.id]
        ]
        out.append(OrderRead.model_validate(o).model_copy(update={"parts": prs}))
    return out


def accept_order(session: Session, order_id: int) -> Order:
    o = get_order(session, order_id)
    if o.status != OrderStatus.quoted:
        raise ValidationFailed(
            "order not quoted",
            [FieldError("status", f"only a quoted order can be accepted; this one is {o.status.value}", "not_quoted")],
        )
    o.status = OrderStatus.accepted
    o.accepted_at = utcnow()
    session.flush()
    return o


# ------------------------------------------------------------------------------ factory views


def list_bookings(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: SortOrder = "asc",
    resource_id: int | None = None,
    order_id: int | None = None,
    status: BookingStatus | None = None,
) -> tuple[list[Booking], str | None]:
    stmt = select(Booking)
    if resource_id:
        stmt = stmt.where(Booking.resource_id == resource_id)
    if order_id:
        stmt = stmt.where(Booking.order_id == order_id)
    if status:
        stmt = stmt.where(Booking.status == status)
    return list_page(session, stmt, Booking, limit=limit, cursor=cursor, order=order)


def bookings_between(session: Session, start: dt.datetime, end: dt.datetime) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking).where(Booking.end_at > start, Booking.start_at < end).order_by(Booking.start_at)
        )
    )


def get_booking(session: Session, booking_id: int) -> Booking:
    return get_or_404(session, Booking, booking_id, "booking")


def served_orders(session: Session) -> list[ServedOrder]:
    """The orders this factory serves (from its own bookings), soonest due first."""
    groups: dict[int, list[Booking]] = defaultdict(list)
    for b in session.scalars(select(Booking).order_by(Booking.start_at)):
        groups[b.order_id].append(b)
    out = [
        ServedOrder(
            order_id=oid,
            order_number=bs[0].order_number,
            buyer_label=bs[0].buyer_label,
            due_at=bs[0].order_due_at,
            operations=len(bs),
            finished=sum(b.status == BookingStatus.finished for b in bs),
            first_start=min(b.start_at for b in bs),
            last_end=max(b.end_at for b in bs),
            amount=sum((b.cost for b in bs), Decimal("0.00")),
        )
        for oid, bs in groups.items()
    ]
    return sorted(out, key=lambda s: (s.due_at, s.order_id))


def list_payouts(
    session: Session, *, limit: int, cursor: str | None, order: SortOrder = "asc"
) -> tuple[list[Payout], str | None]:
    return list_page(session, select(Payout), Payout, limit=limit, cursor=cursor, order=order)


# ------------------------------------------------------------------------------ runs and diffs


def list_runs(
    session: Session, *, limit: int, cursor: str | None, order: SortOrder = "desc"
) -> tuple[list[ScheduleRun], str | None]:
    return list_page(session, select(ScheduleRun), ScheduleRun, limit=limit, cursor=cursor, order=order)


def list_changes(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: SortOrder = "desc",
    run_id: int | None = None,
    order_number: str | None = None,
) -> tuple[list[ScheduleChange], str | None]:
    """The caller's own lines of the reschedule diffs."""
    stmt = select(ScheduleChange)
    if run_id:
        stmt = stmt.where(ScheduleChange.run_id == run_id)
    if order_number:
        stmt = stmt.where(ScheduleChange.order_number == order_number)
    return list_page(session, stmt, ScheduleChange, limit=limit, cursor=cursor, order=order)
