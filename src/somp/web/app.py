"""The web UI shell: login and logout, the language switch, the home dashboard and the error
pages. Entity pages come from each module's ``web.py`` (see :mod:`somp.web.crud`).

``somp.api.app.create_app`` includes :func:`web_router` at ``""`` and calls :func:`install_web`
after the API's problem handlers are installed; the web handlers answer for page paths and hand
everything under ``/api`` back to the API's handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from somp.core.errors import DomainError, Forbidden, NotFound, TooManyAttempts, Unauthorized
from somp.core.tenancy import TenantViolation
from somp.modules.terminology.service import LANGS
from somp.web.context import (
    SESSION_LANG,
    CsrfFailed,
    LoginRequired,
    PageForbidden,
    PageNotFound,
    check_csrf,
    current_principal,
    flash,
    safe_next,
    sign_in,
    sign_out,
)
from somp.web.crud import read_form
from somp.web.render import render

log = logging.getLogger(__name__)


def login_form(request: Request) -> Response:
    nxt = safe_next(request.query_params.get("next"))
    if current_principal(request) is not None:
        return RedirectResponse(nxt, status_code=303)
    return render(request, "login.html", title_key="page.login.title", next=nxt, username="", error=None)


def login_submit(request: Request, form: FormData = Depends(read_form)) -> Response:
    nxt = safe_next(form.get("next") if isinstance(form.get("next"), str) else None)
    username = form.get("username") if isinstance(form.get("username"), str) else ""
    password = form.get("password") if isinstance(form.get("password"), str) else ""

    def again(error_key: str, status: int) -> Response:
        return render(
            request,
            "login.html",
            status=status,
            title_key="page.login.title",
            next=nxt,
            username=username[:80],
            error=error_key,
        )

    try:
        check_csrf(request, form)
    except CsrfFailed:
        return again("msg.session_expired", 403)
    if not username.strip() or not password:
        return again("msg.login_failed", 401)
    client = request.client.host if request.client else ""
    try:
        principal = request.app.state.auth.login(username[:80], password[:200], client)
        principal.scope  # noqa: B018 - an account without a usable role cannot sign in
    except TooManyAttempts:
        return again("msg.login_throttled", 429)
    except (Unauthorized, Forbidden):
        return again("msg.login_failed", 401)
    sign_in(request, principal)
    flash(request, "msg.welcome", name=principal.display_name)
    return RedirectResponse(nxt, status_code=303)


def logout(request: Request, form: FormData = Depends(read_form)) -> Response:
    check_csrf(request, form)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


def switch_language(request: Request, form: FormData = Depends(read_form)) -> Response:
    check_csrf(request, form)
    lang = form.get("lang")
    if lang in LANGS:
        request.session[SESSION_LANG] = lang
    nxt = form.get("next")
    return RedirectResponse(safe_next(nxt if isinstance(nxt, str) else None), status_code=303)


def home(request: Request) -> Response:
    from somp.web.dashboard import dashboard

    return dashboard(request)


def web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", home, methods=["GET"], response_class=HTMLResponse, name="web_home")
    router.add_api_route("/login", login_form, methods=["GET"], response_class=HTMLResponse, name="web_login")
    router.add_api_route("/login", login_submit, methods=["POST"], response_class=HTMLResponse, name="web_login_submit")
    router.add_api_route("/logout", logout, methods=["POST"], name="web_logout")
    router.add_api_route("/language", switch_language, methods=["POST"], name="web_language")
    return router


# ------------------------------------------------------------------------------------ errors


def is_page(request: Request) -> bool:
    path = request.url.path
    return not (path == "/api" or path.startswith("/api/") or path.startswith("/docs"))


def _error_page(request: Request, status: int, title_key: str, message_key: str, detail: str | None = None) -> Response:
    try:
        principal = current_principal(request)
    except Exception:  # noqa: BLE001 - an error page must render even when the database does not
        principal = None
    return render(
        request,
        "error.html",
        status=status,
        title_key=title_key,
        principal=principal,
        message_key=message_key,
        detail=detail,
        status_code=status,
    )


async def error_page(
    request: Request, status: int, title_key: str, message_key: str, detail: str | None = None
) -> Response:
    """The HTML error page (rendered in the thread pool: it may read the user from the database)."""
    return await run_in_threadpool(_error_page, request, status, title_key, message_key, detail)


# Pages load only this site's scripts and styles (Plotly.js included); Plotly sets inline styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class PageSecurityHeaders:
    """Security headers on web pages (not on ``/api`` or the OpenAPI UI, which loads its own assets).
    Pure ASGI, so API requests pay one string comparison."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else "/api"
        if path.startswith(("/api/", "/docs", "/redoc")) or path == "/api":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in PAGE_HEADERS.items():
                    if k not in headers:
                        headers[k] = v
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_web(app: FastAPI) -> None:
    """HTML answers for page requests; API paths keep their problem+json handlers."""
    app.add_middleware(PageSecurityHeaders)
    previous: dict[type, Callable[..., Any]] = {
        exc: app.exception_handlers[exc]
        for exc in (DomainError, StarletteHTTPException, RequestValidationError, TenantViolation)
        if exc in app.exception_handlers
    }

    async def delegate(request: Request, exc: Exception, kind: type) -> Response:
        handler = previous.get(kind)
        if handler is None:
            raise exc
        return await handler(request, exc)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login?" + urlencode({"next": safe_next(exc.next_url)}), status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return await error_page(request, 403, "page.forbidden.title", "msg.forbidden", exc.permission)

    @app.exception_handler(PageNotFound)
    async def _not_found(request: Request, exc: PageNotFound) -> Response:
        return await error_page(request, 404, "page.not_found.title", "msg.not_found")

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return await error_page(request, 403, "page.forbidden.title", "msg.csrf_failed")

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if not is_page(request):
            return await delegate(request, exc, DomainError)
        if isinstance(exc, NotFound):
            return await error_page(request, 404, "page.not_found.title", "msg.not_found")
        if isinstance(exc, Unauthorized):
            return RedirectResponse("/login", status_code=303)
        if isinstance(exc, Forbidden):
            return await error_page(request, 403, "page.forbidden.title", "msg.forbidden")
        return await error_page(request, exc.status, "page.error.title", "msg.error", str(exc))

    @app.exception_handler(TenantViolation)
    async def _tenant(request: Request, exc: TenantViolation) -> Response:
        if not is_page(request):
            return await delegate(request, exc, TenantViolation)
        log.warning("tenant violation on %s: %s", request.url.path, exc)
        return await error_page(request, 403, "page.forbidden.title", "msg.forbidden")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page(request):
            return await delegate(request, exc, StarletteHTTPException)
        if exc.status_code == 404:
            return await error_page(request, 404, "page.not_found.title", "msg.not_found")
        if exc.status_code == 405:
            return await error_page(request, 405, "page.error.title", "msg.method_not_allowed")
        return await error_page(request, exc.status_code, "page.error.title", "msg.error", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if not is_page(request):
            return await delegate(request, exc, RequestValidationError)
        return await error_page(request, 400, "page.error.title", "msg.bad_request")
