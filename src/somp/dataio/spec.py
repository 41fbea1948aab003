"""Entity specifications: how one kind of record maps to the columns of a file.

An :class:`EntitySpec` names the columns (English field names and Chinese labels), the module's
input schema that validates a row (so the rules are the API's), how references by natural key
(``product_code``, ``serial_number``...) resolve to ids inside the tenant, the checks that need
the whole file or the database, how valid records are written, and how stored rows are exported
back into exactly the columns the import reads.

The kernel entities are in :mod:`somp.dataio.entities`; a module can add its own through its
manifest (``io_entities="pkg.module:ENTITIES"``, a sequence of specs).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, Select, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from somp.core.errors import FieldError

Kind = Literal["text", "bool", "datetime", "json", "list"]
LOOKUP_CHUNK = 1000
PLACEHOLDER_ID = 2**53  # stands in for a reference that did not resolve (the row is rejected anyway)
_LIST_SEPARATORS = re.compile(r"[;,，；\s]+")
_TRUE = {"true", "1", "yes", "y", "t", "是", "真"}
_FALSE = {"false", "0", "no", "n", "f", "否", "假"}


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference by natural key: cells hold ``model.<key>``, the schema gets ``model.id``.

    ``attrs`` are further attributes of the referenced row that checks need (e.g. its status).
    Lookups run through the tenant-scoped session, so another tenant's rows are never found.
    """

    model: type
    key: str
    label: str
    attrs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an entity's files.

    ``name`` is the header (the API field name, or ``<entity>_<key>`` for a reference) and ``zh``
    the Chinese header; both are accepted on import. ``field`` is the schema field the cell feeds
    (default: ``name``); ``custom`` columns are mapped by the entity itself (flattened structures).
    """

    name: str
    zh: str
    doc: str = ""
    field: str | None = None
    kind: Kind = "text"
    ref: Ref | None = None
    custom: bool = False
    required: bool | None = None  # None: as the schema field

    @property
    def target(self) -> str:
        return self.field or self.name


@dataclass(slots=True)
class Cells:
    """One data row: its spreadsheet row number and its non-empty cells by column name."""

    row: int
    values: dict[str, Any]


@dataclass(slots=True)
class Record:
    """A validated row (or group of rows) ready to be written."""

    row: int
    data: Any
    values: dict[str, Any]
    rows: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class Progress(Protocol):
    """Progress of a stage ("read", "validate", "write", "export"), counted in rows."""

    def start(self, stage: str, total: int | None) -> None: ...

    def advance(self, stage: str, n: int = 1) -> None: ...

    def finish(self, stage: str) -> None: ...


class Stream(Protocol):
    """Writes an entity's records as they are validated (see :attr:`EntitySpec.streams`)."""

    def add(self, records: list[Record]) -> None: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


class NoProgress:
    def start(self, stage: str, total: int | None) -> None:
        pass

    def advance(self, stage: str, n: int = 1) -> None:
        pass

    def finish(self, stage: str) -> None:
        pass


@dataclass
class ImportContext:
    """What an entity's hooks share during one import."""

    session: Session
    tenant_id: int
    headers: dict[str, str]  # column name -> header as written in the file
    tz: dt.tzinfo
    now: dt.datetime
    progress: Progress = field(default_factory=NoProgress)
    errors: list[FieldError] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    lookups: dict[str, dict[Any, Any]] = field(default_factory=dict)

    def error(self, row: int, column: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError(self.headers.get(column, column), message, code, row))
        self.bad_rows.add(row)

    def ref(self, column: str, value: Any) -> Any:
        """The looked-up row (``.id`` and the ref's ``attrs``) for a cell value, or None."""
        return self.lookups.get(column, {}).get(value)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def member_of(session: Session, attr: Any, values: Iterable[Any]) -> Iterator[Any]:
    """``attr IN (...)`` conditions covering ``values``, in as few statements as sensible: on
    PostgreSQL ``attr = ANY(:array)`` with one array parameter per 20,000 values (a list of
    thousands of parameters costs more to build and parse than to run), on SQLite ``IN`` lists of
    1,000 parameters."""
    ordered = sorted(set(values))
    if session.get_bind().dialect.name == "postgresql":
        for part in batched(ordered, 20_000):
            yield attr == any_(bindparam(None, part, type_=ARRAY(attr.type)))
    else:
        for part in batched(ordered, LOOKUP_CHUNK):
            yield attr.in_(part)


