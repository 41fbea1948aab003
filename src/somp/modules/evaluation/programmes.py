"""Recognition programmes (issue 4): demonstration enterprise, platform, project and city, leading
brand, innovation highland. The programmes and their eligibility criteria are data
(data/programmes.yaml, :mod:`.recognition`); this service runs the application -> review ->
decision workflow and the dashboard of progress toward the plan's targets.

Workflow::

    draft --submit--> submitted --evaluator--> under_review --evaluator--> approved | rejected
      ^                                             |
      +------------- returned <---------------------+   (returned: change the figures, submit again)

An enterprise applies to the enterprise programmes; an evaluator files applications of stored
regions to the regional programmes (they start ``submitted``). Criteria are checked on every step
against the platform's **measured** figures for the year where it has them (:func:`measured_figures`)
and against the applicant's **declared** figures otherwise; each check records which. Approval needs
every criterion met on the figures checked at the decision (a missing figure blocks it, never counts
as zero); rejection and return need a note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import Conflict, FieldError, ValidationFailed, illegal_transition, not_found
from somp.core.service import check_version
from somp.core.tenancy import Scope, current_scope
from somp.modules.evaluation import recognition as rc
from somp.modules.evaluation.models import ApplicationStatus, EvaluationRecord, EvaluationStatus, ProgrammeApplication

A = ApplicationStatus
EDITABLE = (A.draft, A.returned)
REVIEW_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    A.submitted: frozenset({A.under_review}),
    A.under_review: frozenset({A.approved, A.rejected, A.returned}),
}
ENTERPRISE_FUNCTIONS = ("service_revenue_share", "repurchase_rate", "connected_asset_share", "sla_attainment")


def programme(code: str) -> rc.Programme:
    try:
        return rc.default_programmes().get(code)
    except KeyError:
        known = ", ".join(p.code for p in rc.default_programmes().programmes)
        raise ValidationFailed("unknown programme", [FieldError("programme", f"one of {known}", "unknown_programme")
                                                     ]) from None  # fmt: skip


# ---- measured figures --------------------------------------------------------------------------------


def enterprise_measured(session: Session, year: int) -> tuple[dict[str, float | None], dict[str, str]]:
    """The enterprise metrics the platform measures for ``year`` in the session's tenant: values (None
    when the platform has no data) and a note per metric saying how or why missing."""
    from somp.modules.evaluation.platform_data import measure

    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    m = measure(session, ENTERPRISE_FUNCTIONS, start, end)
    values: dict[str, float | None] = {k: v.value for k, v in m.items()}
    notes = {k: v.note for k, v in m.items() if v.note}
    share = m["service_revenue_share"]
    revenue = share.denominator
    values["operating_revenue_cny"] = revenue if revenue else None
    notes["operating_revenue_cny"] = ("invoiced service + product revenue of the year" if revenue
                                      else "no revenue invoiced in the year")  # fmt: skip
    level = session.scalar(
        select(EvaluationRecord.level)
        .where(EvaluationRecord.status == EvaluationStatus.reviewed, EvaluationRecord.level.is_not(None),
               EvaluationRecord.period_start >= start, EvaluationRecord.period_start < end)
        .order_by(EvaluationRecord.reviewed_at.desc()).limit(1)
    )  # fmt: skip
    values["maturity_level"] = None if level is None else float(level)
    if level is None:
        notes["maturity_level"] = "no reviewed maturity evaluation of the year"
    return values, notes


def region_measured(db: Database, region_id: int, year: int) -> tuple[dict[str, float | None], dict[str, str]]:
    """The regional metrics from the stored regions' evaluation of ``year`` (every stored region is
    evaluated together so the index is on one scale)."""
    from somp.modules.evaluation import regions_service

    with db.session(Scope.evaluation()) as s:
        region = regions_service.get_region(s, region_id)
        members = [m for m in regions_service.members_of(s, region_id) if m.som]
        ev = regions_service.evaluate(db, s, [year])
    row = next(r for r in ev["rows"] if r["region"] == region.code and r["year"] == year)
    ind = row["indicators"]
    values = {
        "region_som_enterprises": float(len(members)),
        "region_som_density": ind["som_density"]["value"],
        "region_local_collaboration_rate": ind["local_collaboration_rate"]["value"],
        "region_index": row["index"],
    }
    notes = {k: ind[n]["note"] for k, n in (("region_som_density", "som_density"),
                                            ("region_local_collaboration_rate", "local_collaboration_rate"))
             if ind[n]["note"]}  # fmt: skip
    return values, notes


def _check(db: Database, session: Session, app: ProgrammeApplication) -> None:
    prog = programme(app.programme)
    if app.region_id is not None:
        measured, notes = region_measured(db, app.region_id, app.year)
    elif current_scope(session).tenant_id == app.tenant_id:
        measured, notes = enterprise_measured(session, app.year)
    else:  # the evaluator's decision: measure in the applicant's own scope
        with db.session(Scope.tenant(app.tenant_id)) as s:
            measured, notes = enterprise_measured(s, app.year)
    checks = rc.check_criteria(prog, measured, app.declared or {}, notes)
    app.checks = [c.to_dict() for c in checks]
    app.eligible = rc.eligible(checks)
    app.programme_hash = prog.content_hash


def _declared(prog: rc.Programme, declared: dict[str, Any]) -> dict[str, Any]:
    errors = rc.validate_declared(prog, declared)
    if errors:
        raise ValidationFailed("some declared figures were refused", [
            FieldError(e.split(": ", 1)[0], e.split(": ", 1)[1], "invalid_declared") for e in errors])  # fmt: skip
    return dict(declared)


# ---- enterprise applications -----------------------------------------------------------------------


def apply(db: Database, session: Session, data: dict[str, Any], user_id: int | None) -> ProgrammeApplication:
    """A draft application of the enterprise to an enterprise programme for a year; one open
    application per programme and year."""
    prog = programme(data["programme"])
    if prog.applicant != "enterprise":
        raise ValidationFailed("regional programme", [FieldError("programme", f"{prog.code} is for regions: an "
                                                                 "evaluator files it for a stored region",
                                                                 "region_programme")])  # fmt: skip
    dup = session.scalar(select(ProgrammeApplication.id).where(
        ProgrammeApplication.programme == prog.code, ProgrammeApplication.year == data["year"],
        ProgrammeApplication.status != A.rejected))  # fmt: skip
    if dup is not None:
        raise Conflict(f"you have application {dup} to {prog.code} for {data['year']}",
                       [FieldError("programme", "an application exists", "duplicate_application")])  # fmt: skip
    row = ProgrammeApplication(programme=prog.code, programme_hash=prog.content_hash, year=data["year"],
                               status=A.draft, declared=_declared(prog, data.get("declared") or {}),
                               evidence=data.get("evidence") or [], created_by=user_id)  # fmt: skip
    session.add(row)
    session.flush()
    _check(db, session, row)
    session.flush()
    return row


def get_application(session: Session, application_id: int) -> ProgrammeApplication:
    stmt = select(ProgrammeApplication).where(ProgrammeApplication.id == application_id)
    if current_scope(session).evaluator:
        stmt = stmt.where(ProgrammeApplication.status != A.draft)  # the evaluator never sees a draft
    row = session.scalar(stmt)
    if row is None:
        raise not_found("application", application_id)
    return row


def list_applications(session: Session, *, programme: str | None = None, status: str | None = None,
                      year: int | None = None) -> list[ProgrammeApplication]:  # fmt: skip
    stmt = select(ProgrammeApplication).order_by(ProgrammeApplication.id.desc())
    if current_scope(session).evaluator:
        stmt = stmt.where(ProgrammeApplication.status != A.draft)
    for col, v in ((ProgrammeApplication.programme, programme), (ProgrammeApplication.status, status),
                   (ProgrammeApplication.year, year)):  # fmt: skip
        if v is not None:
            stmt = stmt.where(col == v)
    return list(session.scalars(stmt.limit(500)).all())


def update(db: Database, session: Session, application_id: int, data: dict[str, Any]) -> ProgrammeApplication:
    """Change the declared figures and evidence (draft or returned), checked again."""
    row = get_application(session, application_id)
    check_version(row, data.get("version"))
    if row.status not in EDITABLE:
        raise Conflict(f"application {row.id} is {row.status.value}: figures change in draft or when returned",
                       [FieldError("status", "not editable", "not_editable")])  # fmt: skip
    row.declared = _declared(programme(row.programme), data.get("declared") or {})
    if data.get("evidence") is not None:
        row.evidence = data["evidence"]
    _check(db, session, row)
    row.updated_at = utcnow()
    session.flush()
    return row


def submit(db: Database, session: Session, application_id: int, version: int | None) -> ProgrammeApplication:
    row = get_application(session, application_id)
    check_version(row, version)
    if row.status not in EDITABLE:
        raise illegal_transition("application_status", row.status, A.submitted, [], "status")
    _check(db, session, row)
    row.status, row.submitted_at = A.submitted, utcnow()
    session.flush()
    return row


# ---- the evaluator's steps ---------------------------------------------------------------------------


def file_region_application(db: Database, data: dict[str, Any], user_id: int) -> int:
    """An evaluator files a stored region's application to a regional programme (submitted at once)."""
    from somp.modules.evaluation.models import RegionRecord

    prog = programme(data["programme"])
    if prog.applicant != "region":
        raise ValidationFailed("enterprise programme", [FieldError("programme", f"{prog.code} is for enterprises",
                                                                   "enterprise_programme")])  # fmt: skip
    with db.session(Scope.all_tenants()) as w:
        if w.get(RegionRecord, data["region_id"]) is None:
            raise ValidationFailed("unknown region", [FieldError("region_id", f"no region {data['region_id']}",
                                                                 "not_found")])  # fmt: skip
        dup = w.scalar(
            select(ProgrammeApplication.id).where(
                ProgrammeApplication.programme == prog.code,
                ProgrammeApplication.year == data["year"],
                ProgrammeApplication.region_id == data["region_id"],
                ProgrammeApplication.status != A.rejected,
            )
        )
        if dup is not None:
            raise Conflict(f"application {dup} exists", [FieldError("region_id", "exists", "duplicate_application")])
        row = ProgrammeApplication(tenant_id=None, region_id=data["region_id"], programme=prog.code,
                                   programme_hash=prog.content_hash, year=data["year"], status=A.submitted,
                                   declared=_declared(prog, data.get("declared") or {}),
                                   evidence=data.get("evidence") or [], created_by=user_id,
                                   submitted_at=utcnow())  # fmt: skip
        w.add(row)
        w.flush()
        _check(db, w, row)
        w.flush()
        rid = row.id
        w.commit()
    return rid


