"""REST routes of customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.modules.customers import service
from somp.modules.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate

router = APIRouter(tags=["customers"])
Read = Annotated[RequestContext, Depends(requires("customers:read"))]
Write = Annotated[RequestContext, Depends(requires("customers:write"))]


@router.post("/customers", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
def create_customer(data: CustomerCreate, c: Write):
    obj = service.create_customer(c.session, data)
    c.commit()
    return obj


@router.get("/customers", response_model=Page[CustomerRead])
def list_customers(
    c: Read,
    params: Listing,
    q: Annotated[str | None, Query(max_length=100, description="code or name contains")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="GB/T 2260 prefix")] = None,
    industry_code: Annotated[str | None, Query(pattern=r"^[A-T]\d{0,4}$", description="GB/T 4754 prefix")] = None,
):
    return page(
        service.list_customers(c.session, q=q, region_code=region_code, industry_code=industry_code, **params.kw()),
        params,
    )


@router.get("/customers/{customer_id}", response_model=CustomerRead)
def get_customer(customer_id: int, c: Read):
    return service.get_customer(c.session, customer_id)


@router.patch("/customers/{customer_id}", response_model=CustomerRead)
def update_customer(customer_id: int, data: CustomerUpdate, c: Write):
    obj = service.update_customer(c.session, customer_id, data)
    c.commit()
    return obj
