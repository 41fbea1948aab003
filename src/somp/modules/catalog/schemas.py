"""API contract of the catalog: products (with BOM) and offerings (with service items and SLA)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from somp.core.schemas import (
    MAX_ID,
    Code,
    InputModel,
    LongText,
    Name,
    NonNegativeAmount,
    NonNegativeQuantity,
    PositiveQuantity,
    ReadModel,
    Stamped,
)
from somp.modules.catalog.models import (
    BillingPeriod,
    OfferingStatus,
    PriceModel,
    Priority,
    ProductStatus,
    ServiceKind,
)


class BomItemIn(InputModel):
    part_number: Code
    description: Name
    quantity: PositiveQuantity
    unit: str = Field("pcs", min_length=1, max_length=16)
    unit_cost: NonNegativeAmount | None = None
    spare_part: bool = False


class BomItemRead(ReadModel):
    line_no: int
    part_number: str
    description: str
    quantity: Decimal
    unit: str
    unit_cost: Decimal | None
    spare_part: bool


class ProductCreate(InputModel):
    code: Code
    name: Name
    name_en: Name | None = None
    category: Name
    description: LongText | None = None
    spec: dict[str, Any] = Field(default_factory=dict, description="technical data, e.g. rated_power_kw")
    list_price: NonNegativeAmount | None = None
    unit_cost: NonNegativeAmount | None = None
    status: ProductStatus = ProductStatus.active
    bom: list[BomItemIn] = Field(default_factory=list, max_length=2000)


class ProductUpdate(InputModel):
    name: Name | None = None
    name_en: Name | None = None
    category: Name | None = None
    description: LongText | None = None
    spec: dict[str, Any] | None = None
    list_price: NonNegativeAmount | None = None
    unit_cost: NonNegativeAmount | None = None
    status: ProductStatus | None = None
    bom: list[BomItemIn] | None = Field(None, max_length=2000, description="replaces the whole BOM when given")
    version: int | None = None


class ProductRead(Stamped):
    code: str
    name: str
    name_en: str | None
    category: str
    description: str | None
    spec: dict[str, Any]
    list_price: Decimal | None
    unit_cost: Decimal | None
    status: ProductStatus
    bom: list[BomItemRead]


class ResponseResolution(InputModel):
    response_hours: float = Field(gt=0, le=24 * 90)
    resolution_hours: float = Field(gt=0, le=24 * 365)

    @model_validator(mode="after")
    def _order(self) -> ResponseResolution:
        if self.resolution_hours < self.response_hours:
            raise ValueError("resolution_hours must not be shorter than response_hours")
        return self


class SlaTerms(InputModel):
    """Service level terms: availability target and response/resolution hours per priority."""

    availability_target_pct: float | None = Field(None, gt=0, le=100)
    per_priority: dict[Priority, ResponseResolution] = Field(default_factory=dict)
    predictive_rul_hours: float | None = Field(
        None,
        gt=0,
        le=100_000,
        description="open a predictive work order when an asset's predicted remaining useful life falls below "
        "this many hours (condition-based maintenance, 3.6)",
    )


class ServiceItemIn(InputModel):
    kind: ServiceKind
    name: Name
    name_en: Name | None = None
    included: bool = True
    price: NonNegativeAmount | None = None


class ServiceItemRead(ReadModel):
    line_no: int
    kind: ServiceKind
    name: str
    name_en: str | None
    included: bool
    price: Decimal | None


class OfferingCreate(InputModel):
    code: Code
    name: Name
    name_en: Name | None = None
    description: LongText | None = None
    product_id: int = Field(ge=1, le=MAX_ID)
    price_model: PriceModel
    status: OfferingStatus = OfferingStatus.draft
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    one_time_price: NonNegativeAmount | None = None
    periodic_fee: NonNegativeAmount | None = None
    billing_period: BillingPeriod = BillingPeriod.month
    usage_unit: str | None = Field(None, min_length=1, max_length=16)
    usage_unit_price: NonNegativeQuantity | None = None
    sla: SlaTerms | None = None
    service_items: list[ServiceItemIn] = Field(default_factory=list, max_length=200)


class OfferingUpdate(InputModel):
    name: Name | None = None
    name_en: Name | None = None
    description: LongText | None = None
    status: OfferingStatus | None = None
    one_time_price: NonNegativeAmount | None = None
    periodic_fee: NonNegativeAmount | None = None
    billing_period: BillingPeriod | None = None
    usage_unit: str | None = Field(None, min_length=1, max_length=16)
    usage_unit_price: NonNegativeQuantity | None = None
    sla: SlaTerms | None = None
    service_items: list[ServiceItemIn] | None = Field(None, max_length=200)
    version: int | None = None


class OfferingRead(Stamped):
    code: str
    name: str
    name_en: str | None
    description: str | None
    product_id: int
    price_model: PriceModel
    status: OfferingStatus
    currency: str
    one_time_price: Decimal | None
    periodic_fee: Decimal | None
    billing_period: BillingPeriod
    usage_unit: str | None
    usage_unit_price: Decimal | None
    availability_target_pct: Decimal | None
    sla: dict[str, Any]
    service_items: list[ServiceItemRead]