def region_application(w: Session, application_id: int) -> ProgrammeApplication:
    """A regional application, in the evaluator's platform session (``Scope.all_tenants()``)."""
    row = w.get(ProgrammeApplication, application_id)
    if row is None or row.region_id is None:
        raise not_found("regional application", application_id)
    return row


def update_region_application(db: Database, application_id: int, data: dict[str, Any], w: Session | None = None
                              ) -> None:  # fmt: skip
    """An evaluator changes a returned regional application's declared figures and evidence
    references; the criteria are checked again. Written in a platform session limited to this
    application: its own, committed, or the caller's ``w`` (not committed here)."""
    if w is None:
        with db.session(Scope.all_tenants()) as own:
            update_region_application(db, application_id, data, own)
            own.commit()
        return
    row = region_application(w, application_id)
    check_version(row, data.get("version"))
    if row.status is not A.returned:
        raise Conflict(f"application {row.id} is {row.status.value}: a regional application's figures change "
                       "when it is returned", [FieldError("status", "not editable", "not_editable")])  # fmt: skip
    row.declared = _declared(programme(row.programme), data.get("declared") or {})
    if data.get("evidence") is not None:
        row.evidence = data["evidence"]
    _check(db, w, row)
    row.updated_at = utcnow()
    w.flush()


