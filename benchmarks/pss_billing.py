"""Benchmark: a month's billing run (module ``pss``, framework node 2.1.2) on PostgreSQL.

Target (issue 5): a billing run for 10,000 contracts with a month of hourly metered usage each in
< 60 s on PostgreSQL.

Seed (a fresh database ``somp_bench_billing``, migrated): one tenant, 200 customers, 10,000 assets
in service, 10,000 active contracts of one asset each with SLA terms (availability target 99 %,
5 % credit, 200 CNY per late work order) and a price plan — 60 % pay-per-use on a counter metric
(three graduated tiers, an included quantity, a minimum charge), 20 % availability-based (four
bands), 20 % subscription (a fifth of them starting inside the month: prorated); the hourly
roll-ups of the counter for every asset over the month (China time) and the day before: 7.68 M
``readings_hourly`` rows, generated inside PostgreSQL by one ``INSERT ... SELECT generate_series``;
2 % of the assets fail for 6-30 h in the month (lifecycle timeline), and 3 % have a corrective work
order, a third of them resolved late. Other rows go in with Core executemany (never one ORM object
at a time).

Timed: ``pss.billing.run`` for the month, committed (invoices, credit notes, lines, billed periods,
the run and its 10,000 items). Checked: every pay-per-use invoice's usage equals the counter's
increase computed from the seed formula, the counts add up, and a second run bills nothing.

Baseline in the same run: the naive way — a per-contract ORM loop (load the contract, its plan and
assets, read the usage with one query per asset, price it with the same engine, create the invoice
with ``invoicing.service.create_invoice``, which validates and draws its number one by one) on a
500-contract subset, rolled back, and extrapolated linearly to 10,000.

    .venv/bin/python benchmarks/pss_billing.py                   # 10,000 contracts, 3 runs
    .venv/bin/python benchmarks/pss_billing.py --contracts 2000 --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, delete, func, insert, select, text

RESULTS = Path(__file__).parent / "results" / "pss_billing.json"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "somp_bench_billing"
PERIOD = "2026-10"
NOW = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def reset_pg() -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"


def counter_rate(asset_id: int) -> int:
    return 5 + asset_id % 37  # m3 an hour; the SQL below uses the same formula


def seed(url: str, n: int, seed_: int = 11) -> tuple[int, dict]:
    """Schema and data; returns the tenant id and facts the checks need."""
    from somp.core import migrate
    from somp.core.database import Database
    from somp.core.modules import import_all_models
    from somp.core.tenancy import Scope
    from somp.modules.assets.models import Asset, AssetStateChange
    from somp.modules.catalog.schemas import OfferingCreate, ProductCreate
    from somp.modules.catalog.service import create_offering, create_product
    from somp.modules.contracts.models import Contract, ContractAsset
    from somp.modules.customers.models import Customer
    from somp.modules.pss import billing
    from somp.modules.pss.models import PricePlan, SlaTerms
    from somp.modules.telemetry.models import Metric
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant
    from somp.modules.workorders.models import WorkOrder

    import_all_models()
    db = Database(url)
    migrate.upgrade(db.engine)
    rng = random.Random(seed_)
    with db.session(Scope.all_tenants()) as s:
        t = create_tenant(s, TenantCreate(name="计费基准企业", uscc="914403001922038216", industry_code="C3441",
                                          region_code="440300", size_class="large"))  # fmt: skip
        s.commit()
        tid = t.id
    with db.session(Scope.tenant(tid)) as s:
        p = create_product(s, ProductCreate(code="SC-55", name="螺杆空压机 55 kW", category="air_compressor"))
        offering = OfferingCreate(code="CAAS", name="压缩空气即服务", product_id=p.id, price_model="pay_per_use",
                                  usage_unit="m3", usage_unit_price="0.12")  # fmt: skip
        o = create_offering(s, offering)
        s.commit()
        pid, oid = p.id, o.id
    now = dt.datetime.now(dt.UTC)
    start, end = billing.instant(dt.date(2026, 10, 1)), billing.instant(dt.date(2026, 11, 1))
    with db.engine.begin() as c:
        c.execute(insert(Customer.__table__), [
            {"tenant_id": tid, "code": f"C{i:04d}", "name": f"客户{i}", "created_at": now, "updated_at": now,
             "version": 1} for i in range(200)])  # fmt: skip
        customers = [r[0] for r in c.execute(select(Customer.id).where(Customer.tenant_id == tid))]
        owner = [rng.choice(customers) for _ in range(n)]
        c.execute(insert(Asset.__table__), [
            {"tenant_id": tid, "serial_number": f"SN{i:06d}", "product_id": pid, "customer_id": owner[i],
             "state": "in_service", "state_changed_at": now, "created_at": now, "updated_at": now, "version": 1}
            for i in range(n)])  # fmt: skip
        assets = [r[0] for r in c.execute(select(Asset.id).where(Asset.tenant_id == tid).order_by(Asset.id))]
        c.execute(insert(Contract.__table__), [
            {"tenant_id": tid, "number": f"CT-{i:06d}", "customer_id": owner[i], "offering_id": oid,
             "status": "active", "signed_on": dt.date(2025, 12, 1),
             "start_date": dt.date(2026, 10, 11) if i % 25 == 4 else dt.date(2026, 1, 1),
             "end_date": dt.date(2028, 1, 1), "created_at": now, "updated_at": now, "version": 1}
            for i in range(n)])  # fmt: skip
        contracts = [
            r[0] for r in c.execute(select(Contract.id).where(Contract.tenant_id == tid).order_by(Contract.id))
        ]
        c.execute(
            insert(ContractAsset.__table__),
            [{"tenant_id": tid, "contract_id": k, "asset_id": a} for k, a in zip(contracts, assets, strict=True)],
        )
        tiers = [{"up_to": "2000.0000", "unit_price": "0.1500"}, {"up_to": "10000.0000", "unit_price": "0.1200"},
                 {"up_to": None, "unit_price": "0.1000"}]  # fmt: skip
        bands = [{"from_pct": "99.5", "adjust_pct": "3"}, {"from_pct": "99", "adjust_pct": "0"},
                 {"from_pct": "97", "adjust_pct": "-5"}, {"from_pct": "0", "adjust_pct": "-15"}]  # fmt: skip
        plans, kinds = [], {}
        for i, k in enumerate(contracts):
            kind = "pay_per_use" if i % 5 < 3 else "availability_based" if i % 5 == 3 else "subscription"
            kinds[k] = kind
            row = {"tenant_id": tid, "contract_id": k, "model": kind, "price": None, "sold_on": None, "fee": None,
                   "metric": None, "unit": None, "included": Decimal(0), "minimum_charge": Decimal("0.00"),
                   "tiers": [], "bands": [], "tax_rate": Decimal("0.1300"), "notes": None, "created_at": now,
                   "updated_at": now, "version": 1}  # fmt: skip
            if kind == "pay_per_use":
                row |= {"metric": "air_m3", "unit": "m3", "included": Decimal(500), "minimum_charge": Decimal("800.00"),
                        "tiers": tiers}  # fmt: skip
            elif kind == "availability_based":
                row |= {"fee": Decimal("18000.00"), "bands": bands}
            else:
                row |= {"fee": Decimal("6500.00")}
            plans.append(row)
        c.execute(insert(PricePlan.__table__), plans)
        targets = {"critical": {"response_hours": "2", "resolution_hours": "8"},
                   "high": {"response_hours": "4", "resolution_hours": "24"},
                   "medium": {"response_hours": "8", "resolution_hours": "48"}}  # fmt: skip
        c.execute(insert(SlaTerms.__table__), [
            {"tenant_id": tid, "contract_id": k, "availability_target_pct": Decimal(99), "calendar": "24x7",
             "targets": targets, "mttr_hours": None, "availability_credit_pct": Decimal(5),
             "breach_credit": Decimal("200.00"), "credit_cap_pct": Decimal(20), "created_at": now, "updated_at": now,
             "version": 1} for k in contracts])  # fmt: skip
        failing = rng.sample(assets, n // 50)
        changes = []
        for a in failing:
            down = start + dt.timedelta(hours=rng.randrange(0, 700))
            fixed = down + dt.timedelta(hours=rng.randrange(6, 31))
            changes += [{"tenant_id": tid, "asset_id": a, "from_state": "in_service", "to_state": "failed", "at": down,
                         "source": "bench"},
                        {"tenant_id": tid, "asset_id": a, "from_state": "failed", "to_state": "in_service", "at": fixed,
                         "source": "bench"}]  # fmt: skip
        c.execute(insert(AssetStateChange.__table__), changes)
        by_asset = dict(zip(assets, contracts, strict=True))
        wos = []
        for j, a in enumerate(rng.sample(assets, 3 * n // 100)):
            opened = start + dt.timedelta(hours=rng.randrange(0, 700))
            late = j % 3 == 0
            wos.append({"tenant_id": tid, "number": f"WO-B-{j:06d}", "kind": "corrective", "priority": "high",
                        "status": "resolved", "source": "manual", "asset_id": a, "customer_id": owner[assets.index(a)],
                        "contract_id": by_asset[a], "title": "排气温度高", "opened_at": opened,
                        "responded_at": opened + dt.timedelta(hours=1),
                        "resolved_at": opened + dt.timedelta(hours=30 if late else 10), "created_at": now,
                        "updated_at": now, "version": 1})  # fmt: skip
        c.execute(insert(WorkOrder.__table__), wos)
        c.execute(insert(Metric.__table__), [{"tenant_id": tid, "key": "air_m3", "name": "累计排气量", "unit": "m3",
                                              "kind": "counter", "created_at": now}])  # fmt: skip
        mid = c.scalar(select(Metric.id).where(Metric.tenant_id == tid))
        # hourly roll-ups of a counter: last value at hour h = 1000 x asset + rate x h + 3 sin(0.7 h + asset)
        # (rate >= 5 keeps it increasing), for the month and the day before it, in one server-side statement
        c.execute(text("""
            INSERT INTO readings_hourly (tenant_id, asset_id, metric_id, bucket, min, max, sum, count, last_ts,
                                         last_value, chunks)
            SELECT :tid, a.id, :mid, :t0 + h * interval '1 hour',
                   v - (5 + a.id % 37) * 0.9, v, 12 * v, 12, :t0 + h * interval '1 hour' + interval '55 minutes', v, 1
            FROM assets a CROSS JOIN generate_series(-24, :hours - 1) AS h,
                 LATERAL (SELECT 1000.0 * a.id + (5 + a.id % 37) * h + 3 * sin(0.7 * h + a.id) AS v) x
            WHERE a.tenant_id = :tid
        """), {"tid": tid, "mid": mid, "t0": start, "hours": int((end - start).total_seconds() // 3600)})  # fmt: skip
    with db.engine.connect() as c:
        c.exec_driver_sql("ANALYZE")
        c.commit()
        rows = c.scalar(text("SELECT count(*) FROM readings_hourly"))
    db.dispose()
    hours = int((end - start).total_seconds() // 3600)
    return tid, {"kinds": kinds, "by_asset": by_asset, "hours": hours, "rollup_rows": rows}


def expected_usage(asset_id: int, hours: int) -> Decimal:
    """The counter's increase over the month from the seed formula: v(hours - 1) - v(-1)."""
    import math

    def v(h: int) -> float:
        return 1000.0 * asset_id + counter_rate(asset_id) * h + 3 * math.sin(0.7 * h + asset_id)

    return Decimal(repr(v(hours - 1) - v(-1))).quantize(Decimal("0.001"))


