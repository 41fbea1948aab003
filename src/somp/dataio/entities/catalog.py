"""The catalog (2.1.2, 2.1.7): products, their BOM, offerings and their service items.

Products and offerings are one row each. Their line items are entities of their own
(``product_bom``, ``offering_service_items``), one row per line keyed by the parent's code and a
line number, so both CSV and Excel stay flat. An offering's SLA is flattened into columns:
``sla_availability_target_pct`` and ``sla_<priority>_response_hours`` /
``sla_<priority>_resolution_hours`` for each priority (critical, high, medium, low).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any, ClassVar

from pydantic import Field
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from somp.core.errors import ValidationFailed
from somp.dataio.bulk import insert_rows
from somp.dataio.spec import (
    Cells,
    Column,
    Condition,
    EntitySpec,
    ImportContext,
    Record,
    Ref,
    export_query,
    stamp,
)
from somp.modules.catalog.models import (
    Offering,
    OfferingServiceItem,
    OfferingStatus,
    Priority,
    Product,
    ProductBomItem,
    ProductStatus,
)
from somp.modules.catalog.schemas import BomItemIn, OfferingCreate, ProductCreate, ServiceItemIn
from somp.modules.catalog.service import check_offering_terms, sla_columns

PRODUCT = Ref(Product, "code", "product", ("status",))
OFFERING = Ref(Offering, "code", "offering")


def _max_items(model: Any, field: str) -> int:
    """The ``max_length`` a schema gives a list field (the API's limit on lines per parent)."""
    return next(m.max_length for m in model.model_fields[field].metadata if hasattr(m, "max_length"))


def _progress(ctx: ImportContext) -> Any:
    return lambda n: ctx.progress.advance("write", n)


class ProductsSpec(EntitySpec):
    name = "products"
    zh = "产品"
    doc = "Products of the catalog, keyed by code. Their bill of materials is the entity product_bom."
    schema = ProductCreate
    unique = "code"
    model = Product
    omitted = {"bom": "imported and exported as the entity product_bom (one row per BOM line)"}
    columns = (
        Column("code", "产品编码", "unique within the tenant"),
        Column("name", "产品名称"),
        Column("name_en", "英文名称"),
        Column("category", "产品类别"),
        Column("description", "描述"),
        Column("spec", "技术参数", 'technical data as a JSON object, e.g. {"rated_power_kw": 55}', kind="json"),
        Column("list_price", "标价", "net list price"),
        Column("unit_cost", "单位成本"),
        Column("status", "状态", "default active"),
    )

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        fields = [c.name for c in self.columns]
        get = attrgetter(*fields)
        rows = [get(r.data) for r in records]
        insert_rows(
            ctx.session.connection(), Product.__table__, fields, rows, constants=stamp(ctx), progress=_progress(ctx)
        )

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        exprs = {c.name: getattr(Product, c.name) for c in self.columns}
        return export_query(session, exprs, where, lambda s: s.order_by(Product.id))


class LineItemsSpec(EntitySpec):
    """Line items of a parent (a product's BOM, an offering's service items): one row per line,
    keyed by the parent's code and ``line_no``. Lines are added to parents that already exist;
    a blank ``line_no`` continues after the parent's highest line (in the database or the file)."""

    parent_ref: ClassVar[Ref]
    parent_column: ClassVar[str]
    parent_field: ClassVar[str]
    item_model: ClassVar[Any]
    parent_model: ClassVar[Any]
    max_lines: ClassVar[int]
    item_fields: ClassVar[tuple[str, ...]]

    def key_of(self, values: dict[str, Any]) -> Any:
        parent, line = values.get(self.parent_column), values.get("line_no")
        return (parent, int(line)) if parent is not None and str(line).isdigit() else None

    def check_unique(self, ctx: ImportContext, keyed: Sequence[tuple[int, Any]]) -> None:
        first: dict[Any, int] = {}
        for row, key in keyed:
            if key is None:
                continue
            if key in first:
                ctx.error(row, "line_no", f"line {key[1]} of {key[0]} is already in row {first[key]}", "duplicate")
            else:
                first[key] = row

    def check(self, ctx: ImportContext, records: list[Record]) -> None:
        """Line numbers free in the database, blank ones assigned, at most ``max_lines`` per parent."""
        fk = getattr(self.item_model, self.parent_field)
        parent_ids = sorted({getattr(r.data, self.parent_field) for r in records})
        in_db: dict[int, set[int]] = defaultdict(set)
        for pid, line in ctx.session.execute(select(fk, self.item_model.line_no).where(fk.in_(parent_ids))):
            in_db[pid].add(line)
        taken = {pid: set(lines) for pid, lines in in_db.items()}
        for r in records:
            pid, line = getattr(r.data, self.parent_field), r.data.line_no
            if line is None:
                continue
            if line in in_db.get(pid, ()):
                parent = r.values[self.parent_column]
                ctx.error(r.row, "line_no", f"line {line} of {parent} already exists", "duplicate")
            taken.setdefault(pid, set()).add(line)
        last_row: dict[int, int] = {}
        for r in records:
            pid = getattr(r.data, self.parent_field)
            lines = taken.setdefault(pid, set())
            r.extra["line_no"] = r.data.line_no or max(lines, default=0) + 1
            lines.add(r.extra["line_no"])
            last_row[pid] = r.row
        for pid, lines in taken.items():
            if len(lines) > self.max_lines and pid in last_row:
                ctx.error(
                    last_row[pid],
                    self.parent_column,
                    f"more than {self.max_lines} lines for one {self.parent_ref.label}",
                    "too_many",
                )

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        fields = [self.parent_field, "line_no", *self.item_fields]
        rows = [
            (getattr(r.data, self.parent_field), r.extra["line_no"], *(getattr(r.data, f) for f in self.item_fields))
            for r in records
        ]
        conn = ctx.session.connection()
        insert_rows(
            conn,
            self.item_model.__table__,
            fields,
            rows,
            constants={"tenant_id": ctx.tenant_id},
            progress=_progress(ctx),
        )
        # the parent changed as an update through its service would change it
        parents = self.parent_model.__table__
        ids = sorted({getattr(r.data, self.parent_field) for r in records})
        conn.execute(
            update(parents)
            .where(parents.c.tenant_id == ctx.tenant_id, parents.c.id.in_(ids))
            .values(version=parents.c.version + 1, updated_at=ctx.now)
        )

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        item, parent = self.item_model, self.parent_model
        exprs = {self.parent_column: getattr(parent, self.parent_ref.key), "line_no": item.line_no}
        exprs |= {f: getattr(item, f) for f in self.item_fields}
        fk = getattr(item, self.parent_field)

        def build(s: Any) -> Any:
            return s.join(parent, and_(parent.id == fk, parent.tenant_id == item.tenant_id)).order_by(
                parent.id, item.line_no
            )

        return export_query(session, exprs, where, build)


class BomRow(BomItemIn):
    product_id: int = Field(ge=1)
    line_no: int | None = Field(None, ge=1)


class ProductBomSpec(LineItemsSpec):
    name = "product_bom"
    zh = "产品物料清单"
    doc = "Bill-of-materials lines of products that already exist, one row per line."
    schema = BomRow
    parent_ref = PRODUCT
    parent_column = "product_code"
    parent_field = "product_id"
    item_model = ProductBomItem
    parent_model = Product
    max_lines = _max_items(ProductCreate, "bom")
    item_fields = ("part_number", "description", "quantity", "unit", "unit_cost", "spare_part")
    columns = (
        Column("product_code", "产品编码", "the product (must exist)", field="product_id", ref=PRODUCT),
        Column("line_no", "行号", "1, 2, ...; blank: after the product's highest line"),
        Column("part_number", "零件号"),
        Column("description", "零件描述"),
        Column("quantity", "数量", "> 0"),
        Column("unit", "单位", "default pcs"),
        Column("unit_cost", "单位成本"),
        Column("spare_part", "是否备件", "是/否 also accepted; default false", kind="bool"),
    )


class ServiceItemRow(ServiceItemIn):
    offering_id: int = Field(ge=1)
    line_no: int | None = Field(None, ge=1)


class OfferingServiceItemsSpec(LineItemsSpec):
    name = "offering_service_items"
    zh = "服务项目"
    doc = "Service items of offerings that already exist, one row per item."
    schema = ServiceItemRow
    parent_ref = OFFERING
    parent_column = "offering_code"
    parent_field = "offering_id"
    item_model = OfferingServiceItem
    parent_model = Offering
    max_lines = _max_items(OfferingCreate, "service_items")
    item_fields = ("kind", "name", "name_en", "included", "price")
    columns = (
        Column("offering_code", "产品服务组合编码", "the offering (must exist)", field="offering_id", ref=OFFERING),
        Column("line_no", "行号", "1, 2, ...; blank: after the offering's highest line"),
        Column("kind", "服务类型"),
        Column("name", "服务名称"),
        Column("name_en", "英文名称"),
        Column("included", "是否包含", "included in the fee; default true", kind="bool"),
        Column("price", "价格", "price when not included"),
    )


SLA_PREFIX = "sla_"
SLA_FIELDS = ("response_hours", "resolution_hours")
_SLA_ZH = {"critical": "紧急", "high": "高", "medium": "中", "low": "低"}


def _sla_columns_spec() -> tuple[Column, ...]:
    cols = [Column("sla_availability_target_pct", "SLA可用率目标(%)", "0-100", custom=True)]
    for p in Priority:
        cols.append(Column(f"sla_{p.value}_response_hours", f"SLA{_SLA_ZH[p.value]}优先级响应时间(小时)", custom=True))
        cols.append(
            Column(f"sla_{p.value}_resolution_hours", f"SLA{_SLA_ZH[p.value]}优先级解决时间(小时)", custom=True)
        )
    return tuple(cols)


class OfferingsSpec(EntitySpec):
    name = "offerings"
    zh = "产品服务组合"
    doc = (
        "Product-service offerings, keyed by code. The SLA is flattened into sla_* columns (leave a "
        "priority's two columns blank for no commitment); service items are the entity offering_service_items."
    )
    schema = OfferingCreate
    unique = "code"
    model = Offering
    omitted = {
        "sla": "flattened into the sla_* columns",
        "service_items": "imported and exported as the entity offering_service_items",
    }
    columns = (
        Column("code", "产品服务组合编码", "unique within the tenant"),
        Column("name", "名称"),
        Column("name_en", "英文名称"),
        Column("description", "描述"),
        Column("product_code", "产品编码", "the product (must exist)", field="product_id", ref=PRODUCT),
        Column("price_model", "定价模式"),
        Column("status", "状态", "default draft"),
        Column("currency", "币种", "ISO 4217, default CNY"),
        Column("one_time_price", "一次性价格", "required by one_time_sale"),
        Column("periodic_fee", "周期费用", "required by subscription and availability_based"),
        Column("billing_period", "计费周期", "default month"),
        Column("usage_unit", "用量单位", "e.g. m3, h; required by pay_per_use"),
        Column("usage_unit_price", "用量单价", "required by pay_per_use"),
        *_sla_columns_spec(),
    )

    def build(self, ctx: ImportContext, cells: Cells) -> dict[str, Any]:
        data = super().build(ctx, cells)
        v = cells.values
        sla: dict[str, Any] = {}
        if "sla_availability_target_pct" in v:
            sla["availability_target_pct"] = v["sla_availability_target_pct"]
        per = {}
        for p in Priority:
            terms = {f: v[f"sla_{p.value}_{f}"] for f in SLA_FIELDS if f"sla_{p.value}_{f}" in v}
            if terms:
                per[p.value] = terms
        if per:
            sla["per_priority"] = per
        if sla:
            data["sla"] = sla
        return data

    def column_for(self, loc: tuple[Any, ...], message: str) -> str:
        if loc[:1] == ("sla",):
            if loc[1:2] == ("availability_target_pct",):
                return "sla_availability_target_pct"
            if loc[1:2] == ("per_priority",) and len(loc) >= 3:
                name = loc[3] if len(loc) >= 4 and loc[3] in SLA_FIELDS else None
                name = name or self._named_in(message, {f: f for f in SLA_FIELDS}) or SLA_FIELDS[0]
                return f"sla_{loc[2]}_{name}"
        return super().column_for(loc, message)

    def check(self, ctx: ImportContext, records: list[Record]) -> None:
        by_field = {"availability_target_pct": "sla_availability_target_pct"}
        for r in records:
            d: OfferingCreate = r.data
            product = ctx.ref("product_code", r.values["product_code"])
            if product.status == ProductStatus.discontinued and d.status == OfferingStatus.active:
                ctx.error(r.row, "product_code", "product is discontinued", "discontinued")
            offering = Offering(**_prices(d), **sla_columns(d.sla))
            try:
                check_offering_terms(offering)
            except ValidationFailed as exc:
                for e in exc.errors:
                    ctx.error(r.row, by_field.get(e.field, e.field), e.message, e.code)

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        fields = [c.target for c in self.columns if not c.custom]
        rows = [tuple(getattr(r.data, f) for f in fields) + tuple(sla_columns(r.data.sla).values()) for r in records]
        fields += list(sla_columns(None))
        insert_rows(
            ctx.session.connection(), Offering.__table__, fields, rows, constants=stamp(ctx), progress=_progress(ctx)
        )

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        exprs = {c.name: getattr(Offering, c.target) for c in self.columns if not c.custom and not c.ref}
        exprs["product_code"] = Product.code
        exprs["sla_availability_target_pct"] = Offering.availability_target_pct
        exprs["_sla"] = Offering.sla

        def build(s: Any) -> Any:
            return s.join(
                Product, and_(Product.id == Offering.product_id, Product.tenant_id == Offering.tenant_id)
            ).order_by(Offering.id)

        for row in export_query(session, exprs, where, build):
            per = (row.pop("_sla") or {}).get("per_priority", {})
            for p, terms in per.items():
                for f in SLA_FIELDS:
                    row[f"sla_{p}_{f}"] = _number(terms.get(f))
            yield row


def _prices(d: OfferingCreate) -> dict[str, Any]:
    return {
        "price_model": d.price_model,
        "one_time_price": d.one_time_price,
        "periodic_fee": d.periodic_fee,
        "usage_unit": d.usage_unit,
        "usage_unit_price": d.usage_unit_price,
    }


def _number(x: Any) -> Any:
    """SLA hours are stored as JSON floats; write 8.0 as 8."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


ENTITIES: tuple[EntitySpec, ...] = (ProductsSpec(), ProductBomSpec(), OfferingsSpec(), OfferingServiceItemsSpec())
