"""OPC UA ingest (framework node 2.2.1, acquire data from industrial sources).

``somp ingest opcua MAPPING_FILE --tenant ...`` connects to an OPC UA server (a PLC, a SCADA or
an edge gateway), reads the variables a mapping file names and stores them as readings of assets.

* **Mapping file** (YAML or JSON, checked by :class:`ConnectorConfig`): the endpoint, optional
  security (user name and password; a security policy with a client certificate), the mode, and
  one line per variable: ``node_id`` -> asset serial number + metric key, with ``scale`` and
  ``offset`` (stored value = raw * scale + offset). docs/opcua.md has an example.
* **Modes.** ``subscribe``: one OPC UA subscription with a data-change monitored item per node
  (the server samples and pushes changes every ``publishing_interval_ms``). ``poll``: one Read of
  every node each ``poll_seconds``.
* **Timestamps.** A reading's time is the value's source timestamp, else the server timestamp,
  else the time it was received (``timestamps`` chooses another order).
* **What is refused.** A value whose status is not Good (Uncertain too, unless
  ``accept_uncertain``), a value that is not a number or a boolean (text, arrays, structures), a
  non-finite number, a source time more than 10 minutes ahead, a node the server does not know: each
  is a dead letter with the reason (the same refusal of the same node is kept once until it changes),
  and the connector carries on.
* **Storage.** Readings are buffered and stored every ``flush_seconds`` (or ``flush_readings``
  readings) through :meth:`Ingestor.ingest_many`, one batch per node per flush, all in one
  transaction, for the tenant given on the command line; assets are named by serial number inside
  that tenant. A storage failure (database away) keeps the buffer and retries with backoff.
* **No duplicates.** OPC UA has no acknowledgements: after every (re)connection the server sends
  the current value of each monitored node again, and a poll reads an unchanged value again, with
  the same source timestamp. The connector keeps, per node, the time of the last reading it took
  (at start, the last time stored for that asset and metric, from the hourly roll-ups) and skips
  readings that are not newer (counted as duplicates). A batch's id is a digest of the connector
  name, the node and the batch's times, so a batch re-sent after a failed commit is not stored twice.
* **Reconnection.** When the server goes away (closed socket, failed keep-alive read, expired
  subscription) the client is dropped and a new one connects, with a backoff from
  ``reconnect_min_seconds`` doubling up to ``reconnect_max_seconds``.

Threads: asyncua runs in its own thread with its own event loop; a writer thread stores what it
buffered (the database calls are blocking), like the MQTT subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
import yaml
from asyncua import Client, ua
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select

from somp.core.database import Database, utcnow
from somp.core.tenancy import Scope
from somp.modules.assets.models import Asset
from somp.modules.telemetry.ingest import Ingestor, Item, Source
from somp.modules.telemetry.models import HourlyRollup, Metric
from somp.modules.telemetry.payloads import CLOCK_SKEW, EARLIEST, MAX_READINGS, METRIC_KEY, Columns, time_of, us_of

log = logging.getLogger("somp.telemetry.opcua")
READ_CHUNK = 500  # nodes per Read request (servers cap MaxNodesPerRead)
SECURITY_POLICIES = ("None", "Basic256Sha256", "Aes128Sha256RsaOaep", "Aes256Sha256RsaPss")


class MappingError(ValueError):
    """The mapping file cannot be used; the message lists every problem, one a line."""


# ---------------------------------------------------------------- the mapping file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Security(_Strict):
    """How to authenticate: anonymous by default; a user name and password; a security policy
    with the client's certificate and private key (the server's certificate pins the server)."""

    username: str | None = None
    password: str | None = None
    password_env: str | None = None  # environment variable holding the password (preferred)
    policy: Literal["None", "Basic256Sha256", "Aes128Sha256RsaOaep", "Aes256Sha256RsaPss"] = "None"
    mode: Literal["Sign", "SignAndEncrypt"] = "SignAndEncrypt"
    certificate: Path | None = None  # the client's certificate (DER or PEM)
    private_key: Path | None = None  # its private key (PEM or DER)
    private_key_password_env: str | None = None
    server_certificate: Path | None = None  # without it, the one the server presents is taken
    application_uri: str = "urn:somp:ingest:opcua"  # must match the URI in the client certificate

    @model_validator(mode="after")
    def _consistent(self) -> Security:
        if self.password is not None and self.password_env is not None:
            raise ValueError("give password or password_env, not both")
        if (self.password is not None or self.password_env is not None) and not self.username:
            raise ValueError("a password needs a username")
        if self.policy != "None" and (self.certificate is None or self.private_key is None):
            raise ValueError(f"security policy {self.policy} needs certificate and private_key")
        if self.policy == "None" and (self.certificate or self.private_key or self.server_certificate):
            raise ValueError("certificate, private_key and server_certificate need a security policy")
        return self

    def secret(self) -> str | None:
        if self.password_env is not None:
            return os.environ.get(self.password_env)
        return self.password

    def key_password(self) -> str | None:
        return os.environ.get(self.private_key_password_env) if self.private_key_password_env else None


class NodeMapping(_Strict):
    """One OPC UA variable -> one metric of one asset."""

    node_id: str  # ns=2;s=Compressor1.Pressure, ns=2;i=1001, nsu=urn:plant;s=Line1.Speed
    asset: str = Field(min_length=1, max_length=64)  # serial number, inside the tenant
    metric: str
    scale: float = 1.0
    offset: float = 0.0

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, v: str) -> str:
        v = v.strip()
        try:
            ua.NodeId.from_string(v)
        except Exception:  # noqa: BLE001 - asyncua raises several kinds
            raise ValueError(
                f"{v!r} is not an OPC UA node id (e.g. ns=2;s=Pump1.Speed, ns=2;i=1001, nsu=urn:plant;s=Pump1.Speed)"
            ) from None
        return v

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        if not METRIC_KEY.match(v):
            raise ValueError(f"{v!r} is not a metric key (letters, digits, _ . -; up to 64)")
        return v

    @field_validator("scale", "offset")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class ConnectorConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,40}$")  # identifies the connector in batch ids
    endpoint: str = Field(pattern=r"^opc\.tcp://\S+$")
    mode: Literal["subscribe", "poll"] = "subscribe"
    publishing_interval_ms: float = Field(1000.0, gt=0)  # subscribe
    sampling_interval_ms: float | None = Field(None, ge=0)  # subscribe; None: the publishing interval
    queue_size: int = Field(10, ge=1, le=10_000)  # subscribe: changes kept per node between publishes
    poll_seconds: float = Field(5.0, gt=0)  # poll
    timestamps: Literal["source", "server", "receive"] = "source"
    accept_uncertain: bool = False
    flush_seconds: float = Field(1.0, gt=0)
    flush_readings: int = Field(5_000, ge=1, le=MAX_READINGS)
    max_buffered: int = Field(1_000_000, ge=1)  # readings kept while the database is away
    reconnect_min_seconds: float = Field(1.0, gt=0)
    reconnect_max_seconds: float = Field(60.0, gt=0)
    timeout_seconds: float = Field(4.0, gt=0)  # per request
    security: Security = Field(default_factory=Security)
    mappings: list[NodeMapping] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ConnectorConfig:
        seen_node: dict[str, int] = {}
        seen_series: dict[tuple[str, str], int] = {}
        problems = []
        for i, m in enumerate(self.mappings):
            key = ua.NodeId.from_string(m.node_id).to_string()
            if key in seen_node:
                problems.append(f"mappings[{i}]: node {m.node_id} is already mapped by mappings[{seen_node[key]}]")
            seen_node.setdefault(key, i)
            series = (m.asset, m.metric)
            if series in seen_series:
                problems.append(
                    f"mappings[{i}]: {m.asset} / {m.metric} is already fed by mappings[{seen_series[series]}]"
                )
            seen_series.setdefault(series, i)
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            problems.append("reconnect_max_seconds is below reconnect_min_seconds")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def parse_config(data: Any, base_dir: Path | None = None, *, where: str = "mapping") -> ConnectorConfig:
    """Validate a decoded mapping; relative certificate paths are taken from ``base_dir``."""
    if not isinstance(data, dict):
        raise MappingError(f"{where}: expected a mapping of settings at the top level")
    try:
        cfg = ConnectorConfig.model_validate(data)
    except ValidationError as exc:
        raise MappingError(f"{where}: invalid mapping\n" + "\n".join(_error_lines(exc))) from None
    sec = cfg.security
    problems = []
    for attr in ("certificate", "private_key", "server_certificate"):
        p = getattr(sec, attr)
        if p is None:
            continue
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
            setattr(sec, attr, p)
        if not p.is_file():
            problems.append(f"  security.{attr}: no such file {p}")
    if sec.password_env is not None and sec.password_env not in os.environ:
        problems.append(f"  security.password_env: the environment variable {sec.password_env} is not set")
    if problems:
        raise MappingError(f"{where}: invalid mapping\n" + "\n".join(problems))
    return cfg


def load_mapping(path: Path | str) -> ConnectorConfig:
    """Read and validate a mapping file (``.json``: JSON; anything else: YAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = orjson.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}") from None
    return parse_config(data, path.parent, where=str(path))


