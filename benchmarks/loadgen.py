"""An open-loop HTTP/1.1 load generator: a fixed request rate over a pool of keep-alive connections.

wrk is closed-loop: each of its connections waits for a response before sending the next request,
so its latency figures at saturation are mostly queueing it caused itself. To answer "what is the
p99 latency when 32 clients send 500 requests per second", requests here are scheduled at fixed
times (t0 + i / rate); a request waits for a free connection if all are busy, and its latency is
measured from its scheduled time, so waiting counts (no coordinated omission).

Run as a separate process::

    python benchmarks/loadgen.py URL --rate 500 --connections 32 --duration 10 [--header "Authorization: Bearer ..."]

prints one JSON line: sent, completed, errors, achieved rate, p50/p90/p99/max latency in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from urllib.parse import urlsplit


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(host, port)


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = None
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run(url: str, rate: float, connections: int, duration: float, headers: list[str]) -> dict:
    u = urlsplit(url)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    target = u.path + (f"?{u.query}" if u.query else "")
    head = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive", *headers]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode()
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await _open(host, port))
    latencies: list[float] = []
    errors = 0
    total = int(rate * duration)
    t0 = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await pool.get()
        try:
            status = await _request(*conn, raw)
            if status >= 400:
                errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors += 1
            conn[1].close()
            conn = await _open(host, port)
        finally:
            pool.put_nowait(conn)
        latencies.append((time.perf_counter() - scheduled) * 1000)

    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - t0
    while not pool.empty():
        pool.get_nowait()[1].close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "target_rate": rate,
        "connections": connections,
        "sent": total,
        "completed": len(latencies),
        "errors": errors,
        "achieved_rate": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(50), 2),
        "p90_ms": round(pct(90), 2),
        "p99_ms": round(pct(99), 2),
        "max_ms": round(latencies[-1], 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="open-loop HTTP load at a fixed rate")
    ap.add_argument("url")
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--header", action="append", default=[])
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    gc.disable()  # the generator's own collection pauses would show up as server latency
    print(json.dumps(asyncio.run(run(args.url, args.rate, args.connections, args.duration, args.header))))


if __name__ == "__main__":
    main()
