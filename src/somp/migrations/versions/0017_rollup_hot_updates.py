"""telemetry (2.2.1): hourly roll-ups updated in place (HOT). The partial index of the hours left to
compact keys on a flag, ``merge_pending``, instead of the chunk count, which every upsert changed;
a column an index reads (its predicate included) changing forces PostgreSQL to write a new entry
in every index of the table for each update. The table keeps 30 % of each page free for the new
row versions (fillfactor 70).

Revision ID: 0017_rollup_hot_updates
Revises: 0016_mfg_setups
Create Date: 2026-11-22 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_rollup_hot_updates"
down_revision: str | Sequence[str] | None = "0016_mfg_setups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("readings_hourly", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merge_pending", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE readings_hourly SET merge_pending = (chunks > 1) WHERE chunks > 1")
    with op.batch_alter_table("readings_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_hourly_uncompacted")
        batch_op.create_index(
            "ix_readings_hourly_merge_pending", ["bucket"], unique=False,
            postgresql_where=sa.text("merge_pending"), sqlite_where=sa.text("merge_pending = 1"),
        )  # fmt: skip
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE readings_hourly SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE readings_hourly RESET (fillfactor)")
    with op.batch_alter_table("readings_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_hourly_merge_pending")
        batch_op.create_index(
            "ix_readings_hourly_uncompacted", ["bucket"], unique=False,
            postgresql_where=sa.text("chunks > 1"), sqlite_where=sa.text("chunks > 1"),
        )  # fmt: skip
        batch_op.drop_column("merge_pending")
