"""Import a file of one entity into one tenant: validate everything, then write everything.

A file is rejected whole: every error is collected with its spreadsheet row (header = row 1),
its column (as headed in the file) and the reason, and nothing is written. A good file is
written in one transaction. Validation reuses the module's input schema row by row, after
references by natural key were resolved in bulk inside the tenant; then come the checks that need
the whole file or the database (duplicates, state rules, covered assets...).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import FieldError, NotFound, ValidationFailed
from somp.core.identity import Tenant
from somp.core.tenancy import Scope
from somp.dataio.spec import Cells, EntitySpec, ImportContext, NoProgress, Progress, Record, Stream, parse_cell
from somp.dataio.tabular import Table, TableError, format_of, open_table


class ImportRejected(ValidationFailed):
    """The file was not imported; ``errors`` lists every problem with its row and column."""

    code = "import_rejected"
    title = "File rejected"


@dataclass(frozen=True)
class ImportResult:
    entity: str
    rows: int  # data rows read (blank rows not counted)
    records: int  # records written (or, in a dry run, that would be written)
    dry_run: bool
    seconds: float


def import_file(
    db: Database,
    entity: EntitySpec,
    path: Path,
    *,
    tenant_id: int,
    fmt: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    tz: dt.tzinfo = dt.UTC,
    progress: Progress | None = None,
) -> ImportResult:
    """Import ``path`` into tenant ``tenant_id``: all of it in one transaction, or nothing.

    Raises
    ------
    ImportRejected
        The file has errors (all of them are in ``errors``); nothing was written.
    NotFound
        No such tenant.
    """
    started = time.perf_counter()
    try:
        form = format_of(path, fmt)
    except TableError as exc:
        raise ImportRejected(str(exc), [FieldError("", str(exc), "file")]) from None
    with db.session(Scope.tenant(tenant_id)) as session:
        if session.get(Tenant, tenant_id) is None:
            raise NotFound(f"tenant {tenant_id} not found")
        try:
            with open_table(path, form, (entity.name, entity.zh), sheet) as table:
                rows, records = import_table(
                    session, entity, table, tenant_id=tenant_id, dry_run=dry_run, tz=tz, progress=progress
                )
        except TableError as exc:
            raise ImportRejected(str(exc), [FieldError("", str(exc), "file", exc.row)]) from None
        if not dry_run:
            try:
                session.commit()
            except DBAPIError as exc:
                raise _refused(exc) from None
    return ImportResult(entity.name, rows, records, dry_run, time.perf_counter() - started)


def import_table(
    session: Session,
    entity: EntitySpec,
    table: Table,
    *,
    tenant_id: int,
    dry_run: bool = False,
    tz: dt.tzinfo = dt.UTC,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Validate and (unless ``dry_run``) write ``table`` in ``session`` without committing;
    returns (data rows, records). Raises :class:`ImportRejected` with every error found."""
    with _gc_paused():
        return _import(session, entity, table, tenant_id, dry_run, tz, progress or NoProgress())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Validating a big file allocates millions of long-lived objects and no cycles worth
    collecting; the cyclic collector's repeated full passes over them cost about a fifth of the
    import, so it is paused meanwhile (and re-enabled as it was)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _import(
    session: Session,
    entity: EntitySpec,
    table: Table,
    tenant_id: int,
    dry_run: bool,
    tz: dt.tzinfo,
    progress: Progress,
) -> tuple[int, int]:
    ctx = ImportContext(session, tenant_id, {}, tz, utcnow(), progress)
    positions = _map_header(ctx, entity, table.header)
    if ctx.errors:
        raise _rejected(ctx, 0)
    keyed: list[tuple[int, Any]] = []
    progress.start("read", table.total)
    cells = list(_cells(ctx, entity, table, positions, keyed))
    progress.finish("read")
    progress.start("validate", len(cells))
    # every database read happens here, before anything is written
    entity.resolve(ctx, cells)
    entity.check_unique(ctx, keyed)
    stream: Stream | None = None
    records: list[Record] = []
    valid = 0
    try:
        for batch in entity.batches(ctx, cells):
            good = [r for r in batch if _ok(ctx, r)]
            if not entity.streams:
                records.extend(good)
                continue
            entity.check(ctx, good)  # one record at a time: the chunk is final unless it failed
            valid += len(good)
            if dry_run or ctx.errors:
                continue
            if stream is None:
                stream = entity.stream(ctx, len(cells))
            stream.add(good)
        if not entity.streams:
            records = [r for r in records if _ok(ctx, r)]
            entity.check(ctx, records)
            valid = len(records)
        if ctx.errors:
            raise _rejected(ctx, len(cells))
        if stream is not None:
            stream.finish()
        elif not dry_run and not entity.streams:
            progress.start("write", entity.write_total(records))
            entity.write(ctx, records)
    except BaseException as exc:
        if stream is not None:
            stream.abort()
        if isinstance(exc, DBAPIError):
            raise _refused(exc) from None
        raise
    return len(cells), valid


