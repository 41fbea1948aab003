"""customization (3.2, 2.1.2): configurable offerings on top of the catalog's offerings, versioned
configuration models (the validated model document per version, never changed), C2M production
orders (released -> in production -> completed -> delivered) with their bill of options

Revision ID: 0008_customization
Revises: 0007_pss_billing
Create Date: 2026-11-22 08:09:34.690419
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_customization"
down_revision: str | Sequence[str] | None = "0007_pss_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "configurable_offerings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("offering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "retired", name="configurable_status", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("current_version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "offering_id"],
            ["offerings.tenant_id", "offerings.id"],
            name=op.f("fk_configurable_offerings_tenant_id_offering_id_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_configurable_offerings_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_configurable_offerings")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_configurable_offerings_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_configurable_offerings_tenant_id_id"),
    )
    with op.batch_alter_table("configurable_offerings", schema=None) as batch_op:
        batch_op.create_index("ix_configurable_offerings_offering", ["tenant_id", "offering_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_configurable_offerings_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "configuration_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("configurable_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("content_hash", sa.String(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("option_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_configuration_models_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "configurable_id"],
            ["configurable_offerings.tenant_id", "configurable_offerings.id"],
            name=op.f("fk_configuration_models_tenant_id_configurable_id_configurable_offerings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_configuration_models_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_configuration_models")),
        sa.UniqueConstraint("configurable_id", "number", name=op.f("uq_configuration_models_configurable_id_number")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_configuration_models_tenant_id_id"),
    )
    with op.batch_alter_table("configuration_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_configuration_models_configurable_id"), ["configurable_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_configuration_models_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "c2m_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("configurable_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "released",
                "in_production",
                "completed",
                "delivered",
                "cancelled",
                name="c2m_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("selected", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "configurable_id"],
            ["configurable_offerings.tenant_id", "configurable_offerings.id"],
            name=op.f("fk_c2m_orders_tenant_id_configurable_id_configurable_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=op.f("fk_c2m_orders_tenant_id_contract_id_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_c2m_orders_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "model_id"],
            ["configuration_models.tenant_id", "configuration_models.id"],
            name=op.f("fk_c2m_orders_tenant_id_model_id_configuration_models"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_c2m_orders_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_c2m_orders")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_c2m_orders_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_c2m_orders_tenant_id_number")),
    )
    with op.batch_alter_table("c2m_orders", schema=None) as batch_op:
        batch_op.create_index("ix_c2m_orders_tenant_customer", ["tenant_id", "customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_c2m_orders_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_c2m_orders_tenant_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "c2m_order_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "base",
                "variant",
                "service_level",
                "addon",
                "price_effect",
                name="c2m_line_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("group_code", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["c2m_orders.tenant_id", "c2m_orders.id"],
            name=op.f("fk_c2m_order_lines_tenant_id_order_id_c2m_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_c2m_order_lines_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_c2m_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_c2m_order_lines_order_id_line_no")),
    )
    with op.batch_alter_table("c2m_order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_c2m_order_lines_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_c2m_order_lines_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("c2m_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_c2m_order_lines_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_c2m_order_lines_order_id"))

    op.drop_table("c2m_order_lines")
    with op.batch_alter_table("c2m_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_c2m_orders_tenant_status")
        batch_op.drop_index(batch_op.f("ix_c2m_orders_tenant_id"))
        batch_op.drop_index("ix_c2m_orders_tenant_customer")

    op.drop_table("c2m_orders")
    with op.batch_alter_table("configuration_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_configuration_models_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_configuration_models_configurable_id"))

    op.drop_table("configuration_models")
    with op.batch_alter_table("configurable_offerings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_configurable_offerings_tenant_id"))
        batch_op.drop_index("ix_configurable_offerings_offering")

    op.drop_table("configurable_offerings")
