"""REST routes of statistical evaluation (1.3.1, 1.3.2) under ``/api/v1/evaluation``.

Permissions: an enterprise works on its own evaluations with ``self_assessment:read`` /
``self_assessment:write``; the evaluator reads submitted evaluations of every enterprise with
``evaluation:read`` and reviews them with ``evaluation:review`` (and writes nothing else). The AHP
and input-output engines run for either.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status

from somp.api.common import Listing, page
from somp.core.errors import FieldError as FE
from somp.core.errors import Forbidden, ValidationFailed
from somp.core.pagination import Page
from somp.modules.evaluation import service
from somp.modules.evaluation.api_deps import OptId, Read, Review, Write
from somp.modules.evaluation.models import EvaluationStatus
from somp.modules.evaluation.schemas import (
    AhpIn,
    AhpRead,
    AnswersIn,
    CarbonIn,
    CarbonResult,
    EvaluationCreate,
    EvaluationDetail,
    EvaluationListItem,
    EvaluationRead,
    EvaluationVersion,
    IOResult,
    RegionsIn,
    ReviewIn,
    SystemCreate,
    SystemDetail,
    SystemRead,
)

router = APIRouter(tags=["evaluation"])
MAX_TABLE_BYTES = 50 * 1024 * 1024


# ---- indicator systems ------------------------------------------------------------------------------


@router.get("/evaluation/systems", response_model=list[SystemRead])
def list_systems(c: Read):
    """The indicator systems you may evaluate with: the platform's (``tenant_id`` null, e.g. the
    built-in default maturity system) and your enterprise's own versions."""
    return service.list_systems(c.db, c.session)


@router.post("/evaluation/systems", response_model=SystemRead, status_code=status.HTTP_201_CREATED)
def create_system(data: SystemCreate, c: Write):
    """Store a new indicator system version from its YAML text; every validation error comes back as
    a field error naming its path in the document."""
    row = service.create_system(c.session, data, c.principal.user_id)
    c.commit()
    return row


@router.get("/evaluation/systems/{system_id}", response_model=SystemDetail)
def get_system(system_id: int, c: Read):
    """A system version with its YAML document, bilingual questionnaire and indicator list."""
    return service.system_detail(service.get_system(c.db, c.session, system_id))


# ---- evaluations ------------------------------------------------------------------------------------


@router.get("/evaluation/evaluations", response_model=Page[EvaluationListItem])
def list_evaluations(
    c: Read,
    params: Listing,
    status: EvaluationStatus | None = None,
    system_id: OptId = None,
    tenant_id: OptId = None,
):
    """Evaluations with score, maturity level and coverage (newest first with ``order=desc``). An
    enterprise sees its own; the evaluator sees every enterprise's submitted ones."""
    items, nxt = service.list_evaluations(
        c.session, status=status, system_id=system_id, tenant_id=tenant_id, **params.kw()
    )
    names = service.enterprise_names(c.session, {e.tenant_id for e in items})
    rows = [EvaluationListItem.model_validate(e).model_copy(update={"enterprise": names.get(e.tenant_id)})
            for e in items]  # fmt: skip
    return page((rows, nxt), params)


@router.post("/evaluation/evaluations", response_model=EvaluationRead, status_code=status.HTTP_201_CREATED)
def start_evaluation(data: EvaluationCreate, c: Write):
    """Start a draft evaluation of your enterprise against one system version for a period."""
    ev = service.start_evaluation(c.db, c.session, data, c.principal.user_id)
    c.commit()
    return ev


@router.get("/evaluation/evaluations/{evaluation_id}", response_model=EvaluationDetail)
def get_evaluation(evaluation_id: int, c: Read):
    """An evaluation with every answer (value, source, evidence) and the stored result: node scores
    and coverage, each indicator's value and where it came from, the level criteria and the gaps to
    the next level."""
    return service.detail(c.db, c.session, service.get_evaluation(c.session, evaluation_id))


@router.post("/evaluation/evaluations/{evaluation_id}/answers", response_model=EvaluationDetail)
def set_answers(evaluation_id: int, data: AnswersIn, c: Write):
    """Questionnaire answers and uploaded figures (``value`` null: missing), with evidence by name and
    sha256; the result is scored again."""
    ev = service.set_answers(c.db, c.session, evaluation_id, data, c.principal.user_id)
    c.commit()
    return service.detail(c.db, c.session, ev)


