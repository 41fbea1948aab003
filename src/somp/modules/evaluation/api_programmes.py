"""REST routes of the standards catalogue, conformance self-checks, recognition programmes and stored
regions (issue 4; 1.3.1, 1.3.4) under ``/api/v1/evaluation``; included by :mod:`.api`.

Permissions: the catalogue, the programmes and the dashboard are read with ``self_assessment:read``
(an enterprise) or ``evaluation:read`` (the evaluator); an enterprise writes its own self-checks,
applications and declared supplier spend with ``self_assessment:write``; the evaluator adds or
updates catalogue entries, decides applications, files regional applications and keeps the regions
with ``evaluation:review`` (written in a platform session: the evaluator's own view is read-only).
Stored regions and their ranking are the evaluator's (``evaluation:read``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from somp.api.deps import RequestContext, requires
from somp.core.schemas import MAX_ID
from somp.modules.evaluation import evidence, programmes, record_files, regions_service, standards
from somp.modules.evaluation.api_deps import Read, Review, Write
from somp.modules.evaluation.models import ApplicationStatus, StandardStatus
from somp.modules.evaluation.schemas_programmes import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationUpdate,
    CheckCreate,
    CheckRead,
    CheckUpdate,
    DecisionIn,
    FiguresIn,
    MemberIn,
    MemberRead,
    RankingIn,
    RecordFileRead,
    RegionApplicationCreate,
    RegionDetail,
    RegionIn,
    RegionRead,
    StandardIn,
    StandardRead,
    StandardsRead,
    StatisticsIn,
    VersionIn,
)

router = APIRouter(tags=["evaluation"])
EvalRead = Annotated[RequestContext, Depends(requires("evaluation:read"))]
OwnRead = Annotated[RequestContext, Depends(requires("self_assessment:read"))]


# ---- standards catalogue ------------------------------------------------------------------------------


@router.get("/evaluation/standards", response_model=StandardsRead)
def list_standards(c: Read, status: StandardStatus | None = None, framework: str | None = Query(None, max_length=10)):
    """The standards catalogue (mapped to framework nodes; status, verification, clauses) and the
    progress of published SOM standards against the plan's target of 20."""
    rows = standards.list_standards(c.db, c.session, status=status, framework=framework)
    p = standards.progress(c.db, c.session)
    return {"progress": p.__dict__, "items": rows}


@router.post("/evaluation/standards", response_model=StandardRead, status_code=status.HTTP_201_CREATED)
def add_standard(data: StandardIn, c: Review):
    """Evaluators: add a catalogue entry (a planned, drafting or published standard)."""
    rid = standards.save_standard(c.db, data.model_dump(mode="json"))
    c.session.rollback()
    return standards.get_standard(c.db, c.session, rid)


@router.get("/evaluation/standards/{standard_id}", response_model=StandardRead)
def get_standard(standard_id: int, c: Read):
    return standards.get_standard(c.db, c.session, standard_id)


@router.put("/evaluation/standards/{standard_id}", response_model=StandardRead)
def update_standard(standard_id: int, data: StandardIn, c: Review):
    """Evaluators: replace a catalogue entry (e.g. drafting -> published with its code and year)."""
    standards.save_standard(c.db, data.model_dump(mode="json"), standard_id)
    c.session.rollback()
    return standards.get_standard(c.db, c.session, standard_id)


# ---- conformance self-checks (对标达标) ---------------------------------------------------------------


@router.get("/evaluation/conformance", response_model=list[CheckRead])
def list_checks(c: Read, standard_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None):
    """Self-checks against standards: an enterprise's own; the evaluator's: every submitted one."""
    return standards.list_checks(c.session, standard_id)


@router.post("/evaluation/conformance", response_model=CheckRead, status_code=status.HTTP_201_CREATED)
def start_check(data: CheckCreate, c: Write):
    """Start a self-check against a standard's clauses; the conformance share is computed at once."""
    row = standards.start_check(
        c.db,
        c.session,
        data.standard_id,
        [i.model_dump(mode="json", exclude_none=True) for i in data.items],
        c.principal.user_id,
    )
    c.commit()
    return row


