"""MQTT ingest against the real broker (Mosquitto on 127.0.0.1:1883): every accepted payload shape,
malformed messages and unknown tokens kept as dead letters without stopping the subscriber, a
re-sent batch stored once, and ``kill -9`` of ``somp ingest mqtt`` mid-stream losing nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, select

from somp.core.tenancy import Scope
from somp.modules.telemetry.models import DeadLetter, IngestBatch, ReadingChunk
from somp.modules.telemetry.mqtt import MqttIngest, MqttOptions, token_level
from somp.modules.telemetry.service import stored_readings

BROKER = ("127.0.0.1", 1883)
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def _broker_up() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _broker_up() and os.environ.get("SOMP_REQUIRE_POSTGRES") != "1", reason="no MQTT broker on 127.0.0.1:1883"
)


def publisher() -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    c.connect(*BROKER)
    c.loop_start()
    return c


def publish(c: mqtt.Client, topic: str, payload: bytes) -> None:
    c.publish(topic, payload, qos=1).wait_for_publish(10)


def forget_session(client_id: str) -> None:
    """End the persistent session a test subscriber left on the broker."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    c.connect(*BROKER, clean_start=True, properties=props)
    c.loop_start()
    time.sleep(0.2)
    c.disconnect()
    c.loop_stop()


def count(db, model) -> int:
    with db.session(Scope.all_tenants()) as s:
        return s.scalar(select(func.count()).select_from(model))


def n_readings(db) -> int:
    """Readings stored (the sum of the chunks' counts)."""
    with db.session(Scope.all_tenants()) as s:
        return s.scalar(select(func.coalesce(func.sum(ReadingChunk.count), 0)))


