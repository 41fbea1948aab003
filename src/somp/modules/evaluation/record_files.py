"""Evidence files of conformance self-checks (对标达标, the standards system) and of programme
applications (recognition programmes, issue 4; framework node 1.3.1): the files themselves, with the
safety of the maturity evidence (:mod:`.evidence`, reused):

* **size** at most :data:`evidence.MAX_BYTES`, :data:`MAX_FILES` per self-check or application, an
  empty file refused;
* **content type recognised from the bytes** (:func:`evidence.checked_file`), the name's extension
  agreeing, the client's claim ignored; the name without folders or control characters;
* **sha256** of the stored bytes;
* **tenant-owned** rows (:class:`RecordFile`) whose composite keys tie them to the enterprise's own
  self-check or application; a file is attached or removed only while its owner is editable (a
  self-check not submitted; an application in draft or returned), to a clause of the standard or a
  criterion of the programme;
* **download with authorisation**: the owner is looked up in the caller's view first, so the
  enterprise reads its own and the evaluator only those of submitted self-checks and applications
  (never a draft's); another enterprise's id is a 404;
* **regional applications** (filed by an evaluator for a stored region, no tenant): the evaluator
  attaches and removes their files until the review starts, or when returned; no enterprise sees them.

A self-check's ``evidence_missing`` (clauses judged conforming or partial without evidence) counts a
stored file of the clause as evidence (:func:`standards.refresh_summary`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import Conflict, FieldError, NotFound, ValidationFailed, not_found
from somp.core.tenancy import Scope
from somp.modules.evaluation import evidence, programmes, standards
from somp.modules.evaluation.models import ConformanceCheck, ProgrammeApplication, RecordFile

MAX_FILES = evidence.MAX_FILES


def _store(session: Session, owner: dict[str, int], item: str, filename: str | None, data: bytes | None,
           user_id: int | None) -> RecordFile:  # fmt: skip
    name, kind = evidence.checked_file(filename, data)
    assert data is not None
    ((col, oid),) = owner.items()
    count = session.scalar(select(func.count()).select_from(RecordFile).where(getattr(RecordFile, col) == oid))
    if (count or 0) >= MAX_FILES:
        message = f"a self-check or application holds at most {MAX_FILES} evidence files"
        raise ValidationFailed(message, [FieldError("file", message, "too_many")])
    row = RecordFile(**owner, item=item, filename=name, content_type=kind, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), content=data, uploaded_at=utcnow(),
                     uploaded_by=user_id)  # fmt: skip
    session.add(row)
    session.flush()
    return row


# ---- conformance self-checks -------------------------------------------------------------------------


def _editable_check(check: ConformanceCheck) -> None:
    if check.submitted_at is not None:
        raise Conflict(f"self-check {check.id} was submitted: its evidence is final",
                       [FieldError("file", "submitted", "not_editable")])  # fmt: skip


def clause_of(db: Database, session: Session, check: ConformanceCheck, clause: str | None) -> str:
    """``clause`` when it is a clause of the check's standard; ValidationFailed otherwise."""
    std = standards.get_standard(db, session, check.standard_id)
    code = (clause or "").strip()
    codes = [c["code"] for c in std.clauses]
    if code not in codes:
        raise ValidationFailed("unknown clause", [FieldError("clause", f"{std.code or std.key} has no clause "
                                                             f"{code!r} (clauses: {', '.join(codes)})",
                                                             "unknown_clause")])  # fmt: skip
    return code


def upload_for_check(db: Database, session: Session, check_id: int, clause: str | None, filename: str | None,
                     data: bytes | None, user_id: int | None) -> RecordFile:  # fmt: skip
    """Attach a file to a clause of the enterprise's self-check (not submitted); the summary is
    computed again (a clause with a file has evidence)."""
    check = standards.get_check(session, check_id)  # another enterprise's: 404 before the file
    _editable_check(check)
    code = clause_of(db, session, check, clause)
    row = _store(session, {"check_id": check.id}, code, filename, data, user_id)
    standards.refresh_summary(db, session, check)
    return row


def list_for_check(session: Session, check_id: int) -> list[RecordFile]:
    check = standards.get_check(session, check_id)
    stmt = select(RecordFile).where(RecordFile.check_id == check.id).order_by(RecordFile.item, RecordFile.id)
    return list(session.scalars(stmt).all())


# ---- programme applications ----------------------------------------------------------------------------


def _editable_application(app: ProgrammeApplication) -> None:
    if app.status not in programmes.EDITABLE:
        raise Conflict(f"application {app.id} is {app.status.value}: evidence changes in draft or when returned",
                       [FieldError("file", "not editable", "not_editable")])  # fmt: skip