@router.post("/evaluation/evaluations/{evaluation_id}/compute", response_model=EvaluationDetail)
def compute(evaluation_id: int, data: EvaluationVersion, c: Write):
    """Compute the platform indicators from your enterprise's data for the period, and score."""
    ev = service.compute(c.db, c.session, evaluation_id, data.version)
    c.commit()
    return service.detail(c.db, c.session, ev)


@router.post("/evaluation/evaluations/{evaluation_id}/submit", response_model=EvaluationDetail)
def submit(evaluation_id: int, data: EvaluationVersion, c: Write):
    """Submit the self-assessment to the evaluators (draft or returned -> self_assessed)."""
    ev = service.submit(c.db, c.session, evaluation_id, c.principal.user_id, data.version)
    c.commit()
    return service.detail(c.db, c.session, ev)


@router.post("/evaluation/evaluations/{evaluation_id}/review", response_model=EvaluationDetail)
def review(evaluation_id: int, data: ReviewIn, c: Review):
    """Evaluators: take a self-assessment for review (under_review), then accept it (reviewed) or
    return it to the enterprise (returned) with a note."""
    ev = service.review(c.db, c.session, evaluation_id, data, c.principal.user_id)
    return service.detail(c.db, c.session, ev)


# ---- engines on uploaded data -------------------------------------------------------------------------


@router.post("/evaluation/ahp", response_model=AhpRead)
def ahp(data: AhpIn, c: Read):
    """AHP weights (principal eigenvector), lambda_max, CI and CR (Saaty's random index) of a pairwise
    matrix. CR above ``max_cr`` is refused (422, code ``ahp_inconsistent``) naming the most
    inconsistent pair; the computed weights are in the problem's ``result``."""
    from somp.modules.evaluation.mcda import AhpInconsistent, McdaInvalid, read_pairwise_csv
    from somp.modules.evaluation.mcda import ahp as run_ahp

    try:
        if data.csv is not None:
            matrix, names = read_pairwise_csv(data.csv)
        else:
            matrix, names = data.matrix, data.criteria
        return run_ahp(matrix, names, max_cr=data.max_cr).to_dict()
    except AhpInconsistent as e:
        raise ValidationFailed(str(e), [FE("matrix", str(e), e.code, params=e.params)],
                               {"result": e.result.to_dict()}) from None  # fmt: skip
    except McdaInvalid as e:
        raise ValidationFailed(str(e), [FE("csv" if data.csv is not None else "matrix", str(e), e.code,
                                           params=e.params or None)]) from None  # fmt: skip


