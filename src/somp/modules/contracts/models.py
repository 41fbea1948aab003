"""Service contracts: a customer buys an offering for a set of assets over a term.

Framework nodes 2.1.2 (SLA, pricing terms as agreed) and 1.2.1 (customer relationship). A
contract that renews or extends an earlier one points at it (``renewal_of_id``); signed
contracts per customer are the data behind the customer repurchase rate.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import Base, Quantity, TenantOwned, Timestamped, tenant_fk, tenant_key
from somp.core.identity import str_enum


class ContractStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    suspended = "suspended"
    expired = "expired"
    terminated = "terminated"
    cancelled = "cancelled"


CONTRACT_TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.draft: frozenset({ContractStatus.active, ContractStatus.cancelled}),
    ContractStatus.active: frozenset({ContractStatus.suspended, ContractStatus.expired, ContractStatus.terminated}),
    ContractStatus.suspended: frozenset({ContractStatus.active, ContractStatus.terminated}),
    ContractStatus.expired: frozenset(),
    ContractStatus.terminated: frozenset(),
    ContractStatus.cancelled: frozenset(),
}


class Contract(TenantOwned, Timestamped, Base):
    __tablename__ = "contracts"
    __customer_column__ = "customer_id"  # a customer user sees the rows where this equals their customer
    __table_args__ = (
        tenant_key("contracts"),
        UniqueConstraint("tenant_id", "number"),
        tenant_fk("customer_id", "customers"),
        tenant_fk("offering_id", "offerings"),
        tenant_fk("renewal_of_id", "contracts"),
        Index("ix_contracts_tenant_customer", "tenant_id", "customer_id"),
        Index("ix_contracts_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int]
    offering_id: Mapped[int]
    status: Mapped[ContractStatus] = mapped_column(
        str_enum(ContractStatus, "contract_status"), default=ContractStatus.draft
    )
    signed_on: Mapped[dt.date | None]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    renewal_of_id: Mapped[int | None]
    # agreed prices; NULL means "as in the offering"
    periodic_fee: Mapped[Decimal | None]
    usage_unit_price: Mapped[Decimal | None] = mapped_column(Quantity)
    total_value: Mapped[Decimal | None]
    notes: Mapped[str | None] = mapped_column(Text)


class ContractAsset(TenantOwned, Base):
    """An asset covered by a contract."""

    __tablename__ = "contract_assets"
    __tenant_from_parent__ = True
    __table_args__ = (
        UniqueConstraint("contract_id", "asset_id"),
        tenant_fk("contract_id", "contracts", ondelete="CASCADE"),
        tenant_fk("asset_id", "assets"),
        Index("ix_contract_assets_asset", "tenant_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int]
    asset_id: Mapped[int]