def resubmit_region_application(db: Database, application_id: int, version: int | None, w: Session | None = None
                                ) -> None:  # fmt: skip
    """An evaluator submits a returned regional application again, checked again (a platform
    session of its own, or the caller's ``w``, as :func:`update_region_application`)."""
    if w is None:
        with db.session(Scope.all_tenants()) as own:
            resubmit_region_application(db, application_id, version, own)
            own.commit()
        return
    row = region_application(w, application_id)
    check_version(row, version)
    if row.status is not A.returned:
        raise illegal_transition("application_status", row.status, A.submitted, [], "status")
    _check(db, w, row)
    row.status, row.submitted_at = A.submitted, utcnow()
    w.flush()


def review(db: Database, session: Session, application_id: int, data: dict[str, Any], reviewer_id: int
           ) -> ProgrammeApplication:  # fmt: skip
    """under_review, then approved (every criterion met on the figures checked now), rejected or
    returned (with a note). Written in a platform session limited to this application."""
    target = A(data["to_status"])
    session.rollback()
    with db.session(Scope.all_tenants()) as w:
        row = w.get(ProgrammeApplication, application_id)
        if row is None or row.status is A.draft:
            raise not_found("application", application_id)
        check_version(row, data.get("version"))
        allowed = REVIEW_TRANSITIONS.get(row.status, frozenset())
        if target not in allowed:
            raise illegal_transition("application_status", row.status, target, allowed, "to_status")
        if target in (A.rejected, A.returned) and not (data.get("note") or "").strip():
            raise ValidationFailed("a note is needed", [FieldError("note", "say why", "note_required")])
        _check(db, w, row)
        if target is A.approved and row.eligible is not True:
            failing = [c["code"] for c in row.checks if c["met"] is not True]
            raise Conflict(
                f"criteria {', '.join(failing)} are not met on the figures checked now",
                [
                    FieldError(
                        "to_status", "criteria not met or missing", "criteria_not_met", params={"criteria": failing}
                    )
                ],
                {"checks": row.checks},
            )
        now = utcnow()
        row.reviewer_id = reviewer_id
        if target is not A.under_review:
            row.decided_at, row.decision_note = now, data.get("note")
        row.status = target
        w.commit()
    return get_application(session, application_id)


