"""Installed assets and their lifecycle: framework node 3.6 (全生命周期管理).

An asset is one physical product unit (a serial number) from manufacture to recycling. Its
lifecycle state changes only through :mod:`somp.modules.assets.lifecycle`, and each change is
kept in ``asset_state_changes`` (the asset's timeline).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import Base, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum
from somp.modules.assets.lifecycle import AssetState


class Asset(TenantOwned, Timestamped, Base):
    __tablename__ = "assets"
    __customer_column__ = "customer_id"  # a customer user sees the rows where this equals their customer
    __table_args__ = (
        tenant_key("assets"),
        UniqueConstraint("tenant_id", "serial_number"),
        tenant_fk("product_id", "products"),
        tenant_fk("customer_id", "customers"),
        Index("ix_assets_tenant_state", "tenant_id", "state"),
        Index("ix_assets_tenant_customer", "tenant_id", "customer_id"),
        Index("ix_assets_tenant_product", "tenant_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_number: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int]
    customer_id: Mapped[int | None]
    state: Mapped[AssetState] = mapped_column(str_enum(AssetState, "asset_state"), default=AssetState.manufactured)
    state_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    site_name: Mapped[str | None] = mapped_column(String(200))
    site_address: Mapped[str | None] = mapped_column(String(300))
    site_region_code: Mapped[str | None] = mapped_column(String(6))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    manufactured_on: Mapped[dt.date | None]
    delivered_on: Mapped[dt.date | None]
    installed_on: Mapped[dt.date | None]
    commissioned_on: Mapped[dt.date | None]
    warranty_until: Mapped[dt.date | None]
    retired_on: Mapped[dt.date | None]
    notes: Mapped[str | None] = mapped_column(Text)


class AssetStateChange(TenantOwned, Base):
    """One step of an asset's lifecycle (its timeline)."""

    __tablename__ = "asset_state_changes"
    __table_args__ = (
        tenant_fk("asset_id", "assets", ondelete="CASCADE"),
        Index("ix_asset_state_changes_asset", "tenant_id", "asset_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int]
    from_state: Mapped[AssetState | None] = mapped_column(str_enum(AssetState, "from_state"))
    to_state: Mapped[AssetState] = mapped_column(str_enum(AssetState, "to_state"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="manual")


class DeviceToken(TenantOwned, Base):
    """A per-device credential: lets one asset's gateway send telemetry, nothing else."""

    __tablename__ = "device_tokens"
    __table_args__ = (UniqueConstraint("prefix"), tenant_fk("asset_id", "assets", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(12))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
