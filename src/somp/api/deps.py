"""FastAPI dependencies: authentication, permission checks and the scoped unit of work.

Routes declare what they need with :func:`requires`; the dependency authenticates the caller,
checks the permission and opens a session in the caller's scope, so a route cannot forget the
tenant filter. Routes commit explicitly through :meth:`RequestContext.commit` before returning,
so a client never gets a success response for an uncommitted change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from somp.core.auth import Authenticator, Principal
from somp.core.database import Database
from somp.core.errors import Unauthorized
from somp.core.events import EventBus

bearer = HTTPBearer(auto_error=False, description="an API token: `somp_api_...`")


@dataclass
class RequestContext:
    principal: Principal
    session: Session
    db: Database
    bus: EventBus

    def commit(self) -> None:
        recorded = self.session.info.pop("events_recorded", 0)
        self.session.commit()
        if recorded:
            self.bus.notify()


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an API token as `Authorization: Bearer somp_api_...`")
    auth: Authenticator = request.app.state.auth
    return auth.from_token(credentials.credentials)


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    # async on purpose: a cache hit costs microseconds, and a sync dependency would cost a hop
    # through the thread pool on every request; a cache miss does one short indexed lookup.
    return authenticate(request, credentials)


def requires(permission: str) -> Callable[..., AsyncIterator[RequestContext]]:
    """Dependency factory: an authenticated, authorised request with a scoped session."""

    async def dependency(
        request: Request, principal: Principal = Depends(current_principal)
    ) -> AsyncIterator[RequestContext]:
        principal.require(permission)
        db: Database = request.app.state.db
        session = db.new_session(principal.scope)  # no I/O until the route uses it
        try:
            yield RequestContext(principal, session, db, request.app.state.bus)
        finally:
            session.close()  # rolls back whatever the route did not commit

    dependency.__name__ = f"requires_{permission.replace(':', '_').replace('*', 'any')}"
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


@dataclass(frozen=True)
class Authorized:
    """An authenticated, authorised caller without an open session: for routes that open their
    own short session (the hot list), so the request pays no generator dependency."""

    principal: Principal
    db: Database

    def session(self) -> AbstractContextManager[Session]:
        return self.db.session(self.principal.scope)


def authorized(permission: str) -> Callable[..., Awaitable[Authorized]]:
    async def dependency(request: Request, principal: Principal = Depends(current_principal)) -> Authorized:
        principal.require(permission)
        return Authorized(principal, request.app.state.db)

    dependency.__name__ = f"authorized_{permission.replace(':', '_').replace('*', 'any')}"
    return dependency
