"""Benchmark: telemetry ingestion through the full path, and the bucketed aggregate query.

Each figure is printed beside its baseline measured in the same run (medians of ``--runs``):

* **raw COPY (baseline)**: psycopg binary COPY of the same rows as narrow rows (tenant, asset,
  metric, time, value) into a plain table without indexes, a commit every 5,000 rows, the COPY
  buffer built beforehand with numpy: no authentication, no validation, no dedupe, no roll-ups.
  (somp stores readings in per-series hourly chunks, see somp.modules.telemetry.models; a narrow
  table with a series index takes about 0.2 M rows/s here, this baseline about 1 M.)
* **HTTP bulk, PostgreSQL**: ``somp serve --workers 2``; 16 keep-alive connections post somp
  batch JSON bodies of 1,000 readings, each with a device token of one of 100 assets and its own
  batch id. A request is answered only after its readings are committed; readings/s counts what
  the responses say was accepted (checked against the table afterwards).
* **MQTT, PostgreSQL**: ``somp ingest mqtt`` (a subprocess) drains messages that were queued for
  its persistent session on the broker beforehand, so the publisher's speed does not enter the
  figure; timed from the subscription to the last committed reading. 100-reading batch payloads
  (20,000 messages, 2 M readings: about as long as an HTTP run; a drain of 5,000 took 2-3 s, of
  which the first transaction's fill and the last one's commit were a large share), then
  single-reading payloads (messages/s). The benchmark starts its own Mosquitto on a free port
  with ``max_queued_messages 0`` (the packaged default keeps at most 1,000 per offline client).
  MQTT 5 sessions; the batch run again with two subscriber processes sharing one MQTT shared
  subscription (``$share/...``, how a broker spreads one topic over several consumers), and the
  single-reading run again over MQTT 3.1.1 (paho decodes an MQTT 5
  properties object for every PUBLISH, which costs about as much as the rest of its receive path).
* **SQLite**: ``Ingestor.ingest_many`` (decode, check, dedupe, store, roll up, commit) of
  1,000-reading payloads into a file database, beside executemany of the same rows.
* **Aggregate query**: 1-hour buckets over 30 days of 1 Hz data for one asset metric (2.59 M rows)
  on PostgreSQL, from the hourly roll-ups, beside the same aggregate computed from the raw rows.

    .venv/bin/python benchmarks/telemetry_ingest.py             # everything, 3 runs
    .venv/bin/python benchmarks/telemetry_ingest.py --only http,sqlite --runs 1

Writes benchmarks/results/telemetry_ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import orjson

RESULTS = Path(__file__).parent / "results" / "telemetry_ingest.json"
PG_ADMIN = os.environ.get("SOMP_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "somp_bench_telemetry"
ASSETS = 100
T0 = 1_735_689_600  # 2025-01-01T00:00:00Z (every generated time stays in the past)
METRICS = ("pressure", "temperature", "vibration", "power", "flow")
# Every HTTP run and MQTT drain writes readings of its own time window, as a fleet sends new
# readings. (Runs used to re-send the same timestamps under new batch ids: each reading was stored
# several times, and every drain after the first updated the roll-ups the first had inserted.)
# The windows stay in the past; main() refuses arguments that would make them overlap.
HTTP_AT = T0  # + request number x 200 s (1,000 readings, 5 a second)
SINGLES_AT = T0 + 5_000_000  # + variant x SINGLES_SPAN + message number (s)
SINGLES_SPAN = 150_000
BATCHES_AT = T0 + 10_000_000  # + (window x messages + message number) x 100 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_pg() -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"


def prepare(url: str) -> tuple[list[str], list[int], int]:
    """A tenant with ``ASSETS`` assets, one device token each."""
    from somp.core import migrate
    from somp.core.database import Database
    from somp.core.modules import import_all_models
    from somp.core.tenancy import Scope
    from somp.modules.assets.models import Asset
    from somp.modules.assets.service import issue_device_token
    from somp.modules.catalog.models import Product
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant

    import_all_models()
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.session(Scope.all_tenants()) as s:
        t = create_tenant(
            s,
            TenantCreate(
                name="基准企业", uscc="914403001922038216", industry_code="C3441", region_code="440300",
                size_class="large",
            ),
        )  # fmt: skip
        tid = t.id
        p = Product(tenant_id=tid, code="AC-1", name="Compressor", category="compressor")
        s.add(p)
        s.flush()
        assets = [Asset(tenant_id=tid, product_id=p.id, serial_number=f"SN-{i:05d}") for i in range(ASSETS)]
        s.add_all(assets)
        s.commit()
        ids = [a.id for a in assets]
    tokens = []
    with db.session(Scope.tenant(tid)) as s:
        for aid in ids:
            tokens.append(issue_device_token(s, aid, "bench")[1])
        s.commit()
    db.dispose()
    return tokens, ids, tid


def body(batch: int, size: int, start: int) -> bytes:
    return orjson.dumps(
        {
            "batch_id": f"b{batch}",
            "readings": [
                {"metric": METRICS[k % 5], "ts": start + k // 5, "value": round(7 + (k % 97) / 10, 2)}
                for k in range(size)
            ],
        }
    )


REPORT_EVERY = 0.05  # seconds between a subscriber's progress lines while the drain is timed
_COMMITTED = re.compile(rb"readings\s+([\d,]+)")


def committed(report) -> int:  # noqa: ANN001 - a subscriber's stdout file
    """Readings the subscriber has committed, from the last progress line it printed (the count is
    taken after each commit: ``mqtt.Stats``)."""
    report.seek(max(report.seek(0, 2) - 400, 0))
    found = _COMMITTED.findall(report.read())
    return int(found[-1].replace(b",", b"")) if found else 0


class ReadingCounter:
    """Readings stored since it was made: the counts of the chunk rows written after it, found by
    their ids (a range of the primary key), over one connection.

    A drain counts what its subscribers report committed while it is timed, and this once at the
    end. Polling the database every 50 ms cost a scan on the same two cores as the subscriber being
    timed: of the whole table at first (growing with the database), then of the drain's rows."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
        self.after = self.conn.execute("SELECT coalesce(max(id), 0) FROM reading_chunks").fetchone()[0]

    def stored(self) -> int:
        sql = "SELECT coalesce(sum(count), 0) FROM reading_chunks WHERE id > %s"
        return self.conn.execute(sql, (self.after,)).fetchone()[0]

    def server(self) -> dict[str, int]:
        """The server's cumulative WAL and checkpoint counters, and the autovacuum workers running
        now: what else the database did during a drain (they go into the JSON, per drain)."""
        wal = self.conn.execute("SELECT wal_bytes, wal_fpi FROM pg_stat_wal").fetchone()
        ckpt = self.conn.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()
        sql = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
        vac = self.conn.execute(sql).fetchone()[0]
        return {"wal_bytes": int(wal[0]), "wal_fpi": int(wal[1]), "checkpoints": ckpt[0], "autovacuum": vac}

    def close(self) -> None:
        self.conn.close()


