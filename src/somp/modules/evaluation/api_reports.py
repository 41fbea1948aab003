"""REST routes of evaluation uploads and reports under ``/api/v1/evaluation`` (1.3.1-1.3.3):
evidence files, Excel uploads of indicator systems and questionnaire answers, financial statements
(enterprise-level input-output, 1.3.2), sustainability records (1.3.3) and the enterprise report
(HTML, PDF, Excel, maturity badge).

Writes need ``self_assessment:write`` (the enterprise, its own data); reads are open to the
enterprise (its own) and the evaluator (every enterprise's submitted evaluations and yearly data).
Upload routes look up what they attach to before reading the file, so another enterprise's id is a
404 whatever is sent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from somp.core.errors import DomainError, ValidationFailed
from somp.core.errors import FieldError as FE
from somp.modules.evaluation import evidence, reports, service, yearly
from somp.modules.evaluation.api_deps import Read, Write
from somp.modules.evaluation.models import AnswerSource
from somp.modules.evaluation.schemas import AnswerIn, AnswersIn, EvaluationDetail, SystemCreate, SystemRead
from somp.modules.evaluation.schemas_reports import (
    EvidenceRead,
    StatementRead,
    SustainabilityIn,
    SustainabilityRead,
)

router = APIRouter(tags=["evaluation"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX_BYTES = 5 * 1024 * 1024
Lang = Annotated[Literal["zh", "en"], Query(description="language of the report")]
OptYear = Annotated[int | None, Query(ge=2000, le=2100)]


class PdfPrintingUnavailable(DomainError):
    status = 503
    code = "pdf_unavailable"
    title = "PDF printing unavailable"


def _read(file: UploadFile | None, limit: int, field: str = "file") -> bytes:
    if file is None:
        raise ValidationFailed("attach a file", [FE(field, "attach a file", "missing_file")])
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed("file too large", [FE(field, f"at most {limit} bytes", "too_large")])
    return data


def _download(content: bytes, media_type: str, name: str, inline: bool = False) -> Response:
    disposition = evidence.content_disposition(name)
    if inline:
        disposition = disposition.replace("attachment", "inline", 1)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "sandbox", "Cache-Control": "no-store"})  # fmt: skip


# ---- evidence files ---------------------------------------------------------------------------------


@router.post("/evaluation/evaluations/{evaluation_id}/evidence", response_model=EvidenceRead,
             status_code=status.HTTP_201_CREATED)  # fmt: skip
def upload_evidence(
    evaluation_id: int,
    c: Write,
    indicator_code: Annotated[str | None, Form(max_length=80)] = None,
    file: Annotated[UploadFile | None, File(description="PDF, PNG, JPEG, Office document, CSV or text")] = None,
):
    """Attach an evidence file to an indicator of your draft or returned evaluation. At most 10 MiB;
    the content type is recognised from the bytes and must match the name's extension; the sha256
    is returned."""
    ev = service.get_evaluation(c.session, evaluation_id)  # another enterprise's: 404 before the file
    data = None if file is None else file.file.read(evidence.MAX_BYTES + 1)
    row = evidence.upload(c.db, c.session, ev.id, indicator_code, None if file is None else file.filename, data,
                          c.principal.user_id)  # fmt: skip
    c.commit()
    return row


@router.get("/evaluation/evaluations/{evaluation_id}/evidence", response_model=list[EvidenceRead])
def list_evidence(evaluation_id: int, c: Read):
    """The evidence files of an evaluation (name, recognised type, size, sha256), without content."""
    return evidence.list_for(c.session, evaluation_id)


@router.get("/evaluation/evidence/{evidence_id}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})  # fmt: skip
def download_evidence(evidence_id: int, c: Read):
    """The file, as an attachment (the enterprise: its own; the evaluator: submitted evaluations')."""
    row = evidence.get(c.session, evidence_id)
    return _download(row.content, row.content_type, row.filename)


@router.delete("/evaluation/evidence/{evidence_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_evidence(evidence_id: int, c: Write):
    """Remove an evidence file while its evaluation is editable."""
    evidence.delete(c.session, evidence_id)
    c.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- Excel uploads ----------------------------------------------------------------------------------


@router.post("/evaluation/systems/excel", response_model=SystemRead, status_code=status.HTTP_201_CREATED)
def upload_system_excel(c: Write, file: Annotated[UploadFile | None, File(description="the system as .xlsx")] = None):
    """A new indicator system version from an Excel workbook (sheets system, indicators, levels, as
    ``somp evaluate system export`` writes); every problem is reported with its sheet and row."""
    from somp.modules.evaluation.indicators import SystemInvalid, dump_system
    from somp.modules.evaluation.system_excel import read_workbook

    data = _read(file, MAX_XLSX_BYTES)
    try:
        system = read_workbook(data)
    except SystemInvalid as e:
        raise ValidationFailed("the workbook is not a valid indicator system",
                               [FE("file", line, "invalid_system") for line in e.errors]) from None  # fmt: skip
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ValidationFailed("cannot read the workbook", [FE("file", str(e)[:300], "unreadable")]) from None
    row = service.create_system(c.session, SystemCreate(document=dump_system(system)), c.principal.user_id)
    c.commit()
    return row


@router.get("/evaluation/systems/{system_id}/excel", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})  # fmt: skip
def system_excel(system_id: int, c: Read):
    """The system version as an Excel workbook (the same content hash when read back)."""
    from somp.modules.evaluation.system_excel import write_workbook

    row = service.get_system(c.db, c.session, system_id)
    return _download(write_workbook(service.system_of(row)), XLSX, f"{row.code}-{row.version}.xlsx")


@router.get("/evaluation/evaluations/{evaluation_id}/answers.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})  # fmt: skip
def answers_template(evaluation_id: int, c: Read):
    """The questionnaire as a workbook to fill in (one row per indicator, current values)."""
    from somp.modules.evaluation.answers_excel import write_template

    ev = service.get_evaluation(c.session, evaluation_id)
    system = service.system_for_evaluation(c.db, c.session, ev)
    answers = service.answers_of(c.session, ev.id)
    current = {a.indicator_code: (a.value, a.note) for a in answers if a.source is not AnswerSource.computed}
    measured = {a.indicator_code: a.value for a in answers if a.source is AnswerSource.computed}
    return _download(write_template(system, current, measured), XLSX, f"evaluation-{ev.id}-answers.xlsx")


@router.post("/evaluation/evaluations/{evaluation_id}/answers/excel", response_model=EvaluationDetail)
def upload_answers_excel(
    evaluation_id: int, c: Write, file: Annotated[UploadFile | None, File(description="the filled workbook")] = None
):
    """Questionnaire answers and uploaded figures from the filled workbook, stored as one batch (all or
    nothing, the same checks as ``POST .../answers``); bad rows are reported with their numbers."""
    from somp.modules.evaluation.answers_excel import AnswersInvalid, read_answers

    ev = service.get_evaluation(c.session, evaluation_id)
    data = _read(file, MAX_XLSX_BYTES)
    try:
        rows = read_answers(data)
    except AnswersInvalid as e:
        raise ValidationFailed("the workbook was refused",
                               [FE("file", m, "invalid_row", row=_row(m)) for m in e.errors]) from None  # fmt: skip
    batch = AnswersIn(answers=[AnswerIn(indicator_code=r.code, value=r.value, note=r.note) for r in rows])
    try:
        ev = service.set_answers(c.db, c.session, ev.id, batch, c.principal.user_id)
    except ValidationFailed as e:  # name the workbook rows beside the batch positions
        e.errors = [replace(x, row=rows[int(x.field[8:].split("]", 1)[0])].row) if x.field.startswith("answers[")
                    else x for x in e.errors]  # fmt: skip
        raise
    c.commit()
    return service.detail(c.db, c.session, ev)


def _row(message: str) -> int | None:
    head = message[4:].split(":", 1)[0] if message.startswith("row ") else ""
    return int(head) if head.isdigit() else None


# ---- financial statements (1.3.2) and sustainability (1.3.3) ----------------------------------------


@router.post("/evaluation/financial-statements", response_model=StatementRead, status_code=status.HTTP_201_CREATED)
def upload_statement(
    c: Write,
    year: Annotated[int, Form(ge=2000, le=2100)],
    file: Annotated[UploadFile | None, File(description="columns item, amount; .csv or .xlsx")] = None,
    unit: Annotated[Literal["CNY", "10k CNY"], Form()] = "10k CNY",
):
    """Your financial statement of ``year``: validated whole (unknown items, bad amounts, missing
    required items, an income-method value added that does not balance: every reason listed), then
    the service input ratio, value added and service value added are computed and stored."""
    data = _read(file, yearly.MAX_STATEMENT_BYTES)
    row = yearly.save_statement(c.session, year=year, unit=unit, filename=file.filename or "", data=data,
                                user_id=c.principal.user_id)  # fmt: skip
    c.commit()
    return row


@router.get("/evaluation/financial-statements/template.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})  # fmt: skip
def statement_template(c: Read):
    """A blank statement workbook (every item with its Chinese and English name; fill ``amount``)."""
    from somp.modules.evaluation.enterprise_io import template_workbook

    return _download(template_workbook(), XLSX, "financial-statement-template.xlsx")


@router.get("/evaluation/financial-statements", response_model=list[StatementRead])
def list_statements(c: Read, year: OptYear = None):
    """Financial statements with their measures (the enterprise: its own; the evaluator: all)."""
    return yearly.list_statements(c.session, year)


@router.get("/evaluation/financial-statements/{statement_id}", response_model=StatementRead)
def get_statement(statement_id: int, c: Read):
    return yearly.get_statement(c.session, statement_id)


@router.post("/evaluation/sustainability", response_model=SustainabilityRead)
def save_sustainability(data: SustainabilityIn, c: Write):
    """Your sustainability figures of a year with the carbon activities and emission factors: the
    footprint (scopes 1/2/3, units checked), the E/S/G indicators (missing when not reported) and
    their scores are computed and the record stored whole."""
    row = yearly.save_sustainability(c.session, c.principal.tenant_id, data, c.principal.user_id)
    c.commit()
    return row


@router.get("/evaluation/sustainability", response_model=list[SustainabilityRead])
def list_sustainability(c: Read, year: OptYear = None):
    return yearly.list_sustainability(c.session, year)


@router.get("/evaluation/sustainability/{record_id}", response_model=SustainabilityRead)
def get_sustainability(record_id: int, c: Read):
    return yearly.get_sustainability(c.session, record_id)


# ---- reports ----------------------------------------------------------------------------------------


@router.get("/evaluation/evaluations/{evaluation_id}/report.html", response_class=Response,
            responses={200: {"content": {"text/html": {}}}})  # fmt: skip
def report_html(evaluation_id: int, c: Read, lang: Lang = "zh"):
    """The enterprise report as one HTML document (charts drawn by the Plotly.js this server serves)."""
    from somp.modules.evaluation.report_render import render_html

    data = reports.report_data(c.db, c.session, evaluation_id, lang)
    return Response(render_html(data), media_type="text/html; charset=utf-8")


@router.get("/evaluation/evaluations/{evaluation_id}/report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})  # fmt: skip
def report_pdf(evaluation_id: int, c: Read, lang: Lang = "zh"):
    """The enterprise report printed to PDF by headless Chromium (A4, charts included)."""
    from somp.modules.evaluation.report_render import PdfUnavailable, render_pdf

    data = reports.report_data(c.db, c.session, evaluation_id, lang)
    c.session.rollback()  # nothing to keep: end the read before the (slow) printing
    try:
        pdf = render_pdf(data)
    except PdfUnavailable as e:
        raise PdfPrintingUnavailable(str(e)) from None
    return _download(pdf, "application/pdf", reports.filename(data, "pdf"))


@router.get("/evaluation/evaluations/{evaluation_id}/report.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})  # fmt: skip
def report_xlsx(evaluation_id: int, c: Read, lang: Lang = "zh"):
    """The report as an Excel workbook (summary, dimensions with a radar chart, indicators with
    sources and evidence digests, gaps, input-output and sustainability sheets)."""
    from somp.modules.evaluation.report_render import labels

    data = reports.report_data(c.db, c.session, evaluation_id, lang)
    return _download(reports.excel(data, labels(lang)[0]), XLSX, reports.filename(data, "xlsx"))


@router.get("/evaluation/evaluations/{evaluation_id}/badge.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})  # fmt: skip
def badge(evaluation_id: int, c: Read, lang: Lang = "zh"):
    """The maturity badge (level, level name, score) of the evaluation, as SVG."""
    ev = service.get_evaluation(c.session, evaluation_id)
    name = ((ev.result or {}).get("level_name") or {}).get(lang)
    return Response(reports.badge_svg(ev.level, name, ev.score, lang), media_type="image/svg+xml",
                    headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})  # fmt: skip
