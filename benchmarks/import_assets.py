"""Benchmark: `somp import assets` of a 100,000-row CSV, on SQLite and PostgreSQL.

Generates a deterministic CSV (fixed seed) for a tenant with a few products and customers, runs
the import in-process (the code behind the CLI: read, validate, write, commit: one transaction)
several times, each into a freshly migrated database, and compares it in the same run with the
baseline: row-by-row ``assets.service.create_asset`` through the ORM on a subset, extrapolated
linearly. Prints a table and writes ``benchmarks/results/import_assets.json``, with the CPU
seconds of this process and (PostgreSQL) of the server backends, which unlike wall time do not
depend on what else the machine is running.

    .venv/bin/python benchmarks/import_assets.py                 # 100k rows, 3 runs, both backends
    .venv/bin/python benchmarks/import_assets.py --rows 20000 --runs 1 --backends sqlite

PostgreSQL: a throwaway database is created on --pg-url's server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "import_assets.json"
PRODUCTS = 5
CUSTOMERS = 50
STATES = (
    ("manufactured", 0.15),
    ("delivered", 0.10),
    ("installed", 0.05),
    ("in_service", 0.55),
    ("degraded", 0.05),
    ("under_maintenance", 0.05),
    ("retired", 0.05),
)


def generate_csv(path: Path, rows: int, seed: int = 20261122) -> None:
    """``rows`` assets with every column in use; the same file for the same seed."""
    rnd = random.Random(seed)
    states, weights = zip(*STATES, strict=True)
    header = [
        "serial_number",
        "product_code",
        "customer_code",
        "state",
        "site_name",
        "site_address",
        "site_region_code",
        "latitude",
        "longitude",
        "manufactured_on",
        "delivered_on",
        "installed_on",
        "commissioned_on",
        "warranty_until",
        "retired_on",
        "notes",
    ]
    base = dt.date(2018, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(rows):
            state = rnd.choices(states, weights)[0]
            made = base + dt.timedelta(days=rnd.randrange(0, 2000))
            delivered = made + dt.timedelta(days=rnd.randrange(10, 90))
            installed = delivered + dt.timedelta(days=rnd.randrange(1, 30))
            commissioned = installed + dt.timedelta(days=rnd.randrange(0, 10))
            on_site = state not in ("manufactured", "delivered")
            owned = state != "manufactured" or rnd.random() < 0.3
            w.writerow(
                [
                    f"SN{i:08d}",
                    f"P-{rnd.randrange(PRODUCTS)}",
                    f"C-{rnd.randrange(CUSTOMERS)}" if owned else "",
                    state,
                    f"{rnd.choice('苏州无锡常州南通')}工厂{rnd.randrange(100)}号车间" if on_site else "",
                    f"工业园区{rnd.randrange(1, 999)}号" if on_site else "",
                    "320500" if on_site else "",
                    f"{30 + rnd.random() * 3:.5f}" if on_site else "",
                    f"{119 + rnd.random() * 3:.5f}" if on_site else "",
                    made.isoformat(),
                    delivered.isoformat() if state != "manufactured" else "",
                    installed.isoformat() if on_site else "",
                    commissioned.isoformat() if on_site and state != "installed" else "",
                    (made + dt.timedelta(days=730)).isoformat(),
                    (commissioned + dt.timedelta(days=1500)).isoformat() if state == "retired" else "",
                    "由旧系统迁移" if rnd.random() < 0.1 else "",
                ]
            )


@contextmanager
def database(backend: str, pg_url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from somp.core import migrate
    from somp.core.database import Database
    from somp.core.modules import import_all_models

    import_all_models()
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            db = Database(f"sqlite:///{d}/bench.db")
            migrate.upgrade(db.engine)
            try:
                yield db
            finally:
                db.dispose()
        return
    name = f"somp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(pg_url).set(database=name).render_as_string(hide_password=False))
    try:
        migrate.upgrade(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_tenants = iter(range(1, 10**6))


def new_tenant(db: Any) -> tuple[int, dict[str, int], dict[str, int]]:
    """A tenant with products P-0.. and customers C-0..; returns its id and the code -> id maps."""
    from somp.core import cn_codes
    from somp.core.tenancy import Scope
    from somp.modules.catalog.schemas import ProductCreate
    from somp.modules.catalog.service import create_product
    from somp.modules.customers.schemas import CustomerCreate
    from somp.modules.customers.service import create_customer
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant

    n = next(_tenants)
    body = f"{20_000_000 + n:08d}"
    first17 = "91320500" + body + cn_codes.org_code_check_character(body)
    with db.session(Scope.all_tenants()) as s:
        t = create_tenant(
            s,
            TenantCreate(
                name=f"基准企业{n}",
                uscc=first17 + cn_codes.uscc_check_character(first17),
                industry_code="C3441",
                region_code="320500",
                size_class="medium",
            ),
        )
        s.commit()
        tid = t.id
    with db.session(Scope.tenant(tid)) as s:
        products = {
            f"P-{i}": create_product(s, ProductCreate(code=f"P-{i}", name=f"空压机{i}", category="air_compressor")).id
            for i in range(PRODUCTS)
        }
        customers = {
            f"C-{i}": create_customer(s, CustomerCreate(code=f"C-{i}", name=f"客户{i}")).id for i in range(CUSTOMERS)
        }
        s.commit()
    return tid, products, customers


class Phases:
    """Wall time per stage of the import, from the importer's progress hooks."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def start(self, stage: str, total: int | None) -> None:
        self.marks.append((stage, time.perf_counter()))

    def advance(self, stage: str, n: int = 1) -> None:
        pass

    def finish(self, stage: str) -> None:
        self.marks.append((f"{stage} done", time.perf_counter()))


