"""``somp pss ...``: commands of the pss module (framework node 2.1.2). ``somp pss bill --period
2026-10 --tenant <id|USCC>`` runs a month's billing with a Rich progress bar and prints what it
billed and skipped; running it again for the same month bills nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from somp.cli import DataDir, DbUrl, console, err, fail, open_database, settings_for

app = typer.Typer(help="product-service systems: billing runs", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """Product-service systems (2.1.2): pricing and billing."""


@app.command("bill")
def bill(
    period: Annotated[str, typer.Option(help="the month to bill, YYYY-MM")],
    tenant: Annotated[str, typer.Option(help="the enterprise: its id or unified social credit code")],
    issued_on: Annotated[
        str | None, typer.Option(help="invoice date YYYY-MM-DD (default: the first day after the period)")
    ] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Bill every contract of the enterprise for one month: invoices from fees and metered usage,
    credit notes for SLA breaches (drafts, to be issued in the invoices pages). Idempotent and atomic."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from sqlalchemy import or_, select

    from somp.core.errors import DomainError
    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope
    from somp.modules.pss import billing

    day = None
    if issued_on:
        try:
            day = dt.date.fromisoformat(issued_on)
        except ValueError:
            raise fail(f"--issued-on {issued_on!r} is not a date YYYY-MM-DD") from None
    db = open_database(settings_for(data_dir, database_url))
    with db.session(Scope.all_tenants()) as s:
        cond = Tenant.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, Tenant.id == int(tenant))
        tenant_id = s.scalar(select(Tenant.id).where(cond))
    if tenant_id is None:
        raise fail(f"no enterprise {tenant!r}")
    columns = (TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar, db.session(Scope.tenant(tenant_id)) as s:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            run = billing.run(s, period, issued_on=day, progress=progress)
        except DomainError as e:
            raise fail(str(e)) from None
        s.commit()
    table = Table(title=f"billing run {run.id}: {run.period}")
    for col in ("contracts", "invoices", "credit notes", "skipped", "net invoiced CNY", "net credited CNY", "s"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{run.contracts:,}", f"{run.invoices:,}", f"{run.credit_notes:,}", f"{run.skipped:,}",
        f"{run.net_invoiced:,}", f"{run.net_credited:,}", f"{run.seconds:.2f}",
    )  # fmt: skip
    console.print(table)
    for reason, n in run.skip_reasons.items():
        console.print(f"  skipped, {reason}: {n:,}")


from somp.modules.pss.cli_requirements import register as _register_requirements  # noqa: E402

_register_requirements(app)  # somp pss kano FILE, somp pss qfd FILE (2.1.1)
from somp.modules.pss import cli_design  # noqa: E402  (blueprints and delivery KPIs: 2.1.2 / 2.1.5)

app.add_typer(cli_design.blueprint_app, name="blueprint")
app.command("delivery-kpis")(cli_design.delivery_kpis)


@app.command("sla")
def sla(
    period: Annotated[str, typer.Option(help="the month, YYYY-MM (China time)")],
    tenant: Annotated[
        str | None, typer.Option(help="the enterprise: its id or unified social credit code (default: every one)")
    ] = None,
    contract: Annotated[int | None, typer.Option(help="one contract id (with --tenant)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the stored records as JSON")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Measure and store the SLA attainment of every live contract for one month: availability from
    the assets' outages (incl. those the monitoring derived from telemetry), response and resolution
    of work orders and after-sales tickets. Computing again replaces the month's records."""
    import json

    from rich.table import Table
    from sqlalchemy import or_, select

    from somp.core.errors import DomainError
    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope
    from somp.modules.contracts.models import Contract
    from somp.modules.pss import sla_records
    from somp.modules.pss.schemas_sla import SlaRecordRead

    if contract is not None and tenant is None:
        raise fail("--contract needs --tenant")
    db = open_database(settings_for(data_dir, database_url))
    with db.session(Scope.all_tenants()) as s:
        if tenant is None:
            tenants = list(s.scalars(select(Contract.tenant_id).distinct().order_by(Contract.tenant_id)))
        else:
            cond = Tenant.uscc == tenant.upper()
            if tenant.isdigit():
                cond = or_(cond, Tenant.id == int(tenant))
            tenants = list(s.scalars(select(Tenant.id).where(cond)))
            if not tenants:
                raise fail(f"no enterprise {tenant!r}")
    table = Table(title=f"SLA attainment {period}")
    for col in ("tenant", "contract", "availability %", "target %", "response %", "resolution %", "attained", "note"):
        table.add_column(col)
    dump = []
    for tid in tenants:
        with db.session(Scope.tenant(tid)) as s:
            try:
                res = sla_records.compute(s, period, contract_id=contract)
            except DomainError as e:
                raise fail(str(e)) from None
            for r in res.records:
                dump.append(SlaRecordRead.model_validate(r).model_dump(mode="json"))
                table.add_row(
                    str(tid), r.contract_number, _show(r.availability_pct), _show(r.availability_target_pct),
                    _show(r.response_attainment_pct), _show(r.resolution_attainment_pct),
                    {True: "yes", False: "no", None: "-"}[r.attained], r.note or "",
                )  # fmt: skip
            s.commit()
    if as_json:
        console.print_json(json.dumps(dump))
    else:
        console.print(table)
        console.print(f"{len(dump)} contract-months stored")


def _show(x: object) -> str:
    return "-" if x is None else str(x)
