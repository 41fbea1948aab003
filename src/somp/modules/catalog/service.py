"""Catalog service: products with their bill of materials, offerings with service items and SLA
(framework node 2.1.2). No HTTP here: functions take a scoped session and schema objects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.errors import FieldError, ValidationFailed
from somp.core.pagination import Order
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.modules.catalog.models import (
    Offering,
    OfferingServiceItem,
    OfferingStatus,
    PriceModel,
    Product,
    ProductBomItem,
    ProductStatus,
)
from somp.modules.catalog.schemas import (
    BomItemIn,
    OfferingCreate,
    OfferingUpdate,
    ProductCreate,
    ProductUpdate,
    ServiceItemIn,
    SlaTerms,
)


def _bom(items: list[BomItemIn]) -> list[ProductBomItem]:
    return [ProductBomItem(line_no=i, **it.model_dump()) for i, it in enumerate(items, start=1)]


def create_product(session: Session, data: ProductCreate) -> Product:
    ensure_unique(session, Product, "code", data.code)
    product = Product(**data.model_dump(exclude={"bom"}), bom=_bom(data.bom))
    session.add(product)
    session.flush()
    return product


def get_product(session: Session, product_id: int) -> Product:
    return get_or_404(session, Product, product_id, "product")


def update_product(session: Session, product_id: int, data: ProductUpdate) -> Product:
    product = get_product(session, product_id)
    check_version(product, data.version)
    changes = data.model_dump(exclude_unset=True, exclude={"bom", "version"})
    apply_changes(product, changes)
    if data.bom is not None:
        product.bom.clear()
        session.flush()
        product.bom.extend(_bom(data.bom))
    session.flush()
    return product


def list_products(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    category: str | None = None,
    status: ProductStatus | None = None,
    q: str | None = None,
) -> tuple[list[Product], str | None]:
    stmt = select(Product)
    if category:
        stmt = stmt.where(Product.category == category)
    if status:
        stmt = stmt.where(Product.status == status)
    if q:
        stmt = stmt.where(
            Product.code.icontains(q, autoescape=True)
            | Product.name.icontains(q, autoescape=True)
            | Product.name_en.icontains(q, autoescape=True)
        )
    return list_page(session, stmt, Product, limit=limit, cursor=cursor, order=order)


def _service_items(items: list[ServiceItemIn]) -> list[OfferingServiceItem]:
    return [OfferingServiceItem(line_no=i, **it.model_dump()) for i, it in enumerate(items, start=1)]


def sla_columns(sla: SlaTerms | None) -> dict[str, Any]:
    """The stored form of SLA terms: the availability column and the per-priority JSON."""
    if sla is None:
        return {"availability_target_pct": None, "sla": {}}
    return {
        "availability_target_pct": sla.availability_target_pct,
        "sla": {"per_priority": {p.value: rr.model_dump() for p, rr in sla.per_priority.items()}}
        | ({"predictive_rul_hours": sla.predictive_rul_hours} if sla.predictive_rul_hours is not None else {}),
    }


PRICE_FIELDS = {
    PriceModel.one_time_sale: ("one_time_price",),
    PriceModel.subscription: ("periodic_fee",),
    PriceModel.pay_per_use: ("usage_unit", "usage_unit_price"),
    PriceModel.availability_based: ("periodic_fee", "availability_target_pct"),
}


def check_offering_terms(offering: Offering) -> None:
    """An offering's prices must fit its price model (checked on the stored state after a change)."""
    missing = [f for f in PRICE_FIELDS[offering.price_model] if getattr(offering, f) is None]
    if missing:
        raise ValidationFailed(
            f"price model {offering.price_model.value} needs {', '.join(missing)}",
            [FieldError(f, f"required by price model {offering.price_model.value}", "required") for f in missing],
        )


def create_offering(session: Session, data: OfferingCreate) -> Offering:
    ensure_unique(session, Offering, "code", data.code)
    product = require_ref(session, Product, data.product_id, "product_id", "product")
    if product.status == ProductStatus.discontinued and data.status == OfferingStatus.active:
        raise ValidationFailed(
            "invalid reference", [FieldError("product_id", "product is discontinued", "discontinued")]
        )
    fields = data.model_dump(exclude={"sla", "service_items"})
    offering = Offering(**fields, **sla_columns(data.sla), service_items=_service_items(data.service_items))
    check_offering_terms(offering)
    session.add(offering)
    session.flush()
    return offering


def get_offering(session: Session, offering_id: int) -> Offering:
    return get_or_404(session, Offering, offering_id, "offering")


def update_offering(session: Session, offering_id: int, data: OfferingUpdate) -> Offering:
    offering = get_offering(session, offering_id)
    check_version(offering, data.version)
    changes = data.model_dump(exclude_unset=True, exclude={"sla", "service_items", "version"})
    apply_changes(offering, changes)
    if "sla" in data.model_fields_set:
        apply_changes(offering, sla_columns(data.sla))
    if data.service_items is not None:
        offering.service_items.clear()
        session.flush()
        offering.service_items.extend(_service_items(data.service_items))
    check_offering_terms(offering)
    session.flush()
    return offering


def list_offerings(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    product_id: int | None = None,
    price_model: PriceModel | None = None,
    status: OfferingStatus | None = None,
    q: str | None = None,
) -> tuple[list[Offering], str | None]:
    stmt = select(Offering)
    if product_id:
        stmt = stmt.where(Offering.product_id == product_id)
    if price_model:
        stmt = stmt.where(Offering.price_model == price_model)
    if status:
        stmt = stmt.where(Offering.status == status)
    if q:
        stmt = stmt.where(
            Offering.code.icontains(q, autoescape=True)
            | Offering.name.icontains(q, autoescape=True)
            | Offering.name_en.icontains(q, autoescape=True)
        )
    return list_page(session, stmt, Offering, limit=limit, cursor=cursor, order=order)
