"""Benchmark: storing a month's SLA attainment for every contract of a tenant (module ``pss``,
:mod:`somp.modules.pss.sla_records`; framework nodes 2.1.6 and 1.3.1).

Seed (a fresh database: ``somp_bench_sla`` on PostgreSQL, or a SQLite file), migrated: one tenant,
200 customers, N assets in service and N active contracts of one asset each, with SLA terms
(availability target 99 %, response/resolution targets per priority, 24 x 7); 2 % of the assets fail
for 6-30 h in October 2026 (half recorded by the monitoring), 3 % have a corrective work order of
which a third is resolved late. Rows go in with Core executemany.

Timed: ``sla_records.compute`` for October, committed — the first time (inserts N records) and again
(replaces them; both as multi-row Core statements); and the evaluation's read of the month
through the core port (``summary``).
Checked: every failing asset's availability equals (744 h - its downtime) / 744 h, every late work
order's contract has one resolution breach, and the summary's counts add up.

    .venv/bin/python benchmarks/pss_sla_attainment.py                  # 10,000 contracts, PostgreSQL
    .venv/bin/python benchmarks/pss_sla_attainment.py --sqlite --contracts 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

RESULTS = Path(__file__).parent / "results" / "pss_sla_attainment.json"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "somp_bench_sla"
PERIOD = "2026-10"
NOW = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def reset_pg() -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"


def seed(url: str, n: int, seed_: int = 5) -> tuple[int, dict]:
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
    from somp.modules.pss.models import SlaTerms
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant
    from somp.modules.workorders.models import WorkOrder

    import_all_models()
    db = Database(url)
    migrate.upgrade(db.engine)
    rng = random.Random(seed_)
    with db.session(Scope.all_tenants()) as s:
        t = create_tenant(s, TenantCreate(name="SLA 基准企业", uscc="914403001922038216", industry_code="C3441",
                                          region_code="440300", size_class="large"))  # fmt: skip
        s.commit()
        tid = t.id
    with db.session(Scope.tenant(tid)) as s:
        p = create_product(s, ProductCreate(code="SC-55", name="螺杆空压机 55 kW", category="air_compressor"))
        o = create_offering(s, OfferingCreate(code="CAAS", name="压缩空气即服务", product_id=p.id,
                                              price_model="subscription", periodic_fee="6500.00"))  # fmt: skip
        s.commit()
        pid, oid = p.id, o.id
    now = dt.datetime.now(dt.UTC)
    start = billing.instant(dt.date(2026, 10, 1))
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
             "status": "active", "signed_on": dt.date(2025, 12, 1), "start_date": dt.date(2026, 1, 1),
             "end_date": dt.date(2028, 1, 1), "created_at": now, "updated_at": now, "version": 1}
            for i in range(n)])  # fmt: skip
        contracts = [
            r[0] for r in c.execute(select(Contract.id).where(Contract.tenant_id == tid).order_by(Contract.id))
        ]
        pairs = zip(contracts, assets, strict=True)
        links = [{"tenant_id": tid, "contract_id": k, "asset_id": a} for k, a in pairs]
        c.execute(insert(ContractAsset.__table__), links)
        targets = {"critical": {"response_hours": "2", "resolution_hours": "8"},
                   "high": {"response_hours": "4", "resolution_hours": "24"}}  # fmt: skip
        c.execute(insert(SlaTerms.__table__), [
            {"tenant_id": tid, "contract_id": k, "availability_target_pct": Decimal(99), "calendar": "24x7",
             "targets": targets, "mttr_hours": None, "availability_credit_pct": Decimal(5),
             "breach_credit": Decimal("200.00"), "credit_cap_pct": Decimal(20), "created_at": now, "updated_at": now,
             "version": 1} for k in contracts])  # fmt: skip
        by_asset = dict(zip(assets, contracts, strict=True))
        downtime, changes = {}, []
        for j, a in enumerate(rng.sample(assets, n // 50)):
            hours = rng.randrange(6, 31)
            down = start + dt.timedelta(hours=rng.randrange(0, 700))
            source = "monitoring" if j % 2 else "manual"
            changes += [{"tenant_id": tid, "asset_id": a, "from_state": "in_service", "to_state": "failed", "at": down,
                         "source": source},
                        {"tenant_id": tid, "asset_id": a, "from_state": "failed", "to_state": "in_service",
                         "at": down + dt.timedelta(hours=hours), "source": source}]  # fmt: skip
            downtime[by_asset[a]] = hours
        c.execute(insert(AssetStateChange.__table__), changes)
        wos, late = [], set()
        for j, a in enumerate(rng.sample(assets, 3 * n // 100)):
            opened = start + dt.timedelta(hours=rng.randrange(0, 700))
            is_late = j % 3 == 0
            if is_late:
                late.add(by_asset[a])
            wos.append({"tenant_id": tid, "number": f"WO-S-{j:06d}", "kind": "corrective", "priority": "high",
                        "status": "resolved", "source": "manual", "asset_id": a, "customer_id": owner[assets.index(a)],
                        "contract_id": by_asset[a], "title": "排气温度高", "opened_at": opened,
                        "responded_at": opened + dt.timedelta(hours=1),
                        "resolved_at": opened + dt.timedelta(hours=30 if is_late else 10), "created_at": now,
                        "updated_at": now, "version": 1})  # fmt: skip
        c.execute(insert(WorkOrder.__table__), wos)
    if db.dialect == "postgresql":
        with db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()
    db.dispose()
    return tid, {"downtime": downtime, "late": late}


def timed_compute(url: str, tid: int) -> tuple[float, int]:
    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.pss import sla_records

    db = Database(url)
    t0 = time.perf_counter()
    with db.session(Scope.tenant(tid)) as s:
        res = sla_records.compute(s, PERIOD, now=NOW)
        s.commit()
        n = len(res.records)
    sec = time.perf_counter() - t0
    db.dispose()
    return sec, n


def check(url: str, tid: int, facts: dict) -> dict:
    from somp.core import sla_ports
    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.pss.models import SlaAttainmentRecord

    db = Database(url)
    with db.session(Scope.tenant(tid)) as s:
        recs = {r.contract_id: r for r in s.scalars(select(SlaAttainmentRecord))}
        ok_av = sum(
            1 for k, h in facts["downtime"].items()
            if recs[k].availability_pct
            == Decimal(repr((744 - h) / 744 * 100)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        )  # fmt: skip
        ok_late = sum(1 for k in facts["late"] if recs[k].resolution_breached == 1)
        t0 = time.perf_counter()
        summary = sla_ports.attainment_source().summary(s, dt.date(2026, 1, 1), dt.date(2027, 1, 1))
        read = time.perf_counter() - t0
    db.dispose()
    return {
        "availability_checked": f"{ok_av} of {len(facts['downtime'])}",
        "late_work_orders_checked": f"{ok_late} of {len(facts['late'])}",
        "summary": {"attained": summary.attained, "measured": summary.measured, "months": summary.months},
        "summary_read_s": round(read, 3),
        "all_ok": ok_av == len(facts["downtime"]) and ok_late == len(facts["late"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contracts", type=int, default=10_000)
    ap.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = ap.parse_args()
    if args.sqlite:
        folder = tempfile.mkdtemp(prefix="somp-sla-bench-")
        url, backend = f"sqlite:///{folder}/bench.db", "sqlite"
    else:
        url, backend = reset_pg(), "postgresql"
    t0 = time.perf_counter()
    tid, facts = seed(url, args.contracts)
    seeded = time.perf_counter() - t0
    first, n = timed_compute(url, tid)
    again, _ = timed_compute(url, tid)
    checked = check(url, tid, facts)
    out = {
        "backend": backend, "contracts": args.contracts, "seed_s": round(seeded, 1), "records": n,
        "first_compute_s": round(first, 2), "recompute_s": round(again, 2),
        "contracts_per_s_first": round(n / first), **checked,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_avg": os.getloadavg()},
    }  # fmt: skip
    print(json.dumps(out, indent=2, ensure_ascii=False))
    RESULTS.parent.mkdir(exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[backend] = out
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if not checked["all_ok"]:
        sys.exit("check failed")


if __name__ == "__main__":
    main()
