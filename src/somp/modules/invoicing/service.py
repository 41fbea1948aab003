"""Invoicing service: invoices and credit notes with lines classed as product or service revenue.

Amounts are exact: ``amount = quantity x unit_price`` rounded half-up to the fen (0.01 CNY);
VAT per line at its rate, rounded the same way. An issued invoice is immutable (void it and issue
a credit note or a new invoice instead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, ValidationFailed, illegal_transition
from somp.core.pagination import Order
from somp.core.sequences import next_number, next_numbers
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Product
from somp.modules.contracts.models import Contract
from somp.modules.customers.models import Customer
from somp.modules.invoicing.models import (
    INVOICE_TRANSITIONS,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    RevenueCategory,
)
from somp.modules.invoicing.schemas import InvoiceCreate, InvoiceLineIn, InvoiceTransition, InvoiceUpdate

CENT = Decimal("0.01")


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def priced_lines(lines: Iterable[InvoiceLineIn]) -> tuple[list[Decimal], Decimal, Decimal]:
    """Each line's amount (quantity x unit price, half-up to the fen) and the invoice's net and VAT
    totals (VAT per line at its rate, rounded the same way)."""
    amounts = [money(ln.quantity * ln.unit_price) for ln in lines]
    net = sum(amounts, Decimal("0"))
    tax = sum((money(a * ln.tax_rate) for a, ln in zip(amounts, lines, strict=True)), Decimal("0"))
    return amounts, net, tax


def _check_contract(session: Session, contract_id: int | None, customer_id: int) -> None:
    if contract_id:
        contract = require_ref(session, Contract, contract_id, "contract_id", "contract")
        if contract.customer_id != customer_id:
            raise ValidationFailed(
                "invalid reference", [FieldError("contract_id", "contract of another customer", "other_customer")]
            )


def _check_lines(session: Session, lines: list[InvoiceLineIn]) -> None:
    """Assets and products named on lines must exist in the tenant."""
    asset_ids = {ln.asset_id for ln in lines if ln.asset_id}
    product_ids = {ln.product_id for ln in lines if ln.product_id}
    known_assets = set(session.scalars(select(Asset.id).where(Asset.id.in_(asset_ids)))) if asset_ids else set()
    known_products = (
        set(session.scalars(select(Product.id).where(Product.id.in_(product_ids)))) if product_ids else set()
    )
    errors = []
    for i, ln in enumerate(lines):
        if ln.asset_id and ln.asset_id not in known_assets:
            errors.append(FieldError(f"lines.{i}.asset_id", f"no asset with id {ln.asset_id}", "not_found"))
        if ln.product_id and ln.product_id not in known_products:
            errors.append(FieldError(f"lines.{i}.product_id", f"no product with id {ln.product_id}", "not_found"))
    if errors:
        raise ValidationFailed("invalid invoice lines", errors)


def _line_rows(lines: list[InvoiceLineIn]) -> tuple[list[InvoiceLine], Decimal, Decimal]:
    amounts, net, tax = priced_lines(lines)
    rows = [
        InvoiceLine(line_no=i, amount=amount, **ln.model_dump())
        for i, (amount, ln) in enumerate(zip(amounts, lines, strict=True), start=1)
    ]
    return rows, net, tax


def create_invoice(session: Session, data: InvoiceCreate) -> Invoice:
    customer = require_ref(session, Customer, data.customer_id, "customer_id", "customer")
    _check_contract(session, data.contract_id, customer.id)
    _check_lines(session, data.lines)
    prefix = "CN" if data.kind == InvoiceKind.credit_note else "INV"
    number = data.number or next_number(session, customer.tenant_id, prefix, data.issued_on.year)
    ensure_unique(session, Invoice, "number", number)
    lines, net, tax = _line_rows(data.lines)
    invoice = Invoice(
        tenant_id=customer.tenant_id,
        number=number,
        net_total=net,
        tax_total=tax,
        lines=lines,
        **data.model_dump(exclude={"number", "lines"}),
    )
    session.add(invoice)
    session.flush()
    return invoice


@dataclass(frozen=True)
class LineDraft:
    """A line of :func:`create_many` (the fields of :class:`InvoiceLineIn`, already valid)."""

    category: RevenueCategory
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "pcs"
    tax_rate: Decimal = Decimal("0.1300")
    cost_amount: Decimal | None = None
    asset_id: int | None = None
    product_id: int | None = None


@dataclass(frozen=True)
class InvoiceDraft:
    kind: InvoiceKind
    customer_id: int
    issued_on: dt.date
    lines: Sequence[LineDraft]
    contract_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    due_on: dt.date | None = None
    notes: str | None = None
    currency: str = "CNY"


def create_many(session: Session, tenant_id: int, drafts: Sequence[InvoiceDraft]) -> list[int]:
    """Create many draft invoices and credit notes in a few statements (bulk writers such as billing
    runs): numbers drawn as one block per prefix and year, one multi-row INSERT of the invoices (ids
    returned in order) and one of the lines; amounts and VAT by :func:`priced_lines`, the rule of
    :func:`create_invoice`. The caller has checked the customers and contracts in its scope (the
    composite tenant foreign keys refuse any other). Returns the new ids in the order of ``drafts``."""
    if not drafts:
        return []
    numbers: dict[tuple[str, int], list[str]] = {}
    for d in drafts:
        key = ("CN" if d.kind == InvoiceKind.credit_note else "INV", d.issued_on.year)
        numbers.setdefault(key, []).append("")
    for key, slots in numbers.items():
        numbers[key] = next_numbers(session, tenant_id, key[0], key[1], len(slots))[::-1]
    now = utcnow()
    heads, priced = [], []
    for d in drafts:
        if not d.lines:
            raise ValueError("an invoice needs at least one line")
        amounts, net, tax = priced_lines(d.lines)  # type: ignore[arg-type]
        priced.append(amounts)
        key = ("CN" if d.kind == InvoiceKind.credit_note else "INV", d.issued_on.year)
        heads.append({
            "tenant_id": tenant_id, "number": numbers[key].pop(), "kind": d.kind, "status": InvoiceStatus.draft,
            "customer_id": d.customer_id, "contract_id": d.contract_id, "issued_on": d.issued_on,
            "period_start": d.period_start, "period_end": d.period_end, "due_on": d.due_on, "currency": d.currency,
            "net_total": net, "tax_total": tax, "notes": d.notes, "created_at": now, "updated_at": now, "version": 1,
        })  # fmt: skip
    # Core executemany statements: ORM bulk inserts split the rows into one statement per set of
    # non-null keys, and an ordered RETURNING runs row by row on SQLite; the new ids are read back
    # by their (unique) numbers instead
    session.execute(insert(Invoice.__table__), heads)
    by_number: dict[str, int] = {}
    wanted = [h["number"] for h in heads]
    for i in range(0, len(wanted), 5000):
        part = wanted[i : i + 5000]
        by_number.update(session.execute(select(Invoice.number, Invoice.id).where(Invoice.number.in_(part))).all())
    ids = [by_number[n] for n in wanted]
    rows = [
        {"tenant_id": tenant_id, "invoice_id": iid, "line_no": n, "amount": amount, "category": ln.category,
         "description": ln.description, "quantity": ln.quantity, "unit": ln.unit, "unit_price": ln.unit_price,
         "tax_rate": ln.tax_rate, "cost_amount": ln.cost_amount, "asset_id": ln.asset_id, "product_id": ln.product_id}
        for iid, d, amounts in zip(ids, drafts, priced, strict=True)
        for n, (ln, amount) in enumerate(zip(d.lines, amounts, strict=True), start=1)
    ]  # fmt: skip
    session.execute(insert(InvoiceLine.__table__), rows)
    return ids


def get_invoice(session: Session, invoice_id: int) -> Invoice:
    return get_or_404(session, Invoice, invoice_id, "invoice")


def update_invoice(session: Session, invoice_id: int, data: InvoiceUpdate) -> Invoice:
    """Change a draft; an issued, paid or void invoice is final (issue a credit note instead)."""
    invoice = get_invoice(session, invoice_id)
    check_version(invoice, data.version)
    if invoice.status != InvoiceStatus.draft:
        raise ValidationFailed(
            "invoice is final",
            [FieldError("status", f"a {invoice.status.value} invoice cannot be changed; issue a credit note", "final")],
        )
    changes = data.model_dump(exclude_unset=True, exclude={"lines", "version"})
    if "contract_id" in changes:
        _check_contract(session, changes["contract_id"], invoice.customer_id)
    apply_changes(invoice, changes)
    try:
        InvoiceCreate.check_dates(invoice.issued_on, invoice.period_start, invoice.period_end, invoice.due_on)
    except ValueError as exc:
        raise ValidationFailed("invalid dates", [FieldError("dates", str(exc), "order")]) from None
    if data.lines is not None:
        _check_lines(session, data.lines)
        invoice.lines.clear()
        session.flush()
        rows, invoice.net_total, invoice.tax_total = _line_rows(data.lines)
        invoice.lines.extend(rows)
    session.flush()
    return invoice


def transition_invoice(session: Session, invoice_id: int, req: InvoiceTransition) -> Invoice:
    invoice = get_invoice(session, invoice_id)
    check_version(invoice, req.version)
    allowed = INVOICE_TRANSITIONS[invoice.status]
    if req.to_status not in allowed:
        raise illegal_transition("invoice_status", invoice.status, req.to_status, allowed)
    invoice.status = req.to_status
    session.flush()
    return invoice


def list_invoices(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    customer_id: int | None = None,
    contract_id: int | None = None,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    q: str | None = None,
) -> tuple[list[Invoice], str | None]:
    stmt = select(Invoice)
    if customer_id:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if contract_id:
        stmt = stmt.where(Invoice.contract_id == contract_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if kind:
        stmt = stmt.where(Invoice.kind == kind)
    if issued_from:
        stmt = stmt.where(Invoice.issued_on >= issued_from)
    if issued_to:
        stmt = stmt.where(Invoice.issued_on <= issued_to)
    if q:
        stmt = stmt.where(Invoice.number.icontains(q, autoescape=True))
    return list_page(session, stmt, Invoice, limit=limit, cursor=cursor, order=order)


def revenue_by_category(session: Session, start: dt.date, end: dt.date) -> dict[RevenueCategory, Decimal]:
    """Net revenue per category for invoices issued in [start, end): issued or paid invoices count,
    credit notes count negative, drafts and void invoices do not."""
    from sqlalchemy import and_, case, func

    sign = case((Invoice.kind == InvoiceKind.credit_note, -1), else_=1)
    rows = session.execute(
        select(InvoiceLine.category, func.sum(InvoiceLine.amount * sign))
        .join(Invoice, and_(Invoice.id == InvoiceLine.invoice_id, Invoice.tenant_id == InvoiceLine.tenant_id))
        .where(
            Invoice.status.in_((InvoiceStatus.issued, InvoiceStatus.paid)),
            Invoice.issued_on >= start,
            Invoice.issued_on < end,
        )
        .group_by(InvoiceLine.category)
    ).all()
    out = {c: Decimal("0.00") for c in RevenueCategory}
    for cat, total in rows:
        out[RevenueCategory(cat)] = money(Decimal(total or 0))
    return out
