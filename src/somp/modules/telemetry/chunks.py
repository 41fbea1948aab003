"""Readings stored per series and hour (framework node 2.2.1, store): pure numpy, no database.

A transaction's readings are grouped by (tenant, asset, metric, UTC hour) with one sort; each
group becomes one ``reading_chunks`` row holding its times and values as parallel arrays (see
:mod:`somp.modules.telemetry.models`). The same groups feed the hourly roll-ups.

Encodings:

* PostgreSQL binary COPY rows: fixed-width fields then two one-dimensional arrays
  (``timestamptz[]`` and ``float8[]``) in the binary array format (ndim, has-null flag, element
  type oid, length, lower bound, then a 4-byte length and 8 bytes per element). Headers and
  elements are built as numpy record arrays; Python runs once per chunk, never per reading.
* SQLite blobs: little-endian int64 microseconds since the Unix epoch and float64.
* Reading back from PostgreSQL uses ``array_send``: the same binary array format, parsed with one
  ``numpy.frombuffer`` per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOUR_US = 3_600_000_000
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch
TIMESTAMPTZ_OID = 1184
FLOAT8_OID = 701
ARRAY_HEADER = 20  # ndim, has-null, element oid, length, lower bound: five int32

_PGCOPY_HEAD = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_PGCOPY_TAIL = (-1).to_bytes(2, "big", signed=True)
COPY_COLUMNS = "tenant_id, asset_id, metric_id, hour, count, first_ts, last_ts, ts, value"


def _array_header(prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}_len", ">i4"), (f"{prefix}_ndim", ">i4"), (f"{prefix}_null", ">i4"), (f"{prefix}_oid", ">i4"),
            (f"{prefix}_dim", ">i4"), (f"{prefix}_lb", ">i4")]  # fmt: skip


# the fixed part of a chunk row up to (and including) the header of the times array
_HEAD = np.dtype(
    [("fields", ">i2")]
    + [f for name in ("tenant", "asset", "metric", "hour") for f in ((f"{name}_len", ">i4"), (name, ">i8"))]
    + [("count_len", ">i4"), ("count", ">i4")]
    + [f for name in ("first", "last") for f in ((f"{name}_len", ">i4"), (name, ">i8"))]
    + _array_header("ts")
)
_VALUES_HEAD = np.dtype(_array_header("v"))
_TIME_ELEMENT = np.dtype([("len", ">i4"), ("v", ">i8")])
_VALUE_ELEMENT = np.dtype([("len", ">i4"), ("v", ">f8")])
_ELEMENT = 12


@dataclass(frozen=True, slots=True)
class SeriesGroups:
    """Readings sorted by (asset, metric, hour, time); group ``k`` is ``[start[k], end[k])``.

    The sort is stable, so readings with equal times keep their arrival order (the last one
    received is the hour's last value)."""

    tenant: np.ndarray
    asset: np.ndarray
    metric: np.ndarray
    hour: np.ndarray  # hours since the Unix epoch
    ts: np.ndarray  # microseconds since the Unix epoch
    value: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @property
    def first(self) -> np.ndarray:
        return self.ts[self.start]

    @property
    def last(self) -> np.ndarray:
        return self.ts[self.end - 1]

    @property
    def count(self) -> np.ndarray:
        return self.end - self.start


def group_series(tenant, asset, metric, ts, value) -> SeriesGroups:  # noqa: ANN001
    """Group readings (int64/float64 columns of equal length) by tenant, asset, metric and hour."""
    hour = ts // HOUR_US
    order = np.lexsort((ts, hour, metric, asset, tenant))
    t, a, m, h, x, v = tenant[order], asset[order], metric[order], hour[order], ts[order], value[order]
    new = np.ones(len(a), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (m[1:] != m[:-1]) | (h[1:] != h[:-1]) | (t[1:] != t[:-1])
    start = np.flatnonzero(new)
    end = np.append(start[1:], len(a))
    return SeriesGroups(t, a, m, h, x, v, start, end)


def pg_copy_chunks(g: SeriesGroups) -> bytes:
    """The chunk rows of ``g`` in PostgreSQL's binary COPY format, columns :data:`COPY_COLUMNS`."""
    k, n = len(g), g.count
    head = np.empty(k, _HEAD)
    head["fields"] = 9
    for name, col in (("tenant", g.tenant[g.start]), ("asset", g.asset[g.start]), ("metric", g.metric[g.start]),
                      ("hour", g.hour[g.start] * HOUR_US - PG_EPOCH_US), ("first", g.first - PG_EPOCH_US),
                      ("last", g.last - PG_EPOCH_US)):  # fmt: skip
        head[f"{name}_len"] = 8
        head[name] = col
    head["count_len"] = 4
    head["count"] = n
    _fill_array_header(head, "ts", n, TIMESTAMPTZ_OID)
    vhead = np.empty(k, _VALUES_HEAD)
    _fill_array_header(vhead, "v", n, FLOAT8_OID)
    times = np.empty(len(g.ts), _TIME_ELEMENT)
    times["len"] = 8
    times["v"] = g.ts - PG_EPOCH_US
    values = np.empty(len(g.ts), _VALUE_ELEMENT)
    values["len"] = 8
    values["v"] = g.value
    hb, vb, tb, xb = head.tobytes(), vhead.tobytes(), times.tobytes(), values.tobytes()
    hs, vs = _HEAD.itemsize, _VALUES_HEAD.itemsize
    parts = [_PGCOPY_HEAD]
    for i, (s, e) in enumerate(zip(g.start.tolist(), g.end.tolist(), strict=True)):
        parts += (hb[i * hs : (i + 1) * hs], tb[s * _ELEMENT : e * _ELEMENT], vb[i * vs : (i + 1) * vs],
                  xb[s * _ELEMENT : e * _ELEMENT])  # fmt: skip
    parts.append(_PGCOPY_TAIL)
    return b"".join(parts)


def _fill_array_header(rec: np.ndarray, prefix: str, n: np.ndarray, oid: int) -> None:
    rec[f"{prefix}_len"] = ARRAY_HEADER + _ELEMENT * n
    rec[f"{prefix}_ndim"] = 1
    rec[f"{prefix}_null"] = 0
    rec[f"{prefix}_oid"] = oid
    rec[f"{prefix}_dim"] = n
    rec[f"{prefix}_lb"] = 1


def sqlite_blobs(g: SeriesGroups) -> tuple[list[bytes], list[bytes]]:
    """Per chunk: its times and values as little-endian int64 / float64 blobs."""
    tb, vb = g.ts.astype("<i8").tobytes(), g.value.astype("<f8").tobytes()
    pairs = [(tb[s * 8 : e * 8], vb[s * 8 : e * 8]) for s, e in zip(g.start.tolist(), g.end.tolist(), strict=True)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def pg_times(sent: bytes) -> np.ndarray:
    """Microseconds since the Unix epoch from ``array_send(timestamptz[])``."""
    return np.frombuffer(sent, _TIME_ELEMENT, offset=ARRAY_HEADER)["v"].astype(np.int64) + PG_EPOCH_US


def pg_values(sent: bytes) -> np.ndarray:
    """float64 values from ``array_send(float8[])``."""
    return np.frombuffer(sent, _VALUE_ELEMENT, offset=ARRAY_HEADER)["v"].astype(np.float64)


def blob_times(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, "<i8").astype(np.int64)


def blob_values(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, "<f8").astype(np.float64)


INT8_OID = 20
_ARRAY_KINDS = {"int8": (INT8_OID, ">i8"), "float8": (FLOAT8_OID, ">f8"), "timestamptz": (TIMESTAMPTZ_OID, ">i8")}


def pg_array(column: np.ndarray, kind: str) -> bytes:
    """A one-dimensional PostgreSQL array in the binary format, e.g. a parameter of
    ``unnest(%b::int8[])``; ``timestamptz`` columns are given in microseconds since the Unix epoch."""
    oid, fmt = _ARRAY_KINDS[kind]
    n = len(column)
    head = np.array([1, 0, oid, n, 1], dtype=">i4").tobytes()
    elements = np.empty(n, np.dtype([("len", ">i4"), ("v", fmt)]))
    elements["len"] = 8
    elements["v"] = column - PG_EPOCH_US if kind == "timestamptz" else column
    return head + elements.tobytes()
