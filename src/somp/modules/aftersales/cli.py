"""``somp aftersales ...``: the escalation check and the quality supervision report (2.1.6)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from somp.cli import DataDir, DbUrl, fail, open_database, settings_for

app = typer.Typer(help="after-sales: ticket escalation check and quality reports (2.1.6)", no_args_is_help=True)
console = Console()
Tenant = Annotated[str | None, typer.Option(help="the enterprise: its id or unified social credit code")]


@app.callback()
def _main() -> None:
    """After-sales management (2.1.6): tickets with SLA timers, escalation, quality reports."""


def _tenant_ids(db, tenant: str | None) -> list[int]:  # noqa: ANN001
    from sqlalchemy import or_, select

    from somp.core.identity import Tenant as TenantRow
    from somp.core.tenancy import Scope
    from somp.modules.aftersales.service import tenants_with_open_tickets

    with db.session(Scope.all_tenants()) as s:
        if tenant is None:
            return tenants_with_open_tickets(s)
        cond = TenantRow.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, TenantRow.id == int(tenant))
        tid = s.scalar(select(TenantRow.id).where(cond))
    if tid is None:
        raise fail(f"no enterprise {tenant!r}")
    return [tid]


@app.command("escalate")
def escalate(tenant: Tenant = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Run the escalation check now (the server runs it every minute): record the escalation
    levels the open tickets have reached (50 % assignee, 75 % service managers, 100 % the
    administrators) and store their breaches. Every tenant with open tickets unless --tenant."""
    from somp.core.tenancy import Scope
    from somp.modules.aftersales.service import escalate as run

    db = open_database(settings_for(data_dir, database_url))
    table = Table("tenant", "open tickets", "new escalations", "new breaches")
    for tid in _tenant_ids(db, tenant):
        with db.session(Scope.tenant(tid)) as s:
            checked, new, breached = run(s)
            s.commit()
        table.add_row(str(tid), str(checked), str(len(new)), str(breached))
    console.print(table)
    db.dispose()


@app.command("report")
def report(
    tenant: Annotated[str, typer.Option(help="the enterprise: its id or unified social credit code")],
    period: Annotated[str, typer.Option(help="YYYY, YYYY-Qn or YYYY-MM")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """The quality supervision report of one period: tickets, SLA outcomes by category and
    priority, escalations, recovery actions, satisfaction."""
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.aftersales.quality import report_for_period

    db = open_database(settings_for(data_dir, database_url))
    (tid,) = _tenant_ids(db, tenant)
    with db.session(Scope.tenant(tid)) as s:
        try:
            r = report_for_period(s, period)
        except DomainError as exc:
            raise fail(str(exc), 2) from None
    db.dispose()
    if as_json:
        typer.echo(json.dumps(r.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    console.print(f"quality supervision report {r.start} .. {r.end} (as of {r.as_of:%Y-%m-%d %H:%M} UTC)")
    for title, rows in (("category", r.by_category), ("priority", r.by_priority), ("contract", r.by_contract)):
        t = Table(
            title,
            "opened",
            "resolved",
            "response met/breached/pending",
            "resolution met/breached/pending",
            "response %",
            "resolution %",
        )
        for row in [*rows, r.total]:
            t.add_row(
                row.key,
                str(row.opened),
                str(row.resolved),
                f"{row.response.met}/{row.response.breached}/{row.response.pending}",
                f"{row.resolution.met}/{row.resolution.breached}/{row.resolution.pending}",
                _pct(row.response.attainment_pct),
                _pct(row.resolution.attainment_pct),
            )
        console.print(t)
    console.print(
        f"escalations by level: {r.escalations_by_level}; recovery actions: {r.recovery_by_kind} "
        f"(done {r.recovery_done}, amount {r.recovery_amount} CNY)"
    )
    console.print(
        f"CSAT {_pct(r.csat.score if r.csat else None)} (n={r.csat.n if r.csat else 0}); "
        f"NPS {r.nps.score if r.nps and r.nps.score is not None else '-'} (n={r.nps.n if r.nps else 0})"
    )


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"