# ---- dashboard ----------------------------------------------------------------------------------------


def dashboard(db: Database, session: Session) -> dict[str, Any]:
    """Progress toward the plan's targets: published standards of 20, approved leading brands of 50,
    approved innovation highlands of 100; and every programme's applications by status. Counts read
    in the caller's view (the evaluator's: every applicant; an enterprise's: its own)."""
    from somp.modules.evaluation import standards

    standards.ensure_catalogue(db)  # before the session's first read (an SQLite read keeps its snapshot)
    counts: dict[tuple[str, str], int] = {}
    stmt = select(ProgrammeApplication.programme, ProgrammeApplication.status, func.count()).group_by(
        ProgrammeApplication.programme, ProgrammeApplication.status)  # fmt: skip
    for prog, status, n in session.execute(stmt).all():
        counts[(prog, status.value if hasattr(status, "value") else status)] = n
    programmes = []
    for p in rc.default_programmes().programmes:
        by_status = {s.value: counts.get((p.code, s.value), 0) for s in A}
        programmes.append({"code": p.code, "name": p.name.model_dump(), "applicant": p.applicant,
                           "target": p.target, "approved": by_status["approved"], "by_status": by_status,
                           "share": None if p.target is None else by_status["approved"] / p.target})  # fmt: skip
    sp = standards.progress(db, session)
    cat = rc.default_catalogue()
    return {
        "plan": cat.plan.model_dump(),
        "standards": {
            "target": sp.target,
            "published": sp.published,
            "by_status": sp.by_status,
            "share": sp.share,
            "related": sp.related,
        },
        "programmes": programmes,
        "scope": "all applicants" if current_scope(session).evaluator else "your enterprise",
    }


def programme_list() -> list[dict[str, Any]]:
    return [
        {"code": p.code, "name": p.name.model_dump(), "applicant": p.applicant, "target": p.target,
         "content_hash": p.content_hash,
         "criteria": [c.model_dump() | {"unit": rc.METRICS[c.metric].unit, "label": {"zh": rc.METRICS[c.metric].zh,
                      "en": rc.METRICS[c.metric].en}, "measured_by": rc.METRICS[c.metric].measured_by}
                      for c in p.criteria]}
        for p in rc.default_programmes().programmes
    ]  # fmt: skip


def application_dict(row: ProgrammeApplication) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in ProgrammeApplication.__table__.columns}
