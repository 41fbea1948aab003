"""REST routes of the terminology (1.1): the framework tree and the bilingual glossary."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from somp.api.deps import current_principal
from somp.core.auth import Principal
from somp.core.errors import NotFound
from somp.modules.terminology import service
from somp.modules.terminology.schemas import FrameworkNodeRead, TermRead

router = APIRouter(tags=["terminology"], prefix="/terminology")


def _reader(p: Annotated[Principal, Depends(current_principal)]) -> Principal:
    p.require("terminology:read")
    return p


Reader = Annotated[Principal, Depends(_reader)]


@router.get("/framework", response_model=list[FrameworkNodeRead])
def framework(_p: Reader):
    """The standards framework: four areas and their nodes, with the module implementing each leaf."""
    return [asdict(n) for n in service.framework_tree()]


@router.get("/terms", response_model=list[TermRead])
def terms(
    _p: Reader,
    q: Annotated[str | None, Query(max_length=100, description="in term or definition, either language")] = None,
    framework: Annotated[str | None, Query(pattern=r"^[1-4](\.\d+){0,2}$")] = None,
):
    return [asdict(t) for t in service.search_terms(q, framework)]


@router.get("/terms/{key}", response_model=TermRead)
def term(key: str, _p: Reader):
    t = service.glossary().get(key)
    if t is None:
        raise NotFound(f"term {key} not found")
    return asdict(t)
