"""Work orders: installation, preventive, corrective, predictive and inspection jobs on assets.

Framework nodes 3.6 (maintenance in the full lifecycle) and 2.3.1 (fast service response). SLA
deadlines come from the covering contract's offering (response and resolution hours per
priority). Costs recorded on a work order are the service cost behind the service profit margin.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import Base, Quantity, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum
from somp.modules.catalog.models import Priority


class WorkOrderKind(enum.StrEnum):
    installation = "installation"
    preventive = "preventive"
    corrective = "corrective"
    predictive = "predictive"
    inspection = "inspection"


class WorkOrderStatus(enum.StrEnum):
    open = "open"
    assigned = "assigned"
    in_progress = "in_progress"
    on_hold = "on_hold"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"


W = WorkOrderStatus
WORK_ORDER_TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    W.open: frozenset({W.assigned, W.in_progress, W.cancelled}),
    W.assigned: frozenset({W.open, W.in_progress, W.cancelled}),
    W.in_progress: frozenset({W.on_hold, W.resolved}),
    W.on_hold: frozenset({W.in_progress, W.cancelled}),
    W.resolved: frozenset({W.closed, W.in_progress}),
    W.closed: frozenset(),
    W.cancelled: frozenset(),
}


class WorkOrderSource(enum.StrEnum):
    manual = "manual"
    schedule = "schedule"
    alarm = "alarm"
    prediction = "prediction"
    ticket = "ticket"
    import_ = "import"


class WorkOrder(TenantOwned, Timestamped, Base):
    __tablename__ = "work_orders"
    __customer_column__ = "customer_id"  # a customer user sees the rows where this equals their customer
    __table_args__ = (
        tenant_key("work_orders"),
        UniqueConstraint("tenant_id", "number"),
        tenant_fk("asset_id", "assets"),
        tenant_fk("contract_id", "contracts"),
        tenant_fk("customer_id", "customers"),
        Index("ix_work_orders_tenant_status", "tenant_id", "status"),
        Index("ix_work_orders_tenant_asset", "tenant_id", "asset_id"),
        Index("ix_work_orders_tenant_opened", "tenant_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[WorkOrderKind] = mapped_column(str_enum(WorkOrderKind, "work_order_kind"))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "priority"), default=Priority.medium)
    status: Mapped[WorkOrderStatus] = mapped_column(
        str_enum(WorkOrderStatus, "work_order_status"), default=WorkOrderStatus.open
    )
    source: Mapped[WorkOrderSource] = mapped_column(
        str_enum(WorkOrderSource, "work_order_source"), default=WorkOrderSource.manual
    )
    asset_id: Mapped[int]
    customer_id: Mapped[int | None]
    contract_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    assignee_user_id: Mapped[int | None]
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    response_due_at: Mapped[dt.datetime | None]
    resolution_due_at: Mapped[dt.datetime | None]
    labour_hours: Mapped[Decimal | None] = mapped_column(Quantity)
    labour_cost: Mapped[Decimal | None]
    parts_cost: Mapped[Decimal | None]
    travel_cost: Mapped[Decimal | None]
    resolution_notes: Mapped[str | None] = mapped_column(Text)