@router.get("/evaluation/conformance/{check_id}", response_model=CheckRead)
def get_check(check_id: int, c: Read):
    return standards.get_check(c.session, check_id)


@router.put("/evaluation/conformance/{check_id}", response_model=CheckRead)
def update_check(check_id: int, data: CheckUpdate, c: Write):
    """Replace the judgements (all or nothing); ``submit`` makes the self-check final."""
    row = standards.update_check(
        c.db,
        c.session,
        check_id,
        [i.model_dump(mode="json", exclude_none=True) for i in data.items],
        data.version,
        data.submit,
    )
    c.commit()
    return row


# ---- recognition programmes ---------------------------------------------------------------------------


@router.get("/evaluation/programmes", response_model=list[dict[str, Any]])
def list_programmes(c: Read):
    """The recognition programmes with their eligibility criteria (data/programmes.yaml): metric,
    threshold, its basis (published text, issue, proposal) and how the platform measures it."""
    return programmes.programme_list()


@router.get("/evaluation/programmes/dashboard", response_model=dict[str, Any])
def programme_dashboard(c: Read):
    """Progress toward the plan's 2028 targets: 20 standards, 50 leading brands, 100 innovation
    highlands; applications of each programme by status."""
    return programmes.dashboard(c.db, c.session)


@router.get("/evaluation/applications", response_model=list[ApplicationRead])
def list_applications(
    c: Read,
    programme: str | None = Query(None, max_length=60),
    status: ApplicationStatus | None = None,
    year: int | None = Query(None, ge=2000, le=2100),
):
    """Applications: an enterprise's own; the evaluator's: every submitted one (enterprises and regions)."""
    return programmes.list_applications(c.session, programme=programme, status=status, year=year)


@router.post("/evaluation/applications", response_model=ApplicationRead, status_code=status.HTTP_201_CREATED)
def apply(data: ApplicationCreate, c: Write):
    """Apply to an enterprise programme for a year (draft); the criteria are checked at once against
    measured figures where the platform has them, else the declared ones."""
    row = programmes.apply(c.db, c.session, data.model_dump(mode="json"), c.principal.user_id)
    c.commit()
    return row


@router.get("/evaluation/applications/{application_id}", response_model=ApplicationRead)
def get_application(application_id: int, c: Read):
    return programmes.get_application(c.session, application_id)


@router.put("/evaluation/applications/{application_id}", response_model=ApplicationRead)
def update_application(application_id: int, data: ApplicationUpdate, c: Write):
    row = programmes.update(c.db, c.session, application_id, data.model_dump(mode="json"))
    c.commit()
    return row


@router.post("/evaluation/applications/{application_id}/submit", response_model=ApplicationRead)
def submit_application(application_id: int, data: VersionIn, c: Write):
    row = programmes.submit(c.db, c.session, application_id, data.version)
    c.commit()
    return row


@router.post("/evaluation/applications/{application_id}/decision", response_model=ApplicationRead)
def decide(application_id: int, data: DecisionIn, c: Review):
    """Evaluators: take for review, then approve (every criterion met on the figures checked now;
    else 409 ``criteria_not_met`` with the checks), reject or return with a note."""
    return programmes.review(c.db, c.session, application_id, data.model_dump(), c.principal.user_id)


@router.post("/evaluation/region-applications", response_model=ApplicationRead, status_code=status.HTTP_201_CREATED)
def file_region_application(data: RegionApplicationCreate, c: Review):
    """Evaluators: a stored region's application to a regional programme (demonstration city,
    innovation highland), submitted at once and checked against the regional evaluation."""
    rid = programmes.file_region_application(c.db, data.model_dump(mode="json"), c.principal.user_id)
    c.session.rollback()
    return programmes.get_application(c.session, rid)


# ---- stored regions (1.3.4) ---------------------------------------------------------------------------


def _region_detail(c: RequestContext, region_id: int) -> dict[str, Any]:
    row = regions_service.get_region(c.session, region_id)
    stats = regions_service.statistics_of(c.session, [row.id])
    return {**{k: getattr(row, k) for k in ("id", "code", "name_zh", "name_en", "area_km2")},
            "statistics": [{"year": s.year, "name": s.name, "value": s.value, "source": s.source} for s in stats],
            "members": regions_service.members_of(c.session, row.id)}  # fmt: skip