def criterion_of(app: ProgrammeApplication, criterion: str | None) -> str:
    """``criterion`` ("" for the application as a whole) when it is a metric of the programme's
    criteria; ValidationFailed otherwise."""
    code = (criterion or "").strip()
    metrics = [c.metric for c in programmes.programme(app.programme).criteria]
    if code and code not in metrics:
        raise ValidationFailed("unknown criterion", [FieldError("criterion", f"{app.programme} has no criterion "
                                                                f"{code!r} (criteria: {', '.join(metrics)})",
                                                                "unknown_criterion")])  # fmt: skip
    return code


def upload_for_application(db: Database, session: Session, application_id: int, criterion: str | None,
                           filename: str | None, data: bytes | None, user_id: int | None) -> RecordFile:  # fmt: skip
    """Attach a file to the enterprise's application (draft or returned), optionally to one criterion."""
    app = programmes.get_application(session, application_id)  # another enterprise's: 404 before the file
    _editable_application(app)
    return _store(session, {"application_id": app.id}, criterion_of(app, criterion), filename, data, user_id)


def list_for_application(session: Session, application_id: int) -> list[RecordFile]:
    app = programmes.get_application(session, application_id)
    stmt = select(RecordFile).where(RecordFile.application_id == app.id).order_by(RecordFile.item, RecordFile.id)
    return list(session.scalars(stmt).all())


# ---- regional applications (filed by an evaluator for a stored region) ---------------------------------

# a regional application is filed submitted: its evidence changes until its review starts, and again
# when it is returned
REGION_FILES_EDITABLE = (programmes.A.submitted, programmes.A.returned)


def _editable_region_application(app: ProgrammeApplication) -> None:
    if app.status not in REGION_FILES_EDITABLE:
        raise Conflict(f"application {app.id} is {app.status.value}: a regional application's evidence changes "
                       "until its review starts, or when it is returned",
                       [FieldError("file", "not editable", "not_editable")])  # fmt: skip


def upload_for_region_application(db: Database, application_id: int, criterion: str | None, filename: str | None,
                                  data: bytes | None, user_id: int | None, w: Session | None = None
                                  ) -> RecordFile:  # fmt: skip
    """An evaluator attaches a file to a regional application (no tenant: the file has none either),
    optionally to one criterion. In a platform session of its own (committed) or the caller's ``w``
    (not committed here)."""
    if w is None:
        with db.session(Scope.all_tenants()) as own:
            row = upload_for_region_application(db, application_id, criterion, filename, data, user_id, own)
            own.commit()
            return row
    app = programmes.region_application(w, application_id)
    _editable_region_application(app)
    return _store(w, {"application_id": app.id}, criterion_of(app, criterion), filename, data, user_id)


def delete_for_region_application(db: Database, application_id: int, file_id: int) -> RecordFile:
    """An evaluator removes a file of a regional application while its evidence may change; returns
    the removed row. In a platform session of its own."""
    with db.session(Scope.all_tenants()) as w:
        app = programmes.region_application(w, application_id)
        row = w.get(RecordFile, file_id)
        if row is None or row.application_id != app.id:
            raise not_found("evidence file", file_id)
        _editable_region_application(app)
        w.delete(row)
        w.commit()
        return row


def save_region_application(db: Database, application_id: int, *, declared: dict[str, Any] | None,
                            uploads: list[tuple[str, str, bytes]], submit: bool, version: int | None,
                            user_id: int | None) -> None:  # fmt: skip
    """The evaluator's form of a regional application in one transaction: the declared figures
    (``None``: unchanged; they change when it is returned), the files ``(criterion, name, bytes)``
    and, with ``submit``, the new submission. Stored whole or not at all."""
    with db.session(Scope.all_tenants()) as w:
        if declared is not None:
            programmes.update_region_application(db, application_id, {"declared": declared, "version": version}, w)
        for criterion, name, data in uploads:
            upload_for_region_application(db, application_id, criterion, name, data, user_id, w)
        if submit:
            programmes.resubmit_region_application(db, application_id, None, w)
        w.commit()


# ---- one file ------------------------------------------------------------------------------------------


def get(session: Session, file_id: int) -> RecordFile:
    """One file whose self-check or application the caller may read (the evaluator: not a draft's)."""
    row = session.get(RecordFile, file_id)
    if row is None:
        raise not_found("evidence file", file_id)
    try:
        if row.check_id is not None:
            standards.get_check(session, row.check_id)
        else:
            programmes.get_application(session, row.application_id)  # type: ignore[arg-type]
    except NotFound:  # whatever hides the owner hides its files
        raise not_found("evidence file", file_id) from None
    return row


def delete(db: Database, session: Session, file_id: int) -> None:
    """Remove a file while its self-check or application is editable."""
    row = get(session, file_id)
    if row.check_id is not None:
        check = standards.get_check(session, row.check_id)
        _editable_check(check)
        session.delete(row)
        session.flush()
        standards.refresh_summary(db, session, check)
    else:
        _editable_application(programmes.get_application(session, row.application_id))  # type: ignore[arg-type]
        session.delete(row)
        session.flush()
