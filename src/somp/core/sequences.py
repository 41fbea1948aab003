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
    return next_values(session, tenant_id, name, 1)


def next_values(session: Session, tenant_id: int, name: str, count: int) -> int:
    """Reserve ``count`` consecutive values in one statement; returns the first (bulk writers)."""
    if count < 1:
        raise ValueError("reserve at least one value")
    scope = current_scope(session)
    if scope.tenant_id not in (None, tenant_id) or scope.evaluator:
        raise PermissionError("numbers are drawn in the tenant's own scope")
    stmt = (
        update(NumberSequence)
        .where(NumberSequence.tenant_id == tenant_id, NumberSequence.name == name)
        .values(value=NumberSequence.value + count)
        .returning(NumberSequence.value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(stmt).scalar()
    if value is None:
        session.execute(insert(NumberSequence).values(tenant_id=tenant_id, name=name, value=count))
        value = count
    return int(value) - count + 1


def next_number(session: Session, tenant_id: int, prefix: str, year: int) -> str:
    return f"{prefix}-{year}-{next_value(session, tenant_id, f'{prefix}-{year}'):06d}"


def next_numbers(session: Session, tenant_id: int, prefix: str, year: int, count: int) -> list[str]:
    """``count`` consecutive document numbers, drawn in one statement."""
    first = next_values(session, tenant_id, f"{prefix}-{year}", count)
    return [f"{prefix}-{year}-{n:06d}" for n in range(first, first + count)]
