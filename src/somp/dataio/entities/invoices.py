"""Invoices (revenue by product and service): one row per invoice LINE, the invoice's own
columns repeated on each of its lines (or left blank after its first row), grouped by ``number``.

Totals and line amounts are not columns: they are computed as the invoicing service computes
them (amount = quantity x unit price, rounded half-up to the cent; VAT per line). Import-only:
``status`` (default draft) brings in issued or paid invoices.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_
from sqlalchemy.orm import Session, aliased

from somp.dataio.bulk import insert_rows
from somp.dataio.spec import (
    Cells,
    Column,
    Condition,
    EntitySpec,
    ImportContext,
    Record,
    Ref,
    existing,
    export_query,
    stamp,
)
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Product
from somp.modules.contracts.models import Contract
from somp.modules.customers.models import Customer
from somp.modules.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from somp.modules.invoicing.schemas import InvoiceCreate, InvoiceLineIn
from somp.modules.invoicing.service import priced_lines

CUSTOMER = Ref(Customer, "code", "customer")
CONTRACT = Ref(Contract, "number", "contract", ("customer_id",))
ASSET = Ref(Asset, "serial_number", "asset")
PRODUCT = Ref(Product, "code", "product")
LINE = "line_"


class InvoiceRow(InvoiceCreate):
    """The API's ``InvoiceCreate`` plus the status to register the invoice in."""

    status: InvoiceStatus = InvoiceStatus.draft


