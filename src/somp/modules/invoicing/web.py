"""Pages of invoices: lines classed as product or service revenue, issue / pay / void."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from somp.modules.contracts.service import list_contracts
from somp.modules.customers.service import list_customers
from somp.modules.invoicing import service
from somp.modules.invoicing.models import (
    INVOICE_TRANSITIONS,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    RevenueCategory,
)
from somp.modules.invoicing.schemas import InvoiceCreate, InvoiceTransition, InvoiceUpdate
from somp.web.crud import Column, EntitySpec, Filter, TransitionSpec, add_routes, table_section
from somp.web.forms import Field, options_from

router = APIRouter(include_in_schema=False)

customer_options = options_from(list_customers, lambda c: f"{c.code} {c.name}")
contract_options = options_from(list_contracts, lambda c: c.number)

LINES = Field(
    "lines",
    kind="table",
    extra_rows=3,
    required=True,
    columns=(
        Field("category", kind="enum", enum=RevenueCategory, enum_prefix="revenue_category", required=True),
        Field("description", required=True, label="field.line_description"),
        Field("quantity", kind="decimal", required=True),
        Field("unit"),
        Field("unit_price", kind="decimal", required=True),
        Field("tax_rate", kind="decimal"),
        Field("cost_amount", kind="decimal"),
    ),
)
LINE_COLUMNS = [
    Column("line_no"),
    Column("category", "enum", enum_prefix="revenue_category"),
    Column("description", label="field.line_description"),
    Column("quantity", "num"),
    Column("unit"),
    Column("unit_price", "num"),
    Column("amount", "money"),
    Column("tax_rate", "num"),
    Column("cost_amount", "money"),
    Column("asset_id", "ref", ref="assets"),
    Column("product_id", "ref", ref="products"),
]


def _sections(w, inv: Invoice):  # noqa: ANN001, ANN202
    return [table_section(w, "field.lines", LINE_COLUMNS, list(inv.lines))]


SPEC = EntitySpec(
    name="invoices",
    id_param="invoice_id",
    singular="entity.invoice",
    plural="nav.invoices",
    model=Invoice,
    title="number",
    read_perm="invoices:read",
    create_perm="invoices:write",
    update_perm="invoices:write",
    list_fn=service.list_invoices,
    get_fn=service.get_invoice,
    create_schema=InvoiceCreate,
    create_fn=lambda s, data, w: service.create_invoice(s, data),
    update_schema=InvoiceUpdate,
    update_fn=lambda s, id_, data, w: service.update_invoice(s, id_, data),
    fields=[
        Field("number", help="hint.number_generated"),
        Field("kind", kind="enum", enum=InvoiceKind, enum_prefix="invoice_kind", required=True),
        Field("customer_id", kind="select", options=customer_options, required=True),
        Field("contract_id", kind="select", options=contract_options),
        Field("issued_on", kind="date", required=True),
        Field("period_start", kind="date"),
        Field("period_end", kind="date"),
        Field("due_on", kind="date"),
        Field("currency", required=True),
        Field("notes", kind="textarea"),
        LINES,
    ],
    defaults=lambda w: {
        "kind": InvoiceKind.invoice.value,
        "currency": "CNY",
        "issued_on": dt.date.today().isoformat(),
    },
    columns=[
        Column("number", "link"),
        Column("kind", "enum", enum_prefix="invoice_kind"),
        Column("status", "enum", enum_prefix="invoice_status"),
        Column("customer_id", "ref", ref="customers"),
        Column("issued_on", "date"),
        Column("net_total", "money"),
        Column("currency"),
    ],
    detail=[
        Column("number"),
        Column("kind", "enum", enum_prefix="invoice_kind"),
        Column("status", "enum", enum_prefix="invoice_status"),
        Column("customer_id", "ref", ref="customers"),
        Column("contract_id", "ref", ref="contracts"),
        Column("issued_on", "date"),
        Column("period_start", "date"),
        Column("period_end", "date"),
        Column("due_on", "date"),
        Column("currency"),
        Column("net_total", "money"),
        Column("tax_total", "money"),
        Column("notes", "multiline"),
    ],
    filters=[
        Filter("q"),
        Filter("status", "enum", enum=InvoiceStatus, enum_prefix="invoice_status"),
        Filter("kind", "enum", enum=InvoiceKind, enum_prefix="invoice_kind"),
        Filter("customer_id", "select", options=customer_options),
        Filter("contract_id", "select", options=contract_options),
        Filter("issued_from", "date"),
        Filter("issued_to", "date"),
    ],
    transition=TransitionSpec(
        field="status",
        target="to_status",
        enum_prefix="invoice_status",
        permission="invoices:write",
        allowed=lambda inv: INVOICE_TRANSITIONS[inv.status],
        schema=InvoiceTransition,
        apply=lambda s, id_, req, w: service.transition_invoice(s, id_, req),
    ),
    sections=_sections,
)
add_routes(router, SPEC)
