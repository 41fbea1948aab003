"""The customer portal's overview (2.1.6, 1.2.1): what a customer user sees of their own business
with the manufacturer. Nothing here filters by customer: the customer user's session scope
(:mod:`somp.core.tenancy`) narrows every customer-owned table to their customer, centrally."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.schemas import ReadModel
from somp.modules.aftersales.models import OPEN_TICKET, Ticket
from somp.modules.aftersales.schemas import TicketRead
from somp.modules.aftersales.service import ensure_found, to_read
from somp.modules.assets.models import Asset
from somp.modules.contracts.models import Contract
from somp.modules.customers.models import Customer
from somp.modules.invoicing.models import Invoice, InvoiceStatus

LIMIT = 200


class PortalAsset(ReadModel):
    id: int
    serial_number: str
    state: str
    site_name: str | None


class PortalContract(ReadModel):
    id: int
    number: str
    status: str
    start_date: dt.date
    end_date: dt.date


class PortalInvoice(ReadModel):
    id: int
    number: str
    status: str
    issued_on: dt.date
    due_on: dt.date | None
    net_total: Decimal
    tax_total: Decimal


class PortalOverview(ReadModel):
    customer_id: int
    customer_name: str
    assets: list[PortalAsset]
    contracts: list[PortalContract]
    invoices: list[PortalInvoice]
    open_tickets: list[TicketRead]


def overview(session: Session, customer_id: int) -> PortalOverview:
    customer = ensure_found(session.get(Customer, customer_id), "customer", customer_id)
    assets = session.scalars(select(Asset).order_by(Asset.id).limit(LIMIT)).all()
    contracts = session.scalars(select(Contract).order_by(Contract.start_date.desc()).limit(LIMIT)).all()
    invoices = session.scalars(
        select(Invoice)
        .where(Invoice.status.in_((InvoiceStatus.issued, InvoiceStatus.paid)))  # drafts are internal
        .order_by(Invoice.issued_on.desc())
        .limit(LIMIT)
    ).all()
    tickets = session.scalars(
        select(Ticket).where(Ticket.status.in_(OPEN_TICKET)).order_by(Ticket.opened_at.desc()).limit(LIMIT)
    ).all()
    return PortalOverview(
        customer_id=customer.id,
        customer_name=customer.name,
        assets=[PortalAsset.model_validate(a) for a in assets],
        contracts=[PortalContract.model_validate(c) for c in contracts],
        invoices=[PortalInvoice.model_validate(i) for i in invoices],
        open_tickets=to_read(list(tickets)),
    )
