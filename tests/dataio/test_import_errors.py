"""A bad file is rejected whole with every error's row, column and reason; nothing is written."""

from __future__ import annotations

from pathlib import Path

from somp.modules.assets.models import Asset
from tests.dataio.conftest import count, messages, rejected, run_import, write_csv

HEADER = [
    "serial_number",
    "product_code",
    "customer_code",
    "state",
    "site_name",
    "latitude",
    "longitude",
    "manufactured_on",
    "commissioned_on",
]


def test_a_file_with_errors_in_several_rows_is_rejected_with_exactly_those_errors_and_nothing_written(
    db, basics, tmp_path: Path
):
    path = write_csv(
        tmp_path / "assets.csv",
        HEADER,
        [
            ["SN-1", "P-1", "C-1", "in_service", "苏州工厂", "31.3", "120.6", "2024-01-01", "2024-02-01"],  # row 2 ok
            ["SN-2", "P-9", "", "", "", "", "", "", ""],  # row 3: unknown product
            ["SN-3", "P-1", "C-1", "in_service", "", "", "", "", ""],  # row 4: in service without a site
            ["SN 4", "P-1", "", "flying", "", "", "", "2024-13-01", ""],  # row 5: three bad cells
            ["SN-5", "P-2", "C-2", "delivered", "", "", "", "2024-05-01", "2024-04-01"],  # row 6: dates backwards
            ["SN-6", "P-1", "C-7", "", "", "", "", "", ""],  # row 7: unknown customer
            ["SN-7", "P-1", "", "", "", "31.3", "", "", ""],  # row 8: latitude without longitude
        ],
    )
    errors = rejected(db, "assets", path, basics.a.id)
    assert errors == [
        (3, "product_code", "not_found"),
        (4, "state", "illegal_transition"),
        (5, "serial_number", "string_pattern_mismatch"),
        (5, "state", "enum"),
        (5, "manufactured_on", "date_from_datetime_parsing"),
        (6, "commissioned_on", "value_error"),
        (7, "customer_code", "not_found"),
        (8, "latitude", "value_error"),
    ]
    reasons = messages(db, "assets", path, basics.a.id)
    assert "no product with code 'P-9'" in reasons
    assert "an asset that is in_service needs its site" in reasons
    assert "no customer with code 'C-7'" in reasons
    assert "give both latitude and longitude, or neither" in reasons
    assert "commissioned_on (2024-04-01) is before manufactured_on (2024-05-01)" in reasons
    assert count(db, basics.a.id, Asset) == 0


def test_duplicates_inside_the_file_and_against_the_database_are_reported_at_their_rows(db, basics, tmp_path):
    run_import(
        db,
        "assets",
        write_csv(tmp_path / "first.csv", ["serial_number", "product_code"], [["SN-1", "P-1"]]),
        basics.a.id,
    )
    path = write_csv(
        tmp_path / "assets.csv",
        ["serial_number", "product_code"],
        [
            ["SN-2", "P-1"],
            ["SN-1", "P-1"],
            ["SN-3", "P-2"],
            ["SN-2", "P-2"],
            [" SN-3 ", "P-1"],
        ],
    )
    errors = rejected(db, "assets", path, basics.a.id)
    assert sorted(errors) == [
        (3, "serial_number", "duplicate"),
        (5, "serial_number", "duplicate"),
        (6, "serial_number", "duplicate"),
    ]
    assert set(messages(db, "assets", path, basics.a.id)) == {
        "'SN-1' already exists",
        "'SN-2' is already used in row 2",
        "'SN-3' is already used in row 4",
    }
    assert count(db, basics.a.id, Asset) == 1


def test_duplicates_are_found_also_in_a_tenant_that_holds_more_keys_than_the_file(db, basics, tmp_path):
    header = ["serial_number", "product_code"]
    run_import(
        db, "assets", write_csv(tmp_path / "first.csv", header, [[f"SN-{i}", "P-1"] for i in range(5)]), basics.a.id
    )
    path = write_csv(tmp_path / "assets.csv", header, [["SN-9", "P-1"], ["SN-3", "P-1"]])
    assert rejected(db, "assets", path, basics.a.id) == [(3, "serial_number", "duplicate")]


def test_unknown_duplicate_and_missing_columns_are_reported_on_the_header_row(db, basics, tmp_path):
    path = write_csv(
        tmp_path / "assets.csv", ["serial_number", "colour", "state", "生命周期状态"], [["SN-1", "red", "", ""]]
    )
    errors = rejected(db, "assets", path, basics.a.id)
    assert errors == [
        (1, "colour", "unknown_column"),
        (1, "生命周期状态", "duplicate_column"),
        (1, "product_code", "missing_column"),
    ]


def test_a_value_under_no_header_is_an_error(db, basics, tmp_path):
    path = tmp_path / "assets.csv"
    path.write_text("serial_number,product_code,,\nSN-1,P-1,,\nSN-2,P-1,x,\nSN-3,P-1,,,y\n", encoding="utf-8")
    assert rejected(db, "assets", path, basics.a.id) == [
        (3, "column C", "unknown_column"),
        (4, "column E", "unknown_column"),
    ]


def test_a_file_that_is_not_utf8_is_rejected_with_a_hint(db, basics, tmp_path):
    path = tmp_path / "assets.csv"
    path.write_bytes("serial_number,product_code,site_name\nSN-1,P-1,苏州\n".encode("gbk"))
    [reason] = messages(db, "assets", path, basics.a.id)
    assert "not UTF-8" in reason and "CSV UTF-8" in reason


def test_empty_rows_are_skipped_and_row_numbers_stay_those_of_the_spreadsheet(db, basics, tmp_path):
    path = tmp_path / "assets.csv"
    path.write_text('serial_number,product_code,notes\n\n,,\nSN-1,P-1,"two\nlines"\nSN-2,P-0,\n', encoding="utf-8")
    assert rejected(db, "assets", path, basics.a.id) == [(5, "product_code", "not_found")]