def _ok(ctx: ImportContext, record: Record) -> bool:
    return not ctx.bad_rows.intersection(record.rows or (record.row,))


def _map_header(ctx: ImportContext, entity: EntitySpec, header: list[str]) -> list[tuple[int, Any]]:
    positions = []
    seen: dict[str, int] = {}
    for i, text in enumerate(header):
        if not text.strip():
            continue
        col = entity.column(text)
        if col is None:
            known = ", ".join(c.name for c in entity.columns)
            ctx.error(
                1,
                text.strip(),
                f"unknown column {text.strip()!r} for {entity.name}; columns: {known}",
                "unknown_column",
            )
            continue
        if col.name in seen:
            ctx.error(
                1,
                text.strip(),
                f"column {col.name} appears twice (columns {seen[col.name] + 1} and {i + 1})",
                "duplicate_column",
            )
            continue
        seen[col.name] = i
        ctx.headers[col.name] = text.strip()
        positions.append((i, col))
    for col in entity.columns:
        if col.name not in seen and entity.is_required(col):
            ctx.error(1, col.name, f"required column {col.name} ({col.zh}) is missing", "missing_column")
    return positions


def _cells(
    ctx: ImportContext,
    entity: EntitySpec,
    table: Table,
    positions: list[tuple[int, Any]],
    keyed: list[tuple[int, Any]],
) -> Iterator[Cells]:
    """Data rows as :class:`Cells` (blank rows skipped); the hot loop of reading, kept plain."""
    width = len(table.header)
    blank_header = [i for i, h in enumerate(table.header) if not h.strip()]
    # the column name of each position holding plain text (None: not plain text)
    plain: list[str | None] = [None] * width
    for i, col in positions:
        if col.kind == "text":
            plain[i] = col.name
    parsed = [(i, col) for i, col in positions if col.kind != "text"]
    advance, key_of, tz = ctx.progress.advance, entity.key_of, ctx.tz
    for n, raw in table.rows:
        advance("read")
        if len(raw) != width:
            for i in range(width, len(raw)):
                if raw[i].strip():
                    ctx.error(n, _letter(i), "a value in a column without a header", "unknown_column")
            raw = raw[:width] + [""] * (width - len(raw))
        for i in blank_header:
            if raw[i].strip():
                ctx.error(n, _letter(i), "a value in a column without a header", "unknown_column")
        values: dict[str, Any] = {name: text for name, text in zip(plain, map(str.strip, raw), strict=True) if text}
        values.pop(None, None)  # type: ignore[call-overload]
        for i, col in parsed:
            text = raw[i].strip()
            if text:
                try:
                    values[col.name] = parse_cell(col, text, tz)
                except ValueError as exc:
                    ctx.error(n, col.name, f"not valid JSON: {exc}", "json_invalid")
        if not values and n not in ctx.bad_rows:
            continue  # a blank row
        keyed.append((n, key_of(values)))
        yield Cells(n, values)


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return f"column {s}"


def _rejected(ctx: ImportContext, rows: int) -> ImportRejected:
    """The rejection, errors in reading order: by row, then left to right."""
    place = {header: i for i, header in enumerate(ctx.headers.values())}
    errors = sorted(ctx.errors, key=lambda e: (e.row or 0, place.get(e.field, len(place))))
    bad = len({e.row for e in errors})
    return ImportRejected(
        f"{len(errors)} error(s) in {bad} row(s) of {rows}; nothing was imported", errors, {"rows": rows}
    )


def _refused(exc: DBAPIError) -> ImportRejected:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return ImportRejected(
        "the database refused the import; nothing was imported",
        [FieldError("", f"the database refused the write: {reason}", "database")],
    )
