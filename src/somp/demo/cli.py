"""``somp demo``: create the embedded database, load the demo scenario, print the logins, serve.

Registered on the main Typer app by :func:`somp.cli._register_commands`. Nothing from
``somp.cli`` is imported at module level (that module imports this one while it is loading).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from somp.demo.scenario import DEFAULT_SEED

ROLE_LABELS = {
    "platform_admin": "平台管理员 platform admin",
    "tenant_admin": "租户管理员 tenant admin",
    "service_manager": "服务经理 service manager",
    "engineer": "现场工程师 engineer",
    "customer_user": "客户用户 customer user",
    "evaluator": "评估员 evaluator",
}
META_FILE = "demo.json"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo_logins() -> list[dict[str, str]]:
    """The demo accounts in the order they are printed (no scenario needs to be built)."""
    from somp.demo.scenario import PLATFORM_USERS, main_profile, sme_profile

    main, sme = main_profile(1.0), sme_profile()
    admin, evaluator = PLATFORM_USERS
    ordered = [(None, admin)] + [(main.tenant, s) for s in main.staff]
    if main.customer_user is not None:
        ordered.append((main.tenant, main.customer_user))
    ordered += [(sme.tenant, s) for s in sme.staff] + [(None, evaluator)]
    return [
        {
            "roles": " + ".join(ROLE_LABELS[r] for r in s.roles),
            "username": s.username,
            "password": s.password,
            "name": s.display_name,
            "tenant": tenant["name"] if tenant else "",
            "hint": s.hint,
            "hint_en": s.hint_en,
        }
        for tenant, s in ordered
    ]


def logins_table() -> Table:
    table = Table(title="演示账号 Demo logins", show_lines=True, title_justify="left")
    table.add_column("角色 Role")
    table.add_column("用户名 User", no_wrap=True, style="bold cyan")
    table.add_column("密码 Password", no_wrap=True, style="bold")
    table.add_column("看什么 What to look at", overflow="fold")
    for r in demo_logins():
        where = f"{r['tenant']}：" if r["tenant"] else ""
        table.add_row(r["roles"], r["username"], r["password"], f"{where}{r['hint']}\n[dim]{r['hint_en']}[/dim]")
    return table


def kpi_table(db, tenant_id: int, as_of: dt.date) -> Table:  # noqa: ANN001
    from somp.core.tenancy import Scope
    from somp.modules.kpis.brand import quarters, years
    from somp.modules.kpis.service import brand_kpi_series

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.1f}%"

    table = Table(
        title="品牌指标（由平台数据计算）Brand KPIs computed from the platform data",
        title_justify="left",
        caption=(
            "服务收入占比 service revenue share · 复购率 customer repurchase rate · "
            "服务利润率 service profit margin (CNY, net of VAT)"
        ),
        caption_justify="left",
    )
    table.add_column("期间", no_wrap=True, min_width=6)
    for col in ("服务收入", "产品收入", "服务收入占比", "复购率", "服务利润率"):
        table.add_column(col, justify="right", no_wrap=True)
    with db.session(Scope.tenant(tenant_id)) as s:
        rows = brand_kpi_series(s, quarters(as_of, 8)) + brand_kpi_series(s, years(as_of, 2))
    for k in rows:
        table.add_row(
            k.period.label,
            f"{k.service_revenue:,.0f}",
            f"{k.product_revenue:,.0f}",
            pct(k.service_revenue_share),
            f"{pct(k.repurchase_rate)} {k.repurchasing_customers}/{k.repurchase_base}",
            pct(k.service_profit_margin),
        )
    return table


def _reset(db, url: str):  # noqa: ANN001, ANN202
    """Delete everything: the SQLite file, or every table of another database. Returns a new Database."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from somp.core.database import Base, Database, is_sqlite

    db.dispose()
    if is_sqlite(url) and make_url(url).database not in (None, "", ":memory:"):
        path = Path(make_url(url).database)
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
    else:
        Base.metadata.drop_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    return Database(url)


