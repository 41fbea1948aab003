"""The standards catalogue and conformance self-checks (对标达标) (issue 4; framework nodes 1.1-4,
the standards system itself). Business rules only: no HTTP.

* Catalogue rows (:class:`CatalogueStandard`) are platform data, read in every scope. The built-in
  catalogue (data/standards.yaml) is stored on first use (:func:`ensure_catalogue`), entries missing
  by key only, so an evaluator's later status change (drafting -> published) is kept. Evaluators add
  and update entries: the write happens in a platform session after the route checked
  ``evaluation:review`` (the evaluator's own view is read-only).
* A self-check is the enterprise's (tenant-owned, evaluator-visible): a judgement per clause with
  evidence; its conformance share is computed by :func:`recognition.conformance` and stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import Conflict, FieldError, NotFound, ValidationFailed, not_found
from somp.core.service import check_version
from somp.core.tenancy import Scope, current_scope
from somp.modules.evaluation import recognition as rc
from somp.modules.evaluation.models import CatalogueStandard, ConformanceCheck, StandardStatus


def _row_from(s: rc.Standard, **kw: Any) -> dict[str, Any]:
    return dict(
        key=s.key, code=s.code, title_zh=s.title.zh, title_en=s.title.en, status=StandardStatus(s.status),
        year=s.year, kind=s.kind, framework=list(s.framework), counts_toward_target=s.counts_toward_target,
        verification=s.verification, source_note=s.source_note.strip(),
        clauses=[c.model_dump() for c in s.clauses], **kw,
    )  # fmt: skip


def ensure_catalogue(db: Database) -> None:
    """Store the built-in catalogue entries that are not stored yet (by key), once. Call it before
    the caller's session reads anything: on SQLite a read transaction keeps the snapshot it began
    with and would not see the rows stored here."""
    cat = rc.default_catalogue()
    with db.session(Scope.all_tenants()) as s:
        have = set(s.scalars(select(CatalogueStandard.key)).all())
        missing = [x for x in cat.standards if x.key not in have]
        if missing:
            s.add_all(CatalogueStandard(**_row_from(x, builtin=True)) for x in missing)
            s.commit()


def list_standards(db: Database, session: Session, *, status: str | None = None, framework: str | None = None
                   ) -> list[CatalogueStandard]:  # fmt: skip
    ensure_catalogue(db)
    stmt = select(CatalogueStandard).order_by(CatalogueStandard.id)
    if status:
        stmt = stmt.where(CatalogueStandard.status == StandardStatus(status))
    rows = list(session.scalars(stmt).all())
    if framework:
        rows = [r for r in rows if any(n == framework or n.startswith(framework + ".") for n in r.framework)]
    return rows


def get_standard(db: Database, session: Session, standard_id: int) -> CatalogueStandard:
    ensure_catalogue(db)
    row = session.get(CatalogueStandard, standard_id)
    if row is None:
        raise not_found("standard", standard_id)
    return row


def progress(db: Database, session: Session) -> rc.StandardsProgress:
    """Published SOM standards against the plan's target (20 by 2028)."""
    rows = list_standards(db, session)
    return rc.standards_progress(
        [{"status": r.status.value, "counts_toward_target": r.counts_toward_target} for r in rows],
        rc.default_catalogue().target,
    )


def _validated(data: dict[str, Any]) -> rc.Standard:
    try:
        return rc.Standard.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed("the standard is invalid", [
            FieldError(".".join(str(x) for x in err["loc"]) or "standard", err["msg"], "invalid_standard")
            for err in e.errors()
        ]) from None  # fmt: skip


def save_standard(db: Database, data: dict[str, Any], standard_id: int | None = None) -> int:
    """Add (``standard_id`` None) or replace a catalogue entry, validated as in the data file. Written
    in a platform session (the caller checked ``evaluation:review``). Returns the row id."""
    std = _validated(data)
    ensure_catalogue(db)
    with db.session(Scope.all_tenants()) as w:
        clash = w.scalar(select(CatalogueStandard.id).where(CatalogueStandard.key == std.key))
        if clash is not None and clash != standard_id:
            raise Conflict(f"a standard with key {std.key} exists (id {clash})",
                           [FieldError("key", "exists", "duplicate_key")])  # fmt: skip
        if standard_id is None:
            row = CatalogueStandard(**_row_from(std, builtin=False))
            w.add(row)
        else:
            row = w.get(CatalogueStandard, standard_id)
            if row is None:
                raise not_found("standard", standard_id)
            for k, v in _row_from(std).items():
                setattr(row, k, v)
        w.flush()
        rid = row.id
        w.commit()
    return rid


