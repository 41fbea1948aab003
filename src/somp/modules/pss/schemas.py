"""API contract of the pss module (framework node 2.1.2): price plans, SLA terms, billing runs and
the sell-vs-serve comparison. Everything a billing run relies on is validated here, at the edge, so
a stored plan always prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from somp.core.schemas import (
    MAX_ID,
    InputModel,
    LongText,
    NonNegativeAmount,
    NonNegativeQuantity,
    ReadModel,
    Stamped,
    scaled,
)
from somp.modules.catalog.models import PriceModel, Priority
from somp.modules.pss.models import BillingOutcome

Pct = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4), scaled(4)]
SignedPct = Annotated[Decimal, Field(ge=-100, le=100, max_digits=7, decimal_places=4), scaled(4)]
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="billing month, YYYY-MM")]
TaxRate = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4), scaled(4)]


class TierIn(InputModel):
    up_to: NonNegativeQuantity | None = Field(
        None, description="cumulative billable quantity where the tier ends; null for the last tier"
    )
    unit_price: NonNegativeQuantity


class BandIn(InputModel):
    from_pct: Pct = Field(description="lower bound of the measured availability in %")
    adjust_pct: SignedPct = Field(description="bonus (> 0) or penalty (< 0) in % of the fee")


_FIELDS = {
    PriceModel.one_time_sale: {"price", "sold_on"},
    PriceModel.subscription: {"fee"},
    PriceModel.pay_per_use: {"metric", "unit", "tiers"},
    PriceModel.availability_based: {"fee", "bands"},
}
_OPTIONAL = {PriceModel.pay_per_use: {"included", "minimum_charge"}}


class PricePlanIn(InputModel):
    """The price model agreed in a contract; amounts in CNY per month (one-time: the price)."""

    model: PriceModel
    price: NonNegativeAmount | None = None
    sold_on: dt.date | None = None
    fee: NonNegativeAmount | None = Field(None, description="per month")
    metric: str | None = Field(None, min_length=1, max_length=64, description="telemetry metric key metered")
    unit: str | None = Field(None, min_length=1, max_length=16)
    included: NonNegativeQuantity | None = Field(None, description="quantity included each month at no charge")
    minimum_charge: NonNegativeAmount | None = None
    tiers: list[TierIn] | None = Field(None, min_length=1, max_length=20)
    bands: list[BandIn] | None = Field(None, min_length=1, max_length=20)
    tax_rate: TaxRate = Decimal("0.1300")
    notes: LongText | None = None

    @model_validator(mode="after")
    def _complete(self) -> PricePlanIn:
        need = _FIELDS[self.model]
        allowed = need | _OPTIONAL.get(self.model, set())
        missing = sorted(f for f in need if getattr(self, f) is None)
        if missing:
            raise ValueError(f"a {self.model.value} plan needs {', '.join(missing)}")
        extra = sorted(
            f for f in set().union(*_FIELDS.values(), *_OPTIONAL.values()) - allowed if getattr(self, f) is not None
        )
        if extra:
            raise ValueError(f"a {self.model.value} plan does not take {', '.join(extra)}")
        if self.tiers:
            *inner, last = self.tiers
            if last.up_to is not None or any(t.up_to is None for t in inner):
                raise ValueError("only the last tier is open-ended (up_to null), and it must be")
            ups = [t.up_to for t in inner]
            if any(b <= a for a, b in zip(ups, ups[1:], strict=False)) or (ups and ups[0] <= 0):
                raise ValueError("tier bounds (up_to) must be positive and increasing")
        if self.bands and len({b.from_pct for b in self.bands}) != len(self.bands):
            raise ValueError("two bands start at the same availability")
        return self


class PricePlanRead(Stamped):
    contract_id: int
    model: PriceModel
    price: Decimal | None
    sold_on: dt.date | None
    fee: Decimal | None
    metric: str | None
    unit: str | None
    included: Decimal
    minimum_charge: Decimal
    tiers: list[dict]
    bands: list[dict]
    tax_rate: Decimal
    notes: str | None


class TargetIn(InputModel):
    response_hours: Decimal = Field(gt=0, le=10000, max_digits=10, decimal_places=4)
    resolution_hours: Decimal = Field(gt=0, le=10000, max_digits=10, decimal_places=4)

    @model_validator(mode="after")
    def _order(self) -> TargetIn:
        if self.resolution_hours < self.response_hours:
            raise ValueError("resolution_hours is shorter than response_hours")
        return self


class SlaTermsIn(InputModel):
    availability_target_pct: Annotated[Decimal, Field(gt=0, le=100, max_digits=7, decimal_places=4)] | None = None
    calendar: str = Field("24x7", min_length=1, max_length=40, description="service calendar name")
    targets: dict[Priority, TargetIn] = Field(default_factory=dict)
    mttr_hours: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=4)] | None = None
    availability_credit_pct: Pct = Field(
        Decimal(0), description="credit in % of the month's charges when availability misses its target"
    )
    breach_credit: NonNegativeAmount = Field(
        Decimal("0.00"), description="credit per work order resolved late (or still open past its target)"
    )
    credit_cap_pct: Pct = Field(Decimal(100), description="credits of a month at most this % of its charges")


class SlaTermsRead(Stamped):
    contract_id: int
    availability_target_pct: Decimal | None
    calendar: str
    targets: dict[str, dict]
    mttr_hours: Decimal | None
    availability_credit_pct: Decimal
    breach_credit: Decimal
    credit_cap_pct: Decimal


class BillingRunIn(InputModel):
    period: Period
    issued_on: dt.date | None = Field(None, description="invoice date; default the first day after the period")


class BillingRunRead(ReadModel):
    id: int
    period: str
    period_start: dt.date
    period_end: dt.date
    issued_on: dt.date
    started_at: dt.datetime
    seconds: float
    contracts: int
    invoices: int
    credit_notes: int
    skipped: int
    net_invoiced: Decimal
    net_credited: Decimal
    skip_reasons: dict[str, int]


class BillingRunItemRead(ReadModel):
    id: int
    contract_id: int
    contract_number: str
    outcome: BillingOutcome
    reason: str | None
    detail: str | None
    invoice_id: int | None
    credit_note_id: int | None
    net_amount: Decimal
    credit_amount: Decimal
    usage: Decimal | None
    availability_pct: Decimal | None


class SellVsServeIn(InputModel):
    """Inputs of the sell-vs-serve comparison; what is left out is measured from the data where
    the data has it (price and cost from the product, failure rate and repair and preventive cost
    from its work orders), and refused otherwise."""

    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    price: NonNegativeAmount | None = None
    manufacturing_cost: NonNegativeAmount | None = None
    life_years: int = Field(8, ge=1, le=40)
    failure_rate: Annotated[Decimal, Field(ge=0, le=1000, max_digits=12, decimal_places=6)] | None = Field(
        None, description="failures a year"
    )
    repair_cost: NonNegativeAmount | None = None
    preventive_cost: NonNegativeAmount | None = None
    operating_cost: NonNegativeAmount = Decimal("0.00")
    residual_value: NonNegativeAmount = Decimal("0.00")
    service_efficiency: Annotated[Decimal, Field(gt=0, le=2, max_digits=6, decimal_places=4)] = Decimal("0.8")
    service_fee: NonNegativeAmount = Field(description="yearly fee of the service case")
    customer_rate: Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)] = Decimal("0.08")
    manufacturer_rate: Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)] = Decimal("0.06")
    as_of: dt.date | None = Field(None, description="work orders of the 3 years before this day (default today)")


class PartyRead(ReadModel):
    flows: list[Decimal]
    npv: Decimal
    lifecycle_cost: Decimal


class SellVsServeRead(ReadModel):
    inputs: dict[str, Decimal | int | None]
    sources: dict[str, str] = Field(description="per input: given, product or work_orders (with the sample)")
    sale_customer: PartyRead
    sale_manufacturer: PartyRead
    service_customer: PartyRead
    service_manufacturer: PartyRead
    manufacturer_irr_service: float | None
    customer_max_fee: Decimal
    manufacturer_min_fee: Decimal
    fee_acceptable_to_both: bool
