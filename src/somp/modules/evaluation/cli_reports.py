"""``somp evaluate report`` and ``somp evaluate statement`` (framework nodes 1.3.1-1.3.3).

* ``somp evaluate report EVALUATION_ID --format pdf|html|xlsx|svg [--out FILE] [--lang zh|en]``:
  the enterprise report of a stored evaluation (the operator's view of the database: any
  enterprise), written to a file; prints one JSON line (file, size, sha256, enterprise, score,
  level). PDF is printed by headless Chromium.
* ``somp evaluate report-region --year Y [--previous Y] --format pdf|html|xlsx [--out FILE] [--lang zh|en]``:
  the region report of the stored regions (1.3.4, read in the evaluator's view); prints one JSON line
  (file, size, sha256, year, the regions with index and rank).
* ``somp evaluate statement FILE.csv|xlsx [--unit "10k CNY"]``: the enterprise-level input-output
  measures of a financial statement (no database); every problem with its row, exit code 2.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal

import typer

from somp.modules.evaluation.cli import _emit, _fail, app


@app.command("report")
def report_command(
    evaluation_id: Annotated[int, typer.Argument(help="the evaluation's id")],
    fmt: Annotated[
        Literal["pdf", "html", "xlsx", "svg"], typer.Option("--format", help="pdf, html, xlsx or svg")
    ] = "pdf",
    out: Annotated[
        Path | None, typer.Option("--out", help="file to write (default: evaluation-ID-USCC-YEAR.EXT)")
    ] = None,
    lang: Annotated[Literal["zh", "en"], typer.Option("--lang", help="language of the report")] = "zh",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="folder of the embedded database")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL")] = None,
) -> None:
    """Write the enterprise report of an evaluation: PDF (Chromium), HTML, Excel or the maturity badge."""
    from somp.cli import open_database, settings_for
    from somp.core.errors import NotFound
    from somp.core.tenancy import Scope
    from somp.modules.evaluation import reports
    from somp.modules.evaluation.report_render import PdfUnavailable, labels, render_html, render_pdf

    db = open_database(settings_for(data_dir, database_url))
    try:
        with db.session(Scope.all_tenants()) as s:
            try:
                data = reports.report_data(db, s, evaluation_id, lang)
            except NotFound:
                raise _fail(f"no evaluation {evaluation_id}") from None
    finally:
        db.dispose()
    e = data["evaluation"]
    if fmt == "pdf":
        try:
            content = render_pdf(data)
        except PdfUnavailable as err:
            raise _fail(str(err)) from None
    elif fmt == "html":
        content = render_html(data).encode("utf-8")
    elif fmt == "xlsx":
        content = reports.excel(data, labels(lang)[0])
    else:
        content = reports.badge_svg(e["level"], e["level_name"], e["score"], lang).encode("utf-8")
    target = out or Path(reports.filename(data, fmt))
    try:
        target.write_bytes(content)
    except OSError as err:
        raise _fail(f"cannot write {target}: {err.strerror or err}") from None
    _emit({"written": str(target), "format": fmt, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(),
           "evaluation": e["id"], "enterprise": data["enterprise"]["name"], "score": e["score"], "level": e["level"],
           "system": data["system"]["content_hash"]})  # fmt: skip


@app.command("report-region")
def report_region_command(
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="the year ranked")],
    previous: Annotated[
        int | None, typer.Option("--previous", min=2000, max=2100, help="the year compared with (default: year - 1)")
    ] = None,
    fmt: Annotated[Literal["pdf", "html", "xlsx"], typer.Option("--format", help="pdf, html or xlsx")] = "pdf",
    out: Annotated[Path | None, typer.Option("--out", help="file to write (default: region-report-YEAR.EXT)")] = None,
    lang: Annotated[Literal["zh", "en"], typer.Option("--lang", help="language of the report")] = "zh",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="folder of the embedded database")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL")] = None,
) -> None:
    """Write the region report (1.3.4) of the stored regions: PDF (Chromium), HTML or Excel."""
    from somp.cli import open_database, settings_for
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.evaluation import region_report
    from somp.modules.evaluation.report_render import PdfUnavailable, labels, render_region_html, render_region_pdf

    db = open_database(settings_for(data_dir, database_url))
    try:
        with db.session(Scope.evaluation()) as s:
            try:
                data = region_report.region_report_data(db, s, year, previous, lang=lang)
            except DomainError as err:
                raise _fail(str(err)) from None
    finally:
        db.dispose()
    if fmt == "pdf":
        try:
            content = render_region_pdf(data)
        except PdfUnavailable as err:
            raise _fail(str(err)) from None
    elif fmt == "html":
        content = render_region_html(data).encode("utf-8")
    else:
        content = region_report.excel(data, labels(lang)[0])
    target = out or Path(region_report.filename(data, fmt))
    try:
        target.write_bytes(content)
    except OSError as err:
        raise _fail(f"cannot write {target}: {err.strerror or err}") from None
    ranked = [{"code": r["code"], "index": r["index"], "rank": r["rank"]} for r in data["regions"]]
    _emit({"written": str(target), "format": fmt, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(),
           "year": data["year"], "previous_year": data["previous_year"], "regions": ranked})  # fmt: skip


@app.command("statement")
def statement_command(
    file: Annotated[Path, typer.Argument(help="financial statement: columns item, amount (.csv or .xlsx)")],
    unit: Annotated[Literal["CNY", "10k CNY"], typer.Option("--unit", help="unit of the amounts")] = "10k CNY",
) -> None:
    """Enterprise-level input-output measures (1.3.2) of a financial statement, as one JSON line."""
    from somp.modules.evaluation.enterprise_io import StatementInvalid, measure, read_statement

    suffix = file.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _fail(f"read .csv or .xlsx, not {file.name}")
    try:
        data = file.read_bytes()
    except OSError as err:
        raise _fail(f"cannot read {file}: {err.strerror or err}") from None
    try:
        m = measure(read_statement(data, suffix[1:], unit))
    except StatementInvalid as err:
        raise _fail("\n".join(err.errors)) from None
    _emit(m.to_dict())
