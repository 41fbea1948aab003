"""evaluation (1.3.1): indicator systems (versioned YAML documents; tenant_id NULL for platform
systems), evaluations of an enterprise against one system version with their review workflow and
stored result, and the answer per indicator with its source and evidence digests

Revision ID: 0005_evaluation
Revises: 0004_reading_chunks
Create Date: 2026-11-22 06:25:44.699974

The built-in default maturity system is not inserted here: the service stores it on first use
(:func:`somp.modules.evaluation.service.ensure_builtin_systems`), so a somp release that edits
data/maturity_default.yaml adds its new version without a migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_evaluation"
down_revision: str | Sequence[str] | None = "0004_reading_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_systems",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=16), nullable=False),
        sa.Column("framework", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("indicators", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("levels", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_evaluation_systems_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_evaluation_systems_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_systems")),
        sa.UniqueConstraint("tenant_id", "code", "version", name=op.f("uq_evaluation_systems_tenant_id_code_version")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_systems_tenant_id_id"),
    )
    with op.batch_alter_table("evaluation_systems", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_systems_hash", ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_systems_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "evaluations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("system_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("system_code", sa.String(length=80), nullable=False),
        sa.Column("system_version", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "self_assessed",
                "under_review",
                "reviewed",
                "returned",
                name="evaluation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("review_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("level", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("coverage", sa.Double(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_evaluations_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_evaluations_reviewer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_evaluations_submitted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["evaluation_systems.id"], name=op.f("fk_evaluations_system_id_evaluation_systems")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_evaluations_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluations_tenant_id_id"),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_status_submitted", ["status", "submitted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluations_system_id"), ["system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluations_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_evaluations_tenant_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "evaluation_answers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("evaluation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("indicator_code", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "questionnaire",
                "uploaded",
                "computed",
                name="evaluation_answer_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_evaluation_answers_answered_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "evaluation_id"],
            ["evaluations.tenant_id", "evaluations.id"],
            name=op.f("fk_evaluation_answers_tenant_id_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_evaluation_answers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_answers")),
        sa.UniqueConstraint(
            "evaluation_id", "indicator_code", name=op.f("uq_evaluation_answers_evaluation_id_indicator_code")
        ),
        sa.UniqueConstraint("tenant_id", "id", name="uq_evaluation_answers_tenant_id_id"),
    )
    with op.batch_alter_table("evaluation_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_answers_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_answers_tenant_id"))

    op.drop_table("evaluation_answers")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_tenant_status")
        batch_op.drop_index(batch_op.f("ix_evaluations_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_evaluations_system_id"))
        batch_op.drop_index("ix_evaluations_status_submitted")

    op.drop_table("evaluations")
    with op.batch_alter_table("evaluation_systems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_systems_tenant_id"))
        batch_op.drop_index("ix_evaluation_systems_hash")

    op.drop_table("evaluation_systems")
