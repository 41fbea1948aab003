"""The entity specs stay in step with the schemas and the docs; the bulk writer's edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from somp.dataio.docs import BEGIN, END, reference
from somp.dataio.entities import get_entity, registry
from somp.dataio.entities.assets import AssetsSpec
from somp.modules.assets.models import Asset, AssetStateChange
from somp.modules.invoicing.schemas import InvoiceLineIn
from tests.dataio.conftest import count, messages, rejected, run_import, write_csv

DOCS = Path(__file__).parents[2] / "docs" / "import-export.md"


@pytest.mark.parametrize("name", list(registry()))
def test_every_schema_field_has_a_column_or_a_reason(name):
    spec = get_entity(name)
    targets = {c.target for c in spec.columns}
    missing = set(spec.schema.model_fields) - targets - set(spec.omitted)
    assert not missing, f"{name}: fields without a column: {missing}"
    if name == "invoices":
        assert set(InvoiceLineIn.model_fields) <= targets


@pytest.mark.parametrize("name", list(registry()))
def test_headers_are_unambiguous_in_both_languages(name):
    spec = get_entity(name)
    labels = [c.name.casefold() for c in spec.columns] + [c.zh.casefold() for c in spec.columns]
    assert len(labels) == len(set(labels))
    assert all(spec.column(c.zh) is c and spec.column(c.name.upper()) is c for c in spec.columns)


def test_entities_are_found_by_english_or_chinese_name():
    assert get_entity("work-orders").name == "work_orders"
    assert get_entity("设备资产").name == "assets"
    with pytest.raises(KeyError):
        get_entity("gadgets")


def test_the_column_reference_in_the_docs_is_the_generated_one():
    text = DOCS.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section.strip() == reference().strip(), "run: python -m somp.dataio.docs --write docs/import-export.md"


def test_an_error_found_after_valid_rows_were_streamed_abandons_the_write(db, basics, tmp_path, monkeypatch):
    monkeypatch.setattr(AssetsSpec, "chunk_size", 2)
    rows = [[f"SN-{i}", "P-1"] for i in range(7)] + [["SN-7", "P-404"]]
    path = write_csv(tmp_path / "assets.csv", ["serial_number", "product_code"], rows)
    assert rejected(db, "assets", path, basics.a.id) == [(9, "product_code", "not_found")]
    assert count(db, basics.a.id, Asset) == 0 and count(db, basics.a.id, AssetStateChange) == 0
    rows[-1][1] = "P-2"  # the connection is usable afterwards
    run_import(db, "assets", write_csv(tmp_path / "ok.csv", ["serial_number", "product_code"], rows), basics.a.id)
    assert count(db, basics.a.id, Asset) == 8


def test_a_row_the_database_refuses_while_writing_rejects_the_file_and_writes_nothing(
    db, basics, tmp_path, monkeypatch
):
    """E.g. another session registered the same serial number meanwhile: the unique key holds."""
    import somp.dataio.spec as spec

    run_import(
        db, "assets", write_csv(tmp_path / "one.csv", ["serial_number", "product_code"], [["SN-1", "P-1"]]), basics.a.id
    )
    monkeypatch.setattr(spec, "existing", lambda *a, **kw: set())  # the check did not see it
    path = write_csv(tmp_path / "two.csv", ["serial_number", "product_code"], [["SN-0", "P-1"], ["SN-1", "P-1"]])
    [reason] = messages(db, "assets", path, basics.a.id)
    assert reason.startswith("the database refused the write:")
    assert count(db, basics.a.id, Asset) == 1


def test_bulk_ids_come_back_in_row_order(db, basics):
    from somp.core.database import utcnow
    from somp.core.tenancy import Scope
    from somp.dataio.bulk import Inserter

    now = utcnow()
    const = {
        "tenant_id": basics.a.id,
        "product_id": basics.p1.id,
        "state": "manufactured",
        "state_changed_at": now,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    with db.session(Scope.tenant(basics.a.id)) as s:
        with Inserter(s.connection(), Asset.__table__, ["serial_number"], constants=const, ids_for=5) as ins:
            first = ins.add([("A",), ("B",)])
            second = ins.add([("C",), ("D",), ("E",)])
        ids = first + second
        s.commit()
        got = {a.id: a.serial_number for a in s.query(Asset).filter(Asset.id.in_(ids))}
    assert [got[i] for i in ids] == ["A", "B", "C", "D", "E"]
