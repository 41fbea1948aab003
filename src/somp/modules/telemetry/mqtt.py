"""MQTT ingest (framework node 2.2.1, acquire and store product-service data).

``somp ingest mqtt`` subscribes to a broker (any MQTT 3.1.1 or 5 broker) and stores what devices
publish. It makes three promises:

* **A message is acknowledged only after its readings are committed.** QoS 1 messages are received
  with paho's manual acknowledgement; a writer thread stores what arrived in one transaction and
  only then sends the PUBACKs, in arrival order. The session is persistent (clean start off, a
  session expiry), so if the process dies (even ``kill -9``) the broker still holds every
  unacknowledged message and redelivers it on reconnection. A redelivered message carries the same
  batch id (its own ``batch_id`` or the digest of its bytes and sender), so it is not stored twice.
* **A malformed message never stops the subscriber.** It is kept as a dead letter with the reason,
  in the same transaction as the good messages around it, and then acknowledged.
* **Device authentication.** The device token is one level of the topic, the level the filter's
  ``+`` matches (default ``somp/devices/+/telemetry``). somp checks it like the HTTP route does: an
  unknown or revoked token is a dead letter. The broker should let a device publish only under its
  own token and let only somp subscribe (docs/telemetry.md has a Mosquitto ACL).

Payloads are the JSON shapes of :func:`somp.modules.telemetry.payloads.decode_json`: one reading, a
somp batch, or ThingsBoard's device telemetry shape (``{"ts": ..., "values": {...}}`` or a list of
those), so an existing ThingsBoard gateway can publish here.

Throughput comes from batching: up to ``batch_messages`` messages (or what arrived within
``flush_seconds``) are one transaction. MQTT 5 lets the subscriber ask the broker for a large
receive window (``receive_maximum``); over MQTT 3.1.1 Mosquitto keeps only
``max_inflight_messages`` (default 20) unacknowledged messages in flight, which caps each
transaction at that many messages.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from somp.core.database import Database, utcnow
from somp.modules.telemetry.ingest import Ingestor, Item, Source
from somp.modules.telemetry.payloads import PayloadError, decode_json
from somp.modules.telemetry.service import DeviceAuthenticator

log = logging.getLogger("somp.telemetry.mqtt")
DEFAULT_TOPIC = "somp/devices/+/telemetry"


@dataclass(frozen=True)
class MqttOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    topic: str = DEFAULT_TOPIC
    client_id: str = "somp-ingest"
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    protocol: int = 5  # 5 or 311
    receive_maximum: int = 20_000  # MQTT 5 flow-control window asked of the broker
    session_expiry: int = 7 * 24 * 3600  # seconds the broker keeps our session while we are away
    batch_messages: int = 5_000
    flush_seconds: float = 0.05
    keepalive: int = 30

    def __post_init__(self) -> None:
        if self.protocol not in (5, 311):
            raise ValueError("protocol must be 5 or 311")
        if not 1 <= self.receive_maximum <= 65_535:
            raise ValueError("receive_maximum must be within 1..65535")
        if self.batch_messages < 1 or self.flush_seconds <= 0:
            raise ValueError("batch_messages must be >= 1 and flush_seconds > 0")
        token_level(self.topic)  # validates the filter


def token_level(topic_filter: str) -> int:
    """Index of the topic level that carries the device token: the filter's single ``+``. A
    shared-subscription prefix (``$share/<group>/``) is not part of the topic."""
    levels = _without_share(topic_filter).split("/")
    if levels.count("+") != 1 or "#" in levels:
        raise ValueError(f"topic filter {topic_filter!r} needs exactly one '+' (the device token level) and no '#'")
    return levels.index("+")


def _without_share(topic_filter: str) -> str:
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter


@dataclass
class Stats:
    messages: int = 0
    readings: int = 0
    duplicates: int = 0
    refused: int = 0
    commits: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        secs = max(time.monotonic() - self.started, 1e-9)
        return (
            f"messages {self.messages:,}  readings {self.readings:,}  duplicates {self.duplicates:,}  "
            f"refused {self.refused:,}  commits {self.commits:,}  ({self.readings / secs:,.0f} readings/s)"
        )


READ_AHEAD = 256 * 1024  # bytes asked of the socket per receive


class _ReadAheadSocket:
    """The client's socket, with a read-ahead buffer in front of ``recv``.

    paho reads a packet with three or four ``recv`` calls (the command byte, the remaining length
    byte by byte, then the rest) and goes once round its network loop (a ``select``, keep-alive
    checks) per packet: for a 100-byte single-reading message that is most of paho's cost. Here one
    system call reads up to :data:`READ_AHEAD` bytes and ``recv`` serves the packets from them.
    ``pending()`` (the hook paho's loop already asks of TLS sockets) says how much is buffered, so
    paho neither waits in ``select`` while packets are buffered nor leaves them unread.
    Everything else is the wrapped socket's (TLS included: its own pending bytes are added).
    """

    __slots__ = ("_sock", "_buf", "_pos", "_inner_pending")

    def __init__(self, sock) -> None:  # noqa: ANN001 - a socket, TLS socket or paho websocket wrapper
        self._sock = sock
        self._buf = b""
        self._pos = 0
        self._inner_pending = getattr(sock, "pending", None)

    def recv(self, bufsize: int) -> bytes:
        buf, pos = self._buf, self._pos
        if pos >= len(buf):
            data = self._sock.recv(max(bufsize, READ_AHEAD))  # may raise BlockingIOError: paho's "again"
            if len(data) <= bufsize:
                return data  # all of it asked for, or b"" (the connection closed)
            self._buf, self._pos = data, bufsize
            return data[:bufsize]
        end = pos + bufsize
        self._pos = min(end, len(buf))
        return buf[pos:end]

    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def pending(self) -> int:
        inner = self._inner_pending() if self._inner_pending is not None else 0
        return len(self._buf) - self._pos + inner

    def __getattr__(self, name: str):  # noqa: ANN204 - fileno, send, close, setblocking, ...
        return getattr(self._sock, name)


class _Client(mqtt.Client):
    """paho's client reading through :class:`_ReadAheadSocket`, and reading every buffered packet
    per pass of its loop (paho reads one packet per ``select``). Relies on paho 2's socket factory
    ``_create_socket``; tests/telemetry/test_mqtt.py covers it against Mosquitto."""

    MAX_PACKETS_PER_READ = 1000  # then back to the loop: keep-alive and outgoing acknowledgements

    def _create_socket(self):  # noqa: ANN202
        return _ReadAheadSocket(super()._create_socket())

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        for _ in range(self.MAX_PACKETS_PER_READ):
            sock = self._sock
            if rc != mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS:
                break
            if not isinstance(sock, _ReadAheadSocket) or not sock.buffered():
                break
            rc = super().loop_read(1)
        return rc

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        # straight to on_message: this client registers no per-topic callbacks, and paho's
        # dispatch matches every message's topic against them under a lock first
        on_message = self.on_message
        if on_message is not None:
            with self._in_callback_mutex:
                on_message(self, self._userdata, message)

    def ack_many(self, mids: list[int]) -> None:
        """PUBACK many QoS 1 messages as one queued write.

        paho's ``ack`` queues one 4-byte packet per message, wakes its network thread through a
        socket pair for each, and the network thread then sends each with a system call of its
        own: about a sixth of the subscriber's samples on single-reading messages (py-spy). Here a
        transaction's acknowledgements are one buffer, one wake-up and (usually) one ``send``.
        The broker reads them as the same PUBACK packets, in the same order."""
        if mids:
            pack = _PUBACK.pack
            packet = b"".join([pack(0x40, 2, mid) for mid in mids])
            self._packet_queue(mqtt.PUBACK, packet, 0, 0)


_PUBACK = struct.Struct("!BBH")  # a PUBACK: fixed header 0x40, remaining length 2, the message id


@dataclass(slots=True)
class _Received:
    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes


class MqttIngest:
    """A subscriber that stores what it receives and acknowledges after the commit."""

    def __init__(self, db: Database, options: MqttOptions | None = None) -> None:
        self.db = db
        self.options = options or MqttOptions()
        self.ingestor = Ingestor(db)
        self.authenticate = DeviceAuthenticator(db)
        self._sources: dict[str, tuple[float, Source | None]] = {}
        self.stats = Stats()
        self._level = token_level(self.options.topic)
        self._cond = threading.Condition()
        self._buffer: list[_Received] = []
        self._generation = 0
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self.client = self._client()

    # ---------------------------------------------------------------- life cycle

    def _client(self) -> _Client:
        o = self.options
        proto = mqtt.MQTTv5 if o.protocol == 5 else mqtt.MQTTv311
        kw = {} if o.protocol == 5 else {"clean_session": False}
        c = _Client(mqtt.CallbackAPIVersion.VERSION2, client_id=o.client_id, protocol=proto, manual_ack=True, **kw)
        if o.username is not None:
            c.username_pw_set(o.username, o.password)
        if o.tls:
            c.tls_set(ca_certs=o.ca_file)
        c.max_inflight_messages_set(o.receive_maximum)
        c.reconnect_delay_set(1, 30)
        c.on_connect = self._on_connect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        c.on_disconnect = self._on_disconnect
        return c

    def start(self) -> None:
        """Connect, subscribe and start the network and writer threads."""
        o = self.options
        if o.protocol == 5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = o.session_expiry
            props.ReceiveMaximum = o.receive_maximum
            self.client.connect(o.host, o.port, o.keepalive, clean_start=False, properties=props)
        else:
            self.client.connect(o.host, o.port, o.keepalive)
        self._writer = threading.Thread(target=self._write_loop, name="somp-mqtt-writer", daemon=True)
        self._writer.start()
        self.client.loop_start()

    def wait_subscribed(self, timeout: float = 10.0) -> bool:
        return self._subscribed.wait(timeout)

    def stop(self) -> None:
        """Stop taking messages, store and acknowledge what was received, then disconnect."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if getattr(self, "_writer", None) is not None:
            self._writer.join(timeout=60)
        self.client.disconnect()
        self.client.loop_stop()

    def run(self, report: Callable[[Stats], None] | None = None, every: float = 5.0) -> None:
        """Run until :meth:`stop` is called from another thread (or a signal handler)."""
        self.start()
        while not self._stopping.wait(every):
            if report is not None:
                report(self.stats)

    # ---------------------------------------------------------------- callbacks (network thread)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        if reason_code.is_failure:
            log.error("MQTT connection refused: %s", reason_code)
            return
        with self._cond:
            # Message ids restart with each connection: what is still buffered from the previous
            # one is stored but never acknowledged (the broker redelivers it; the batch id dedupes).
            self._generation += 1
        # a resumed session's queued messages may arrive from here on, before the SUBACK
        log.info("connected to %s:%s (session present: %s)", self.options.host, self.options.port,
                 getattr(flags, "session_present", None))  # fmt: skip
        client.subscribe(self.options.topic, qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:  # noqa: ANN001
        # subscribed once the broker says so (SUBACK): a message published before that is not ours
        if any(rc.is_failure for rc in reason_codes):
            log.error("MQTT subscription to %s refused: %s", self.options.topic, reason_codes)
            return
        self._subscribed.set()
        log.info("subscribed to %s on %s:%s", self.options.topic, self.options.host, self.options.port)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        self._subscribed.clear()
        if not self._stopping.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:  # noqa: ANN001
        if self._stopping.is_set():
            return  # not acknowledged: the broker redelivers it to the next run
        try:
            topic = message.topic
        except UnicodeDecodeError:  # not UTF-8 (a broker should refuse it): no device token in it
            topic = ""
        rec = _Received(self._generation, message.mid, message.qos, topic, message.payload)
        with self._cond:
            self._buffer.append(rec)
            if len(self._buffer) >= self.options.batch_messages:
                self._cond.notify()

    # ---------------------------------------------------------------- writer thread

    def _write_loop(self) -> None:
        o = self.options
        while True:
            with self._cond:
                while not self._buffer and not self._stopping.is_set():
                    self._cond.wait(0.2)
                if not self._buffer:
                    return  # stopping and nothing left
                deadline = time.monotonic() + o.flush_seconds
                while len(self._buffer) < o.batch_messages and not self._stopping.is_set():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                taken, self._buffer = self._buffer[: o.batch_messages], self._buffer[o.batch_messages :]
            self._store_until_done(taken)

    def _store_until_done(self, taken: list[_Received]) -> None:
        """Store a batch, retrying while the database is unavailable; acknowledge only then."""
        delay = 0.5
        while True:
            try:
                self.store(taken)
                break
            except Exception:  # the database is down or refused the transaction: keep the messages
                self.stats.errors += 1
                log.exception("storing %d MQTT messages failed; retrying in %.1f s", len(taken), delay)
                if self._stopping.is_set():
                    return  # not acknowledged: the broker keeps them for the next run
                self._stopping.wait(delay)
                delay = min(delay * 2, 30.0)
        generation = self._generation
        # QoS 1 only (what the subscription asks for; a broker never sends higher than asked)
        self.client.ack_many([rec.mid for rec in taken if rec.qos == 1 and rec.generation == generation])

    def _remember_sources(self, topics: set[str], clock: float) -> None:
        """The sender of each topic, remembered as long as the authenticator caches its token; the
        tokens are authenticated together (one query however many devices a transaction meets)."""
        tokens = {topic: _token(topic, self._level) for topic in topics}
        devices = self.authenticate.many({t for t in tokens.values() if t})
        sources = self._sources
        if len(sources) + len(topics) > 100_000:
            sources.clear()
        expires = clock + self.authenticate.seconds
        for topic, token in tokens.items():
            device = devices.get(token) if token else None
            sources[topic] = (expires, None if device is None else Source(device[0], device[1], "mqtt"))

    def store(self, received: list[_Received]) -> None:
        """Decode, authenticate and store messages in one transaction (refused ones as dead letters)."""
        now = utcnow()
        sources = self._sources
        clock = time.monotonic()
        stale = set()
        for rec in received:
            hit = sources.get(rec.topic)
            if hit is None or hit[0] < clock:
                stale.add(rec.topic)
        if stale:
            self._remember_sources(stale, clock)
        items: list[Item] = []
        for rec in received:
            source = sources[rec.topic][1]
            if source is None:
                items.append(Item(Source(None, None, "mqtt"), None, rec.payload, "unknown or revoked device token"))
                continue
            try:
                items.append(Item(source, decode_json(rec.payload, now), rec.payload))
            except PayloadError as exc:
                items.append(Item(source, None, rec.payload, exc.reason))
        outcomes = self.ingestor.ingest_many(items, now)
        s = self.stats
        s.commits += 1
        s.messages += len(received)
        for o in outcomes:
            s.readings += o.accepted
            s.duplicates += o.duplicate
            s.refused += not o.ok


def _token(topic: str, level: int) -> str | None:
    levels = topic.split("/")
    return levels[level] if level < len(levels) else None
