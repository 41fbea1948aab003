"""``somp import`` and ``somp export``: registered on the main Typer app by :mod:`somp.cli`.

(No ``from __future__ import annotations`` here: Typer reads the parameter annotations of the
commands defined inside :func:`register`, which use the option types of :mod:`somp.cli`.)
"""

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

STAGES = {"read": "rows read", "validate": "rows validated", "write": "rows written", "export": "rows exported"}


class RichProgress:
    """The importer's progress hooks (:class:`somp.dataio.spec.Progress`) on a Rich progress bar;
    advances are batched, as the hot loop calls them once per row."""

    def __init__(self, progress: Progress) -> None:
        self._p = progress
        self._tasks: dict[str, Any] = {}
        self._pending: dict[str, int] = {}

    def start(self, stage: str, total: int | None) -> None:
        self.flush()
        self._tasks[stage] = self._p.add_task(STAGES.get(stage, stage), total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        left = self._pending.get(stage, 0) + n
        if left >= 2000:
            self._p.advance(self._tasks[stage], left)
            left = 0
        self._pending[stage] = left

    def finish(self, stage: str) -> None:
        self.flush()
        task = self._tasks[stage]
        done = next(t.completed for t in self._p.tasks if t.id == task)
        self._p.update(task, total=done)

    def flush(self) -> None:
        for stage, n in self._pending.items():
            if n:
                self._p.advance(self._tasks[stage], n)
        self._pending.clear()


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:>15}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def register(app: typer.Typer) -> None:
    from somp.cli import DataDir, DbUrl, open_database, settings_for

    err = Console(stderr=True)
    out = Console()

    def entity_of(name: str) -> Any:
        from somp.dataio.entities import get_entity

        try:
            return get_entity(name)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0]), param_hint="ENTITY") from None

    @app.command("import")
    def import_(
        entity: Annotated[
            str,
            typer.Argument(
                help="customers, products, product_bom, offerings, "
                "offering_service_items, assets, contracts, work_orders, invoices"
            ),
        ],
        file: Annotated[Path, typer.Argument(help="a .csv (UTF-8) or .xlsx file")],
        tenant: Annotated[int, typer.Option(help="id of the tenant to import into")],
        format: Annotated[
            str | None, typer.Option("--format", help="csv or xlsx (default: from the extension)")
        ] = None,
        sheet: Annotated[
            str | None, typer.Option(help="Excel sheet (default: the one named after the entity, else the first)")
        ] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only; write nothing")] = False,
        errors: Annotated[Path | None, typer.Option(help="error report CSV (default: <file>.errors.csv)")] = None,
        show: Annotated[int, typer.Option(help="errors to print")] = 20,
        tz: Annotated[str, typer.Option(help="time zone of times written without a UTC offset")] = "UTC",
        data_dir: DataDir = None,
        database_url: DbUrl = None,
    ) -> None:
        """Import a CSV or Excel file of ENTITY into a tenant: all rows in one transaction, or none.

        A file with errors is rejected whole: the first errors are printed and all of them are
        written to the error report; the exit code is 1.
        """
        from somp.core.errors import NotFound
        from somp.dataio.importer import ImportRejected, import_file
        from somp.dataio.report import errors_path, write_errors

        spec = entity_of(entity)
        try:
            zone: dt.tzinfo = dt.UTC if tz.upper() == "UTC" else ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise typer.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz") from None
        db = open_database(settings_for(data_dir, database_url))
        try:
            with _progress(err) as bar:
                hooks = RichProgress(bar)
                result = import_file(
                    db, spec, file, tenant_id=tenant, fmt=format, sheet=sheet, dry_run=dry_run, tz=zone, progress=hooks
                )
                hooks.flush()
        except ImportRejected as exc:
            report = errors or errors_path(file)
            _print_errors(err, exc, show)
            try:
                write_errors(report, exc.errors)
                err.print(f"all {len(exc.errors)} error(s): {report}")
            except OSError as oe:
                err.print(f"[yellow]could not write the error report {report}: {oe}[/yellow]")
            raise typer.Exit(1) from None
        except NotFound as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        finally:
            db.dispose()
        verb = "valid, nothing written (dry run)" if result.dry_run else "imported"
        out.print(
            f"{spec.name}: {result.records:,} record(s) from {result.rows:,} row(s) {verb} "
            f"for tenant {tenant} in {result.seconds:.1f} s"
        )

    @app.command("export")
    def export(
        entity: Annotated[str, typer.Argument(help="an entity, as for `somp import`")],
        file: Annotated[Path, typer.Argument(help="a .csv or .xlsx file to write")],
        tenant: Annotated[int, typer.Option(help="id of the tenant to export")],
        where: Annotated[
            list[str] | None,
            typer.Option(
                help="filter COLUMN=VALUE (also != >= <= > <); repeatable, "
                "e.g. --where state=in_service --where customer_code=C-1"
            ),
        ] = None,
        format: Annotated[
            str | None, typer.Option("--format", help="csv or xlsx (default: from the extension)")
        ] = None,
        labels: Annotated[str, typer.Option(help="header labels: en (field names) or zh (Chinese)")] = "en",
        bom: Annotated[bool, typer.Option("--bom", help="CSV: start with a UTF-8 BOM (for older Excel)")] = False,
        data_dir: DataDir = None,
        database_url: DbUrl = None,
    ) -> None:
        """Export ENTITY rows of a tenant in the columns `somp import` reads."""
        from somp.core.errors import NotFound
        from somp.dataio.exporter import export_file
        from somp.dataio.spec import Condition
        from somp.dataio.tabular import TableError

        spec = entity_of(entity)
        if labels not in ("en", "zh"):
            raise typer.BadParameter("use en or zh", param_hint="--labels")
        try:
            conditions = [Condition.parse(w) for w in where or ()]
            for c in conditions:
                col = spec.column(c.column)
                conditions[conditions.index(c)] = Condition(col.name if col else c.column, c.op, c.value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--where") from None
        db = open_database(settings_for(data_dir, database_url))
        try:
            with _progress(err) as bar:
                hooks = RichProgress(bar)
                result = export_file(
                    db,
                    spec,
                    file,
                    tenant_id=tenant,
                    fmt=format,
                    where=conditions,
                    labels=labels,
                    bom=bom,
                    progress=hooks,
                )  # type: ignore[arg-type]
        except (NotFound, TableError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        finally:
            db.dispose()
        out.print(f"{spec.name}: {result.rows:,} row(s) of tenant {tenant} written to {result.path}")


def _print_errors(console: Console, exc: Any, show: int) -> None:
    console.print(f"[red]rejected:[/red] {exc.detail}")
    table = Table("row", "column", "code", "message", show_lines=False, header_style="bold")
    for e in exc.errors[:show]:
        table.add_row("" if e.row is None else str(e.row), e.field, e.code, e.message)
    console.print(table)
    if len(exc.errors) > show:
        console.print(f"... and {len(exc.errors) - show} more")
