"""The ingest path (framework node 2.2.1, acquire and store): authenticated, validated,
deduplicated batches written in bulk, committed before anything is acknowledged.

Each message is a batch and is stored whole or refused whole (refused ones go to the dead-letter
table with the reason). Several batches may share one transaction (the MQTT subscriber commits a
group of messages, then acknowledges them): :meth:`Ingestor.ingest_many`. Every row written here
takes its tenant from the authenticated source (a device token or the importing user's scope),
never from the payload; assets named in a payload are looked up inside that tenant.

Writes: the readings grouped per series and hour into ``reading_chunks`` rows (PostgreSQL binary
COPY; SQLite one executemany), see :mod:`somp.modules.telemetry.chunks`. The hourly roll-ups of the
batch are upserted in the same transaction, and the batch id is claimed first (a re-sent batch
finds its id taken and is acknowledged as a duplicate without storing anything).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy import Connection, insert, select, tuple_

from somp.core.database import Database, utcnow
from somp.core.events import record
from somp.core.tenancy import Scope
from somp.modules.assets.models import Asset
from somp.modules.telemetry.chunks import (
    COPY_COLUMNS,
    HOUR_US,
    SeriesGroups,
    group_series,
    pg_array,
    pg_copy_chunks,
    sqlite_blobs,
)
from somp.modules.telemetry.events import ReadingsStored, SeriesSpan
from somp.modules.telemetry.models import DeadLetter, IngestBatch, Metric
from somp.modules.telemetry.payloads import Columns, as_text, check_many

METRIC_CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Source:
    """Who sent a batch: a tenant, and the asset when a device token bound it to one."""

    tenant_id: int | None  # None only for a refused message whose sender is unknown
    asset_id: int | None
    kind: str  # http, mqtt, file, opcua


@dataclass(slots=True)
class Item:
    source: Source
    columns: Columns | None
    raw: bytes
    error: str | None = None  # decoding already failed: dead-letter it


@dataclass(slots=True)
class Outcome:
    batch_id: str | None
    accepted: int = 0
    duplicate: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Metrics:
    ids: dict[tuple[int, str], tuple[int, float | None, float | None]] = field(default_factory=dict)
    loaded_at: float = 0.0


def batch_id_of(source: Source, cols: Columns, raw: bytes) -> str:
    """The client's batch id, or a digest of the payload and its sender (a re-sent message has
    the same digest, so a redelivery is recognised even without an id).

    A digest id starts with the hour of the batch's first reading (``h:<hour, hex>:<digest>``):
    the claim index is ordered by it, so the claims of readings arriving in time order go to a
    few neighbouring index pages instead of random ones all over an index that grows by a row per
    message (random keys made each claim touch a page of its own, and after each checkpoint
    write it whole to the WAL)."""
    if cols.batch_id:
        return cols.batch_id
    h = hashlib.blake2b(raw, digest_size=16, person=b"somp-batch")
    if not raw:  # built in process (files, OPC UA, simulations): digest the readings themselves
        h.update(cols.ts.tobytes())
        h.update(cols.value.tobytes())
        h.update("\x1f".join(cols.metric).encode())
        h.update("\x1f".join(a or "" for a in cols.asset).encode())
    h.update(f"{source.tenant_id}:{source.asset_id}".encode())
    hour = int(cols.ts[0]) // HOUR_US if len(cols.ts) else 0
    return f"h:{max(hour, 0):07x}:{h.hexdigest()}"


class PgArray(bytes):
    """A query parameter already in PostgreSQL's binary array format (:func:`chunks.pg_array`),
    sent as is; ``kind`` names the element type."""

    kind = ""


def _array_parameter_types() -> tuple[dict[str, type[PgArray]], list[tuple[type, type[Dumper]]]]:
    out, dumpers = {}, []
    for kind, array_oid in (("int8", 1016), ("float8", 1022), ("timestamptz", 1185)):
        param = type(f"PgArray_{kind}", (PgArray,), {"kind": kind})
        dumper = type(f"_PgArrayDumper_{kind}", (Dumper,), {"format": Format.BINARY, "oid": array_oid,
                                                             "dump": lambda self, obj: bytes(obj)})  # fmt: skip
        out[kind] = param
        dumpers.append((param, dumper))
    return out, dumpers


PG_ARRAY, _PG_ARRAY_DUMPERS = _array_parameter_types()


def array_cursor(raw: psycopg.Connection) -> psycopg.Cursor:
    """A cursor that sends :class:`PgArray` parameters as they are. (Registered on the cursor: a
    connection copies the global adapters when it opens, possibly before this module is imported.)"""
    cur = raw.cursor()
    for param, dumper in _PG_ARRAY_DUMPERS:
        cur.adapters.register_dumper(param, dumper)
    return cur


class Ingestor:
    """Writes batches for any tenant; one instance per process (it caches metric ids)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._metrics = _Metrics()
        self._lock = threading.Lock()
        self._ones: dict[int, np.ndarray] = {}

    # ---------------------------------------------------------------- public

    def ingest(self, source: Source, cols: Columns, raw: bytes, now: dt.datetime | None = None) -> Outcome:
        return self.ingest_many([Item(source, cols, raw)], now)[0]

    def ingest_many(
        self, items: Sequence[Item], now: dt.datetime | None = None, *, dry_run: bool = False
    ) -> list[Outcome]:
        """Store every valid item in one transaction; refused items are dead-lettered in it. With
        ``dry_run`` every check runs (payload rules, assets, metric ranges) and nothing is written."""
        now = now or utcnow()
        outcomes = [Outcome(None) for _ in items]
        with self.db.session(Scope.all_tenants()) as s:
            conn = s.connection()
            decoded: list[int] = []
            for i, it in enumerate(items):
                if it.error is not None or it.columns is None:
                    outcomes[i].error = it.error or "no readings"
                else:
                    decoded.append(i)
            good: list[int] = []
            for i, error in zip(decoded, check_many([items[i].columns for i in decoded], now), strict=True):
                if error is not None:
                    outcomes[i].error = error
                    continue
                outcomes[i].batch_id = batch_id_of(items[i].source, items[i].columns, items[i].raw)
                good.append(i)
            asset_ids = self._resolve_assets(conn, [items[i] for i in good], outcomes, good)
            good = [i for i in good if outcomes[i].error is None]
            metric_ids = self._resolve_metrics(conn, [items[i] for i in good], outcomes, good, dry_run)
            good = [i for i in good if outcomes[i].error is None]
            if dry_run:
                for i in good:
                    outcomes[i].accepted = len(items[i].columns)
                s.rollback()
                return outcomes
            fresh = self._claim_batches(conn, items, outcomes, good, now)
            if fresh:
                lens = np.fromiter((len(items[i].columns) for i in fresh), np.int64, len(fresh))
                for i, n in zip(fresh, lens.tolist(), strict=True):
                    outcomes[i].accepted = n
                tenant = np.repeat(np.fromiter((items[i].source.tenant_id for i in fresh), np.int64, len(fresh)), lens)
                rows = (
                    tenant,
                    np.concatenate([asset_ids[i] for i in fresh]),
                    np.concatenate([metric_ids[i] for i in fresh]),
                    np.concatenate([items[i].columns.ts for i in fresh]),
                    np.concatenate([items[i].columns.value for i in fresh]),
                )
                groups = group_series(*rows)
                self._write_chunks(conn, groups)
                self._upsert_rollups(conn, groups)
                for event in stored_events(*rows):
                    record(s, event)
            for i, o in enumerate(outcomes):
                if o.error is not None:
                    self._dead_letter_row(conn, items[i].source, o.error, items[i].raw, now)
            s.commit()
        return outcomes

    def dead_letter(self, tenant_id: int | None, asset_id: int | None, source: str, reason: str, raw: bytes) -> None:
        """Keep a message that was refused before it could be decoded or attributed."""
        with self.db.session(Scope.all_tenants()) as s:
            s.add(
                DeadLetter(
                    tenant_id=tenant_id, asset_id=asset_id, source=source, reason=reason[:2000], payload=as_text(raw)
                )
            )
            s.commit()

    # ---------------------------------------------------------------- steps

    def _resolve_assets(
        self, conn: Connection, items: list[Item], outcomes: list[Outcome], index: list[int]
    ) -> dict[int, np.ndarray]:
        """Asset id of every reading: the device's own, or the named serial inside the tenant."""
        wanted: dict[int, set[str]] = defaultdict(set)
        for it in items:
            if it.source.asset_id is None:
                wanted[it.source.tenant_id].update(a for a in it.columns.asset if a)
        by_serial: dict[tuple[int, str], int] = {}
        for tid, serials in wanted.items():
            for chunk in _chunks(sorted(serials), 500):
                rows = conn.execute(
                    select(Asset.serial_number, Asset.id).where(Asset.tenant_id == tid, Asset.serial_number.in_(chunk))
                )
                by_serial.update({(tid, sn): aid for sn, aid in rows})
        own_serial: dict[int, str] = {}
        # a device's own serial number matters only when its batch names assets (rare): no query otherwise
        named = {it.source.asset_id for it in items if it.source.asset_id is not None and any(it.columns.asset)}
        if named:
            own_serial = dict(conn.execute(select(Asset.id, Asset.serial_number).where(Asset.id.in_(named))).all())
        out: dict[int, np.ndarray] = {}
        for it, i in zip(items, index, strict=True):
            tid, aid = it.source.tenant_id, it.source.asset_id
            if aid is not None:
                mine = own_serial.get(aid)
                stray = next((a for a in set(it.columns.asset) if a and a != mine), None) if aid in named else None
                if stray is not None:
                    outcomes[i].error = f"this device sends for asset {mine}, not {stray}"
                    continue
                n = len(it.columns)
                out[i] = np.full(n, aid, np.int64) if n > 1 else self._one(aid)
                continue
            ids = []
            for n, sn in enumerate(it.columns.asset):
                if not sn:
                    outcomes[i].error = f"reading {n}: no asset named (a user import names each reading's asset)"
                    break
                found = by_serial.get((tid, sn))
                if found is None:
                    outcomes[i].error = f"reading {n}: no asset with serial number {sn!r}"
                    break
                ids.append(found)
            else:
                out[i] = np.array(ids, dtype=np.int64)
        return out

    def _one(self, asset_id: int) -> np.ndarray:
        """A shared read-only one-element array of an asset id (single-reading messages)."""
        a = self._ones.get(asset_id)
        if a is None:
            if len(self._ones) > 100_000:
                self._ones.clear()
            a = self._ones[asset_id] = np.array([asset_id], np.int64)
            a.flags.writeable = False
        return a

    def _resolve_metrics(
        self, conn: Connection, items: list[Item], outcomes: list[Outcome], index: list[int], dry_run: bool = False
    ) -> dict[int, np.ndarray]:
        """Metric id of every reading; unknown keys join the tenant's catalogue (in a dry run they
        are only assumed new, with no valid range). Values outside a metric's valid range refuse
        the batch."""
        by_tenant: dict[int, list[tuple[Item, int]]] = defaultdict(list)
        for it, i in zip(items, index, strict=True):
            by_tenant[it.source.tenant_id].append((it, i))
        # every reading's metric key, per tenant (one list: thousands of single-reading messages
        # share a transaction, and a set per message cost more than the rest of this step)
        flat_of = {tid: [k for it, _ in members for k in it.columns.metric] for tid, members in by_tenant.items()}
        keys = {(tid, k) for tid, flat in flat_of.items() for k in set(flat)}
        cache = self._metric_cache()
        if dry_run:
            cache = dict(cache)  # ids seen in a rolled-back transaction must not be cached
        # sorted: concurrent transactions registering the same new metrics lock them in one order
        # (a set's order differs between processes: two workers would deadlock)
        missing = sorted(k for k in keys if k not in cache)
        if missing:
            if not dry_run:
                stmt = _insert_ignore(conn, Metric.__table__, ("tenant_id", "key"))
                conn.execute(
                    stmt, [{"tenant_id": t, "key": k, "kind": "gauge", "created_at": utcnow()} for t, k in missing]
                )
            for chunk in _chunks(missing, 500):
                rows = conn.execute(
                    select(Metric.tenant_id, Metric.key, Metric.id, Metric.min_valid, Metric.max_valid).where(
                        tuple_(Metric.tenant_id, Metric.key).in_(chunk)
                    )
                )
                for t, k, mid, lo, hi in rows:
                    cache[(t, k)] = (mid, lo, hi)
        # every reading's metric id in one pass per tenant, then the valid ranges checked over
        # all readings at once; only a batch with a reading out of range is looked at alone
        out: dict[int, np.ndarray] = {}
        for tid, members in by_tenant.items():
            flat = flat_of[tid]
            known = {key: cache.get((tid, key), (0, None, None)) for key in set(flat)}
            ids_of = {key: v[0] for key, v in known.items()}
            ids = np.fromiter(map(ids_of.get, flat), np.int64, len(flat))
            values = np.concatenate([it.columns.value for it, _ in members])
            outside = np.zeros(len(flat), dtype=bool)
            for mid, lo, hi in set(known.values()):
                if lo is not None:
                    outside |= (ids == mid) & (values < lo)
                if hi is not None:
                    outside |= (ids == mid) & (values > hi)
            offsets = np.concatenate(([0], np.cumsum([len(it.columns) for it, _ in members])))
            flagged = np.logical_or.reduceat(outside, offsets[:-1]) if outside.any() else None
            for k, (it, i) in enumerate(members):
                mine = ids[offsets[k] : offsets[k + 1]]
                if flagged is not None and flagged[k]:
                    n = int(np.argmax(outside[offsets[k] : offsets[k + 1]]))
                    key = it.columns.metric[n]
                    _, lo, hi = known[key]
                    value = it.columns.value[n]
                    outcomes[i].error = f"reading {n}: {key} = {value} is outside its valid range [{lo}, {hi}]"
                    continue
                out[i] = mine
        return out

    def _metric_cache(self) -> dict[tuple[int, str], tuple[int, float | None, float | None]]:
        with self._lock:
            if time.monotonic() - self._metrics.loaded_at > METRIC_CACHE_SECONDS:
                self._metrics = _Metrics(loaded_at=time.monotonic())
            return self._metrics.ids

    def forget_metrics(self) -> None:
        with self._lock:
            self._metrics = _Metrics()

    def _claim_batches(
        self, conn: Connection, items: Sequence[Item], outcomes: list[Outcome], good: list[int], now: dt.datetime
    ) -> list[int]:
        """Claim each batch id once; items whose id is taken (now or earlier) are duplicates."""
        first: dict[tuple[int, str], int] = {}
        for i in good:
            key = (items[i].source.tenant_id, outcomes[i].batch_id)
            if key in first:
                outcomes[i].duplicate = True
            else:
                first[key] = i
        if not first:
            return []
        claimed: set[tuple[int, str]] = set()
        if conn.dialect.name == "postgresql":
            # one statement over arrays: a multi-row VALUES of thousands of small batches (MQTT
            # single readings) costs more to compile and bind than to execute
            cols = list(zip(*[(t, b, items[i].source.kind, items[i].source.asset_id, len(items[i].columns))
                              for (t, b), i in first.items()], strict=True))  # fmt: skip
            # (binary parameters: text arrays in the text format cost a quoting check per element)
            with conn.connection.driver_connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO ingest_batches (tenant_id, batch_id, source, asset_id, readings, received_at) "
                    "SELECT t, b, s, a, r, %b FROM unnest(%b::int8[], %b::text[], %b::text[], %b::int8[], %b::int8[]) "
                    "AS x(t, b, s, a, r) ON CONFLICT (tenant_id, batch_id) DO NOTHING RETURNING tenant_id, batch_id",
                    (now, *[list(c) for c in cols]),
                )
                claimed = set(cur.fetchall())
            return self._fresh(first, claimed, outcomes)
        stmt = _insert_ignore(conn, IngestBatch.__table__, ("tenant_id", "batch_id")).returning(
            IngestBatch.tenant_id, IngestBatch.batch_id
        )
        values = [
            {
                "tenant_id": t,
                "batch_id": b,
                "source": items[i].source.kind,
                "asset_id": items[i].source.asset_id,
                "readings": len(items[i].columns),
                "received_at": now,
            }
            for (t, b), i in first.items()
        ]
        for chunk in _chunks(values, 1000):
            for row in conn.execute(stmt.values(chunk)):
                claimed.add((row[0], row[1]))
        return self._fresh(first, claimed, outcomes)

    @staticmethod
    def _fresh(first: dict[tuple[int, str], int], claimed: set[tuple[int, str]], outcomes: list[Outcome]) -> list[int]:
        fresh = []
        for key, i in first.items():
            if key in claimed:
                fresh.append(i)
            else:
                outcomes[i].duplicate = True
        return sorted(fresh)

    def _write_chunks(self, conn: Connection, g: SeriesGroups) -> None:
        """One ``reading_chunks`` row per series and hour of the transaction's readings."""
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY reading_chunks ({COPY_COLUMNS}) FROM STDIN (FORMAT BINARY)") as cp,
            ):
                cp.write(pg_copy_chunks(g))
            return
        times, values = sqlite_blobs(g)
        conn.exec_driver_sql(
            f"INSERT INTO reading_chunks ({COPY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            list(
                zip(g.tenant[g.start].tolist(), g.asset[g.start].tolist(), g.metric[g.start].tolist(),
                    sqlite_times(g.hour[g.start] * HOUR_US), g.count.tolist(), sqlite_times(g.first),
                    sqlite_times(g.last), times, values, strict=True)
            ),
        )  # fmt: skip

    def _upsert_rollups(self, conn: Connection, g: SeriesGroups) -> None:
        """Fold the transaction's readings into the hourly roll-ups (min, max, sum, count, last):
        one reduction per series-hour group of :func:`group_series`."""
        start, last, v = g.start, g.end - 1, g.value
        lo, hi = np.minimum.reduceat(v, start), np.maximum.reduceat(v, start)
        total, count = np.add.reduceat(v, start), g.count
        tn, a, m, h, t = g.tenant, g.asset, g.metric, g.hour, g.ts
        pg = conn.dialect.name == "postgresql"
        least, greatest = ("LEAST", "GREATEST") if pg else ("MIN", "MAX")
        mark = "%s" if pg else "?"
        sql = (
            "INSERT INTO readings_hourly (tenant_id, asset_id, metric_id, bucket, min, max, sum, count, last_ts, "
            f"last_value) VALUES ({', '.join([mark] * 10)}) "
            "ON CONFLICT (asset_id, metric_id, bucket) DO UPDATE SET "
            f"min = {least}(readings_hourly.min, excluded.min), max = {greatest}(readings_hourly.max, excluded.max), "
            "sum = readings_hourly.sum + excluded.sum, count = readings_hourly.count + excluded.count, "
            "last_value = CASE WHEN excluded.last_ts >= readings_hourly.last_ts THEN excluded.last_value "
            "ELSE readings_hourly.last_value END, "
            "last_ts = CASE WHEN excluded.last_ts >= readings_hourly.last_ts THEN excluded.last_ts "
            "ELSE readings_hourly.last_ts END, chunks = readings_hourly.chunks + 1, merge_pending = TRUE"
        )
        if pg:
            # one statement for the whole transaction: its columns sent as binary arrays built
            # with numpy and unnested server side (an executemany costs a round trip per row;
            # Python lists cost a conversion per element)
            types = ("int8", "int8", "int8", "timestamptz", "float8", "float8", "float8", "int8", "timestamptz",
                     "float8")  # fmt: skip
            columns = (tn[start], a[start], m[start], h[start] * HOUR_US, lo, hi, total, count, t[last], v[last])
            unnest = ", ".join(f"%b::{x}[]" for x in types)
            with array_cursor(conn.connection.driver_connection) as cur:
                cur.execute(
                    sql.replace(f"VALUES ({', '.join([mark] * 10)})", f"SELECT * FROM unnest({unnest})"),
                    [PG_ARRAY[x](pg_array(c, x)) for c, x in zip(columns, types, strict=True)],
                )
            return
        buckets, lasts = sqlite_times(h[start] * HOUR_US), sqlite_times(t[last])
        params = list(
            zip(
                tn[start].tolist(), a[start].tolist(), m[start].tolist(), buckets, lo.tolist(), hi.tolist(),
                total.tolist(), count.tolist(), lasts, v[last].tolist(), strict=True,
            )
        )  # fmt: skip
        conn.exec_driver_sql(sql, params)

    def _dead_letter_row(self, conn: Connection, source: Source, reason: str, raw: bytes, now: dt.datetime) -> None:
        conn.execute(
            insert(DeadLetter.__table__).values(
                tenant_id=source.tenant_id,
                asset_id=source.asset_id,
                source=source.kind,
                reason=reason[:2000],
                payload=as_text(raw),
                received_at=now,
            )
        )


