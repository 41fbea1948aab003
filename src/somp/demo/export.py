"""A canonical export of the demo's rows, and its digest.

Surrogate keys differ between loads (PostgreSQL sequences are not rolled back, other data may
exist), so every ``id`` is replaced by the row's rank among the exported rows of its table, and
every reference by the rank of the row it points to. Values are written in one text form for
both databases (decimals as strings, times in UTC ISO form, JSON with sorted keys). Password
hashes are salted, so they are left out. Two loads of the same scenario give the same digest, on
SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Table, or_, select
from sqlalchemy.schema import sort_tables

from somp.core.database import Base, Database
from somp.core.tenancy import Scope

EXCLUDED_TABLES = {"outbox_events", "event_deliveries", "api_tokens", "device_tokens"}
EXCLUDED_COLUMNS = {("users", "password_hash"), ("users", "last_login_at")}
# id columns that reference a table without a declared foreign key (the telemetry tables have none)
IMPLICIT_REFERENCES = {
    "by_user_id": "users",
    "assignee_user_id": "users",
    "user_id": "users",
    "tenant_id": "tenants",
    "asset_id": "assets",
    "metric_id": "metrics",
}


def _tables() -> list[Table]:
    """Tables in dependency order, implicit references included (a telemetry table comes after
    the tenants, assets and metrics its ids are ranked by)."""
    tables = Base.metadata.tables
    extra = [
        (tables[target], t)
        for t in tables.values()
        for col, target in IMPLICIT_REFERENCES.items()
        if col in t.c and target in tables and target != t.name
    ]
    return sort_tables(tables.values(), extra_dependencies=extra)


def _references(table: Table) -> dict[str, str]:
    refs: dict[str, str] = {}
    for fk in table.foreign_key_constraints:
        for col, el in zip(fk.columns, fk.elements, strict=True):
            if el.column.name == "id":
                refs[col.name] = el.column.table.name
    for name, target in IMPLICIT_REFERENCES.items():
        if name in table.c and name not in refs:
            refs[name] = target
    return refs


def _value(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    if isinstance(v, float):
        return repr(round(v, 9))
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    return str(v)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _chunk_array(column: str, v: Any) -> list[Any]:
    """A chunk's times or values, the same on both databases (PostgreSQL arrays, SQLite blobs)."""
    if isinstance(v, bytes):
        if column == "ts":
            return [(_EPOCH + dt.timedelta(microseconds=x)).isoformat() for x in np.frombuffer(v, "<i8").tolist()]
        return [_value(x) for x in np.frombuffer(v, "<f8").tolist()]
    return [_value(x) for x in v]


def export_rows(
    db: Database, tenant_ids: list[int], usernames: list[str] | None = None
) -> Iterator[tuple[str, list[Any]]]:
    """Yield ``(table, row)`` for every row of the given tenants (and the named tenant-less users),
    table by table in dependency order, rows in id order, with ids replaced by ranks."""
    from somp.core.modules import import_all_models

    import_all_models()
    ranks: dict[str, dict[int, int]] = {}
    with db.session(Scope.all_tenants()) as s:
        conn = s.connection()
        for table in _tables():
            if table.name in EXCLUDED_TABLES:
                continue
            if table.name == "tenants":
                cond = table.c.id.in_(tenant_ids)
            elif "tenant_id" in table.c:
                cond = table.c.tenant_id.in_(tenant_ids)
                if table.name == "users" and usernames:
                    cond = or_(cond, table.c.username.in_(usernames))
            else:
                continue
            refs = _references(table)
            cols = [c for c in table.c if (table.name, c.name) not in EXCLUDED_COLUMNS]
            # Tables without a surrogate id (telemetry readings) are ordered by all their columns.
            order = [table.c.id] if "id" in table.c else cols
            rows = conn.execute(select(*cols).where(cond).order_by(*order)).all()
            if "id" in table.c:
                ranks[table.name] = {r.id: n for n, r in enumerate(rows, start=1)}
            for r in rows:
                out = []
                for c, v in zip(cols, r, strict=True):
                    if c.name == "id":
                        v = ranks[table.name][v]
                    elif c.name in refs and v is not None:
                        v = ranks.get(refs[c.name], {}).get(v, f"external:{refs[c.name]}")
                    elif table.name == "reading_chunks" and c.name in ("ts", "value"):
                        v = _chunk_array(c.name, v)
                    out.append(_value(v))
                yield table.name, out


def digest(db: Database, tenant_ids: list[int], usernames: list[str] | None = None) -> tuple[str, dict[str, int]]:
    """SHA-256 of the canonical export, and the number of rows per table."""
    h = hashlib.sha256()
    counts: dict[str, int] = {}
    for table, row in export_rows(db, tenant_ids, usernames):
        counts[table] = counts.get(table, 0) + 1
        h.update(json.dumps([table, row], ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest(), counts
