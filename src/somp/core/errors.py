"""Domain errors. Services raise these; the API renders them as RFC 9457 problem details.

Every error carries a stable machine ``code``, an English ``detail`` and, where the error is about
input, a list of :class:`FieldError` naming the field (dotted path) and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason an input was refused. ``code`` names the reason (UIs translate it with
    ``params``); ``message`` is the English text."""

    field: str
    message: str
    code: str = "invalid"
    row: int | None = None
    params: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"field": self.field, "message": self.message, "code": self.code}
        if self.row is not None:
            d["row"] = self.row
        if self.params:
            d["params"] = self.params
        return d


@dataclass
class DomainError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __str__(self) -> str:
        if not self.errors:
            return self.detail
        parts = "; ".join(
            (f"row {e.row}: " if e.row is not None else "") + f"{e.field}: {e.message}" for e in self.errors[:20]
        )
        more = f" (and {len(self.errors) - 20} more)" if len(self.errors) > 20 else ""
        return f"{self.detail}: {parts}{more}"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class IllegalTransition(DomainError):
    """A state machine refused a transition; ``detail`` says why and ``extra`` lists the allowed states."""

    status = 409
    code = "illegal_transition"
    title = "Transition not allowed"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class TooManyAttempts(DomainError):
    """Refused for a while after repeated failures; ``retry_after`` seconds until it is allowed."""

    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"

    @property
    def retry_after(self) -> int:
        return int(self.extra.get("retry_after", 60))


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


def illegal_transition(
    enum: str, current: Any, target: Any, allowed: Any, field: str = "to_status"
) -> IllegalTransition:
    """The refusal of a state machine outside its transition table (contracts, work orders,
    invoices...). ``enum`` names the state enum (e.g. ``contract_status``) so UIs can label the
    states in their language."""
    names = sorted(str(getattr(a, "value", a)) for a in allowed)
    cur, tgt = str(getattr(current, "value", current)), str(getattr(target, "value", target))
    reason = f"cannot go from {cur} to {tgt}; allowed next: {', '.join(names) or 'none (final)'}"
    params = {"enum": enum, "from_state": cur, "to_state": tgt, "allowed": names}
    return IllegalTransition(
        reason, [FieldError(field, reason, "illegal_transition", params=params)], {"allowed": names}
    )


def not_found(entity: str, key: Any) -> NotFound:
    return NotFound(f"{entity} {key} not found")


def invalid(field_name: str, message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed("invalid input", [FieldError(field_name, message, code)])
