"""API contract of invoices and their lines (product vs service revenue)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from somp.core.schemas import (
    MAX_ID,
    Code,
    InputModel,
    LongText,
    NonNegativeAmount,
    NonNegativeQuantity,
    PositiveQuantity,
    ReadModel,
    Stamped,
    scaled,
)
from somp.modules.invoicing.models import InvoiceKind, InvoiceStatus, RevenueCategory


class InvoiceLineIn(InputModel):
    category: RevenueCategory
    description: str = Field(min_length=1, max_length=300)
    quantity: PositiveQuantity
    unit: str = Field("pcs", min_length=1, max_length=16)
    unit_price: NonNegativeQuantity
    tax_rate: Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4), scaled(4)] = Decimal("0.1300")
    cost_amount: NonNegativeAmount | None = Field(None, description="cost of what this line sells (for margins)")
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    product_id: int | None = Field(None, ge=1, le=MAX_ID)


class InvoiceCreate(InputModel):
    number: Code | None = Field(None, description="generated (INV-<year>-<n>) when omitted")
    kind: InvoiceKind = InvoiceKind.invoice
    customer_id: int = Field(ge=1, le=MAX_ID)
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    issued_on: dt.date
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    due_on: dt.date | None = None
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=5000)
    notes: LongText | None = None

    @model_validator(mode="after")
    def _dates(self) -> InvoiceCreate:
        self.check_dates(self.issued_on, self.period_start, self.period_end, self.due_on)
        return self

    @staticmethod
    def check_dates(
        issued_on: dt.date, period_start: dt.date | None, period_end: dt.date | None, due_on: dt.date | None
    ) -> None:
        if (period_start is None) != (period_end is None):
            raise ValueError("give both period_start and period_end, or neither")
        if period_start and period_end and period_end < period_start:
            raise ValueError("period_end is before period_start")
        if due_on and due_on < issued_on:
            raise ValueError("due_on is before issued_on")


class InvoiceUpdate(InputModel):
    """Changes to a draft invoice; ``lines`` replaces all lines. Issued invoices never change."""

    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    issued_on: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    due_on: dt.date | None = None
    lines: list[InvoiceLineIn] | None = Field(None, min_length=1, max_length=5000)
    notes: LongText | None = None
    version: int | None = None


class InvoiceTransition(InputModel):
    to_status: InvoiceStatus
    version: int | None = None


class InvoiceLineRead(ReadModel):
    line_no: int
    category: RevenueCategory
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    cost_amount: Decimal | None
    asset_id: int | None
    product_id: int | None


class InvoiceRead(Stamped):
    number: str
    kind: InvoiceKind
    status: InvoiceStatus
    customer_id: int
    contract_id: int | None
    issued_on: dt.date
    period_start: dt.date | None
    period_end: dt.date | None
    due_on: dt.date | None
    currency: str
    net_total: Decimal
    tax_total: Decimal
    notes: str | None
    lines: list[InvoiceLineRead]
