"""Tenants (enterprises), users, roles and API tokens.

A tenant is an enterprise using somp: a manufacturer, an SME in a shared-manufacturing network.
Its identity follows the national codes: unified social credit code (GB 32100), industry
(GB/T 4754), administrative region (GB/T 2260) and size class. Users belong to one tenant, except
platform administrators and evaluators (industry associations, parks, local government), who
belong to none.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Enum, ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.cn_codes import SizeClass
from somp.core.database import Base, TenantOwned, utcnow


def str_enum(e: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR with a CHECK constraint, values are the enum values."""
    return Enum(
        e,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda x: [m.value for m in x],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    platform_admin = "platform_admin"
    tenant_admin = "tenant_admin"
    service_manager = "service_manager"
    engineer = "engineer"
    customer_user = "customer_user"
    evaluator = "evaluator"

    @property
    def is_tenant_role(self) -> bool:
        return self not in (Role.platform_admin, Role.evaluator)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    industry_code: Mapped[str] = mapped_column(String(5))
    region_code: Mapped[str] = mapped_column(String(6))
    size_class: Mapped[SizeClass] = mapped_column(str_enum(SizeClass, "size_class"))
    address: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(TenantOwned, Base):
    """A person who signs in. ``tenant_id`` is NULL for platform administrators and evaluators."""

    __tablename__ = "users"
    __tenant_optional__ = True
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    customer_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


class ApiToken(TenantOwned, Base):
    """A bearer token for the API, acting as its user (``tenant_id`` copies the user's)."""

    __tablename__ = "api_tokens"
    __tenant_optional__ = True
    __table_args__ = (UniqueConstraint("prefix"), Index("ix_api_tokens_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(12))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