def run_billing(url: str, tid: int) -> tuple[float, dict]:
    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.pss import billing

    db = Database(url)
    stages: dict[str, float] = {}
    t_prev = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            now = time.perf_counter()
            stages[stage] = stages.get(stage, 0.0) + now - t_prev[0]
            t_prev[0] = now

    t0 = time.perf_counter()
    with db.session(Scope.tenant(tid)) as s:
        run = billing.run(s, PERIOD, now=NOW, progress=progress)
        s.commit()
        out = {"run_id": run.id, "contracts": run.contracts, "invoices": run.invoices,
               "credit_notes": run.credit_notes, "skipped": run.skipped, "skip_reasons": run.skip_reasons,
               "net_invoiced": str(run.net_invoiced), "net_credited": str(run.net_credited)}  # fmt: skip
    seconds = time.perf_counter() - t0
    db.dispose()
    out["stages_s"] = {k: round(v, 3) for k, v in stages.items()}
    return seconds, out


def naive(url: str, tid: int, subset: int) -> float:
    """The per-contract ORM loop on the first ``subset`` contracts, rolled back; seconds taken."""
    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.contracts.models import Contract, ContractAsset
    from somp.modules.invoicing.schemas import InvoiceCreate, InvoiceLineIn
    from somp.modules.invoicing.service import create_invoice
    from somp.modules.pss import billing, pricing
    from somp.modules.pss.models import PricePlan
    from somp.modules.telemetry.metering import HourlyRollupMeter

    db = Database(url)
    p = pricing.Period.month(2026, 10)
    start, end = billing.instant(p.start), billing.instant(p.end)
    meter = HourlyRollupMeter()
    t0 = time.perf_counter()
    with db.session(Scope.tenant(tid)) as s:
        ids = s.scalars(select(Contract.id).order_by(Contract.id).limit(subset)).all()
        for cid in ids:
            c = s.get(Contract, cid)
            plan = s.scalar(select(PricePlan).where(PricePlan.contract_id == cid))
            assets = s.scalars(select(ContractAsset.asset_id).where(ContractAsset.contract_id == cid)).all()
            kw = {"active_from": c.start_date, "active_to": c.end_date}
            if plan.model == "pay_per_use":
                kw["usage"] = sum((meter.usage(s, [a], plan.metric, start, end).get(a, Decimal(0)) for a in assets),
                                  Decimal(0))  # fmt: skip
            elif plan.model == "availability_based":
                kw["availability"] = Decimal(100)
            lines = [ln for ln in pricing.invoice_lines(billing._model(plan), p, **kw) if ln.amount > 0]
            create_invoice(s, InvoiceCreate(
                customer_id=c.customer_id, contract_id=c.id, issued_on=p.end, period_start=p.start,
                period_end=p.end - dt.timedelta(days=1),
                lines=[InvoiceLineIn(category="service", description=ln.text_zh, quantity=1, unit_price=ln.amount)
                       for ln in lines]))  # fmt: skip
        s.rollback()
    seconds = time.perf_counter() - t0
    db.dispose()
    return seconds


