"""The demo scenario as pure data: a deterministic function of ``(seed, as_of, scale)``.

:func:`build_scenario` returns plain dataclasses (no database, no wall clock): two tenants with
their users, products, offerings, customers, assets and asset timelines, contracts, work orders,
invoices and document-number counters. :mod:`somp.demo.loader` writes them; the rules the
services enforce are applied here with the services' own pure functions
(:func:`~somp.modules.assets.lifecycle.check_transition`,
:func:`~somp.modules.workorders.service.sla_deadlines`, the catalog's SLA normalisation and the
invoicing ``money`` rounding), so every generated row is one the services would have produced.

The story (see ``docs/demo.md``): 苏州澄风压缩机有限公司 has sold screw compressors for about
seven years. Its platform went live two years before ``as_of`` (``go_live``): assets and contracts
from before were imported, work orders and invoices are recorded from go-live on. It sells
compressors outright (with a 24-month warranty), sells a monthly "smart care" subscription
(monitoring + preventive maintenance) once the warranty ends, and since 18 months before go-live
offers compressed air as a service (the compressor stays its property, the customer pays a base
fee plus a price per m³). New business shifts towards the service offerings, so the service
revenue share grows.

Times are planned in Beijing time (UTC+8) business hours and stored as aware UTC datetimes.

The generator is split by concern: :mod:`~somp.demo.scenario.helpers` (constants, Beijing time,
codes), :mod:`~somp.demo.scenario.records` (the plan dataclasses),
:mod:`~somp.demo.scenario.profiles` (what makes the two tenants differ), and the tenant builder's
steps, one module each: :mod:`~somp.demo.scenario.catalog`, :mod:`~somp.demo.scenario.customers`,
:mod:`~somp.demo.scenario.fleet`, :mod:`~somp.demo.scenario.contracts`,
:mod:`~somp.demo.scenario.lifecycle`, :mod:`~somp.demo.scenario.work_orders`,
:mod:`~somp.demo.scenario.episodes`, :mod:`~somp.demo.scenario.invoices` and
:mod:`~somp.demo.scenario.service_invoices` (mixins on :class:`~somp.demo.scenario.base.BuilderBase`),
combined and run by :mod:`~somp.demo.scenario.plan`; :mod:`~somp.demo.scenario.kpis` recomputes the
brand KPIs from a plan. The public names are re-exported here.
"""

from __future__ import annotations

from somp.demo.scenario.helpers import (
    CST,
    DEFAULT_SEED,
    HQ_LATLON,
    UTC,
    D,
    S,
    add_months,
    haversine_km,
    local,
    local_date,
    minute,
    month_start,
    power_factor,
    q4,
    round_to,
    uscc_for,
)
from somp.demo.scenario.kpis import plan_brand_kpis
from somp.demo.scenario.plan import Scenario, TenantPlan, build_scenario, go_live_for
from somp.demo.scenario.profiles import PLATFORM_USERS, Profile, StaffPlan, main_profile, sme_profile
from somp.demo.scenario.records import (
    AssetPlan,
    ContractPlan,
    CustomerPlan,
    DealPlan,
    InvoiceLinePlan,
    InvoicePlan,
    OfferingPlan,
    ProductPlan,
    StateChangePlan,
    UserPlan,
    WorkOrderPlan,
)

__all__ = [
    "AssetPlan",
    "CST",
    "ContractPlan",
    "CustomerPlan",
    "D",
    "DEFAULT_SEED",
    "DealPlan",
    "HQ_LATLON",
    "InvoiceLinePlan",
    "InvoicePlan",
    "OfferingPlan",
    "PLATFORM_USERS",
    "ProductPlan",
    "Profile",
    "S",
    "Scenario",
    "StaffPlan",
    "StateChangePlan",
    "TenantPlan",
    "UTC",
    "UserPlan",
    "WorkOrderPlan",
    "add_months",
    "build_scenario",
    "go_live_for",
    "haversine_km",
    "local",
    "local_date",
    "main_profile",
    "minute",
    "month_start",
    "plan_brand_kpis",
    "power_factor",
    "q4",
    "round_to",
    "sme_profile",
    "uscc_for",
]