@router.get("/evaluation/region-registry", response_model=list[RegionRead])
def list_regions(c: EvalRead):
    """Evaluators: the stored regions."""
    return regions_service.list_regions(c.session)


@router.post("/evaluation/region-registry", response_model=RegionDetail, status_code=status.HTTP_201_CREATED)
def create_region(data: RegionIn, c: Review):
    """Evaluators: store a region (GB/T 2260 code checked, area in km²)."""
    rid = regions_service.save_region(c.db, data.model_dump())
    c.session.rollback()
    return _region_detail(c, rid)


@router.get("/evaluation/region-registry/{region_id}", response_model=RegionDetail)
def get_region(region_id: int, c: EvalRead):
    return _region_detail(c, region_id)


@router.put("/evaluation/region-registry/{region_id}", response_model=RegionDetail)
def update_region(region_id: int, data: RegionIn, c: Review):
    regions_service.save_region(c.db, data.model_dump(), region_id)
    c.session.rollback()
    return _region_detail(c, region_id)


@router.put("/evaluation/region-registry/{region_id}/statistics", response_model=RegionDetail)
def set_statistics(region_id: int, data: StatisticsIn, c: Review):
    """Evaluators: yearly statistics (manufacturing enterprises, service platforms) with their source;
    the batch is stored whole or refused."""
    regions_service.set_statistics(c.db, region_id, [s.model_dump() for s in data.statistics])
    c.session.rollback()
    return _region_detail(c, region_id)


@router.post("/evaluation/region-registry/{region_id}/members", response_model=RegionDetail)
def add_member(region_id: int, data: MemberIn, c: Review):
    """Evaluators: count an enterprise in the region (``som``: as a service-oriented manufacturer)."""
    regions_service.add_member(c.db, region_id, data.tenant_id, data.som)
    c.session.rollback()
    return _region_detail(c, region_id)


@router.delete("/evaluation/region-registry/{region_id}/members/{member_id}", status_code=204)
def remove_member(region_id: int, member_id: int, c: Review):
    regions_service.remove_member(c.db, region_id, member_id)


@router.post("/evaluation/region-registry/ranking", response_model=dict[str, Any])
def ranking(data: RankingIn, c: EvalRead):
    """Evaluators: the stored regions evaluated together over the years (indicators in the three
    dimensions, index, rank per year; ``previous_year``: year-over-year changes), each enterprise
    figure with its source (measured, declared, missing)."""
    return regions_service.evaluate(c.db, c.session, data.years, data.previous_year)


@router.get("/evaluation/region-memberships", response_model=list[MemberRead])
def my_memberships(c: OwnRead):
    """The regions your enterprise is counted in, with your declared supplier spend by year."""
    return regions_service.members_of(c.session)


@router.post("/evaluation/region-memberships/{member_id}/figures", response_model=MemberRead)
def declare_figures(member_id: int, data: FiguresIn, c: Write):
    """Declare your supplier spend of a year, total and with suppliers inside the region (the local
    industrial-chain collaboration rate is computed from it)."""
    row = regions_service.declare_figures(c.session, member_id, data.year, data.supplier_spend,
                                          data.supplier_spend_local)  # fmt: skip
    c.commit()
    return row


# ---- evidence files of self-checks and applications -----------------------------------------------------

EvidenceUpload = Annotated[UploadFile | None, File(description="PDF, PNG, JPEG, Office document, CSV or text")]


def _read_upload(file: UploadFile | None) -> tuple[str | None, bytes | None]:
    return (None, None) if file is None else (file.filename, file.file.read(evidence.MAX_BYTES + 1))


@router.post("/evaluation/conformance/{check_id}/files", response_model=RecordFileRead,
             status_code=status.HTTP_201_CREATED)  # fmt: skip
def upload_check_file(check_id: int, c: Write, clause: Annotated[str | None, Form(max_length=40)] = None,
                      file: EvidenceUpload = None):  # fmt: skip
    """Attach an evidence file to a clause of your self-check (not submitted). At most 10 MiB; the
    content type is recognised from the bytes and must match the name's extension; the sha256 is
    returned; the summary counts the clause as evidenced."""
    standards.get_check(c.session, check_id)  # another enterprise's: 404 before the file is read
    name, data = _read_upload(file)
    row = record_files.upload_for_check(c.db, c.session, check_id, clause, name, data, c.principal.user_id)
    c.commit()
    return row


