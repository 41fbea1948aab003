"""Importing assets: side effects as the service's, header variants, Excel cells, tenancy, dry run."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from somp.core.events import OutboxEvent
from somp.core.tenancy import Scope
from somp.modules.assets.events import AssetRegistered
from somp.modules.assets.models import Asset, AssetStateChange
from tests.dataio.conftest import count, messages, rejected, run_import, write_csv


def test_imported_assets_get_their_registration_in_the_timeline_and_an_asset_registered_event(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "assets.csv",
        ["serial_number", "product_code", "customer_code", "state", "site_name"],
        [
            ["SN-1", "P-1", "C-1", "in_service", "苏州工厂"],
            ["SN-2", "P-2", "", "", ""],
        ],
    )
    result = run_import(db, "assets", path, basics.a.id)
    assert (result.rows, result.records, result.dry_run) == (2, 2, False)
    with db.session(Scope.tenant(basics.a.id)) as s:
        assets = {a.serial_number: a for a in s.scalars(select(Asset))}
        assert assets["SN-1"].state == "in_service" and assets["SN-1"].customer_id == basics.c1.id
        assert assets["SN-2"].state == "manufactured" and assets["SN-2"].customer_id is None
        assert assets["SN-1"].version == 1 and assets["SN-1"].created_at.tzinfo is not None
        changes = s.scalars(select(AssetStateChange).order_by(AssetStateChange.asset_id)).all()
        assert [(c.asset_id, c.from_state, c.to_state, c.source, c.reason) for c in changes] == [
            (assets["SN-1"].id, None, "in_service", "import", "registered"),
            (assets["SN-2"].id, None, "manufactured", "import", "registered"),
        ]
        assert changes[0].at == assets["SN-1"].state_changed_at
        events = s.scalars(
            select(OutboxEvent).where(OutboxEvent.tenant_id == basics.a.id).order_by(OutboxEvent.id)
        ).all()
    assert [e.name for e in events] == ["AssetRegistered", "AssetRegistered"]
    first = AssetRegistered.model_validate(events[0].payload)  # what the event bus will read
    assert (first.asset_id, first.serial_number, first.product_id, first.customer_id) == (
        assets["SN-1"].id,
        "SN-1",
        basics.p1.id,
        basics.c1.id,
    )
    same_shape = AssetRegistered(tenant_id=basics.a.id, asset_id=1, serial_number="x", product_id=1, customer_id=None)
    assert set(events[0].payload) == set(same_shape.model_dump(mode="json"))
    assert len({e.event_id for e in events}) == 2 and all(e.dispatched_at is None for e in events)


def test_a_file_with_chinese_headers_imports(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "设备.csv",
        ["序列号", "产品编码", "客户编码", "生命周期状态", "安装地点", "投运日期"],
        [
            ["SN-1", "P-1", "C-1", "in_service", "苏州工厂", "2024-03-01"],
        ],
    )
    run_import(db, "assets", path, basics.a.id)
    with db.session(Scope.tenant(basics.a.id)) as s:
        a = s.scalar(select(Asset))
        assert (a.serial_number, a.site_name, a.commissioned_on) == ("SN-1", "苏州工厂", dt.date(2024, 3, 1))


def test_errors_name_the_columns_as_headed_in_the_file(db, basics, tmp_path):
    path = write_csv(tmp_path / "设备.csv", ["序列号", "产品编码"], [["SN-1", "P-404"]])
    assert rejected(db, "assets", path, basics.a.id) == [(2, "产品编码", "not_found")]


def test_a_csv_with_the_utf8_bom_excel_writes_imports(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "assets.csv", ["serial_number", "product_code", "notes"], [["SN-1", "P-1", "备注"]], bom=True
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    run_import(db, "assets", path, basics.a.id)
    assert count(db, basics.a.id, Asset) == 1


def test_excel_cells_typed_as_numbers_dates_and_booleans_import_like_text(db, basics, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(
        [
            "serial_number",
            "product_code",
            "customer_code",
            "state",
            "site_name",
            "latitude",
            "longitude",
            "manufactured_on",
            "commissioned_on",
            "notes",
        ]
    )
    ws.append(
        [20240001, "P-1", "C-1", "in_service", "苏州", 31.25, 120, dt.datetime(2024, 1, 2), dt.date(2024, 2, 3), "=A1"]
    )
    ws.append([None] * 10)
    ws.append(["SN-2", "P-2", None, None, None, None, None, None, None, None])
    wb.save(tmp_path / "assets.xlsx")
    result = run_import(db, "assets", tmp_path / "assets.xlsx", basics.a.id)
    assert result.rows == 2
    with db.session(Scope.tenant(basics.a.id)) as s:
        a = s.scalar(select(Asset).where(Asset.serial_number == "20240001"))
        assert (a.latitude, a.longitude, a.manufactured_on, a.commissioned_on) == (
            31.25,
            120.0,
            dt.date(2024, 1, 2),
            dt.date(2024, 2, 3),
        )


def test_an_excel_workbook_is_read_from_the_sheet_named_after_the_entity(db, basics, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["nothing", "here"])
    ws = wb.create_sheet("设备资产")
    ws.append(["serial_number", "product_code"])
    ws.append(["SN-1", "P-1"])
    wb.save(tmp_path / "book.xlsx")
    run_import(db, "assets", tmp_path / "book.xlsx", basics.a.id)
    assert count(db, basics.a.id, Asset) == 1


def test_references_resolve_only_inside_the_tenant(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "assets.csv",
        ["serial_number", "product_code", "customer_code"],
        [
            ["SN-1", "P-B", ""],  # tenant b's product
            ["SN-2", "P-1", "C-B"],  # tenant b's customer
        ],
    )
    assert rejected(db, "assets", path, basics.a.id) == [
        (2, "product_code", "not_found"),
        (3, "customer_code", "not_found"),
    ]
    assert count(db, basics.a.id, Asset) == 0 and count(db, basics.b.id, Asset) == 0


def test_the_database_refuses_a_bulk_insert_that_references_another_tenants_product(db, basics):
    """The bulk writer bypasses the ORM guard; the composite (tenant_id, product_id) key still holds."""
    from somp.core.database import utcnow
    from somp.dataio.bulk import insert_rows

    now = utcnow()
    with db.session(Scope.tenant(basics.a.id)) as s, pytest.raises(IntegrityError):
        insert_rows(
            s.connection(),
            Asset.__table__,
            ["serial_number", "product_id"],
            [("SN-X", basics.pb.id)],
            constants={
                "tenant_id": basics.a.id,
                "state": "manufactured",
                "state_changed_at": now,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            },
        )


def test_a_dry_run_validates_everything_and_writes_nothing(db, basics, tmp_path):
    good = write_csv(tmp_path / "good.csv", ["serial_number", "product_code"], [["SN-1", "P-1"], ["SN-2", "P-2"]])
    result = run_import(db, "assets", good, basics.a.id, dry_run=True)
    assert (result.rows, result.records, result.dry_run) == (2, 2, True)
    bad = write_csv(tmp_path / "bad.csv", ["serial_number", "product_code"], [["SN-1", "P-1"], ["SN-1", "P-X"]])
    assert rejected(db, "assets", bad, basics.a.id, dry_run=True) == [
        (3, "serial_number", "duplicate"),
        (3, "product_code", "not_found"),
    ]
    assert count(db, basics.a.id, Asset) == 0 and count(db, basics.a.id, AssetStateChange) == 0
    with db.session(Scope.all_tenants()) as s:
        assert s.scalar(select(OutboxEvent.id).where(OutboxEvent.tenant_id == basics.a.id)) is None


def test_a_retirement_day_is_only_for_a_retired_asset_and_not_before_its_other_days(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "assets.csv",
        ["serial_number", "product_code", "state", "manufactured_on", "retired_on"],
        [
            ["SN-1", "P-1", "retired", "2020-01-01", "2024-01-01"],
            ["SN-2", "P-1", "manufactured", "", "2024-01-01"],
            ["SN-3", "P-1", "recycled", "2020-01-01", "2019-01-01"],
        ],
    )
    assert rejected(db, "assets", path, basics.a.id) == [
        (3, "retired_on", "value_error"),
        (4, "retired_on", "value_error"),
    ]
    assert messages(db, "assets", path, basics.a.id) == [
        "retired_on is only for a retired or recycled asset, not manufactured",
        "retired_on (2019-01-01) is before manufactured_on (2020-01-01)",
    ]


def test_an_unknown_tenant_is_not_found(db, basics, tmp_path):
    from somp.core.errors import NotFound

    path = write_csv(tmp_path / "assets.csv", ["serial_number", "product_code"], [["SN-1", "P-1"]])
    with pytest.raises(NotFound):
        run_import(db, "assets", path, 999_999)
