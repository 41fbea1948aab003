"""somp serve --workers N: each worker has its own SO_REUSEPORT socket, so keep-alive connections
are spread over the workers; the supervisor stops them all; a taken port is refused up front."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from somp.api.server import serve

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_pid(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/")
    return int(conn.getresponse().read())


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT is Linux/BSD only")
def test_connections_are_spread_over_workers_and_all_stop_together():
    port = free_port()
    code = (
        f"from somp.api.server import serve; serve('tests.api.pid_app:app', host='127.0.0.1', port={port}, "
        "workers=2, log_level='warning')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        deadline = time.time() + 30
        pids: set[int] = set()
        while time.time() < deadline and len(pids) < 2:
            conns = []
            try:
                for _ in range(16):  # each connection lands on one worker, by the kernel's hash
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    pids.add(get_pid(c))
                    conns.append(c)
            except OSError:
                time.sleep(0.3)  # workers still starting
            for c in conns:
                c.close()
        assert len(pids) == 2, pids
        assert proc.pid not in pids  # the supervisor serves nothing itself
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_taken_port_is_refused_before_any_worker_starts():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(OSError):
            serve("tests.api.pid_app:app", host="127.0.0.1", port=s.getsockname()[1], workers=2)
