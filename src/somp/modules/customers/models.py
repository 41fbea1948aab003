"""Customers of a manufacturer: framework node 1.2.1 (客户管理)."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import Base, TenantOwned, Timestamped, tenant_key


class Customer(TenantOwned, Timestamped, Base):
    __tablename__ = "customers"
    __table_args__ = (tenant_key("customers"), UniqueConstraint("tenant_id", "code"))
    __customer_column__ = "id"  # a customer user sees the rows where this equals their customer

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    industry_code: Mapped[str | None] = mapped_column(String(5))
    region_code: Mapped[str | None] = mapped_column(String(6))
    contact_name: Mapped[str | None] = mapped_column(String(80))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
