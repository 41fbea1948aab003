"""Enterprise maturity evaluation (framework node 1.3.1): indicator systems as stored versions, the
evaluation of an enterprise against one of them (answers, values computed from platform data,
scoring with the engine of :mod:`.indicators`), the self-assessment -> evaluator-review workflow.

Who sees what (the session's scope does the filtering; these functions add the workflow rules):

* an enterprise (tenant scope) sees its own systems and evaluations, plus the platform systems
  (``tenant_id`` NULL), which this module reads in a platform session restricted to those rows;
* the evaluator (evaluator scope, read-only) sees every evaluation that was submitted (never a
  draft), its answers and every system. A review is written by :func:`review` in a platform session
  that changes only the review fields of that one evaluation.

Values are missing (``None``) when there is no data; the engine never scores a missing value as 0.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import Conflict, FieldError, NotFound, ValidationFailed, illegal_transition, not_found
from somp.core.identity import Tenant
from somp.core.service import check_version, list_page
from somp.core.tenancy import Scope, current_scope
from somp.modules.evaluation import indicators as ind
from somp.modules.evaluation import statement_feed as sf
from somp.modules.evaluation import yearly
from somp.modules.evaluation.models import (
    AnswerSource,
    EvaluationAnswer,
    EvaluationRecord,
    EvaluationStatus,
    IndicatorSystemRecord,
)
from somp.modules.evaluation.platform_data import measure
from somp.modules.evaluation.schemas import AnswersIn, EvaluationCreate, ReviewIn, SystemCreate

S = EvaluationStatus
MEASURED = "measured from platform data; an uploaded figure is accepted only where the platform has no value"
EDITABLE = (S.draft, S.returned)  # the enterprise answers and resubmits
# the evaluator's steps (the enterprise's step is submit: draft/returned -> self_assessed)
REVIEW_TRANSITIONS: dict[EvaluationStatus, frozenset[EvaluationStatus]] = {
    S.self_assessed: frozenset({S.under_review}),
    S.under_review: frozenset({S.reviewed, S.returned}),
}


# ---- indicator systems ------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _parse(document: str) -> ind.IndicatorSystem:
    return ind.load_system(document)


def system_of(record: IndicatorSystemRecord) -> ind.IndicatorSystem:
    """The engine's system of a stored version (parsed once per process and document)."""
    return _parse(record.document)


def _record_for(system: ind.IndicatorSystem, document: str, **kw: Any) -> IndicatorSystemRecord:
    return IndicatorSystemRecord(
        code=system.code,
        version=system.version,
        content_hash=system.content_hash,
        framework=system.framework,
        name_zh=system.name.zh,
        name_en=system.name.en,
        document=document,
        indicators=len(system.indicators()),
        levels=len(system.levels),
        **kw,
    )


@lru_cache(maxsize=1)
def _builtin() -> ind.IndicatorSystem:
    return ind.default_maturity_system()


def ensure_builtin_systems(db: Database) -> None:
    """Store the built-in default maturity system of this somp release as a platform system, once
    per content hash (a release that edits data/maturity_default.yaml adds a new version)."""
    system = _builtin()
    with db.session(Scope.all_tenants()) as s:
        found = s.scalar(
            select(IndicatorSystemRecord.id).where(
                IndicatorSystemRecord.tenant_id.is_(None), IndicatorSystemRecord.content_hash == system.content_hash
            )
        )
        if found is None:
            s.add(_record_for(system, ind.dump_system(system), tenant_id=None, builtin=True))
            s.commit()


def _platform_systems(db: Database) -> list[IndicatorSystemRecord]:
    ensure_builtin_systems(db)
    with db.session(Scope.all_tenants()) as s:
        rows = s.scalars(
            select(IndicatorSystemRecord)
            .where(IndicatorSystemRecord.tenant_id.is_(None))
            .order_by(IndicatorSystemRecord.id)
        ).all()
        s.expunge_all()
        return list(rows)


def list_systems(db: Database, session: Session) -> list[IndicatorSystemRecord]:
    """The systems the caller may use: the platform's and the enterprise's own (the evaluator: all)."""
    scope = current_scope(session)
    platform = _platform_systems(db)
    own = session.scalars(select(IndicatorSystemRecord).order_by(IndicatorSystemRecord.id)).all()
    if scope.evaluator:
        return list(own)  # the evaluator view reads every system, the platform's included
    return platform + [r for r in own if r.tenant_id is not None]


def get_system(db: Database, session: Session, system_id: int) -> IndicatorSystemRecord:
    row = session.get(IndicatorSystemRecord, system_id)
    if row is None:
        row = next((r for r in _platform_systems(db) if r.id == system_id), None)
    if row is None:
        raise not_found("indicator system", system_id)
    return row


