"""API contract of service contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field, model_validator

from somp.core.schemas import (
    MAX_ID,
    Code,
    Id,
    InputModel,
    LongText,
    NonNegativeAmount,
    NonNegativeQuantity,
    ReadModel,
    Stamped,
)
from somp.modules.contracts.models import ContractStatus


class ContractCreate(InputModel):
    number: Code | None = Field(None, description="contract number; generated (CT-<year>-<n>) when omitted")
    customer_id: int = Field(ge=1, le=MAX_ID)
    offering_id: int = Field(ge=1, le=MAX_ID)
    start_date: dt.date
    end_date: dt.date
    signed_on: dt.date | None = None
    renewal_of_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="the earlier contract this one renews or extends"
    )
    periodic_fee: NonNegativeAmount | None = Field(
        None, description="agreed fee per billing period; default: the offering's"
    )
    usage_unit_price: NonNegativeQuantity | None = None
    total_value: NonNegativeAmount | None = None
    asset_ids: list[Id] = Field(default_factory=list, max_length=10000, description="covered assets")
    notes: LongText | None = None

    @model_validator(mode="after")
    def _term(self) -> ContractCreate:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if len(set(self.asset_ids)) != len(self.asset_ids):
            raise ValueError("asset_ids lists an asset twice")
        return self


class ContractUpdate(InputModel):
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    signed_on: dt.date | None = None
    periodic_fee: NonNegativeAmount | None = None
    usage_unit_price: NonNegativeQuantity | None = None
    total_value: NonNegativeAmount | None = None
    asset_ids: list[Id] | None = Field(None, max_length=10000, description="replaces the covered assets")
    notes: LongText | None = None
    version: int | None = None


class ContractTransition(InputModel):
    to_status: ContractStatus
    on: dt.date | None = Field(None, description="signing/effective day; default today")
    reason: str | None = Field(None, max_length=2000)
    version: int | None = None


class ContractRead(Stamped):
    number: str
    customer_id: int
    offering_id: int
    status: ContractStatus
    signed_on: dt.date | None
    start_date: dt.date
    end_date: dt.date
    renewal_of_id: int | None
    periodic_fee: Decimal | None
    usage_unit_price: Decimal | None
    total_value: Decimal | None
    notes: str | None
    asset_ids: list[int] = Field(default_factory=list)


class ContractRef(ReadModel):
    id: int
    number: str
    status: ContractStatus