def check(url: str, tid: int, facts: dict) -> dict:
    """Every pay-per-use item's usage equals the seed's counter increase; a second run bills nothing."""
    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.invoicing.models import Invoice
    from somp.modules.pss.models import BillingRunItem

    db = Database(url)
    with db.session(Scope.tenant(tid)) as s:
        contract_asset = {k: a for a, k in facts["by_asset"].items()}
        bad = 0
        ppu = 0
        for cid, usage in s.execute(select(BillingRunItem.contract_id, BillingRunItem.usage).where(
                BillingRunItem.usage.is_not(None))):  # fmt: skip
            ppu += 1
            if usage.quantize(Decimal("0.001")) != expected_usage(contract_asset[cid], facts["hours"]):
                bad += 1
        invoices = s.scalar(select(func.count()).select_from(Invoice))
    db.dispose()
    assert bad == 0, f"{bad} pay-per-use usages differ from the seed's counter increase"
    return {"pay_per_use_checked": ppu, "invoices_and_credit_notes": invoices}


def clear_run(url: str, tid: int) -> None:
    """Drop what a run wrote, so the next repetition bills the month again."""
    from somp.core.database import Database
    from somp.modules.invoicing.models import Invoice
    from somp.modules.pss.models import BillingRun

    db = Database(url)
    with db.engine.begin() as c:
        c.execute(delete(BillingRun.__table__).where(BillingRun.tenant_id == tid))  # cascades to items, periods
        c.execute(delete(Invoice.__table__).where(Invoice.tenant_id == tid))  # cascades to lines
        c.exec_driver_sql("DELETE FROM number_sequences")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE invoices, invoice_lines, pss_billing_runs, pss_billing_run_items, "
                          "pss_billed_periods")  # fmt: skip
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contracts", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3, help="billing runs timed (the month is cleared between them)")
    ap.add_argument("--baseline", type=int, default=500, help="contracts of the naive per-contract loop")
    ap.add_argument("--keep", action="store_true", help=f"keep the database {PG_DB} afterwards")
    args = ap.parse_args()
    url = reset_pg()
    t0 = time.perf_counter()
    tid, facts = seed(url, args.contracts)
    seed_s = time.perf_counter() - t0
    print(
        f"seeded {args.contracts:,} contracts, {facts['rollup_rows']:,} hourly roll-ups in {seed_s:.1f} s", flush=True
    )
    naive_s = naive(url, tid, args.baseline)
    print(f"naive per-contract ORM loop: {args.baseline} contracts in {naive_s:.1f} s", flush=True)
    runs = []
    for r in range(args.runs):
        if r:
            clear_run(url, tid)
        seconds, out = run_billing(url, tid)
        runs.append({"seconds": round(seconds, 3)} | out)
        print(f"run {r + 1}: {seconds:.1f} s  {out['stages_s']}", flush=True)
    checks = check(url, tid, facts)
    again, second = run_billing(url, tid)
    assert second["invoices"] == 0 and second["credit_notes"] == 0, second
    assert second["skip_reasons"] == {"already_billed": args.contracts} or runs[-1]["skipped"], second
    median = statistics.median(r["seconds"] for r in runs)
    docs = runs[-1]["invoices"] + runs[-1]["credit_notes"]
    naive_10k = naive_s * args.contracts / args.baseline
    result = {
        "benchmark": "pss_billing",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg_at_end": os.getloadavg(),
        },  # fmt: skip
        "config": vars(args) | {"period": PERIOD, "rollup_rows": facts["rollup_rows"]},
        "seed_seconds": round(seed_s, 1),
        "runs": runs,
        "run_seconds_median": median,
        "invoices_per_second": round(docs / median, 1),
        "second_run": {
            "seconds": round(again, 3),
            "invoices": second["invoices"],
            "skip_reasons": second["skip_reasons"],
        },  # fmt: skip
        "checks": checks,
        "baseline": {
            "name": f"naive per-contract ORM loop on {args.baseline} contracts, extrapolated",
            "seconds_subset": round(naive_s, 2),
            "seconds_extrapolated": round(naive_10k, 1),
        },  # fmt: skip
        "target_seconds": 60,
        "target_met": median < 60,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"billing run, {args.contracts:,} contracts, {facts['rollup_rows']:,} hourly roll-ups, PostgreSQL")
    print(f"| {'what':<52} | {'value':>12} |")
    print(f"| {'-' * 52} | {'-' * 12} |")
    rows = [
        ("seed (schema, rows, roll-ups, ANALYZE) s", f"{seed_s:.1f}"),
        (f"billing run s (median of {args.runs})", f"{median:.1f}"),
        ("invoices + credit notes", f"{docs:,}"),
        ("documents / s", f"{docs / median:,.0f}"),
        ("second run of the month s (bills nothing)", f"{again:.1f}"),
        (f"baseline: naive ORM loop, {args.baseline} contracts s", f"{naive_s:.1f}"),
        (f"baseline extrapolated to {args.contracts:,} s", f"{naive_10k:.0f}"),
        ("speed-up over the baseline", f"{naive_10k / median:.1f}x"),
    ]
    for k, v in rows:
        print(f"| {k:<52} | {v:>12} |")
    print(f"\ntarget < 60 s: {'met' if median < 60 else 'NOT met'}; results: {RESULTS}")
    if not args.keep:
        reset_pg()


if __name__ == "__main__":
    main()
