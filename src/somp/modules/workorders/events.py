"""Domain events of the work-orders module."""

from __future__ import annotations

from somp.core.events import DomainEvent
from somp.modules.workorders.models import WorkOrderKind, WorkOrderStatus


class WorkOrderOpened(DomainEvent):
    work_order_id: int
    asset_id: int
    kind: WorkOrderKind
    source: str


class WorkOrderStatusChanged(DomainEvent):
    work_order_id: int
    asset_id: int
    kind: WorkOrderKind
    from_status: WorkOrderStatus
    to_status: WorkOrderStatus
