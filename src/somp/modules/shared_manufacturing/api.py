"""REST routes of the shared-manufacturing marketplace (framework node 3.4), under ``/shared-mfg``.

A factory publishes resources and reports progress on its bookings; a buyer posts, quotes,
accepts, cancels and settles its orders; the platform operator runs the scheduler. Every route
reads through the caller's scoped session; the steps that cross tenants go through
:mod:`.marketplace`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing
from somp.api.deps import RequestContext, requires
from somp.core.database import utcnow
from somp.core.errors import Forbidden
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.shared_manufacturing import marketplace, service
from somp.modules.shared_manufacturing.models import BookingStatus, OrderStatus, RunTrigger
from somp.modules.shared_manufacturing.schemas import (
    AcceptIn,
    AcceptResult,
    BlockCreate,
    BlockRead,
    BlockResult,
    BookingRead,
    CatalogueEntry,
    ChangeRead,
    DemandRowRead,
    OrderCreate,
    OrderRead,
    PayoutRead,
    ProgressIn,
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    RunRead,
    RunRequest,
    ServedOrder,
)

router = APIRouter(prefix="/shared-mfg", tags=["shared manufacturing"])
Read = Annotated[RequestContext, Depends(requires("shared_mfg:read"))]
Write = Annotated[RequestContext, Depends(requires("shared_mfg:write"))]
Progress = Annotated[RequestContext, Depends(requires("shared_mfg:progress"))]
Runs = Annotated[RequestContext, Depends(requires("shared_mfg:runs"))]
Schedule = Annotated[RequestContext, Depends(requires("shared_mfg:schedule"))]
Analyse = Annotated[RequestContext, Depends(requires("shared_mfg:analyse"))]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _tenant(c: RequestContext) -> int:
    if c.principal.tenant_id is None:
        raise Forbidden("orders and resources belong to an enterprise; sign in as one")
    return c.principal.tenant_id


# ------------------------------------------------------------------------------ supply side


@router.get("/catalogue", response_model=list[CatalogueEntry])
def get_catalogue(c: Read, capability: Annotated[str | None, Query(max_length=64)] = None):
    """The published resources of every factory, anonymous (no factory, no bookings)."""
    return marketplace.catalogue(c.db, capability)


@router.post("/resources", response_model=ResourceRead, status_code=status.HTTP_201_CREATED)
def publish_resource(data: ResourceCreate, c: Write):
    _tenant(c)
    r = service.create_resource(c.session, data)
    c.commit()
    return service.resource_reads(c.session, [r])[0]


@router.get("/resources", response_model=Page[ResourceRead])
def list_resources(
    c: Read,
    params: Listing,
    published: bool | None = None,
    capability: Annotated[str | None, Query(max_length=64)] = None,
):
    items, nxt = service.list_resources(c.session, published=published, capability=capability, **params.kw())
    return {"items": service.resource_reads(c.session, items), "next_cursor": nxt, "limit": params.limit}


@router.get("/resources/{resource_id}", response_model=ResourceRead)
def get_resource(resource_id: int, c: Read):
    return service.resource_reads(c.session, [service.get_resource(c.session, resource_id)])[0]


@router.patch("/resources/{resource_id}", response_model=ResourceRead)
def update_resource(resource_id: int, data: ResourceUpdate, c: Write):
    r = service.update_resource(c.session, resource_id, data)
    c.commit()
    return service.resource_reads(c.session, [r])[0]


@router.post("/resources/{resource_id}/blocks", response_model=BlockResult, status_code=status.HTTP_201_CREATED)
def add_block(resource_id: int, data: BlockCreate, c: Write):
    """Maintenance, time booked elsewhere or a breakdown. When it hits booked operations (and
    ``reschedule``), the marketplace is re-planned at once (a breakdown run, bounded by
    ``time_limit``); the response carries that run's status, bound and gap."""
    block, hit = service.add_block(c.session, resource_id, data)
    c.commit()
    run = None
    if hit and data.reschedule:
        run = marketplace.run_schedule(c.db, RunTrigger.breakdown, time_limit=data.time_limit)
    return {"block": block, "affected": hit, "run": run}


@router.get("/resources/{resource_id}/blocks", response_model=list[BlockRead])
def list_blocks(resource_id: int, c: Read):
    return service.list_blocks(c.session, resource_id)


