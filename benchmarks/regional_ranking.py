"""Benchmark: ranking the stored regions (framework node 1.3.4) from the database.

``regions_service.evaluate`` over R regions whose E member enterprises each have one issued invoice
a year, for 2 years, on SQLite (a temp file) and PostgreSQL: the members' revenue comes from the
grouped brand-KPI query (``kpis.service.brand_kpis_by_tenant``, three statements in all), maturity
levels and approved applications are read once a year. The same run also times the earlier path
(``per_tenant``: ``brand_kpi_series`` in each member's own scope, three statements per member) on
the same database, so the two figures share the machine's load.
No target is set by issue 4; the figure says how the stored ranking scales with the enterprises.

Usage::

    python benchmarks/regional_ranking.py [--regions 30] [--enterprises 300] [--runs 3] [--sqlite-only]

Prints a table and writes benchmarks/results/regional_ranking.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "regional_ranking.json"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CITY_CODES = [
    "110000",
    "120000",
    "130100",
    "140100",
    "150100",
    "210100",
    "220100",
    "230100",
    "310000",
    "320100",
    "320200",
    "320500",
    "330100",
    "330200",
    "340100",
    "350100",
    "360100",
    "370100",
    "410100",
    "420100",
    "430100",
    "440100",
    "440300",
    "450100",
    "460100",
    "500000",
    "510100",
    "520100",
    "530100",
    "610100",
]


def uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100) registered in 320500."""
    from somp.core import cn_codes

    body = f"{n:08d}"
    first17 = "91320500" + body + cn_codes.org_code_check_character(body)
    return first17 + cn_codes.uscc_check_character(first17)


def prepare(url: str, n_regions: int, n_enterprises: int) -> None:
    from sqlalchemy import insert

    from somp.core import migrate
    from somp.core.database import Database
    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope
    from somp.modules.customers.models import Customer
    from somp.modules.evaluation import regions_service
    from somp.modules.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, RevenueCategory

    db = Database(url)
    migrate.upgrade(db.engine)
    regions = [regions_service.save_region(db, {"code": c, "name_zh": c, "area_km2": 1000.0 + 100 * k})
               for k, c in enumerate(CITY_CODES[:n_regions])]  # fmt: skip
    for k, rid in enumerate(regions):
        regions_service.set_statistics(db, rid, [{"year": y, "name": "manufacturing_enterprises", "value": 500 + k}
                                                 for y in (2024, 2025)])  # fmt: skip
    with db.session(Scope.all_tenants()) as s:
        tenants = [Tenant(name=f"企业{i}", uscc=uscc(20_000_000 + i), industry_code="C34", region_code="320500",
                          size_class="medium") for i in range(n_enterprises)]  # fmt: skip
        s.add_all(tenants)
        s.flush()
        ids = [t.id for t in tenants]
        s.execute(insert(Customer), [{"tenant_id": t, "code": "C1", "name": "客户"} for t in ids])
        s.flush()
        cust = dict(s.execute(Customer.__table__.select().with_only_columns(Customer.tenant_id, Customer.id)).all())
        for y in (2024, 2025):
            rows = [{"tenant_id": t, "number": f"INV-{y}-{t}", "customer_id": cust[t], "issued_on": dt.date(y, 6, 1),
                     "status": InvoiceStatus.issued, "currency": "CNY"} for t in ids]  # fmt: skip
            s.execute(insert(Invoice), rows)
        s.flush()
        invs = s.execute(Invoice.__table__.select().with_only_columns(Invoice.tenant_id, Invoice.id)).all()
        lines = []
        for t, inv in invs:
            head = {"tenant_id": t, "invoice_id": inv, "quantity": 1}
            lines += [head | {"line_no": 1, "category": RevenueCategory.product, "description": "设备",
                              "unit_price": 100000, "amount": 100000},
                      head | {"line_no": 2, "category": RevenueCategory.service, "description": "服务",
                              "unit_price": 30000 + t, "amount": 30000 + t}]  # fmt: skip
        s.execute(insert(InvoiceLine), lines)
        s.commit()
    for i, t in enumerate(ids):
        regions_service.add_member(db, regions[i % len(regions)], t)
    db.dispose()


def per_tenant_kpis(db, tenant_ids, periods):
    """The earlier path: each tenant's brand KPIs in its own scope (three statements per tenant)."""
    from somp.core.tenancy import Scope
    from somp.modules.kpis.service import brand_kpi_series

    out = {}
    for tid in sorted(set(tenant_ids)):
        with db.session(Scope.tenant(tid)) as s:
            out[tid] = brand_kpi_series(s, periods)
    return out


def measure(url: str, runs: int, path: str) -> tuple[list[float], list]:
    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.evaluation import regions_service
    from somp.modules.kpis import service as kpis_service

    grouped = kpis_service.brand_kpis_by_tenant
    db = Database(url)
    out = []
    if path == "per_tenant":
        kpis_service.brand_kpis_by_tenant = per_tenant_kpis
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            with db.session(Scope.evaluation()) as s:
                ev = regions_service.evaluate(db, s, [2025], 2024)
            out.append(time.perf_counter() - t0)
    finally:
        kpis_service.brand_kpis_by_tenant = grouped
    assert all(r["index"] is not None for r in ev["rows"])
    db.dispose()
    return out, [(r["region"], r["year"], r["index"], r["rank"]) for r in ev["rows"]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=30)
    ap.add_argument("--enterprises", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sqlite-only", action="store_true")
    a = ap.parse_args()
    from somp.core.modules import import_all_models

    import_all_models()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", None)]
        if not a.sqlite_only:
            from sqlalchemy import create_engine, make_url, text

            name = f"somp_bench_regions_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            backends.append(("postgresql", make_url(PG_ADMIN).set(database=name).render_as_string(False), admin))
        for backend, url, admin in backends:
            prepare(url, a.regions, a.enterprises)
            before, ranking_before = measure(url, a.runs, "per_tenant")
            times, ranking = measure(url, a.runs, "grouped")
            assert ranking == ranking_before, "the grouped query changed the ranking"
            results.append({"backend": backend, "regions": a.regions, "enterprises": a.enterprises, "years": 2,
                            "runs_s": times, "median_s": statistics.median(times),
                            "per_tenant_runs_s": before, "per_tenant_median_s": statistics.median(before)})  # fmt: skip
            if admin is not None:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
                admin.dispose()
    load = os.getloadavg()[0]
    print(f"{'backend':<12}{'regions':>8}{'enterprises':>12}{'per tenant s':>14}{'grouped s':>11}")
    for r in results:
        print(f"{r['backend']:<12}{r['regions']:>8}{r['enterprises']:>12}{r['per_tenant_median_s']:>14.2f}"
              f"{r['median_s']:>11.2f}")  # fmt: skip
    print(f"load average (1 min) at the end: {load:.1f}")
    RESULTS.parent.mkdir(exist_ok=True)
    doc = {"benchmark": "regional_ranking", "load_1min": load, "results": results}
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