def wait_for(pred, seconds: float = 30.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def test_topic_filter_needs_one_token_level():
    assert token_level("somp/devices/+/telemetry") == 2
    assert token_level("$share/ingest/somp/devices/+/telemetry") == 2
    for bad in ("somp/devices/telemetry", "somp/+/+/telemetry", "somp/devices/+/#"):
        with pytest.raises(ValueError, match="exactly one"):
            token_level(bad)
    with pytest.raises(ValueError, match="receive_maximum"):
        MqttOptions(receive_maximum=0)


def test_subscriber_stores_every_shape_and_dead_letters_the_rest(device):
    run = uuid.uuid4().hex[:8]
    topic = f"somp-test/{run}/+/telemetry"
    client_id = f"somp-test-{run}"
    sub = MqttIngest(device.db, MqttOptions(topic=topic, client_id=client_id, flush_seconds=0.02))
    sub.start()
    pub = publisher()
    try:
        assert sub.wait_subscribed()
        mine = f"somp-test/{run}/{device.token}/telemetry"
        batch = {
            "batch_id": "b-1",
            "readings": [{"metric": "pressure", "ts": T0 + i, "value": 7 + i} for i in range(5)],
        }
        publish(pub, mine, orjson.dumps(batch))
        publish(pub, mine, orjson.dumps(batch))  # re-sent: stored once
        publish(pub, mine, orjson.dumps({"metric": "temperature", "ts": T0, "value": 61.5}))
        publish(pub, mine, orjson.dumps({"ts": (T0 + 9) * 1000, "values": {"power": 31.0, "flow": 4.2}}))
        publish(pub, mine, b"{not json")
        publish(pub, mine, orjson.dumps({"metric": "pressure", "ts": T0, "value": "high"}))
        publish(pub, f"somp-test/{run}/somp_dev_000000000000_nope/telemetry", orjson.dumps(batch))
        assert wait_for(lambda: sub.stats.messages == 7), sub.stats.line()
        assert n_readings(device.db) == 5 + 1 + 2
        assert count(device.db, IngestBatch) == 3
        assert sub.stats.duplicates == 1 and sub.stats.refused == 3
        with device.db.session(Scope.all_tenants()) as s:
            letters = {(d.tenant_id, d.reason.split(":")[0]) for d in s.scalars(select(DeadLetter))}
        assert letters == {
            (device.tenant_id, "not valid JSON"),
            (device.tenant_id, "invalid payload"),
            (None, "unknown or revoked device token"),
        }
        # the subscriber is still there after the bad messages
        publish(pub, mine, orjson.dumps({"metric": "pressure", "ts": T0 + 100, "value": 7.0}))
        assert wait_for(lambda: n_readings(device.db) == 9)
    finally:
        pub.disconnect()
        sub.stop()
        forget_session(client_id)


def test_acknowledgements_are_one_write_of_puback_packets():
    from somp.modules.telemetry.mqtt import _Client

    c = _Client(mqtt.CallbackAPIVersion.VERSION2, client_id="acks", manual_ack=True)
    c.ack_many([1, 2, 65535])
    (packet,) = c._out_packet
    assert packet["packet"] == b"\x40\x02\x00\x01" + b"\x40\x02\x00\x02" + b"\x40\x02\xff\xff"
    assert packet["to_process"] == 12
    c.ack_many([])
    assert len(c._out_packet) == 1


@pytest.mark.parametrize("protocol", [5, 311])
def test_acknowledged_messages_are_not_delivered_again(device, protocol):
    """The PUBACKs sent in one write reach the broker: a subscriber that comes back to the same
    session after storing a stream gets nothing redelivered."""
    run = uuid.uuid4().hex[:8]
    topic = f"somp-test/{run}/+/telemetry"
    client_id = f"somp-test-{run}"
    mine = f"somp-test/{run}/{device.token}/telemetry"
    options = MqttOptions(topic=topic, client_id=client_id, protocol=protocol, batch_messages=40, flush_seconds=0.02)
    sub = MqttIngest(device.db, options)
    sub.start()
    pub = publisher()
    try:
        assert sub.wait_subscribed()
        for i in range(300):
            pub.publish(mine, orjson.dumps({"metric": "pressure", "ts": T0 + i, "value": 7.0}), qos=1)
        assert wait_for(lambda: sub.stats.messages == 300), sub.stats.line()
        assert sub.stats.commits >= 300 // 40
        time.sleep(0.3)  # the last acknowledgements on the wire
        sub.stop()
        again = MqttIngest(device.db, options)
        again.start()
        try:
            assert again.wait_subscribed()
            publish(pub, mine, orjson.dumps({"metric": "pressure", "ts": T0 + 1000, "value": 8.0}))
            assert wait_for(lambda: again.stats.messages >= 1)
            time.sleep(0.5)
            assert (again.stats.messages, again.stats.duplicates) == (1, 0)
        finally:
            again.stop()
        assert n_readings(device.db) == 301
    finally:
        pub.disconnect()
        sub.stop()
        forget_session(client_id)


def test_a_topic_that_is_not_utf8_is_a_dead_letter(device):
    """paho decodes the topic on access; a broker should refuse such a topic, but if one arrives the
    message is kept as a dead letter (no device token can be read from it), not an exception in
    the network thread."""
    sub = MqttIngest(device.db, MqttOptions(topic="somp-test/+/telemetry", client_id="no-utf8"))
    msg = mqtt.MQTTMessage(mid=7, topic=b"somp-test/\xff\xfe/telemetry")
    msg.payload, msg.qos = orjson.dumps({"metric": "pressure", "ts": T0, "value": 1.0}), 1
    sub._on_message(sub.client, None, msg)
    (rec,) = sub._buffer
    assert rec.topic == "" and rec.mid == 7
    sub.store([rec])
    assert sub.stats.refused == 1
    with device.db.session(Scope.all_tenants()) as s:
        assert [d.reason for d in s.scalars(select(DeadLetter))] == ["unknown or revoked device token"]


def _start_ingest(url: str, topic: str, client_id: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "somp", "ingest", "mqtt", "--database-url", url, "--topic", topic]
    cmd += ["--client-id", client_id, "--report-every", "0", "--batch", "50", "--flush-ms", "20"]
    log = open(os.environ.get("SOMP_TEST_INGEST_LOG", os.devnull), "ab")  # noqa: SIM115
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=log)