def sqlite_times(us: np.ndarray) -> list[str]:
    """SQLite storage of timestamps: naive UTC text with microseconds, as the ORM type writes it."""
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")
    return np.char.replace(text, "T", " ").tolist()


def stored_events(tenant, asset, metric, ts, value) -> list[ReadingsStored]:  # noqa: ANN001
    """One :class:`ReadingsStored` per tenant, with the span of every asset's readings."""
    order = np.lexsort((metric, asset, tenant))
    t, a, m, x = tenant[order], asset[order], metric[order], ts[order]
    new = np.ones(len(a), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (t[1:] != t[:-1])
    start = np.flatnonzero(new)
    end = np.append(start[1:], len(a))
    first, last = np.minimum.reduceat(x, start), np.maximum.reduceat(x, start)
    spans: dict[int, list[SeriesSpan]] = defaultdict(list)
    for k, (i, j) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
        spans[int(t[i])].append(
            SeriesSpan(
                asset_id=int(a[i]),
                metric_ids=np.unique(m[i:j]).tolist(),
                first_us=int(first[k]),
                last_us=int(last[k]),
                count=j - i,
            )
        )
    return [ReadingsStored(tenant_id=tid, spans=s) for tid, s in spans.items()]


def _insert_ignore(conn: Connection, table: Any, keys: tuple[str, ...]) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(keys))