@contextmanager
def table_timer(totals: dict[str, float]):
    """Wall time spent in each table's bulk inserter (adding rows and finishing its COPY)."""
    from somp.dataio import bulk

    originals = {name: getattr(bulk.Inserter, name) for name in ("__init__", "add", "close")}

    def timed(name: str) -> Any:
        def run(self: Any, *a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return originals[name](self, *a, **kw)
            finally:
                table = self.table.name if name != "__init__" else a[1].name
                totals[table] += time.perf_counter() - t

        return run

    for name in originals:
        setattr(bulk.Inserter, name, timed(name))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(bulk.Inserter, name, fn)


def wait_for_idle(threshold: float | None, limit_s: float = 600) -> float:
    """On a shared machine, wait (up to ``limit_s``) until the 1-minute load average is below
    ``threshold``; returns the load average the run starts with."""
    deadline = time.monotonic() + limit_s
    while threshold is not None and os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    return round(os.getloadavg()[0], 2)


def server_cpu(db: Any) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend of the benchmark's database (read from
    /proc: the server runs on this machine); empty for SQLite."""
    if db.dialect != "postgresql":
        return {}
    from sqlalchemy import text

    with db.engine.connect() as c:
        pids = c.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        out = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return out


def bulk_import(db: Any, path: Path, dry_run: bool = False) -> tuple[float, dict[str, float]]:
    from somp.dataio.entities import get_entity
    from somp.dataio.importer import import_file

    tid, _, _ = new_tenant(db)
    phases, tables = Phases(), defaultdict(float)
    before = server_cpu(db)
    with table_timer(tables):
        cpu = time.process_time()
        t = time.perf_counter()
        result = import_file(db, get_entity("assets"), path, tenant_id=tid, dry_run=dry_run, progress=phases)
        seconds = time.perf_counter() - t
        cpu = time.process_time() - cpu
    after = server_cpu(db)
    marks = dict(phases.marks)
    # validation and the assets' COPY overlap (rows are streamed as they are validated)
    # CPU seconds do not depend on what else runs on the machine: this process (with its COPY
    # writer thread) and, on PostgreSQL, the server backends of the benchmark database
    detail = {"client_cpu_s": cpu}
    if after:
        detail["server_cpu_s"] = sum(v - before.get(pid, 0.0) for pid, v in after.items())
    detail["read_s"] = marks["read done"] - t
    detail |= {"first_write_after_s": marks["write"] - t} if "write" in marks else {}
    detail |= {f"in_{k}_s": v for k, v in tables.items()}
    assert result.records == result.rows, result
    return seconds, detail


def baseline(db: Any, path: Path, rows: int) -> float:
    """The same rows through the service, one ``create_asset`` (ORM, flush per row) each, one commit."""
    from somp.core.tenancy import Scope
    from somp.modules.assets.schemas import AssetCreate
    from somp.modules.assets.service import create_asset

    tid, products, customers = new_tenant(db)
    with path.open(encoding="utf-8", newline="") as f:
        data = []
        for i, row in enumerate(csv.DictReader(f)):
            if i >= rows:
                break
            d = {k: v for k, v in row.items() if v}
            d["product_id"] = products[d.pop("product_code")]
            if "customer_code" in d:
                d["customer_id"] = customers[d.pop("customer_code")]
            d.pop("retired_on", None)  # not in the API's AssetCreate
            data.append(d)
    t = time.perf_counter()
    with db.session(Scope.tenant(tid)) as s:
        for d in data:
            create_asset(s, AssetCreate(**d))
        s.commit()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-rows", type=int, default=5_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--idle-below",
        type=float,
        default=None,
        help="before each timed run, wait (up to 10 min) for the 1-minute load average to drop below this",
    )
    args = ap.parse_args()

    results = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "assets.csv"
        generate_csv(path, args.rows)
        for backend in args.backends.split(","):
            # each run in a freshly migrated database: a run is not slowed down by the tables the
            # previous one filled (or by the autovacuum that filling them starts)
            runs, details = [], []
            for _ in range(args.runs):
                with database(backend, args.pg_url) as db:
                    load = wait_for_idle(args.idle_below)
                    s, detail = bulk_import(db, path)
                runs.append(s)
                details.append(detail | {"load_1m_at_start": load})
            with database(backend, args.pg_url) as db:
                dry, _ = bulk_import(db, path, dry_run=True)
            with database(backend, args.pg_url) as db:
                base = baseline(db, path, args.baseline_rows)
            median = statistics.median(runs)
            extrapolated = base * args.rows / args.baseline_rows
            mid = details[runs.index(sorted(runs)[len(runs) // 2])]
            results.append(
                {
                    "backend": backend,
                    "rows": args.rows,
                    "runs": len(runs),
                    "seconds_median": round(median, 3),
                    "seconds_each": [round(x, 3) for x in runs],
                    "rows_per_s": round(args.rows / median),
                    "dry_run_seconds": round(dry, 3),
                    "breakdown_median_run": {k: round(v, 3) for k, v in mid.items()},
                    "baseline": "assets.service.create_asset row by row (ORM), one transaction",
                    "baseline_rows": args.baseline_rows,
                    "baseline_seconds": round(base, 3),
                    "baseline_extrapolated_seconds": round(extrapolated, 1),
                    "speedup_vs_baseline": round(extrapolated / median, 1),
                }
            )
            print(f"{backend}: done", flush=True)

    print()
    print(
        f"{'backend':<11} {'rows':>8} {'median s':>9} {'rows/s':>8} {'cpu s (client+server)':>22} "
        f"{'dry-run s':>9} {'baseline (n rows)':>18} {'baseline@rows s':>15} {'speedup':>8}"
    )
    for r in results:
        b = r["breakdown_median_run"]
        cpu = f"{b['client_cpu_s']:.1f}" + (f" + {b['server_cpu_s']:.1f}" if "server_cpu_s" in b else "")
        print(
            f"{r['backend']:<11} {r['rows']:>8,} {r['seconds_median']:>9.2f} {r['rows_per_s']:>8,} {cpu:>22} "
            f"{r['dry_run_seconds']:>9.2f} {r['baseline_seconds']:>10.2f} s ({r['baseline_rows']:,}) "
            f"{r['baseline_extrapolated_seconds']:>15.1f} {r['speedup_vs_baseline']:>7.1f}x"
        )
    for r in results:
        print(f"  {r['backend']} breakdown (median run): {r['breakdown_median_run']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "import_assets",
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "command": "python benchmarks/import_assets.py "
                + " ".join(f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k != "out"),
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(),
                },
                "target": "100,000 assets < 15 s, validation + write, one transaction",
                "load_average_1m": {
                    "before": round(load_before[0], 2),
                    "after": round(os.getloadavg()[0], 2),
                    "cpus": os.cpu_count(),
                },
                "results": results,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
