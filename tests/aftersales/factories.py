"""Test data of the after-sales tests: a tenant with a customer, an asset under an active
contract whose offering sets SLA hours, a second customer, staff and a customer user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from somp.core.identity import Role
from tests.factories import (
    in_tenant,
    make_asset,
    make_contract,
    make_customer,
    make_offering,
    make_product,
    make_tenant,
    make_user,
)

SH = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no DST


def sh(*args: int) -> dt.datetime:
    """An instant given in Shanghai wall time."""
    return dt.datetime(*args, tzinfo=SH)


@dataclass
class Shop:
    tenant: Any
    manager: Any
    engineer: Any
    customer: Any
    other_customer: Any
    asset: Any
    other_asset: Any
    bare_asset: Any  # the customer's, under no contract
    contract: Any
    customer_user: Any


def activate(db, tenant, contract_id: int) -> None:
    from somp.modules.contracts.schemas import ContractTransition
    from somp.modules.contracts.service import transition_contract

    with in_tenant(db, tenant) as s:
        transition_contract(s, contract_id, ContractTransition(to_status="active", on=dt.date(2025, 1, 1)))
        s.commit()


def make_shop(db, mark: str = "") -> Shop:
    t = make_tenant(db, name=f"苏州压缩机{mark}")
    manager = make_user(db, t, Role.service_manager, username=f"mgr{mark.lower()}")
    engineer = make_user(db, t, Role.engineer, username=f"eng{mark.lower()}")
    p = make_product(db, t)
    o = make_offering(db, t, p.id)  # critical 2 h / 8 h, medium 8 h / 48 h
    c = make_customer(db, t, name=f"客户{mark}")
    c2 = make_customer(db, t, name=f"客户二{mark}")
    a = make_asset(db, t, p.id, c.id, state="in_service")
    a2 = make_asset(db, t, p.id, c2.id, state="in_service")
    a3 = make_asset(db, t, p.id, c.id, state="in_service")
    k = make_contract(db, t, c.id, o.id, [a.id], number=f"CT-AS{mark}")
    activate(db, t, k.id)
    cu = make_user(db, t, Role.customer_user, customer_id=c.id, username=f"cust{mark.lower()}")
    return Shop(t, manager, engineer, c, c2, a, a2, a3, k, cu)