def _error_lines(exc: ValidationError) -> list[str]:
    lines = []
    for e in exc.errors():
        where = ""
        for part in e["loc"]:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown setting"
        elif e["type"] == "literal_error":
            msg = msg.replace("Input should be", "should be")
        lines.append(f"  {where or '(top level)'}: {msg}")
    return lines


# ---------------------------------------------------------------- values -> readings


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def reading_of(
    m: NodeMapping,
    dv: ua.DataValue,
    received: dt.datetime,
    timestamps: str = "source",
    accept_uncertain: bool = False,
) -> tuple[int, float]:
    """``(microseconds since the epoch, value)`` of one OPC UA data value, or :class:`Refused`."""
    status = dv.StatusCode
    if status is not None and not status.is_good() and not (accept_uncertain and status.is_uncertain()):
        raise Refused(f"status {status.name} (0x{status.value:08X})")
    raw = dv.Value.Value if dv.Value is not None else None
    if isinstance(raw, bool | int | float):
        value = float(raw)
    elif raw is None:
        raise Refused("no value")
    else:
        kind = dv.Value.VariantType.name if dv.Value is not None and dv.Value.VariantType else type(raw).__name__
        shown = repr(raw)
        raise Refused(f"value {shown[:80]} ({'array of ' if isinstance(raw, list) else ''}{kind}) is not a number")
    if not math.isfinite(value):
        raise Refused(f"value {value} is not a finite number")
    value = value * m.scale + m.offset
    if not math.isfinite(value):
        raise Refused("value * scale + offset is not a finite number")
    ts = _time_of(dv, received, timestamps)
    if ts > received + CLOCK_SKEW:
        raise Refused(f"timestamp {ts.isoformat()} is more than 10 min ahead of this computer's clock")
    return us_of(ts), value


