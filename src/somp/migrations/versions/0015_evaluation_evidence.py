"""evaluation (issue 4): evidence files of conformance self-checks (对标达标) and programme
applications, stored in the database with their sha256 and recognised content type, as the
maturity evidence files are

Revision ID: 0015_evaluation_evidence
Revises: 0014_pss_sla_attainment
Create Date: 2026-11-22 09:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_evaluation_evidence"
down_revision: str | Sequence[str] | None = "0014_pss_sla_attainment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "evaluation_record_files",
        sa.Column("id", ID, nullable=False),
        sa.Column("check_id", ID, nullable=True),
        sa.Column("application_id", ID, nullable=True),
        sa.Column("item", sa.String(length=80), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", ID, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", ID, nullable=True),
        sa.Column("tenant_id", ID, nullable=False),
        sa.CheckConstraint(
            "(check_id IS NULL) <> (application_id IS NULL)", name=op.f("ck_evaluation_record_files_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "check_id"],
            ["evaluation_conformance_checks.tenant_id", "evaluation_conformance_checks.id"],
            name=op.f("fk_evaluation_record_files_tenant_id_check_id_evaluation_conformance_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "application_id"],
            ["evaluation_applications.tenant_id", "evaluation_applications.id"],
            name=op.f("fk_evaluation_record_files_tenant_id_application_id_evaluation_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_evaluation_record_files_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_evaluation_record_files_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_record_files")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_record_files_tenant_id_id"),
    )
    with op.batch_alter_table("evaluation_record_files", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_record_files_check", ["check_id", "item"], unique=False)
        batch_op.create_index("ix_evaluation_record_files_application", ["application_id", "item"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_record_files_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_record_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_record_files_tenant_id"))
        batch_op.drop_index("ix_evaluation_record_files_application")
        batch_op.drop_index("ix_evaluation_record_files_check")
    op.drop_table("evaluation_record_files")
