"""Helpers every module's service layer uses: fetch-or-404, uniqueness checks, optimistic
locking and keyset listing. Rows are always read through the scoped session, so these helpers
never see another tenant's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from somp.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from somp.core.pagination import Order, keyset, page_of
from somp.core.schemas import MAX_ID

M = TypeVar("M")


def get_or_404(session: Session, model: type[M], id_: int, label: str | None = None) -> M:
    obj = session.get(model, id_) if 0 < id_ <= MAX_ID else None
    if obj is None:
        raise NotFound(f"{label or model.__name__} {id_} not found")
    return obj


def require_ref(session: Session, model: type[Any], id_: int | None, field: str, label: str) -> Any:
    """Check a referenced id exists in the caller's scope; a 422 naming ``field`` otherwise."""
    if id_ is None:
        return None
    obj = session.get(model, id_) if 0 < id_ <= MAX_ID else None
    if obj is None:
        raise ValidationFailed("invalid reference", [FieldError(field, f"no {label} with id {id_}", "not_found")])
    return obj


def ensure_unique(session: Session, model: type[Any], field: str, value: Any, *, exclude_id: int | None = None) -> None:
    col = getattr(model, field)
    cond = col == value
    if exclude_id is not None:
        cond = cond & (model.id != exclude_id)
    if session.scalar(select(exists().where(cond))):
        raise Conflict("already exists", [FieldError(field, f"{value!r} is already used", "duplicate")])


def check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and expected != obj.version:
        raise Conflict(
            f"{type(obj).__name__} {obj.id} was changed by someone else (version {obj.version}, you sent {expected});"
            " reload and apply your change again",
            [FieldError("version", "stale version", "stale")],
        )


def apply_changes(obj: Any, changes: dict[str, Any], skip: Iterable[str] = ("version",)) -> list[str]:
    """Set the given attributes; returns the names that changed."""
    changed = []
    skip = set(skip)
    for k, v in changes.items():
        if k in skip:
            continue
        if getattr(obj, k) != v:
            setattr(obj, k, v)
            changed.append(k)
    return changed


def list_page(
    session: Session, stmt: Select[Any], model: type[Any], *, limit: int, cursor: str | None, order: Order
) -> tuple[list[Any], str | None]:
    rows = session.scalars(keyset(stmt, model.id, limit=limit, cursor=cursor, order=order)).all()
    return page_of(rows, limit=limit, order=order)
