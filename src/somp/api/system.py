"""System routes: health and version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from somp import __version__
from somp.core.tenancy import Scope

router = APIRouter(tags=["system"])


@router.get("/health")
def health(request: Request) -> dict[str, str]:
    """Liveness and database reachability (no authentication)."""
    with request.app.state.db.session(Scope.all_tenants()) as s:
        s.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": request.app.state.db.dialect}
