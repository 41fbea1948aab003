"""The plan records: the rows the generator produces, as plain dataclasses.

Each ``*Plan`` mirrors one table (or one service's create schema) and is written by
:mod:`somp.demo.loader`; fields after a ``# generator state`` comment are working state of the
generator and are not stored. The records refer to each other (an asset to its deal and covering
contracts, a timeline step to its work order, an invoice to the one it replaces), so they live
together. :class:`~somp.demo.scenario.plan.TenantPlan` and
:class:`~somp.demo.scenario.plan.Scenario` gather them per tenant and for the whole demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from somp.demo.reference import ProductSpec
from somp.demo.scenario.helpers import D, S
from somp.modules.assets.lifecycle import AssetState
from somp.modules.invoicing.service import money


@dataclass
class UserPlan:
    username: str
    display_name: str
    password: str
    roles: list[str]
    tenant: str | None  # tenant key
    customer: str | None = None  # customer code (customer users)
    email: str | None = None
    language: str = "zh"
    hint: str = ""  # what to look at, printed with the logins
    hint_en: str = ""
    created_at: dt.datetime | None = None


@dataclass
class ProductPlan:
    spec: ProductSpec
    created_at: dt.datetime


@dataclass
class OfferingPlan:
    kind: str  # sale / care / caas
    data: dict[str, Any]  # OfferingCreate fields, product given by code in "product"
    sla_stored: dict[str, Any]  # what the catalog service stores in offerings.sla
    created_at: dt.datetime

    @property
    def code(self) -> str:
        return self.data["code"]


@dataclass
class CustomerPlan:
    code: str
    name: str
    name_en: str
    uscc: str
    industry_code: str
    region_code: str
    contact_name: str
    contact_phone: str
    contact_email: str
    address: str
    notes: str | None
    created_at: dt.datetime
    # generator state (not stored)
    short: str = ""
    shifts: int = 2
    weight: float = 1.0
    care_affinity: float = 0.5
    caas_affinity: float = 0.5
    pay_days: tuple[int, int] = (20, 45)
    acquired_on: dt.date | None = None
    sites: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StateChangePlan:
    from_state: AssetState | None
    to_state: AssetState
    at: dt.datetime
    by: str | None  # username
    reason: str | None
    source: str
    work_order: WorkOrderPlan | None = None  # the reason is prefixed with its number


@dataclass
class AssetPlan:
    serial: str
    product: str  # product code
    customer: str  # customer code
    site_name: str
    site_address: str
    site_region_code: str
    latitude: float
    longitude: float
    manufactured_on: dt.date
    delivered_on: dt.date | None = None
    installed_on: dt.date | None = None
    commissioned_on: dt.date | None = None
    warranty_until: dt.date | None = None
    retired_on: dt.date | None = None
    state: AssetState = S.manufactured
    state_changed_at: dt.datetime | None = None
    notes: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    version: int = 1
    timeline: list[StateChangePlan] = field(default_factory=list)
    # generator state
    deal: DealPlan | None = None
    plan_delivered: dt.date | None = None
    plan_installed: dt.date | None = None
    plan_commissioned: dt.date | None = None
    retire_on: dt.date | None = None
    recycle_on: dt.date | None = None
    final: str | None = None
    coverage: list[tuple[dt.date, dt.date, ContractPlan]] = field(default_factory=list)
    downtime: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    load_factor: float = 0.65
    pm_count: int = 0


@dataclass
class ContractPlan:
    seq: int
    customer: str
    offering: str  # offering code
    kind: str
    status: str
    signed_on: dt.date | None
    start_date: dt.date
    end_date: dt.date
    assets: list[str]
    fees: dict[str, Decimal]  # serial -> agreed fee per month (care / caas base)
    periodic_fee: Decimal | None = None
    usage_unit_price: Decimal | None = None
    total_value: Decimal | None = None
    notes: str | None = None
    renewal_of: ContractPlan | None = None
    ended_on: dt.date | None = None  # terminated early (all assets retired)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    version: int = 1
    number: str = ""


@dataclass
class WorkOrderPlan:
    seq: int
    kind: str
    priority: str
    status: str
    source: str
    asset: str
    customer: str
    contract: ContractPlan | None
    title: str
    description: str | None
    assignee: str | None
    opened_at: dt.datetime
    responded_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    response_due_at: dt.datetime | None = None
    resolution_due_at: dt.datetime | None = None
    labour_hours: Decimal | None = None
    labour_cost: Decimal | None = None
    parts_cost: Decimal | None = None
    travel_cost: Decimal | None = None
    resolution_notes: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    version: int = 1
    number: str = ""


@dataclass
class InvoiceLinePlan:
    category: str  # product / service
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    tax_rate: Decimal
    cost_amount: Decimal | None = None
    asset: str | None = None
    product: str | None = None

    @property
    def amount(self) -> Decimal:
        return money(self.quantity * self.unit_price)


@dataclass
class InvoicePlan:
    seq: int
    kind: str  # invoice / credit_note
    status: str
    customer: str
    contract: ContractPlan | None
    issued_on: dt.date
    lines: list[InvoiceLinePlan]
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    due_on: dt.date | None = None
    notes: str | None = None
    replaces: InvoicePlan | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    version: int = 1
    number: str = ""

    @property
    def net_total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), D("0"))

    @property
    def tax_total(self) -> Decimal:
        return sum((money(ln.amount * ln.tax_rate) for ln in self.lines), D("0"))


@dataclass
class DealPlan:
    seq: int
    customer: CustomerPlan
    signed_on: dt.date
    kind: str  # sale / caas
    product: ProductSpec
    units: int
    site: dict[str, Any]
    prices: dict[str, Decimal] = field(default_factory=dict)
    install_fee: Decimal = D("0")
    assets: list[AssetPlan] = field(default_factory=list)
    contract: ContractPlan | None = None
