"""The receive side of ``somp ingest mqtt`` alone (issue 3, single-reading MQTT payloads): how many
queued QoS 1 messages a subscriber takes off a Mosquitto broker per second, and the CPU time each
costs, with paho's own client (the baseline) and with somp's client
(``somp.modules.telemetry.mqtt._Client``: paho with a read-ahead socket and every buffered packet
read per pass of its loop). Nothing is stored: the callback acknowledges at once, so this is the
network and MQTT decoding cost that the ingest path pays before its own work.

For each protocol (3.1.1 and 5), run and client: a persistent session is created, ``--messages``
single-reading payloads (the shape devices send, about 60 bytes) are queued for it while it is
away, then a fresh subscriber reconnects and is timed until it has received them all.
Clients alternate within each run; medians over ``--runs``.

    .venv/bin/python benchmarks/mqtt_receive.py --runs 3

Starts its own Mosquitto on a free port. Writes benchmarks/results/mqtt_receive.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from somp.modules.telemetry.mqtt import _Client  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "mqtt_receive.json"
SINGLE = b'{"metric":"pressure","ts":1735689600,"value":7.5}'
BATCH = json.dumps(  # a 100-reading somp batch, about 5 KB
    {"batch_id": "b-1", "readings": [{"metric": "pressure", "ts": 1735689600 + i, "value": 7.5} for i in range(100)]}
).encode()
PAYLOADS = {"single": SINGLE, "batch100": BATCH}
TOPIC = "bench/0123456789abcdef0123456789abcdef/telemetry"
CLIENTS = {"paho": mqtt.Client, "somp": _Client}


def start_broker(workdir: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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


def connect(cls: type[mqtt.Client], client_id: str, protocol: int, port: int, on_message=None) -> mqtt.Client:  # noqa: ANN001
    if protocol == 5:
        c = cls(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True)
        c.max_inflight_messages_set(65_535)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        props.ReceiveMaximum = 65_535
        c.on_message = on_message
        c.connect("127.0.0.1", port, clean_start=False, properties=props)
    else:
        c = cls(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                clean_session=False, manual_ack=True)  # fmt: skip
        c.max_inflight_messages_set(65_535)
        c.on_message = on_message
        c.connect("127.0.0.1", port)
    return c


def queue(port: int, client_id: str, messages: int, payload: bytes) -> None:
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{client_id}-pub")
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    infos = []
    for _ in range(messages):
        infos.append(pub.publish(TOPIC, payload, qos=1))
        if len(infos) >= 500:  # paho's outgoing queue is bounded: let the broker acknowledge a block
            for info in infos:
                info.wait_for_publish(60)
            infos = []
    for info in infos:
        info.wait_for_publish(60)
    pub.disconnect()
    pub.loop_stop()


def drain(
    cls: type[mqtt.Client], protocol: int, port: int, client_id: str, messages: int, payload: bytes
) -> tuple[float, float]:
    """(messages/s, CPU µs per message) of a subscriber taking ``messages`` queued messages."""
    c = connect(cls, client_id, protocol, port)
    c.loop_start()
    c.subscribe("bench/+/telemetry", qos=1)
    time.sleep(0.5)
    c.disconnect()
    c.loop_stop()
    queue(port, client_id, messages, payload)
    got = [0]
    done = threading.Event()

    def on_message(client, userdata, message) -> None:  # noqa: ANN001
        client.ack(message.mid, message.qos)
        got[0] += 1
        if got[0] >= messages:
            done.set()

    c = connect(cls, client_id, protocol, port, on_message)
    started, cpu0 = time.perf_counter(), time.process_time()
    c.loop_start()
    if not done.wait(300):
        raise RuntimeError(f"{client_id}: {got[0]} of {messages} messages in 300 s")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
    c.disconnect()
    c.loop_stop()
    return messages / seconds, 1e6 * cpu / messages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--messages", type=int, default=100_000, help="single-reading messages per drain")
    ap.add_argument("--batches", type=int, default=20_000, help="100-reading messages per drain")
    args = ap.parse_args()
    if not shutil.which("mosquitto"):
        sys.exit("mosquitto is not installed")
    tmp = Path(tempfile.mkdtemp(prefix="somp-bench-"))
    broker, port = start_broker(tmp)
    runs: dict[str, list[list[float]]] = {}
    try:
        for run in range(args.runs):
            for kind, payload in PAYLOADS.items():
                n = args.messages if kind == "single" else args.batches
                for protocol in (311, 5):
                    for name, cls in CLIENTS.items():
                        rate, cpu = drain(cls, protocol, port, f"rx-{kind}-{protocol}-{run}-{name}", n, payload)
                        runs.setdefault(f"{kind}/{protocol}/{name}", []).append([rate, cpu])
                        print(f"run {run}  {kind:<8}  MQTT {protocol}  {name:<5}  {rate:10,.0f} messages/s  "
                              f"{cpu:6.1f} µs CPU", flush=True)  # fmt: skip
    finally:
        broker.terminate()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: [statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)] for k, v in runs.items()}
    head = f"{'payload':<9} {'protocol':<9} {'client':<30} {'messages/s':>12} {'CPU µs/message':>15} {'ratio':>6}"
    print("\n" + head + " (messages/s to paho's)")
    for kind in PAYLOADS:
        for protocol in (311, 5):
            base = med[f"{kind}/{protocol}/paho"][0]
            for name, label in (("paho", "paho-mqtt Client (baseline)"), ("somp", "somp _Client (read-ahead)")):
                rate, cpu = med[f"{kind}/{protocol}/{name}"]
                version = "3.1.1" if protocol == 311 else "5"
                print(f"{kind:<9} {version:<9} {label:<30} {rate:12,.0f} {cpu:15.1f} {rate / base:6.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "mqtt_receive",
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "paho_mqtt": paho.mqtt.__version__,
                },  # fmt: skip
                "args": vars(args),
                "runs": runs,
                "medians": {k: {"messages_per_s": v[0], "cpu_us_per_message": v[1]} for k, v in med.items()},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
