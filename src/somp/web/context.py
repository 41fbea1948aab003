"""Who is looking at a page, in which language, and the scoped unit of work behind it.

Pages authenticate with the signed session cookie (``somp_session``, Starlette's
SessionMiddleware): it holds the user id, a CSRF token and the chosen language. Every page opens
the database exactly like the API does: ``db.session(principal.scope)``, so a page cannot see
another tenant's rows, and checks the same permission names as the API (``core/permissions.py``).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from sqlalchemy.orm import Session

from somp.core.auth import Principal
from somp.core.errors import Forbidden
from somp.modules.terminology.service import LANGS

SESSION_USER = "uid"
SESSION_CSRF = "csrf"
SESSION_LANG = "lang"
SESSION_FLASH = "flash"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):  # noqa: N818 - control flow, rendered as a redirect
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbidden(Exception):  # noqa: N818
    def __init__(self, permission: str | None = None) -> None:
        super().__init__(permission or "")
        self.permission = permission


class PageNotFound(Exception):  # noqa: N818
    pass


class CsrfFailed(Exception):  # noqa: N818
    pass


def safe_next(value: str | None, default: str = "/") -> str:
    """A relative URL on this site (``/path?query``); anything else becomes ``default``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if len(value) > 2000 or not value.isprintable() or any(c.isspace() for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def here(request: Request) -> str:
    """The current path with its query string (for ``next=`` and the language switch)."""
    q = request.url.query
    return request.url.path + (f"?{q}" if q else "")


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, form: Mapping[str, Any]) -> None:
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(SESSION_CSRF)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()


def language(request: Request, principal: Principal | None = None) -> str:
    lang = request.session.get(SESSION_LANG)
    if lang in LANGS:
        return lang
    if principal is not None and principal.language in LANGS:
        return principal.language
    default = getattr(request.app.state.settings, "default_language", "zh")
    return default if default in LANGS else "zh"


def flash(request: Request, key: str, **params: Any) -> None:
    """Queue a message (a label key) for the next page the user sees.

    The queue is replaced, not appended to in place: the session writes its cookie only when it
    sees an assignment, so a message appended to a queue left by an earlier request was lost."""
    queued = request.session.get(SESSION_FLASH, [])
    request.session[SESSION_FLASH] = [*queued, [key, {k: str(v) for k, v in params.items()}]]


def pop_flash(request: Request) -> list[tuple[str, dict[str, str]]]:
    return [(k, p) for k, p in request.session.pop(SESSION_FLASH, [])]


def current_principal(request: Request) -> Principal | None:
    uid = request.session.get(SESSION_USER)
    if not isinstance(uid, int):
        return None
    principal = request.app.state.auth.from_user_id(uid)
    if principal is None:  # deactivated since the login
        request.session.pop(SESSION_USER, None)
    return principal


def sign_in(request: Request, principal: Principal) -> None:
    lang = request.session.get(SESSION_LANG)
    request.session.clear()  # a fresh session: no fixation of a pre-login session
    request.session[SESSION_USER] = principal.user_id
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    if lang in LANGS:
        request.session[SESSION_LANG] = lang


def sign_out(request: Request) -> None:
    request.session.clear()


@dataclass
class WebContext:
    """One page request: the user, their language and the session in their scope."""

    request: Request
    principal: Principal
    session: Session
    lang: str
    extra: dict[str, Any] = field(default_factory=dict)

    def can(self, permission: str | None) -> bool:
        return permission is None or self.principal.can(permission)

    def require(self, permission: str | None) -> None:
        if not self.can(permission):
            raise PageForbidden(permission)

    def commit(self) -> None:
        recorded = self.session.info.pop("events_recorded", 0)
        self.session.commit()
        if recorded:
            self.request.app.state.bus.notify()

    def rollback(self) -> None:
        self.session.info.pop("events_recorded", None)
        self.session.rollback()


@contextmanager
def page(request: Request, permission: str | None) -> Iterator[WebContext]:
    """Authenticate, authorise and open the scoped session of a page."""
    principal = current_principal(request)
    if principal is None:  # after signing in, a GET returns to its page; a form post goes home
        raise LoginRequired(here(request) if request.method == "GET" else "/")
    if permission is not None and not principal.can(permission):
        raise PageForbidden(permission)
    try:
        scope = principal.scope
    except Forbidden:
        raise PageForbidden(permission) from None
    with request.app.state.db.session(scope) as s:
        yield WebContext(request, principal, s, language(request, principal))


def parse_id(request: Request, name: str) -> int:
    raw = request.path_params.get(name, "")
    if not raw.isdigit() or len(raw) > 18:
        raise PageNotFound()
    return int(raw)