def _codes(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


@router.post("/evaluation/input-output", response_model=IOResult)
def input_output(
    c: Read,
    file: Annotated[UploadFile, File(description="input-output table, .csv or .xlsx (docs/evaluation.md)")],
    services: Annotated[str, Form(description="service sector codes, comma-separated")],
    manufacturing: Annotated[str, Form(description="manufacturing sector codes, comma-separated")],
    multi_region: Annotated[bool, Form()] = False,
    rtol: Annotated[float, Form(gt=0, le=0.1)] = 1e-3,
):
    """Balance check, direct (A) and complete (B = L - I) consumption coefficients of the service
    sectors in each manufacturing sector (domestic and imported for multi-region tables). An
    unbalanced table is refused (422, code ``unbalanced``) with its unbalanced sectors listed."""
    from somp.modules.evaluation.input_output import IOInvalid, IOUnbalanced, analyse, service_inputs
    from somp.modules.evaluation.io_tables import read_io_table

    name = (file.filename or "").lower()
    fmt = "xlsx" if name.endswith((".xlsx", ".xlsm")) else "csv" if name.endswith(".csv") else None
    if fmt is None:
        raise ValidationFailed("unknown table format", [FE("file", "upload a .csv or .xlsx file", "unknown_format")])
    raw = file.file.read(MAX_TABLE_BYTES + 1)
    if len(raw) > MAX_TABLE_BYTES:
        raise ValidationFailed("table too large", [FE("file", f"at most {MAX_TABLE_BYTES} bytes", "too_large")])
    try:
        table = read_io_table(io.BytesIO(raw), multi_region=multi_region, rtol=rtol, fmt=fmt)
        analysis = analyse(table)
        rows = service_inputs(analysis, _codes(services), _codes(manufacturing))
    except IOUnbalanced as e:
        raise ValidationFailed(str(e), [FE("file", str(e), e.code)], {"imbalances": e.params["imbalances"]}) from None
    except IOInvalid as e:
        field = "services" if e.code in ("unknown_sector", "no_sectors") else "file"
        raise ValidationFailed(str(e), [FE(field, str(e), e.code)]) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationFailed("cannot read the table", [FE("file", str(e)[:300], "unreadable")]) from None
    return {
        "regions": [r for r in table.regions if r],
        "sectors": list(table.sectors),
        "balances_checked": list(table.balances_checked),
        "balanced": not table.imbalances,
        "imbalances": [],
        "service_inputs": [s.to_dict() for s in rows],
    }


@router.post("/evaluation/carbon", response_model=CarbonResult)
def carbon(data: CarbonIn, c: Read):
    """Scope 1/2/3 carbon footprint (1.3.3) in t CO2e per line, scope and category, from activity
    quantities and the user's emission factors; incompatible units are refused (422) naming both."""
    from somp.modules.evaluation.carbon import Activity, CarbonInvalid, EmissionFactor, Scope, footprint

    try:
        fp = footprint(
            [Activity(a.name, Scope(a.scope), a.quantity, a.unit, a.factor, a.category,
                      None if a.conversion_value is None else (a.conversion_value, a.conversion_unit))
             for a in data.activities],
            [EmissionFactor(f.key, f.value, f.unit, f.source, f.gas, f.gwp) for f in data.factors],
        )  # fmt: skip
        intensity = None if data.intensity_denominator is None else fp.intensity(data.intensity_denominator,
                                                                                 data.intensity_unit)
    except CarbonInvalid as e:
        raise ValidationFailed(str(e), [FE("activities", str(e), e.code, params=e.params or None)]) from None
    return {
        "lines": [asdict(ln) | {"scope": int(ln.scope)} for ln in fp.lines],
        "by_scope": fp.by_scope,
        "by_category": fp.by_category,
        "total_t": fp.total_t,
        "intensity": intensity,
    }


@router.post("/evaluation/regions", response_model=dict[str, Any])
def regions(data: RegionsIn, c: Read):
    """Regional evaluation (1.3.4): per region and year the indicators of the three dimensions
    (industrial ecosystem, development results, degree of integration), dimension scores, the 0-100
    index with its coverage and the rank within the year; with ``previous_year`` the year-over-year
    changes. Missing indicators stay missing (with a note), never 0."""
    from somp.modules.evaluation import regional as rg

    records = [rg.EnterpriseRecord(**r.model_dump()) for r in data.records]
    if data.include_platform:
        if not c.principal.can("evaluation:read"):
            raise Forbidden("include_platform reads every enterprise: evaluators only")
        posted = {(r.enterprise, r.year) for r in records}
        found = service.platform_records(c.db, c.session, [r.code for r in data.regions], data.years)
        records += [r for r in found if (r.enterprise, r.year) not in posted]
    try:
        ev = rg.evaluate_regions([rg.Region(r.code, r.name, r.area_km2, r.statistics) for r in data.regions],
                                 records, sorted(set(data.years)))  # fmt: skip
        yoy = None if data.previous_year is None else rg.year_over_year(ev, max(data.years), data.previous_year)
    except (rg.RegionalInvalid, ValueError) as e:
        raise ValidationFailed(str(e), [FE("regions", str(e), getattr(e, "code", "invalid"))]) from None
    rows = [
        {"region": r.region, "year": r.year, "index": r.index, "rank": r.rank, "dimensions": r.dimensions,
         "coverage": r.coverage,
         "indicators": {k: {"value": v.value, "basis": v.basis, "note": v.note, "normalised": r.normalised[k]}
                        for k, v in r.indicators.items()}}
        for r in ev.rows
    ]  # fmt: skip
    changes = None if yoy is None else {
        code: {"rank": x["rank"], "previous_rank": x["previous_rank"], "rank_change": x["rank_change"],
               "changes": {k: {"previous": ch.previous, "current": ch.current, "delta": ch.delta}
                           for k, ch in x["changes"].items()}}
        for code, x in yoy.items()
    }  # fmt: skip
    return {
        "rows": rows,
        "year_over_year": changes,
        "records": len(records),
        "dimensions": rg.DIMENSIONS,
        "indicators": {k: {"dimension": d, "weight": w, "zh": zh, "en": en}
                       for k, (d, w, zh, en) in rg.INDICATORS.items()},
    }


from somp.modules.evaluation.api_programmes import router as _programmes_router  # noqa: E402

router.include_router(_programmes_router)  # standards, programmes, stored regions (issue 4)
# uploads (evidence, Excel, financial statements, sustainability) and reports: api_reports.py
from somp.modules.evaluation.api_reports import router as _reports_router  # noqa: E402

router.include_router(_reports_router)
from somp.modules.evaluation.api_region_report import router as _region_report_router  # noqa: E402

router.include_router(_region_report_router)  # the region report (1.3.4)