def create_system(session: Session, data: SystemCreate, user_id: int | None) -> IndicatorSystemRecord:
    """Validate and store a new system version of the enterprise. Every validation error is a field
    error whose ``field`` is the path in the document (e.g. ``dimensions[0](D).weight``)."""
    try:
        system = ind.load_system(data.document)
    except ind.SystemInvalid as e:
        raise ValidationFailed(
            "the indicator system is invalid",
            [FieldError(f"document.{line.split(': ', 1)[0]}", line.split(": ", 1)[-1], "invalid_system")
             for line in e.errors],
        ) from None
    dup = session.scalar(
        select(IndicatorSystemRecord.id).where(
            IndicatorSystemRecord.code == system.code, IndicatorSystemRecord.version == system.version
        )
    )
    if dup is not None:
        raise Conflict(
            f"system {system.code} version {system.version} exists (id {dup}); give the edited system a new version",
            [FieldError("document.version", "this code and version exist", "duplicate_version")],
        )
    row = _record_for(system, data.document, created_by=user_id)
    session.add(row)
    session.flush()
    return row


def system_detail(row: IndicatorSystemRecord) -> dict[str, Any]:
    system = system_of(row)
    weights = ind.global_weights(system)
    return {
        **{c.key: getattr(row, c.key) for c in IndicatorSystemRecord.__table__.columns},
        "questionnaire": ind.questionnaire(system),
        "indicator_list": [
            {"code": i.code, "name": i.name.model_dump(), "unit": i.unit, "direction": i.direction.value,
             "source": i.source.kind.value, "function": i.source.function, "rule": i.rule.kind,
             "global_weight": weights[i.code]}
            for i in system.indicators()
        ],
        "level_names": [{"level": lv.level, "name": lv.name.model_dump(), "min_coverage": lv.min_coverage}
                        for lv in system.levels],
    }  # fmt: skip


# ---- evaluations ------------------------------------------------------------------------------------


def _visible(session: Session, stmt):  # noqa: ANN001, ANN202
    """The evaluator never sees an enterprise's draft."""
    if current_scope(session).evaluator:
        return stmt.where(EvaluationRecord.status != S.draft)
    return stmt


def get_evaluation(session: Session, evaluation_id: int) -> EvaluationRecord:
    row = session.scalar(_visible(session, select(EvaluationRecord).where(EvaluationRecord.id == evaluation_id)))
    if row is None:
        raise not_found("evaluation", evaluation_id)
    return row


def list_evaluations(session: Session, *, limit: int, cursor: str | None, order: str = "desc", **filters: Any):  # noqa: ANN201
    stmt = _visible(session, select(EvaluationRecord))
    for key in ("status", "system_id", "tenant_id"):
        if filters.get(key) is not None:
            stmt = stmt.where(getattr(EvaluationRecord, key) == filters[key])
    return list_page(session, stmt, EvaluationRecord, limit=limit, cursor=cursor, order=order)


def start_evaluation(db: Database, session: Session, data: EvaluationCreate, user_id: int | None) -> EvaluationRecord:
    """A draft evaluation of the enterprise against one system version it may use."""
    scope = current_scope(session)
    try:
        system = get_system(db, session, data.system_id)
    except NotFound:
        raise ValidationFailed(
            "unknown indicator system",
            [FieldError("system_id", f"no indicator system {data.system_id} you may use", "not_found")],
        ) from None
    if system.tenant_id not in (None, scope.tenant_id):  # pragma: no cover - the scope already hides them
        raise ValidationFailed("unknown indicator system", [FieldError("system_id", "not yours", "not_found")])
    row = EvaluationRecord(
        system_id=system.id,
        system_code=system.code,
        system_version=system.version,
        content_hash=system.content_hash,
        period_start=data.period_start,
        period_end=data.period_end,
        title=data.title or f"{system.name_zh} {data.period_start.isoformat()}",
        status=S.draft,
        created_by=user_id,
    )
    session.add(row)
    session.flush()
    return row


def system_for_evaluation(db: Database, session: Session, ev: EvaluationRecord) -> ind.IndicatorSystem:
    if current_scope(session).evaluator:
        row = session.get(IndicatorSystemRecord, ev.system_id)
    else:
        row = get_system(db, session, ev.system_id)
    if row is None:  # pragma: no cover - the foreign key keeps it
        raise not_found("indicator system", ev.system_id)
    return system_of(row)


def answers_of(session: Session, evaluation_id: int) -> list[EvaluationAnswer]:
    stmt = select(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == evaluation_id)
    return list(session.scalars(stmt.order_by(EvaluationAnswer.id)).all())


