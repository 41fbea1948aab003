"""REST routes of the catalog: products and offerings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.catalog import service
from somp.modules.catalog.models import OfferingStatus, PriceModel, ProductStatus
from somp.modules.catalog.schemas import (
    OfferingCreate,
    OfferingRead,
    OfferingUpdate,
    ProductCreate,
    ProductRead,
    ProductUpdate,
)

router = APIRouter(tags=["catalog"])
Read = Annotated[RequestContext, Depends(requires("catalog:read"))]
Write = Annotated[RequestContext, Depends(requires("catalog:write"))]


@router.post("/products", response_model=ProductRead, status_code=status.HTTP_201_CREATED)
def create_product(data: ProductCreate, c: Write):
    p = service.create_product(c.session, data)
    c.commit()
    return p


@router.get("/products", response_model=Page[ProductRead])
def list_products(
    c: Read,
    params: Listing,
    category: Annotated[str | None, Query(max_length=80)] = None,
    status: ProductStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="code or name contains")] = None,
):
    return page(service.list_products(c.session, category=category, status=status, q=q, **params.kw()), params)


@router.get("/products/{product_id}", response_model=ProductRead)
def get_product(product_id: int, c: Read):
    return service.get_product(c.session, product_id)


@router.patch("/products/{product_id}", response_model=ProductRead)
def update_product(product_id: int, data: ProductUpdate, c: Write):
    p = service.update_product(c.session, product_id, data)
    c.commit()
    return p


@router.post("/offerings", response_model=OfferingRead, status_code=status.HTTP_201_CREATED)
def create_offering(data: OfferingCreate, c: Write):
    o = service.create_offering(c.session, data)
    c.commit()
    return o


@router.get("/offerings", response_model=Page[OfferingRead])
def list_offerings(
    c: Read,
    params: Listing,
    product_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    price_model: PriceModel | None = None,
    status: OfferingStatus | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    return page(
        service.list_offerings(
            c.session, product_id=product_id, price_model=price_model, status=status, q=q, **params.kw()
        ),
        params,
    )


@router.get("/offerings/{offering_id}", response_model=OfferingRead)
def get_offering(offering_id: int, c: Read):
    return service.get_offering(c.session, offering_id)


@router.patch("/offerings/{offering_id}", response_model=OfferingRead)
def update_offering(offering_id: int, data: OfferingUpdate, c: Write):
    o = service.update_offering(c.session, offering_id, data)
    c.commit()
    return o
