"""The composition root: builds the FastAPI app (API, web UI, static files) from the module
manifests. Nothing connects to a database at import time; :func:`create_app` does the wiring.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as ASGIScope

from somp import __version__
from somp.api import problems
from somp.core.auth import Authenticator
from somp.core.config import Settings
from somp.core.database import Database, utcnow
from somp.core.events import EventBus
from somp.core.modules import each, import_all_models
from somp.core.runtime import settle_heap

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def _api_routes(router: APIRouter, prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every APIRoute of ``router`` with its path, including the routes of routers it includes:
    FastAPI >= 0.16x keeps an included router as one ``_IncludedRouter`` entry instead of copying
    its routes, and a route table that skipped those would hide them from the isolation tests."""
    out: list[tuple[str, APIRoute]] = []
    for r in router.routes:
        if isinstance(r, APIRoute):
            out.append((prefix + r.path, r))
        elif hasattr(r, "original_router"):  # fastapi.routing._IncludedRouter
            sub = getattr(getattr(r, "include_context", None), "prefix", "") or ""
            out += _api_routes(r.original_router, prefix + sub)
    return out


@dataclass(frozen=True)
class RouteInfo:
    """One HTTP route as served (the isolation tests enumerate these)."""

    path: str
    methods: frozenset[str]
    endpoint: Any
    in_schema: bool


class PagesOnly:
    """Apply an ASGI middleware (the web UI's cookie session) to pages only: API requests
    authenticate with bearer tokens and skip it."""

    def __init__(self, app: ASGIApp, middleware: type, **options: Any) -> None:
        self.app = app
        self.wrapped = middleware(app, **options)

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
        else:
            await self.wrapped(scope, receive, send)


class EventDispatcher:
    """A background thread delivering outbox events while the app runs, and running the modules'
    periodic jobs (``ModuleManifest.periodic``) every ``periodic_interval`` seconds."""

    def __init__(self, db: Database, bus: EventBus, interval: float, periodic_interval: float = 60.0) -> None:
        self.db, self.bus, self.interval = db, bus, interval
        self.periodic_interval = periodic_interval
        self.jobs = [job for _m, job in each("periodic")]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="somp-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_jobs = time.monotonic() + self.periodic_interval
        while not self._stop.is_set():
            try:
                while self.bus.dispatch_pending(self.db):
                    pass
            except Exception:  # keep dispatching; the outbox keeps the events
                log.exception("event dispatch failed")
            if time.monotonic() >= next_jobs:
                next_jobs = time.monotonic() + self.periodic_interval
                self.run_jobs()
            self.bus.wait(self.interval)

    def run_jobs(self) -> None:
        for job in self.jobs:
            try:
                job(self.db, utcnow())
            except Exception:  # one job's failure must not stop the others or the events
                log.exception("periodic job %s failed", getattr(job, "__qualname__", job))

    def stop(self) -> None:
        self._stop.set()
        self.bus.notify()
        if self._thread:
            self._thread.join(timeout=5)


def build_bus() -> EventBus:
    bus = EventBus()
    for _m, subscribe in each("subscriptions"):
        subscribe(bus)
    return bus


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    *,
    dispatch_events: bool = True,
) -> FastAPI:
    settings = settings or Settings()
    import_all_models()
    db = db or Database(settings.effective_database_url)
    bus = build_bus()
    dispatcher = (
        EventDispatcher(db, bus, settings.dispatch_interval_seconds, settings.periodic_interval_seconds)
        if dispatch_events
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in this thread pool. Python threads share one interpreter lock, so more
        # threads than the work needs only add unfair waiting (latency tails); requests queue fairly
        # in the event loop instead. Keep it at or below the connection pool size.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # Objects alive after start-up (modules, routes, mappers) are never garbage; moving them out of
        # the collector's view keeps full collections short, which shortens latency tails.
        settle_heap()
        if dispatcher:
            dispatcher.start()
        try:
            yield
        finally:
            if dispatcher:
                dispatcher.stop()

    app = FastAPI(
        title="somp — Service-Oriented Manufacturing Platform (服务型制造平台)",
        version=__version__,
        description="REST API of somp. Authenticate with `Authorization: Bearer <API token>`; "
        "errors are RFC 9457 problem details; lists use cursor pagination.",
        docs_url="/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.bus = bus
    app.state.auth = Authenticator(db, settings.token_cache_seconds)
    problems.install(app)

    from somp.api.system import router as system_router

    routers: list[tuple[str, APIRouter]] = [(API_PREFIX, system_router)]
    routers += [(API_PREFIX, r) for _m, r in each("api")]
    from somp.web.app import web_router

    routers.append(("", web_router()))
    routers += [("", r) for _m, r in each("web")]
    app.state.route_table = []
    for prefix, router in routers:
        app.include_router(router, prefix=prefix)
        app.state.route_table += [
            RouteInfo(prefix + path, frozenset(r.methods or ()), r.endpoint, getattr(r, "include_in_schema", True))
            for path, r in _api_routes(router)
        ]

    app.add_middleware(
        PagesOnly,
        middleware=SessionMiddleware,
        secret_key=settings.effective_secret_key,
        session_cookie="somp_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=False,
    )
    from somp.web.app import install_web

    install_web(app)
    plotly_dir = Path(str(files("plotly") / "package_data"))
    app.mount("/static/plotly", StaticFiles(directory=plotly_dir), name="plotly")
    app.mount("/static", StaticFiles(directory=Path(str(files("somp.web") / "static"))), name="static")
    return app
