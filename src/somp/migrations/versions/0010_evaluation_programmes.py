"""evaluation programmes (1.3.1, 1.3.4; issue 4): the standards catalogue (platform rows), an
enterprise's conformance self-checks against a standard's clauses, recognition programme
applications (enterprise or region applicant) with their criteria checks, and stored regions with
yearly statistics and member enterprises

Revision ID: 0010_evaluation_programmes
Revises: 0009_aftersales
Create Date: 2026-11-22 08:09:39.430481

The built-in catalogue (data/standards.yaml) is not inserted here: the service stores it on first
use, as it does the default maturity system.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_evaluation_programmes"
down_revision: str | Sequence[str] | None = "0009_aftersales"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_regions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("area_km2", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_evaluation_regions_code")),
    )
    op.create_table(
        "evaluation_standards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=True),
        sa.Column("title_zh", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "drafting",
                "published",
                name="standard_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("year", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("framework", sa.JSON(), nullable=False),
        sa.Column("counts_toward_target", sa.Boolean(), nullable=False),
        sa.Column("verification", sa.String(length=20), nullable=False),
        sa.Column("source_note", sa.Text(), nullable=False),
        sa.Column("clauses", sa.JSON(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_standards")),
        sa.UniqueConstraint("key", name=op.f("uq_evaluation_standards_key")),
    )
    op.create_table(
        "evaluation_region_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("region_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("som", sa.Boolean(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["evaluation_regions.id"],
            name=op.f("fk_evaluation_region_members_region_id_evaluation_regions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_evaluation_region_members_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_region_members")),
        sa.UniqueConstraint("region_id", "tenant_id", name=op.f("uq_evaluation_region_members_region_id_tenant_id")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_region_members_tenant_id_id"),
    )
    with op.batch_alter_table("evaluation_region_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_region_members_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_region_members_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "evaluation_region_statistics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("region_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("year", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["evaluation_regions.id"],
            name=op.f("fk_evaluation_region_statistics_region_id_evaluation_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_region_statistics")),
        sa.UniqueConstraint(
            "region_id", "year", "name", name=op.f("uq_evaluation_region_statistics_region_id_year_name")
        ),
    )
    with op.batch_alter_table("evaluation_region_statistics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_region_statistics_region_id"), ["region_id"], unique=False)

    op.create_table(
        "evaluation_applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("region_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("programme", sa.String(length=60), nullable=False),
        sa.Column("programme_hash", sa.String(length=16), nullable=False),
        sa.Column("year", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "under_review",
                "approved",
                "rejected",
                "returned",
                name="application_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("declared", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_evaluation_applications_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["evaluation_regions.id"],
            name=op.f("fk_evaluation_applications_region_id_evaluation_regions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_evaluation_applications_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_evaluation_applications_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_applications")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_applications_tenant_id_id"),
    )
    with op.batch_alter_table("evaluation_applications", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_applications_programme", ["programme", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_applications_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_applications_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "evaluation_conformance_checks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("standard_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("standard_code", sa.String(length=60), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_evaluation_conformance_checks_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["evaluation_standards.id"],
            name=op.f("fk_evaluation_conformance_checks_standard_id_evaluation_standards"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_evaluation_conformance_checks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_conformance_checks")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_conformance_checks_tenant_id_id"),
    )
    with op.batch_alter_table("evaluation_conformance_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_conformance_checks_standard_id"), ["standard_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_conformance_checks_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_conformance_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_conformance_checks_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_conformance_checks_standard_id"))

    op.drop_table("evaluation_conformance_checks")
    with op.batch_alter_table("evaluation_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_applications_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_applications_region_id"))
        batch_op.drop_index("ix_evaluation_applications_programme")

    op.drop_table("evaluation_applications")
    with op.batch_alter_table("evaluation_region_statistics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_region_statistics_region_id"))

    op.drop_table("evaluation_region_statistics")
    with op.batch_alter_table("evaluation_region_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_region_members_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_region_members_region_id"))

    op.drop_table("evaluation_region_members")
    op.drop_table("evaluation_standards")
    op.drop_table("evaluation_regions")
