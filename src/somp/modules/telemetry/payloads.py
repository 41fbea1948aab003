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
import numpy as np

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


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)


def us_of(t: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    return (t - EPOCH) // _US


def time_of(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=int(us))


@dataclass
class Columns:
    """Decoded readings, column-wise: ``ts`` in microseconds since the Unix epoch (UTC, int64) and
    ``value`` (float64) as numpy arrays, so checks, roll-ups and the COPY buffer are vectorised;
    ``asset`` is a serial number per reading, or None when the device token names the asset."""

    metric: list[str] = field(default_factory=list)
    ts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    value: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    asset: list[str | None] = field(default_factory=list)
    batch_id: str | None = None

    def __len__(self) -> int:
        return len(self.metric)

    def times(self) -> list[dt.datetime]:
        return [time_of(x) for x in self.ts]


@dataclass
class Rows:
    """Row-wise builder of :class:`Columns` (CSV, ThingsBoard and single-reading shapes)."""

    metric: list[str] = field(default_factory=list)
    ts: list[dt.datetime] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    asset: list[str | None] = field(default_factory=list)
    batch_id: str | None = None

    def __len__(self) -> int:
        return len(self.metric)

    def columns(self) -> Columns:
        n = len(self.ts)
        return Columns(
            self.metric,
            np.fromiter((us_of(t) for t in self.ts), np.int64, n),
            np.asarray(self.value, dtype=np.float64).reshape(n),
            self.asset,
            self.batch_id,
        )


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
    if b'"readings"' in raw:  # most likely a somp batch: decode it with its schema straight away
        try:
            return _batch_columns(_decode_batch.decode(raw))
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass  # not that shape after all: the general path below says what is wrong
    try:
        head = _decode_any.decode(raw)
    except msgspec.DecodeError as exc:
        raise PayloadError(f"not valid JSON: {exc}") from None
    if type(head) is dict and "metric" in head and "readings" not in head:
        try:
            return _single_columns(head, raw)
        except msgspec.ValidationError as exc:
            raise PayloadError(f"invalid payload: {_msg(exc)}") from None
    out = Rows()  # (after the single-reading path: its four lists cost more than that path's checks)
    try:
        if isinstance(head, dict) and "readings" in head:
            batch = _decode_batch.decode(raw)
            return _batch_columns(batch)
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
    return out.columns()


_SINGLE_KEYS = frozenset(("metric", "ts", "value", "asset"))


def _single_columns(head: dict, raw: bytes) -> Columns:
    """One reading (the MQTT single-message hot path): checked on the dict already decoded when
    it has the plain shape, else decoded again with the schema for its exact error message."""
    metric, ts, value, asset = head.get("metric"), head.get("ts"), head.get("value"), head.get("asset")
    plain = (
        _SINGLE_KEYS.issuperset(head)
        and type(metric) is str
        and type(ts) in (int, float)
        and type(value) in (int, float)
        and (asset is None or type(asset) is str)
    )
    if not plain:
        r = _decode_single.decode(raw)
        return Rows([r.metric], [to_time(r.ts, "ts")], [r.value], [r.asset]).columns()
    if not math.isfinite(ts):
        raise PayloadError("ts: not a timestamp")
    seconds = ts / 1000 if abs(ts) >= _MS_THRESHOLD else ts
    if abs(seconds) > 253_402_300_799:  # 9999-12-31T23:59:59Z
        raise PayloadError("ts: timestamp out of range")
    us = np.array([round(seconds * 1_000_000)], dtype=np.int64)
    return Columns([metric], us, np.array([value], dtype=np.float64), [asset], None)


def _batch_columns(batch: _Batch) -> Columns:
    """The hot path (a device batch): attribute lists and one vectorised time conversion."""
    rs = batch.readings
    value = np.array([r.value for r in rs], dtype=np.float64)
    ts = times_us([r.ts for r in rs], "readings")
    return Columns([r.metric for r in rs], ts, value, [r.asset for r in rs], batch.batch_id)


def times_us(raw: list, where: str) -> np.ndarray:
    """Timestamps (aware datetimes, or epoch seconds / milliseconds) -> int64 microseconds."""
    n = len(raw)
    try:
        a = np.array(raw, dtype=np.float64).reshape(n)
    except (TypeError, ValueError):  # datetimes among them: convert one by one
        return np.fromiter((us_of(to_time(x, f"{where}[{i}].ts")) for i, x in enumerate(raw)), np.int64, n)
    return epoch_numbers_us(a, where)


def epoch_numbers_us(a: np.ndarray, where: str) -> np.ndarray:
    bad = ~np.isfinite(a)
    if bad.any():
        raise PayloadError(f"{where}[{int(np.argmax(bad))}].ts: not a timestamp")
    sec = np.where(np.abs(a) >= _MS_THRESHOLD, a / 1000.0, a)
    far = np.abs(sec) > 253_402_300_799  # 9999-12-31T23:59:59Z
    if far.any():
        raise PayloadError(f"{where}[{int(np.argmax(far))}].ts: timestamp out of range")
    return np.rint(sec * 1e6).astype(np.int64)


def _add_tb(out: Rows, entries: list[_TbEntry]) -> None:
    for i, e in enumerate(entries):
        t = to_time(e.ts, f"[{i}].ts")
        for key, v in e.values.items():
            _add(out, key, t, v, None)


def _add(out: Rows, metric: str, ts: dt.datetime, value: float, asset: str | None) -> None:
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
    out = Rows()
    add_csv_rows(out, layout, enumerate(reader, start=2))
    return out.columns()


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
    out: Rows, layout: tuple[int, int, int, int | None, int], rows: Iterable[tuple[int, list[str]]], limit: int = 0
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


EARLIEST_US = us_of(EARLIEST)


def check_many(batches: list[Columns], now: dt.datetime) -> list[str | None]:
    """:func:`check` of many batches at once: the rules run vectorised over all their readings
    together and only a batch that breaks one is checked alone for its message. Thousands of
    single-reading MQTT messages share a transaction; one numpy pass per message cost more than
    the rest of their ingest. Returns the reason each batch is refused, or None."""
    errors: list[str | None] = [None] * len(batches)
    suspect: list[int] = []
    clean: list[int] = []
    for i, c in enumerate(batches):
        n = len(c.metric)
        if (not 0 < n <= MAX_READINGS or len(c.ts) != n or len(c.value) != n or len(c.asset) != n
                or (c.batch_id is not None and not 1 <= len(c.batch_id) <= 80)):  # fmt: skip
            suspect.append(i)
        else:
            clean.append(i)
    if clean:
        ts = np.concatenate([batches[i].ts for i in clean])
        value = np.concatenate([batches[i].value for i in clean])
        bad = ~np.isfinite(value) | (ts < EARLIEST_US) | (ts > us_of(now + CLOCK_SKEW))
        keys: set = set()
        for i in clean:
            keys.update(batches[i].metric)
        wrong = {k for k in keys if not isinstance(k, str) or not METRIC_KEY.match(k)}
        if bad.any() or wrong:
            lens = np.fromiter((len(batches[i].metric) for i in clean), np.int64, len(clean))
            flagged = np.logical_or.reduceat(bad, np.concatenate(([0], np.cumsum(lens)[:-1])))
            for k, i in enumerate(clean):
                if flagged[k] or (wrong and not wrong.isdisjoint(batches[i].metric)):
                    suspect.append(i)
    for i in suspect:
        try:
            check(batches[i], now)
        except PayloadError as exc:
            errors[i] = exc.reason
    return errors


def check(cols: Columns, now: dt.datetime) -> None:
    """Rules every reading must meet, whatever the shape: a batch is stored whole or refused."""
    n = len(cols)
    if n == 0:
        raise PayloadError("no readings")
    if n > MAX_READINGS:
        raise PayloadError(f"more than {MAX_READINGS} readings in one payload")
    if len(cols.ts) != n or len(cols.value) != n or len(cols.asset) != n:
        raise PayloadError("columns of unequal length")
    bad = ~np.isfinite(cols.value)
    if bad.any():
        raise PayloadError(f"reading {int(np.argmax(bad))}: value is not a finite number")
    out = (cols.ts < EARLIEST_US) | (cols.ts > us_of(now + CLOCK_SKEW))
    if out.any():
        i = int(np.argmax(out))
        raise PayloadError(
            f"reading {i}: timestamp {time_of(cols.ts[i]).isoformat()} is outside 2000-01-01 .. now + 10 min"
        )
    wrong = [k for k in set(cols.metric) if not isinstance(k, str) or not METRIC_KEY.match(k)]
    if wrong:
        i = min(cols.metric.index(k) for k in wrong)
        raise PayloadError(
            f"reading {i}: metric {cols.metric[i]!r} is not a valid key (letters, digits, _ . -; up to 64)"
        )
    if cols.batch_id is not None and not (1 <= len(cols.batch_id) <= 80):
        raise PayloadError("batch_id must have 1 to 80 characters")


def as_text(raw: bytes, limit: int = 4000) -> str:
    """A payload for the dead-letter table: text, cut at ``limit`` characters."""
    text = raw[: limit * 4].decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"
