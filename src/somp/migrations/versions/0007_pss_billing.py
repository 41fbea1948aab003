"""pss (2.1.2): price plans and SLA terms per contract, billing runs with their per-contract
outcomes, and billed periods (unique contract + month: a billing run is idempotent)

Revision ID: 0007_pss_billing
Revises: 0006_shared_manufacturing
Create Date: 2026-11-22 08:14:11.959124
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_pss_billing"
down_revision: str | Sequence[str] | None = "0006_shared_manufacturing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pss_billing_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("contracts", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("invoices", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("credit_notes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("skipped", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("net_invoiced", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("net_credited", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("skip_reasons", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_billing_runs_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_billing_runs")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_billing_runs_tenant_id_id"),
    )
    with op.batch_alter_table("pss_billing_runs", schema=None) as batch_op:
        batch_op.create_index("ix_pss_billing_runs_period", ["tenant_id", "period"], unique=False)
        batch_op.create_index(batch_op.f("ix_pss_billing_runs_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_price_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "model",
            sa.Enum(
                "one_time_sale",
                "subscription",
                "pay_per_use",
                "availability_based",
                name="pss_price_model",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("price", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("sold_on", sa.Date(), nullable=True),
        sa.Column("fee", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("included", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("minimum_charge", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("bands", sa.JSON(), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=op.f("fk_pss_price_plans_tenant_id_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_price_plans_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_price_plans")),
        sa.UniqueConstraint("tenant_id", "contract_id", name=op.f("uq_pss_price_plans_tenant_id_contract_id")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_price_plans_tenant_id_id"),
    )
    with op.batch_alter_table("pss_price_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_price_plans_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_sla_terms",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("availability_target_pct", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("calendar", sa.String(length=40), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("mttr_hours", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("availability_credit_pct", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("breach_credit", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("credit_cap_pct", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=op.f("fk_pss_sla_terms_tenant_id_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_sla_terms_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_sla_terms")),
        sa.UniqueConstraint("tenant_id", "contract_id", name=op.f("uq_pss_sla_terms_tenant_id_contract_id")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_sla_terms_tenant_id_id"),
    )
    with op.batch_alter_table("pss_sla_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_sla_terms_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_billed_periods",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("credit_note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=op.f("fk_pss_billed_periods_tenant_id_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_pss_billed_periods_tenant_id_credit_note_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_pss_billed_periods_tenant_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["pss_billing_runs.tenant_id", "pss_billing_runs.id"],
            name=op.f("fk_pss_billed_periods_tenant_id_run_id_pss_billing_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_billed_periods_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_billed_periods")),
        sa.UniqueConstraint(
            "tenant_id", "contract_id", "period", name=op.f("uq_pss_billed_periods_tenant_id_contract_id_period")
        ),
    )
    with op.batch_alter_table("pss_billed_periods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_billed_periods_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_billing_run_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_number", sa.String(length=64), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "billed", "skipped", name="pss_billing_outcome", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("credit_note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("net_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("credit_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("usage", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("availability_pct", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=op.f("fk_pss_billing_run_items_tenant_id_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_pss_billing_run_items_tenant_id_credit_note_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name=op.f("fk_pss_billing_run_items_tenant_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["pss_billing_runs.tenant_id", "pss_billing_runs.id"],
            name=op.f("fk_pss_billing_run_items_tenant_id_run_id_pss_billing_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_billing_run_items_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_billing_run_items")),
    )
    with op.batch_alter_table("pss_billing_run_items", schema=None) as batch_op:
        batch_op.create_index("ix_pss_billing_run_items_run", ["tenant_id", "run_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pss_billing_run_items_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pss_billing_run_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_billing_run_items_tenant_id"))
        batch_op.drop_index("ix_pss_billing_run_items_run")

    op.drop_table("pss_billing_run_items")
    with op.batch_alter_table("pss_billed_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_billed_periods_tenant_id"))

    op.drop_table("pss_billed_periods")
    with op.batch_alter_table("pss_sla_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_sla_terms_tenant_id"))

    op.drop_table("pss_sla_terms")
    with op.batch_alter_table("pss_price_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_price_plans_tenant_id"))

    op.drop_table("pss_price_plans")
    with op.batch_alter_table("pss_billing_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_billing_runs_tenant_id"))
        batch_op.drop_index("ix_pss_billing_runs_period")

    op.drop_table("pss_billing_runs")
