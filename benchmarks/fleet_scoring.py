"""Benchmark: fleet-wide health and RUL scoring of 10,000 assets (issue figure: < 30 s locally).

End to end through ``somp.modules.lifecycle.health.score_tenant`` on PostgreSQL: read each asset's
hourly roll-ups of two metrics for the last 60 days (here 7 days of data per asset), build the
feature rows, predict with the product's LightGBM model, store 10,000 health scores and check the
contracts' thresholds. Once in process, once on a Dask distributed LocalCluster (2 workers x 1
thread, separate processes). The model is trained first by ``train_product_model`` from 30
synthetic run-to-failure assets (the default configuration; training time is printed too).

Baseline in the same run: the same prediction asset by asset (one ``RulModel.predict`` call per
asset, as a naive loop over the fleet would do), measured on 300 assets and extrapolated.

    .venv/bin/python benchmarks/fleet_scoring.py [--assets 10000] [--runs 3]

Writes benchmarks/results/fleet_scoring.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "fleet_scoring.json"
PG_ADMIN = os.environ.get("SOMP_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "somp_bench_fleet"
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
HOURS = 168
METRICS = ("vibration", "temperature")


def reset_pg() -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"


def profile(rng: np.random.Generator, hours: int, life: float, end_hour: float) -> np.ndarray:
    """(hours, 2) hourly means of vibration and temperature; wear grows towards ``life``."""
    h = end_hour - hours + np.arange(hours)
    wear = np.exp((h - life) / 40.0)
    vib = 2.0 + 3.0 * wear + rng.normal(0, 0.05, hours)
    temp = 75.0 + 20.0 * wear + rng.normal(0, 0.4, hours)
    return np.column_stack([vib, temp])


def prepare(url: str, n_assets: int, seed: int = 11) -> tuple[int, int]:
    """Tenant, product, offering and contract; 30 failed assets with their history; ``n_assets``
    operating assets with 7 days of hourly roll-ups each (bulk COPY)."""
    import psycopg
    from sqlalchemy import insert, select

    from somp.core import migrate
    from somp.core.database import Database
    from somp.core.modules import import_all_models
    from somp.core.tenancy import Scope
    from somp.modules.assets.models import Asset, AssetState, AssetStateChange
    from somp.modules.catalog.models import Product
    from somp.modules.telemetry.models import Metric
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant

    import_all_models()
    db = Database(url)
    migrate.upgrade(db.engine)
    rng = np.random.default_rng(seed)
    with db.session(Scope.all_tenants()) as s:
        t = create_tenant(
            s,
            TenantCreate(
                name="基准企业", uscc="914403001922038216", industry_code="C3441", region_code="440300",
                size_class="large",
            ),
        )  # fmt: skip
        tid = t.id
        p = Product(tenant_id=tid, code="AC-1", name="螺杆空压机", category="compressor")
        s.add(p)
        s.flush()
        pid = p.id
        mids = []
        for key in METRICS:
            m = Metric(tenant_id=tid, key=key, kind="gauge")
            s.add(m)
            s.flush()
            mids.append(m.id)
        failed = [
            Asset(tenant_id=tid, product_id=pid, serial_number=f"F-{i:03d}", state=AssetState.failed) for i in range(30)
        ]
        s.add_all(failed)
        s.flush()
        s.execute(
            insert(Asset),
            [
                {"tenant_id": tid, "product_id": pid, "serial_number": f"SN-{i:06d}", "state": AssetState.in_service}
                for i in range(n_assets)
            ],
        )
        live = s.scalars(select(Asset.id).where(Asset.serial_number.like("SN-%")).order_by(Asset.id)).all()
        now_hour = int(NOW.timestamp() // 3600)
        rows: list[tuple] = []
        for i, a in enumerate(failed):
            life = float(rng.uniform(150, 400))
            end = now_hour - 24 * (40 + i)
            s.add(AssetStateChange(tenant_id=tid, asset_id=a.id, from_state=AssetState.in_service,
                                   to_state=AssetState.failed, at=dt.datetime.fromtimestamp(end * 3600, dt.UTC),
                                   source="import"))  # fmt: skip
            hours = int(life)
            values = profile(rng, hours, life, hours)
            rows += _rollups(tid, a.id, mids, end - hours, values)
        for a in live:
            life = float(rng.uniform(200, 2000))
            age = float(rng.uniform(HOURS, life * 1.05))
            values = profile(rng, HOURS, life, age)
            rows += _rollups(tid, a, mids, now_hour - HOURS, values)
        s.commit()
    with psycopg.connect(url.replace("+psycopg", "")) as c, c.cursor() as cur:
        buf = io.StringIO()
        for r in rows:
            buf.write("\t".join(map(str, r)) + "\n")
        buf.seek(0)
        with cur.copy(
            "COPY readings_hourly (tenant_id, asset_id, metric_id, bucket, min, max, sum, count, last_ts, last_value) "
            "FROM STDIN"
        ) as cp:
            while chunk := buf.read(1 << 20):
                cp.write(chunk)
        c.execute("ANALYZE readings_hourly")
        c.commit()
    db.dispose()
    return tid, pid


def _rollups(tid: int, asset_id: int, mids: list[int], first_hour: int, values: np.ndarray) -> list[tuple]:
    out = []
    for k, hour in enumerate(range(first_hour, first_hour + len(values))):
        b = dt.datetime.fromtimestamp(hour * 3600, dt.UTC).isoformat()
        for j, mid in enumerate(mids):
            v = float(values[k, j])
            out.append((tid, asset_id, mid, b, v, v, v * 6, 6, b, v))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-assets", type=int, default=300)
    args = ap.parse_args()

    from dask.distributed import LocalCluster
    from sqlalchemy import func, select

    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.lifecycle import health
    from somp.modules.lifecycle.models import HealthScore, RulModelRecord

    url = reset_pg()
    t0 = time.perf_counter()
    tid, pid = prepare(url, args.assets)
    print(f"prepared {args.assets:,} assets in {time.perf_counter() - t0:.1f} s", flush=True)
    db = Database(url)
    t0 = time.perf_counter()
    trained = health.train_product_model(db, tid, pid, list(METRICS))
    train_s = time.perf_counter() - t0
    print(f"trained on {trained.units} failed assets ({trained.rows:,} rows) in {train_s:.1f} s", flush=True)

    local, dask = [], []
    for run in range(args.runs):
        t0 = time.perf_counter()
        report = health.score_tenant(db, tid, now=NOW)
        local.append(time.perf_counter() - t0)
        assert report.scored == args.assets, report
        print(f"run {run + 1}: in process {local[-1]:.1f} s", flush=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for run in range(args.runs):
            t0 = time.perf_counter()
            report = health.score_tenant(db, tid, now=NOW, scheduler=cluster.scheduler_address)
            dask.append(time.perf_counter() - t0)
            assert report.scored == args.assets, report
            print(f"run {run + 1}: Dask LocalCluster {dask[-1]:.1f} s", flush=True)
    with db.session(Scope.tenant(tid)) as s:
        scored = s.scalar(select(func.count()).select_from(HealthScore))
        blob = s.scalar(select(RulModelRecord.model).where(RulModelRecord.active.is_(True)))
        ids = s.scalars(select(HealthScore.asset_id).order_by(HealthScore.asset_id).limit(args.baseline_assets)).all()
        t0 = time.perf_counter()
        model = health.load_model(blob)
        for aid in ids:  # the naive loop: one read and one prediction per asset
            series = health.hourly_series(s, [aid], list(METRICS), until=NOW, since=NOW - health.HISTORY)
            model.predict(series)
        per_asset = (time.perf_counter() - t0) / len(ids)
    baseline = per_asset * args.assets
    med_local, med_dask = statistics.median(local), statistics.median(dask)
    print()
    print(f"{'path':<48} {'median s':>9} {'target':>8} {'vs baseline':>12}")
    print(f"{'baseline: asset by asset (extrapolated)':<48} {baseline:>9.1f} {'':>8} {'':>12}")
    print(f"{'score_tenant, in process':<48} {med_local:>9.1f} {'< 30':>8} {baseline / med_local:>11.1f}x")
    print(
        f"{'score_tenant, Dask LocalCluster 2 workers':<48} {med_dask:>9.1f} {'< 30':>8} {baseline / med_dask:>11.1f}x"
    )
    print(f"scores stored: {scored:,}; training {train_s:.1f} s on {trained.units} units")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "fleet_scoring",
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "args": vars(args),
                "assets": args.assets,
                "hours_per_asset": HOURS,
                "train_seconds": round(train_s, 2),
                "train_info": trained.info,
                "in_process_seconds": local,
                "dask_seconds": dask,
                "baseline_seconds_extrapolated": round(baseline, 2),
                "medians": {"in_process": med_local, "dask": med_dask},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"written {RESULTS}")
    db.dispose()


if __name__ == "__main__":
    main()