# ----------------------------------------------------------------------------- baseline: raw COPY


NARROW = (
    "CREATE TABLE IF NOT EXISTS bench_narrow_readings (tenant_id int8 NOT NULL, asset_id int8 NOT NULL, "
    "metric_id int8 NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL)"
)
_NARROW_ROW = np.dtype(
    [("fields", ">i2")]
    + [f for name, kind in (("tenant", ">i8"), ("asset", ">i8"), ("metric", ">i8"), ("ts", ">i8"), ("value", ">f8"))
       for f in ((f"{name}_len", ">i4"), (name, kind))]
)  # fmt: skip
PG_EPOCH_US = 946_684_800_000_000


def narrow_copy_buffer(tenant, asset, metric, ts_us, value) -> bytes:  # noqa: ANN001
    rows = np.empty(len(ts_us), dtype=_NARROW_ROW)
    rows["fields"] = 5
    for name, col in (("tenant", tenant), ("asset", asset), ("metric", metric), ("ts", ts_us - PG_EPOCH_US),
                      ("value", value)):  # fmt: skip
        rows[f"{name}_len"] = 8
        rows[name] = col
    head = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    return head + rows.tobytes() + (-1).to_bytes(2, "big", signed=True)


def raw_copy(url: str, tid: int, ids: list[int], rows: int) -> float:
    import psycopg

    i = np.arange(rows)
    asset = np.asarray(ids, np.int64)[i % len(ids)]
    metric = 1 + i % 5
    ts = (T0 + 10_000_000 + i // 5) * 1_000_000
    value = 7.0 + i % 9
    tenant = np.full(rows, tid, np.int64)
    bufs = [narrow_copy_buffer(*(c[k : k + 5000] for c in (tenant, asset, metric, ts, value)))
            for k in range(0, rows, 5000)]  # fmt: skip
    with psycopg.connect(url.replace("+psycopg", "")) as c:
        c.execute(NARROW)
        c.execute("TRUNCATE bench_narrow_readings")
        c.commit()
        start = time.perf_counter()
        for buf in bufs:
            with c.cursor() as cur, cur.copy("COPY bench_narrow_readings FROM STDIN (FORMAT BINARY)") as cp:
                cp.write(buf)
            c.commit()
        secs = time.perf_counter() - start
        c.execute("TRUNCATE bench_narrow_readings")
        c.commit()
    return rows / secs


# ----------------------------------------------------------------------------- HTTP bulk


def start_server(url: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "somp", "serve", "--workers", "2", "--port", str(port), "--database-url", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/telemetry/metrics", timeout=1)
        except urllib.error.HTTPError:
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-3000:]) from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


