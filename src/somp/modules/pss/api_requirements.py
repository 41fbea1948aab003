"""REST routes of requirements engineering (framework node 2.1.1) under
``/api/v1/pss/requirements``: requirements and their history, Kano questionnaires (answers by JSON
or by a CSV/Excel upload, validated whole; results), and the house of quality of an offering
(stored parts, and the priorities computed on the current weights). Thin: the work is in
:mod:`.requirements`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.errors import FieldError, ValidationFailed
from somp.core.pagination import Page
from somp.modules.pss import requirements as svc
from somp.modules.pss.requirements_io import AnswerRow, TableInvalid, read_answers
from somp.modules.pss.requirements_models import RequirementSource, RequirementStatus
from somp.modules.pss.requirements_schemas import (
    AnswersIn,
    AnswersStored,
    HouseIn,
    HousePriorities,
    HouseRead,
    KanoResults,
    QuestionnaireCreate,
    QuestionnaireRead,
    QuestionnaireUpdate,
    RequirementChangeRead,
    RequirementCreate,
    RequirementRead,
    RequirementUpdate,
)

router = APIRouter(tags=["pss requirements"])
Read = Annotated[RequestContext, Depends(requires("pss:read"))]
Write = Annotated[RequestContext, Depends(requires("pss:write"))]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
BASE = "/pss/requirements"

# ---- Kano questionnaires (before /{requirement_id}, whose path would otherwise match first)


@router.get(f"{BASE}/kano-questionnaires", response_model=Page[QuestionnaireRead])
def list_questionnaires(c: Read, params: Listing, offering_id: int | None = None):
    return page(svc.list_questionnaires(c.session, offering_id=offering_id, **params.kw()), params)


@router.post(f"{BASE}/kano-questionnaires", response_model=QuestionnaireRead, status_code=status.HTTP_201_CREATED)
def create_questionnaire(data: QuestionnaireCreate, c: Write):
    """A questionnaire on an offering: a functional/dysfunctional question pair per requirement."""
    qn = svc.create_questionnaire(c.session, data)
    out = QuestionnaireRead.model_validate(svc.questionnaire_view(c.session, qn.id))
    c.commit()
    return out


@router.get(f"{BASE}/kano-questionnaires/{{questionnaire_id}}", response_model=QuestionnaireRead)
def get_questionnaire(questionnaire_id: int, c: Read):
    return svc.questionnaire_view(c.session, questionnaire_id)


@router.patch(f"{BASE}/kano-questionnaires/{{questionnaire_id}}", response_model=QuestionnaireRead)
def update_questionnaire(questionnaire_id: int, data: QuestionnaireUpdate, c: Write):
    """Rename, or close (no more answers) / reopen."""
    svc.update_questionnaire(c.session, questionnaire_id, data)
    out = QuestionnaireRead.model_validate(svc.questionnaire_view(c.session, questionnaire_id))
    c.commit()
    return out


@router.post(
    f"{BASE}/kano-questionnaires/{{questionnaire_id}}/answers",
    response_model=AnswersStored,
    status_code=status.HTTP_201_CREATED,
)
def record_answers(questionnaire_id: int, data: AnswersIn, c: Write):
    """Answer pairs (respondent, requirement code, functional, dysfunctional): stored whole or refused
    with every problem (422)."""
    rows = [
        AnswerRow(i + 1, a.respondent, a.requirement, a.functional, a.dysfunctional) for i, a in enumerate(data.answers)
    ]
    out = svc.record_answers(c.session, questionnaire_id, rows)
    c.commit()
    return out


@router.post(
    f"{BASE}/kano-questionnaires/{{questionnaire_id}}/answers/upload",
    response_model=AnswersStored,
    status_code=status.HTTP_201_CREATED,
)
def upload_answers(
    questionnaire_id: int,
    c: Write,
    file: Annotated[
        UploadFile | None,
        File(description="answer table, .csv or .xlsx: respondent, requirement, functional, dysfunctional"),
    ] = None,
):
    """The same as ``/answers`` from a CSV or Excel file; every problem with its row number (422),
    and nothing stored then."""
    svc.get_questionnaire(c.session, questionnaire_id)  # 404 before reading anything
    if file is None:
        raise ValidationFailed("no file", [FieldError("file", "upload a .csv or .xlsx file", "required")])
    name = (file.filename or "").lower()
    fmt = "xlsx" if name.endswith((".xlsx", ".xlsm")) else "csv" if name.endswith((".csv", ".txt")) else None
    if fmt is None:
        raise ValidationFailed(
            "unknown table format", [FieldError("file", "upload a .csv or .xlsx file", "unknown_format")]
        )
    raw = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("file too large", [FieldError("file", f"at most {MAX_UPLOAD_BYTES} bytes", "too_large")])
    try:
        rows = read_answers(raw, fmt)
    except TableInvalid as e:
        raise svc.refused(e.problems, f"{len(e.problems)} problem(s) in the file; nothing was stored") from None
    out = svc.record_answers(c.session, questionnaire_id, rows)
    c.commit()
    return out


@router.get(f"{BASE}/kano-questionnaires/{{questionnaire_id}}/results", response_model=KanoResults)
def kano_results(questionnaire_id: int, c: Read):
    """Per requirement: counts per category, the Kano category (mode; ties M > O > A > I), its
    strength, Fong's significance, Better and Worse."""
    return svc.kano_results(c.session, questionnaire_id)


