"""Benchmark: ``GET /api/v1/assets?limit=100`` with 100,000 assets, SQLite and PostgreSQL.

Target (issue 2): p99 < 50 ms and >= 500 requests/s at 32 concurrent clients. The load comes from
a second process, ``wrk`` (Debian package), with 32 connections. Baseline in the same run: a bare
FastAPI app served the same way, returning the same JSON page from memory (no auth, no database),
so the ratio shows what somp's auth, tenant-scoped query and validation cost.

Usage::

    python benchmarks/api_list_assets.py [--runs 3] [--duration 10] [--workers 2] [--assets 100000]

Prints a table and writes benchmarks/results/api_list_assets.json. Needs ``wrk`` and, for the
PostgreSQL half, the server on 127.0.0.1:5432 (trust auth).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "api_list_assets.json"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "somp_bench_api"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, n_assets: int, seed: int = 7) -> str:
    """Create the schema and a tenant with ``n_assets`` assets; return an API token."""
    from sqlalchemy import insert

    from somp.core import migrate
    from somp.core.database import Database
    from somp.core.identity import Role
    from somp.core.modules import import_all_models
    from somp.core.tenancy import Scope
    from somp.modules.assets.models import Asset, AssetState
    from somp.modules.catalog.schemas import ProductCreate
    from somp.modules.catalog.service import create_product
    from somp.modules.customers.schemas import CustomerCreate
    from somp.modules.customers.service import create_customer
    from somp.modules.tenants.schemas import TenantCreate, TokenCreate, UserCreate
    from somp.modules.tenants.service import create_tenant, create_user, issue_api_token

    import_all_models()
    db = Database(url)
    migrate.upgrade(db.engine)
    rng = random.Random(seed)
    with db.session(Scope.all_tenants()) as s:
        t = create_tenant(
            s,
            TenantCreate(
                name="基准企业",
                uscc="914403001922038216",
                industry_code="C3441",
                region_code="440300",
                size_class="large",
            ),
        )
        u = create_user(
            s,
            UserCreate(
                username="bench",
                display_name="bench",
                password="bench-password-1",
                roles=[Role.service_manager],
                tenant_id=t.id,
            ),
        )
        _row, token = issue_api_token(s, u, TokenCreate(name="bench"))
        s.commit()
        tid = t.id
    with db.session(Scope.tenant(tid)) as s:
        products = [
            create_product(s, ProductCreate(code=f"P{i}", name=f"空压机{i}", category="compressor")).id
            for i in range(5)
        ]
        customers = [create_customer(s, CustomerCreate(code=f"C{i}", name=f"客户{i}")).id for i in range(40)]
        s.commit()
    states = [AssetState.in_service] * 8 + [AssetState.degraded, AssetState.under_maintenance]
    rows = [
        {
            "tenant_id": tid,
            "serial_number": f"SN{i:07d}",
            "product_id": rng.choice(products),
            "customer_id": rng.choice(customers),
            "state": rng.choice(states).value,
            "site_name": f"站点{i % 500}",
            "site_region_code": "440300",
            "latitude": 22.5 + rng.random() / 10,
            "longitude": 114.0 + rng.random() / 10,
            "notes": None,
        }
        for i in range(n_assets)
    ]
    with db.engine.begin() as conn:
        conn.execute(insert(Asset.__table__), rows)
    with db.engine.connect() as conn:  # fresh planner statistics, as autovacuum would give after a bulk load
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    db.dispose()
    return token


def reset_pg() -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1)
        except urllib.error.HTTPError:
            return proc  # the server answers (404/401 are fine)
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-3000:]) from None
            time.sleep(0.3)
            continue
        return proc
    proc.kill()
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url: str, token: str | None, duration: int, connections: int = 32) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": _ms(lat["50"]),
        "p99_ms": _ms(lat["99"]),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def open_loop(url: str, token: str | None, duration: int, rate: float, connections: int = 32) -> dict[str, float]:
    cmd = [
        sys.executable,
        str(HERE / "loadgen.py"),
        url,
        "--rate",
        str(rate),
        "--connections",
        str(connections),
        "--duration",
        str(duration),
    ]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def _ms(v: str) -> float:
    num, unit = re.match(r"([\d.]+)(\w+)", v).groups()
    return float(num) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


BARE_APP = """
import os
from fastapi import FastAPI, Response
PAGE = open(os.environ["BENCH_PAGE"], "rb").read()
app = FastAPI()
@app.get("/api/v1/assets")
def assets():
    return Response(PAGE, media_type="application/json")
