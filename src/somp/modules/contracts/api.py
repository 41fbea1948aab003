"""REST routes of service contracts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.contracts import service
from somp.modules.contracts.models import ContractStatus
from somp.modules.contracts.schemas import ContractCreate, ContractRead, ContractTransition, ContractUpdate

router = APIRouter(tags=["contracts"])
Read = Annotated[RequestContext, Depends(requires("contracts:read"))]
Write = Annotated[RequestContext, Depends(requires("contracts:write"))]


def _one(c: RequestContext, contract) -> ContractRead:  # noqa: ANN001
    return service.to_read(c.session, [contract])[0]


@router.post("/contracts", response_model=ContractRead, status_code=status.HTTP_201_CREATED)
def create_contract(data: ContractCreate, c: Write):
    obj = service.create_contract(c.session, data)
    out = _one(c, obj)
    c.commit()
    return out


@router.get("/contracts", response_model=Page[ContractRead])
def list_contracts(
    c: Read,
    params: Listing,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    offering_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: ContractStatus | None = None,
    asset_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="contracts covering this asset")] = None,
    active_on: Annotated[dt.date | None, Query(description="live on this day")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    items, nxt = service.list_contracts(
        c.session,
        customer_id=customer_id,
        offering_id=offering_id,
        status=status,
        asset_id=asset_id,
        active_on=active_on,
        q=q,
        **params.kw(),
    )
    return {"items": service.to_read(c.session, items), "next_cursor": nxt, "limit": params.limit}


@router.get("/contracts/{contract_id}", response_model=ContractRead)
def get_contract(contract_id: int, c: Read):
    return _one(c, service.get_contract(c.session, contract_id))


@router.patch("/contracts/{contract_id}", response_model=ContractRead)
def update_contract(contract_id: int, data: ContractUpdate, c: Write):
    obj = service.update_contract(c.session, contract_id, data)
    out = _one(c, obj)
    c.commit()
    return out


@router.post("/contracts/{contract_id}/transitions", response_model=ContractRead)
def transition_contract(contract_id: int, req: ContractTransition, c: Write):
    """Sign (draft -> active), suspend, resume, expire, terminate or cancel a contract."""
    obj = service.transition_contract(c.session, contract_id, req)
    out = _one(c, obj)
    c.commit()
    return out