@router.get("/evaluation/conformance/{check_id}/files", response_model=list[RecordFileRead])
def list_check_files(check_id: int, c: Read):
    """The evidence files of a self-check (the evaluator: submitted ones), without content."""
    return record_files.list_for_check(c.session, check_id)


@router.post("/evaluation/applications/{application_id}/files", response_model=RecordFileRead,
             status_code=status.HTTP_201_CREATED)  # fmt: skip
def upload_application_file(application_id: int, c: Write,
                            criterion: Annotated[str | None, Form(max_length=60)] = None,
                            file: EvidenceUpload = None):  # fmt: skip
    """Attach an evidence file to your application (draft or returned), optionally to one criterion
    (its metric); checked as the maturity evidence files are."""
    programmes.get_application(c.session, application_id)  # another enterprise's: 404 before the file
    name, data = _read_upload(file)
    row = record_files.upload_for_application(c.db, c.session, application_id, criterion, name, data,
                                              c.principal.user_id)  # fmt: skip
    c.commit()
    return row


@router.put("/evaluation/region-applications/{application_id}", response_model=ApplicationRead)
def update_region_application(application_id: int, data: ApplicationUpdate, c: Review):
    """Evaluators: change a returned regional application's declared figures and evidence
    references (checked again)."""
    programmes.update_region_application(c.db, application_id, data.model_dump(mode="json"))
    c.session.rollback()
    return programmes.get_application(c.session, application_id)


@router.post("/evaluation/region-applications/{application_id}/submit", response_model=ApplicationRead)
def resubmit_region_application(application_id: int, data: VersionIn, c: Review):
    """Evaluators: submit a returned regional application again."""
    programmes.resubmit_region_application(c.db, application_id, data.version)
    c.session.rollback()
    return programmes.get_application(c.session, application_id)


@router.post("/evaluation/region-applications/{application_id}/files", response_model=RecordFileRead,
             status_code=status.HTTP_201_CREATED)  # fmt: skip
def upload_region_application_file(application_id: int, c: Review,
                                   criterion: Annotated[str | None, Form(max_length=60)] = None,
                                   file: EvidenceUpload = None):  # fmt: skip
    """Evaluators: attach an evidence file to a regional application (until its review starts, or
    when returned), optionally to one criterion; checked as the other evidence files are. It is read
    like an enterprise application's (``GET /evaluation/applications/{id}/files``,
    ``GET /evaluation/record-files/{id}``)."""
    name, data = _read_upload(file)
    return record_files.upload_for_region_application(c.db, application_id, criterion, name, data,
                                                      c.principal.user_id)  # fmt: skip


@router.delete("/evaluation/region-applications/{application_id}/files/{file_id}",
               status_code=status.HTTP_204_NO_CONTENT)  # fmt: skip
def delete_region_application_file(application_id: int, file_id: int, c: Review):
    """Evaluators: remove an evidence file of a regional application while its evidence may change."""
    record_files.delete_for_region_application(c.db, application_id, file_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/evaluation/applications/{application_id}/files", response_model=list[RecordFileRead])
def list_application_files(application_id: int, c: Read):
    """The evidence files of an application (the evaluator: submitted ones), without content."""
    return record_files.list_for_application(c.session, application_id)


@router.get("/evaluation/record-files/{file_id}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})  # fmt: skip
def download_record_file(file_id: int, c: Read):
    """The file, as an attachment (the enterprise: its own; the evaluator: of submitted self-checks and
    applications), with ``nosniff`` and a sandboxing content security policy."""
    row = record_files.get(c.session, file_id)
    return download(row.content, row.content_type, row.filename)


@router.delete("/evaluation/record-files/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_record_file(file_id: int, c: Write):
    """Remove an evidence file while its self-check or application is editable."""
    record_files.delete(c.db, c.session, file_id)
    c.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def download(content: bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": evidence.content_disposition(name),
                             "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
                             "Cache-Control": "no-store"})  # fmt: skip
