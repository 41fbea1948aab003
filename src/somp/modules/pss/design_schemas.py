"""API contract of PSS design and delivery (framework nodes 2.1.2 and 2.1.5): service blueprint
versions, product component lists, product-service interfaces, delivery projects, their progress
and the delivery KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, model_validator

from somp.core.schemas import MAX_ID, Code, Id, InputModel, LongText, Name, ReadModel, ShortText, Stamped
from somp.modules.pss.design_models import (
    STAGE_ORDER,
    DeliveryEventKind,
    DeliveryStatus,
    InterfaceKind,
    StageKind,
    StageStatus,
)

# ---- blueprints -----------------------------------------------------------------------------------


class BlueprintVersionCreate(InputModel):
    """The next version of an offering's blueprint: ``blueprint`` as JSON, or ``document`` as YAML or
    JSON text (the export's format); exactly one of them."""

    blueprint: dict[str, Any] | None = None
    document: str | None = Field(None, max_length=1_000_000)
    based_on: int | None = Field(None, ge=0, le=MAX_ID, description="the version edited; refused if no longer current")
    note: ShortText | None = None

    @model_validator(mode="after")
    def _one(self) -> BlueprintVersionCreate:
        if (self.blueprint is None) == (self.document is None):
            raise ValueError("send exactly one of blueprint (an object) or document (YAML/JSON text)")
        return self


class FindingRead(ReadModel):
    code: str
    message: str
    message_en: str


class BlueprintVersionRead(ReadModel):
    id: int
    offering_id: int
    number: int
    name: str
    name_en: str
    content_hash: str
    step_count: int
    fail_points: int
    note: str | None
    created_by: int | None
    created_at: dt.datetime


class BlueprintRead(BlueprintVersionRead):
    current: int
    document: dict[str, Any]
    summary: dict[str, Any]
    findings: list[FindingRead]
    interfaces: dict[str, list[str]] = Field(description="product component code -> the steps touching it")


# ---- components and interfaces ----------------------------------------------------------------------


class ComponentIn(InputModel):
    code: Code
    name: Name
    name_en: Name | None = None
    part_number: Code | None = Field(None, description="the product's BOM line this component stands for")


class ComponentsIn(InputModel):
    """The product's whole component list (replaces the stored one)."""

    components: list[ComponentIn] = Field(max_length=500)


class ComponentRead(ReadModel):
    id: int
    product_id: int
    position: int
    code: str
    name: str
    name_en: str | None
    part_number: str | None


class InterfaceIn(InputModel):
    service_line_no: int = Field(ge=1, le=10_000, description="the offering's service item (line number)")
    component: Code = Field(description="a component code of the offering's product")
    kind: InterfaceKind
    note: ShortText | None = None


class InterfacesIn(InputModel):
    """The offering's whole set of product-service interfaces (replaces the stored one)."""

    interfaces: list[InterfaceIn] = Field(max_length=5000)


class ServiceRead(ReadModel):
    line_no: int
    kind: str
    name: str
    name_en: str | None


class InterfaceCell(ReadModel):
    service_line_no: int
    component: str
    kind: InterfaceKind
    note: str | None


class InterfaceMatrix(ReadModel):
    offering_id: int
    product_id: int
    services: list[ServiceRead]
    components: list[ComponentRead]
    cells: list[InterfaceCell]
    blueprint_version: int | None
    blueprint_touches: dict[str, list[str]] = Field(
        description="component code -> the current blueprint's steps touching it"
    )
    untouched_components: list[str] = Field(description="components no service and no blueprint step touches")
    unknown_in_blueprint: list[str] = Field(description="components the blueprint names that the product lacks")


# ---- delivery -------------------------------------------------------------------------------------------


class StagePlan(InputModel):
    stage: StageKind
    planned_start: dt.date
    planned_end: dt.date


class DeliveryProjectCreate(InputModel):
    """A delivery project for a contract; ``stages`` plans all five stages in order (plan, ship,
    install, commission, acceptance); the acceptance's planned end is the promised date."""

    contract_id: Id
    title: Name | None = None
    ordered_on: dt.date | None = Field(None, description="lead time runs from here; default the contract's signing")
    stages: list[StagePlan] = Field(min_length=5, max_length=5)
    note: LongText | None = None

    @model_validator(mode="after")
    def _plan(self) -> DeliveryProjectCreate:
        got = [s.stage for s in self.stages]
        if got != list(STAGE_ORDER):
            raise ValueError(f"stages must be {', '.join(STAGE_ORDER)} in this order")
        for k, s in enumerate(self.stages):
            if s.planned_end < s.planned_start:
                raise ValueError(f"stage {s.stage.value}: planned end before planned start")
            if k and s.planned_start < self.stages[k - 1].planned_start:
                raise ValueError(f"stage {s.stage.value} is planned to start before {self.stages[k - 1].stage.value}")
        if self.ordered_on is not None and self.ordered_on > self.stages[0].planned_start:
            raise ValueError("the plan starts before the order")
        return self


class DeliveryProgress(InputModel):
    """What happened: a stage ``start``\\ed or ``complete``\\d, a commissioning attempt that
    ``fail``\\ed, or the project ``cancel``\\led (no stage)."""

    event: Literal["start", "complete", "fail", "cancel"]
    stage: StageKind | None = None
    on: dt.date
    note: ShortText | None = None

    @model_validator(mode="after")
    def _stage(self) -> DeliveryProgress:
        if self.event == "cancel" and self.stage is not None:
            raise ValueError("a cancellation names no stage")
        if self.event != "cancel" and self.stage is None:
            raise ValueError(f"{self.event} needs a stage")
        if self.event == "fail" and self.stage is not StageKind.commission:
            raise ValueError("only a commissioning attempt can fail")
        return self


class StageRead(ReadModel):
    stage: StageKind
    seq: int
    status: StageStatus
    planned_start: dt.date
    planned_end: dt.date
    actual_start: dt.date | None
    actual_end: dt.date | None


class DeliveryEventRead(ReadModel):
    id: int
    stage: StageKind | None
    kind: DeliveryEventKind
    on: dt.date
    note: str | None
    by_user_id: int | None
    recorded_at: dt.datetime


class DeliveryProjectRead(Stamped):
    number: str
    contract_id: int
    customer_id: int
    title: str
    status: DeliveryStatus
    ordered_on: dt.date
    due_on: dt.date
    commission_attempts: int
    commissioned_on: dt.date | None
    first_time_right: bool | None
    accepted_on: dt.date | None
    note: str | None


class DeliveryProjectDetail(DeliveryProjectRead):
    stages: list[StageRead]
    events: list[DeliveryEventRead]


class PortalDeliveryProject(ReadModel):
    """A delivery project as its customer sees it in the portal: stages and dates, no internal
    notes or event log."""

    id: int
    number: str
    contract_id: int
    contract_number: str
    title: str
    status: DeliveryStatus
    ordered_on: dt.date
    due_on: dt.date
    accepted_on: dt.date | None
    stages: list[StageRead]


class DeliveryKpisRead(ReadModel):
    period: str
    start: dt.date
    end: dt.date
    accepted: int
    on_time: int
    on_time_rate: float | None
    commissioned: int
    first_time_right: int
    first_time_right_rate: float | None
    lead_time_median_days: float | None
    lead_time_p90_days: float | None
    lead_time_mean_days: float | None
