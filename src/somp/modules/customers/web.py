"""Pages of customers (framework node 1.2.1): list, detail, create, edit."""

from __future__ import annotations

from fastapi import APIRouter

from somp.modules.customers import service
from somp.modules.customers.models import Customer
from somp.modules.customers.schemas import CustomerCreate, CustomerUpdate
from somp.web.crud import Column, EntitySpec, Filter, add_routes, links_section
from somp.web.forms import Field

router = APIRouter(include_in_schema=False)

FIELDS = [
    Field("code", required=True),
    Field("name", required=True),
    Field("name_en"),
    Field("uscc"),
    Field("industry_code"),
    Field("region_code"),
    Field("contact_name"),
    Field("contact_phone"),
    Field("contact_email", kind="email"),
    Field("address"),
    Field("notes", kind="textarea"),
]


def _sections(w, c):  # noqa: ANN001, ANN202
    related = links_section(
        w,
        "section.related",
        [
            ("nav.assets", f"/assets?customer_id={c.id}", "assets:read"),
            ("nav.contracts", f"/contracts?customer_id={c.id}", "contracts:read"),
            ("nav.workorders", f"/work-orders?customer_id={c.id}", "workorders:read"),
            ("nav.invoices", f"/invoices?customer_id={c.id}", "invoices:read"),
        ],
    )
    return [related] if related else []


SPEC = EntitySpec(
    name="customers",
    id_param="customer_id",
    singular="entity.customer",
    plural="nav.customers",
    model=Customer,
    title=lambda c: f"{c.code} {c.name}",
    read_perm="customers:read",
    create_perm="customers:write",
    update_perm="customers:write",
    list_fn=service.list_customers,
    get_fn=service.get_customer,
    create_schema=CustomerCreate,
    update_schema=CustomerUpdate,
    create_fn=lambda s, data, w: service.create_customer(s, data),
    update_fn=lambda s, id_, data, w: service.update_customer(s, id_, data),
    fields=FIELDS,
    columns=[
        Column("code", "link"),
        Column("name"),
        Column("region_code"),
        Column("industry_code"),
        Column("contact_name"),
    ],
    detail=[
        Column("code"),
        Column("name"),
        Column("name_en"),
        Column("uscc"),
        Column("industry_code"),
        Column("region_code"),
        Column("contact_name"),
        Column("contact_phone"),
        Column("contact_email"),
        Column("address"),
        Column("notes", "multiline"),
        Column("created_at", "datetime"),
        Column("updated_at", "datetime"),
    ],
    filters=[Filter("q"), Filter("region_code"), Filter("industry_code")],
    sections=_sections,
)
add_routes(router, SPEC)