def _chunks(seq: Sequence[Any], n: int) -> list[Sequence[Any]]:
    return [seq[i : i + n] for i in range(0, len(seq), n)]


class GroupCommitter:
    """Shares transactions between concurrent requests (group commit in the application).

    Each HTTP request used to be its own transaction: a COPY of its readings, the roll-up upsert,
    the batch claim and a commit, whose fixed cost (round trips, WAL flush, index pages) was most
    of the work for a 1,000-reading request. Here requests hand their decoded batch to one writer
    thread per process; whatever arrived while the previous transaction was being written goes
    into the next one, up to ``max_items`` batches or ``max_readings`` readings. No request waits
    for company: an idle writer takes the first batch at once. Every batch keeps its own outcome
    (stored, duplicate or refused with its reason) and is answered only after the commit."""

    def __init__(self, ingestor: Ingestor, max_items: int = 256, max_readings: int = 200_000) -> None:
        self.ingestor = ingestor
        self.max_items, self.max_readings = max_items, max_readings
        self._queue: queue.SimpleQueue[tuple[Item, Future[Outcome]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="somp-ingest-writer", daemon=True)
        self._thread.start()

    @property
    def db(self) -> Database:
        return self.ingestor.db

    def submit(self, item: Item) -> Future[Outcome]:
        fut: Future[Outcome] = Future()
        self._queue.put((item, fut))
        return fut

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            size = len(group[0][0].columns or ())
            while len(group) < self.max_items and size < self.max_readings:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                group.append(nxt)
                size += len(nxt[0].columns or ())
            try:
                outcomes = self.ingestor.ingest_many([item for item, _ in group])
            except Exception as exc:  # the transaction failed as a whole: every request hears of it
                for _, fut in group:
                    fut.set_exception(exc)
                continue
            for (_, fut), outcome in zip(group, outcomes, strict=True):
                fut.set_result(outcome)
