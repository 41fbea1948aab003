"""Bulk inserts in the caller's transaction: SQLite ``executemany``, PostgreSQL ``COPY``.

Imports write tens of thousands of rows per table. Going through the ORM (unit of work,
per-object events) or through SQLAlchemy Core ``executemany`` (per-value type processing inside
the engine) costs far more than the database itself, so rows are handed to the driver directly:

* values are converted with the column types' own SQLAlchemy bind processors (so
  :class:`~somp.core.database.UTCDateTime`, enums and JSON are stored exactly as the ORM stores
  them); each distinct value of a column is converted once, and values that are the same on every
  row (timestamps, the tenant) are given once as ``constants``;
* SQLite: ``executemany`` of a prepared ``INSERT``;
* PostgreSQL: binary ``COPY ... FROM STDIN`` (psycopg 3) with the column types read from the
  catalog (text COPY costs client and server five times more in parsing and formatting), with
  primary keys drawn beforehand from the table's sequence when the caller needs them. An
  :class:`Inserter` keeps its ``COPY`` open between :meth:`Inserter.add` calls and a writer thread
  sends the data, so the server stores one chunk while the caller prepares the next.

Constraints, foreign keys (including the composite tenant keys) and indexes are enforced by the
database as for any insert; the ORM's tenant guard does not see these statements, so callers set
``tenant_id`` explicitly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from contextlib import ExitStack, suppress
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from somp.core.events import DomainEvent, OutboxEvent

Progress = Callable[[int], None]
CHUNK = 10_000
_TEXT_OID, _JSON_OIDS, _NUMERIC_OID = 25, (114, 3802), 1700


class Aborted(Exception):
    """Raised into an open COPY to abandon it."""


def _converted(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], raw: Container[str] = ()
) -> list[tuple]:
    """``rows`` with each value converted by its column's bind processor, column by column: each
    distinct value is converted once (dates, states and codes repeat down a column)."""
    # the processor SQLAlchemy itself applies for this column type on this dialect
    processors = [table.c[c].type._cached_bind_processor(conn.dialect) for c in columns]
    active = [(i, p) for i, p in enumerate(processors) if p is not None and columns[i] not in raw]
    if not active:
        return [tuple(r) for r in rows]
    cols = list(zip(*rows, strict=True))
    for i, process in active:
        values = cols[i]
        try:
            done = {v: None if v is None else process(v) for v in set(values)}
            cols[i] = tuple(map(done.__getitem__, values))
        except TypeError:  # unhashable values (JSON documents)
            cols[i] = tuple(None if v is None else process(v) for v in values)
    return list(zip(*cols, strict=True))


class Inserter:
    """Rows added in chunks to one table, in the connection's transaction.

    ``ids_for``: the number of rows that will be added when the caller needs their ids (drawn up
    front on PostgreSQL). Use as a context manager, or call :meth:`close` / :meth:`abort`.
    """

    def __init__(
        self,
        conn: Connection,
        table: Table,
        columns: Sequence[str],
        *,
        constants: Mapping[str, Any] | None = None,
        raw: Container[str] = (),
        ids_for: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.conn, self.table, self.columns, self.progress = conn, table, list(columns), progress
        constants = dict(constants or {})
        self._postgres = conn.dialect.name == "postgresql"
        self._want_ids = ids_for is not None
        self._ids: list[int] = []
        self._next = 0
        self._stack: ExitStack | None = None  # the open COPY (PostgreSQL)
        self._copy: Any = None
        self._adapt: list[tuple[int, Callable[[Any], Any]]] = []  # per column, for binary COPY
        quote = conn.dialect.identifier_preparer.quote
        self._table_sql = quote(table.name)
        names = self.columns + list(constants)
        self.raw = set(raw)
        if self._postgres:
            if ids_for:
                self._ids = conn.exec_driver_sql(
                    "SELECT array_agg(nextval(pg_get_serial_sequence(%(t)s, 'id'))) FROM generate_series(1, %(n)s)",
                    {"t": table.name, "n": ids_for},
                ).scalar_one()
            self._types, adapt, id_oid = self._binary_types(names)
            self.raw |= {names[i] for i, fn in adapt if fn is not _decimal}  # JSON: serialised here
            self._adapt = [(i, fn) for i, fn in adapt if i < len(self.columns)]
        const_names = list(constants)
        const = _converted(conn, table, const_names, [tuple(constants.values())], self.raw)[0] if constants else ()
        if self._postgres:
            const = tuple(
                self._adapted(list(const), [(i - len(self.columns), fn) for i, fn in adapt if i >= len(self.columns)])
            )
            if ids_for:
                names, self._types = ["id", *names], [id_oid, *self._types]
        self._const = const
        cols = ", ".join(quote(c) for c in names)
        if self._postgres:
            self._sql = f"COPY {self._table_sql} ({cols}) FROM STDIN (FORMAT BINARY)"
        else:
            self._sql = f"INSERT INTO {self._table_sql} ({cols}) VALUES ({', '.join('?' for _ in names)})"

    def _binary_types(self, names: list[str]) -> tuple[list[int], list[tuple[int, Callable[[Any], Any]]], int]:
        """Each column's type from the catalog, and how values are adapted for binary COPY: JSON
        goes as its text (a json value's binary form is its text), numbers for ``numeric`` as
        ``Decimal``."""
        oids = dict(
            self.conn.exec_driver_sql(
                "SELECT attname, atttypid::int FROM pg_attribute"
                " WHERE attrelid = %(t)s::regclass AND attnum > 0 AND NOT attisdropped",
                {"t": self.table.name},
            ).all()
        )
        dumps = self.conn.dialect._json_serializer or json.dumps
        types, adapt = [], []
        for i, name in enumerate(names):
            oid = oids[name]
            if oid in _JSON_OIDS:
                types.append(_TEXT_OID)
                if name not in self.raw:
                    adapt.append((i, dumps))
            else:
                types.append(oid)
                if oid == _NUMERIC_OID:
                    adapt.append((i, _decimal))
        return types, adapt, oids["id"]

    @staticmethod
    def _adapted(values: list[Any], adapt: Sequence[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
        for i, fn in adapt:
            if values[i] is not None:
                values[i] = fn(values[i])
        return values

    def add(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert ``rows`` (tuples in ``columns`` order); their new ids in order if ids were asked for."""
        out: list[int] = []
        for start in range(0, len(rows), CHUNK):
            part = _converted(self.conn, self.table, self.columns, rows[start : start + CHUNK], self.raw)
            out.extend(self._postgres_add(part) if self._postgres else self._sqlite_add(part))
            if self.progress:
                self.progress(len(part))
        return out

    def _sqlite_add(self, part: list[tuple]) -> list[int]:
        if self._const:
            part = [values + self._const for values in part]
        self.conn.exec_driver_sql(self._sql, part)
        if not self._want_ids:
            return []
        # This transaction holds SQLite's write lock since its first insert, so no other writer
        # ran in between, and SQLite gives each new row max(rowid) + 1: the ids are contiguous.
        last = self.conn.exec_driver_sql(f"SELECT max(id) FROM {self._table_sql}").scalar_one()
        return list(range(last - len(part) + 1, last + 1))

    def _open_copy(self) -> None:
        from psycopg.copy import QueuedLibpqWriter

        self._stack = ExitStack()
        try:
            cur = self._stack.enter_context(self.conn.connection.dbapi_connection.cursor())
            # a worker thread sends the data, so this thread goes on preparing the next rows
            self._copy = self._stack.enter_context(cur.copy(self._sql, writer=QueuedLibpqWriter(cur)))
            self._copy.set_types(self._types)
        except self.conn.dialect.dbapi.Error as exc:
            self._stack.close()
            self._stack = None
            raise DBAPIError.instance(self._sql, None, exc, self.conn.dialect.dbapi.Error) from exc

    def _postgres_add(self, part: list[tuple]) -> list[int]:
        if self._copy is None:
            self._open_copy()
        const, write, adapt = self._const, self._copy.write_row, self._adapt
        ids: list[int] = []
        if self._want_ids:
            ids = self._ids[self._next : self._next + len(part)]
            self._next += len(part)
        try:
            for k, values in enumerate(part):
                if adapt:
                    values = tuple(self._adapted(list(values), adapt))
                write((ids[k], *values, *const) if ids else (*values, *const))
        except self.conn.dialect.dbapi.Error as exc:
            self.abort()
            raise DBAPIError.instance(self._sql, None, exc, self.conn.dialect.dbapi.Error) from exc
        return ids

    def close(self) -> None:
        """Finish the table's rows (ends the COPY, where the database reports a refused row)."""
        if self._stack is not None:
            stack, self._stack, self._copy = self._stack, None, None
            try:
                stack.close()
            except self.conn.dialect.dbapi.Error as exc:
                # as SQLAlchemy reports driver errors elsewhere (IntegrityError for a refused key...)
                raise DBAPIError.instance(self._sql, None, exc, self.conn.dialect.dbapi.Error) from exc

    def abort(self) -> None:
        """Abandon the rows (the caller rolls the transaction back)."""
        if self._stack is not None:
            stack, self._stack, self._copy = self._stack, None, None
            with suppress(self.conn.dialect.dbapi.Error):  # the COPY reports the abort it was asked for
                stack.__exit__(Aborted, Aborted("import abandoned"), None)

    def __enter__(self) -> Inserter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    constants: Mapping[str, Any] | None = None,
    raw: Container[str] = (),
    return_ids: bool = False,
    progress: Progress | None = None,
) -> list[int]:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns their new ids in row
    order when ``return_ids`` (else an empty list).

    ``constants`` are columns with the same value on every row, converted once; ``raw`` columns
    are passed to the driver as given (e.g. JSON already serialised).
    """
    if not rows:
        return []
    with Inserter(
        conn, table, columns, constants=constants, raw=raw, ids_for=len(rows) if return_ids else None, progress=progress
    ) as ins:
        return ins.add(rows)


def insert_events(
    session: Session, tenant_id: int, events: Iterable[DomainEvent], progress: Progress | None = None
) -> int:
    """:func:`somp.core.events.record` for many events: the same outbox rows, inserted in bulk in
    the session's transaction (events are serialised chunk by chunk while the database stores the
    previous chunk). Returns how many were recorded."""
    n = 0
    with Inserter(
        session.connection(),
        OutboxEvent.__table__,
        ["event_id", "name", "payload", "occurred_at"],
        raw=("payload",),
        constants={"tenant_id": tenant_id, "attempts": 0},
        progress=progress,
    ) as ins:
        chunk: list[tuple] = []
        for e in events:
            if e.tenant_id != tenant_id:
                raise PermissionError("an event must belong to the session's tenant")
            # model_dump_json is model_dump(mode="json") serialised by pydantic itself: the same document
            chunk.append((str(uuid.uuid4()), e.event_name(), e.model_dump_json(), e.occurred_at))
            if len(chunk) >= CHUNK:
                ins.add(chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            ins.add(chunk)
            n += len(chunk)
    session.info["events_recorded"] = session.info.get("events_recorded", 0) + n
    return n
