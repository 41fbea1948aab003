"""Benchmark: the after-sales escalation check (module ``aftersales``, framework node 2.1.6).

The server runs the check every minute over every open ticket of every tenant, so it must stay
well inside a minute. The data: one tenant, ``--tickets`` open tickets (default 2,000) raised
through the service over the last ten days on five customers' assets (priorities mixed, so 24 x 7
and China office-hours calendars; a third under a contract SLA), a third of them in progress and a
sixth waiting for the customer. Timed:

* the first check (records every escalation level reached: about 3 rows per ticket);
* a second check a minute later (nothing new: the steady state of the periodic job);
* the live SLA block of one ticket (what the ticket page and its JSON route compute), median of 50.

Prints a table and writes ``benchmarks/results/aftersales_escalation.json``.

    .venv/bin/python benchmarks/aftersales_escalation.py                     # SQLite temp file
    .venv/bin/python benchmarks/aftersales_escalation.py --postgres postgresql+psycopg://postgres@127.0.0.1/postgres
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
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def build(db, n: int, seed: int = 7) -> tuple[int, list[int], dt.datetime]:
    from argon2 import PasswordHasher
    from tests.aftersales.factories import make_shop

    from somp.core import security
    from somp.core.database import utcnow
    from somp.core.tenancy import Scope
    from somp.modules.aftersales import service
    from somp.modules.aftersales.models import TicketStatus
    from somp.modules.aftersales.schemas import TicketCreate, TicketTransition

    security._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    rng = random.Random(seed)
    shop = make_shop(db, "BENCH")
    now = utcnow()
    assets = [shop.asset.id, shop.bare_asset.id]
    ids = []
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        for i in range(n):
            opened = now - dt.timedelta(minutes=rng.randrange(10, 10 * 24 * 60))
            t = service.raise_ticket(
                s,
                TicketCreate(
                    asset_id=assets[i % 3 == 0],
                    title=f"bench {i}",
                    category="breakdown",
                    priority=rng.choice(["critical", "high", "medium", "low"]),
                    opened_at=opened,
                ),
                user_id=None,
                now=opened,
            )
            r = rng.random()
            if r < 0.5:
                at = opened + dt.timedelta(minutes=rng.randrange(1, 9))
                to = TicketStatus.in_progress if r < 1 / 3 else TicketStatus.waiting_customer
                service.transition_ticket(s, t.id, TicketTransition(to_status=to, at=at), user_id=None, now=at)
            ids.append(t.id)
            if i % 500 == 499:
                s.commit()
        s.commit()
    return shop.tenant.id, ids, now


def run(url: str, n: int) -> dict:
    from somp.core import migrate
    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.aftersales import service

    db = Database(url)
    migrate.upgrade(db.engine)
    t0 = time.perf_counter()
    tenant, ids, now = build(db, n)
    built = time.perf_counter() - t0
    out = {"tickets": n, "build_s": round(built, 1)}
    for name, at in (("first_check_s", now), ("steady_check_s", now + dt.timedelta(minutes=1))):
        with db.session(Scope.tenant(tenant)) as s:
            t0 = time.perf_counter()
            checked, new, breached = service.escalate(s, at)
            s.commit()
            out[name] = round(time.perf_counter() - t0, 3)
            out[name.replace("_s", "_new_escalations")] = len(new)
    times = []
    with db.session(Scope.tenant(tenant)) as s:
        t = service.get_ticket(s, ids[len(ids) // 2])
        for _ in range(50):
            t0 = time.perf_counter()
            service.sla_read(s, t, now)
            times.append(time.perf_counter() - t0)
    out["sla_block_median_ms"] = round(1000 * statistics.median(times), 2)
    db.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=2000)
    ap.add_argument("--postgres", help="an admin URL; a scratch database is created and dropped")
    args = ap.parse_args()
    from somp.core.modules import import_all_models

    import_all_models()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", args.tickets)
    if args.postgres:
        from sqlalchemy import create_engine, make_url, text

        name = f"somp_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results["postgresql"] = run(
                make_url(args.postgres).set(database=name).render_as_string(False), args.tickets
            )
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(
        f"{'backend':<12}{'tickets':>8}{'first check s':>15}{'new rows':>10}{'steady check s':>16}{'SLA block ms':>14}"
    )
    for k, r in results.items():
        print(
            f"{k:<12}{r['tickets']:>8}{r['first_check_s']:>15}{r['first_check_new_escalations']:>10}"
            f"{r['steady_check_s']:>16}{r['sla_block_median_ms']:>14}"
        )
    out = {
        "benchmark": "aftersales_escalation",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "results": results,
    }
    path = ROOT / "benchmarks" / "results" / "aftersales_escalation.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