def _editable(ev: EvaluationRecord) -> None:
    if ev.status not in EDITABLE:
        raise Conflict(
            f"evaluation {ev.id} is {ev.status.value}: answers change only in draft or when returned",
            [FieldError("status", "not editable", "not_editable", params={"status": ev.status.value})],
        )


def set_answers(db: Database, session: Session, evaluation_id: int, data: AnswersIn, user_id: int | None
                ) -> EvaluationRecord:  # fmt: skip
    """Record questionnaire answers and uploaded figures (a batch: all or nothing).

    A computed indicator takes an uploaded figure only while the platform has no value for it (a
    measured value is not overwritten by a declared one). Values the indicator's rule cannot score
    (a level beyond the options, a negative share...) are refused with the indicator named."""
    ev = get_evaluation(session, evaluation_id)
    check_version(ev, data.version)
    _editable(ev)
    system = system_for_evaluation(db, session, ev)
    existing = {a.indicator_code: a for a in answers_of(session, ev.id)}
    errors: list[FieldError] = []
    for k, a in enumerate(data.answers):
        where = f"answers[{k}]"
        try:
            indicator = system.indicator(a.indicator_code)
        except KeyError:
            errors.append(FieldError(f"{where}.indicator_code", f"the system has no indicator {a.indicator_code!r}",
                                     "unknown_indicator"))  # fmt: skip
            continue
        if a.value is not None:
            try:
                ind.score_value(indicator, a.value)
            except ValueError as e:
                errors.append(FieldError(f"{where}.value", str(e), "unscorable_value"))
        old = existing.get(a.indicator_code)
        if (indicator.source.kind is ind.SourceKind.computed and old is not None
                and old.source is AnswerSource.computed and old.value is not None):  # fmt: skip
            errors.append(FieldError(f"{where}.value", MEASURED, "computed_indicator"))
    if len({a.indicator_code for a in data.answers}) != len(data.answers):
        errors.append(FieldError("answers", "an indicator appears twice", "duplicate_indicator"))
    if errors:
        raise ValidationFailed("some answers were refused", errors)
    now = utcnow()
    for a in data.answers:
        kind = system.indicator(a.indicator_code).source.kind
        source = AnswerSource.questionnaire if kind is ind.SourceKind.questionnaire else AnswerSource.uploaded
        row = existing.get(a.indicator_code)
        if row is None:
            row = EvaluationAnswer(evaluation_id=ev.id, indicator_code=a.indicator_code, source=source)
            session.add(row)
        row.value, row.source, row.note = a.value, source, a.note
        row.evidence = [e.model_dump(exclude_none=True) for e in a.evidence]
        row.detail = {}
        row.answered_at, row.answered_by = now, user_id
    ev.updated_at = now  # a new version: the answers changed
    session.flush()
    _score(system, ev, answers_of(session, ev.id))
    session.flush()
    return ev


def compute(db: Database, session: Session, evaluation_id: int, version: int | None = None) -> EvaluationRecord:
    """Compute the system's platform indicators from the enterprise's data for the evaluation's
    period, store them as computed answers (with numerator, denominator, or why missing) and score."""
    ev = get_evaluation(session, evaluation_id)
    check_version(ev, version)
    _editable(ev)
    system = system_for_evaluation(db, session, ev)
    _compute_platform(session, system, ev)
    session.flush()
    _fill_from_statements(session, system, ev)
    session.flush()
    _score(system, ev, answers_of(session, ev.id))
    session.flush()
    return ev


def _compute_platform(session: Session, system: ind.IndicatorSystem, ev: EvaluationRecord) -> None:
    computed = [i for i in system.indicators() if i.source.kind is ind.SourceKind.computed]
    values = measure(session, [i.source.function for i in computed], ev.period_start, ev.period_end)
    existing = {a.indicator_code: a for a in answers_of(session, ev.id)}
    now = utcnow()
    for i in computed:
        m = values[i.source.function]
        row = existing.get(i.code)
        if m.value is None and row is not None and row.source is AnswerSource.uploaded and row.value is not None:
            # keep the uploaded figure (and where a statement gave it), say the platform has none
            row.detail = {**(row.detail or {}), "platform": m.detail()}
            continue
        if row is None:
            row = EvaluationAnswer(evaluation_id=ev.id, indicator_code=i.code, source=AnswerSource.computed)
            session.add(row)
        row.value, row.source = m.value, AnswerSource.computed
        row.note = m.note or None
        row.detail = {"function": i.source.function, **m.detail()}
        row.answered_at, row.answered_by = now, None
    ev.updated_at = now