async def _post_loop(port: int, requests: list[bytes], out: list[int], stop_at: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for raw in requests:
            if time.perf_counter() > stop_at:
                return
            writer.write(raw)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            payload = await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {payload[:300]!r}")
            out.append(orjson.loads(payload)["accepted"])
    finally:
        writer.close()


def http_bulk(url: str, tokens: list[str], seconds: float, run: int, connections: int = 16) -> float:
    port = free_port()
    proc = start_server(url, port)
    try:
        per_conn = int(seconds * 600 / connections) + 20  # more than can be sent in the time
        conns = []
        for c in range(connections):
            reqs = []
            for i in range(per_conn):
                n = (run * connections + c) * per_conn + i
                b = body(n, 1000, HTTP_AT + n * 200)
                tok = tokens[n % len(tokens)]
                head = (
                    f"POST /api/v1/telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {tok}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(b)}\r\n\r\n"
                ).encode()
                reqs.append(head + b)
            conns.append(reqs)
        # warm up: one request per connection
        warm: list[int] = []
        asyncio.run(_gather(port, [[r[0]] for r in conns], warm, time.perf_counter() + 30))
        accepted: list[int] = []
        start = time.perf_counter()
        asyncio.run(_gather(port, [r[1:] for r in conns], accepted, start + seconds))
        secs = time.perf_counter() - start
        return sum(accepted) / secs
    finally:
        proc.terminate()
        proc.wait(20)


async def _gather(port: int, per_conn: list[list[bytes]], out: list[int], stop_at: float) -> None:
    await asyncio.gather(*(_post_loop(port, reqs, out, stop_at) for reqs in per_conn))


# ----------------------------------------------------------------------------- MQTT


def start_broker(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"
        "max_inflight_messages 0\nmax_queued_bytes 0\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("mosquitto did not start")


def mqtt_drain(
    url: str, tokens: list[str], port: int, messages: int, size: int, run: int, protocol: int = 5,
    subscribers: int = 1,
) -> tuple[float, float]:  # fmt: skip
    """(readings/s, messages/s) of ``somp ingest mqtt`` draining ``messages`` queued messages; with
    ``subscribers`` > 1, that many processes share one MQTT shared subscription (``$share/...``)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    ids = [f"bench-{run}-{size}-{protocol}-{subscribers}-{k}" for k in range(subscribers)]
    topic = "bench/+/telemetry" if subscribers == 1 else "$share/somp/bench/+/telemetry"
    # 1. create the persistent sessions, then leave
    for client_id in ids:
        if protocol == 5:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
            c.connect("127.0.0.1", port, clean_start=True, properties=props)
        else:  # a persistent 3.1.1 session
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                            clean_session=False)  # fmt: skip
            c.connect("127.0.0.1", port)
        c.loop_start()
        c.subscribe(topic, qos=1)[1]
        time.sleep(0.3)
        c.disconnect()
        c.loop_stop()
    # 2. queue the messages
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{run}-{size}")
    pub.max_inflight_messages_set(1000)
    pub.max_queued_messages_set(0)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    counter = ReadingCounter(url)
    infos = []
    for i in range(messages):
        n = run * 10_000_000 + size * 100_000_000 + subscribers * 1_000_000_000 + protocol * 10_000_000_000 + i
        if size == 1:
            variant = run * 8 + (protocol == 311) * 4 + subscribers  # distinct across runs and variants:
            ts = SINGLES_AT + variant * SINGLES_SPAN + i  # not a re-sent message
            payload = orjson.dumps({"metric": METRICS[i % 5], "ts": ts, "value": 7.5})
        else:
            window = run * 2 + subscribers - 1  # the drains of batches: x1 then x2, run after run
            payload = body(n, size, BATCHES_AT + (window * messages + i) * 100)
        infos.append(pub.publish(f"bench/{tokens[i % len(tokens)]}/telemetry", payload, qos=1))
        if len(infos) >= 500:  # paho's outgoing queue is bounded: let the broker acknowledge a block
            for info in infos:
                info.wait_for_publish(60)
            infos = []
    for info in infos:
        info.wait_for_publish(60)
    pub.disconnect()
    pub.loop_stop()
    # 3. drain
    procs, logs, reports = [], [], []
    for client_id in ids:
        cmd = [sys.executable, "-m", "somp", "ingest", "mqtt", "--database-url", url, "--port", str(port)]
        cmd += ["--topic", topic, "--client-id", client_id, "--report-every", str(REPORT_EVERY)]
        cmd += ["--protocol", str(protocol)]
        # files, not pipes: a full pipe would block the subscriber's logging
        log, report = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - closed below
        logs.append(log)
        reports.append(report)
        procs.append(subprocess.Popen(cmd, stdout=report, stderr=log))
    want = messages * size
    try:
        # timed from the connections (the process start, imports included, is not ingest; a
        # resumed session's queued messages flow from the CONNACK on, before the SUBACK)
        spawned = time.perf_counter()
        waiting = set(range(subscribers))
        while waiting:
            for k in list(waiting):
                logs[k].seek(0)
                if b"connected to" in logs[k].read():
                    waiting.discard(k)
            if any(p.poll() is not None for p in procs) or time.perf_counter() - spawned > 60:
                raise RuntimeError("MQTT subscriber did not start")
            time.sleep(0.01)
        start = time.perf_counter()
        before, polls, vacuuming = counter.server(), 0, 0
        while sum(map(committed, reports)) < want:
            if any(p.poll() is not None for p in procs) or time.perf_counter() - start > 600:
                tails = []
                for k, log in enumerate(logs):
                    log.seek(0)
                    tails.append(f"subscriber {k} (exit status {procs[k].poll()}):\n{log.read().decode()[-3000:]}")
                stored = counter.stored()
                raise RuntimeError(f"MQTT drain failed or timed out ({stored} of {messages * size} readings stored):\n"
                                   + "\n".join(tails))  # fmt: skip
            time.sleep(0.05)
            polls += 1
            if polls % 10 == 0:
                vacuuming += counter.server()["autovacuum"] > 0
        secs = time.perf_counter() - start
        stored = counter.stored()
        if stored != want:  # what the subscribers said they committed is what the database holds
            raise RuntimeError(f"subscribers reported {want:,} readings committed, the database has {stored:,}")
        after = counter.server()
        DRAINS.append({
            "size": size, "protocol": protocol, "subscribers": subscribers, "run": run + 1,
            "messages_per_s": round(messages / secs),
            "wal_mb": round((after["wal_bytes"] - before["wal_bytes"]) / 2**20),
            "wal_full_page_images": after["wal_fpi"] - before["wal_fpi"],
            "checkpoints": after["checkpoints"] - before["checkpoints"],
            "share_of_polls_with_autovacuum": round(vacuuming / max(polls // 10, 1), 2),
        })  # fmt: skip
    finally:
        counter.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        for log in (*logs, *reports):
            log.close()
        # end the sessions: an offline session left behind keeps a share of a shared subscription
        # (and a queue of every later message) on the broker
        for client_id in ids:
            forget_session(port, client_id, protocol)
    return messages * size / secs, messages / secs


DRAINS: list[dict] = []  # what the database did during each drain (see ReadingCounter.server)


def forget_session(port: int, client_id: str, protocol: int) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    if protocol == 5:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 0
        c.connect("127.0.0.1", port, clean_start=True, properties=props)
    else:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                        clean_session=True)  # fmt: skip
        c.connect("127.0.0.1", port)
    c.loop_start()
    time.sleep(0.2)
    c.disconnect()
    c.loop_stop()


# ----------------------------------------------------------------------------- SQLite


def sqlite_ingest(rows: int, tmp: Path, run: int) -> tuple[float, float]:
    """(full ingest path readings/s, executemany rows/s) into a fresh file database."""
    import sqlite3

    from somp.core.database import Database, utcnow
    from somp.modules.telemetry.ingest import Ingestor, Item, Source
    from somp.modules.telemetry.payloads import decode_json

    url = f"sqlite:///{tmp / f'bench-{run}.db'}"
    tokens, ids, tid = prepare(url)
    db = Database(url)
    ing = Ingestor(db)
    payloads = [(ids[n % len(ids)], body(n, 1000, T0 + n * 200)) for n in range(rows // 1000)]
    now = utcnow()
    start = time.perf_counter()
    for i in range(0, len(payloads), 10):  # ten requests' worth per transaction, as a busy server batches
        items = [Item(Source(tid, aid, "http"), decode_json(raw, now), raw) for aid, raw in payloads[i : i + 10]]
        ing.ingest_many(items, now)
    full = rows / (time.perf_counter() - start)
    db.dispose()
    con = sqlite3.connect(tmp / f"bench-{run}.db")
    con.execute("CREATE TABLE narrow (tenant_id INTEGER, asset_id INTEGER, metric_id INTEGER, ts TEXT, value REAL)")
    data = [(tid, ids[i % len(ids)], 1 + i % 5, f"2027-01-01 00:00:{i % 60:02d}.{i:06d}", 7.0) for i in range(rows)]
    start = time.perf_counter()
    with con:
        con.executemany("INSERT INTO narrow (tenant_id, asset_id, metric_id, ts, value) VALUES (?,?,?,?,?)", data)
    raw = rows / (time.perf_counter() - start)
    con.close()
    return full, raw


# ----------------------------------------------------------------------------- aggregate


def aggregate_query(url: str, tid: int, asset_id: int, runs: int) -> tuple[float, float, int]:
    """Median ms of the 1-hour aggregate over 30 days from the roll-ups, and from raw rows."""
    from somp.core.database import Database, utcnow
    from somp.core.tenancy import Scope
    from somp.modules.telemetry import service
    from somp.modules.telemetry.ingest import Ingestor, Item, Source
    from somp.modules.telemetry.payloads import Columns

    db = Database(url)
    ing = Ingestor(db)
    start_t = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    seconds = 30 * 86400
    chunk = 50_000
    now = utcnow()
    for i in range(0, seconds, chunk):
        n = min(chunk, seconds - i)
        first_us = int(start_t.timestamp()) * 1_000_000 + i * 1_000_000
        cols = Columns(
            metric=["rpm"] * n,
            ts=first_us + np.arange(n, dtype=np.int64) * 1_000_000,
            value=1000.0 + (i + np.arange(n)) % 600,
            asset=[None] * n,
            batch_id=f"agg-{i}",
        )
        ing.ingest_many([Item(Source(tid, asset_id, "file"), cols, b"")], now)
    with db.engine.connect() as c:
        c.exec_driver_sql("ANALYZE reading_chunks")
        c.exec_driver_sql("ANALYZE readings_hourly")
        c.commit()
    end_t = start_t + dt.timedelta(seconds=seconds)
    roll, raw = [], []
    with db.session(Scope.tenant(tid)) as s:
        m = service.metric_by_key(s, "rpm")
        for _ in range(runs + 1):
            t = time.perf_counter()
            buckets = service.aggregate(s, asset_id, "rpm", start_t, end_t, 3600)
            roll.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            raw_buckets = service._from_raw(s, asset_id, m.id, start_t, end_t, 3600)
            raw.append((time.perf_counter() - t) * 1000)
    assert len(buckets) == 720 and [b.count for b in buckets] == [b.count for b in raw_buckets]
    db.dispose()
    return statistics.median(roll[1:]), statistics.median(raw[1:]), sum(b.count for b in buckets)


# ----------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8.0, help="duration of each HTTP run")
    ap.add_argument("--mqtt-batches", type=int, default=20_000, help="100-reading messages per MQTT run")
    ap.add_argument("--mqtt-singles", type=int, default=100_000, help="single-reading messages per MQTT run")
    ap.add_argument("--sqlite-rows", type=int, default=500_000)
    ap.add_argument("--copy-rows", type=int, default=500_000)
    ap.add_argument("--only", default="copy,http,mqtt,sqlite,aggregate")
    args = ap.parse_args()
    only = set(args.only.split(","))
    http_requests = args.runs * 16 * (int(args.seconds * 600 / 16) + 20)  # as http_bulk makes them
    if (HTTP_AT + http_requests * 200 > SINGLES_AT or args.mqtt_singles > SINGLES_SPAN
            or SINGLES_AT + 8 * args.runs * SINGLES_SPAN > BATCHES_AT
            or BATCHES_AT + 2 * args.runs * args.mqtt_batches * 100 > time.time() - 86_400):  # fmt: skip
        sys.exit("these --runs, --seconds and message counts do not fit the benchmark's time windows")
    from somp.core.modules import import_all_models

    import_all_models()
    url = reset_pg()
    tokens, ids, tid = prepare(url)
    res: dict[str, list[float]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="somp-bench-"))
    broker = None
    try:
        if "mqtt" in only:
            if not shutil.which("mosquitto"):
                sys.exit("mosquitto is not installed")
            broker, mport = start_broker(tmp)
        for run in range(args.runs):
            if "copy" in only:
                res.setdefault("copy", []).append(raw_copy(url, tid, ids, args.copy_rows))
            if "http" in only:
                res.setdefault("http", []).append(http_bulk(url, tokens, args.seconds, run))
            if "mqtt" in only:
                r, _ = mqtt_drain(url, tokens, mport, args.mqtt_batches, 100, run)
                res.setdefault("mqtt_batch", []).append(r)
                r, _ = mqtt_drain(url, tokens, mport, args.mqtt_batches, 100, run, subscribers=2)
                res.setdefault("mqtt_batch_x2", []).append(r)
                _, m = mqtt_drain(url, tokens, mport, args.mqtt_singles, 1, run)
                res.setdefault("mqtt_single", []).append(m)
                _, m = mqtt_drain(url, tokens, mport, args.mqtt_singles, 1, run, protocol=311)
                res.setdefault("mqtt_single_311", []).append(m)
                _, m = mqtt_drain(url, tokens, mport, args.mqtt_singles, 1, run, protocol=311, subscribers=2)
                res.setdefault("mqtt_single_311_x2", []).append(m)
            if "sqlite" in only:
                full, raw = sqlite_ingest(args.sqlite_rows, tmp, run)
                res.setdefault("sqlite", []).append(full)
                res.setdefault("sqlite_executemany", []).append(raw)
            print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in res.items()), flush=True)
        if "aggregate" in only:
            roll_ms, raw_ms, rows = aggregate_query(url, tid, ids[0], max(args.runs, 5))
            res["aggregate_rollup_ms"], res["aggregate_raw_ms"] = [roll_ms], [raw_ms]
    finally:
        if broker is not None:
            broker.terminate()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in res.items()}
    copy = med.get("copy")
    rows_out = []

    def line(name: str, key: str, unit: str, target: str, base: float | None = None) -> None:
        if key in med:
            ratio = f"{med[key] / base:.2f}" if base else ""
            rows_out.append((name, f"{med[key]:,.0f} {unit}", target, ratio))

    line("raw binary COPY, narrow rows, no index, commit every 5,000 (baseline)", "copy", "rows/s", "", None)
    line("HTTP bulk, 1,000 readings/request, PostgreSQL", "http", "readings/s", ">= 250,000; ratio >= 0.25", copy)
    line("MQTT 5, 100-reading payloads, PostgreSQL", "mqtt_batch", "readings/s", ">= 250,000; ratio >= 0.25", copy)
    line("MQTT 5, 100-reading payloads, 2 subscribers ($share)", "mqtt_batch_x2", "readings/s",
         ">= 250,000; ratio >= 0.25", copy)  # fmt: skip
    line("MQTT 5, single-reading payloads, PostgreSQL", "mqtt_single", "messages/s", ">= 20,000", None)
    line("MQTT 3.1.1, single-reading payloads, PostgreSQL", "mqtt_single_311", "messages/s", ">= 20,000", None)
    line("MQTT 3.1.1, single readings, 2 subscribers ($share)", "mqtt_single_311_x2", "messages/s", ">= 20,000", None)
    line("SQLite executemany, narrow rows, no index (baseline)", "sqlite_executemany", "rows/s", "", None)
    line("SQLite ingest path", "sqlite", "readings/s", ">= 300,000", med.get("sqlite_executemany"))
    if "aggregate_rollup_ms" in med:
        rows_out.append(("aggregate 1h x 30 days (2.59 M rows), roll-ups", f"{med['aggregate_rollup_ms']:.1f} ms",
                         "< 300 ms", ""))  # fmt: skip
        rows_out.append(("same from the raw readings (baseline)", f"{med['aggregate_raw_ms']:.1f} ms", "", ""))
    w = max(len(r[0]) for r in rows_out)
    print(f"\n{'path':<{w}}  {'median':>20}  {'target':<26}  ratio to baseline")
    for r in rows_out:
        print(f"{r[0]:<{w}}  {r[1]:>20}  {r[2]:<26}  {r[3]}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "telemetry_ingest",
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "args": vars(args),
                "runs": res,
                "medians": med,
                "mqtt_drains": DRAINS,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
