"""Export -> import -> export gives the same rows, for every entity, in CSV and Excel."""

from __future__ import annotations

from pathlib import Path

import pytest

from somp.core.tenancy import Scope
from somp.dataio.entities import get_entity, registry
from somp.dataio.exporter import export_file
from tests.dataio.conftest import run_import


def rows_of(db, entity: str, tenant_id: int) -> list[dict]:
    with db.session(Scope.tenant(tenant_id)) as s:
        return list(get_entity(entity).export(s, ()))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_entity_survives_an_export_and_import_into_another_tenant_unchanged(db, world, tmp_path: Path, fmt):
    for name in registry():
        before = rows_of(db, name, world.a.id)
        assert before, f"the fixture has no {name}"
        path = tmp_path / f"{name}.{fmt}"
        exported = export_file(db, get_entity(name), path, tenant_id=world.a.id)
        assert exported.rows == len(before)
        result = run_import(db, name, path, world.b.id)
        assert result.rows == len(before)
        assert rows_of(db, name, world.b.id) == before, name


def test_chinese_headers_round_trip(db, world, tmp_path: Path):
    for name in ("customers", "products", "offerings", "assets"):
        path = tmp_path / f"{name}.csv"
        export_file(db, get_entity(name), path, tenant_id=world.a.id, labels="zh")
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == [c.zh for c in get_entity(name).columns]
        run_import(db, name, path, world.b.id)
        assert rows_of(db, name, world.b.id) == rows_of(db, name, world.a.id)


def test_export_filters_on_any_column_with_typed_values(db, world, tmp_path: Path):
    from somp.dataio.spec import Condition

    with db.session(Scope.tenant(world.a.id)) as s:
        assets = get_entity("assets")
        in_service = list(assets.export(s, [Condition.parse("state=in_service")]))
        assert [r["serial_number"] for r in in_service] == ["SN-1"]
        of_c2 = list(assets.export(s, [Condition.parse("customer_code = C-2")]))
        assert [r["serial_number"] for r in of_c2] == ["SN-3", "SN-4"]
        unowned = list(assets.export(s, [Condition.parse("customer_code=")]))
        assert [r["serial_number"] for r in unowned] == ["SN-2"]
        early = list(
            get_entity("invoices").export(
                s, [Condition.parse("issued_on<=2025-03-31"), Condition.parse("kind!=credit_note")]
            )
        )
        assert {r["number"] for r in early} == {"INV-1"} and len(early) == 2
        with pytest.raises(ValueError, match="cannot filter"):
            list(assets.export(s, [Condition.parse("colour=red")]))


def test_an_export_never_contains_another_tenants_rows(db, world, tmp_path: Path):
    from tests.factories import make_asset, make_customer, make_product

    other = make_product(db, world.b, code="P-1")
    make_asset(db, world.b, other.id, make_customer(db, world.b, code="C-1").id, serial_number="SN-B")
    for name in registry():
        path = tmp_path / f"{name}.csv"
        export_file(db, get_entity(name), path, tenant_id=world.a.id)
        assert "SN-B" not in path.read_text(encoding="utf-8")
    assert [r["serial_number"] for r in rows_of(db, "assets", world.b.id)] == ["SN-B"]