def _time_of(dv: ua.DataValue, received: dt.datetime, timestamps: str) -> dt.datetime:
    order = {"source": ("SourceTimestamp", "ServerTimestamp"), "server": ("ServerTimestamp",), "receive": ()}
    for attr in order[timestamps]:
        t = getattr(dv, attr, None)
        if t is None:
            continue
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.UTC)
        if t >= EARLIEST:  # 1601-01-01 (OPC UA's zero) or 1970 means "not set"
            return t
    return received


def batch_id_for(connector: str, node_id: str, ts: np.ndarray) -> str:
    """Deterministic id of one node's readings in one flush (at most 80 characters)."""
    h = hashlib.blake2b(digest_size=16, person=b"somp-opcua")
    h.update(f"{connector}\0{node_id}\0{int(ts[0])}\0{int(ts[-1])}\0{len(ts)}".encode())
    return "opcua:" + h.hexdigest()


# ---------------------------------------------------------------- the connector


@dataclass
class Stats:
    values: int = 0  # data values received (notifications, read results)
    readings: int = 0  # stored
    duplicates: int = 0  # not newer than the node's last reading, or a batch already stored
    refused: int = 0  # bad status, not a number, refused by the ingest checks
    commits: int = 0
    errors: int = 0  # failed storage attempts
    connects: int = 0
    dropped: int = 0  # readings dropped because the buffer was full (database away too long)
    last_error: str | None = None
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        secs = max(time.monotonic() - self.started, 1e-9)
        extra = f"  dropped {self.dropped:,}" if self.dropped else ""
        return (
            f"values {self.values:,}  readings {self.readings:,}  duplicates {self.duplicates:,}  "
            f"refused {self.refused:,}  commits {self.commits:,}  connects {self.connects:,}{extra}  "
            f"({self.readings / secs:,.1f} readings/s)"
        )


