"""telemetry (2.2.1): an index on ``ingest_batches.received_at`` so retention can expire old batch
claims (one row per accepted message, which grew without bound). BRIN on PostgreSQL (a few pages
for the whole table; inserts at its end do not touch it until the range is summarised), a
B-tree on SQLite.

Revision ID: 0018_ingest_claims_retention
Revises: 0017_rollup_hot_updates
Create Date: 2026-11-22 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018_ingest_claims_retention"
down_revision: str | Sequence[str] | None = "0017_rollup_hot_updates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ingest_batches_received", "ingest_batches", ["received_at"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_ingest_batches_received", table_name="ingest_batches")
