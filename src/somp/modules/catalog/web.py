"""Pages of the catalog: products with their bill of materials, offerings (product-service
systems) with service items, SLA per priority and price fields (framework nodes 2.1.2, 2.1.7)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter

from somp.modules.catalog import service
from somp.modules.catalog.models import (
    BillingPeriod,
    Offering,
    OfferingStatus,
    PriceModel,
    Priority,
    Product,
    ProductStatus,
    ServiceKind,
)
from somp.modules.catalog.schemas import OfferingCreate, OfferingUpdate, ProductCreate, ProductUpdate
from somp.web.crud import Column, EntitySpec, Filter, add_routes, links_section, table_section
from somp.web.forms import Field, options_from

router = APIRouter(include_in_schema=False)

product_options = options_from(service.list_products, lambda p: f"{p.code} {p.name}")

# ------------------------------------------------------------------------------------ products

BOM = Field(
    "bom",
    kind="table",
    label="field.bom",
    extra_rows=3,
    columns=(
        Field("part_number", required=True),
        Field("description", required=True, label="field.part_description"),
        Field("quantity", kind="decimal", required=True),
        Field("unit"),
        Field("unit_cost", kind="decimal"),
        Field("spare_part", kind="checkbox"),
    ),
)

BOM_COLUMNS = [
    Column("line_no"),
    Column("part_number"),
    Column("description", label="field.part_description"),
    Column("quantity", "num"),
    Column("unit"),
    Column("unit_cost", "money"),
    Column("spare_part", "bool"),
]


def _product_sections(w, p):  # noqa: ANN001, ANN202
    out = [table_section(w, "field.bom", BOM_COLUMNS, list(p.bom))]
    related = links_section(
        w,
        "section.related",
        [
            ("nav.offerings", f"/offerings?product_id={p.id}", "catalog:read"),
            ("nav.assets", f"/assets?product_id={p.id}", "assets:read"),
        ],
    )
    return out + ([related] if related else [])


PRODUCTS = EntitySpec(
    name="products",
    id_param="product_id",
    singular="entity.product",
    plural="nav.products",
    model=Product,
    title=lambda p: f"{p.code} {p.name}",
    read_perm="catalog:read",
    create_perm="catalog:write",
    update_perm="catalog:write",
    list_fn=service.list_products,
    get_fn=service.get_product,
    create_schema=ProductCreate,
    update_schema=ProductUpdate,
    create_fn=lambda s, data, w: service.create_product(s, data),
    update_fn=lambda s, id_, data, w: service.update_product(s, id_, data),
    fields=[
        Field("code", required=True),
        Field("name", required=True),
        Field("name_en"),
        Field("category", required=True),
        Field("status", kind="enum", enum=ProductStatus, enum_prefix="product_status", required=True),
        Field("list_price", kind="decimal"),
        Field("unit_cost", kind="decimal"),
        Field("description", kind="textarea"),
        Field("spec", kind="json", help="hint.spec_json"),
        BOM,
    ],
    defaults=lambda w: {"status": ProductStatus.active.value, "spec": "{}"},
    columns=[
        Column("code", "link"),
        Column("name"),
        Column("category"),
        Column("list_price", "money"),
        Column("status", "enum", enum_prefix="product_status"),
    ],
    detail=[
        Column("code"),
        Column("name"),
        Column("name_en"),
        Column("category"),
        Column("status", "enum", enum_prefix="product_status"),
        Column("list_price", "money"),
        Column("unit_cost", "money"),
        Column("description", "multiline"),
        Column("spec", "json"),
        Column("updated_at", "datetime"),
    ],
    filters=[
        Filter("q"),
        Filter("category"),
        Filter("status", "enum", enum=ProductStatus, enum_prefix="product_status"),
    ],
    sections=_product_sections,
)
add_routes(router, PRODUCTS)

# ------------------------------------------------------------------------------------ offerings

SERVICE_ITEMS = Field(
    "service_items",
    kind="table",
    extra_rows=3,
    columns=(
        Field(
            "kind",
            kind="enum",
            enum=ServiceKind,
            enum_prefix="service_kind",
            required=True,
            label="field.service_kind",
        ),
        Field("name", required=True),
        Field("name_en"),
        Field("included", kind="checkbox", default=True),
        Field("price", kind="decimal"),
    ),
)

ITEM_COLUMNS = [
    Column("line_no"),
    Column("kind", "enum", enum_prefix="service_kind", label="field.service_kind"),
    Column("name"),
    Column("name_en"),
    Column("included", "bool"),
    Column("price", "money"),
]
SLA_COLUMNS = [
    Column("priority", "enum", enum_prefix="priority"),
    Column("response_hours", "num"),
    Column("resolution_hours", "num"),
]


def _sla_rows(o: Offering) -> list[Any]:
    per = (o.sla or {}).get("per_priority", {})
    return [SimpleNamespace(priority=p.value, **per[p.value]) for p in Priority if p.value in per]


def _offering_initial(w, o: Offering) -> dict[str, Any]:  # noqa: ANN001
    values = {
        "sla.availability_target_pct": ""
        if o.availability_target_pct is None
        else format(o.availability_target_pct.normalize(), "f")
    }
    for r in _sla_rows(o):
        for c in ("response_hours", "resolution_hours"):
            values[f"sla.per_priority.{r.priority}.{c}"] = f"{float(getattr(r, c)):g}"
    return values


def _offering_sections(w, o):  # noqa: ANN001, ANN202
    out = [
        table_section(w, "section.sla", SLA_COLUMNS, _sla_rows(o)),
        table_section(w, "field.service_items", ITEM_COLUMNS, list(o.service_items)),
    ]
    related = links_section(
        w,
        "section.related",
        [
            ("nav.contracts", f"/contracts?offering_id={o.id}", "contracts:read"),
        ],
    )
    return out + ([related] if related else [])


OFFERINGS = EntitySpec(
    name="offerings",
    id_param="offering_id",
    singular="entity.offering",
    plural="nav.offerings",
    model=Offering,
    title=lambda o: f"{o.code} {o.name}",
    read_perm="catalog:read",
    create_perm="catalog:write",
    update_perm="catalog:write",
    list_fn=service.list_offerings,
    get_fn=service.get_offering,
    create_schema=OfferingCreate,
    update_schema=OfferingUpdate,
    create_fn=lambda s, data, w: service.create_offering(s, data),
    update_fn=lambda s, id_, data, w: service.update_offering(s, id_, data),
    fields=[
        Field("code", required=True),
        Field("name", required=True),
        Field("name_en"),
        Field("product_id", kind="select", options=product_options, required=True),
        Field("price_model", kind="enum", enum=PriceModel, enum_prefix="price_model", required=True),
        Field("status", kind="enum", enum=OfferingStatus, enum_prefix="offering_status", required=True),
        Field("currency", required=True),
        Field("one_time_price", kind="decimal"),
        Field("periodic_fee", kind="decimal"),
        Field("billing_period", kind="enum", enum=BillingPeriod, enum_prefix="billing_period", required=True),
        Field("usage_unit"),
        Field("usage_unit_price", kind="decimal"),
        Field("description", kind="textarea"),
        Field("sla", kind="sla", enum=Priority, label="section.sla"),
        SERVICE_ITEMS,
    ],
    defaults=lambda w: {
        "status": OfferingStatus.draft.value,
        "currency": "CNY",
        "billing_period": BillingPeriod.month.value,
    },
    initial=_offering_initial,
    aliases={"availability_target_pct": "sla.availability_target_pct"},
    columns=[
        Column("code", "link"),
        Column("name"),
        Column("product_id", "ref", ref="products"),
        Column("price_model", "enum", enum_prefix="price_model"),
        Column("status", "enum", enum_prefix="offering_status"),
    ],
    detail=[
        Column("code"),
        Column("name"),
        Column("name_en"),
        Column("product_id", "ref", ref="products"),
        Column("price_model", "enum", enum_prefix="price_model"),
        Column("status", "enum", enum_prefix="offering_status"),
        Column("currency"),
        Column("one_time_price", "money"),
        Column("periodic_fee", "money"),
        Column("billing_period", "enum", enum_prefix="billing_period"),
        Column("usage_unit"),
        Column("usage_unit_price", "num"),
        Column("availability_target_pct", "num"),
        Column("description", "multiline"),
        Column("updated_at", "datetime"),
    ],
    filters=[
        Filter("q"),
        Filter("product_id", "select", options=product_options),
        Filter("price_model", "enum", enum=PriceModel, enum_prefix="price_model"),
        Filter("status", "enum", enum=OfferingStatus, enum_prefix="offering_status"),
    ],
    sections=_offering_sections,
)
add_routes(router, OFFERINGS)
