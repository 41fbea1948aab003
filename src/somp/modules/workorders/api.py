"""REST routes of work orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.workorders import service
from somp.modules.workorders.models import WorkOrderKind, WorkOrderStatus
from somp.modules.workorders.schemas import WorkOrderCreate, WorkOrderRead, WorkOrderTransition, WorkOrderUpdate

router = APIRouter(tags=["work orders"])
Read = Annotated[RequestContext, Depends(requires("workorders:read"))]
Write = Annotated[RequestContext, Depends(requires("workorders:write"))]


@router.post("/work-orders", response_model=WorkOrderRead, status_code=status.HTTP_201_CREATED)
def open_work_order(data: WorkOrderCreate, c: Write):
    wo = service.open_work_order(c.session, data)
    c.commit()
    return service.to_read([wo])[0]


@router.get("/work-orders", response_model=Page[WorkOrderRead])
def list_work_orders(
    c: Read,
    params: Listing,
    status: WorkOrderStatus | None = None,
    kind: WorkOrderKind | None = None,
    asset_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    contract_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    assignee_user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    open_only: Annotated[bool, Query(description="only open, assigned, in progress or on hold")] = False,
    overdue: Annotated[bool, Query(description="open and past the resolution deadline")] = False,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    items, nxt = service.list_work_orders(
        c.session,
        status=status,
        kind=kind,
        asset_id=asset_id,
        customer_id=customer_id,
        contract_id=contract_id,
        assignee_user_id=assignee_user_id,
        open_only=open_only,
        overdue=overdue,
        q=q,
        **params.kw(),
    )
    return {"items": service.to_read(items), "next_cursor": nxt, "limit": params.limit}


@router.get("/work-orders/{work_order_id}", response_model=WorkOrderRead)
def get_work_order(work_order_id: int, c: Read):
    return service.to_read([service.get_work_order(c.session, work_order_id)])[0]


@router.patch("/work-orders/{work_order_id}", response_model=WorkOrderRead)
def update_work_order(work_order_id: int, data: WorkOrderUpdate, c: Write):
    wo = service.update_work_order(c.session, work_order_id, data)
    c.commit()
    return service.to_read([wo])[0]


@router.post("/work-orders/{work_order_id}/transitions", response_model=WorkOrderRead)
def transition_work_order(work_order_id: int, req: WorkOrderTransition, c: Write):
    """Assign, start, hold, resolve, close, reopen or cancel; an illegal move is refused (409)."""
    wo = service.transition_work_order(c.session, work_order_id, req)
    c.commit()
    return service.to_read([wo])[0]
