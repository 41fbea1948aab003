"""pss (2.1.1): requirements captured from customers, tickets and surveys with their change
history, Kano questionnaires (question pairs and answers) and QFD houses of quality per offering

Revision ID: 0012_pss_requirements
Revises: 0011_evaluation_reports
Create Date: 2026-11-22 09:02:08.690880
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_pss_requirements"
down_revision: str | Sequence[str] | None = "0011_evaluation_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pss_kano_questionnaires",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("offering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "closed", name="pss_questionnaire_status", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "offering_id"],
            ["offerings.tenant_id", "offerings.id"],
            name=op.f("fk_pss_kano_questionnaires_tenant_id_offering_id_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_kano_questionnaires_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_kano_questionnaires")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_pss_kano_questionnaires_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_kano_questionnaires_tenant_id_id"),
    )
    with op.batch_alter_table("pss_kano_questionnaires", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_kano_questionnaires_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_requirements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("offering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "source_kind",
            sa.Enum(
                "customer",
                "ticket",
                "survey",
                "interview",
                "market",
                "internal",
                name="pss_requirement_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "must",
                "should",
                "could",
                "wont",
                name="pss_requirement_priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("weight", sa.Numeric(precision=9, scale=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "captured",
                "analysed",
                "accepted",
                "implemented",
                "rejected",
                name="pss_requirement_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_pss_requirements_tenant_id_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "offering_id"],
            ["offerings.tenant_id", "offerings.id"],
            name=op.f("fk_pss_requirements_tenant_id_offering_id_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_requirements_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_requirements")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_pss_requirements_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_requirements_tenant_id_id"),
    )
    with op.batch_alter_table("pss_requirements", schema=None) as batch_op:
        batch_op.create_index("ix_pss_requirements_offering", ["tenant_id", "offering_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pss_requirements_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_kano_answers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("questionnaire_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requirement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("respondent", sa.String(length=80), nullable=False),
        sa.Column(
            "functional",
            sa.Enum(
                "like",
                "expect",
                "neutral",
                "live_with",
                "dislike",
                name="pss_kano_functional",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "dysfunctional",
            sa.Enum(
                "like",
                "expect",
                "neutral",
                "live_with",
                "dislike",
                name="pss_kano_dysfunctional",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "questionnaire_id"],
            ["pss_kano_questionnaires.tenant_id", "pss_kano_questionnaires.id"],
            name=op.f("fk_pss_kano_answers_tenant_id_questionnaire_id_pss_kano_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "requirement_id"],
            ["pss_requirements.tenant_id", "pss_requirements.id"],
            name=op.f("fk_pss_kano_answers_tenant_id_requirement_id_pss_requirements"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_kano_answers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_kano_answers")),
        sa.UniqueConstraint(
            "tenant_id",
            "questionnaire_id",
            "respondent",
            "requirement_id",
            name=op.f("uq_pss_kano_answers_tenant_id_questionnaire_id_respondent_requirement_id"),
        ),
    )
    with op.batch_alter_table("pss_kano_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_kano_answers_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_kano_questions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("questionnaire_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requirement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("functional", sa.String(length=300), nullable=False),
        sa.Column("dysfunctional", sa.String(length=300), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "questionnaire_id"],
            ["pss_kano_questionnaires.tenant_id", "pss_kano_questionnaires.id"],
            name=op.f("fk_pss_kano_questions_tenant_id_questionnaire_id_pss_kano_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "requirement_id"],
            ["pss_requirements.tenant_id", "pss_requirements.id"],
            name=op.f("fk_pss_kano_questions_tenant_id_requirement_id_pss_requirements"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_kano_questions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_kano_questions")),
        sa.UniqueConstraint(
            "tenant_id",
            "questionnaire_id",
            "requirement_id",
            name=op.f("uq_pss_kano_questions_tenant_id_questionnaire_id_requirement_id"),
        ),
    )
    with op.batch_alter_table("pss_kano_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_kano_questions_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_qfd_houses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("offering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "weight_source",
            sa.Enum(
                "importance", "kano", name="pss_qfd_weight_source", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("questionnaire_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("relationships", sa.JSON(), nullable=False),
        sa.Column("roof", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "offering_id"],
            ["offerings.tenant_id", "offerings.id"],
            name=op.f("fk_pss_qfd_houses_tenant_id_offering_id_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "questionnaire_id"],
            ["pss_kano_questionnaires.tenant_id", "pss_kano_questionnaires.id"],
            name=op.f("fk_pss_qfd_houses_tenant_id_questionnaire_id_pss_kano_questionnaires"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_qfd_houses_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_qfd_houses")),
        sa.UniqueConstraint("tenant_id", "id", name="uq_pss_qfd_houses_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "offering_id", name=op.f("uq_pss_qfd_houses_tenant_id_offering_id")),
    )
    with op.batch_alter_table("pss_qfd_houses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pss_qfd_houses_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "pss_requirement_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requirement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "requirement_id"],
            ["pss_requirements.tenant_id", "pss_requirements.id"],
            name=op.f("fk_pss_requirement_changes_tenant_id_requirement_id_pss_requirements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pss_requirement_changes_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pss_requirement_changes")),
    )
    with op.batch_alter_table("pss_requirement_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pss_requirement_changes_requirement", ["tenant_id", "requirement_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pss_requirement_changes_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pss_requirement_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_requirement_changes_tenant_id"))
        batch_op.drop_index("ix_pss_requirement_changes_requirement")

    op.drop_table("pss_requirement_changes")
    with op.batch_alter_table("pss_qfd_houses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_qfd_houses_tenant_id"))

    op.drop_table("pss_qfd_houses")
    with op.batch_alter_table("pss_kano_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_kano_questions_tenant_id"))

    op.drop_table("pss_kano_questions")
    with op.batch_alter_table("pss_kano_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_kano_answers_tenant_id"))

    op.drop_table("pss_kano_answers")
    with op.batch_alter_table("pss_requirements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_requirements_tenant_id"))
        batch_op.drop_index("ix_pss_requirements_offering")

    op.drop_table("pss_requirements")
    with op.batch_alter_table("pss_kano_questionnaires", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pss_kano_questionnaires_tenant_id"))

    op.drop_table("pss_kano_questionnaires")