@dataclass(slots=True)
class _Bad:
    index: int
    reason: str
    raw: bytes


class _Handler:
    """asyncua subscription callbacks (run as tasks on the connector's event loop)."""

    def __init__(self, owner: OpcUaIngest, by_node: dict[str, int], lost: asyncio.Event) -> None:
        self.owner, self.by_node, self.lost = owner, by_node, lost

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        i = self.by_node.get(node.nodeid.to_string())
        if i is not None:
            self.owner._take(i, data.monitored_item.Value, utcnow())

    def status_change_notification(self, status: Any) -> None:
        code = getattr(status, "Status", None)
        if code is not None and not code.is_good():
            log.warning("OPC UA subscription status %s; reconnecting", code.name)
            self.lost.set()


class OpcUaIngest:
    """Reads the mapped nodes of one OPC UA server into one tenant's readings."""

    def __init__(self, db: Database, tenant_id: int, config: ConnectorConfig) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.config = config
        self.ingestor = Ingestor(db)
        self.stats = Stats()
        self.source = Source(tenant_id, None, "opcua")
        n = len(config.mappings)
        self._last_us: list[int | None] = [None] * n  # newest reading taken, per mapping
        self._last_refusal: list[str | None] = [None] * n
        self._cond = threading.Condition()
        self._good: list[tuple[int, int, float]] = []  # (mapping, ts us, value)
        self._bad: list[_Bad] = []
        self._stopping = threading.Event()
        self.connected = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._writer: threading.Thread | None = None
        self._prepared = False

    # ---------------------------------------------------------------- life cycle

    def prepare(self) -> None:
        """Check that every mapped asset exists in the tenant, and load each series' last stored
        time (readings not newer than it are replays). Raises ValueError naming missing assets."""
        cfg = self.config
        serials = sorted({m.asset for m in cfg.mappings})
        keys = sorted({m.metric for m in cfg.mappings})
        with self.db.session(Scope.all_tenants()) as s:
            assets = dict(
                s.execute(
                    select(Asset.serial_number, Asset.id).where(
                        Asset.tenant_id == self.tenant_id, Asset.serial_number.in_(serials)
                    )
                ).all()
            )
            missing = [sn for sn in serials if sn not in assets]
            if missing:
                raise ValueError(f"no asset with serial number {', '.join(missing)} in tenant {self.tenant_id}")
            metrics = dict(
                s.execute(
                    select(Metric.key, Metric.id).where(Metric.tenant_id == self.tenant_id, Metric.key.in_(keys))
                ).all()
            )
            last: dict[tuple[int, int], dt.datetime] = {}
            if metrics:
                rows = s.execute(
                    select(HourlyRollup.asset_id, HourlyRollup.metric_id, func.max(HourlyRollup.last_ts))
                    .where(
                        HourlyRollup.tenant_id == self.tenant_id,
                        HourlyRollup.asset_id.in_(sorted(set(assets.values()))),
                        HourlyRollup.metric_id.in_(sorted(set(metrics.values()))),
                    )
                    .group_by(HourlyRollup.asset_id, HourlyRollup.metric_id)
                )
                last = {(a, m): t for a, m, t in rows if t is not None}
        for i, m in enumerate(cfg.mappings):
            t = last.get((assets[m.asset], metrics.get(m.metric, -1)))
            if t is not None:
                self._last_us[i] = us_of(t if t.tzinfo else t.replace(tzinfo=dt.UTC))
        self._prepared = True

    def start(self) -> None:
        """Check the mapping against the database, then start the OPC UA and writer threads."""
        if not self._prepared:
            self.prepare()
        self._writer = threading.Thread(target=self._write_loop, name="somp-opcua-writer", daemon=True)
        self._writer.start()
        self._thread = threading.Thread(target=self._thread_main, name="somp-opcua", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Disconnect, then store what is buffered."""
        self._stopping.set()
        deadline = time.monotonic() + 30
        while self._thread is not None and self._thread.is_alive() and time.monotonic() < deadline:
            loop, wake = self._loop, self._wake
            if loop is not None and wake is not None:
                with contextlib.suppress(RuntimeError):  # the loop has just finished
                    loop.call_soon_threadsafe(wake.set)
            self._thread.join(0.1)
        with self._cond:
            self._cond.notify_all()
        if self._writer is not None:
            self._writer.join(timeout=60)

    def request_stop(self) -> None:
        """Ask the connector to stop (safe in a signal handler); :meth:`stop` then finishes."""
        self._stopping.set()

    def run(self, report: Callable[[Stats], None] | None = None, every: float = 5.0) -> None:
        """Run until :meth:`stop` is called from another thread (or a signal handler sets it)."""
        self.start()
        while not self._stopping.wait(every):
            if report is not None:
                report(self.stats)
        self.stop()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self.connected.wait(timeout)

    # ---------------------------------------------------------------- OPC UA thread

    def _thread_main(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        cfg = self.config
        delay = cfg.reconnect_min_seconds
        while not self._stopping.is_set():
            was_connected = False
            try:
                was_connected = await self._session()
            except Exception as exc:  # noqa: BLE001 - whatever happens, reconnect
                self.stats.last_error = _describe(exc)
                log.warning("OPC UA %s: %s", cfg.endpoint, self.stats.last_error)
            if self._stopping.is_set():
                break
            if was_connected:
                delay = cfg.reconnect_min_seconds
            log.info("reconnecting to %s in %.1f s", cfg.endpoint, delay)
            await self._pause(delay)
            delay = min(delay * 2, cfg.reconnect_max_seconds)

    async def _pause(self, seconds: float, lost: asyncio.Event | None = None) -> None:
        """Sleep, ended early by :meth:`stop` (or by ``lost``)."""
        waits = [asyncio.ensure_future(self._wake.wait())]
        if lost is not None:
            waits.append(asyncio.ensure_future(lost.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def _session(self) -> bool:
        """One connection: connect, subscribe or poll until the connection is lost or we stop.
        Returns whether it got as far as reading (then the next attempt starts without backoff)."""
        cfg = self.config
        client = Client(cfg.endpoint, timeout=cfg.timeout_seconds, watchdog_intervall=1.0)
        client.name = client.description = f"somp OPC UA connector {cfg.name}"
        client.session_timeout = 60_000  # ms: a session left behind by a lost connection ends soon
        lost = asyncio.Event()

        async def _on_lost(exc: Exception) -> None:
            self.stats.last_error = f"connection lost: {_describe(exc)}"
            log.warning("OPC UA %s: connection lost (%s)", cfg.endpoint, _describe(exc))
            lost.set()

        client.connection_lost_callback = _on_lost
        connected = running = False
        try:
            await self._secure(client)
            await client.connect()
            connected = True
            self.stats.connects += 1
            self.connected.set()
            log.info("connected to %s (%s, %d nodes)", cfg.endpoint, cfg.mode, len(cfg.mappings))
            nodes = await self._resolve(client)
            if cfg.mode == "subscribe":
                await self._subscribe(client, nodes, lost)
                running = True
                while not (lost.is_set() or self._stopping.is_set()):
                    await self._pause(3600, lost)
            else:
                running = True
                await self._poll(client, nodes, lost)
        except Exception as exc:
            if not running:
                raise  # could not connect or set up: the caller backs off
            self.stats.last_error = _describe(exc)
            log.warning("OPC UA %s: %s", cfg.endpoint, self.stats.last_error)
        finally:
            self.connected.clear()
            if connected:
                with contextlib.suppress(Exception):  # the server may be gone already
                    await asyncio.wait_for(client.disconnect(), 5)
            else:
                client.disconnect_socket()
        return running

    async def _secure(self, client: Client) -> None:
        sec = self.config.security
        client.application_uri = sec.application_uri
        if sec.username:
            client.set_user(sec.username)
            secret = sec.secret()
            if secret is not None:
                client.set_password(secret)
        if sec.policy != "None":
            from asyncua.crypto import security_policies

            await client.set_security(
                getattr(security_policies, f"SecurityPolicy{sec.policy}"),
                str(sec.certificate),
                str(sec.private_key),
                sec.key_password(),
                str(sec.server_certificate) if sec.server_certificate else None,
                getattr(ua.MessageSecurityMode, sec.mode),
            )

    async def _resolve(self, client: Client) -> list[tuple[int, ua.NodeId]]:
        """Node ids of the mappings; ``nsu=`` namespace URIs become the server's indexes."""
        out = []
        namespaces: list[str] | None = None
        for i, m in enumerate(self.config.mappings):
            nid = ua.NodeId.from_string(m.node_id)
            uri = getattr(nid, "NamespaceUri", None)
            if uri:
                if namespaces is None:
                    namespaces = await client.get_namespace_array()
                if uri not in namespaces:
                    self._refuse(i, f"namespace {uri} is not on the server", None)
                    continue
                nid = ua.NodeId(nid.Identifier, namespaces.index(uri), nid.NodeIdType)
            out.append((i, ua.NodeId(nid.Identifier, nid.NamespaceIndex, nid.NodeIdType)))
        return out

    async def _subscribe(self, client: Client, nodes: list[tuple[int, ua.NodeId]], lost: asyncio.Event) -> None:
        cfg = self.config
        by_node = {nid.to_string(): i for i, nid in nodes}
        sub = await client.create_subscription(cfg.publishing_interval_ms, _Handler(self, by_node, lost))
        sampling = cfg.sampling_interval_ms if cfg.sampling_interval_ms is not None else cfg.publishing_interval_ms
        for start in range(0, len(nodes), READ_CHUNK):
            chunk = nodes[start : start + READ_CHUNK]
            results = await sub.subscribe_data_change(
                [client.get_node(nid) for _, nid in chunk], queuesize=cfg.queue_size, sampling_interval=sampling
            )
            for (i, _), res in zip(chunk, results, strict=True):
                if isinstance(res, ua.StatusCode):
                    self._refuse(i, f"cannot monitor the node: {res.name}", None)

    async def _poll(self, client: Client, nodes: list[tuple[int, ua.NodeId]], lost: asyncio.Event) -> None:
        cfg = self.config
        handles = [(i, client.get_node(nid)) for i, nid in nodes]
        while not (lost.is_set() or self._stopping.is_set()):
            began = time.monotonic()
            for start in range(0, len(handles), READ_CHUNK):
                chunk = handles[start : start + READ_CHUNK]
                values = await client.read_attributes([n for _, n in chunk])
                received = utcnow()
                for (i, _), dv in zip(chunk, values, strict=True):
                    self._take(i, dv, received)
            await self._pause(max(0.0, cfg.poll_seconds - (time.monotonic() - began)), lost)

    # ---------------------------------------------------------------- values (OPC UA thread)

    def _take(self, i: int, dv: ua.DataValue, received: dt.datetime) -> None:
        """Turn one data value into a buffered reading or a refusal; never raises."""
        cfg = self.config
        self.stats.values += 1
        try:
            ts, value = reading_of(cfg.mappings[i], dv, received, cfg.timestamps, cfg.accept_uncertain)
        except Refused as exc:
            self._refuse(i, exc.reason, dv)
            return
        except Exception as exc:  # noqa: BLE001 - one odd value must not stop the connector
            log.exception("cannot convert a value of %s", cfg.mappings[i].node_id)
            self._refuse(i, f"cannot convert the value: {_describe(exc)}", dv)
            return
        last = self._last_us[i]
        if last is not None and ts <= last:
            self.stats.duplicates += 1
            return
        self._last_us[i] = ts
        self._last_refusal[i] = None
        with self._cond:
            self._good.append((i, ts, value))
            over = len(self._good) - cfg.max_buffered
            if over > 0:
                del self._good[:over]
                self.stats.dropped += over
                log.error("buffer full (database away?): dropped the %d oldest readings", over)
            if len(self._good) + len(self._bad) >= cfg.flush_readings:
                self._cond.notify()

    def _refuse(self, i: int, reason: str, dv: ua.DataValue | None) -> None:
        """Count a refusal; keep it as a dead letter unless the node's previous one was the same."""
        self.stats.refused += 1
        if self._last_refusal[i] == reason:
            return
        self._last_refusal[i] = reason
        m = self.config.mappings[i]
        log.warning("refused %s (%s / %s): %s", m.node_id, m.asset, m.metric, reason)
        raw = orjson.dumps(
            {
                "connector": self.config.name,
                "node_id": m.node_id,
                "asset": m.asset,
                "metric": m.metric,
                "data_value": _show(dv),
            },
            option=orjson.OPT_NON_STR_KEYS,
        )
        with self._cond:
            self._bad.append(_Bad(i, reason, raw))
            self._cond.notify()

    # ---------------------------------------------------------------- writer thread

    def _write_loop(self) -> None:
        cfg = self.config
        while True:
            with self._cond:
                while not (self._good or self._bad) and not self._stopping.is_set():
                    self._cond.wait(0.2)
                if not (self._good or self._bad):
                    return  # stopping and nothing left
                deadline = time.monotonic() + cfg.flush_seconds
                while len(self._good) + len(self._bad) < cfg.flush_readings and not self._stopping.is_set():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                good, self._good = self._good[: cfg.flush_readings], self._good[cfg.flush_readings :]
                bad, self._bad = self._bad, []
            self._store_until_done(good, bad)

    def _store_until_done(self, good: list[tuple[int, int, float]], bad: list[_Bad]) -> None:
        """Store, retrying while the database is away (a few more tries once stopping)."""
        delay, tries_while_stopping = 0.5, 0
        while True:
            try:
                self.store(good, bad)
                return
            except Exception as exc:  # noqa: BLE001 - keep the readings and retry
                self.stats.errors += 1
                self.stats.last_error = f"storing failed: {_describe(exc)}"
                log.exception("storing %d OPC UA readings failed; retrying in %.1f s", len(good), delay)
                if self._stopping.is_set():
                    tries_while_stopping += 1
                    if tries_while_stopping > 3:
                        log.error("stopping: %d readings and %d refusals were not stored", len(good), len(bad))
                        return
                    time.sleep(delay)
                else:
                    self._stopping.wait(delay)
                delay = min(delay * 2, 30.0)

    def store(self, good: list[tuple[int, int, float]], bad: list[_Bad]) -> None:
        """Store buffered readings (one batch per node) and refusals in one transaction."""
        now = utcnow()
        cfg = self.config
        per_node: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for i, ts, value in good:
            per_node[i].append((ts, value))
        items: list[Item] = []
        counts: list[int] = []
        for i, rows in sorted(per_node.items()):
            m = cfg.mappings[i]
            rows.sort()
            ts = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            value = np.fromiter((r[1] for r in rows), np.float64, len(rows))
            cols = Columns(
                [m.metric] * len(rows), ts, value, [m.asset] * len(rows), batch_id_for(cfg.name, m.node_id, ts)
            )
            items.append(Item(self.source, cols, _summary(cfg.name, m, ts, value)))
            counts.append(len(rows))
        for b in bad:
            items.append(Item(self.source, None, b.raw, f"{cfg.mappings[b.index].node_id}: {b.reason}"))
            counts.append(0)
        outcomes = self.ingestor.ingest_many(items, now)
        s = self.stats
        s.commits += 1
        for o, n in zip(outcomes, counts, strict=True):
            s.readings += o.accepted
            if o.duplicate:
                s.duplicates += n
            elif not o.ok and n:
                s.refused += n
                log.warning("refused %d readings: %s", n, o.error)


def _summary(connector: str, m: NodeMapping, ts: np.ndarray, value: np.ndarray) -> bytes:
    """What a dead letter keeps of a refused batch (its first 50 readings)."""
    head = [[time_of(t).isoformat(), float(v)] for t, v in zip(ts[:50], value[:50], strict=True)]
    body = {"connector": connector, "node_id": m.node_id, "asset": m.asset, "metric": m.metric}
    return orjson.dumps({**body, "count": len(ts), "readings": head})


def _show(dv: ua.DataValue | None) -> Any:
    if dv is None:
        return None
    status = dv.StatusCode
    return {
        "value": repr(dv.Value.Value if dv.Value is not None else None)[:500],
        "type": dv.Value.VariantType.name if dv.Value is not None and dv.Value.VariantType else None,
        "status": status.name if status is not None else None,
        "source_timestamp": dv.SourceTimestamp.isoformat() if dv.SourceTimestamp else None,
        "server_timestamp": dv.ServerTimestamp.isoformat() if dv.ServerTimestamp else None,
    }


def drop_connection_tracebacks(record: logging.LogRecord) -> bool:
    """A logging filter: asyncua logs a traceback when the server drops the connection under a
    pending request; the connector reports the loss in one line, so those records are dropped."""
    exc = record.exc_info[1] if record.exc_info else None
    return not (record.name.startswith("asyncua") and isinstance(exc, OSError | asyncio.TimeoutError))


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if text.startswith(exc.__class__.__name__) else f"{exc.__class__.__name__}: {text}"
