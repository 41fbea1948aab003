"""REST routes of assets: CRUD, lifecycle transitions, timeline and device tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from somp.api.common import Listing
from somp.api.deps import Authorized, RequestContext, authorized, requires
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.assets import service
from somp.modules.assets.lifecycle import AssetState, allowed_next
from somp.modules.assets.schemas import (
    AllowedTransitions,
    AssetCreate,
    AssetRead,
    AssetUpdate,
    DeviceTokenCreate,
    DeviceTokenIssued,
    DeviceTokenRead,
    StateChangeRead,
    TransitionRequest,
)

router = APIRouter(tags=["assets"])
Read = Annotated[RequestContext, Depends(requires("assets:read"))]
Write = Annotated[RequestContext, Depends(requires("assets:write"))]
Transition = Annotated[RequestContext, Depends(requires("assets:transition"))]


@router.post("/assets", response_model=AssetRead, status_code=status.HTTP_201_CREATED)
def create_asset(data: AssetCreate, c: Write):
    a = service.create_asset(c.session, data, by_user_id=c.principal.user_id)
    c.commit()
    return a


@router.get("/assets", response_model=Page[AssetRead])
async def list_assets(
    c: Annotated[Authorized, Depends(authorized("assets:read"))],
    params: Listing,
    state: AssetState | None = None,
    product_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="site GB/T 2260 prefix")] = None,
    q: Annotated[str | None, Query(max_length=100, description="serial number or site contains")] = None,
):
    # Runs on the event loop, not in the thread pool: one bounded, indexed keyset read (well under a
    # millisecond of database time) costs less than the hop to a thread, and threads contending for
    # the interpreter lock around SQLite's per-row calls were the main source of latency tails.
    with c.session() as session:
        body = service.list_assets_json(
            session,
            state=state,
            product_id=product_id,
            customer_id=customer_id,
            region_code=region_code,
            q=q,
            **params.kw(),
        )
    return Response(body, media_type="application/json")


@router.get("/assets/{asset_id}", response_model=AssetRead)
def get_asset(asset_id: int, c: Read):
    return service.get_asset(c.session, asset_id)


@router.patch("/assets/{asset_id}", response_model=AssetRead)
def update_asset(asset_id: int, data: AssetUpdate, c: Write):
    a = service.update_asset(c.session, asset_id, data)
    c.commit()
    return a


@router.post("/assets/{asset_id}/transitions", response_model=AssetRead)
def transition_asset(asset_id: int, req: TransitionRequest, c: Transition):
    """Move the asset along its lifecycle; an illegal move is refused (409) with the reason."""
    a = service.transition_asset(c.session, asset_id, req, by_user_id=c.principal.user_id)
    c.commit()
    return a


@router.get("/assets/{asset_id}/transitions", response_model=AllowedTransitions)
def allowed_transitions(asset_id: int, c: Read):
    a = service.get_asset(c.session, asset_id)
    return AllowedTransitions(state=a.state, allowed=sorted(allowed_next(a.state)))


@router.get("/assets/{asset_id}/timeline", response_model=list[StateChangeRead])
def asset_timeline(asset_id: int, c: Read):
    return service.timeline(c.session, asset_id)


@router.post("/assets/{asset_id}/device-tokens", response_model=DeviceTokenIssued, status_code=201)
def issue_device_token(asset_id: int, data: DeviceTokenCreate, c: Write):
    row, plaintext = service.issue_device_token(c.session, asset_id, data.name)
    c.commit()
    return DeviceTokenIssued.model_validate({**DeviceTokenRead.model_validate(row).model_dump(), "token": plaintext})


@router.get("/assets/{asset_id}/device-tokens", response_model=list[DeviceTokenRead])
def list_device_tokens(asset_id: int, c: Write):
    return service.list_device_tokens(c.session, asset_id)


@router.delete("/assets/{asset_id}/device-tokens/{token_id}", response_model=DeviceTokenRead)
def revoke_device_token(asset_id: int, token_id: int, c: Write):
    t = service.revoke_device_token(c.session, asset_id, token_id)
    c.commit()
    return t
