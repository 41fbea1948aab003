"""Per-tenant document numbers (WO-2026-000123): gap-tolerant, concurrency-safe counters.

The counter row is incremented with ``UPDATE ... RETURNING`` inside the caller's transaction, so
two concurrent transactions never get the same number (PostgreSQL row lock, SQLite write lock).
"""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint, insert, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from somp.core.database import Base, TenantOwned
from somp.core.tenancy import current_scope


class NumberSequence(TenantOwned, Base):
    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(default=0)


def next_value(session: Session, tenant_id: int, name: str) -> int:
    scope = current_scope(session)
    if scope.tenant_id not in (None, tenant_id) or scope.evaluator:
        raise PermissionError("numbers are drawn in the tenant's own scope")
    stmt = (
        update(NumberSequence)
        .where(NumberSequence.tenant_id == tenant_id, NumberSequence.name == name)
        .values(value=NumberSequence.value + 1)
        .returning(NumberSequence.value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(stmt).scalar()
    if value is None:
        session.execute(insert(NumberSequence).values(tenant_id=tenant_id, name=name, value=1))
        value = 1
    return int(value)


def next_number(session: Session, tenant_id: int, prefix: str, year: int) -> str:
    return f"{prefix}-{year}-{next_value(session, tenant_id, f'{prefix}-{year}'):06d}"
