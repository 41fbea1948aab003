"""``somp shared-mfg`` marketplace commands (framework node 3.4): publish resources and post orders
from JSON files, re-plan the marketplace, print the demand analysis, load a small demo market.

Registered on the module's Typer app by :mod:`.cli`; heavy imports stay inside the commands.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

Tenant = Annotated[str, typer.Option("--tenant", help="the enterprise: its id or USCC")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="folder of the embedded database (SOMP_DATA_DIR)")]
DbUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL (SOMP_DATABASE_URL)")]


def _db(data_dir: Path | None, database_url: str | None):  # noqa: ANN202
    from somp.cli import open_database, settings_for

    return open_database(settings_for(data_dir, database_url))


def _tenant_id(db, tenant: str) -> int:  # noqa: ANN001
    from sqlalchemy import or_, select

    from somp.cli import fail
    from somp.core.identity import Tenant as TenantRow
    from somp.core.tenancy import Scope

    with db.session(Scope.all_tenants()) as s:
        cond = TenantRow.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, TenantRow.id == int(tenant))
        found = s.scalar(select(TenantRow.id).where(cond))
    if found is None:
        raise fail(f"no enterprise {tenant!r}")
    return found


def _items(file: Path) -> list[dict]:
    from somp.cli import fail

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read {file}: {exc}", 2) from None
    return data if isinstance(data, list) else [data]


def publish(file: Annotated[Path, typer.Argument(help="JSON: one resource or a list")], tenant: Tenant,
            data_dir: DataDir = None, database_url: DbUrl = None) -> None:  # fmt: skip
    """Publish a factory's resources (all or none)."""
    from pydantic import ValidationError

    from somp.cli import fail
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.shared_manufacturing import service
    from somp.modules.shared_manufacturing.schemas import ResourceCreate

    db = _db(data_dir, database_url)
    tid = _tenant_id(db, tenant)
    with db.session(Scope.tenant(tid)) as s:
        try:
            ids = [service.create_resource(s, ResourceCreate.model_validate(x)).id for x in _items(file)]
        except (ValidationError, DomainError) as exc:
            raise fail(f"nothing published: {exc}", 2) from None
        s.commit()
    typer.echo(json.dumps({"published": ids}))


def post(file: Annotated[Path, typer.Argument(help="JSON: one order or a list")], tenant: Tenant,
         accept: Annotated[bool, typer.Option("--accept", help="accept the quotes (schedule with `schedule`)")] = False,
         data_dir: DataDir = None, database_url: DbUrl = None) -> None:  # fmt: skip
    """Post and quote a buyer's orders (all or none); print each quote."""
    from pydantic import ValidationError

    from somp.cli import fail
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.shared_manufacturing import marketplace, service
    from somp.modules.shared_manufacturing.schemas import OrderCreate

    db = _db(data_dir, database_url)
    tid = _tenant_id(db, tenant)
    out = []
    with db.session(Scope.tenant(tid)) as s:
        try:
            for x in _items(file):
                o = service.post_order(s, OrderCreate.model_validate(x), tid)
                marketplace.quote_order(db, s, o.id)
                if accept:
                    service.accept_order(s, o.id)
                out.append({"id": o.id, "number": o.number, "status": o.status.value, "quote_low": str(o.quote_low),
                            "quote_total": str(o.quote_total)})  # fmt: skip
        except (ValidationError, DomainError) as exc:
            raise fail(f"nothing posted: {exc}", 2) from None
        s.commit()
    typer.echo(json.dumps(out, ensure_ascii=False))


def schedule(
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds for the whole run")] = 10.0,
    objective: Annotated[str, typer.Option(help="mix, weighted_tardiness, makespan or cost")] = "mix",
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Re-plan the marketplace (published resources, open accepted orders); print the run."""
    from somp.cli import fail
    from somp.modules.shared_manufacturing import marketplace
    from somp.modules.shared_manufacturing.schemas import RunRead

    if objective not in ("mix", "weighted_tardiness", "makespan", "cost"):
        raise fail("--objective: mix, weighted_tardiness, makespan or cost", 2)
    run = marketplace.run_schedule(_db(data_dir, database_url), time_limit=time_limit, objective=objective)
    typer.echo(RunRead.model_validate(run).model_dump_json())


def demand(
    weeks: Annotated[int, typer.Option(min=1, max=26)] = 4,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Demand by capability and week against published capacity."""
    from rich.console import Console
    from rich.table import Table

    from somp.core.database import utcnow
    from somp.modules.shared_manufacturing import marketplace

    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = marketplace.demand_analysis(_db(data_dir, database_url), start, weeks)
    table = Table("capability", "week", "capacity h", "demand h", "idle h", "load", "verdict")
    for r in rows:
        load = "" if r.utilisation is None else f"{r.utilisation:.0%}"
        table.add_row(r.capability, r.bucket_start.date().isoformat(), f"{r.capacity_hours:.1f}",
                      f"{r.demand_hours:.1f}", f"{r.idle_hours:.1f}", load, r.verdict)  # fmt: skip
    Console().print(table)


def demo(
    factories: Annotated[int, typer.Option(min=1, max=60)] = 4,
    machines: Annotated[int, typer.Option(min=1, max=400)] = 12,
    buyers: Annotated[int, typer.Option(min=1, max=60)] = 3,
    orders: Annotated[int, typer.Option(min=1, max=1000)] = 8,
    seed: int = 3,
    time_limit: Annotated[float, typer.Option("--time-limit")] = 5.0,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Add a small generated marketplace (factories, machines, buyers, orders) and schedule it."""
    from somp.core.database import utcnow
    from somp.modules.shared_manufacturing import market_demo, marketplace

    db = _db(data_dir, database_url)
    start = utcnow().replace(minute=0, second=0, microsecond=0)
    plan = market_demo.generate(seed=seed, factories=factories, machines=machines, buyers=buyers, orders=orders,
                                start=start)  # fmt: skip
    loaded = market_demo.load(db, plan, first_uscc=73_000_000 + seed * 1000)
    run = marketplace.run_schedule(db, time_limit=time_limit)
    summary = {
        "factories": len(loaded.factory_ids),
        "buyers": len(loaded.buyer_ids),
        "machines": len(loaded.resource_ids),
        "orders": len(loaded.order_ids),
        "run": run.id,
        "status": run.status,
        "operations": run.operations,
        "seconds": run.seconds,
        "as_of": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    typer.echo(json.dumps(summary, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.command("post")(post)
    app.command("schedule")(schedule)
    app.command("demand")(demand)
    app.command("demo")(demo)
