"""Small factories for test data, going through the real services (so every row is valid)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from somp.core import cn_codes
from somp.core.database import Database
from somp.core.identity import Role, Tenant, User
from somp.core.tenancy import Scope

_seq = itertools.count(1)
PASSWORD = "correct-horse-9"


def uscc(n: int, region: str = "320500") -> str:
    body = f"{n:08d}"
    org = body + cn_codes.org_code_check_character(body)
    first17 = "91" + region + org
    return first17 + cn_codes.uscc_check_character(first17)


def make_tenant(db: Database, name: str | None = None, **kw: Any) -> Tenant:
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant

    n = next(_seq)
    data = {
        "name": name or f"测试企业{n}",
        "uscc": uscc(10_000_000 + n),
        "industry_code": "C3441",
        "region_code": "320500",
        "size_class": "medium",
    } | kw
    with db.session(Scope.all_tenants()) as s:
        t = create_tenant(s, TenantCreate(**data))
        s.commit()
        return t


def make_user(db: Database, tenant: Tenant | None, *roles: Role, customer_id: int | None = None, **kw: Any) -> User:
    from somp.modules.tenants.schemas import UserCreate
    from somp.modules.tenants.service import create_user

    n = next(_seq)
    data = {
        "username": kw.pop("username", f"user{n}"),
        "display_name": f"User {n}",
        "password": PASSWORD,
        "roles": list(roles) or [Role.service_manager],
        "tenant_id": tenant.id if tenant else None,
        "customer_id": customer_id,
    } | kw
    with db.session(Scope.all_tenants()) as s:
        u = create_user(s, UserCreate(**data))
        s.commit()
        return u


def token_for(db: Database, user: User) -> str:
    from somp.modules.tenants.schemas import TokenCreate
    from somp.modules.tenants.service import issue_api_token

    with db.session(Scope.all_tenants()) as s:
        _row, plaintext = issue_api_token(s, s.get(User, user.id), TokenCreate(name="test"))
        s.commit()
        return plaintext


def in_tenant(db: Database, tenant: Tenant):
    return db.session(Scope.tenant(tenant.id))


def make_product(db: Database, tenant: Tenant, **kw: Any):
    from somp.modules.catalog.schemas import ProductCreate
    from somp.modules.catalog.service import create_product

    n = next(_seq)
    data = {
        "code": f"P-{n}",
        "name": f"螺杆空压机 {n}",
        "category": "air_compressor",
        "list_price": "250000.00",
        "unit_cost": "160000.00",
        "spec": {"rated_power_kw": 55},
        "bom": [{"part_number": "AIR-END-1", "description": "主机", "quantity": "1"}],
    } | kw
    with in_tenant(db, tenant) as s:
        p = create_product(s, ProductCreate(**data))
        s.commit()
        return p


def make_offering(db: Database, tenant: Tenant, product_id: int, **kw: Any):
    from somp.modules.catalog.schemas import OfferingCreate
    from somp.modules.catalog.service import create_offering

    n = next(_seq)
    data = {
        "code": f"O-{n}",
        "name": f"压缩空气即服务 {n}",
        "product_id": product_id,
        "price_model": "pay_per_use",
        "status": "active",
        "periodic_fee": "5000.00",
        "usage_unit": "m3",
        "usage_unit_price": "0.12",
        "sla": {
            "availability_target_pct": 98.5,
            "per_priority": {
                "critical": {"response_hours": 2, "resolution_hours": 8},
                "medium": {"response_hours": 8, "resolution_hours": 48},
            },
        },
        "service_items": [{"kind": "remote_monitoring", "name": "远程监测"}],
    } | kw
    with in_tenant(db, tenant) as s:
        o = create_offering(s, OfferingCreate(**data))
        s.commit()
        return o


def make_customer(db: Database, tenant: Tenant, **kw: Any):
    from somp.modules.customers.schemas import CustomerCreate
    from somp.modules.customers.service import create_customer

    n = next(_seq)
    data = {"code": f"C-{n}", "name": f"客户{n}", "region_code": "320500"} | kw
    with in_tenant(db, tenant) as s:
        c = create_customer(s, CustomerCreate(**data))
        s.commit()
        return c


def make_asset(db: Database, tenant: Tenant, product_id: int, customer_id: int | None = None, **kw: Any):
    from somp.modules.assets.schemas import AssetCreate
    from somp.modules.assets.service import create_asset

    n = next(_seq)
    data = {"serial_number": f"SN-{n:06d}", "product_id": product_id, "customer_id": customer_id} | kw
    if data.get("state") not in (None, "manufactured", "delivered", "retired", "recycled"):
        data.setdefault("site_name", "苏州工厂")
        data.setdefault("latitude", 31.3)
        data.setdefault("longitude", 120.6)
    with in_tenant(db, tenant) as s:
        a = create_asset(s, AssetCreate(**data))
        s.commit()
        return a


def make_contract(db: Database, tenant: Tenant, customer_id: int, offering_id: int, asset_ids: list[int], **kw: Any):
    from somp.modules.contracts.schemas import ContractCreate
    from somp.modules.contracts.service import create_contract

    data = {
        "customer_id": customer_id,
        "offering_id": offering_id,
        "start_date": dt.date(2025, 1, 1),
        "end_date": dt.date(2027, 12, 31),
        "asset_ids": asset_ids,
    } | kw
    with in_tenant(db, tenant) as s:
        c = create_contract(s, ContractCreate(**data))
        s.commit()
        return c


def make_work_order(db: Database, tenant: Tenant, asset_id: int, **kw: Any):
    from somp.modules.workorders.schemas import WorkOrderCreate
    from somp.modules.workorders.service import open_work_order

    data = {"kind": "corrective", "asset_id": asset_id, "title": "排气温度高"} | kw
    with in_tenant(db, tenant) as s:
        w = open_work_order(s, WorkOrderCreate(**data))
        s.commit()
        return w


def make_invoice(db: Database, tenant: Tenant, customer_id: int, **kw: Any):
    from somp.modules.invoicing.schemas import InvoiceCreate
    from somp.modules.invoicing.service import create_invoice

    data = {
        "customer_id": customer_id,
        "issued_on": dt.date(2025, 3, 31),
        "lines": [
            {"category": "product", "description": "空压机", "quantity": "1", "unit_price": "250000"},
            {
                "category": "service",
                "description": "压缩空气 m³",
                "quantity": "100000",
                "unit": "m3",
                "unit_price": "0.12",
            },
        ],
    } | kw
    with in_tenant(db, tenant) as s:
        i = create_invoice(s, InvoiceCreate(**data))
        s.commit()
        return i


def money(x: str) -> Decimal:
    return Decimal(x)