def lookup(session: Session, ref: Ref, values: Iterable[Any]) -> dict[Any, Any]:
    """Rows of ``ref.model`` whose natural key is in ``values``, in the session's tenant."""
    key = getattr(ref.model, ref.key)
    cols = [key, ref.model.id, *(getattr(ref.model, a) for a in ref.attrs)]
    out: dict[Any, Any] = {}
    for condition in member_of(session, key, values):
        for r in session.execute(select(*cols).where(condition)):
            out[r[0]] = r
    return out


def existing(session: Session, attr: Any, values: Iterable[Any]) -> set[Any]:
    """Which of ``values`` already exist as ``attr`` in the session's tenant.

    A tenant that holds fewer keys than the file (the first import into it, typically) is read
    whole, which is cheaper than probing for every key of the file.
    """
    wanted = set(values)
    if not wanted:
        return set()
    cap = min(len(wanted), 50_000)
    held = session.scalars(select(attr).limit(cap + 1)).all()
    if len(held) <= cap:
        return wanted.intersection(held)
    found: set[Any] = set()
    for condition in member_of(session, attr, wanted):
        found.update(session.scalars(select(attr).where(condition)))
    return found


def parse_cell(col: Column, text: str, tz: dt.tzinfo) -> Any:
    """A non-empty cell's text as the value handed to the schema (which does the real checks)."""
    if col.kind == "bool":
        low = text.strip().casefold()
        return True if low in _TRUE else False if low in _FALSE else text
    if col.kind == "datetime":
        try:
            value = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return text  # the schema reports it
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    if col.kind == "list":
        return [v for v in _LIST_SEPARATORS.split(text) if v]
    if col.kind == "json":
        return json.loads(text)
    return text


# ---------------------------------------------------------------- export filters

