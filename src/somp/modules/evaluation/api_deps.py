"""Request dependencies of the evaluation routes (framework 1.3): who may read (the enterprise or the
evaluator), write (the enterprise) and review (the evaluator). Shared by ``api.py`` and the
routers it includes (``api_programmes.py``, ``api_reports.py``), which import this module rather
than ``api.py`` (that one includes them: importing it back would be circular)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request

from somp.api.deps import RequestContext, current_principal, requires
from somp.core.auth import Principal
from somp.core.errors import Forbidden
from somp.core.schemas import MAX_ID

READ_ANY = ("self_assessment:read", "evaluation:read")


def requires_any(*permissions: str):  # noqa: ANN201
    """Like :func:`somp.api.deps.requires`, for routes open to the enterprise and the evaluator."""

    async def dependency(
        request: Request, principal: Principal = Depends(current_principal)
    ) -> AsyncIterator[RequestContext]:
        if not any(principal.can(p) for p in permissions):
            raise Forbidden(f"your roles ({', '.join(sorted(principal.roles))}) allow none of {', '.join(permissions)}")
        db = request.app.state.db
        session = db.new_session(principal.scope)
        try:
            yield RequestContext(principal, session, db, request.app.state.bus)
        finally:
            session.close()

    dependency.__name__ = "requires_any_" + "_".join(p.replace(":", "_") for p in permissions)
    return dependency


Read = Annotated[RequestContext, Depends(requires_any(*READ_ANY))]
Write = Annotated[RequestContext, Depends(requires("self_assessment:write"))]
Review = Annotated[RequestContext, Depends(requires("evaluation:review"))]
OptId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
