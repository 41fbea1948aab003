"""A raw-SQL read path for the largest flat lists (the installed base), straight to JSON bytes.

Why it exists: ``GET /api/v1/assets`` must serve 100-row pages of a 100,000-asset fleet at
hundreds of requests per second on two cores. Through the ORM, statement caching and per-value
result processing cost about a millisecond per page, more than the database needs; here one SQL
string per query shape is built once and cached, rows come back as the driver gives them and go
to JSON with orjson.

What it keeps: rows are limited by :func:`somp.core.tenancy.row_filter`, the same rule the ORM
hook applies (``tests/core/test_fastread.py`` checks both select the same rows for every scope),
the read uses the session's connection and transaction, every value is a bound parameter, and
the JSON equals the read schema's pydantic serialisation (checked on SQLite and PostgreSQL).
Only flat columns are supported: integers, text, enums, floats, booleans, dates and timestamps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import orjson
from sqlalchemy import Boolean, Date, DateTime, Engine, Enum, Float, Integer, String, Text
from sqlalchemy.orm import Session

from somp.core.pagination import Order, decode_cursor, encode_cursor
from somp.core.tenancy import current_scope, row_filter

Op = Literal["eq", "prefix", "contains"]


@dataclass(frozen=True, slots=True)
class Filter:
    """``column op value``; ``contains`` may span several columns (``a LIKE x OR b LIKE x``)."""

    columns: tuple[str, ...]
    op: Op
    value: Any

    @classmethod
    def eq(cls, column: str, value: Any) -> Filter:
        return cls((column,), "eq", getattr(value, "value", value))

    @classmethod
    def prefix(cls, column: str, value: str) -> Filter:
        return cls((column,), "prefix", value)

    @classmethod
    def contains(cls, *columns: str, value: str) -> Filter:
        return cls(tuple(columns), "contains", value)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _converter(column: Any, dialect: str) -> Callable[[Any], Any] | None:
    """How a raw driver value becomes what the read schema would serialise (None: as is)."""
    t = column.type
    impl = getattr(t, "impl", t)
    if isinstance(impl, DateTime):
        if dialect == "sqlite":  # stored "YYYY-MM-DD HH:MM:SS.ffffff", naive UTC

            def iso_utc(v: str | None) -> str | None:
                if v is None:
                    return None
                v = v.replace(" ", "T", 1)
                return (v[:-7] if v.endswith(".000000") else v) + "Z"

            return iso_utc
        utc = dt.UTC
        return lambda v: None if v is None else v.astimezone(utc)
    if isinstance(impl, Boolean):
        return None if dialect != "sqlite" else (lambda v: None if v is None else bool(v))
    if isinstance(impl, Date | Integer | String | Text | Enum | Float):
        return None
    raise TypeError(f"the raw read path does not handle {column.name} ({t!r}); use the ORM path")


@dataclass(frozen=True)
class _Plan:
    sql: str
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]


@lru_cache(maxsize=256)
def _plan(
    model: type,
    fields: tuple[str, ...],
    dialect_name: str,
    paramstyle: str,
    filter_shape: tuple[Any, ...],
    scope_columns: tuple[str, ...],
    order: Order,
    has_cursor: bool,
) -> _Plan:
    table = model.__table__
    unknown = [f for f in fields if f not in table.c]
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {unknown}")
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = sqlite.dialect() if dialect_name == "sqlite" else postgresql.dialect()
    q = dialect.identifier_preparer.quote
    mark = "?" if paramstyle == "qmark" else "%s"
    like = "LIKE" if dialect_name == "sqlite" else "ILIKE"
    conds = [f"{q(c)} = {mark}" for c in scope_columns]
    for columns, op in filter_shape:
        for c in columns:
            if c not in table.c:
                raise ValueError(f"{model.__name__} has no column {c}")
        if op == "eq":
            conds.append(f"{q(columns[0])} = {mark}")
        else:
            ors = [f"{q(c)} {like} {mark} ESCAPE '\\'" for c in columns]
            conds.append(ors[0] if len(ors) == 1 else "(" + " OR ".join(ors) + ")")
    if has_cursor:
        conds.append(f"{q('id')} {'>' if order == 'asc' else '<'} {mark}")
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    sql = (
        f"SELECT {', '.join(q(f) for f in fields)} FROM {q(table.name)}{where} "
        f"ORDER BY {q('id')} {'ASC' if order == 'asc' else 'DESC'} LIMIT {mark}"
    )
    convs = tuple((i, c) for i, f in enumerate(fields) if (c := _converter(table.c[f], dialect_name)))
    return _Plan(sql, convs)


@contextmanager
def _reading(session: Session) -> Iterator[Any]:
    """A connection for the read. Inside a session transaction, the session's own connection.
    Otherwise the page is one SELECT on its own: it takes a pooled connection directly (none of
    the session's transaction bookkeeping), and on PostgreSQL reads in autocommit mode, one round
    trip without BEGIN/ROLLBACK; a single SELECT sees one consistent snapshot anyway."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or session.in_transaction():
        yield session.connection()
        return
    with bind.connect() as conn:
        if bind.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def page_json(
    session: Session,
    model: type,
    fields: Sequence[str],
    filters: Sequence[Filter],
    *,
    limit: int,
    cursor: str | None,
    order: Order,
) -> bytes:
    """One keyset page of ``model`` as ``{"items", "next_cursor", "limit"}`` JSON bytes."""
    from somp.core.errors import invalid
    from somp.core.pagination import MAX_LIMIT

    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    if "id" not in fields:
        raise ValueError("the page needs the id column for its cursor")
    visible = row_filter(current_scope(session), model)
    if visible is None:
        return orjson.dumps({"items": [], "next_cursor": None, "limit": limit})
    dialect = session.get_bind().dialect
    after = decode_cursor(cursor, order) if cursor else None
    plan = _plan(
        model,
        tuple(fields),
        dialect.name,
        dialect.paramstyle,
        tuple((f.columns, f.op) for f in filters),
        tuple(visible),
        order,
        after is not None,
    )
    params: list[Any] = list(visible.values())
    for f in filters:
        if f.op == "eq":
            params.append(f.value)
        elif f.op == "prefix":
            params.append(_like_escape(f.value) + "%")
        else:
            params.extend([f"%{_like_escape(f.value)}%"] * len(f.columns))
    if after is not None:
        params.append(after)
    params.append(limit + 1)
    with _reading(session) as conn:
        rows = conn.exec_driver_sql(plan.sql, tuple(params)).fetchall()
    items = []
    for row in rows[:limit]:
        values = list(row)
        for i, conv in plan.converters:
            values[i] = conv(values[i])
        items.append(dict(zip(fields, values, strict=True)))
    nxt = encode_cursor(order, items[-1]["id"]) if len(rows) > limit and items else None
    return orjson.dumps({"items": items, "next_cursor": nxt, "limit": limit}, option=orjson.OPT_UTC_Z)
