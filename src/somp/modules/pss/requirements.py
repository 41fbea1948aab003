"""Requirements engineering service of the pss module (framework node 2.1.1, 需求工程).

* Requirements on catalog offerings, captured from customers, tickets, surveys and elsewhere
  (source kind and reference stored as given), with priority, weight and status; every creation
  and change is kept in the change history (field -> [old, new], who, when, why). Status moves
  follow :data:`TRANSITIONS`.
* Kano questionnaires: question pairs per requirement of one offering; answer batches (API or
  CSV/Excel through :mod:`.requirements_io`) are validated whole and stored in one flush or not at
  all; results per requirement by :func:`somp.modules.pss.kano.analyse`.
* Houses of quality per offering: requirement rows, characteristics, relationships and roof,
  checked whole; priorities by :func:`somp.modules.pss.qfd.prioritise` with the weights taken from
  the requirements (importance) or adjusted by their Kano results
  (:func:`.requirements_io.kano_weight`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import Conflict, FieldError, NotFound, ValidationFailed, illegal_transition
from somp.core.pagination import Order
from somp.core.sequences import next_number
from somp.core.service import check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.core.tenancy import current_scope
from somp.modules.catalog.models import Offering
from somp.modules.customers.models import Customer
from somp.modules.pss import kano, qfd
from somp.modules.pss.requirements_io import (
    AnswerRow,
    Problem,
    TableInvalid,
    build_house,
    kano_dict,
    kano_weight,
    priorities_dict,
)
from somp.modules.pss.requirements_models import (
    KanoAnswer,
    KanoQuestion,
    KanoQuestionnaire,
    QfdHouse,
    QuestionnaireStatus,
    Requirement,
    RequirementChange,
    RequirementStatus,
    WeightSource,
)
from somp.modules.pss.requirements_schemas import (
    HouseIn,
    QuestionnaireCreate,
    QuestionnaireUpdate,
    RequirementCreate,
    RequirementUpdate,
)

S = RequirementStatus
TRANSITIONS: dict[RequirementStatus, frozenset[RequirementStatus]] = {
    S.captured: frozenset({S.analysed, S.accepted, S.rejected}),
    S.analysed: frozenset({S.accepted, S.rejected, S.captured}),
    S.accepted: frozenset({S.implemented, S.rejected, S.analysed}),
    S.implemented: frozenset({S.accepted}),  # reopened when the delivery falls short
    S.rejected: frozenset({S.captured}),
}


OPTIONAL_FIELDS = frozenset({"title_en", "description", "customer_id", "source_ref"})  # may be cleared (null)


def refused(problems: Sequence[Problem], detail: str = "invalid input") -> ValidationFailed:
    return ValidationFailed(detail, [FieldError(p.field, p.message, p.code, p.row) for p in problems])


def _json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    return getattr(v, "value", v)


# ---------------------------------------------------------------- requirements


def next_code(session: Session, tenant_id: int | None = None) -> str:
    """The next free requirement code ``REQ-<year>-<n>`` of the session's tenant (for a form left
    blank and for requirements captured from tickets)."""
    tid = tenant_id if tenant_id is not None else current_scope(session).tenant_id
    if tid is None:
        raise ValidationFailed("no tenant", [FieldError("code", "give a code", "required")])
    while True:
        code = next_number(session, tid, "REQ", utcnow().year)
        if session.scalar(select(Requirement.id).where(Requirement.code == code)) is None:
            return code


def create_requirement(session: Session, data: RequirementCreate, user_id: int | None) -> Requirement:
    require_ref(session, Offering, data.offering_id, "offering_id", "offering")
    require_ref(session, Customer, data.customer_id, "customer_id", "customer")
    ensure_unique(session, Requirement, "code", data.code)
    req = Requirement(**data.model_dump())
    session.add(req)
    session.flush()
    session.add(
        RequirementChange(
            requirement_id=req.id,
            by_user_id=user_id,
            kind="created",
            changes={k: [None, _json(v)] for k, v in data.model_dump().items() if v is not None},
        )
    )
    session.flush()
    return req


def get_requirement(session: Session, requirement_id: int) -> Requirement:
    return get_or_404(session, Requirement, requirement_id, "requirement")


def update_requirement(
    session: Session, requirement_id: int, data: RequirementUpdate, user_id: int | None
) -> Requirement:
    """Change fields and/or the status; each changed field goes to the history with the note."""
    req = get_requirement(session, requirement_id)
    check_version(req, data.version)
    values = data.model_dump(exclude_unset=True, exclude={"note", "version"})
    if "customer_id" in values:
        require_ref(session, Customer, values["customer_id"], "customer_id", "customer")
    target = values.get("status")
    if target is not None and target != req.status and target not in TRANSITIONS[req.status]:
        raise illegal_transition("pss_requirement_status", req.status, target, TRANSITIONS[req.status], "status")
    changes = {}
    for k, v in values.items():
        if k not in OPTIONAL_FIELDS and v is None:
            raise ValidationFailed("invalid input", [FieldError(k, "cannot be cleared", "required")])
        if getattr(req, k) != v:
            changes[k] = [_json(getattr(req, k)), _json(v)]
            setattr(req, k, v)
    if changes:
        kind = "status" if set(changes) == {"status"} else "updated"
        session.add(
            RequirementChange(requirement_id=req.id, by_user_id=user_id, kind=kind, changes=changes, note=data.note)
        )
        session.flush()
    return req


def list_requirements(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    offering_id: int | None = None,
    status: str | None = None,
    source_kind: str | None = None,
    customer_id: int | None = None,
    q: str | None = None,
) -> tuple[list[Requirement], str | None]:
    stmt = select(Requirement)
    for col, v in (
        (Requirement.offering_id, offering_id),
        (Requirement.status, status),
        (Requirement.source_kind, source_kind),
        (Requirement.customer_id, customer_id),
    ):
        if v is not None:
            stmt = stmt.where(col == v)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            Requirement.code.ilike(like) | Requirement.title.ilike(like) | Requirement.title_en.ilike(like)
        )
    return list_page(session, stmt, Requirement, limit=limit, cursor=cursor, order=order)


def list_changes(session: Session, requirement_id: int) -> list[RequirementChange]:
    get_requirement(session, requirement_id)
    stmt = select(RequirementChange).where(RequirementChange.requirement_id == requirement_id)
    return list(session.scalars(stmt.order_by(RequirementChange.id)))


# ---------------------------------------------------------------- Kano questionnaires


def create_questionnaire(session: Session, data: QuestionnaireCreate) -> KanoQuestionnaire:
    """A questionnaire on one offering; each question pair is about a requirement of that offering."""
    require_ref(session, Offering, data.offering_id, "offering_id", "offering")
    ensure_unique(session, KanoQuestionnaire, "code", data.code)
    ids = [q.requirement_id for q in data.questions]
    found = {r.id: r for r in session.scalars(select(Requirement).where(Requirement.id.in_(ids)))}
    errors, seen = [], set()
    for i, q in enumerate(data.questions):
        r = found.get(q.requirement_id)
        if r is None:
            errors.append(
                FieldError(f"questions.{i}.requirement_id", f"no requirement {q.requirement_id}", "not_found")
            )
        elif r.offering_id != data.offering_id:
            errors.append(
                FieldError(f"questions.{i}.requirement_id", f"{r.code} is about another offering", "other_offering")
            )
        if q.requirement_id in seen:
            errors.append(FieldError(f"questions.{i}.requirement_id", "asked twice", "duplicate"))
        seen.add(q.requirement_id)
    if errors:
        raise ValidationFailed("invalid questionnaire", errors)
    qn = KanoQuestionnaire(code=data.code, title=data.title, offering_id=data.offering_id)
    session.add(qn)
    session.flush()
    for n, q in enumerate(data.questions, start=1):
        title = found[q.requirement_id].title
        session.add(
            KanoQuestion(
                questionnaire_id=qn.id,
                requirement_id=q.requirement_id,
                line_no=n,
                functional=q.functional or f"如果具备「{title}」，您觉得如何？",
                dysfunctional=q.dysfunctional or f"如果不具备「{title}」，您觉得如何？",
            )
        )
    session.flush()
    return qn


def get_questionnaire(session: Session, questionnaire_id: int) -> KanoQuestionnaire:
    return get_or_404(session, KanoQuestionnaire, questionnaire_id, "Kano questionnaire")


def update_questionnaire(session: Session, questionnaire_id: int, data: QuestionnaireUpdate) -> KanoQuestionnaire:
    qn = get_questionnaire(session, questionnaire_id)
    for k, v in data.model_dump(exclude_unset=True).items():
        if v is None:
            raise ValidationFailed("invalid input", [FieldError(k, "cannot be cleared", "required")])
        setattr(qn, k, v)
    session.flush()
    return qn


def list_questionnaires(
    session: Session, *, limit: int, cursor: str | None, order: Order = "asc", offering_id: int | None = None
) -> tuple[list[KanoQuestionnaire], str | None]:
    stmt = select(KanoQuestionnaire)
    if offering_id is not None:
        stmt = stmt.where(KanoQuestionnaire.offering_id == offering_id)
    return list_page(session, stmt, KanoQuestionnaire, limit=limit, cursor=cursor, order=order)


def questions(session: Session, questionnaire_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(KanoQuestion, Requirement.code, Requirement.title)
        .join(Requirement, Requirement.id == KanoQuestion.requirement_id)
        .where(KanoQuestion.questionnaire_id == questionnaire_id)
        .order_by(KanoQuestion.line_no)
    )
    return [
        {
            "requirement_id": q.requirement_id,
            "requirement_code": code,
            "requirement_title": title,
            "line_no": q.line_no,
            "functional": q.functional,
            "dysfunctional": q.dysfunctional,
        }
        for q, code, title in rows
    ]


def questionnaire_view(session: Session, questionnaire_id: int) -> dict[str, Any]:
    qn = get_questionnaire(session, questionnaire_id)
    n, resp = session.execute(
        select(func.count(), func.count(func.distinct(KanoAnswer.respondent))).where(
            KanoAnswer.questionnaire_id == questionnaire_id
        )
    ).one()
    cols = ("id", "code", "title", "offering_id", "status", "created_at", "updated_at", "version")
    return {k: getattr(qn, k) for k in cols} | {
        "questions": questions(session, questionnaire_id),
        "answers": n,
        "respondents": resp,
    }


def record_answers(session: Session, questionnaire_id: int, rows: Sequence[AnswerRow]) -> dict[str, int]:
    """Store a batch of answer pairs whole, or refuse it with every reason: the questionnaire must
    be open, each requirement code one of its questions, and no respondent may answer a
    requirement twice (in the batch or before)."""
    qn = get_questionnaire(session, questionnaire_id)
    if qn.status is not QuestionnaireStatus.open:
        raise Conflict(f"questionnaire {qn.code} is closed", [FieldError("status", "closed", "closed")])
    by_code = {q["requirement_code"]: q["requirement_id"] for q in questions(session, questionnaire_id)}
    stored = set(
        session.execute(
            select(KanoAnswer.respondent, KanoAnswer.requirement_id).where(
                KanoAnswer.questionnaire_id == questionnaire_id
            )
        )
    )
    problems, batch, seen = [], [], {}
    for r in rows:
        rid = by_code.get(r.requirement)
        if rid is None:
            problems.append(
                Problem(
                    "requirement",
                    f"{r.requirement!r} is not asked in {qn.code} (asked: {', '.join(by_code)})",
                    "not_asked",
                    r.row,
                )
            )
            continue
        key = (r.respondent, rid)
        if key in stored:
            problems.append(
                Problem("respondent", f"{r.respondent!r} has already answered {r.requirement!r}", "duplicate", r.row)
            )
            continue
        if key in seen:
            problems.append(
                Problem(
                    "respondent",
                    f"{r.respondent!r} answered {r.requirement!r} already in row {seen[key]}",
                    "duplicate",
                    r.row,
                )
            )
            continue
        seen[key] = r.row
        batch.append(
            {
                "tenant_id": qn.tenant_id,
                "questionnaire_id": qn.id,
                "requirement_id": rid,
                "respondent": r.respondent,
                "functional": r.functional,
                "dysfunctional": r.dysfunctional,
            }
        )
    if problems:
        raise refused(problems, f"{len(problems)} problem(s) in the answers; nothing was stored")
    session.execute(insert(KanoAnswer), batch)
    session.flush()
    return {"stored": len(batch), "respondents": len({r.respondent for r in rows})}


def kano_results(session: Session, questionnaire_id: int) -> dict[str, Any]:
    """Per question (in order): the requirement, the answer count and the Kano analysis (None
    fields for a requirement nobody has answered yet)."""
    get_questionnaire(session, questionnaire_id)
    answers = session.execute(
        select(KanoAnswer.respondent, KanoAnswer.requirement_id, KanoAnswer.functional, KanoAnswer.dysfunctional).where(
            KanoAnswer.questionnaire_id == questionnaire_id
        )
    ).all()
    results = kano.analyse((resp, str(rid), f, d) for resp, rid, f, d in answers)
    reqs = {
        r.id: r
        for r in session.scalars(
            select(Requirement)
            .join(KanoQuestion, KanoQuestion.requirement_id == Requirement.id)
            .where(KanoQuestion.questionnaire_id == questionnaire_id)
        )
    }
    rows = []
    for q in questions(session, questionnaire_id):
        req = reqs[q["requirement_id"]]
        res = results.get(str(req.id))
        empty = {
            "n": 0,
            "counts": {c.value: 0 for c in kano.Category},
            "category": None,
            "category_zh": None,
            "category_en": None,
            "category_strength": None,
            "significant": None,
            "better": None,
            "worse": None,
        }
        rows.append(
            {"requirement_id": req.id, "code": req.code, "title": req.title, "weight": req.weight}
            | (kano_dict(res) if res else empty)
        )
    return {"questionnaire_id": questionnaire_id, "respondents": len({a[0] for a in answers}), "requirements": rows}


# ---------------------------------------------------------------- houses of quality


def _offering_requirements(session: Session, offering_id: int) -> list[Requirement]:
    stmt = select(Requirement).where(Requirement.offering_id == offering_id).order_by(Requirement.code)
    return list(session.scalars(stmt))


def put_house(session: Session, offering_id: int, data: HouseIn) -> QfdHouse:
    """Create or replace the offering's house of quality, checked whole (codes, scales, a Kano
    questionnaire on the same offering)."""
    get_or_404(session, Offering, offering_id, "offering")
    house = session.scalar(select(QfdHouse).where(QfdHouse.offering_id == offering_id))
    if house is not None:
        check_version(house, data.version)
    reqs = {r.code: r for r in _offering_requirements(session, offering_id)}
    codes = (
        data.requirements
        if data.requirements is not None
        else [c for c, r in reqs.items() if r.status is not RequirementStatus.rejected]
    )
    problems = [
        Problem(f"requirements.{i}", f"{c!r} is not a requirement of offering {offering_id}", "not_found")
        for i, c in enumerate(codes)
        if c not in reqs
    ]
    if not codes:
        problems.append(Problem("requirements", "the offering has no requirements to deploy", "required"))
    if data.questionnaire_id is not None:
        qn = require_ref(session, KanoQuestionnaire, data.questionnaire_id, "questionnaire_id", "Kano questionnaire")
        if qn.offering_id != offering_id:
            problems.append(Problem("questionnaire_id", f"{qn.code} is about another offering", "other_offering"))
    chars = [c.model_dump() for c in data.characteristics]
    rels = [r.model_dump() for r in data.relationships]
    roof = [r.model_dump() for r in data.roof]
    if not problems:
        try:
            build_house([(c, 1.0) for c in codes], chars, rels, roof)
        except TableInvalid as exc:
            problems = exc.problems
    if problems:
        raise refused(problems, "invalid house of quality")
    values = {
        "weight_source": data.weight_source,
        "questionnaire_id": data.questionnaire_id,
        "requirements": codes,
        "characteristics": chars,
        "relationships": rels,
        "roof": roof,
    }
    if house is None:
        house = QfdHouse(offering_id=offering_id, **values)
        session.add(house)
    else:
        for k, v in values.items():
            setattr(house, k, v)
    session.flush()
    return house


def get_house(session: Session, offering_id: int) -> QfdHouse:
    get_or_404(session, Offering, offering_id, "offering")
    house = session.scalar(select(QfdHouse).where(QfdHouse.offering_id == offering_id))
    if house is None:
        raise NotFound(f"offering {offering_id} has no house of quality")
    return house


def house_priorities(session: Session, offering_id: int) -> dict[str, Any]:
    """The house with the requirements' current weights (importance, or importance x max(Better,
    |Worse|) of the questionnaire) through :func:`somp.modules.pss.qfd.prioritise`."""
    house = get_house(session, offering_id)
    reqs = {r.code: r for r in _offering_requirements(session, offering_id)}
    missing = [c for c in house.requirements if c not in reqs]
    if missing:
        raise ValidationFailed(
            "the house names requirements that are gone",
            [FieldError("requirements", f"{c!r} no longer exists", "not_found") for c in missing],
        )
    rows, weights = [], []
    kano_by_code: dict[str, Any] = {}
    if house.weight_source is WeightSource.kano:
        res = kano_results(session, house.questionnaire_id)
        kano_by_code = {r["code"]: r for r in res["requirements"]}
    problems = []
    for code in house.requirements:
        r = reqs[code]
        w: float | None = float(r.weight)
        cat = None
        if house.weight_source is WeightSource.kano:
            k = kano_by_code.get(code)
            cat = k["category"] if k else None
            w = None
            if k and k["n"]:
                w = kano_weight(float(r.weight), kano.result_from_counts(code, k["counts"]))
            if w is None:
                problems.append(
                    Problem(
                        "weight_source",
                        f"{code!r} has no Kano answers with coefficients in the questionnaire",
                        "no_kano_result",
                    )
                )
        rows.append(
            {
                "code": code,
                "title": r.title,
                "title_en": r.title_en,
                "importance": r.weight,
                "weight": w,
                "kano_category": cat,
            }
        )
        weights.append(w)
    if problems:
        raise refused(problems, "Kano weights are missing")
    hq = build_house(
        list(zip(house.requirements, weights, strict=True)), house.characteristics, house.relationships, house.roof
    )
    pr = qfd.prioritise(hq)
    out = priorities_dict(hq, pr)
    meta = {c["code"]: c for c in house.characteristics}
    chars = [
        c
        | {
            "name": meta[c["code"]]["name"],
            "name_en": meta[c["code"]].get("name_en"),
            "unit": meta[c["code"]].get("unit"),
        }
        for c in out["characteristics"]
    ]
    for row, w in zip(rows, pr.requirement_weights, strict=True):
        row["weight"] = round(float(w), 6)
    return {
        "offering_id": offering_id,
        "weight_source": house.weight_source,
        "requirements": rows,
        "characteristics": chars,
        "matrix": [[int(x) for x in r] for r in hq.relationships],
        "roof": [[int(x) for x in r] for r in hq.roof],
        "trade_offs": out["trade_offs"],
    }
