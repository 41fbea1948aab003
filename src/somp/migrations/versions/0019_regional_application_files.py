"""evaluation (1.3.1, 1.3.4): evidence files of regional applications. A regional application is
filed by an evaluator for a stored region and has no tenant, so its files have none either:
``evaluation_record_files.tenant_id`` becomes nullable (only for a file of an application), and a
plain foreign key holds ``application_id`` to an existing application (the composite tenant key
does not check a row whose tenant is NULL).

Revision ID: 0019_regional_application_files
Revises: 0018_ingest_claims_retention
Create Date: 2026-11-22 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_regional_application_files"
down_revision: str | Sequence[str] | None = "0018_ingest_claims_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("evaluation_record_files", schema=None) as batch_op:
        batch_op.alter_column("tenant_id", existing_type=ID, nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluation_record_files_application_id_evaluation_applications"),
            "evaluation_applications", ["application_id"], ["id"], ondelete="CASCADE",
        )  # fmt: skip
        batch_op.create_check_constraint(
            batch_op.f("ck_evaluation_record_files_tenantless_application"),
            "tenant_id IS NOT NULL OR application_id IS NOT NULL",
        )


def downgrade() -> None:
    op.execute("DELETE FROM evaluation_record_files WHERE tenant_id IS NULL")
    with op.batch_alter_table("evaluation_record_files", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_evaluation_record_files_tenantless_application"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_evaluation_record_files_application_id_evaluation_applications"), type_="foreignkey"
        )
        batch_op.alter_column("tenant_id", existing_type=ID, nullable=False)
