"""REST routes of invoices."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.invoicing import service
from somp.modules.invoicing.models import InvoiceKind, InvoiceStatus
from somp.modules.invoicing.schemas import InvoiceCreate, InvoiceRead, InvoiceTransition, InvoiceUpdate

router = APIRouter(tags=["invoices"])
Read = Annotated[RequestContext, Depends(requires("invoices:read"))]
Write = Annotated[RequestContext, Depends(requires("invoices:write"))]


@router.post("/invoices", response_model=InvoiceRead, status_code=status.HTTP_201_CREATED)
def create_invoice(data: InvoiceCreate, c: Write):
    inv = service.create_invoice(c.session, data)
    c.commit()
    return inv


@router.get("/invoices", response_model=Page[InvoiceRead])
def list_invoices(
    c: Read,
    params: Listing,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    contract_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    return page(
        service.list_invoices(
            c.session,
            customer_id=customer_id,
            contract_id=contract_id,
            status=status,
            kind=kind,
            issued_from=issued_from,
            issued_to=issued_to,
            q=q,
            **params.kw(),
        ),
        params,
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead)
def get_invoice(invoice_id: int, c: Read):
    return service.get_invoice(c.session, invoice_id)


@router.patch("/invoices/{invoice_id}", response_model=InvoiceRead)
def update_invoice(invoice_id: int, data: InvoiceUpdate, c: Write):
    """Change a draft invoice (its lines are replaced when given); issued invoices are final."""
    inv = service.update_invoice(c.session, invoice_id, data)
    c.commit()
    return inv


@router.post("/invoices/{invoice_id}/transitions", response_model=InvoiceRead)
def transition_invoice(invoice_id: int, req: InvoiceTransition, c: Write):
    """Issue, mark paid or void an invoice; issued invoices are never edited."""
    inv = service.transition_invoice(c.session, invoice_id, req)
    c.commit()
    return inv