@router.get("/bookings", response_model=Page[BookingRead])
def list_bookings(
    c: Read,
    params: Listing,
    resource_id: IdQuery = None,
    order_id: IdQuery = None,
    status: BookingStatus | None = None,
):
    """Operations booked on this factory's resources."""
    items, nxt = service.list_bookings(
        c.session, resource_id=resource_id, order_id=order_id, status=status, **params.kw()
    )
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.post("/bookings/{booking_id}/progress", response_model=BookingRead)
def record_progress(booking_id: int, data: ProgressIn, c: Progress):
    """The operation started or finished; the buyer's order follows."""
    b = marketplace.record_progress(c.db, c.session, booking_id, data.event, data.at)
    c.commit()
    return b


@router.get("/served-orders", response_model=list[ServedOrder])
def served_orders(c: Read):
    """The orders this factory serves, from its bookings."""
    return service.served_orders(c.session)


@router.get("/payouts", response_model=Page[PayoutRead])
def list_payouts(c: Read, params: Listing):
    items, nxt = service.list_payouts(c.session, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


# ------------------------------------------------------------------------------ demand side


@router.post("/orders", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def post_order(data: OrderCreate, c: Write):
    o = service.post_order(c.session, data, _tenant(c))
    c.commit()
    return service.order_reads(c.session, [o])[0]


@router.get("/orders", response_model=Page[OrderRead])
def list_orders(c: Read, params: Listing, status: OrderStatus | None = None):
    items, nxt = service.list_orders(c.session, status=status, **params.kw())
    return {"items": service.order_reads(c.session, items), "next_cursor": nxt, "limit": params.limit}


@router.get("/orders/{order_id}", response_model=OrderRead)
def get_order(order_id: int, c: Read):
    return service.order_reads(c.session, [service.get_order(c.session, order_id)])[0]


@router.post("/orders/{order_id}/quote", response_model=OrderRead)
def quote_order(order_id: int, c: Write):
    """Price range per operation from the eligible published resources, the binding total with
    the platform fee; 422 naming each operation no published resource can do."""
    o = marketplace.quote_order(c.db, c.session, order_id)
    c.commit()
    return service.order_reads(c.session, [o])[0]


@router.post("/orders/{order_id}/accept", response_model=AcceptResult)
def accept_order(order_id: int, data: AcceptIn, c: Write):
    """Accept the quote; with ``schedule`` the marketplace is re-planned in this request, bounded
    by ``time_limit`` (an urgent order's run weighs its tardiness x 10); the response carries the
    order with its plan and the run's status, bound and gap."""
    o = service.accept_order(c.session, order_id)
    urgent = o.urgent
    c.commit()
    run = None
    if data.schedule:
        trigger = RunTrigger.urgent if urgent else RunTrigger.accept
        run = marketplace.run_schedule(c.db, trigger, time_limit=data.time_limit)
    c.session.expire_all()
    return {"order": service.order_reads(c.session, [service.get_order(c.session, order_id)])[0], "run": run}


@router.post("/orders/{order_id}/cancel", response_model=OrderRead)
def cancel_order(order_id: int, c: Write):
    o = marketplace.cancel_order(c.db, c.session, order_id)
    c.commit()
    return service.order_reads(c.session, [o])[0]


@router.post("/orders/{order_id}/settle", response_model=OrderRead)
def settle_order(order_id: int, c: Write):
    o = marketplace.settle_order(c.db, c.session, order_id)
    c.commit()
    return service.order_reads(c.session, [o])[0]


# ------------------------------------------------------------------------------ runs, diffs, demand


@router.post("/runs", response_model=RunRead, status_code=status.HTTP_201_CREATED)
def run_schedule(data: RunRequest, c: Schedule):
    """Re-plan the marketplace now (bounded by ``time_limit``); the run reports status, bound and gap."""
    return marketplace.run_schedule(
        c.db, RunTrigger.manual, time_limit=data.time_limit, objective=data.objective, full=data.full
    )


@router.get("/runs", response_model=Page[RunRead])
def list_runs(c: Runs, params: Listing):
    items, nxt = service.list_runs(c.session, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.get("/changes", response_model=Page[ChangeRead])
def list_changes(
    c: Read,
    params: Listing,
    run_id: IdQuery = None,
    order_number: Annotated[str | None, Query(max_length=64)] = None,
):
    """The reschedule diffs as this enterprise may see them (its orders, its resources)."""
    items, nxt = service.list_changes(c.session, run_id=run_id, order_number=order_number, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.get("/demand", response_model=list[DemandRowRead])
def demand(
    c: Analyse,
    start: dt.datetime | None = None,
    weeks: Annotated[int, Query(ge=1, le=26)] = 4,
):
    """Demand by capability and week against the published capacity: where it is short or idle."""
    begin = start or utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    if begin.tzinfo is None:
        begin = begin.replace(tzinfo=dt.UTC)
    return marketplace.demand_analysis(c.db, begin, weeks)
