"""API contract of work orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field

from somp.core.schemas import MAX_ID, Code, InputModel, LongText, Name, NonNegativeAmount, NonNegativeQuantity, Stamped
from somp.modules.catalog.models import Priority
from somp.modules.workorders.models import WorkOrderKind, WorkOrderSource, WorkOrderStatus


class WorkOrderCreate(InputModel):
    number: Code | None = Field(None, description="generated (WO-<year>-<n>) when omitted")
    kind: WorkOrderKind
    priority: Priority = Priority.medium
    asset_id: int = Field(ge=1, le=MAX_ID)
    contract_id: int | None = Field(
        None, ge=1, description="the contract whose SLA applies; default: the live contract covering the asset"
    )
    title: Name
    description: LongText | None = None
    assignee_user_id: int | None = Field(None, ge=1, le=MAX_ID)
    source: WorkOrderSource = WorkOrderSource.manual
    opened_at: dt.datetime | None = Field(None, description="default now; set when importing history")


class WorkOrderUpdate(InputModel):
    priority: Priority | None = None
    title: Name | None = None
    description: LongText | None = None
    assignee_user_id: int | None = Field(None, ge=1, le=MAX_ID)
    labour_hours: NonNegativeQuantity | None = None
    labour_cost: NonNegativeAmount | None = None
    parts_cost: NonNegativeAmount | None = None
    travel_cost: NonNegativeAmount | None = None
    resolution_notes: LongText | None = None
    version: int | None = None


class WorkOrderTransition(InputModel):
    to_status: WorkOrderStatus
    at: dt.datetime | None = Field(None, description="when it happened; default now")
    note: str | None = Field(None, max_length=2000)
    version: int | None = None


class WorkOrderRead(Stamped):
    number: str
    kind: WorkOrderKind
    priority: Priority
    status: WorkOrderStatus
    source: WorkOrderSource
    asset_id: int
    customer_id: int | None
    contract_id: int | None
    title: str
    description: str | None
    assignee_user_id: int | None
    opened_at: dt.datetime
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    labour_hours: Decimal | None
    labour_cost: Decimal | None
    parts_cost: Decimal | None
    travel_cost: Decimal | None
    resolution_notes: str | None
    response_breached: bool | None = Field(None, description="responded after the deadline (or overdue now)")
    resolution_breached: bool | None = None