class InvoicesSpec(EntitySpec):
    name = "invoices"
    zh = "发票"
    doc = (
        "Invoices and credit notes with their lines: one row per line, grouped by number; the invoice "
        "columns may be repeated on every line or left blank after the invoice's first row."
    )
    schema = InvoiceRow
    unique = "number"
    model = Invoice
    omitted = {"lines": "one row per line, in the line_* columns"}
    columns = (
        Column("number", "发票编号", "groups the rows of one invoice; unique within the tenant", required=True),
        Column("kind", "类型", "default invoice"),
        Column("status", "状态", "default draft; import only"),
        Column("customer_code", "客户编码", "the customer (must exist)", field="customer_id", ref=CUSTOMER),
        Column("contract_number", "合同编号", "a contract of that customer", field="contract_id", ref=CONTRACT),
        Column("issued_on", "开票日期"),
        Column("period_start", "账期开始"),
        Column("period_end", "账期结束"),
        Column("due_on", "到期日"),
        Column("currency", "币种", "ISO 4217, default CNY"),
        Column("notes", "备注"),
        Column("line_category", "收入类别", "product or service revenue", field="category", required=True),
        Column("line_description", "行描述", field="description", required=True),
        Column("line_quantity", "数量", "> 0", field="quantity", required=True),
        Column("line_unit", "单位", "default pcs", field="unit"),
        Column("line_unit_price", "单价", "net, up to 4 decimals", field="unit_price", required=True),
        Column("line_tax_rate", "税率", "0-1, default 0.13", field="tax_rate"),
        Column("line_cost_amount", "成本金额", "cost of what the line sells", field="cost_amount"),
        Column("line_asset_serial_number", "设备序列号", "the asset the line is about", field="asset_id", ref=ASSET),
        Column("line_product_code", "产品编码", "the product the line sells", field="product_id", ref=PRODUCT),
    )

    def schema_field(self, col: Column) -> Any:
        if col.name.startswith(LINE):
            return InvoiceLineIn.model_fields.get(col.target)
        return super().schema_field(col)

    @property
    def head_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.name.startswith(LINE))

    @property
    def line_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.name.startswith(LINE))

    def batches(self, ctx: ImportContext, cells: Sequence[Cells]) -> Iterator[list[Record]]:
        """One batch: the rows grouped into invoices by number (the file's order of first rows)."""
        groups: dict[str, list[Cells]] = {}
        for c in cells:
            number = c.values.get("number")
            if number is None:
                ctx.error(c.row, "number", "every row needs the number of its invoice", "missing")
                continue
            groups.setdefault(number, []).append(c)
        out = []
        for group in groups.values():
            rec = self._invoice(ctx, group)
            if rec is not None:
                out.append(rec)
        ctx.progress.advance("validate", len(cells))
        yield out

    def _invoice(self, ctx: ImportContext, group: list[Cells]) -> Record | None:
        head = group[0]
        for c in group[1:]:
            for col in self.head_columns:
                v = c.values.get(col.name)
                if v is not None and v != head.values.get(col.name):
                    ctx.error(
                        c.row,
                        col.name,
                        f"differs from row {head.row}, the first row of invoice {head.values['number']}",
                        "inconsistent",
                    )
        data: dict[str, Any] = {}
        for col in self.head_columns:
            if col.name in head.values:
                v = head.values[col.name]
                data[col.target] = self.resolve_value(ctx, head.row, col, v) if col.ref else v
        lines = []
        for c in group:
            line: dict[str, Any] = {}
            for col in self.line_columns:
                if col.name in c.values:
                    v = c.values[col.name]
                    line[col.target] = self.resolve_value(ctx, c.row, col, v) if col.ref else v
            lines.append(line)
        data["lines"] = lines
        try:
            model = InvoiceRow.model_validate(data)
        except ValidationError as exc:
            by_field = {c.target: c.name for c in self.line_columns}
            for e in exc.errors(include_url=False):
                loc = tuple(e["loc"])
                if loc[:1] == ("lines",) and len(loc) >= 2 and isinstance(loc[1], int):
                    column = by_field.get(loc[2]) if len(loc) > 2 else None
                    self.report(ctx, group[loc[1]].row, e, column or self._named_in(e["msg"], by_field))
                else:
                    self.report(ctx, head.row, e)
            return None
        return Record(head.row, model, head.values, tuple(c.row for c in group))

    def column_for(self, loc: tuple[Any, ...], message: str) -> str:
        by_field = {c.target: c.name for c in self.head_columns}
        if loc and loc[0] in by_field:
            return by_field[loc[0]]
        return self._named_in(message, by_field)

    def check_unique(self, ctx: ImportContext, keyed: Sequence[tuple[int, Any]]) -> None:
        first: dict[str, int] = {}
        for row, number in keyed:
            if number is not None:
                first.setdefault(number, row)
        for number in sorted(existing(ctx.session, Invoice.number, first)):
            ctx.error(first[number], "number", f"{number!r} already exists", "duplicate")

    def check(self, ctx: ImportContext, records: list[Record]) -> None:
        for r in records:
            number = r.values.get("contract_number")
            if number is not None and ctx.ref("contract_number", number).customer_id != r.data.customer_id:
                ctx.error(r.row, "contract_number", "contract of another customer", "other_customer")

    def write_total(self, records: list[Record]) -> int:
        return sum(len(r.rows) for r in records)

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        conn = ctx.session.connection()
        head_fields = [
            "number",
            "kind",
            "status",
            "customer_id",
            "contract_id",
            "issued_on",
            "period_start",
            "period_end",
            "due_on",
            "currency",
            "notes",
        ]
        line_fields = [c.target for c in self.line_columns]
        heads, lines = [], []
        for r in records:
            amounts, net, tax = priced_lines(r.data.lines)
            for i, (amount, ln) in enumerate(zip(amounts, r.data.lines, strict=True), start=1):
                lines.append((len(heads), i, amount, *(getattr(ln, f) for f in line_fields)))
            heads.append((*(getattr(r.data, f) for f in head_fields), net, tax))
        ids = insert_rows(
            conn,
            Invoice.__table__,
            [*head_fields, "net_total", "tax_total"],
            heads,
            return_ids=True,
            constants=stamp(ctx),
        )
        insert_rows(
            conn,
            InvoiceLine.__table__,
            ["invoice_id", "line_no", "amount", *line_fields],
            [(ids[k], *rest) for k, *rest in lines],
            constants={"tenant_id": ctx.tenant_id},
            progress=lambda n: ctx.progress.advance("write", n),
        )

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        line_asset, line_product = aliased(Asset), aliased(Product)
        exprs: dict[str, Any] = {c.name: getattr(Invoice, c.name) for c in self.head_columns if not c.ref}
        exprs |= {"customer_code": Customer.code, "contract_number": Contract.number}
        exprs |= {c.name: getattr(InvoiceLine, c.target) for c in self.line_columns if not c.ref}
        exprs |= {"line_asset_serial_number": line_asset.serial_number, "line_product_code": line_product.code}

        def build(s: Any) -> Any:
            same = Invoice.tenant_id
            return (
                s.select_from(InvoiceLine)
                .join(Invoice, and_(Invoice.id == InvoiceLine.invoice_id, same == InvoiceLine.tenant_id))
                .join(Customer, and_(Customer.id == Invoice.customer_id, Customer.tenant_id == same))
                .outerjoin(Contract, and_(Contract.id == Invoice.contract_id, Contract.tenant_id == same))
                .outerjoin(line_asset, and_(line_asset.id == InvoiceLine.asset_id, line_asset.tenant_id == same))
                .outerjoin(
                    line_product, and_(line_product.id == InvoiceLine.product_id, line_product.tenant_id == same)
                )
                .order_by(Invoice.id, InvoiceLine.line_no)
            )

        return export_query(session, exprs, where, build)


ENTITIES: tuple[EntitySpec, ...] = (InvoicesSpec(),)
