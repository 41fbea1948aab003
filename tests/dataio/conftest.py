"""Fixtures for import/export: a tenant with one of everything, and file helpers."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from somp.core.database import Database
from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.dataio.entities import get_entity
from somp.dataio.importer import ImportRejected, import_file
from tests.factories import (
    in_tenant,
    make_asset,
    make_contract,
    make_customer,
    make_invoice,
    make_offering,
    make_product,
    make_tenant,
    make_user,
    make_work_order,
    uscc,
)


def write_csv(path: Path, header: list[str], rows: list[list[Any]], *, bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def run_import(db: Database, entity: str, path: Path, tenant_id: int, **kw: Any):
    return import_file(db, get_entity(entity), path, tenant_id=tenant_id, **kw)


def rejected(db: Database, entity: str, path: Path, tenant_id: int, **kw: Any) -> list[tuple[int | None, str, str]]:
    """Import expecting a rejection; returns the errors as (row, column, code)."""
    with pytest.raises(ImportRejected) as info:
        run_import(db, entity, path, tenant_id, **kw)
    return [(e.row, e.field, e.code) for e in info.value.errors]


def messages(db: Database, entity: str, path: Path, tenant_id: int) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        run_import(db, entity, path, tenant_id)
    return [e.message for e in info.value.errors]


def count(db: Database, tenant_id: int, model: Any) -> int:
    from sqlalchemy import func, select

    with db.session(Scope.tenant(tenant_id)) as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(db: Database) -> SimpleNamespace:
    """Tenant ``a`` with one of everything (in several states), and an empty tenant ``b``."""
    from somp.modules.assets.schemas import TransitionRequest
    from somp.modules.assets.service import transition_asset
    from somp.modules.contracts.schemas import ContractTransition
    from somp.modules.contracts.service import transition_contract
    from somp.modules.invoicing.schemas import InvoiceTransition
    from somp.modules.invoicing.service import transition_invoice
    from somp.modules.workorders.schemas import WorkOrderTransition, WorkOrderUpdate
    from somp.modules.workorders.service import transition_work_order, update_work_order

    a, b = make_tenant(db), make_tenant(db)
    c1 = make_customer(
        db,
        a,
        code="C-1",
        name="苏州精密机械有限公司",
        name_en="Suzhou Precision",
        uscc=uscc(7_000_001),
        industry_code="C3441",
        contact_name="王工",
        contact_phone="+86 512 6000 0000",
        contact_email="wang@example.cn",
        address="苏州工业园区星湖街 1 号",
        notes="重点客户\n第二行",
    )
    c2 = make_customer(db, a, code="C-2", name="无锡客户")
    p1 = make_product(
        db,
        a,
        code="P-1",
        spec={"rated_power_kw": 55, "pressure_bar": 8.5},
        bom=[
            {"part_number": "AIR-END-1", "description": "主机", "quantity": "1"},
            {
                "part_number": "FLT-9",
                "description": "空滤",
                "quantity": "2.5",
                "unit": "pcs",
                "unit_cost": "120.50",
                "spare_part": True,
            },
        ],
    )
    p2 = make_product(db, a, code="P-2", status="discontinued", bom=[], list_price=None)
    o1 = make_offering(
        db,
        a,
        p1.id,
        code="O-1",
        service_items=[
            {"kind": "remote_monitoring", "name": "远程监测"},
            {"kind": "spare_parts", "name": "备件", "name_en": "Spare parts", "included": False, "price": "800.00"},
        ],
    )
    o2 = make_offering(
        db,
        a,
        p1.id,
        code="O-2",
        price_model="subscription",
        status="draft",
        periodic_fee="900.00",
        usage_unit=None,
        usage_unit_price=None,
        sla=None,
        service_items=[],
    )
    s1 = make_asset(
        db,
        a,
        p1.id,
        c1.id,
        serial_number="SN-1",
        state="in_service",
        site_region_code="320505",
        manufactured_on=dt.date(2023, 1, 5),
        commissioned_on=dt.date(2023, 3, 1),
        notes="=1+1 不是公式",
    )
    s2 = make_asset(db, a, p1.id, None, serial_number="SN-2")
    s3 = make_asset(db, a, p2.id, c2.id, serial_number="SN-3", state="in_service")
    s4 = make_asset(db, a, p1.id, c2.id, serial_number="SN-4", state="delivered", delivered_on=dt.date(2024, 6, 1))
    k1 = make_contract(db, a, c1.id, o1.id, [s1.id], number="CT-A", periodic_fee="4800.00", notes="三年期")
    k2 = make_contract(
        db,
        a,
        c1.id,
        o2.id,
        [],
        number="CT-B",
        renewal_of_id=k1.id,
        start_date=dt.date(2028, 1, 1),
        end_date=dt.date(2029, 1, 1),
    )
    engineer = make_user(db, a, Role.engineer)
    with in_tenant(db, a) as s:
        transition_contract(s, k1.id, ContractTransition(to_status="active", on=dt.date(2024, 12, 20)))
        transition_asset(s, s3.id, TransitionRequest(to_state="retired", on=dt.date(2025, 5, 1)))
        s.commit()
    opened = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
    w1 = make_work_order(
        db, a, s1.id, number="WO-1", priority="critical", opened_at=opened, description="排气温度 110℃"
    )
    w2 = make_work_order(db, a, s4.id, number="WO-2", kind="inspection", title="年检")
    with in_tenant(db, a) as s:
        transition_work_order(s, w1.id, WorkOrderTransition(to_status="in_progress", at=opened + dt.timedelta(hours=1)))
        transition_work_order(
            s, w1.id, WorkOrderTransition(to_status="resolved", at=opened + dt.timedelta(hours=5), note="更换温控阀")
        )
        update_work_order(s, w1.id, WorkOrderUpdate(labour_hours="4.5", labour_cost="900.00", parts_cost="350.00"))
        s.commit()
    i1 = make_invoice(
        db,
        a,
        c1.id,
        number="INV-1",
        contract_id=k1.id,
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
        due_on=dt.date(2025, 4, 30),
        lines=[
            {
                "category": "product",
                "description": "空压机",
                "quantity": "1",
                "unit_price": "250000",
                "product_id": p1.id,
                "asset_id": s1.id,
                "cost_amount": "160000.00",
            },
            {
                "category": "service",
                "description": "压缩空气 m³",
                "quantity": "100000",
                "unit": "m3",
                "unit_price": "0.1234",
                "tax_rate": "0.06",
            },
        ],
    )
    i2 = make_invoice(db, a, c2.id, number="CN-1", kind="credit_note", notes="退货")
    with in_tenant(db, a) as s:
        transition_invoice(s, i1.id, InvoiceTransition(to_status="issued"))
        s.commit()
    return SimpleNamespace(
        a=a,
        b=b,
        c1=c1,
        c2=c2,
        p1=p1,
        p2=p2,
        o1=o1,
        o2=o2,
        s1=s1,
        s2=s2,
        s3=s3,
        s4=s4,
        k1=k1,
        k2=k2,
        w1=w1,
        w2=w2,
        i1=i1,
        i2=i2,
        engineer=engineer,
    )


@pytest.fixture
def basics(db: Database) -> SimpleNamespace:
    """Tenant ``a`` with products P-1, P-2 and customers C-1, C-2; tenant ``b`` with product P-B."""
    a, b = make_tenant(db), make_tenant(db)
    p1 = make_product(db, a, code="P-1")
    p2 = make_product(db, a, code="P-2")
    c1 = make_customer(db, a, code="C-1")
    c2 = make_customer(db, a, code="C-2")
    pb = make_product(db, b, code="P-B")
    cb = make_customer(db, b, code="C-B")
    return SimpleNamespace(a=a, b=b, p1=p1, p2=p2, c1=c1, c2=c2, pb=pb, cb=cb)
