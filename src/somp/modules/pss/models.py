"""Tables of the pss module (framework node 2.1.2): the price plan and the SLA terms agreed in a
contract, billing runs and what each run did per contract, and the billed periods that make a run
idempotent.

* :class:`PricePlan` — one per contract: one-time sale, subscription, pay-per-use (metric, unit,
  graduated tiers, included quantity, minimum charge) or availability-based (fee and bonus/penalty
  bands); monthly amounts in CNY, validated at the edge (:mod:`.schemas`).
* :class:`SlaTerms` — one per contract: availability target, response and resolution hours per
  priority, MTTR target, the name of the service calendar (:mod:`somp.core.calendars`), and the
  credits owed when the SLA is missed.
* :class:`BillingRun` / :class:`BillingRunItem` — one run per tenant and period and its outcome per
  contract (billed, or skipped with a reason code).
* :class:`BilledPeriod` — unique (tenant, contract, period): a contract is billed once per period,
  whatever runs, retries or concurrent runs happen (the second insert fails and its run rolls back).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import JSON, Base, Quantity, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum
from somp.modules.catalog.models import PriceModel

Percent = Numeric(7, 4)


class PricePlan(TenantOwned, Timestamped, Base):
    __tablename__ = "pss_price_plans"
    __table_args__ = (
        tenant_key("pss_price_plans"),
        UniqueConstraint("tenant_id", "contract_id"),
        tenant_fk("contract_id", "contracts", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int]
    model: Mapped[PriceModel] = mapped_column(str_enum(PriceModel, "pss_price_model"))
    price: Mapped[Decimal | None]  # one-time sale
    sold_on: Mapped[dt.date | None]
    fee: Mapped[Decimal | None]  # per month: subscription, availability-based
    metric: Mapped[str | None] = mapped_column(String(64))  # pay-per-use: telemetry metric key
    unit: Mapped[str | None] = mapped_column(String(16))
    included: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    minimum_charge: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    tiers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"up_to": "1000" | None, "unit_price": "0.12"}]
    bands: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"from_pct": "99.5", "adjust_pct": "3"}]
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.13"))
    notes: Mapped[str | None] = mapped_column(Text)


class SlaTerms(TenantOwned, Timestamped, Base):
    __tablename__ = "pss_sla_terms"
    __table_args__ = (
        tenant_key("pss_sla_terms"),
        UniqueConstraint("tenant_id", "contract_id"),
        tenant_fk("contract_id", "contracts", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int]
    availability_target_pct: Mapped[Decimal | None] = mapped_column(Percent)
    calendar: Mapped[str] = mapped_column(String(40), default="24x7")
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # priority -> response/resolution hours
    mttr_hours: Mapped[Decimal | None] = mapped_column(Quantity)
    availability_credit_pct: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0))
    breach_credit: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))  # per work order past its resolution
    credit_cap_pct: Mapped[Decimal] = mapped_column(Percent, default=Decimal(100))


class BillingOutcome(enum.StrEnum):
    billed = "billed"
    skipped = "skipped"


class BillingRun(TenantOwned, Base):
    __tablename__ = "pss_billing_runs"
    __table_args__ = (tenant_key("pss_billing_runs"), Index("ix_pss_billing_runs_period", "tenant_id", "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]  # exclusive
    issued_on: Mapped[dt.date]
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    by_user_id: Mapped[int | None]
    contracts: Mapped[int] = mapped_column(default=0)
    invoices: Mapped[int] = mapped_column(default=0)
    credit_notes: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    net_invoiced: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    net_credited: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    skip_reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # reason code -> count


class BillingRunItem(TenantOwned, Base):
    __tablename__ = "pss_billing_run_items"
    __table_args__ = (
        tenant_fk("run_id", "pss_billing_runs", ondelete="CASCADE"),
        tenant_fk("contract_id", "contracts", ondelete="CASCADE"),
        tenant_fk("invoice_id", "invoices"),
        tenant_fk("credit_note_id", "invoices"),
        Index("ix_pss_billing_run_items_run", "tenant_id", "run_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int]
    contract_id: Mapped[int]
    contract_number: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[BillingOutcome] = mapped_column(str_enum(BillingOutcome, "pss_billing_outcome"))
    reason: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(300))
    invoice_id: Mapped[int | None]
    credit_note_id: Mapped[int | None]
    net_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    credit_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    usage: Mapped[Decimal | None] = mapped_column(Quantity)
    availability_pct: Mapped[Decimal | None] = mapped_column(Percent)


class BilledPeriod(TenantOwned, Base):
    __tablename__ = "pss_billed_periods"
    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "period"),
        tenant_fk("contract_id", "contracts", ondelete="CASCADE"),
        tenant_fk("run_id", "pss_billing_runs", ondelete="CASCADE"),
        tenant_fk("invoice_id", "invoices"),
        tenant_fk("credit_note_id", "invoices"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int]
    period: Mapped[str] = mapped_column(String(7))
    run_id: Mapped[int]
    invoice_id: Mapped[int | None]
    credit_note_id: Mapped[int | None]


from somp.modules.pss import design_models as design_models  # noqa: E402  (design and delivery tables, 2.1.2 / 2.1.5)
from somp.modules.pss import requirements_models  # noqa: E402, F401 - requirements engineering (2.1.1)

# ---- SLA attainment per contract and month (issue 5: stored, fed to the evaluation) -------------


class SlaAttainmentRecord(TenantOwned, Base):
    """The SLA attainment of one contract in one month (China time), as last computed
    (:mod:`.sla_records`): availability, MTRS/MTBF/MTBSI from the covered assets' outages (manual
    and telemetry-derived state changes), response and resolution clocks of the month's work orders
    and after-sales tickets. ``final``: computed after the month ended (a running month is
    provisional and recomputed). A measure that could not be taken is NULL, never 0."""

    __tablename__ = "pss_sla_attainment"
    __customer_column__ = "customer_id"
    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "period"),
        tenant_fk("contract_id", "contracts", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers"),
        Index("ix_pss_sla_attainment_period", "tenant_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int]
    contract_number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int]
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]  # exclusive
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    final: Mapped[bool] = mapped_column(default=False)
    calendar: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(300))  # why a measure is missing
    assets: Mapped[int] = mapped_column(default=0)
    agreed_hours: Mapped[float | None] = mapped_column(Float)
    downtime_hours: Mapped[float] = mapped_column(Float, default=0.0)
    outages: Mapped[int] = mapped_column(default=0)  # service breaks
    monitored_outages: Mapped[int] = mapped_column(default=0)  # of them started by monitoring (telemetry)
    availability_pct: Mapped[Decimal | None] = mapped_column(Percent)
    availability_target_pct: Mapped[Decimal | None] = mapped_column(Percent)
    availability_met: Mapped[bool | None]
    mtrs_hours: Mapped[float | None] = mapped_column(Float)
    mtbf_hours: Mapped[float | None] = mapped_column(Float)
    mtbsi_hours: Mapped[float | None] = mapped_column(Float)
    work_orders: Mapped[int] = mapped_column(default=0)
    tickets: Mapped[int] = mapped_column(default=0)
    response_met: Mapped[int] = mapped_column(default=0)
    response_breached: Mapped[int] = mapped_column(default=0)
    response_pending: Mapped[int] = mapped_column(default=0)
    resolution_met: Mapped[int] = mapped_column(default=0)
    resolution_breached: Mapped[int] = mapped_column(default=0)
    resolution_pending: Mapped[int] = mapped_column(default=0)
    response_attainment_pct: Mapped[Decimal | None] = mapped_column(Percent)
    resolution_attainment_pct: Mapped[Decimal | None] = mapped_column(Percent)
    attained: Mapped[bool | None]  # every measured commitment met; NULL when nothing was measured
    breached: Mapped[list[Any]] = mapped_column(JSON, default=list)  # codes of tickets / work orders
