"""API contract of the shared-manufacturing marketplace (framework node 3.4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from somp.core.schemas import (
    Code,
    InputModel,
    LongText,
    Name,
    NonNegativeAmount,
    PositiveQuantity,
    ReadModel,
    ShortText,
    Stamped,
)
from somp.modules.shared_manufacturing.matching import check_calendar
from somp.modules.shared_manufacturing.models import (
    BlockKind,
    BookingStatus,
    ChangeKind,
    Grade,
    OperationStatus,
    OrderStatus,
    ResourceKind,
    RunTrigger,
)

Cert = Annotated[str, Field(min_length=1, max_length=64)]
Params = dict[str, Any]


def _small_json(v: Params) -> Params:
    if len(v) > 30:
        raise ValueError("at most 30 parameters")
    for k, x in v.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 64:
            raise ValueError("parameter names are 1 to 64 characters")
        items = x if isinstance(x, list) else [x]
        if len(items) > 50 or any(not isinstance(i, str | int | float) or isinstance(i, bool) for i in items):
            raise ValueError(f"{k}: a number, a text or a list of them (at most 50)")
    return v


class CapabilityIn(InputModel):
    code: Code = Field(description="process capability, e.g. cnc_milling_5axis, laser_cutting, injection_moulding")
    parameters: Params = Field(
        default_factory=dict, description="limits (max_/min_<name>) and offered values, e.g. max_thickness_mm: 20"
    )
    units_per_hour: PositiveQuantity | None = Field(None, description="rate used to derive time from a quantity")
    setup_minutes: int = Field(0, ge=0, le=24 * 60)

    _params = field_validator("parameters")(_small_json)


class CapabilityRead(ReadModel):
    code: str
    parameters: Params
    units_per_hour: Decimal | None
    setup_minutes: int


def _calendar(v: dict[str, Any]) -> dict[str, Any]:
    problems = check_calendar(v)
    if problems:
        raise ValueError("; ".join(problems))
    return v


def _changeover(v: dict[str, Any] | None) -> dict[str, Any] | None:
    if v is None:
        return v
    if len(v) > 50:
        raise ValueError("at most 50 setup families")
    for a, row in v.items():
        if not isinstance(row, dict) or not 1 <= len(a) <= 64 or len(row) > 50:
            raise ValueError("changeover: {from family: {to family: minutes}}, families of 1 to 64 characters")
        for b, m in row.items():
            if not 1 <= len(b) <= 64 or isinstance(m, bool) or not isinstance(m, int) or not 0 <= m <= 24 * 60:
                raise ValueError(f"changeover[{a}][{b}]: whole minutes from 0 to 1440")
    return v


class ResourceCreate(InputModel):
    code: Code
    name: Name
    kind: ResourceKind = ResourceKind.machine
    hourly_rate: NonNegativeAmount = Field(description="CNY per machine hour")
    quality_grade: Grade
    certifications: list[Cert] = Field(default_factory=list, max_length=20)
    site_name: Name
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    region_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 administrative division code")
    calendar: dict[str, Any] = Field(
        default_factory=dict,
        description='{"utc_offset_hours": 8, "shifts": [{"days": [0,1,2,3,4], "start": "08:00", "end": "20:00"}],'
        ' "breaks": [{"start": "12:00", "end": "13:00"}]}; no shifts: around the clock',
    )
    capabilities: list[CapabilityIn] = Field(min_length=1, max_length=20)
    published: bool = True
    changeover_minutes: int = Field(
        0, ge=0, le=24 * 60, description="changeover between operations of two different setup families"
    )
    changeover: dict[str, Any] | None = Field(
        None,
        description='minutes per pair of setup families, e.g. {"steel": {"aluminium": 45}}; else changeover_minutes',
    )

    _cal = field_validator("calendar")(_calendar)
    _co = field_validator("changeover")(_changeover)

    @field_validator("capabilities")
    @classmethod
    def _distinct(cls, v: list[CapabilityIn]) -> list[CapabilityIn]:
        codes = [c.code for c in v]
        if len(set(codes)) != len(codes):
            raise ValueError("each capability code once")
        return v


class ResourceUpdate(InputModel):
    name: Name | None = None
    hourly_rate: NonNegativeAmount | None = None
    quality_grade: Grade | None = None
    certifications: list[Cert] | None = Field(None, max_length=20)
    calendar: dict[str, Any] | None = None
    capabilities: list[CapabilityIn] | None = Field(None, min_length=1, max_length=20)
    published: bool | None = None
    changeover_minutes: int | None = Field(None, ge=0, le=24 * 60)
    changeover: dict[str, Any] | None = None
    version: int | None = None

    _cal = field_validator("calendar")(lambda v: v if v is None else _calendar(v))
    _co = field_validator("changeover")(_changeover)


class ResourceRead(Stamped):
    code: str
    name: str
    kind: ResourceKind
    hourly_rate: Decimal
    quality_grade: Grade
    certifications: list[str]
    site_name: str
    latitude: float
    longitude: float
    region_code: str
    calendar: dict[str, Any]
    published: bool
    changeover_minutes: int
    changeover: dict[str, Any] | None
    capabilities: list[CapabilityRead] = []


class CatalogueEntry(ReadModel):
    """A published resource as every marketplace participant sees it: no factory, no bookings."""

    id: int
    kind: ResourceKind
    hourly_rate: Decimal
    quality_grade: Grade
    certifications: list[str]
    region_code: str
    changeover_minutes: int
    changeover: dict[str, Any] | None
    capabilities: list[CapabilityRead]


class BlockCreate(InputModel):
    kind: BlockKind
    start_at: dt.datetime
    end_at: dt.datetime
    note: ShortText | None = None
    reschedule: bool = Field(True, description="re-plan the marketplace when this block hits booked operations")
    time_limit: float = Field(3.0, gt=0, le=60, description="seconds for that re-plan")

    @model_validator(mode="after")
    def _order(self) -> BlockCreate:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class BlockRead(ReadModel):
    id: int
    resource_id: int
    kind: BlockKind
    start_at: dt.datetime
    end_at: dt.datetime
    note: str | None


class OperationIn(InputModel):
    capability: Code
    parameters: Params = Field(default_factory=dict, description="requirements, e.g. thickness_mm: 12")
    minutes: int | None = Field(
        None, ge=1, le=100_000, description="fixed processing time; default from the quantity and each resource's rate"
    )
    minutes_by_resource: dict[int, Annotated[int, Field(ge=1, le=100_000)]] | None = Field(
        None,
        max_length=50,
        description="processing time per eligible resource (catalogue ids); only the listed resources are eligible",
    )
    setup_family: Code | None = Field(
        None, description="setup family (material, tooling) for the resources' changeover times, e.g. steel"
    )

    _params = field_validator("parameters")(_small_json)

    @model_validator(mode="after")
    def _one_time(self) -> OperationIn:
        if self.minutes is not None and self.minutes_by_resource is not None:
            raise ValueError("give minutes or minutes_by_resource, not both")
        if self.minutes_by_resource is not None and not self.minutes_by_resource:
            raise ValueError("minutes_by_resource names at least one resource")
        return self


class PartIn(InputModel):
    name: Name
    quantity: PositiveQuantity
    operations: list[OperationIn] = Field(min_length=1, max_length=20)


class OrderCreate(InputModel):
    number: Code | None = Field(None, description="generated (MO-<year>-<n>) when omitted")
    title: Name
    release_at: dt.datetime
    due_at: dt.datetime
    weight: float = Field(1.0, gt=0, le=1000, description="tardiness weight")
    quality_grade: Grade = Grade.C
    certifications: list[Cert] = Field(default_factory=list, max_length=20)
    urgent: bool = False
    notes: LongText | None = None
    parts: list[PartIn] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _dates(self) -> OrderCreate:
        if self.due_at <= self.release_at:
            raise ValueError("due_at must be after release_at")
        return self


class OperationRead(ReadModel):
    id: int
    position: int
    capability: str
    parameters: Params
    minutes: int | None
    minutes_by_resource: dict[str, int] | None
    status: OperationStatus
    quote_low: Decimal | None
    quote_high: Decimal | None
    resource_id: int | None
    resource_label: str | None
    factory_label: str | None
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    setup_family: str | None
    setup_minutes: int | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    cost: Decimal | None


class PartRead(ReadModel):
    id: int
    position: int
    name: str
    quantity: Decimal
    operations: list[OperationRead] = []


class OrderRead(Stamped):
    number: str
    title: str
    status: OrderStatus
    release_at: dt.datetime
    due_at: dt.datetime
    weight: float
    quality_grade: Grade
    certifications: list[str]
    urgent: bool
    quote_low: Decimal | None
    quote_cost: Decimal | None
    quote_fee: Decimal | None
    quote_total: Decimal | None
    quoted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    completed_at: dt.datetime | None
    settled_at: dt.datetime | None
    settled_cost: Decimal | None
    settled_fee: Decimal | None
    settled_total: Decimal | None
    notes: str | None
    parts: list[PartRead] = []


class AcceptIn(InputModel):
    schedule: bool = Field(True, description="re-plan the marketplace now with this order in it")
    time_limit: float = Field(3.0, gt=0, le=60, description="seconds for that run")


class BookingRead(ReadModel):
    id: int
    resource_id: int
    order_id: int
    order_number: str
    order_due_at: dt.datetime
    buyer_label: str
    part_name: str
    operation_label: str
    capability: str
    start_at: dt.datetime
    end_at: dt.datetime
    setup_minutes: int
    status: BookingStatus
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    cost: Decimal


class ProgressIn(InputModel):
    event: Literal["started", "finished"]
    at: dt.datetime | None = Field(None, description="when it happened; default now")


class ServedOrder(ReadModel):
    order_id: int
    order_number: str
    buyer_label: str
    due_at: dt.datetime
    operations: int
    finished: int
    first_start: dt.datetime
    last_end: dt.datetime
    amount: Decimal


class PayoutRead(ReadModel):
    id: int
    order_id: int
    order_number: str
    buyer_label: str
    operations: int
    amount: Decimal
    settled_at: dt.datetime


class RunRequest(InputModel):
    time_limit: float = Field(5.0, gt=0, le=120, description="seconds the run may use (reading, engine, writing)")
    objective: Literal["mix", "weighted_tardiness", "makespan", "cost"] = "mix"
    full: bool = Field(
        True, description="re-plan all work not started (false: the engine's reschedule, least disruption)"
    )


class RunRead(ReadModel):
    id: int
    created_at: dt.datetime
    trigger: RunTrigger
    origin_at: dt.datetime
    minutes_per_unit: int
    time_limit: float
    objective_name: str
    full: bool
    status: str
    objective: float | None
    lower_bound: float | None
    gap: float | None
    seconds: float
    orders: int
    operations: int
    resources: int
    frozen: int
    changed: int
    unplanned: int


class ChangeRead(ReadModel):
    id: int
    run_id: int
    operation_id: int | None
    order_number: str
    operation_label: str
    kind: ChangeKind
    old_resource: str | None
    old_start: dt.datetime | None
    old_end: dt.datetime | None
    new_resource: str | None
    new_start: dt.datetime | None
    new_end: dt.datetime | None


class DemandRowRead(ReadModel):
    capability: str
    bucket_start: dt.datetime
    capacity_hours: float
    demand_hours: float
    idle_hours: float
    utilisation: float | None
    verdict: Literal["short", "balanced", "idle"]


class AcceptResult(ReadModel):
    """The accepted order and the schedule run it triggered (status, bound, gap), if any."""

    order: OrderRead
    run: RunRead | None


class BlockResult(ReadModel):
    """The stored block, how many booked operations it hits, and the re-plan run it triggered."""

    block: BlockRead
    affected: int
    run: RunRead | None
