"""Products and offerings (product-service systems): framework nodes 2.1.2 and 2.1.7 (PSS BOM).

An *offering* is what a manufacturer sells under servitisation: a product plus service items,
SLA terms and a price model (e.g. "compressed air as a service": compressor + monitoring +
maintenance, paid per m³ delivered).
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from somp.core.database import JSON, Base, Quantity, TenantOwned, Timestamped, tenant_fk, tenant_key
from somp.core.identity import str_enum


class ProductStatus(enum.StrEnum):
    active = "active"
    discontinued = "discontinued"


class PriceModel(enum.StrEnum):
    """How an offering is paid for (2.1.2 pricing)."""

    one_time_sale = "one_time_sale"
    subscription = "subscription"
    pay_per_use = "pay_per_use"
    availability_based = "availability_based"


class BillingPeriod(enum.StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class OfferingStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    retired = "retired"


class ServiceKind(enum.StrEnum):
    remote_monitoring = "remote_monitoring"
    preventive_maintenance = "preventive_maintenance"
    corrective_repair = "corrective_repair"
    predictive_maintenance = "predictive_maintenance"
    spare_parts = "spare_parts"
    consumables = "consumables"
    installation = "installation"
    training = "training"
    remote_support = "remote_support"
    energy_audit = "energy_audit"
    upgrade = "upgrade"
    recycling = "recycling"
    financing = "financing"
    other = "other"


class Priority(enum.StrEnum):
    """Incident priority; SLA response and resolution times are set per priority."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


class Product(TenantOwned, Timestamped, Base):
    __tablename__ = "products"
    __table_args__ = (tenant_key("products"), UniqueConstraint("tenant_id", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    list_price: Mapped[Decimal | None]
    unit_cost: Mapped[Decimal | None]
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus, "product_status"), default=ProductStatus.active
    )

    bom: Mapped[list[ProductBomItem]] = relationship(
        order_by="ProductBomItem.line_no", cascade="all, delete-orphan", lazy="selectin"
    )


class ProductBomItem(TenantOwned, Base):
    """A bill-of-materials line, owned by its product (its tenant is copied from the product)."""

    __tablename__ = "product_bom_items"
    __tenant_from_parent__ = True
    __table_args__ = (
        UniqueConstraint("product_id", "line_no"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(index=True)
    line_no: Mapped[int]
    part_number: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    unit_cost: Mapped[Decimal | None]
    spare_part: Mapped[bool] = mapped_column(default=False)


class Offering(TenantOwned, Timestamped, Base):
    """A product-service system offered to customers."""

    __tablename__ = "offerings"
    __table_args__ = (
        tenant_key("offerings"),
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("product_id", "products"),
        Index("ix_offerings_product", "tenant_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    product_id: Mapped[int]
    price_model: Mapped[PriceModel] = mapped_column(str_enum(PriceModel, "price_model"))
    status: Mapped[OfferingStatus] = mapped_column(
        str_enum(OfferingStatus, "offering_status"), default=OfferingStatus.draft
    )
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    one_time_price: Mapped[Decimal | None]
    periodic_fee: Mapped[Decimal | None]
    billing_period: Mapped[BillingPeriod] = mapped_column(
        str_enum(BillingPeriod, "billing_period"), default=BillingPeriod.month
    )
    usage_unit: Mapped[str | None] = mapped_column(String(16))
    usage_unit_price: Mapped[Decimal | None] = mapped_column(Quantity)
    # SLA terms: availability target and, per priority, response/resolution hours
    availability_target_pct: Mapped[Decimal | None] = mapped_column(Quantity)
    sla: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    service_items: Mapped[list[OfferingServiceItem]] = relationship(
        order_by="OfferingServiceItem.line_no", cascade="all, delete-orphan", lazy="selectin"
    )


class OfferingServiceItem(TenantOwned, Base):
    """A service item of an offering (its tenant is copied from the offering)."""

    __tablename__ = "offering_service_items"
    __tenant_from_parent__ = True
    __table_args__ = (
        UniqueConstraint("offering_id", "line_no"),
        tenant_fk("offering_id", "offerings", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(index=True)
    line_no: Mapped[int]
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind, "service_kind"))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    included: Mapped[bool] = mapped_column(default=True)
    price: Mapped[Decimal | None]
