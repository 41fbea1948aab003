"""File import of historical telemetry, CSV or Parquet (framework node 2.2.1, acquire data).

A file is checked whole before anything is stored: every row is decoded and checked (payload
rules, the asset serial exists in the tenant, the metric's valid range) and a file with any bad row
is refused with the row numbers and reasons. A good file is then stored in chunks of
``CHUNK_ROWS`` readings, each chunk a batch whose id is derived from the file's digest and the
chunk's position: importing the same file again (or again after an interruption) stores only what
is missing, never a reading twice.

Columns, in any order: ``asset`` (serial number), ``metric``, ``ts``, ``value``. CSV timestamps are
ISO 8601 with an offset or epoch seconds/milliseconds; Parquet ``ts`` may be a timestamp column
(naive means UTC), epoch numbers, or ISO text.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from somp.core.database import Database, utcnow
from somp.modules.telemetry.ingest import Ingestor, Item, Source
from somp.modules.telemetry.payloads import (
    Columns,
    PayloadError,
    Rows,
    add_csv_rows,
    csv_layout,
    epoch_numbers_us,
    times_us,
)

CHUNK_ROWS = 50_000
MAX_ERRORS = 100
_READING = re.compile(r"^reading (\d+):")


@dataclass
class FileReport:
    path: str
    rows: int = 0
    stored: int = 0
    duplicate_chunks: int = 0
    chunks: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_chunks(path: Path, rows: int = CHUNK_ROWS) -> Iterator[tuple[int, Columns]]:
    """``(first row number, readings)`` per chunk; row numbers count the CSV header as row 1 and
    Parquet rows from 1."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        yield from _parquet_chunks(path, rows)
    elif suffix in (".csv", ".txt"):
        yield from _csv_chunks(path, rows)
    else:
        raise PayloadError(f"{path.name}: unknown file type (expected .csv or .parquet)")


def _csv_chunks(path: Path, rows: int) -> Iterator[tuple[int, Columns]]:
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        layout = csv_layout(next(reader, []))
        numbered = enumerate(reader, start=2)
        first = 2
        while True:
            out = Rows()
            next_line = add_csv_rows(out, layout, numbered, limit=rows)
            if len(out):
                yield first, out.columns()
            if next_line is None:
                return
            first = next_line


def _parquet_chunks(path: Path, rows: int) -> Iterator[tuple[int, Columns]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise PayloadError(f"{path.name}: not a readable Parquet file ({exc})") from None
    names = [n.lower() for n in pf.schema_arrow.names]
    missing = {"asset", "metric", "ts", "value"} - set(names)
    if missing:
        raise PayloadError(f"Parquet columns lack {', '.join(sorted(missing))} (got {', '.join(names)})")
    wanted = [pf.schema_arrow.names[names.index(c)] for c in ("asset", "metric", "ts", "value")]
    first = 1
    for batch in pf.iter_batches(batch_size=rows, columns=wanted):
        asset, metric, ts, value = batch.columns
        where = f"rows {first}-{first + len(batch) - 1}"
        for name, col in (("asset", asset), ("metric", metric), ("ts", ts), ("value", value)):
            if col.null_count:
                raise PayloadError(f"row {first + _first_null(col)}: {name} is empty")
        try:
            values = pc.cast(value, pa.float64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise PayloadError(f"{where}: value is not numeric") from None
        if pa.types.is_timestamp(ts.type):  # naive timestamps are taken as UTC
            times = pc.cast(ts, pa.timestamp("us", tz=ts.type.tz)).cast(pa.int64()).to_numpy()
        elif pa.types.is_integer(ts.type) or pa.types.is_floating(ts.type):
            times = epoch_numbers_us(pc.cast(ts, pa.float64()).to_numpy(), f"row {first}+")
        else:
            texts = ts.to_pylist()
            try:
                parsed = [dt.datetime.fromisoformat(str(x)) for x in texts]
            except ValueError:
                raise PayloadError(f"{where}: ts is not readable") from None
            times = times_us(parsed, f"row {first}+")
        yield first, Columns([str(m) for m in metric.to_pylist()], times, values, [str(a) for a in asset.to_pylist()])
        first += len(batch)


def _first_null(col) -> int:  # noqa: ANN001
    import pyarrow.compute as pc

    return int(pc.index(pc.is_null(col), True).as_py())


def import_file(
    db: Database,
    tenant_id: int,
    path: Path,
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    ingestor: Ingestor | None = None,
) -> FileReport:
    """Check the whole file, then (unless ``dry_run`` or refused) store it chunk by chunk.
    ``progress`` is called with the number of rows handled after each chunk of each pass."""
    ing = ingestor or Ingestor(db)
    report = FileReport(str(path))
    digest = file_digest(path)[:40]
    now = utcnow()

    def items() -> Iterator[tuple[int, Item]]:
        for n, (first, cols) in enumerate(read_chunks(path, chunk_rows)):
            cols.batch_id = f"file:{digest}:{n}"
            yield first, Item(Source(tenant_id, None, "file"), cols, b"")

    try:
        for first, item in items():
            (outcome,) = ing.ingest_many([item], now, dry_run=True)
            report.rows += len(item.columns)
            report.chunks += 1
            if not outcome.ok:
                report.errors.append(_row_reason(outcome.error or "", first))
                if len(report.errors) >= MAX_ERRORS:
                    break
            if progress:
                progress(len(item.columns))
    except PayloadError as exc:
        report.errors.append(exc.reason)
    if report.errors or dry_run:
        return report
    for first, item in items():
        (outcome,) = ing.ingest_many([item], now)
        if not outcome.ok:  # the data changed between the passes (an asset retired, a range set)
            report.errors.append(_row_reason(outcome.error or "", first) + " (the chunks before it were stored)")
            return report
        report.stored += outcome.accepted
        report.duplicate_chunks += outcome.duplicate
        if progress:
            progress(len(item.columns))
    return report


def _row_reason(reason: str, first_row: int) -> str:
    """Turn "reading N: ..." (position in the chunk) into "row R: ..." (position in the file)."""
    m = _READING.match(reason)
    if m is None:
        return reason
    return f"row {first_row + int(m.group(1))}:{reason[m.end() :]}"
