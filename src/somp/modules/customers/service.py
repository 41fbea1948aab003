"""Customers service (framework node 1.2.1)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.pagination import Order
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page
from somp.modules.customers.models import Customer
from somp.modules.customers.schemas import CustomerCreate, CustomerUpdate


def create_customer(session: Session, data: CustomerCreate) -> Customer:
    ensure_unique(session, Customer, "code", data.code)
    customer = Customer(**data.model_dump())
    session.add(customer)
    session.flush()
    return customer


def get_customer(session: Session, customer_id: int) -> Customer:
    return get_or_404(session, Customer, customer_id, "customer")


def update_customer(session: Session, customer_id: int, data: CustomerUpdate) -> Customer:
    customer = get_customer(session, customer_id)
    check_version(customer, data.version)
    apply_changes(customer, data.model_dump(exclude_unset=True))
    session.flush()
    return customer


def list_customers(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    q: str | None = None,
    region_code: str | None = None,
    industry_code: str | None = None,
) -> tuple[list[Customer], str | None]:
    stmt = select(Customer)
    if q:
        stmt = stmt.where(
            Customer.code.icontains(q, autoescape=True)
            | Customer.name.icontains(q, autoescape=True)
            | Customer.name_en.icontains(q, autoescape=True)
        )
    if region_code:
        stmt = stmt.where(Customer.region_code.startswith(region_code, autoescape=True))
    if industry_code:
        stmt = stmt.where(Customer.industry_code.startswith(industry_code, autoescape=True))
    return list_page(session, stmt, Customer, limit=limit, cursor=cursor, order=order)
