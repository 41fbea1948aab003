"""Tenant isolation, enforced in one place.

Every session carries a :class:`Scope` in ``session.info["scope"]``. A global ``do_orm_execute``
hook adds the scope's criteria to every ORM SELECT, UPDATE and DELETE, and a ``before_flush``
hook stamps new rows with the scope's tenant and refuses writes to another tenant's rows. A
session without a scope cannot run an ORM statement at all (fail closed).

Scopes:

* tenant scope: rows of one tenant (``TenantOwned``); customer users are further narrowed to
  their own customer's rows (models naming the column in ``__customer_column__``);
* evaluator scope: no tenant-owned rows at all, except models that the evaluation module marks
  ``__evaluation_visible__ = True`` (read-only);
* platform scope: the platform administrator's and the system's view over all tenants (demo
  loading, imports with an explicit tenant, event dispatch re-scopes to the event's tenant).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, false, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria


class TenantViolation(PermissionError):
    """Raised when code tries to read or write outside its scope."""


@dataclass(frozen=True, slots=True)
class Scope:
    tenant_id: int | None = None
    customer_id: int | None = None
    evaluator: bool = False
    platform: bool = False

    @classmethod
    def tenant(cls, tenant_id: int, customer_id: int | None = None) -> Scope:
        return cls(tenant_id=tenant_id, customer_id=customer_id)

    @classmethod
    def evaluation(cls) -> Scope:
        return cls(evaluator=True)

    @classmethod
    def all_tenants(cls) -> Scope:
        return cls(platform=True)

    def __post_init__(self) -> None:
        kinds = (self.tenant_id is not None) + self.evaluator + self.platform
        if kinds != 1:
            raise ValueError("a scope is exactly one of: a tenant, the evaluator view, the platform view")
        if self.customer_id is not None and self.tenant_id is None:
            raise ValueError("a customer scope needs its tenant")


def current_scope(session: Session) -> Scope:
    scope = session.info.get("scope")
    if not isinstance(scope, Scope):
        raise TenantViolation("session has no access scope; use Database.session(scope)")
    return scope


def _tenant_owned() -> type:
    from somp.core.database import TenantOwned

    return TenantOwned


def _tenant_model() -> type:
    from somp.core.identity import Tenant

    return Tenant


def _customer_scoped_classes() -> list[type]:
    from somp.core.database import Base

    return [m.class_ for m in Base.registry.mappers if getattr(m.class_, "__customer_column__", None)]


def row_filter(scope: Scope, model: type) -> dict[str, Any] | None:
    """The column equalities that limit ``model``'s rows to what ``scope`` may see; ``None`` when
    it may see none. The ORM hook below and the raw read path (:mod:`somp.core.fastread`) both
    follow these rules; a test checks they select the same rows."""
    if not issubclass(model, _tenant_owned()):
        if model is _tenant_model() and scope.tenant_id is not None:
            return {"id": scope.tenant_id}
        return {}
    if scope.platform:
        return {}
    if scope.evaluator:
        return {} if getattr(model, "__evaluation_visible__", False) else None
    out: dict[str, Any] = {"tenant_id": scope.tenant_id}
    column = getattr(model, "__customer_column__", None)
    if scope.customer_id is not None and column:
        out[column] = scope.customer_id
    return out


def _criteria_options(scope: Scope) -> list[Any]:
    owned = _tenant_owned()
    tenant_model = _tenant_model()
    if scope.platform:
        return []
    if scope.evaluator:
        return [
            with_loader_criteria(
                owned,
                lambda cls: true() if getattr(cls, "__evaluation_visible__", False) else false(),
                include_aliases=True,
                track_closure_variables=False,
            )
        ]
    tid = scope.tenant_id
    opts = [
        with_loader_criteria(owned, lambda cls: cls.tenant_id == tid, include_aliases=True),
        with_loader_criteria(tenant_model, lambda cls: cls.id == tid, include_aliases=True),
    ]
    if scope.customer_id is not None:
        # a plain expression per customer-scoped class (not a lambda: the value must be bound as is)
        for cls in _customer_scoped_classes():
            column = getattr(cls, cls.__customer_column__)
            opts.append(with_loader_criteria(cls, column == scope.customer_id, include_aliases=True))
    return opts


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        # lazy/refresh loads follow an object that was already loaded through the filter
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = current_scope(state.session)
    opts = _criteria_options(scope)
    if opts:
        state.statement = state.statement.options(*opts)


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    scope = current_scope(session)
    owned = _tenant_owned()
    tenant_model = _tenant_model()
    if scope.evaluator and (session.new or session.dirty or session.deleted):
        raise TenantViolation("the evaluator view is read-only")
    for obj in session.new:
        if isinstance(obj, owned):
            if obj.tenant_id is None:
                if scope.platform and (
                    getattr(obj, "__tenant_optional__", False) or getattr(obj, "__tenant_from_parent__", False)
                ):
                    continue  # NULL tenant allowed, or copied from the parent row during the flush
                if scope.tenant_id is None:
                    raise TenantViolation(f"{type(obj).__name__} needs an explicit tenant in the platform view")
                obj.tenant_id = scope.tenant_id
            elif scope.tenant_id is not None and obj.tenant_id != scope.tenant_id:
                raise TenantViolation(f"cannot create {type(obj).__name__} in another tenant")
        elif isinstance(obj, tenant_model) and not scope.platform:
            raise TenantViolation("only the platform view creates tenants")
    for obj in list(session.dirty) + list(session.deleted):
        if scope.platform:
            continue
        if isinstance(obj, owned):
            hist = _attr_history(obj, "tenant_id")
            if hist or obj.tenant_id != scope.tenant_id:
                raise TenantViolation(f"cannot change {type(obj).__name__} of another tenant")
        elif isinstance(obj, tenant_model) and obj.id != scope.tenant_id:
            raise TenantViolation("cannot change another tenant")


def _attr_history(obj: Any, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(obj).attrs[name].history.has_changes()


_installed = False


def install_tenant_guard() -> None:
    """Register the session hooks once per process (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_flush", _before_flush)
    _installed = True
