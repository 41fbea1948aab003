"""Serving the app with several worker processes, each with its own listening socket.

Uvicorn's own ``--workers`` shares one listening socket between processes, and whichever process
wakes first accepts: with long-lived keep-alive connections (a gateway, a load balancer, a test
client) one worker can end up holding most connections while the others idle. Here every worker
binds its own socket with ``SO_REUSEPORT``, so the kernel spreads new connections across them.
Without ``SO_REUSEPORT`` (not Linux/BSD) it falls back to uvicorn's shared socket.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import socket
import time
from typing import Any

log = logging.getLogger(__name__)


def _socket(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(app: str, factory: bool, host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops workers with SIGTERM
    config = uvicorn.Config(app, factory=factory, **options)
    uvicorn.Server(config).run(sockets=[_socket(host, port)])


def serve(app: str, *, host: str, port: int, workers: int = 1, factory: bool = False, **options: Any) -> None:
    """Serve ``app`` (an import string) on ``host:port`` with ``workers`` processes."""
    import uvicorn

    options.setdefault("access_log", False)
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=factory, host=host, port=port, workers=workers, **options)
        return
    # Fail here, in the foreground, if anything listens there already: probed without SO_REUSEPORT,
    # so another server's reuse-port sockets cannot silently share our port.
    _socket(host, port, reuse_port=False).close()
    ctx = mp.get_context("spawn")
    procs: list[mp.Process] = []
    stopping = False

    def start() -> mp.Process:
        p = ctx.Process(target=_worker, args=(app, factory, host, port, options), daemon=False)
        p.start()
        return p

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    procs = [start() for _ in range(workers)]
    log.info("serving on http://%s:%d with %d workers (SO_REUSEPORT)", host, port, workers)
    restarts: list[float] = []
    try:
        while not stopping:
            time.sleep(0.5)
            for i, p in enumerate(procs):
                if not p.is_alive() and not stopping:
                    restarts = [t for t in restarts if time.monotonic() - t < 60] + [time.monotonic()]
                    if len(restarts) > 5 * workers:
                        raise RuntimeError("workers keep exiting; see the log above")
                    log.warning("worker %s exited with %s; starting another", p.pid, p.exitcode)
                    procs[i] = start()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