def _facts(row: Any) -> sf.StatementFacts | None:
    if row is None:
        return None
    return sf.StatementFacts(row.year, row.unit, dict(row.items), dict(row.result or {}), row.filename, row.sha256)


def _fill_from_statements(session: Session, system: ind.IndicatorSystem, ev: EvaluationRecord) -> None:
    """Indicators naming a statement measure take it from the enterprise's financial statement of the
    evaluation's year (:mod:`.statement_feed`), marked "uploaded (statement YEAR)". A value measured by
    the platform wins, a figure the enterprise entered itself is kept; a value filled earlier from a
    statement that no longer gives it becomes missing again (never 0)."""
    fed = [i for i in system.indicators() if i.source.statement is not None]
    if not fed:
        return
    year = ev.period_start.year
    current = _facts(yearly.statement_of(session, ev.tenant_id, year))
    previous = _facts(yearly.statement_of(session, ev.tenant_id, year - 1))
    existing = {a.indicator_code: a for a in answers_of(session, ev.id)}
    now = utcnow()
    for i in fed:
        row = existing.get(i.code)
        from_statement = row is not None and "statement" in (row.detail or {})
        if row is not None and row.value is not None and not from_statement:
            continue  # measured by the platform, or entered by the enterprise
        f = sf.statement_value(i.source.statement, year, current, previous)
        if f.value is None and not from_statement:
            if row is not None:  # say why the statement could not fill it; the value stays missing
                row.detail = {**(row.detail or {}), **f.detail}
            continue
        if row is None:
            row = EvaluationAnswer(evaluation_id=ev.id, indicator_code=i.code, source=AnswerSource.uploaded)
            session.add(row)
        platform = {"platform": row.detail["platform"]} if row.detail and "platform" in row.detail else {}
        row.value, row.source = f.value, AnswerSource.uploaded
        row.note = f.label if f.value is not None else f.why
        row.detail = {**platform, **f.detail}
        row.answered_at, row.answered_by = now, None
    ev.updated_at = now


def _score(system: ind.IndicatorSystem, ev: EvaluationRecord, answers: list[EvaluationAnswer]) -> None:
    result = ind.score(system, {a.indicator_code: a.value for a in answers})
    sources = {a.indicator_code: a.source.value for a in answers}
    ev.score, ev.level, ev.coverage = result.total.score, result.level, result.total.coverage
    ev.result = result_dict(system, result, sources)
    ev.computed_at = utcnow()


def _node(n: ind.NodeResult) -> dict[str, Any]:
    return {"score": n.score, "coverage": n.coverage, "scored": n.scored, "missing": n.missing}


def _criterion(c: ind.CriterionResult) -> dict[str, Any]:
    return {"level": c.level, "target": c.target, "status": c.status.value, "observed": c.observed,
            "required": c.required}  # fmt: skip


def result_dict(system: ind.IndicatorSystem, r: ind.Evaluation, sources: dict[str, str]) -> dict[str, Any]:
    """The stored result: every node's score and coverage, every indicator with the source of its
    value (questionnaire, uploaded, computed; ``missing`` when no value), the level criteria."""
    names = {lv.level: lv.name.model_dump() for lv in system.levels}
    return {
        "content_hash": r.content_hash,
        "total": _node(r.total),
        "level": r.level,
        "level_name": names.get(r.level),
        "dimensions": {k: _node(v) for k, v in r.dimensions.items()},
        "subdimensions": {k: _node(v) for k, v in r.subdimensions.items()},
        "indicators": {
            k: {"status": v.status.value, "value": v.value, "score": v.score, "weight": v.weight,
                "source": sources.get(k, "missing") if v.status is ind.Status.scored else "missing",
                "declared_source": v.source.value, "message": v.message}
            for k, v in r.indicators.items()
        },
        "missing": r.missing,
        "criteria": [_criterion(c) for c in r.criteria],
        "next_level_gaps": [_criterion(c) for c in r.next_level_gaps()],
    }  # fmt: skip


def submit(db: Database, session: Session, evaluation_id: int, user_id: int | None, version: int | None = None
           ) -> EvaluationRecord:  # fmt: skip
    """The enterprise's self-assessment is complete: compute the platform indicators once more,
    score, and hand it to the evaluators (draft or returned -> self_assessed)."""
    ev = get_evaluation(session, evaluation_id)
    check_version(ev, version)
    if ev.status not in EDITABLE:
        raise illegal_transition("evaluation_status", ev.status, S.self_assessed, [], "status")
    system = system_for_evaluation(db, session, ev)
    _compute_platform(session, system, ev)
    session.flush()
    _fill_from_statements(session, system, ev)
    session.flush()
    _score(system, ev, answers_of(session, ev.id))
    ev.status = S.self_assessed
    ev.submitted_at, ev.submitted_by = utcnow(), user_id
    session.flush()
    return ev


