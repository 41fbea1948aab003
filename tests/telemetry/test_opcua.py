"""OPC UA ingest against a real asyncua server started here (in a thread with its own event loop,
on a free port, shared by the module): both modes on both databases, refused values kept as dead
letters, no duplicates when the connector restarts, reconnection after the server restarts,
user name + encrypted channel, the mapping file's checks and ``somp ingest opcua``."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from asyncua import Server, ua
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import select
from typer.testing import CliRunner

from somp.core.tenancy import Scope
from somp.modules.telemetry.models import DeadLetter, Metric
from somp.modules.telemetry.opcua import (
    MappingError,
    NodeMapping,
    OpcUaIngest,
    Refused,
    batch_id_for,
    load_mapping,
    parse_config,
    reading_of,
)
from somp.modules.telemetry.service import stored_readings

NS = "urn:somp:test"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)
USER, PASSWORD = "operator", "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Users:
    """Anonymous sessions, or the one user with the right password."""

    def get_user(self, iserver, username=None, password=None, certificate=None):  # noqa: ANN001
        if username is None or (username == USER and password == PASSWORD):
            return User(role=UserRole.User)
        return None


class UaServer:
    """An asyncua server in a thread with its own event loop (the tests call it synchronously)."""

    def __init__(self, certs: Path) -> None:
        self.endpoint = f"opc.tcp://127.0.0.1:{free_port()}/somp-test/"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="opcua-test-server", daemon=True)
        self.thread.start()
        self.call(self._setup(certs))

    def call(self, coro, timeout: float = 30):  # noqa: ANN001
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _setup(self, certs: Path) -> None:
        self.server = Server(user_manager=_Users())
        await self.server.init()
        self.server.disable_clock()  # no CurrentTime task: stop() returns at once
        self.server.set_endpoint(self.endpoint)
        self.server.set_security_policy(
            [ua.SecurityPolicyType.NoSecurity, ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt]
        )
        key, cert = certs / "server-key.pem", certs / "server-cert.der"
        uri = self.server.get_application_uri()
        await cert_gen.setup_self_signed_certificate(
            key, cert, uri, socket.gethostname(), [ExtendedKeyUsageOID.SERVER_AUTH], {}
        )
        await self.server.load_certificate(str(cert))
        await self.server.load_private_key(str(key))
        idx = await self.server.register_namespace(NS)
        assert idx == 2
        obj = await self.server.nodes.objects.add_object(idx, "Compressor1")
        self.vars = {}
        for name, ident, vtype, initial in (
            ("pressure", "Compressor1.Pressure", ua.VariantType.Double, 0.0),
            ("speed", 1001, ua.VariantType.Int32, 0),
            ("running", "Compressor1.Running", ua.VariantType.Boolean, False),
            ("state", "Compressor1.State", ua.VariantType.String, ""),
            ("temperature", "Compressor1.Temperature", ua.VariantType.Double, 0.0),
        ):
            var = await obj.add_variable(ua.NodeId(ident, idx), name, ua.Variant(initial, vtype))
            self.vars[name] = (var, vtype)
        await self.server.start()

    def write(self, name: str, value, ts: dt.datetime, status: int | None = None) -> None:  # noqa: ANN001
        var, vtype = self.vars[name]
        dv = ua.DataValue(
            ua.Variant(value, vtype) if status is None else ua.Variant(),
            StatusCode=ua.StatusCode(status if status is not None else ua.StatusCodes.Good),
            SourceTimestamp=ts,
            ServerTimestamp=ts,
        )
        self.call(var.write_value(dv))

    def reset(self, t: dt.datetime) -> None:
        """Known values, all stamped ``t``: three numbers, a text and a failed sensor."""
        self.write("pressure", 7.0, t)
        self.write("speed", 1500, t)
        self.write("running", True, t)
        self.write("state", "idle", t)
        self.write("temperature", None, t, status=ua.StatusCodes.BadSensorFailure)

    def stop(self) -> None:
        self.call(self.server.stop())

    def start(self) -> None:
        self.call(self.server.start())

    def close(self) -> None:
        try:
            self.call(self._shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    async def _shutdown(self) -> None:
        await self.server.stop()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("opcua-certs")


@pytest.fixture(scope="module")
def server(certs) -> UaServer:
    srv = UaServer(certs)
    yield srv
    srv.close()


MAPPINGS = [
    {"node_id": "ns=2;s=Compressor1.Pressure", "asset": "SN-MQTT", "metric": "pressure"},
    {"node_id": "ns=2;i=1001", "asset": "SN-MQTT", "metric": "speed_rps", "scale": 1 / 60},
    {"node_id": f"nsu={NS};s=Compressor1.Running", "asset": "SN-MQTT", "metric": "running"},
    {"node_id": "ns=2;s=Compressor1.State", "asset": "SN-MQTT", "metric": "state"},
    {"node_id": "ns=2;s=Compressor1.Temperature", "asset": "SN-MQTT", "metric": "temperature", "offset": -273.15},
    {"node_id": "ns=2;s=Compressor1.Nope", "asset": "SN-MQTT", "metric": "nope"},
]


def config(server: UaServer, mode: str = "subscribe", **kw):
    data = {
        "name": "test-line",
        "endpoint": server.endpoint,
        "mode": mode,
        "publishing_interval_ms": 50,
        "poll_seconds": 0.1,
        "flush_seconds": 0.05,
        "reconnect_min_seconds": 0.2,
        "reconnect_max_seconds": 1,
        "mappings": MAPPINGS,
    } | kw
    return parse_config(data)


def stored(db) -> dict[str, list[tuple[dt.datetime, float]]]:
    with db.session(Scope.all_tenants()) as s:
        r = stored_readings(s)  # before the catalogue: a reading's metric is committed with it
        keys = dict(s.execute(select(Metric.id, Metric.key)).all())
        rows = [(keys[m], t, v) for m, t, v in zip(r.metric.tolist(), r.times(), r.value.tolist(), strict=True)]
    out: dict[str, list[tuple[dt.datetime, float]]] = {}
    for key, ts, value in sorted(rows):
        out.setdefault(key, []).append((ts, value))
    return out


def dead_letters(db) -> list[DeadLetter]:
    with db.session(Scope.all_tenants()) as s:
        return list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def n_readings(db) -> int:
    return sum(len(v) for v in stored(db).values())


def wait_for(pred, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.03)
    return pred()


def approx(rows: list[tuple[dt.datetime, float]]) -> list[tuple[dt.datetime, float]]:
    return [(t, round(v, 9)) for t, v in rows]


# ---------------------------------------------------------------- against the server


def test_subscribe_stores_changes_refuses_the_rest_and_a_restart_adds_no_duplicate(device, server):
    t = T0 + dt.timedelta(days=1)
    server.reset(t)
    conn = OpcUaIngest(device.db, device.tenant_id, config(server))
    conn.start()
    try:
        assert conn.wait_connected()
        assert wait_for(lambda: n_readings(device.db) == 3 and len(dead_letters(device.db)) == 3), conn.stats
        server.write("pressure", 7.5, t + S)
        server.write("pressure", 8.0, t + 2 * S)
        server.write("speed", 1560, t + S)
        server.write("running", False, t + 2 * S)
        assert wait_for(lambda: n_readings(device.db) == 7), conn.stats.line()
    finally:
        conn.stop()
    got = stored(device.db)
    assert approx(got["pressure"]) == [(t, 7.0), (t + S, 7.5), (t + 2 * S, 8.0)]
    assert approx(got["speed_rps"]) == [(t, 25.0), (t + S, 26.0)]
    assert got["running"] == [(t, 1.0), (t + 2 * S, 0.0)]
    assert set(got) == {"pressure", "speed_rps", "running"}
    with device.db.session(Scope.all_tenants()) as s:
        assert set(stored_readings(s).asset.tolist()) == {device.asset_id}
    letters = dead_letters(device.db)
    assert {d.tenant_id for d in letters} == {device.tenant_id} and {d.source for d in letters} == {"opcua"}
    reasons = sorted(d.reason for d in letters)
    assert reasons[0].startswith("ns=2;s=Compressor1.Nope: cannot monitor the node: BadNodeIdUnknown")
    assert reasons[1].startswith("ns=2;s=Compressor1.State: value 'idle' (String) is not a number")
    assert reasons[2].startswith("ns=2;s=Compressor1.Temperature: status BadSensorFailure")
    assert conn.stats.readings == 7 and conn.stats.refused == 3

    # a restarted connector is sent the current values again: they are skipped, not stored twice
    again = OpcUaIngest(device.db, device.tenant_id, config(server))
    again.start()
    try:
        assert wait_for(lambda: again.stats.duplicates >= 3), again.stats.line()
        server.write("pressure", 8.5, t + 3 * S)
        assert wait_for(lambda: again.stats.readings == 1), again.stats.line()
    finally:
        again.stop()
    assert n_readings(device.db) == 8
    assert stored(device.db)["pressure"][-1] == (t + 3 * S, 8.5)


def test_poll_reads_every_period_and_stores_each_value_once(device, server):
    t = T0 + dt.timedelta(days=2)
    server.reset(t)
    conn = OpcUaIngest(device.db, device.tenant_id, config(server, "poll"))
    conn.start()
    try:
        assert wait_for(lambda: n_readings(device.db) == 3 and len(dead_letters(device.db)) == 3), conn.stats
        polls = conn.stats.values
        assert wait_for(lambda: conn.stats.values >= polls + 3 * len(MAPPINGS))  # three more polls
        assert n_readings(device.db) == 3  # unchanged values (same source time) are not stored again
        server.write("pressure", 6.5, t + S)
        server.write("speed", 1200, t + S)
        assert wait_for(lambda: n_readings(device.db) == 5), conn.stats.line()
    finally:
        conn.stop()
    got = stored(device.db)
    assert approx(got["pressure"]) == [(t, 7.0), (t + S, 6.5)]
    assert approx(got["speed_rps"]) == [(t, 25.0), (t + S, 20.0)]
    # each refusal is kept once although every poll refuses it again
    reasons = sorted(d.reason.split(":")[0] + ": " + d.reason.split(": ")[1][:12] for d in dead_letters(device.db))
    assert reasons == [
        "ns=2;s=Compressor1.Nope: status BadNo",
        "ns=2;s=Compressor1.State: value 'idle'",
        "ns=2;s=Compressor1.Temperature: status BadSe",
    ]
    assert conn.stats.refused > 3 and conn.stats.duplicates > 3


@pytest.mark.parametrize("backend", ["sqlite"])  # the database plays no part here
def test_reconnects_after_the_server_restarts(device, server):
    t = T0 + dt.timedelta(days=3)
    server.reset(t)
    conn = OpcUaIngest(device.db, device.tenant_id, config(server))
    conn.start()
    try:
        assert wait_for(lambda: n_readings(device.db) == 3)
        server.stop()
        assert wait_for(lambda: not conn.connected.is_set(), 5)
        server.write("pressure", 9.0, t + 5 * S)  # changes while the server is away
        time.sleep(0.5)  # a few refused connection attempts
        server.start()
        assert wait_for(lambda: n_readings(device.db) == 4, 10), conn.stats.line()
        server.write("pressure", 9.5, t + 6 * S)
        assert wait_for(lambda: n_readings(device.db) == 5), conn.stats.line()
    finally:
        conn.stop()
    assert conn.stats.connects >= 2
    assert approx(stored(device.db)["pressure"]) == [(t, 7.0), (t + 5 * S, 9.0), (t + 6 * S, 9.5)]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_user_password_over_an_encrypted_channel(device, server, certs, tmp_path, monkeypatch):
    key, cert = tmp_path / "client-key.pem", tmp_path / "client-cert.der"
    asyncio.run(
        cert_gen.setup_self_signed_certificate(
            key, cert, "urn:somp:ingest:opcua", socket.gethostname(), [ExtendedKeyUsageOID.CLIENT_AUTH], {}
        )
    )
    t = T0 + dt.timedelta(days=4)
    server.reset(t)
    monkeypatch.setenv("SOMP_TEST_OPCUA_PASSWORD", "wrong")
    security = {
        "username": USER,
        "password_env": "SOMP_TEST_OPCUA_PASSWORD",
        "policy": "Basic256Sha256",
        "mode": "SignAndEncrypt",
        "certificate": str(cert),
        "private_key": str(key),
    }
    refused = OpcUaIngest(device.db, device.tenant_id, config(server, security=security, mappings=MAPPINGS[:1]))
    refused.start()
    try:
        assert wait_for(lambda: "BadUserAccessDenied" in (refused.stats.last_error or ""), 10), refused.stats
        assert not refused.connected.is_set() and refused.stats.connects == 0
    finally:
        refused.stop()
    monkeypatch.setenv("SOMP_TEST_OPCUA_PASSWORD", PASSWORD)
    conn = OpcUaIngest(device.db, device.tenant_id, config(server, security=security, mappings=MAPPINGS[:1]))
    conn.start()
    try:
        assert wait_for(lambda: n_readings(device.db) == 1), conn.stats
    finally:
        conn.stop()
    assert stored(device.db)["pressure"] == [(t, 7.0)]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_unknown_asset_is_refused_before_connecting(device, server):
    cfg = config(server, mappings=[MAPPINGS[0], {**MAPPINGS[1], "asset": "SN-NOPE"}])
    with pytest.raises(ValueError, match="no asset with serial number SN-NOPE"):
        OpcUaIngest(device.db, device.tenant_id, cfg).start()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_connector_keeps_retrying_when_no_server_listens(device):
    cfg = parse_config(
        {
            "name": "nobody",
            "endpoint": f"opc.tcp://127.0.0.1:{free_port()}",
            "reconnect_min_seconds": 0.05,
            "reconnect_max_seconds": 0.1,
            "mappings": MAPPINGS[:1],
        }
    )
    conn = OpcUaIngest(device.db, device.tenant_id, cfg)
    conn.start()
    try:
        assert wait_for(lambda: conn.stats.last_error is not None and "Connect" in conn.stats.last_error, 5)
    finally:
        conn.stop()
    assert conn.stats.connects == 0 and n_readings(device.db) == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cli_runs_until_sigterm(device, server, tmp_path):
    t = T0 + dt.timedelta(days=5)
    server.reset(t)
    mapping = tmp_path / "line1.yaml"
    mapping.write_text(
        f"name: line1\nendpoint: {server.endpoint}\nmode: poll\npoll_seconds: 0.2\nflush_seconds: 0.05\n"
        "mappings:\n"
        "  - {node_id: 'ns=2;s=Compressor1.Pressure', asset: SN-MQTT, metric: pressure}\n"
        "  - {node_id: 'ns=2;i=1001', asset: SN-MQTT, metric: speed}\n",
        encoding="utf-8",
    )
    from somp.cli import app

    runner = CliRunner()
    base = ["ingest", "opcua", str(mapping), "--database-url", device.url]
    ok = runner.invoke(app, [*base, "--tenant", str(device.tenant_id), "--check"])
    assert ok.exit_code == 0 and "ok, 2 node(s) at opc.tcp://" in " ".join(ok.output.split()), ok.output
    assert runner.invoke(app, [*base, "--tenant", "999999", "--check"]).exit_code == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "endpoint": "http://plc", "mappings": []}', encoding="utf-8")
    out = runner.invoke(app, ["ingest", "opcua", str(bad), "--tenant", "1", "--database-url", device.url])
    assert out.exit_code == 2 and "endpoint: String should match" in out.output, out.output
    assert "mappings: List should have at least 1 item" in out.output

    # the real command, in this process: SIGTERM (sent to ourselves once the readings are in) stops it
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def terminate_when_stored() -> None:
        wait_for(lambda: n_readings(device.db) == 2, 15)
        time.sleep(0.3)  # a progress line or two
        if signal.getsignal(signal.SIGTERM) is not handlers[signal.SIGTERM]:  # the command's handler
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_when_stored, daemon=True)
    killer.start()
    try:
        run = runner.invoke(app, [*base, "--tenant", str(device.tenant_id), "--report-every", "0.1"])
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        killer.join(20)
    output = " ".join(run.output.split())
    assert run.exit_code == 0, run.output
    assert "somp ingest: reading 2 node(s)" in output and "connected" in output and "stopped; values" in output
    assert approx(stored(device.db)["speed"]) == [(t, 1500.0)]


# ---------------------------------------------------------------- pure parts


def test_mapping_file_errors_are_listed_with_their_place(tmp_path):
    good = {"name": "l1", "endpoint": "opc.tcp://plc:4840", "mappings": MAPPINGS[:2]}
    assert parse_config(good).mode == "subscribe"
    cases = {
        "mappings[0].node_id: 'ns=2;x=1' is not an OPC UA node id": {
            "mappings": [{"node_id": "ns=2;x=1", "asset": "A", "metric": "m"}]
        },
        "mappings[0].metric: 'bad key!' is not a metric key": {
            "mappings": [{"node_id": "i=1", "asset": "A", "metric": "bad key!"}]
        },
        "mappings[0].colour: unknown setting": {
            "mappings": [{"node_id": "i=1", "asset": "A", "metric": "m", "colour": "red"}]
        },
        "mappings[1]: node ns=2;i=1001 is already mapped by mappings[0]": {
            "mappings": [MAPPINGS[1], {**MAPPINGS[1], "metric": "other"}]
        },
        "mappings[1]: SN-MQTT / pressure is already fed by mappings[0]": {
            "mappings": [MAPPINGS[0], {**MAPPINGS[1], "metric": "pressure"}]
        },
        "mode: should be 'subscribe' or 'poll'": {"mode": "push"},
        "endpoint: String should match pattern": {"endpoint": "http://plc"},
        "poll_seconds: Input should be greater than 0": {"poll_seconds": 0},
        "mappings: List should have at least 1 item": {"mappings": []},
        "security: Value error, a password needs a username": {"security": {"password": "x"}},
        "security policy Basic256Sha256 needs certificate and private_key": {"security": {"policy": "Basic256Sha256"}},
        "security.policy: should be 'None', 'Basic256Sha256'": {"security": {"policy": "Basic128"}},
    }
    for expected, change in cases.items():
        with pytest.raises(MappingError) as exc:
            parse_config(good | change)
        assert expected.replace("Value error, ", "") in str(exc.value), (expected, str(exc.value))
    with pytest.raises(MappingError, match="name: Field required"):
        parse_config({k: v for k, v in good.items() if k != "name"})
    with pytest.raises(MappingError, match="top level"):
        parse_config(["not", "a", "mapping"])

    yml = tmp_path / "m.yaml"
    yml.write_text(
        "name: l1\nendpoint: opc.tcp://plc:4840\nmode: poll\npoll_seconds: 2\n"
        "security: {username: u, password_env: SOMP_NOT_SET_ANYWHERE, policy: Basic256Sha256,"
        " certificate: c.der, private_key: k.pem}\n"
        "mappings:\n  - {node_id: 'ns=2;s=A', asset: SN-1, metric: a, scale: 0.1, offset: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as exc:
        load_mapping(yml)
    text = str(exc.value)
    assert f"security.certificate: no such file {tmp_path / 'c.der'}" in text
    assert "SOMP_NOT_SET_ANYWHERE is not set" in text
    (tmp_path / "c.der").write_bytes(b"x")
    (tmp_path / "k.pem").write_bytes(b"x")
    os.environ["SOMP_NOT_SET_ANYWHERE"] = "pw"
    try:
        cfg = load_mapping(yml)
    finally:
        del os.environ["SOMP_NOT_SET_ANYWHERE"]
    assert cfg.mode == "poll" and cfg.mappings[0].scale == 0.1 and cfg.security.private_key == tmp_path / "k.pem"
    (tmp_path / "m.json").write_text('{"name": "l1", "endpoint": ', encoding="utf-8")
    with pytest.raises(MappingError, match="not valid JSON"):
        load_mapping(tmp_path / "m.json")
    (tmp_path / "m.yml").write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(tmp_path / "m.yml")
    with pytest.raises(MappingError, match="cannot read it"):
        load_mapping(tmp_path / "missing.yaml")


def test_data_values_become_readings_or_reasons():
    m = NodeMapping(node_id="ns=2;s=A", asset="SN-1", metric="a", scale=2, offset=1)
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    src, srv = now - 5 * S, now - 3 * S

    def dv(value, vtype=None, status=ua.StatusCodes.Good, source=src, server=srv):  # noqa: ANN001
        return ua.DataValue(
            ua.Variant(value, vtype), StatusCode=ua.StatusCode(status), SourceTimestamp=source, ServerTimestamp=server
        )

    us = int((src - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))
    assert reading_of(m, dv(3.0, ua.VariantType.Double), now) == (us, 7.0)
    assert reading_of(m, dv(3, ua.VariantType.UInt16), now)[1] == 7.0
    assert reading_of(m, dv(True, ua.VariantType.Boolean), now)[1] == 3.0
    # timestamps: source, else server, else receive; or as configured
    assert reading_of(m, dv(1.0, source=None), now)[0] == us + 2_000_000
    assert reading_of(m, dv(1.0, source=None, server=None), now)[0] == us + 5_000_000
    assert reading_of(m, dv(1.0, source=dt.datetime(1601, 1, 1, tzinfo=dt.UTC), server=None), now)[0] == us + 5_000_000
    assert reading_of(m, dv(1.0), now, "server")[0] == us + 2_000_000
    assert reading_of(m, dv(1.0), now, "receive")[0] == us + 5_000_000
    naive = reading_of(m, dv(1.0, source=src.replace(tzinfo=None)), now)
    assert naive[0] == us

    def reason(d, **kw) -> str:  # noqa: ANN001
        with pytest.raises(Refused) as exc:
            reading_of(m, d, now, **kw)
        return exc.value.reason

    assert reason(dv(None, status=ua.StatusCodes.BadCommunicationError)).startswith("status BadCommunicationError")
    uncertain = dv(2.0, ua.VariantType.Double, ua.StatusCodes.UncertainLastUsableValue)
    assert reason(uncertain).startswith("status UncertainLastUsableValue")
    assert reading_of(m, uncertain, now, accept_uncertain=True)[1] == 5.0
    assert reason(dv("12.5", ua.VariantType.String)) == "value '12.5' (String) is not a number"
    assert reason(dv([1.0, 2.0], ua.VariantType.Double)) == "value [1.0, 2.0] (array of Double) is not a number"
    assert reason(dv(None)) == "no value"
    assert reason(dv(math.nan, ua.VariantType.Double)) == "value nan is not a finite number"
    assert reason(dv(1e308, ua.VariantType.Double)) == "value * scale + offset is not a finite number"
    assert "ahead of this computer's clock" in reason(dv(1.0, source=now + dt.timedelta(hours=1)))


def test_batch_ids_are_deterministic_and_short():
    import numpy as np

    a = batch_id_for("line1", "ns=2;i=1001", np.array([1, 2, 3], np.int64))
    assert a == batch_id_for("line1", "ns=2;i=1001", np.array([1, 2, 3], np.int64))
    assert a != batch_id_for("line2", "ns=2;i=1001", np.array([1, 2, 3], np.int64))
    assert a != batch_id_for("line1", "ns=2;i=1001", np.array([1, 3], np.int64))
    assert a.startswith("opcua:") and len(a) <= 80
