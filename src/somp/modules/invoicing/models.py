"""Invoices and invoice lines, each line classed as product or service revenue.

The split makes the service revenue share (服务收入占比) real data rather than a questionnaire
answer. Amounts are exact decimals in the invoice currency (CNY by default), net of VAT.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from somp.core.database import Base, Quantity, TenantOwned, Timestamped, tenant_fk, tenant_key
from somp.core.identity import str_enum


class InvoiceKind(enum.StrEnum):
    invoice = "invoice"
    credit_note = "credit_note"


class InvoiceStatus(enum.StrEnum):
    draft = "draft"
    issued = "issued"
    paid = "paid"
    void = "void"


INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.draft: frozenset({InvoiceStatus.issued, InvoiceStatus.void}),
    InvoiceStatus.issued: frozenset({InvoiceStatus.paid, InvoiceStatus.void}),
    InvoiceStatus.paid: frozenset(),
    InvoiceStatus.void: frozenset(),
}


class RevenueCategory(enum.StrEnum):
    product = "product"
    service = "service"


class Invoice(TenantOwned, Timestamped, Base):
    __tablename__ = "invoices"
    __customer_column__ = "customer_id"  # a customer user sees the rows where this equals their customer
    __table_args__ = (
        tenant_key("invoices"),
        UniqueConstraint("tenant_id", "number"),
        tenant_fk("customer_id", "customers"),
        tenant_fk("contract_id", "contracts"),
        Index("ix_invoices_tenant_issued", "tenant_id", "issued_on"),
        Index("ix_invoices_tenant_customer", "tenant_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind, "invoice_kind"), default=InvoiceKind.invoice)
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.draft
    )
    customer_id: Mapped[int]
    contract_id: Mapped[int | None]
    issued_on: Mapped[dt.date]
    period_start: Mapped[dt.date | None]
    period_end: Mapped[dt.date | None]
    due_on: Mapped[dt.date | None]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    net_total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    tax_total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    notes: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.line_no", cascade="all, delete-orphan", lazy="selectin"
    )


class InvoiceLine(TenantOwned, Base):
    __tablename__ = "invoice_lines"
    __tenant_from_parent__ = True
    __table_args__ = (
        UniqueConstraint("invoice_id", "line_no"),
        tenant_fk("invoice_id", "invoices", ondelete="CASCADE"),
        tenant_fk("asset_id", "assets"),
        tenant_fk("product_id", "products"),
        Index("ix_invoice_lines_tenant_category", "tenant_id", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(index=True)
    line_no: Mapped[int]
    category: Mapped[RevenueCategory] = mapped_column(str_enum(RevenueCategory, "revenue_category"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    unit_price: Mapped[Decimal] = mapped_column(Quantity)
    amount: Mapped[Decimal]
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.13"))
    cost_amount: Mapped[Decimal | None]
    asset_id: Mapped[int | None]
    product_id: Mapped[int | None]
