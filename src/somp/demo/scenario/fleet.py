"""The fleet: deals over time and the assets they place, serial numbers and planned retirements.

Before go-live the deals are spread over the history, almost all outright sales; after go-live a
steady number of machines is sold each month and a growing number is placed under compressed air
as a service.
"""

from __future__ import annotations

import datetime as dt

from somp.demo.reference import ProductSpec
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import D, add_months, round_to
from somp.demo.scenario.records import AssetPlan, CustomerPlan, DealPlan


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    if total <= 0 or not weights or sum(weights) <= 0:
        return [0] * len(weights)
    raw = [total * w / sum(weights) for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


class FleetMixin(BuilderBase):
    """Builder steps: deals and their assets, serial numbers, retirements planned for old machines."""

    def build_deals(self) -> None:
        """Sales over time. Before go-live: deals spread over the history, almost all outright sales.
        After go-live: a steady number of machines sold per month and a growing number placed under
        compressed air as a service (the shift towards services), allocated month by month so that a
        single random draw cannot make or break a quarter."""
        rng = self.rng
        n_total = self.p.n_assets
        n_window = round(n_total * self.p.window_share)
        has_caas = "caas" in self.offering_by_kind
        slots: list[tuple[dt.date, CustomerPlan | None, int, str, ProductSpec | None]] = []
        pre_customers = [c for c in self.customers if c.acquired_on < self.go_live]
        for c in pre_customers:
            size = 3 if c is self.customers[0] else rng.choices((1, 2, 3), (0.45, 0.35, 0.20))[0]
            slots.append((c.acquired_on, c, size, "", None))
        left = max(0, n_total - n_window - sum(x[2] for x in slots))
        sizes = []
        while left > 0:
            sizes.append(min(left, rng.choices((1, 2, 3, 4), (0.42, 0.33, 0.17, 0.08))[0]))
            left -= sizes[-1]
        lo, hi = self.history_start + dt.timedelta(days=60), self.go_live - dt.timedelta(days=1)
        for i, size in enumerate(sizes):  # a jittered regular grid spreads the history evenly
            d = lo + dt.timedelta(days=int((hi - lo).days * (i + rng.uniform(0.15, 0.85)) / len(sizes)))
            slots.append((d, None, size, "", None))
        # after go-live: units per month; service placements ramp up, sales stay level
        months = []
        m = self.go_live
        last_day = self.as_of - dt.timedelta(days=3)
        while m <= last_day:
            days = (min(add_months(m, 1) - dt.timedelta(days=1), last_day) - m).days + 1
            months.append((m, days / (add_months(m, 1) - m).days))
            m = add_months(m, 1)
        n_caas = round(n_window * 0.27) if has_caas else 0
        caas_units = _allocate(n_caas, [f * (0.25 + i / len(months)) for i, (_, f) in enumerate(months)])
        sale_units = _allocate(n_window - n_caas, [f for _, f in months])
        deck: dict[str, list[ProductSpec]] = {"sale": [], "caas": []}

        def draw(kind: str) -> ProductSpec:
            if not deck[kind]:  # a shuffled deck of 20 cards in the product mix's proportions
                weights = self.p.caas_product_weights if kind == "caas" else self.p.product_weights
                cards = [p for p, w in zip(self.p.products, weights, strict=True) for _ in range(round(w * 20))]
                rng.shuffle(cards)
                deck[kind] = cards
            return deck[kind].pop()

        # sales revenue is steered towards its expected level: of two cards drawn, the deal takes the one
        # that keeps cumulative sales closer to units x average price (the other goes back in the deck)
        mix = self.p.product_weights
        avg_price = sum(float(p.list_price) * w for p, w in zip(self.p.products, mix, strict=True)) / sum(mix)
        sold_units, sold_value = 0, 0.0
        for (m, frac), n_sale, n_c in zip(months, sale_units, caas_units, strict=True):
            span = max(1, round(frac * (add_months(m, 1) - m).days))
            for kind, n in (("sale", n_sale), ("caas", n_c)):
                while n > 0:
                    want = rng.choices((1, 2, 3), (0.55, 0.3, 0.15))[0]
                    options = [draw(kind), draw(kind)]
                    fits = [(p, min(n, want, 2 if p.kw >= 90 else 3)) for p in options]
                    if kind == "sale":
                        fits.sort(
                            key=lambda pu: abs(
                                sold_value + float(pu[0].list_price) * pu[1] - (sold_units + pu[1]) * avg_price
                            )
                        )
                    (product, units), (back, _u) = fits
                    deck[kind].insert(0, back)
                    if kind == "sale":
                        sold_units += units
                        sold_value += float(product.list_price) * units
                    n -= units
                    slots.append((m + dt.timedelta(days=rng.randrange(span)), None, units, kind, product))
        slots.sort(key=lambda x: (x[0], x[1].code if x[1] else "", x[2]))
        # the last two sales are on site but not yet in service on the as-of day: one delivered, one installed
        leads: dict[int, tuple[int, int, int]] = {}
        last_sales = [i for i, x in enumerate(slots) if x[3] == "sale"][-2:]
        if self.p.tenant["key"] == "main" and len(last_sales) == 2:
            for i, lead in zip(last_sales, ((4, 1, -1), (1, -2, -4)), strict=True):
                slots[i] = (min(slots[i][0], self.as_of - dt.timedelta(days=lead[0] + 7)), *slots[i][1:])
                leads[i] = lead
        newcomers = sorted((c for c in self.customers if c.acquired_on >= self.go_live), key=lambda c: c.acquired_on)
        for i, (d, c, units, kind, product) in enumerate(slots):
            if c is None and newcomers and newcomers[0].acquired_on <= d:
                c = newcomers.pop(0)
                c.acquired_on = d
            if c is None:
                pool = [x for x in self.customers if x.acquired_on <= d]
                if not pool:  # a sale before the first customer's first purchase: that one came earlier
                    first = min(self.customers, key=lambda x: (x.acquired_on, x.code))
                    first.acquired_on = d
                    pool = [first]
                weights = [x.weight for x in pool]
                if kind == "caas":
                    weights = [
                        w * (0.3 + 2 * x.caas_affinity) * (3 if self._has_caas(x) else 1)
                        for w, x in zip(weights, pool, strict=True)
                    ]
                c = rng.choices(pool, weights)[0]
            self._deal(d, c, units, kind, product, leads.get(i))

    def _has_caas(self, c: CustomerPlan) -> bool:
        return any(x.kind == "caas" for x in self.deals if x.customer is c)

    def _deal(
        self,
        d: dt.date,
        c: CustomerPlan,
        units: int,
        kind: str = "",
        product: ProductSpec | None = None,
        lead: tuple[int, int, int] | None = None,
    ) -> None:
        rng = self.rng
        if not kind:  # before go-live: a few early service placements after the offering's launch
            kind = "sale"
            if "caas" in self.offering_by_kind and d >= self.caas_launch:
                p = (0.5 if self._has_caas(c) else 0.07) * (0.4 + 1.2 * c.caas_affinity)
                if rng.random() < p:
                    kind = "caas"
        if product is None:
            weights = list(self.p.caas_product_weights if kind == "caas" else self.p.product_weights)
            if len(weights) == 5:  # big customers and three-shift plants buy bigger machines
                tilt = min(2.0, c.weight) * (1.3 if c.shifts == 3 else 0.9)
                weights = [
                    w * (tilt ** (i - 2) if i >= 2 else 1.0 / max(0.6, tilt) ** 0.5) for i, w in enumerate(weights)
                ]
                if units >= 3:  # fleets of three or more are mid-size machines
                    weights = [w if p.kw < 90 else 0.0 for w, p in zip(weights, self.p.products, strict=True)]
                    if not any(weights):
                        weights = [1.0 if p.kw == 55 else 0.0 for p in self.p.products]
            product = rng.choices(self.p.products, weights)[0]
        site = c.sites[0] if len(c.sites) == 1 or rng.random() < 0.6 else c.sites[1]
        deal = DealPlan(len(self.deals) + 1, c, d, kind, product, units, site)
        if kind == "sale":
            discount = D(str(rng.choice((0, 0.02, 0.03, 0.05, 0.06, 0.08) if units < 3 else (0.06, 0.08, 0.10, 0.12))))
            price = round_to(float(product.list_price * (1 - discount)), 100)
            deal.install_fee = D(self.p.install_fee.get(product.kw, 2000))
            deal.prices = {"unit": price}
        self.deals.append(deal)
        # dates: build to stock, deliver after the lead time, install, commission
        delivered = d + dt.timedelta(days=rng.randint(7, 24))
        installed = delivered + dt.timedelta(days=rng.randint(1, 5))
        commissioned = installed + dt.timedelta(days=rng.randint(1, 2))
        if lead is not None:  # days before the as-of day: delivered, installed, commissioned
            delivered, installed, commissioned = (self.as_of - dt.timedelta(days=x) for x in lead)
        for _ in range(units):
            made = d - dt.timedelta(days=rng.randint(5, 60))
            a = AssetPlan(
                serial="",
                product=product.code,
                customer=c.code,
                site_name=site["name"],
                site_address=site["address"],
                site_region_code=site["region_code"],
                latitude=round(site["lat"] + rng.uniform(-0.0004, 0.0004), 6),
                longitude=round(site["lon"] + rng.uniform(-0.0004, 0.0004), 6),
                manufactured_on=made,
                deal=deal,
                plan_delivered=delivered,
                plan_installed=installed,
                plan_commissioned=commissioned,
                load_factor=rng.uniform(0.55, 0.82),
            )
            if kind == "caas":
                a.notes = f"设备产权归{self.p.tenant['short']}所有（压缩空气即服务），客户承担电费"
            deal.assets.append(a)
            self.assets.append(a)

    def number_assets(self) -> None:
        prefix = self.p.tenant["serial_prefix"]
        self.assets.sort(key=lambda a: (a.manufactured_on, a.deal.seq if a.deal else 0))
        for i, a in enumerate(self.assets, start=1):
            code = a.product.replace("-", "")[len(prefix) :] if a.product.startswith(prefix) else a.product
            a.serial = f"{prefix}{code}-{a.manufactured_on:%y%m}-{i:04d}"
        for deal in self.deals:
            deal.prices = {a.serial: deal.prices["unit"] for a in deal.assets} if deal.kind == "sale" else {}

    def plan_retirements(self) -> None:
        rng = self.rng
        for a in self.assets:
            c = a.plan_commissioned
            if c is None or a.deal.kind != "sale":
                continue
            if c <= add_months(self.as_of, -66) and rng.random() < 0.35:
                lo = max(self.go_live + dt.timedelta(days=30), add_months(c, 60))
                hi = self.as_of - dt.timedelta(days=7)
                if lo < hi:
                    a.retire_on = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
                    if rng.random() < 0.6:
                        rec = a.retire_on + dt.timedelta(days=rng.randint(20, 90))
                        if rec <= self.as_of:
                            a.recycle_on = rec
