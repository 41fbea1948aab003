"""Tenant identity, staff users and the product and offering catalog.

The tenant's USCC (GB 32100-2015), GB/T 4754-2017 industry class, GB/T 2260 region and enterprise
size class are derived with :mod:`somp.core.cn_codes`; offering SLAs are normalised with the
catalog service's own :func:`~somp.modules.catalog.service.sla_columns`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from somp.core import cn_codes
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import local, uscc_for
from somp.demo.scenario.records import OfferingPlan, ProductPlan, UserPlan
from somp.modules.catalog.schemas import SlaTerms
from somp.modules.catalog.service import sla_columns


class CatalogMixin(BuilderBase):
    """Builder steps: tenant fields, catalog (products and offerings) and staff users."""

    def tenant_fields(self) -> dict[str, Any]:
        t = self.p.tenant
        size = cn_codes.classify_industrial_enterprise(t["employees"], t["revenue_10k_cny"])
        return {
            "key": t["key"],
            "name": t["name"],
            "name_en": t["name_en"],
            "uscc": uscc_for(t["org_body"], t["region_code"]),
            "industry_code": cn_codes.validate_industry_code(t["industry_code"]),
            "region_code": cn_codes.validate_region_code(t["region_code"]),
            "size_class": size.value,
            "address": t["address"],
            "created_at": local(self.go_live - dt.timedelta(days=45), 10),
        }

    def build_catalog(self) -> list[ProductPlan]:
        created = local(self.go_live - dt.timedelta(days=40), 11)
        for i, o in enumerate(self.p.offerings):
            data = {k: v for k, v in o.items() if k != "kind"}
            data["status"] = "active"
            stored = sla_columns(SlaTerms(**o["sla"]))["sla"]
            plan = OfferingPlan(o["kind"], data, stored, local(self.go_live - dt.timedelta(days=35 - i), 15))
            self.offerings[plan.code] = plan
            self.offering_by_kind[o["kind"]] = plan
        return [ProductPlan(p, created + dt.timedelta(minutes=7 * i)) for i, p in enumerate(self.p.products)]

    def staff_users(self) -> list[UserPlan]:
        out = []
        base = local(self.go_live - dt.timedelta(days=30), 9)
        for i, s in enumerate(self.p.staff):
            out.append(
                UserPlan(
                    s.username,
                    s.display_name,
                    s.password,
                    list(s.roles),
                    self.p.tenant["key"],
                    email=s.email,
                    hint=s.hint,
                    hint_en=s.hint_en,
                    created_at=base + dt.timedelta(minutes=10 * i),
                )
            )
        if self.p.customer_user:
            s = self.p.customer_user
            out.append(
                UserPlan(
                    s.username,
                    s.display_name,
                    s.password,
                    list(s.roles),
                    self.p.tenant["key"],
                    customer=self.customers[0].code,
                    hint=s.hint,
                    hint_en=s.hint_en,
                    created_at=local(self.go_live + dt.timedelta(days=20), 14),
                )
            )
        return out