def demo(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="folder of the embedded database (default ./somp-data)")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="SQLAlchemy URL instead of the embedded SQLite file")
    ] = None,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="serve the web UI and API after loading")] = True,
    seed: Annotated[int, typer.Option(help="random seed of the scenario")] = DEFAULT_SEED,
    as_of: Annotated[
        dt.datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="the scenario's today (default: today)")
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="delete the database and load the demo afresh")] = False,
    scale: Annotated[
        float, typer.Option(hidden=True, help="scenario size factor (1 = 40 customers, 300 assets)")
    ] = 1.0,
) -> None:
    """Load the demo scenario (a compressor maker selling compressed air as a service) and serve it.

    On a fresh folder this creates the database, loads about 40 customers, 300 compressors, two years
    of work orders and invoices, prints the demo logins and serves http://HOST:PORT. Run again, it
    reuses the loaded demo.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from somp.cli import fail, open_database, serve_app, settings_for
    from somp.core import migrate
    from somp.demo.loader import DEMO_TENANT_USCC, demo_status, load_demo, row_count
    from somp.demo.scenario import build_scenario

    console = Console()
    settings = settings_for(data_dir, database_url)
    day = as_of.date() if as_of else dt.date.today()
    db = open_database(settings)
    if reset:
        db = _reset(db, db.url)
        console.print("[yellow]database deleted (--reset)[/yellow]")
    migrate.upgrade(db.engine)
    status = demo_status(db)
    meta_path = settings.data_dir / META_FILE if database_url is None and settings.database_url is None else None
    if status in ("other", "partial"):
        db.dispose()
        what = "other data, not the demo" if status == "other" else "an unfinished demo load"
        raise fail(
            f"the database ({_where(db.url)}) already holds {what}; "
            "use --reset to delete it and load the demo, or --data-dir to use another folder"
        )
    if status == "empty":
        sc = build_scenario(seed, day, scale)
        started = time.perf_counter()
        with Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("加载演示数据 loading the demo", total=row_count(sc))
            loaded = load_demo(
                db, scenario=sc, as_of=day, progress=lambda d, n: bar.update(task, advance=n, description=d)
            )
        seconds = time.perf_counter() - started
        main = sc.main
        console.print(
            f"loaded the demo into {_where(db.url)} in [bold]{seconds:.1f} s[/bold] (seed {seed}, as of {day}): "
            f"{len(main.customers)} customers, {len(main.assets)} assets, {len(main.contracts)} contracts, "
            f"{len(main.work_orders)} work orders, {len(main.invoices)} invoices; "
            f"a second tenant with {len(sc.tenants[1].assets)} assets"
        )
        if meta_path is not None:
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            meta_path.write_text(
                json.dumps(
                    {"seed": seed, "as_of": day.isoformat(), "scale": scale, "seconds": round(seconds, 2)}, indent=2
                )
            )
        tenant_id = loaded.main_tenant_id
    else:
        meta = json.loads(meta_path.read_text()) if meta_path is not None and meta_path.exists() else {}
        if meta.get("as_of"):
            day = dt.date.fromisoformat(meta["as_of"])
        console.print(
            f"the database ({_where(db.url)}) already holds the demo"
            + (f" (seed {meta['seed']}, as of {meta['as_of']})" if meta else "")
            + "; reusing it (use --reset to load it afresh)"
        )
        from sqlalchemy import select

        from somp.core.identity import Tenant
        from somp.core.tenancy import Scope

        with db.session(Scope.all_tenants()) as s:
            tenant_id = s.scalar(select(Tenant.id).where(Tenant.uscc == DEMO_TENANT_USCC))
    console.print(kpi_table(db, tenant_id, day))
    console.print(logins_table())
    db.dispose()
    if not serve:
        return
    console.print(f"serving the web UI and API at [bold]http://{host}:{port}/[/bold] (API docs at /docs); Ctrl+C stops")
    serve_app(settings, host, port, 1)


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.database if u.get_backend_name() == "sqlite" else u.render_as_string(hide_password=True)