_WHERE = re.compile(r"^\s*([^!<>=]+?)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Condition:
    """An export filter ``column OP value`` (``--where state=in_service``)."""

    column: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Condition:
        m = _WHERE.match(text)
        if not m:
            raise ValueError(f"cannot read filter {text!r}; write COLUMN=VALUE (or != >= <= > <)")
        return cls(m.group(1), m.group(2), m.group(3))


def _typed(expr: ColumnElement[Any], value: str) -> Any:
    try:
        py = expr.type.python_type
    except NotImplementedError:
        return value
    if value == "":
        return None
    if py is dt.date:
        return dt.date.fromisoformat(value)
    if py is dt.datetime:
        v = dt.datetime.fromisoformat(value)
        return v if v.tzinfo else v.replace(tzinfo=dt.UTC)
    if py is bool:
        return value.casefold() in _TRUE
    if py in (int, float):
        return py(value)
    if py.__name__ == "Decimal":
        return py(value)
    return value


def apply_where(stmt: Select[Any], exprs: dict[str, ColumnElement[Any]], where: Sequence[Condition]) -> Select[Any]:
    for c in where:
        expr = exprs.get(c.column)
        if expr is None:
            raise ValueError(f"cannot filter on {c.column!r}; columns: {', '.join(exprs)}")
        try:
            value = _typed(expr, c.value)
        except ValueError as exc:
            raise ValueError(f"filter {c.column}{c.op}{c.value}: {exc}") from None
        if value is None:
            stmt = stmt.where(expr.is_(None) if c.op == "=" else expr.is_not(None))
            continue
        stmt = stmt.where(
            {
                "=": expr == value,
                "!=": expr != value,
                ">=": expr >= value,
                "<=": expr <= value,
                ">": expr > value,
                "<": expr < value,
            }[c.op]
        )
    return stmt


def export_query(
    session: Session, exprs: dict[str, ColumnElement[Any]], where: Sequence[Condition], build: Any
) -> Iterator[dict[str, Any]]:
    """Run ``build(select(<exprs labelled by column>))`` with the filters; rows as dicts."""
    stmt = apply_where(build(select(*(e.label(n) for n, e in exprs.items()))), exprs, where)
    for row in session.execute(stmt.execution_options(yield_per=2000)).mappings():
        yield dict(row)


# ---------------------------------------------------------------- the spec


class EntitySpec:
    """How one entity is imported and exported; subclasses fill in the class attributes and
    override the hooks that differ."""

    name: ClassVar[str]
    zh: ClassVar[str]
    doc: ClassVar[str] = ""
    schema: ClassVar[type[BaseModel]]
    columns: ClassVar[tuple[Column, ...]]
    #: the natural key column, unique within the tenant (checked in the file and the database)
    unique: ClassVar[str | None] = None
    #: the ORM model of one record (its attribute named like ``unique`` holds the natural key)
    model: ClassVar[Any] = None
    #: schema fields that have no column, with the reason (shown in the docs, checked by a test)
    omitted: ClassVar[dict[str, str]] = {}
    chunk_size: ClassVar[int] = 5000

    # ------------------------------------------------ columns

    def column(self, header: str) -> Column | None:
        return self._by_header().get(header.strip().casefold())

    def _by_header(self) -> dict[str, Column]:
        cache = self.__dict__.get("_headers")
        if cache is None:
            cache = {}
            for c in self.columns:
                cache[c.name.casefold()] = c
                cache[c.zh.casefold()] = c
            self.__dict__["_headers"] = cache
        return cache

    def schema_field(self, col: Column) -> Any:
        """The pydantic field a column feeds (None for columns the entity maps itself)."""
        return None if col.custom else self.schema.model_fields.get(col.target)

    def is_required(self, col: Column) -> bool:
        if col.required is not None:
            return col.required
        f = self.schema_field(col)
        return bool(f and f.is_required())

    def column_for(self, loc: tuple[Any, ...], message: str) -> str:
        """The column a schema error belongs to (by its location, else by the field it names)."""
        by_field = {c.target: c.name for c in self.columns if not c.custom}
        if loc and isinstance(loc[0], str) and loc[0] in by_field:
            return by_field[loc[0]]
        return self._named_in(message, by_field)

    @staticmethod
    def _named_in(message: str, by_field: dict[str, str]) -> str:
        hits = [(m.start(), col) for f, col in by_field.items() if (m := re.search(rf"\b{re.escape(f)}\b", message))]
        return min(hits)[1] if hits else ""

    # ------------------------------------------------ import

    def batches(self, ctx: ImportContext, cells: Sequence[Cells]) -> Iterator[list[Record]]:
        """Validated records, chunk by chunk (references were resolved beforehand)."""
        for start in range(0, len(cells), self.chunk_size):
            out = []
            for c in cells[start : start + self.chunk_size]:
                rec = self.record(ctx, c)
                if rec is not None:
                    out.append(rec)
            ctx.progress.advance("validate", min(self.chunk_size, len(cells) - start))
            yield out

    def resolve(self, ctx: ImportContext, cells: Sequence[Cells]) -> None:
        """Look up every reference of the file in bulk (one query per reference column and up
        to 20,000 keys)."""
        for col in self.columns:
            if col.ref is None:
                continue
            wanted: set[Any] = set()
            for c in cells:
                v = c.values.get(col.name)
                if isinstance(v, list):
                    wanted.update(v)
                elif v is not None:
                    wanted.add(v)
            ctx.lookups[col.name] = lookup(ctx.session, col.ref, wanted) if wanted else {}

    def build(self, ctx: ImportContext, cells: Cells) -> dict[str, Any]:
        """The schema input of one row: cells by field, references resolved to ids."""
        rename, skip, refs = self._mapping()
        values = cells.values
        data = dict(values)
        for name in skip:
            data.pop(name, None)
        for name, target in rename.items():
            if name in data:
                data[target] = data.pop(name)
        lookups = ctx.lookups
        for col in refs:
            value = values.get(col.name)
            if value is None:
                continue
            hit = lookups[col.name].get(value) if type(value) is str else None
            data[col.target] = hit.id if hit is not None else self.resolve_value(ctx, cells.row, col, value)
        return data

    def _mapping(self) -> tuple[dict[str, str], set[str], list[Column]]:
        """Renamed plain columns (name -> field), columns that are not plain, reference columns."""
        cached = self.__dict__.get("_map")
        if cached is None:
            rename = {c.name: c.target for c in self.columns if not c.custom and c.ref is None and c.name != c.target}
            skip = {c.name for c in self.columns if c.custom or c.ref is not None}
            cached = (rename, skip, [c for c in self.columns if not c.custom and c.ref is not None])
            self.__dict__["_map"] = cached
        return cached

    def resolve_value(self, ctx: ImportContext, row: int, col: Column, value: Any) -> Any:
        assert col.ref is not None
        if isinstance(value, list):
            ids = []
            for item in value:
                hit = ctx.ref(col.name, item)
                if hit is None:
                    ctx.error(row, col.name, f"no {col.ref.label} with {col.ref.key} {item!r}", "not_found")
                else:
                    ids.append(hit.id)
            return ids
        hit = ctx.ref(col.name, value)
        if hit is None:
            ctx.error(row, col.name, f"no {col.ref.label} with {col.ref.key} {value!r}", "not_found")
            return PLACEHOLDER_ID
        return hit.id

    def validate(self, ctx: ImportContext, row: int, data: dict[str, Any]) -> Any:
        """The schema instance for ``data``, or None after reporting its errors."""
        try:
            return self.schema.model_validate(data)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                self.report(ctx, row, e)
            return None

    def report(self, ctx: ImportContext, row: int, e: Any, column: str | None = None) -> None:
        """Record one pydantic error; the column is found from its location unless given."""
        message = e["msg"].removeprefix("Value error, ")
        value = e.get("input")
        if isinstance(value, str) and e["type"] != "missing" and len(value) <= 80:
            message = f"{message} (got {value!r})"
        if column is None:
            column = self.column_for(tuple(e["loc"]), message)
        ctx.error(row, column, message, e["type"])

    def record(self, ctx: ImportContext, cells: Cells) -> Record | None:
        data = self.build(ctx, cells)
        model = self.validate(ctx, cells.row, data)
        if model is None:
            return None
        return Record(cells.row, model, cells.values)

    def key_of(self, values: dict[str, Any]) -> Any:
        """The natural key of a row for duplicate checks (None: not given)."""
        return values.get(self.unique) if self.unique else None

    def check_unique(self, ctx: ImportContext, keyed: Sequence[tuple[int, Any]]) -> None:
        """Duplicate natural keys: within the file (naming the first row) and in the database."""
        if not self.unique:
            return
        first: dict[Any, int] = {}
        for row, key in keyed:
            if key is None:
                continue
            if key in first:
                ctx.error(row, self.unique, f"{key!r} is already used in row {first[key]}", "duplicate")
            else:
                first[key] = row
        for key in sorted(existing(ctx.session, getattr(self.model, self.unique), first), key=str):
            ctx.error(first[key], self.unique, f"{key!r} already exists", "duplicate")

    def check(self, ctx: ImportContext, records: list[Record]) -> None:
        """Rules beyond the schema, on the records that passed it: rules that need the whole file
        or the database, or (when :attr:`streams`) rules of one record at a time."""

    #: :meth:`check` looks at one record at a time, so :meth:`stream` may write valid records
    #: while later rows are still being validated (the write is abandoned at the first error)
    streams: ClassVar[bool] = False

    def stream(self, ctx: ImportContext, rows: int) -> Stream:
        """A writer fed chunk by chunk (only for entities that :attr:`streams`)."""
        raise NotImplementedError

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        raise NotImplementedError

    def write_total(self, records: list[Record]) -> int:
        """How many database rows :meth:`write` inserts (for the progress bar)."""
        return len(records)

    # ------------------------------------------------ export

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        """Rows of the session's tenant as ``{column name: value}``, in id order."""
        raise NotImplementedError


def stamp(ctx: ImportContext) -> dict[str, Any]:
    """The columns every new ``TenantOwned``/``Timestamped`` row gets."""
    return {"tenant_id": ctx.tenant_id, "created_at": ctx.now, "updated_at": ctx.now, "version": 1}


def draw_numbers(ctx: ImportContext, attr: Any, prefix: str, years: Sequence[int], taken: set[str]) -> list[str]:
    """Document numbers (``CT-2025-000123``) from the tenant's sequences for records that have none,
    skipping numbers already used in the file (``taken``) or in the database."""
    from somp.core.sequences import next_number

    out: list[str] = [""] * len(years)
    pending = list(range(len(years)))
    while pending:
        for i in pending:
            out[i] = next_number(ctx.session, ctx.tenant_id, prefix, years[i])
        clash = existing(ctx.session, attr, [out[i] for i in pending]) | (taken & {out[i] for i in pending})
        taken.update(out[i] for i in pending if out[i] not in clash)
        pending = [i for i in pending if out[i] in clash]
    return out
