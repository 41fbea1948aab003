"""Decoding telemetry payloads into columns (pure: bytes in, columns out, no database).

Accepted shapes, JSON (decoded with msgspec, which validates types in C):

* somp batch: ``{"batch_id": "b-1", "readings": [{"metric": "pressure", "ts": "2026-01-01T00:00:00Z",
  "value": 7.1, "asset": "SN-1"}, ...]}`` (``batch_id`` and ``asset`` optional);
* somp single reading: ``{"metric": "pressure", "ts": ..., "value": 7.1}``;
* ThingsBoard device telemetry: ``{"ts": 1451649600512, "values": {"pressure": 7.1, ...}}``, a list
  of those, or a flat ``{"pressure": 7.1, ...}`` stamped with the arrival time.

CSV (UTF-8, header row): ``metric,ts,value`` plus an optional ``asset`` column (serial number).

Timestamps are ISO 8601 with an offset, or numbers since the Unix epoch: milliseconds when above
10^11 (ThingsBoard's convention), seconds otherwise. Values are finite numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

MAX_READINGS = 100_000
METRIC_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(minutes=10)
_MS_THRESHOLD = 10**11


class PayloadError(ValueError):
    """The payload is refused as a whole; ``reason`` says why (and where, for one reading)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Columns:
    """Decoded readings as parallel lists (asset is a serial number or None when device-bound)."""

    metric: list[str] = field(default_factory=list)
    ts: list[dt.datetime] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    asset: list[str | None] = field(default_factory=list)
    batch_id: str | None = None

    def __len__(self) -> int:
        return len(self.value)


class _Reading(msgspec.Struct, forbid_unknown_fields=True):
    metric: str
    ts: dt.datetime | int | float
    value: float
    asset: str | None = None


class _Batch(msgspec.Struct, forbid_unknown_fields=True):
    readings: list[_Reading]
    batch_id: str | None = None


class _TbEntry(msgspec.Struct, forbid_unknown_fields=True):
    ts: int | float
    values: dict[str, float]


_decode_any = msgspec.json.Decoder()
_decode_batch = msgspec.json.Decoder(_Batch)
_decode_single = msgspec.json.Decoder(_Reading)
_decode_tb = msgspec.json.Decoder(_TbEntry)
_decode_tb_list = msgspec.json.Decoder(list[_TbEntry])
_decode_flat = msgspec.json.Decoder(dict[str, float])


def to_time(x: dt.datetime | int | float, where: str) -> dt.datetime:
    if isinstance(x, dt.datetime):
        if x.tzinfo is None:
            raise PayloadError(f"{where}: timestamp without a UTC offset")
        return x.astimezone(dt.UTC)
    if isinstance(x, bool) or not math.isfinite(x):
        raise PayloadError(f"{where}: not a timestamp")
    seconds = x / 1000 if abs(x) >= _MS_THRESHOLD else x
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(f"{where}: timestamp out of range") from None


def _msg(exc: msgspec.ValidationError | msgspec.DecodeError) -> str:
    return str(exc).replace("`$.", "`")


def decode_json(raw: bytes, now: dt.datetime) -> Columns:
    """Decode one JSON payload in any accepted shape."""
    if not raw.strip():
        raise PayloadError("empty payload")
    try:
        head = _decode_any.decode(raw)
    except msgspec.DecodeError as exc:
        raise PayloadError(f"not valid JSON: {exc}") from None
    out = Columns()
    try:
        if isinstance(head, dict) and "readings" in head:
            batch = _decode_batch.decode(raw)
            out.batch_id = batch.batch_id
            for i, r in enumerate(batch.readings):
                _add(out, r.metric, to_time(r.ts, f"readings[{i}].ts"), r.value, r.asset)
        elif isinstance(head, dict) and "metric" in head:
            r = _decode_single.decode(raw)
            _add(out, r.metric, to_time(r.ts, "ts"), r.value, r.asset)
        elif isinstance(head, dict) and "values" in head and "ts" in head:
            entry = _decode_tb.decode(raw)
            _add_tb(out, [entry])
        elif isinstance(head, list):
            _add_tb(out, _decode_tb_list.decode(raw))
        elif isinstance(head, dict):
            for key, v in _decode_flat.decode(raw).items():
                _add(out, key, now, v, None)
        else:
            raise PayloadError("expected a JSON object or a list")
    except msgspec.ValidationError as exc:
        raise PayloadError(f"invalid payload: {_msg(exc)}") from None
    return out


