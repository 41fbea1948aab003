"""The state shared by the tenant builder's steps.

:class:`BuilderBase` holds one tenant's profile, random stream, dates and the growing lists of
plan records; the step mixins (catalog, customers, fleet, contracts, lifecycle, work orders,
episodes, invoices, service invoices) subclass it and are combined by
:class:`~somp.demo.scenario.plan._TenantBuilder`. The steps call each other through ``self``, so
the order in which they draw from ``rng`` is the order :meth:`~somp.demo.scenario.plan._TenantBuilder.build` runs them.
"""

from __future__ import annotations

import datetime as dt
import random

from somp.demo.scenario.helpers import add_months, local
from somp.demo.scenario.profiles import Profile
from somp.demo.scenario.records import (
    AssetPlan,
    ContractPlan,
    CustomerPlan,
    DealPlan,
    InvoicePlan,
    OfferingPlan,
    WorkOrderPlan,
)


class BuilderBase:
    """One tenant's generator state: profile, random stream, key dates and the plan records so far."""

    def __init__(self, profile: Profile, rng: random.Random, as_of: dt.date, go_live: dt.date) -> None:
        self.p = profile
        self.rng = rng
        self.as_of = as_of
        self.cutoff = local(as_of, 24) - dt.timedelta(minutes=1)  # end of the as-of day, Beijing time
        self.go_live = go_live
        self.go_live_at = local(go_live, 0)
        self.history_start = add_months(go_live, -12 * profile.history_years)
        self.caas_launch = add_months(go_live, -18)
        self.products = {p.code: p for p in profile.products}
        self.offerings: dict[str, OfferingPlan] = {}
        self.offering_by_kind: dict[str, OfferingPlan] = {}
        self.customers: list[CustomerPlan] = []
        self.deals: list[DealPlan] = []
        self.assets: list[AssetPlan] = []
        self.contracts: list[ContractPlan] = []
        self.work_orders: list[WorkOrderPlan] = []
        self.invoices: list[InvoicePlan] = []
        self._seq = 0
        self.manager = next(
            (s.username for s in profile.staff if "service_manager" in s.roles), profile.staff[0].username
        )

    def seq(self) -> int:
        self._seq += 1
        return self._seq
