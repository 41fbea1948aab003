"""The rules of the other entities: the API's, plus the file-level and state checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from somp.core.tenancy import Scope
from somp.modules.catalog.models import Offering, Product
from somp.modules.contracts.models import Contract
from somp.modules.invoicing.models import Invoice
from somp.modules.workorders.models import WorkOrder
from tests.dataio.conftest import messages, rejected, run_import, write_csv
from tests.factories import make_asset, make_offering, make_user

CONTRACT = [
    "number",
    "customer_code",
    "offering_code",
    "status",
    "signed_on",
    "start_date",
    "end_date",
    "renewal_of_number",
    "asset_serial_numbers",
]


def test_customers_are_validated_with_the_api_rules(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["code", "name", "uscc", "region_code", "contact_email"],
        [
            ["C-3", "新客户", "", "320500", "a@b.cn"],
            ["C-1", "重复", "", "", ""],
            ["C-4", "", "91320500MA1234567X", "999999", "not-an-email"],
        ],
    )
    assert rejected(db, "customers", path, basics.a.id) == [
        (3, "code", "duplicate"),
        (4, "name", "missing"),
        (4, "uscc", "value_error"),
        (4, "region_code", "value_error"),
        (4, "contact_email", "string_pattern_mismatch"),
    ]


def test_product_spec_must_be_a_json_object(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        ["code", "name", "category", "spec"],
        [
            ["P-3", "空压机", "air_compressor", '{"rated_power_kw": 75}'],
            ["P-4", "空压机", "air_compressor", "{rated_power_kw: 75}"],
            ["P-5", "空压机", "air_compressor", "[1, 2]"],
        ],
    )
    assert rejected(db, "products", path, basics.a.id) == [(3, "spec", "json_invalid"), (4, "spec", "dict_type")]


def test_bom_lines_are_added_after_the_products_last_line_and_line_numbers_must_be_free(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "bom.csv",
        ["product_code", "line_no", "part_number", "description", "quantity"],
        [
            ["P-1", "", "FLT-1", "空滤", "2"],
            ["P-1", "5", "OIL-1", "油滤", "1"],
            ["P-2", "", "BLT-1", "皮带", "1"],
        ],
    )
    run_import(db, "product_bom", path, basics.a.id)
    with db.session(Scope.tenant(basics.a.id)) as s:
        p1, p2 = s.get(Product, basics.p1.id), s.get(Product, basics.p2.id)
        assert [(b.line_no, b.part_number) for b in p1.bom] == [(1, "AIR-END-1"), (5, "OIL-1"), (6, "FLT-1")]
        assert [(b.line_no, b.part_number) for b in p2.bom] == [(1, "AIR-END-1"), (2, "BLT-1")]
        assert p1.version == 2  # the product changed, as an update through the API would change it
    again = write_csv(
        tmp_path / "again.csv",
        ["product_code", "line_no", "part_number", "description", "quantity"],
        [
            ["P-1", "5", "X", "x", "1"],
            ["P-2", "7", "X", "x", "1"],
            ["P-2", "7", "X", "x", "0"],
            ["P-B", "", "X", "x", "1"],
        ],
    )
    assert rejected(db, "product_bom", again, basics.a.id) == [
        (2, "line_no", "duplicate"),
        (4, "line_no", "duplicate"),
        (4, "quantity", "greater_than"),
        (5, "product_code", "not_found"),
    ]


def test_offerings_flatten_the_sla_and_check_prices_against_the_price_model(db, basics, tmp_path):
    header = [
        "code",
        "name",
        "product_code",
        "price_model",
        "status",
        "periodic_fee",
        "usage_unit",
        "usage_unit_price",
        "sla_availability_target_pct",
        "sla_critical_response_hours",
        "sla_critical_resolution_hours",
        "sla_low_response_hours",
    ]
    path = write_csv(
        tmp_path / "o.csv",
        header,
        [
            ["O-1", "按用量", "P-1", "pay_per_use", "active", "", "m3", "0.12", "99", "2", "8", ""],
            ["O-2", "订阅", "P-1", "subscription", "", "", "", "", "", "", "", ""],
            ["O-3", "可用性", "P-1", "availability_based", "", "100", "", "", "", "4", "2", ""],
            ["O-4", "可用性", "P-1", "availability_based", "", "100", "", "", "101", "", "", "6"],
        ],
    )
    assert rejected(db, "offerings", path, basics.a.id) == [
        (3, "periodic_fee", "required"),
        (4, "sla_critical_resolution_hours", "value_error"),
        (5, "sla_availability_target_pct", "less_than_equal"),
        (5, "sla_low_resolution_hours", "missing"),
    ]
    ok = write_csv(
        tmp_path / "ok.csv",
        header,
        [
            ["O-1", "按用量", "P-1", "pay_per_use", "active", "", "m3", "0.12", "99", "2", "8", ""],
            ["O-3", "可用性", "P-1", "availability_based", "", "100", "", "", "98.5", "", "", ""],
        ],
    )
    run_import(db, "offerings", ok, basics.a.id)
    with db.session(Scope.tenant(basics.a.id)) as s:
        o1, o3 = s.scalars(select(Offering).order_by(Offering.code)).all()
        assert o1.sla == {"per_priority": {"critical": {"response_hours": 2.0, "resolution_hours": 8.0}}}
        assert o1.availability_target_pct == Decimal("99") and o3.availability_target_pct == Decimal("98.5")


def test_an_offering_on_a_discontinued_product_cannot_be_active(db, basics, tmp_path):
    from tests.factories import make_product

    make_product(db, basics.a, code="P-OLD", status="discontinued")
    path = write_csv(
        tmp_path / "o.csv",
        ["code", "name", "product_code", "price_model", "status", "one_time_price"],
        [["O-1", "旧", "P-OLD", "one_time_sale", "active", "100"]],
    )
    assert rejected(db, "offerings", path, basics.a.id) == [(2, "product_code", "discontinued")]


def _contract_world(db, basics):
    o = make_offering(db, basics.a, basics.p1.id, code="O-1")
    retired = make_offering(db, basics.a, basics.p1.id, code="O-OLD", status="retired")
    s1 = make_asset(db, basics.a, basics.p1.id, basics.c1.id, serial_number="SN-1", state="delivered")
    s2 = make_asset(db, basics.a, basics.p1.id, basics.c1.id, serial_number="SN-2", state="delivered")
    s3 = make_asset(db, basics.a, basics.p1.id, basics.c2.id, serial_number="SN-3", state="delivered")
    return o, retired, s1, s2, s3


def test_contracts_cover_assets_by_serial_number_and_renew_contracts_earlier_in_the_file(db, basics, tmp_path):
    _contract_world(db, basics)
    path = write_csv(
        tmp_path / "k.csv",
        CONTRACT,
        [
            ["CT-1", "C-1", "O-1", "active", "2024-12-20", "2025-01-01", "2026-01-01", "", "SN-1; SN-2"],
            ["CT-2", "C-1", "O-1", "", "", "2026-01-01", "2027-01-01", "CT-1", ""],
            ["", "C-2", "O-1", "draft", "", "2025-06-01", "2026-06-01", "", "SN-3"],
        ],
    )
    run_import(db, "contracts", path, basics.a.id)
    with db.session(Scope.tenant(basics.a.id)) as s:
        from somp.modules.contracts.service import asset_ids_of

        k = {c.number: c for c in s.scalars(select(Contract))}
        assert k["CT-1"].status == "active" and k["CT-1"].signed_on == dt.date(2024, 12, 20)
        assert k["CT-2"].renewal_of_id == k["CT-1"].id and k["CT-2"].status == "draft"
        generated = next(n for n in k if n.startswith("CT-2025-"))
        assert generated == "CT-2025-000001"
        assert len(asset_ids_of(s, [k["CT-1"].id])[k["CT-1"].id]) == 2


def test_contract_rules_other_customers_assets_double_cover_retired_offerings_and_signing(db, basics, tmp_path):
    _contract_world(db, basics)
    run_import(
        db,
        "contracts",
        write_csv(
            tmp_path / "live.csv",
            CONTRACT,
            [
                ["CT-LIVE", "C-1", "O-1", "active", "2024-01-01", "2024-01-01", "2025-06-01", "", "SN-1"],
            ],
        ),
        basics.a.id,
    )
    path = write_csv(
        tmp_path / "k.csv",
        CONTRACT,
        [
            ["CT-1", "C-1", "O-1", "active", "2025-01-01", "2025-01-01", "2026-01-01", "", "SN-1"],  # SN-1 is covered
            ["CT-2", "C-1", "O-1", "draft", "", "2025-01-01", "2026-01-01", "", "SN-3"],  # SN-3 is C-2's
            ["CT-3", "C-1", "O-OLD", "", "", "2025-01-01", "2026-01-01", "", ""],  # retired offering
            ["CT-4", "C-1", "O-1", "active", "", "2025-01-01", "2026-01-01", "", ""],  # signed without day and assets
            ["CT-5", "C-1", "O-1", "suspended", "2025-01-01", "2025-03-01", "2025-09-01", "", "SN-2"],
            ["CT-6", "C-1", "O-1", "active", "2025-01-01", "2025-08-01", "2026-01-01", "CT-9", "SN-2; SN-2"],
            ["CT-7", "C-2", "O-1", "", "", "2025-01-01", "2025-01-01", "CT-LIVE", ""],
        ],
    )
    assert rejected(db, "contracts", path, basics.a.id) == [
        (2, "asset_serial_numbers", "overlap"),
        (3, "asset_serial_numbers", "other_customer"),
        (4, "offering_code", "retired"),
        (5, "signed_on", "required"),
        (5, "asset_serial_numbers", "required"),
        (7, "asset_serial_numbers", "value_error"),
        (8, "end_date", "value_error"),
    ]
    reasons = messages(db, "contracts", path, basics.a.id)
    assert "asset SN-1 is covered by live contract CT-LIVE in this term" in reasons
    assert "asset SN-3 does not belong to this customer" in reasons
    fixed = write_csv(
        tmp_path / "k2.csv",
        CONTRACT,
        [
            ["CT-5", "C-1", "O-1", "suspended", "2025-01-01", "2025-03-01", "2025-09-01", "", "SN-2"],
            ["CT-6", "C-1", "O-1", "active", "2025-01-01", "2025-08-01", "2026-01-01", "CT-9", "SN-2"],
            ["CT-7", "C-2", "O-1", "", "", "2025-01-01", "2025-02-01", "CT-LIVE", ""],
        ],
    )
    assert rejected(db, "contracts", fixed, basics.a.id) == [
        (3, "renewal_of_number", "not_found"),
        (3, "asset_serial_numbers", "overlap"),
        (4, "renewal_of_number", "other_customer"),
    ]
    assert "asset SN-2 is covered by live the contract in row 2 in this term" in messages(
        db, "contracts", fixed, basics.a.id
    )


WO = [
    "number",
    "kind",
    "priority",
    "status",
    "asset_serial_number",
    "contract_number",
    "title",
    "assignee_username",
    "opened_at",
    "responded_at",
    "resolved_at",
    "closed_at",
    "labour_cost",
]


def test_work_orders_take_the_sla_of_the_covering_contract_and_record_work_order_opened(db, basics, tmp_path):
    from somp.core.events import OutboxEvent

    o, _, s1, _, _ = _contract_world(db, basics)
    run_import(
        db,
        "contracts",
        write_csv(
            tmp_path / "k.csv",
            CONTRACT,
            [
                ["CT-1", "C-1", "O-1", "active", "2024-12-20", "2025-01-01", "2026-01-01", "", "SN-1"],
            ],
        ),
        basics.a.id,
    )
    engineer = make_user(db, basics.a, "engineer", username="eng-1")
    path = write_csv(
        tmp_path / "wo.csv",
        WO,
        [
            [
                "",
                "corrective",
                "critical",
                "",
                "SN-1",
                "",
                "漏气",
                "eng-1",
                "2025-03-01T08:00:00+08:00",
                "",
                "",
                "",
                "",
            ],
            [
                "WO-7",
                "preventive",
                "",
                "closed",
                "SN-2",
                "",
                "保养",
                "",
                "2025-03-02 09:00",
                "2025-03-02 10:00",
                "2025-03-02 12:00",
                "2025-03-03 09:00",
                "300",
            ],
        ],
    )
    run_import(db, "work_orders", path, basics.a.id, tz=dt.timezone(dt.timedelta(hours=8)))
    with db.session(Scope.tenant(basics.a.id)) as s:
        w1, w7 = s.scalars(select(WorkOrder).order_by(WorkOrder.id)).all()
        opened = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)
        assert (w1.number, w1.status, w1.assignee_user_id, w1.source) == (
            "WO-2025-000001",
            "assigned",
            engineer.id,
            "import",
        )
        assert w1.contract_id is not None and w1.customer_id == basics.c1.id and w1.opened_at == opened
        assert (w1.response_due_at, w1.resolution_due_at) == (
            opened + dt.timedelta(hours=2),
            opened + dt.timedelta(hours=8),
        )
        assert w7.opened_at == dt.datetime(2025, 3, 2, 1, 0, tzinfo=dt.UTC) and w7.contract_id is None
        assert (w7.status, w7.labour_cost, w7.response_due_at) == ("closed", Decimal("300.00"), None)
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.name == "WorkOrderOpened")).all()
        assert sorted(e.payload["work_order_id"] for e in events) == [w1.id, w7.id]
        assert {e.payload["source"] for e in events} == {"import"}


def test_work_order_status_must_agree_with_its_times_assignee_contract_and_asset(db, basics, tmp_path):
    _contract_world(db, basics)
    make_asset(db, basics.a, basics.p1.id, basics.c1.id, serial_number="SN-R", state="retired")
    make_user(db, basics.a, "customer_user", username="cust-1", customer_id=basics.c1.id)
    run_import(
        db,
        "contracts",
        write_csv(
            tmp_path / "k.csv",
            CONTRACT,
            [
                ["CT-1", "C-1", "O-1", "active", "2024-12-20", "2025-01-01", "2026-01-01", "", "SN-1"],
            ],
        ),
        basics.a.id,
    )
    t = "2025-03-01T08:00:00+00:00"
    path = write_csv(
        tmp_path / "wo.csv",
        WO,
        [
            ["", "corrective", "", "assigned", "SN-1", "", "a", "", t, "", "", "", ""],
            ["", "corrective", "", "resolved", "SN-1", "", "b", "", t, "", "", "", ""],
            ["", "corrective", "", "open", "SN-1", "", "c", "", t, "2025-03-01T07:00:00+00:00", "", "", ""],
            ["", "corrective", "", "", "SN-R", "", "d", "", t, "", "", "", ""],
            ["", "corrective", "", "", "SN-2", "CT-1", "e", "cust-1", t, "", "", "", "-1"],
            ["", "corrective", "", "closed", "SN-R", "", "f", "", t, t, "2025-03-01T09:00:00+00:00", t, ""],
        ],
    )
    assert rejected(db, "work_orders", path, basics.a.id) == [
        (2, "assignee_username", "required"),
        (3, "responded_at", "required"),
        (3, "resolved_at", "required"),
        (4, "responded_at", "not_allowed"),
        (4, "responded_at", "order"),
        (5, "asset_serial_number", "end_of_life"),
        (6, "labour_cost", "greater_than_equal"),
        (7, "closed_at", "order"),
    ]
    path = write_csv(
        tmp_path / "wo2.csv", WO, [["", "corrective", "", "", "SN-2", "CT-1", "e", "cust-1", t, "", "", "", ""]]
    )
    assert rejected(db, "work_orders", path, basics.a.id) == [
        (2, "contract_number", "not_covered"),
        (2, "assignee_username", "not_staff"),
    ]


def test_a_user_of_another_tenant_cannot_be_assigned(db, basics, tmp_path):
    make_asset(db, basics.a, basics.p1.id, basics.c1.id, serial_number="SN-1", state="delivered")
    make_user(db, basics.b, "engineer", username="eng-b")
    path = write_csv(
        tmp_path / "wo.csv",
        ["kind", "asset_serial_number", "title", "assignee_username"],
        [["corrective", "SN-1", "x", "eng-b"]],
    )
    assert rejected(db, "work_orders", path, basics.a.id) == [(2, "assignee_username", "not_found")]


INV = [
    "number",
    "kind",
    "status",
    "customer_code",
    "issued_on",
    "due_on",
    "line_category",
    "line_description",
    "line_quantity",
    "line_unit_price",
    "line_tax_rate",
    "line_product_code",
]


def test_invoices_group_their_lines_and_compute_totals_as_the_service_does(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "inv.csv",
        INV,
        [
            ["INV-1", "", "issued", "C-1", "2025-03-31", "2025-04-30", "product", "空压机", "1", "250000", "", "P-1"],
            ["INV-2", "", "", "C-2", "2025-03-31", "", "service", "压缩空气", "100000", "0.1234", "0.06", ""],
            ["INV-1", "", "", "", "", "", "service", "安装", "3", "333.333", "0.06", ""],
        ],
    )
    result = run_import(db, "invoices", path, basics.a.id)
    assert (result.rows, result.records) == (3, 2)
    with db.session(Scope.tenant(basics.a.id)) as s:
        i1 = s.scalar(select(Invoice).where(Invoice.number == "INV-1"))
        assert i1.status == "issued" and [ln.line_no for ln in i1.lines] == [1, 2]
        assert [ln.amount for ln in i1.lines] == [Decimal("250000.00"), Decimal("1000.00")]
        assert (i1.net_total, i1.tax_total) == (Decimal("251000.00"), Decimal("32560.00"))
        assert i1.lines[0].product_id == basics.p1.id
        i2 = s.scalar(select(Invoice).where(Invoice.number == "INV-2"))
        assert (i2.net_total, i2.tax_total, i2.status) == (Decimal("12340.00"), Decimal("740.40"), "draft")


def test_invoice_errors_point_at_the_line_rows_and_inconsistent_invoice_columns(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "inv.csv",
        INV,
        [
            ["INV-1", "", "", "C-1", "2025-03-31", "", "product", "空压机", "1", "250000", "", ""],
            ["INV-1", "", "", "C-2", "", "", "software", "x", "1", "1", "", ""],
            ["INV-1", "", "", "", "", "", "service", "y", "0", "1", "", "P-404"],
            ["", "", "", "C-1", "2025-03-31", "", "service", "z", "1", "1", "", ""],
            ["INV-2", "", "", "C-1", "2025-03-31", "2025-03-01", "service", "z", "1", "1", "", ""],
        ],
    )
    assert rejected(db, "invoices", path, basics.a.id) == [
        (3, "customer_code", "inconsistent"),
        (3, "line_category", "enum"),
        (4, "line_quantity", "greater_than"),
        (4, "line_product_code", "not_found"),
        (5, "number", "missing"),
        (6, "due_on", "value_error"),
    ]