def _add_tb(out: Columns, entries: list[_TbEntry]) -> None:
    for i, e in enumerate(entries):
        t = to_time(e.ts, f"[{i}].ts")
        for key, v in e.values.items():
            _add(out, key, t, v, None)


def _add(out: Columns, metric: str, ts: dt.datetime, value: float, asset: str | None) -> None:
    out.metric.append(metric)
    out.ts.append(ts)
    out.value.append(value)
    out.asset.append(asset)


def decode_csv(raw: bytes) -> Columns:
    """Decode a CSV payload (header ``metric,ts,value[,asset]``)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayloadError("CSV is not UTF-8") from None
    reader = csv.reader(io.StringIO(text))
    layout = csv_layout(next(reader, []))
    out = Columns()
    add_csv_rows(out, layout, enumerate(reader, start=2))
    return out


def csv_layout(header: list[str]) -> tuple[int, int, int, int | None, int]:
    """Column positions (metric, ts, value, asset or None, width) of a telemetry CSV header."""
    header = [h.strip().lower() for h in header]
    missing = {"metric", "ts", "value"} - set(header)
    if missing:
        raise PayloadError(f"CSV header lacks {', '.join(sorted(missing))} (got {', '.join(header) or 'nothing'})")
    unknown = set(header) - {"metric", "ts", "value", "asset"}
    if unknown:
        raise PayloadError(f"CSV header has unknown columns {', '.join(sorted(unknown))}")
    ia = header.index("asset") if "asset" in header else None
    return header.index("metric"), header.index("ts"), header.index("value"), ia, len(header)


def add_csv_rows(
    out: Columns, layout: tuple[int, int, int, int | None, int], rows: Iterable[tuple[int, list[str]]], limit: int = 0
) -> int | None:
    """Append ``(line number, fields)`` rows to ``out``; with ``limit``, stop after that many
    readings and return the next line number (None when the rows are exhausted)."""
    im, it, iv, ia, width = layout
    for line_no, row in rows:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != width:
            raise PayloadError(f"row {line_no}: {len(row)} fields, the header has {width}")
        ts_text = row[it].strip()
        try:
            ts: dt.datetime | float = float(ts_text) if _is_number(ts_text) else dt.datetime.fromisoformat(ts_text)
            value = float(row[iv])
        except ValueError:
            raise PayloadError(f"row {line_no}: ts or value is not readable") from None
        asset = (row[ia].strip() or None) if ia is not None else None
        _add(out, row[im].strip(), to_time(ts, f"row {line_no}"), value, asset)
        if limit and len(out) >= limit:
            return line_no + 1
        if len(out) > MAX_READINGS:
            raise PayloadError(f"more than {MAX_READINGS} readings in one payload")
    return None


def _is_number(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or text[0] in "+-.") and "T" not in text and ":" not in text


def check(cols: Columns, now: dt.datetime) -> None:
    """Rules every reading must meet, whatever the shape: a batch is stored whole or refused."""
    n = len(cols)
    if n == 0:
        raise PayloadError("no readings")
    if n > MAX_READINGS:
        raise PayloadError(f"more than {MAX_READINGS} readings in one payload")
    latest = now + CLOCK_SKEW
    for i in range(n):
        v, t, m = cols.value[i], cols.ts[i], cols.metric[i]
        if not math.isfinite(v):
            raise PayloadError(f"reading {i}: value is not a finite number")
        if t < EARLIEST or t > latest:
            raise PayloadError(f"reading {i}: timestamp {t.isoformat()} is outside 2000-01-01 .. now + 10 min")
        if not METRIC_KEY.match(m):
            raise PayloadError(f"reading {i}: metric {m!r} is not a valid key (letters, digits, _ . -; up to 64)")
    if cols.batch_id is not None and not (1 <= len(cols.batch_id) <= 80):
        raise PayloadError("batch_id must have 1 to 80 characters")


def as_text(raw: bytes, limit: int = 4000) -> str:
    """A payload for the dead-letter table: text, cut at ``limit`` characters."""
    text = raw[: limit * 4].decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"
