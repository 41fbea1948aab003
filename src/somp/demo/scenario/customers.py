"""Customers and their sites.

Customers come from the profile's reference list with generated USCCs (GB 32100-2015), validated
GB/T 4754-2017 industry classes and GB/T 2260 prefecture codes; their sites lie near the
prefecture centre, with the road distance from the service centre that travel costs use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from somp.core import cn_codes
from somp.demo import reference as ref
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import HQ_LATLON, haversine_km, local, uscc_for
from somp.demo.scenario.records import CustomerPlan


class CustomersMixin(BuilderBase):
    """Builder steps: customers with acquisition dates, contacts and one or two sites."""

    def build_customers(self) -> None:
        rng = self.rng
        prefix = "KH" if self.p.tenant["key"] == "main" else "LQC"
        n = self.p.n_customers
        # acquisition dates: most before go-live, some after; the first customer is an early one
        n_window = max(1, round(n * 0.15)) if n >= 5 else 0
        span = (self.go_live - dt.timedelta(days=30) - self.history_start).days
        pre = sorted(
            self.history_start + dt.timedelta(days=int(span * (i + rng.uniform(0.1, 0.9)) / (n - n_window)))
            for i in range(n - n_window)
        )
        wspan = (self.as_of - dt.timedelta(days=150) - self.go_live).days
        win = sorted(
            self.go_live + dt.timedelta(days=20 + int(wspan * (i + rng.uniform(0.1, 0.9)) / max(1, n_window)))
            for i in range(n_window)
        )
        dates = pre + win
        # customers in the reference order get shuffled acquisition dates, except the first (the showcase)
        order = list(range(1, n))
        rng.shuffle(order)
        acq = {0: dates[0]}
        for idx, d in zip(order, dates[1:], strict=True):
            acq[idx] = d
        centres = {p.code: p for p in cn_codes.prefectures()}
        for i, (short, name, name_en, slug, industry, region, shifts) in enumerate(self.p.customers[:n]):
            reg = centres[region]  # prefecture centre (approximate lat/lon from GB/T 2260 data)
            body = "".join(rng.choice(cn_codes.USCC_CHARSET[:10] if j else "0123456789MA") for j in range(8))
            if rng.random() < 0.5:
                body = "MA" + body[2:]
            contact = rng.choice(ref.SURNAMES) + rng.choice(ref.GIVEN_NAMES)
            road = rng.choice(ref.ROADS)
            zone = rng.choice(ref.ZONES)
            province = cn_codes.province_of(region).name_zh
            address = f"{province}{reg.name_zh}{zone}{road} {rng.randint(1, 399)} 号"
            mobile = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
            c = CustomerPlan(
                code=f"{prefix}-{i + 1:03d}",
                name=name,
                name_en=name_en,
                uscc=uscc_for(body, region),
                industry_code=cn_codes.validate_industry_code(industry),
                region_code=cn_codes.validate_region_code(region),
                contact_name=contact,
                contact_phone=mobile,
                contact_email=f"equipment@{slug}.com.cn",
                address=address,
                notes=None,
                created_at=local(max(acq[i], self.go_live - dt.timedelta(days=25)), 9.5 + (i % 16) * 0.25),
                short=short,
                shifts=shifts,
                weight=3.0 if i == 0 else rng.lognormvariate(0.0, 0.75),
                care_affinity=0.9 if i == 0 else rng.uniform(0.2, 0.85),
                caas_affinity=1.0 if i == 0 else rng.random(),
                pay_days=(75, 140) if rng.random() < 0.06 else (rng.randint(12, 30), rng.randint(35, 65)),
                acquired_on=acq[i],
            )
            # sites: the main plant at the prefecture centre (small deterministic jitter), sometimes a second one
            sites = [self._site(c, reg, 0, address)]
            if rng.random() < 0.22:
                others = [p for p in cn_codes.prefectures(region[:2]) if p.code != region] or [reg]
                other = rng.choice(others[:6]) if rng.random() < 0.5 else reg
                addr2 = (
                    f"{province}{other.name_zh}{rng.choice(ref.ZONES)}{rng.choice(ref.ROADS)} {rng.randint(1, 399)} 号"
                )
                sites.append(self._site(c, other, 1, addr2))
            c.sites = sites
            self.customers.append(c)

    def _site(self, c: CustomerPlan, reg: cn_codes.Region, n: int, address: str) -> dict[str, Any]:
        assert reg.latitude is not None and reg.longitude is not None
        lat = round(reg.latitude + self.rng.uniform(-0.06, 0.06), 5)
        lon = round(reg.longitude + self.rng.uniform(-0.06, 0.06), 5)
        label = ref.SITE_LABELS[n]
        return {
            "name": f"{c.short}{label}空压站",
            "address": address,
            "region_code": reg.code,
            "lat": lat,
            "lon": lon,
            "distance_km": haversine_km(HQ_LATLON, (lat, lon)) * 1.3,  # road distance from the service centre
        }