def standard_dict(row: CatalogueStandard) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in CatalogueStandard.__table__.columns}


# ---- conformance self-checks ------------------------------------------------------------------------


def _clauses_with_files(session: Session, check_id: int | None) -> set[str]:
    from somp.modules.evaluation.models import RecordFile

    if check_id is None:
        return set()
    return set(session.scalars(select(RecordFile.item).where(RecordFile.check_id == check_id)).all())


def _summarise(std: CatalogueStandard, items: list[dict[str, Any]], filed: set[str] | frozenset[str] = frozenset()
               ) -> dict[str, Any]:  # fmt: skip
    """The conformance summary; a clause with a stored evidence file (``filed``) has evidence."""
    counted = [it | {"evidence": [*(it.get("evidence") or []), {"file": True}]} if it.get("clause") in filed else it
               for it in items]  # fmt: skip
    try:
        return rc.conformance([c["code"] for c in std.clauses], counted).to_dict()
    except rc.RecognitionInvalid as e:
        raise ValidationFailed("the self-check is invalid", [
            FieldError(line.split(": ", 1)[0], line.split(": ", 1)[-1], "invalid_item") for line in e.errors
        ]) from None  # fmt: skip


def start_check(db: Database, session: Session, standard_id: int, items: list[dict[str, Any]], user_id: int | None
                ) -> ConformanceCheck:  # fmt: skip
    """A self-check of the enterprise against a standard that has clauses."""
    try:
        std = get_standard(db, session, standard_id)
    except NotFound:
        raise ValidationFailed("unknown standard", [FieldError("standard_id", f"no standard {standard_id}",
                                                               "not_found")]) from None  # fmt: skip
    if not std.clauses:
        raise ValidationFailed("no clauses", [FieldError("standard_id", f"{std.code or std.key} lists no clauses "
                                                         "to check against yet", "no_clauses")])  # fmt: skip
    row = ConformanceCheck(standard_id=std.id, standard_code=std.code, items=items,
                           summary=_summarise(std, items), created_by=user_id)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _visible(session: Session, stmt):  # noqa: ANN001, ANN202
    if current_scope(session).evaluator:  # the evaluator sees submitted self-checks only
        return stmt.where(ConformanceCheck.submitted_at.is_not(None))
    return stmt


def get_check(session: Session, check_id: int) -> ConformanceCheck:
    row = session.scalar(_visible(session, select(ConformanceCheck).where(ConformanceCheck.id == check_id)))
    if row is None:
        raise not_found("conformance check", check_id)
    return row


def list_checks(session: Session, standard_id: int | None = None) -> list[ConformanceCheck]:
    stmt = _visible(session, select(ConformanceCheck).order_by(ConformanceCheck.id.desc()))
    if standard_id is not None:
        stmt = stmt.where(ConformanceCheck.standard_id == standard_id)
    return list(session.scalars(stmt.limit(500)).all())


def update_check(db: Database, session: Session, check_id: int, items: list[dict[str, Any]], version: int | None,
                 submit: bool = False) -> ConformanceCheck:  # fmt: skip
    """Replace the judgements (the whole list: stored whole or refused); ``submit`` marks it final."""
    row = get_check(session, check_id)
    check_version(row, version)
    if row.submitted_at is not None:
        raise Conflict(f"self-check {check_id} was submitted; start a new one",
                       [FieldError("items", "submitted", "not_editable")])  # fmt: skip
    std = get_standard(db, session, row.standard_id)
    row.summary = _summarise(std, items, _clauses_with_files(session, row.id))
    row.items = items
    if submit:
        row.submitted_at = utcnow()
    row.updated_at = utcnow()
    session.flush()
    return row


def refresh_summary(db: Database, session: Session, check: ConformanceCheck) -> None:
    """Compute the summary again after an evidence file was stored or removed."""
    std = get_standard(db, session, check.standard_id)
    check.summary = _summarise(std, check.items or [], _clauses_with_files(session, check.id))
    check.updated_at = utcnow()
    session.flush()
