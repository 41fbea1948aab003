"""Records of the offering configurator and C2M orders (framework nodes 3.2 customised services /
C2M and 2.1.2 product-service combination design).

* :class:`ConfigurableOffering` — a catalog offering (kernel ``offerings``) sold configured: its
  code, names and the number of its current model version.
* :class:`ConfigurationModel` — one version of its configuration model (option groups of product
  variants, service levels and add-ons, rules, price effects, numeric attributes), stored as the
  validated document (:mod:`somp.modules.customization.document`). A version row is never changed:
  an edit adds the next version, so an order keeps naming the model it was configured on.
* :class:`C2MOrder` — a confirmed configuration: the production order (released -> in production
  -> completed -> delivered, or cancelled) with the customer's choices, the completed selection,
  the price and the draft contract created with it; :class:`C2MOrderLine` is its bill of options
  (base, chosen options, price effects, each with its price).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import JSON, Base, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum


class ConfigurableStatus(enum.StrEnum):
    active = "active"
    retired = "retired"


class LineKind(enum.StrEnum):
    """A line of an order's bill of options."""

    base = "base"
    variant = "variant"
    service_level = "service_level"
    addon = "addon"
    price_effect = "price_effect"


class C2MStatus(enum.StrEnum):
    released = "released"  # released to production
    in_production = "in_production"
    completed = "completed"  # production finished
    delivered = "delivered"
    cancelled = "cancelled"


S = C2MStatus
C2M_TRANSITIONS: dict[C2MStatus, frozenset[C2MStatus]] = {
    S.released: frozenset({S.in_production, S.cancelled}),
    S.in_production: frozenset({S.completed, S.cancelled}),
    S.completed: frozenset({S.delivered}),
    S.delivered: frozenset(),
    S.cancelled: frozenset(),
}


class ConfigurableOffering(TenantOwned, Timestamped, Base):
    __tablename__ = "configurable_offerings"
    __table_args__ = (
        tenant_key("configurable_offerings"),
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("offering_id", "offerings"),
        Index("ix_configurable_offerings_offering", "tenant_id", "offering_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    offering_id: Mapped[int]
    status: Mapped[ConfigurableStatus] = mapped_column(
        str_enum(ConfigurableStatus, "configurable_status"), default=ConfigurableStatus.active
    )
    current_version: Mapped[int] = mapped_column(default=0)


class ConfigurationModel(TenantOwned, Base):
    """One version of an offering's configuration model (never changed once stored)."""

    __tablename__ = "configuration_models"
    __table_args__ = (
        tenant_key("configuration_models"),
        UniqueConstraint("configurable_id", "number"),
        tenant_fk("configurable_id", "configurable_offerings", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    configurable_id: Mapped[int] = mapped_column(index=True)
    number: Mapped[int]  # 1, 2, ... per configurable offering
    content_hash: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    option_count: Mapped[int]
    rule_count: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class C2MOrder(TenantOwned, Timestamped, Base):
    """A confirmed configuration released to production (a C2M production order)."""

    __tablename__ = "c2m_orders"
    __customer_column__ = "customer_id"  # a customer user sees their own customer's orders
    __table_args__ = (
        tenant_key("c2m_orders"),
        UniqueConstraint("tenant_id", "number"),
        tenant_fk("configurable_id", "configurable_offerings"),
        tenant_fk("model_id", "configuration_models"),
        tenant_fk("customer_id", "customers"),
        tenant_fk("contract_id", "contracts"),
        Index("ix_c2m_orders_tenant_status", "tenant_id", "status"),
        Index("ix_c2m_orders_tenant_customer", "tenant_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    configurable_id: Mapped[int]
    model_id: Mapped[int]
    model_version: Mapped[int]
    customer_id: Mapped[int]
    contract_id: Mapped[int | None]
    status: Mapped[C2MStatus] = mapped_column(str_enum(C2MStatus, "c2m_status"), default=C2MStatus.released)
    quantity: Mapped[int] = mapped_column(default=1)
    choices: Mapped[dict[str, Any]] = mapped_column(JSON)  # the customer's {option: chosen?}
    requirements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {attribute: [low, high]}
    selected: Mapped[list[Any]] = mapped_column(JSON)  # the completed configuration's option codes
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {attribute: value as text}
    unit_price: Mapped[Decimal]
    total_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    due_date: Mapped[dt.date | None]
    released_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)


class C2MOrderLine(TenantOwned, Base):
    """A line of a C2M order's bill of options (its tenant is copied from the order)."""

    __tablename__ = "c2m_order_lines"
    __tenant_from_parent__ = True
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        tenant_fk("order_id", "c2m_orders", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(index=True)
    line_no: Mapped[int]
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "c2m_line_kind"))
    group_code: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))  # option, price effect or offering code
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    product_code: Mapped[str | None] = mapped_column(String(64))  # the catalog product of a variant
    unit_price: Mapped[Decimal]