"""


def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="somp-bench-"))
    results: dict = {"config": vars(args), "rows": []}
    backends = {"sqlite": f"sqlite:///{work / 'somp.db'}"}
    if not args.skip_postgres:
        backends["postgresql"] = reset_pg()
    bare_py = work / "bare_app.py"
    bare_py.write_text(BARE_APP)
    for backend, url in backends.items():
        t0 = time.perf_counter()
        token = prepare(url, args.assets)
        print(f"[{backend}] prepared {args.assets} assets in {time.perf_counter() - t0:.1f} s", flush=True)
        port = free_port()
        env = dict(os.environ, SOMP_DATABASE_URL=url, SOMP_DATA_DIR=str(work), SOMP_SECRET_KEY="bench")
        somp_cmd = [sys.executable, "-m", "somp.cli", "serve", "--port", str(port), "--workers", str(args.workers)]
        target = f"http://127.0.0.1:{port}/api/v1/assets?limit=100"
        proc = start(somp_cmd, env, port)
        try:
            req = urllib.request.Request(target, headers={"Authorization": f"Bearer {token}"})
            page = urllib.request.urlopen(req).read()
            assert len(json.loads(page)["items"]) == 100
            (work / "page.json").write_bytes(page)
            wrk(target, token, 3)  # warm up
            somp_runs = [wrk(target, token, args.duration) for _ in range(args.runs)]
            somp_open = [open_loop(target, token, args.duration, args.rate) for _ in range(args.runs)]
        finally:
            stop(proc)
        bare_port = free_port()
        # the baseline is served exactly as somp is (somp.api.server: one SO_REUSEPORT socket per worker)
        bare_cmd = [
            sys.executable,
            "-c",
            f"from somp.api.server import serve; serve('bare_app:app', host='127.0.0.1', "
            f"port={bare_port}, workers={args.workers}, log_level='warning')",
        ]
        bare_env = dict(os.environ, BENCH_PAGE=str(work / "page.json"), PYTHONPATH=str(work))
        proc = start(bare_cmd, bare_env, bare_port)
        try:
            bare_target = f"http://127.0.0.1:{bare_port}/api/v1/assets?limit=100"
            wrk(bare_target, None, 3)
            bare_runs = [wrk(bare_target, None, args.duration) for _ in range(args.runs)]
            bare_open = [open_loop(bare_target, None, args.duration, args.rate) for _ in range(args.runs)]
        finally:
            stop(proc)
        for name, runs, opens in (
            ("somp", somp_runs, somp_open),
            ("bare FastAPI, same JSON from memory", bare_runs, bare_open),
        ):
            results["rows"].append(
                {
                    "backend": backend,
                    "server": name,
                    "rps_median": statistics.median(r["rps"] for r in runs),
                    "p50_ms_median": statistics.median(r["p50_ms"] for r in runs),
                    "p99_ms_median": statistics.median(r["p99_ms"] for r in runs),
                    "non_2xx": sum(r["non_2xx"] for r in runs),
                    "open_loop_rate": args.rate,
                    "open_loop_achieved_median": statistics.median(r["achieved_rate"] for r in opens),
                    "open_loop_p50_ms_median": statistics.median(r["p50_ms"] for r in opens),
                    "open_loop_p99_ms_median": statistics.median(r["p99_ms"] for r in opens),
                    "open_loop_errors": sum(r["errors"] for r in opens),
                    "runs": runs,
                    "open_loop_runs": opens,
                }
            )
    shutil.rmtree(work, ignore_errors=True)
    if not args.skip_postgres:
        reset_pg()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=500, help="open-loop request rate")
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    res = run(args)
    by_backend = {}
    for r in res["rows"]:
        by_backend.setdefault(r["backend"], {})[r["server"]] = r
    print(
        f"\nGET /api/v1/assets?limit=100, {args.assets} assets, 32 connections, {args.workers} server workers, "
        f"median of {args.runs} x {args.duration} s"
    )
    print(
        "closed loop = wrk, as fast as it goes; open loop = benchmarks/loadgen.py at a fixed "
        f"{args.rate:.0f} req/s, latency from the scheduled send time"
    )
    print(
        f"{'backend':<11} {'server':<37} {'max req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} | "
        f"{'@rate req/s':>11} {'p50 ms':>7} {'p99 ms':>7}"
    )
    for backend, rows in by_backend.items():
        bare = rows["bare FastAPI, same JSON from memory"]
        for name, r in rows.items():
            ratio = r["rps_median"] / bare["rps_median"]
            r["rps_ratio_to_bare"] = ratio
            print(
                f"{backend:<11} {name:<37} {r['rps_median']:>9.0f} {r['p50_ms_median']:>7.1f} "
                f"{r['p99_ms_median']:>7.1f} {ratio:>6.2f} | {r['open_loop_achieved_median']:>11.0f} "
                f"{r['open_loop_p50_ms_median']:>7.1f} {r['open_loop_p99_ms_median']:>7.1f}"
            )
    res["target"] = {"p99_ms_max": 50, "rps_min": 500}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=2, default=str))
    print(f"\nwrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
