"""RFC 9457 problem details for every error the API returns.

Body: ``{"type", "title", "status", "detail", "instance", "code", "errors": [{"field", "message",
"code"}]}`` with media type ``application/problem+json``. ``errors`` names each offending field by
its dotted path so a client can show the message next to the input.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from somp.core.errors import DomainError, FieldError, TooManyAttempts
from somp.core.tenancy import TenantViolation

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TYPE_BASE = "https://somp.dev/problems/"


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    if extra:
        body.update(extra)
    return Response(orjson.dumps(body, default=str), status_code=status, media_type=PROBLEM, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    out = []
    for e in exc.errors():
        msg = e.get("msg", "invalid")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        out.append(FieldError(_loc(tuple(e.get("loc", ()))), msg, e.get("type", "invalid")))
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyAttempts):
            headers = {"Retry-After": str(exc.retry_after)}
        return problem(request, exc.status, exc.title, exc.detail, exc.code, exc.errors, exc.extra, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errs = validation_errors(exc)
        return problem(request, 422, "Invalid input", f"{len(errs)} invalid field(s)", "validation_failed", errs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Authentication required", 403: "Not allowed"}
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem(
            request,
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            str(exc.detail),
            code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        return problem(request, 409, "Conflict", "the record was changed concurrently; reload and retry", "stale")

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.info("integrity error: %s", exc.orig)
        return problem(request, 409, "Conflict", "the change conflicts with existing data", "integrity")

    @app.exception_handler(TenantViolation)
    async def _tenant(request: Request, exc: TenantViolation) -> Response:
        log.warning("tenant violation on %s: %s", request.url.path, exc)
        return problem(request, 403, "Not allowed", "outside your scope", "forbidden")
