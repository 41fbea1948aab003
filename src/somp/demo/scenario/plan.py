"""The top-level generator: :func:`build_scenario` and the records it returns.

:class:`Scenario` holds the platform users and one :class:`TenantPlan` per tenant, each built by
:class:`_TenantBuilder` from its :mod:`~somp.demo.scenario.profiles` profile with a random stream
of its own, so the tenants do not disturb each other's draws.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from somp.demo.scenario.catalog import CatalogMixin
from somp.demo.scenario.contracts import ContractsMixin
from somp.demo.scenario.customers import CustomersMixin
from somp.demo.scenario.episodes import EpisodesMixin
from somp.demo.scenario.fleet import FleetMixin
from somp.demo.scenario.helpers import DEFAULT_SEED, add_months, local, month_start
from somp.demo.scenario.invoices import InvoicesMixin
from somp.demo.scenario.lifecycle import LifecycleMixin
from somp.demo.scenario.profiles import PLATFORM_USERS, main_profile, sme_profile
from somp.demo.scenario.records import (
    AssetPlan,
    ContractPlan,
    CustomerPlan,
    InvoicePlan,
    OfferingPlan,
    ProductPlan,
    UserPlan,
    WorkOrderPlan,
)
from somp.demo.scenario.service_invoices import ServiceInvoicesMixin
from somp.demo.scenario.work_orders import WorkOrdersMixin


@dataclass
class TenantPlan:
    key: str
    name: str
    name_en: str
    uscc: str
    industry_code: str
    region_code: str
    size_class: str
    address: str
    created_at: dt.datetime
    users: list[UserPlan]
    products: list[ProductPlan]
    offerings: list[OfferingPlan]
    customers: list[CustomerPlan]
    assets: list[AssetPlan]
    contracts: list[ContractPlan]
    work_orders: list[WorkOrderPlan]
    invoices: list[InvoicePlan]
    sequences: dict[str, int]


@dataclass
class Scenario:
    seed: int
    as_of: dt.date
    scale: float
    go_live: dt.date
    platform_users: list[UserPlan]
    tenants: list[TenantPlan]

    @property
    def main(self) -> TenantPlan:
        return self.tenants[0]

    @property
    def users(self) -> list[UserPlan]:
        return self.platform_users + [u for t in self.tenants for u in t.users]


class _TenantBuilder(
    CatalogMixin,
    CustomersMixin,
    FleetMixin,
    ContractsMixin,
    LifecycleMixin,
    WorkOrdersMixin,
    EpisodesMixin,
    InvoicesMixin,
    ServiceInvoicesMixin,
):
    """One tenant's plan: the builder steps of the mixins, run in order by :meth:`build`."""

    def assign_numbers(self) -> dict[str, int]:
        counters: dict[str, int] = defaultdict(int)

        def draw(prefix: str, year: int) -> str:
            counters[f"{prefix}-{year}"] += 1
            return f"{prefix}-{year}-{counters[f'{prefix}-{year}']:06d}"

        for k in sorted(self.contracts, key=lambda k: (k.created_at, k.seq)):
            k.number = draw("CT", k.start_date.year)
        for wo in sorted(self.work_orders, key=lambda w: (w.opened_at, w.seq)):
            wo.number = draw("WO", wo.opened_at.year)
        for inv in sorted(self.invoices, key=lambda i: (i.issued_on, i.created_at, i.seq)):
            inv.number = draw("CN" if inv.kind == "credit_note" else "INV", inv.issued_on.year)
        # texts that quote numbers
        for k in self.contracts:
            if k.renewal_of is not None:
                k.notes = f"续签 {k.renewal_of.number}；{k.notes}"
        for inv in self.invoices:
            if inv.replaces is not None:
                inv.notes = f"替换作废发票 {inv.replaces.number}（流量计读数录入错误）；{inv.notes}"
            wo = getattr(inv, "_work_order", None)
            if wo is not None:
                inv.notes = f"工单 {wo.number}：{wo.title}"
        for a in self.assets:
            for st in a.timeline:
                if st.work_order is not None:
                    st.reason = f"{st.work_order.number} {st.reason}"
        return dict(sorted(counters.items()))

    def build(self) -> TenantPlan:
        fields = self.tenant_fields()
        products = self.build_catalog()
        self.build_customers()
        self.build_deals()
        self.number_assets()
        self.plan_retirements()
        self.build_contracts()
        self.simulate()
        self.finish_contracts()
        self.build_invoices()
        sequences = self.assign_numbers()
        users = self.staff_users()
        return TenantPlan(
            key=fields["key"],
            name=fields["name"],
            name_en=fields["name_en"],
            uscc=fields["uscc"],
            industry_code=fields["industry_code"],
            region_code=fields["region_code"],
            size_class=fields["size_class"],
            address=fields["address"],
            created_at=fields["created_at"],
            users=users,
            products=products,
            offerings=list(self.offerings.values()),
            customers=self.customers,
            assets=sorted(self.assets, key=lambda a: a.serial),
            contracts=sorted(self.contracts, key=lambda k: k.number),
            work_orders=sorted(self.work_orders, key=lambda w: w.number),
            invoices=sorted(self.invoices, key=lambda i: (i.issued_on, i.number)),
            sequences=sequences,
        )


def go_live_for(as_of: dt.date) -> dt.date:
    """The platform went live on the first day of the month two years before the as-of month."""
    return add_months(month_start(as_of), -24)


def build_scenario(seed: int = DEFAULT_SEED, as_of: dt.date | None = None, scale: float = 1.0) -> Scenario:
    """The whole demo as plain data. Deterministic: the same arguments give the same scenario."""
    if as_of is None:
        raise ValueError("as_of is required (the generator never reads the clock)")
    if not 0.05 <= scale <= 2:
        raise ValueError("scale must be between 0.05 and 2")
    go_live = go_live_for(as_of)
    tenants = []
    for key, profile in (("main", main_profile(scale)), ("sme", sme_profile())):
        rng = random.Random(f"somp-demo:{seed}:{key}")
        tenants.append(_TenantBuilder(profile, rng, as_of, go_live).build())
    created = local(go_live - dt.timedelta(days=60), 9)
    platform = [
        UserPlan(
            s.username,
            s.display_name,
            s.password,
            list(s.roles),
            None,
            hint=s.hint,
            hint_en=s.hint_en,
            created_at=created + dt.timedelta(minutes=5 * i),
        )
        for i, s in enumerate(PLATFORM_USERS)
    ]
    return Scenario(seed, as_of, scale, go_live, platform, tenants)
