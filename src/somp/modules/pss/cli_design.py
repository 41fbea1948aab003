"""``somp pss blueprint ...`` and ``somp pss delivery-kpis``: commands of PSS design and delivery
(framework nodes 2.1.2 and 2.1.5). ``blueprint import FILE.yaml --offering CODE --tenant <id|USCC>``
stores the file as the offering's next blueprint version (every problem listed when it is refused);
``blueprint export`` writes a version as YAML and ``blueprint svg`` draws it; ``delivery-kpis
--period 2026-10`` prints the on-time, first-time-right and lead-time figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from somp.cli import DataDir, DbUrl, console, fail, open_database, settings_for

blueprint_app = typer.Typer(help="service blueprints of offerings (2.1.2)", no_args_is_help=True)
TenantOpt = Annotated[str, typer.Option(help="the enterprise: its id or unified social credit code")]
OfferingOpt = Annotated[str, typer.Option(help="the catalog offering's code")]


def _tenant_id(db, tenant: str) -> int:  # noqa: ANN001
    from sqlalchemy import or_, select

    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope

    with db.session(Scope.all_tenants()) as s:
        cond = Tenant.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, Tenant.id == int(tenant))
        tid = s.scalar(select(Tenant.id).where(cond))
    if tid is None:
        raise fail(f"no enterprise {tenant!r}")
    return tid


def _offering_id(s, code: str) -> int:  # noqa: ANN001
    from sqlalchemy import select

    from somp.modules.catalog.models import Offering

    oid = s.scalar(select(Offering.id).where(Offering.code == code))
    if oid is None:
        raise fail(f"no offering with code {code!r}")
    return oid


@blueprint_app.command("import")
def import_blueprint(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the blueprint, YAML or JSON")],
    offering: OfferingOpt,
    tenant: TenantOpt,
    note: Annotated[str | None, typer.Option(help="what changed")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Validate the file and store it as the offering's next blueprint version."""
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.pss import design
    from somp.modules.pss.design_schemas import BlueprintVersionCreate

    db = open_database(settings_for(data_dir, database_url))
    tid = _tenant_id(db, tenant)
    with db.session(Scope.tenant(tid)) as s:
        try:
            data = BlueprintVersionCreate(document=file.read_text(encoding="utf-8"), note=note)
            row, created = design.add_blueprint_version(s, _offering_id(s, offering), data, None)
            view = design.blueprint_view(s, row)
        except DomainError as e:
            raise fail(str(e)) from None
        s.commit()
    what = "stored as version" if created else "unchanged: same as version"
    console.print(f"{offering}: {what} {row.number} ({row.step_count} steps, {row.fail_points} fail points)")
    for f in view["findings"]:
        console.print(f"  finding {f['code']}: {f['message_en']}")


@blueprint_app.command("export")
def export_blueprint(
    offering: OfferingOpt,
    tenant: TenantOpt,
    version: Annotated[int | None, typer.Option(help="default: the current version")] = None,
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Write a blueprint version as YAML (the format ``import`` reads)."""
    _write(offering, tenant, version, out, data_dir, database_url, None)


@blueprint_app.command("svg")
def blueprint_svg(
    offering: OfferingOpt,
    tenant: TenantOpt,
    out: Annotated[Path, typer.Option(help="the SVG file to write")],
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    version: Annotated[int | None, typer.Option(help="default: the current version")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Draw a blueprint version (lanes, the lines of interaction, visibility and internal interaction)."""
    if lang not in ("zh", "en"):
        raise fail("--lang must be zh or en")
    _write(offering, tenant, version, out, data_dir, database_url, lang)


def _write(offering, tenant, version, out, data_dir, database_url, lang) -> None:  # noqa: ANN001
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.pss import design

    db = open_database(settings_for(data_dir, database_url))
    tid = _tenant_id(db, tenant)
    with db.session(Scope.tenant(tid)) as s:
        oid = _offering_id(s, offering)
        try:
            if lang is None:
                text = design.export_blueprint(s, oid, version)
            else:
                text = design.render_blueprint(s, oid, version, lang)
        except DomainError as e:
            raise fail(str(e)) from None
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


def delivery_kpis(
    period: Annotated[str, typer.Option(help="YYYY-MM, YYYY-Qn or YYYY")],
    tenant: TenantOpt,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Delivery KPIs of a period (2.1.5): on-time delivery, first-time-right commissioning, lead time."""
    from rich.table import Table

    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.pss import delivery

    db = open_database(settings_for(data_dir, database_url))
    tid = _tenant_id(db, tenant)
    with db.session(Scope.tenant(tid)) as s:
        try:
            k = delivery.kpis(s, period)
        except DomainError as e:
            raise fail(str(e)) from None

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    def days(x: float | None) -> str:
        return "-" if x is None else f"{x:g}"

    table = Table(title=f"delivery KPIs {period} ({k['start']} .. {k['end']})")
    for col in ("accepted", "on time", "on-time rate", "commissioned", "first-time right", "FTR rate",
                "lead time median d", "lead time p90 d"):  # fmt: skip
        table.add_column(col, justify="right")
    table.add_row(
        str(k["accepted"]), str(k["on_time"]), pct(k["on_time_rate"]), str(k["commissioned"]),
        str(k["first_time_right"]), pct(k["first_time_right_rate"]), days(k["lead_time_median_days"]),
        days(k["lead_time_p90_days"]),
    )  # fmt: skip
    console.print(table)