def review(db: Database, session: Session, evaluation_id: int, data: ReviewIn, reviewer_id: int) -> EvaluationRecord:
    """An evaluator's step (self_assessed -> under_review -> reviewed | returned). ``session`` is the
    evaluator's read-only view, used to find the evaluation; the change is written in a platform
    session limited to this evaluation's review fields. Returns the evaluation as read afterwards."""
    scope = current_scope(session)
    if not scope.evaluator:  # pragma: no cover - the route's permission is the evaluator's
        raise PermissionError("only evaluators review")
    target = S(data.to_status)
    session.rollback()  # end the read-only view's transaction before the write (nothing to keep)
    with db.session(Scope.all_tenants()) as w:
        row = w.get(EvaluationRecord, evaluation_id)
        if row is None or row.status is S.draft:  # the evaluator never sees a draft
            raise not_found("evaluation", evaluation_id)
        check_version(row, data.version)
        allowed = REVIEW_TRANSITIONS.get(row.status, frozenset())
        if target not in allowed:
            raise illegal_transition("evaluation_status", row.status, target, allowed, "to_status")
        now = utcnow()
        if target is S.under_review:
            row.review_started_at, row.reviewer_id = now, reviewer_id
        else:
            row.reviewed_at, row.reviewer_id = now, reviewer_id
            row.review_note = data.note
        row.status = target
        w.commit()
    return get_evaluation(session, evaluation_id)


def detail(db: Database, session: Session, ev: EvaluationRecord) -> dict[str, Any]:
    out = {c.key: getattr(ev, c.key) for c in EvaluationRecord.__table__.columns}
    out["answers"] = answers_of(session, ev.id)
    level_name = None
    if ev.level:
        system = system_for_evaluation(db, session, ev)
        level_name = next((lv.name.model_dump() for lv in system.levels if lv.level == ev.level), None)
    out["level_name"] = level_name
    return out


def enterprise_names(session: Session, tenant_ids: set[int]) -> dict[int, str]:
    if not tenant_ids:
        return {}
    return dict(session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(tenant_ids))).all())


def period_label(ev: EvaluationRecord) -> str:
    start, end = ev.period_start, ev.period_end
    if start.month == start.day == 1 and end == dt.date(start.year + 1, 1, 1):
        return str(start.year)
    return f"{start.isoformat()} – {(end - dt.timedelta(days=1)).isoformat()}"


# ---- regional evaluation (1.3.4) --------------------------------------------------------------------


def _prefix(code: str) -> str:
    """The GB/T 2260 prefix of the units under ``code`` (320500 -> 3205, 320000 -> 32)."""
    return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code


def platform_records(db: Database, session: Session, region_codes: list[str], years: list[int]) -> list[Any]:
    """The platform's active enterprises as regional records: each counted in the most specific region
    whose code covers its registered region, with the maturity level of its latest reviewed
    evaluation of the year and its measured service and total revenue (brand KPIs). Read in the
    caller's view (the evaluator's: every enterprise; an enterprise's: itself only)."""
    from somp.modules.evaluation.regional import EnterpriseRecord
    from somp.modules.kpis.service import enterprise_brand_kpis

    prefixes = sorted(((_prefix(c), c) for c in region_codes), key=lambda p: -len(p[0]))
    out = []
    for year in years:
        levels: dict[int, int] = {}
        reviewed = session.execute(
            select(EvaluationRecord.tenant_id, EvaluationRecord.level)
            .where(EvaluationRecord.status == S.reviewed, EvaluationRecord.level.is_not(None),
                   EvaluationRecord.period_start >= dt.date(year, 1, 1),
                   EvaluationRecord.period_start < dt.date(year + 1, 1, 1))
            .order_by(EvaluationRecord.reviewed_at)
        ).all()  # fmt: skip
        for tid, level in reviewed:
            levels[tid] = level  # the latest review wins
        for tenant, k in enterprise_brand_kpis(db, session, year):
            region = next((c for p, c in prefixes if tenant.region_code.startswith(p)), None)
            if region is None:
                continue
            revenue = k.service_revenue + k.product_revenue
            out.append(EnterpriseRecord(
                tenant.uscc, region, year, maturity_level=levels.get(tenant.id),
                revenue=float(revenue) if revenue > 0 else None,
                service_revenue=float(k.service_revenue) if revenue > 0 else None,
            ))  # fmt: skip
    return out
