"""Tables of the shared-manufacturing marketplace (framework node 3.4, 共享制造).

Visibility is carried by the data, not by where clauses. Every row a participant reads is a row of
its own tenant, filtered by the session scope (:mod:`somp.core.tenancy`):

* a factory owns its resources (:class:`Resource`), their capabilities, calendar blocks, the
  bookings on them (:class:`Booking`, which hold a copy of what the factory may know of the order
  it serves: number, buyer, part, operation, times) and its payouts (:class:`Payout`);
* a buyer owns its orders, parts and operations (:class:`Order`, :class:`Part`,
  :class:`Operation`); the plan of an operation is kept on the buyer's row with a copy of the
  resource's public name and factory (so a buyer never reads a factory's rows);
* a reschedule's diff (:class:`ScheduleChange`) is stored once per participant that may see the
  change, in that participant's tenant (a factory sees the other side of a move as "another
  factory").

The cross-tenant links are explicit plain foreign keys (``Booking.operation_id`` and
``Booking.order_id`` to the buyer's rows, ``Operation.resource_id`` to the factory's resource);
only the marketplace broker (:mod:`.marketplace`, platform scope) writes across them. Schedule
runs (:class:`ScheduleRun`) belong to the platform and hold aggregates only.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import Base, Quantity, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum


class Grade(enum.StrEnum):
    """Quality grade: a resource of grade A serves orders asking A, B or C; B serves B and C."""

    A = "A"
    B = "B"
    C = "C"


GRADE_RANK = {Grade.A: 3, Grade.B: 2, Grade.C: 1}


class ResourceKind(enum.StrEnum):
    machine = "machine"
    work_centre = "work_centre"


class BlockKind(enum.StrEnum):
    maintenance = "maintenance"
    booked = "booked"  # time booked outside the marketplace
    breakdown = "breakdown"


class OrderStatus(enum.StrEnum):
    posted = "posted"
    quoted = "quoted"
    accepted = "accepted"
    scheduled = "scheduled"
    in_progress = "in_progress"
    completed = "completed"
    settled = "settled"
    cancelled = "cancelled"


OPEN_ORDER_STATUSES = (OrderStatus.accepted, OrderStatus.scheduled, OrderStatus.in_progress)


class OperationStatus(enum.StrEnum):
    pending = "pending"
    planned = "planned"
    started = "started"
    finished = "finished"


class BookingStatus(enum.StrEnum):
    planned = "planned"
    started = "started"
    finished = "finished"


class RunTrigger(enum.StrEnum):
    manual = "manual"
    accept = "accept"
    urgent = "urgent"
    breakdown = "breakdown"


class ChangeKind(enum.StrEnum):
    new = "new"  # planned for the first time
    moved = "moved"  # same resource, other time
    reassigned = "reassigned"  # other resource
    unplanned = "unplanned"  # no longer planned (no feasible place in this run)


class Resource(TenantOwned, Timestamped, Base):
    """A machine or work centre a factory publishes on the marketplace."""

    __tablename__ = "mfg_resources"
    __table_args__ = (
        tenant_key("mfg_resources"),
        UniqueConstraint("tenant_id", "code"),
        Index("ix_mfg_resources_published", "published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind, "mfg_resource_kind"))
    hourly_rate: Mapped[Decimal]
    quality_grade: Mapped[Grade] = mapped_column(str_enum(Grade, "mfg_grade"))
    certifications: Mapped[list[Any]] = mapped_column(JSON, default=list)
    site_name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    region_code: Mapped[str] = mapped_column(String(6))
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # shifts and breaks, local time
    published: Mapped[bool] = mapped_column(default=False)
    # sequence-dependent setups (changeovers) between the setup families of consecutive operations:
    # ``changeover[from family][to family]`` minutes, else ``changeover_minutes`` between two
    # different families; none within a family
    changeover_minutes: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    changeover: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Capability(TenantOwned, Base):
    """A process capability of a resource: a code and its parameters (limits such as
    ``max_thickness_mm``, allowed values such as ``materials``), with the rate used to derive
    processing time from a quantity."""

    __tablename__ = "mfg_capabilities"
    __table_args__ = (
        tenant_fk("resource_id", "mfg_resources", ondelete="CASCADE"),
        UniqueConstraint("resource_id", "code"),
        Index("ix_mfg_capabilities_code", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int]
    code: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    units_per_hour: Mapped[Decimal | None] = mapped_column(Quantity)
    setup_minutes: Mapped[int] = mapped_column(default=0)


class Block(TenantOwned, Base):
    """Time a resource is not available to the marketplace: maintenance, time booked elsewhere, a breakdown."""

    __tablename__ = "mfg_blocks"
    __table_args__ = (
        tenant_fk("resource_id", "mfg_resources", ondelete="CASCADE"),
        Index("ix_mfg_blocks_resource_start", "resource_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int]
    kind: Mapped[BlockKind] = mapped_column(str_enum(BlockKind, "mfg_block_kind"))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    note: Mapped[str | None] = mapped_column(String(300))


class Order(TenantOwned, Timestamped, Base):
    """A buyer's order: parts made by chains of operations, with its quote and settlement."""

    __tablename__ = "mfg_orders"
    __table_args__ = (
        tenant_key("mfg_orders"),
        UniqueConstraint("tenant_id", "number"),
        Index("ix_mfg_orders_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "mfg_order_status"), default=OrderStatus.posted)
    release_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    quality_grade: Mapped[Grade] = mapped_column(str_enum(Grade, "mfg_grade"))
    certifications: Mapped[list[Any]] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(default=False)
    quote_low: Mapped[Decimal | None]
    quote_cost: Mapped[Decimal | None]  # the binding ceiling of machine cost
    quote_fee: Mapped[Decimal | None]
    quote_total: Mapped[Decimal | None]
    quoted_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    settled_at: Mapped[dt.datetime | None]
    settled_cost: Mapped[Decimal | None]
    settled_fee: Mapped[Decimal | None]
    settled_total: Mapped[Decimal | None]
    notes: Mapped[str | None] = mapped_column(Text)


class Part(TenantOwned, Base):
    __tablename__ = "mfg_parts"
    __table_args__ = (
        tenant_key("mfg_parts"),
        tenant_fk("order_id", "mfg_orders", ondelete="CASCADE"),
        UniqueConstraint("order_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int]
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity)


class Operation(TenantOwned, Base):
    """One step of a part, needing a capability; its plan (resource, times) and progress."""

    __tablename__ = "mfg_operations"
    __table_args__ = (
        tenant_key("mfg_operations"),
        tenant_fk("order_id", "mfg_orders", ondelete="CASCADE"),
        tenant_fk("part_id", "mfg_parts", ondelete="CASCADE"),
        UniqueConstraint("part_id", "position"),
        Index("ix_mfg_operations_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int]
    part_id: Mapped[int]
    position: Mapped[int]
    capability: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    minutes: Mapped[int | None]  # fixed processing time; None: from the part's quantity and the rate
    # the buyer's time per catalogue resource ({"resource id": minutes}): only those are eligible
    minutes_by_resource: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    setup_family: Mapped[str | None] = mapped_column(String(64))  # material or tooling family (changeovers)
    status: Mapped[OperationStatus] = mapped_column(
        str_enum(OperationStatus, "mfg_operation_status"), default=OperationStatus.pending
    )
    quote_low: Mapped[Decimal | None]
    quote_high: Mapped[Decimal | None]
    # the plan (written by the marketplace broker): a link to the factory's resource and the
    # public names the buyer may see
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("mfg_resources.id", ondelete="SET NULL"))
    resource_label: Mapped[str | None] = mapped_column(String(200))
    factory_label: Mapped[str | None] = mapped_column(String(200))
    planned_start: Mapped[dt.datetime | None]
    planned_end: Mapped[dt.datetime | None]
    setup_minutes: Mapped[int | None]  # the planned changeover just before it on its resource
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    cost: Mapped[Decimal | None]  # machine time of the operation and of its changeover


class Booking(TenantOwned, Base):
    """An operation of another tenant's order booked on this factory's resource."""

    __tablename__ = "mfg_bookings"
    __table_args__ = (
        tenant_key("mfg_bookings"),
        tenant_fk("resource_id", "mfg_resources"),
        UniqueConstraint("operation_id"),
        Index("ix_mfg_bookings_resource_start", "resource_id", "start_at"),
        Index("ix_mfg_bookings_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int]
    operation_id: Mapped[int] = mapped_column(ForeignKey("mfg_operations.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("mfg_orders.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("mfg_schedule_runs.id", ondelete="SET NULL"))
    buyer_label: Mapped[str] = mapped_column(String(200))
    order_number: Mapped[str] = mapped_column(String(64))
    order_due_at: Mapped[dt.datetime]
    part_name: Mapped[str] = mapped_column(String(200))
    operation_label: Mapped[str] = mapped_column(String(200))
    capability: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    setup_minutes: Mapped[int] = mapped_column(default=0, server_default=text("0"))  # changeover before start_at
    status: Mapped[BookingStatus] = mapped_column(
        str_enum(BookingStatus, "mfg_booking_status"), default=BookingStatus.planned
    )
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    cost: Mapped[Decimal]


class Payout(TenantOwned, Base):
    """What a factory is paid for the operations it did on a settled order."""

    __tablename__ = "mfg_payouts"
    __table_args__ = (UniqueConstraint("tenant_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mfg_orders.id", ondelete="CASCADE"))
    order_number: Mapped[str] = mapped_column(String(64))
    buyer_label: Mapped[str] = mapped_column(String(200))
    operations: Mapped[int]
    amount: Mapped[Decimal]
    settled_at: Mapped[dt.datetime]


class ScheduleRun(Base):
    """One run of the engine over the marketplace (platform row: aggregates only).

    The counts depend on the kind of run (``full``):

    * ``operations``: the operations handed to the solver. A full run hands it those it re-plans
      (not started or done, and not planned inside the frozen horizon); a reschedule
      (``full`` False, least disruption) hands it every operation not started or done, and the
      solver itself keeps most of them where they were.
    * ``frozen``: the operations kept outside the solver, as busy time: started or done ones, and
      in a full run also the planned ones inside the frozen horizon (unless a breakdown hits them).
    * ``changed``: the operations whose resource or time changed (a reschedule's disruption);
      ``unplanned``: the ones no published resource can take.
    """

    __tablename__ = "mfg_schedule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    trigger: Mapped[RunTrigger] = mapped_column(str_enum(RunTrigger, "mfg_run_trigger"))
    origin_at: Mapped[dt.datetime]
    minutes_per_unit: Mapped[int]
    time_limit: Mapped[float] = mapped_column(Float)
    objective_name: Mapped[str] = mapped_column(String(32))
    full: Mapped[bool] = mapped_column(default=True)  # False: the engine's reschedule (least disruption)
    status: Mapped[str] = mapped_column(String(32))
    objective: Mapped[float | None] = mapped_column(Float)
    lower_bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    orders: Mapped[int]
    operations: Mapped[int]
    resources: Mapped[int]
    frozen: Mapped[int]
    changed: Mapped[int]
    unplanned: Mapped[int]
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ScheduleChange(TenantOwned, Base):
    """One line of a reschedule's diff, as the owning tenant may see it."""

    __tablename__ = "mfg_schedule_changes"
    __table_args__ = (Index("ix_mfg_schedule_changes_run", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("mfg_schedule_runs.id", ondelete="CASCADE"))
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("mfg_operations.id", ondelete="SET NULL"))
    order_number: Mapped[str] = mapped_column(String(64))
    operation_label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ChangeKind] = mapped_column(str_enum(ChangeKind, "mfg_change_kind"))
    old_resource: Mapped[str | None] = mapped_column(String(200))
    old_start: Mapped[dt.datetime | None]
    old_end: Mapped[dt.datetime | None]
    new_resource: Mapped[str | None] = mapped_column(String(200))
    new_start: Mapped[dt.datetime | None]
    new_end: Mapped[dt.datetime | None]