def test_kill_9_mid_stream_loses_no_acknowledged_reading(device):
    run = uuid.uuid4().hex[:8]
    topic = f"somp-test/{run}/+/telemetry"
    client_id = f"somp-test-{run}"
    mine = f"somp-test/{run}/{device.token}/telemetry"
    messages, per_message = 1200, 10
    total = messages * per_message
    proc = _start_ingest(device.url, topic, client_id)
    pub = publisher()
    try:
        # the subscription exists once a probe reading arrives
        probe = orjson.dumps({"metric": "probe", "ts": T0, "value": 1.0})
        assert wait_for(lambda: publish(pub, mine, probe) or n_readings(device.db) > 0, 30)
        base = n_readings(device.db)
        killed_at = None
        for i in range(messages):
            body = {
                "batch_id": f"k-{i}",
                "readings": [
                    {"metric": "flow", "ts": T0 + i * per_message + k, "value": i} for k in range(per_message)
                ],
            }
            pub.publish(mine, orjson.dumps(body), qos=1)
            if i % 50 == 49:
                time.sleep(0.04)  # about 1,000 messages/s, within the broker's offline queue
            if killed_at is None and i == messages // 3:
                wait_for(lambda: n_readings(device.db) - base >= per_message * 100, 20)
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                killed_at = n_readings(device.db) - base
                proc = _start_ingest(device.url, topic, client_id)
            if killed_at is not None and i == messages // 3 + 400:
                # Mosquitto keeps at most 1,000 messages (max_queued_messages) for a subscriber
                # that is away; wait for the restarted one before publishing more than that.
                assert wait_for(lambda k=killed_at: n_readings(device.db) - base > k, 60)
        assert killed_at is not None and 0 < killed_at < total
        assert wait_for(lambda: n_readings(device.db) - base >= total, 90), n_readings(device.db) - base
        time.sleep(0.5)  # nothing more may arrive: no reading twice
        with device.db.session(Scope.all_tenants()) as s:
            r = stored_readings(s)
            flow_ts = r.ts[r.metric != _probe_id(s)]
            flow, distinct = len(flow_ts), len(set(flow_ts.tolist()))
        assert flow == total and distinct == total
    finally:
        pub.disconnect()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        forget_session(client_id)


def _probe_id(s) -> int:
    from somp.modules.telemetry.models import Metric

    return s.scalar(select(Metric.id).where(Metric.key == "probe"))


def test_workers_share_one_subscription_and_store_each_message_once(device):
    """``somp ingest mqtt --workers 2``: two subscriber processes on ``$share/GROUP/TOPIC``; the broker
    spreads the messages over them, each is stored once, and SIGTERM to the parent stops both."""
    import re

    run = uuid.uuid4().hex[:8]
    topic = f"somp-test/{run}/+/telemetry"
    client_id = f"somp-test-{run}"
    mine = f"somp-test/{run}/{device.token}/telemetry"
    cmd = [sys.executable, "-m", "somp", "ingest", "mqtt", "--database-url", device.url, "--topic", topic]
    cmd += ["--client-id", client_id, "--report-every", "0", "--batch", "20", "--flush-ms", "20", "--workers", "2"]
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    pub = publisher()
    try:
        # each worker prints its line once the broker acknowledged its share of the subscription
        assert wait_for(lambda: sum("somp ingest: subscribed to" in x for x in lines) == 2, 60), lines
        for i in range(400):
            pub.publish(mine, orjson.dumps({"metric": "flow", "ts": T0 + 1 + i, "value": float(i)}), qos=1)
        assert wait_for(lambda: n_readings(device.db) == 400, 60), n_readings(device.db)
    finally:
        pub.disconnect()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        reader.join(10)
        for k in (1, 2):
            forget_session(f"{client_id}-{k}")
    out = "".join(lines)
    assert proc.returncode == 0, out
    assert "2 subscribers on $share/somp/" in out
    stopped = [int(m.replace(",", "")) for m in re.findall(r"stopped; messages ([\d,]+)", out)]
    assert len(stopped) == 2 and all(n > 0 for n in stopped), out  # both shares took messages
    with device.db.session(Scope.all_tenants()) as s:
        ts = stored_readings(s).ts
    assert len(ts) == 400 and len(set(ts.tolist())) == 400
