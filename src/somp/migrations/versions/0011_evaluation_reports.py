"""evaluation (1.3.1-1.3.3): evidence files of questionnaire answers (stored in the database with
their sha256 and recognised content type), enterprises' financial statements per year with the
enterprise-level input-output measures, and sustainability records per year (ESG figures, carbon
activities and factors, computed footprint and indicators)

Revision ID: 0011_evaluation_reports
Revises: 0010_evaluation_programmes
Create Date: 2026-11-22 08:09:24.162131
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_evaluation_reports"
down_revision: str | Sequence[str] | None = "0010_evaluation_programmes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_financial_statements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("year", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("uploaded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_evaluation_financial_statements_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_evaluation_financial_statements_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_financial_statements")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_financial_statements_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "year", name=op.f("uq_evaluation_financial_statements_tenant_id_year")),
    )
    with op.batch_alter_table("evaluation_financial_statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_financial_statements_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "evaluation_sustainability",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("year", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_evaluation_sustainability_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_evaluation_sustainability_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_sustainability")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_sustainability_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "year", name=op.f("uq_evaluation_sustainability_tenant_id_year")),
    )
    with op.batch_alter_table("evaluation_sustainability", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_sustainability_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "evaluation_evidence_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("evaluation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("indicator_code", sa.String(length=80), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "evaluation_id"],
            ["evaluations.tenant_id", "evaluations.id"],
            name=op.f("fk_evaluation_evidence_files_tenant_id_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_evaluation_evidence_files_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_evaluation_evidence_files_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_evidence_files")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_evidence_files_tenant_id_id"),
    )
    with op.batch_alter_table("evaluation_evidence_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_evidence_files_evaluation", ["evaluation_id", "indicator_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evaluation_evidence_files_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_evidence_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_evidence_files_tenant_id"))
        batch_op.drop_index("ix_evaluation_evidence_files_evaluation")

    op.drop_table("evaluation_evidence_files")
    with op.batch_alter_table("evaluation_sustainability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_sustainability_tenant_id"))

    op.drop_table("evaluation_sustainability")
    with op.batch_alter_table("evaluation_financial_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_financial_statements_tenant_id"))

    op.drop_table("evaluation_financial_statements")
