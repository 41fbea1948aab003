"""shared_manufacturing (3.4): sequence-dependent setups in the marketplace: a resource's
changeover times between setup families, an operation's setup family, and the planned changeover
before an operation (buyer's plan and factory's booking)

Revision ID: 0016_mfg_setups
Revises: 0015_evaluation_evidence
Create Date: 2026-11-22 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


revision: str = "0016_mfg_setups"
down_revision: str | Sequence[str] | None = "0015_evaluation_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mfg_resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changeover_minutes", INT, server_default=sa.text("0"), nullable=False))
        batch_op.add_column(sa.Column("changeover", sa.JSON(), nullable=True))
    with op.batch_alter_table("mfg_operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("setup_family", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("setup_minutes", INT, nullable=True))
    with op.batch_alter_table("mfg_bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("setup_minutes", INT, server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("mfg_bookings", schema=None) as batch_op:
        batch_op.drop_column("setup_minutes")
    with op.batch_alter_table("mfg_operations", schema=None) as batch_op:
        batch_op.drop_column("setup_minutes")
        batch_op.drop_column("setup_family")
    with op.batch_alter_table("mfg_resources", schema=None) as batch_op:
        batch_op.drop_column("changeover")
        batch_op.drop_column("changeover_minutes")
