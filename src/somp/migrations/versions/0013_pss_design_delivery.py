"""pss (2.1.2, 2.1.5): versioned service blueprints per offering, product component lists and
product-service interfaces, delivery projects per contract with their stages and event log

Revision ID: 0013_pss_design_delivery
Revises: 0012_pss_requirements
Create Date: 2026-11-22 09:02:03.311240
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0013_pss_design_delivery"
down_revision: str | Sequence[str] | None = "0012_pss_requirements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pss_product_components",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("part_number", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_pss_product_components_tenant_id_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_product_components_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_product_components")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_product_components_tenant_id_id"),
        sa.UniqueConstraint(
            "tenant_id", "product_id", "code", name=op.f("uq_pss_product_components_tenant_id_product_id_code")
        ),
    )
    with op.batch_alter_table("pss_product_components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_product_components_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_blueprint_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("offering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("step_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("fail_points", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "offering_id"],
            ["offerings.tenant_id", "offerings.id"],
            name=op.f("fk_pss_blueprint_versions_tenant_id_offering_id_offerings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_blueprint_versions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_blueprint_versions")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_blueprint_versions_tenant_id_id"),
        sa.UniqueConstraint(
            "tenant_id", "offering_id", "number", name=op.f("uq_pss_blueprint_versions_tenant_id_offering_id_number")
        ),
    )
    with op.batch_alter_table("pss_blueprint_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_blueprint_versions_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_service_interfaces",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("offering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("service_line_no", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("component_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "installs",
                "monitors",
                "inspects",
                "maintains",
                "repairs",
                "replaces",
                "upgrades",
                "recycles",
                name="pss_interface_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "component_id"],
            ["pss_product_components.tenant_id", "pss_product_components.id"],
            name=op.f("fk_pss_service_interfaces_tenant_id_component_id_pss_product_components"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "offering_id"],
            ["offerings.tenant_id", "offerings.id"],
            name=op.f("fk_pss_service_interfaces_tenant_id_offering_id_offerings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_service_interfaces_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_service_interfaces")),
        sa.UniqueConstraint(
            "tenant_id",
            "offering_id",
            "service_line_no",
            "component_id",
            name=op.f("uq_pss_service_interfaces_tenant_id_offering_id_service_line_no_component_id"),
        ),
    )
    with op.batch_alter_table("pss_service_interfaces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_service_interfaces_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_delivery_projects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("contract_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "accepted",
                "cancelled",
                name="pss_delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("commission_attempts", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("commissioned_on", sa.Date(), nullable=True),
        sa.Column("first_time_right", sa.Boolean(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=op.f("fk_pss_delivery_projects_tenant_id_contract_id_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_pss_delivery_projects_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_delivery_projects_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_delivery_projects")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_delivery_projects_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_pss_delivery_projects_tenant_id_number")),
    )
    with op.batch_alter_table("pss_delivery_projects", schema=None) as batch_op:
        batch_op.create_index("ix_pss_delivery_projects_accepted", ["tenant_id", "accepted_on"], unique=False)
        batch_op.create_index("ix_pss_delivery_projects_contract", ["tenant_id", "contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pss_delivery_projects_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_delivery_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "plan",
                "ship",
                "install",
                "commission",
                "acceptance",
                name="pss_delivery_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "started",
                "completed",
                "failed",
                "cancelled",
                name="pss_delivery_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["pss_delivery_projects.tenant_id", "pss_delivery_projects.id"],
            name=op.f("fk_pss_delivery_events_tenant_id_project_id_pss_delivery_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_delivery_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_delivery_events")),
    )
    with op.batch_alter_table("pss_delivery_events", schema=None) as batch_op:
        batch_op.create_index("ix_pss_delivery_events_project", ["tenant_id", "project_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pss_delivery_events_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_delivery_stages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "plan",
                "ship",
                "install",
                "commission",
                "acceptance",
                name="pss_delivery_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_progress",
                "done",
                name="pss_delivery_stage_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["pss_delivery_projects.tenant_id", "pss_delivery_projects.id"],
            name=op.f("fk_pss_delivery_stages_tenant_id_project_id_pss_delivery_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_delivery_stages_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_delivery_stages")),
        sa.UniqueConstraint(
            "tenant_id", "project_id", "stage", name=op.f("uq_pss_delivery_stages_tenant_id_project_id_stage")
        ),
    )
    with op.batch_alter_table("pss_delivery_stages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_delivery_stages_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pss_delivery_stages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_delivery_stages_tenant_id"))

    op.drop_table("pss_delivery_stages")
    with op.batch_alter_table("pss_delivery_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_delivery_events_tenant_id"))
        batch_op.drop_index("ix_pss_delivery_events_project")

    op.drop_table("pss_delivery_events")
    with op.batch_alter_table("pss_delivery_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_delivery_projects_tenant_id"))
        batch_op.drop_index("ix_pss_delivery_projects_contract")
        batch_op.drop_index("ix_pss_delivery_projects_accepted")

    op.drop_table("pss_delivery_projects")
    with op.batch_alter_table("pss_service_interfaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_service_interfaces_tenant_id"))

    op.drop_table("pss_service_interfaces")
    with op.batch_alter_table("pss_blueprint_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_blueprint_versions_tenant_id"))

    op.drop_table("pss_blueprint_versions")
    with op.batch_alter_table("pss_product_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_product_components_tenant_id"))

    op.drop_table("pss_product_components")