# ---- houses of quality


@router.get(f"{BASE}/qfd/{{offering_id}}", response_model=HouseRead)
def get_house(offering_id: int, c: Read):
    return svc.get_house(c.session, offering_id)


@router.put(f"{BASE}/qfd/{{offering_id}}", response_model=HouseRead)
def put_house(offering_id: int, data: HouseIn, c: Write):
    """Create or replace the offering's house of quality (checked whole; ``version`` guards edits)."""
    out = HouseRead.model_validate(svc.put_house(c.session, offering_id, data))
    c.commit()
    return out


@router.get(f"{BASE}/qfd/{{offering_id}}/priorities", response_model=HousePriorities)
def house_priorities(offering_id: int, c: Read):
    """Technical priorities (absolute, relative %, rank) on the requirements' current weights, the
    matrix, the roof and its trade-offs."""
    return svc.house_priorities(c.session, offering_id)


# ---- requirements


@router.get(BASE, response_model=Page[RequirementRead])
def list_requirements(
    c: Read,
    params: Listing,
    offering_id: int | None = None,
    customer_id: int | None = None,
    status: RequirementStatus | None = None,
    source_kind: RequirementSource | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    return page(
        svc.list_requirements(
            c.session,
            offering_id=offering_id,
            customer_id=customer_id,
            status=status,
            source_kind=source_kind,
            q=q,
            **params.kw(),
        ),
        params,
    )


@router.post(BASE, response_model=RequirementRead, status_code=201)
def create_requirement(data: RequirementCreate, c: Write):
    """Capture a requirement on an offering (source kind and reference: customer, ticket, survey...)."""
    out = RequirementRead.model_validate(svc.create_requirement(c.session, data, c.principal.user_id))
    c.commit()
    return out


@router.get(f"{BASE}/{{requirement_id}}", response_model=RequirementRead)
def get_requirement(requirement_id: int, c: Read):
    return svc.get_requirement(c.session, requirement_id)


@router.patch(f"{BASE}/{{requirement_id}}", response_model=RequirementRead)
def update_requirement(requirement_id: int, data: RequirementUpdate, c: Write):
    """Change fields or the status (captured -> analysed -> accepted -> implemented, or rejected);
    every change is kept in the history with the note."""
    out = RequirementRead.model_validate(svc.update_requirement(c.session, requirement_id, data, c.principal.user_id))
    c.commit()
    return out


@router.get(f"{BASE}/{{requirement_id}}/history", response_model=list[RequirementChangeRead])
def requirement_history(requirement_id: int, c: Read):
    return svc.list_changes(c.session, requirement_id)
