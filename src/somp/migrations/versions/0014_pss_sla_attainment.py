"""pss (2.1.6, 1.3.1): SLA attainment stored per contract and month (availability from outages,
response and resolution clocks of work orders and after-sales tickets), read by the evaluation's
SLA-attainment indicator and the customer portal

Revision ID: 0014_pss_sla_attainment
Revises: 0013_pss_design_delivery
Create Date: 2026-11-22 09:02:28.941195
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0014_pss_sla_attainment"
down_revision: str | Sequence[str] | None = "0013_pss_design_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pss_sla_attainment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("calendar", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("assets", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agreed_hours", sa.Float(), nullable=True),
        sa.Column("downtime_hours", sa.Float(), nullable=False),
        sa.Column("outages", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("monitored_outages", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("availability_pct", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("availability_target_pct", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("availability_met", sa.Boolean(), nullable=True),
        sa.Column("mtrs_hours", sa.Float(), nullable=True),
        sa.Column("mtbf_hours", sa.Float(), nullable=True),
        sa.Column("mtbsi_hours", sa.Float(), nullable=True),
        sa.Column("work_orders", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tickets", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("response_met", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("response_breached", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("response_pending", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resolution_met", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resolution_breached", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("resolution_pending", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("response_attainment_pct", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("resolution_attainment_pct", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("attained", sa.Boolean(), nullable=True),
        sa.Column("breached", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=op.f("fk_pss_sla_attainment_tenant_id_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_pss_sla_attainment_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_sla_attainment_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_sla_attainment")),
        sa.UniqueConstraint(
            "tenant_id", "contract_id", "period", name=op.f("uq_pss_sla_attainment_tenant_id_contract_id_period")
        ),
    )
    with op.batch_alter_table("pss_sla_attainment", schema=None) as batch_op:
        batch_op.create_index("ix_pss_sla_attainment_period", ["tenant_id", "period"], unique=False)
        batch_op.create_index(batch_op.f("ix_pss_sla_attainment_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pss_sla_attainment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_sla_attainment_tenant_id"))
        batch_op.drop_index("ix_pss_sla_attainment_period")

    op.drop_table("pss_sla_attainment")
