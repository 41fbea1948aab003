"""Assets (3.6): the installed base, one row per serial number.

An imported asset gets what :func:`somp.modules.assets.service.create_asset` gives it: the
lifecycle guard on its initial state, its registration row in the timeline (``from_state``
empty, ``source`` "import") and an ``AssetRegistered`` event in the outbox, all written in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any

from pydantic import model_validator
from sqlalchemy import and_
from sqlalchemy.orm import Session, aliased

from somp.dataio.bulk import Inserter, insert_events, insert_rows
from somp.dataio.spec import Column, Condition, EntitySpec, ImportContext, Record, Ref, export_query, stamp
from somp.modules.assets.events import AssetRegistered
from somp.modules.assets.lifecycle import END_OF_LIFE, TransitionRefused, check_initial_state
from somp.modules.assets.models import Asset, AssetStateChange
from somp.modules.assets.schemas import DATE_ORDER, AssetCreate
from somp.modules.assets.service import facts_of
from somp.modules.catalog.models import Product
from somp.modules.customers.models import Customer

PRODUCT = Ref(Product, "code", "product")
CUSTOMER = Ref(Customer, "code", "customer")


class AssetRow(AssetCreate):
    """The API's ``AssetCreate`` plus the retirement day of an asset registered as retired."""

    retired_on: dt.date | None = None

    @model_validator(mode="after")
    def _retired(self) -> AssetRow:
        if self.retired_on is None:
            return self
        if self.state not in END_OF_LIFE:
            raise ValueError(f"retired_on is only for a retired or recycled asset, not {self.state.value}")
        for name in DATE_ORDER:
            d = getattr(self, name)
            if d is not None and self.retired_on < d:
                raise ValueError(f"retired_on ({self.retired_on}) is before {name} ({d})")
        return self


class AssetsSpec(EntitySpec):
    name = "assets"
    zh = "设备资产"
    doc = (
        "Installed assets, keyed by serial number. state is the lifecycle state to register the asset in; "
        "the same guards apply as on the API (a delivered asset needs a customer, an installed one its site...)."
    )
    schema = AssetRow
    unique = "serial_number"
    model = Asset
    columns = (
        Column("serial_number", "序列号", "unique within the tenant"),
        Column("product_code", "产品编码", "the product (must exist)", field="product_id", ref=PRODUCT),
        Column("customer_code", "客户编码", "the owning customer (must exist)", field="customer_id", ref=CUSTOMER),
        Column("state", "生命周期状态", "default manufactured; the API's guards for registering in this state"),
        Column("site_name", "安装地点"),
        Column("site_address", "安装地址"),
        Column("site_region_code", "安装地行政区划代码", "GB/T 2260"),
        Column("latitude", "纬度", "WGS 84; give both or neither"),
        Column("longitude", "经度"),
        Column("manufactured_on", "制造日期"),
        Column("delivered_on", "交付日期"),
        Column("installed_on", "安装日期"),
        Column("commissioned_on", "投运日期"),
        Column("warranty_until", "质保截止日期"),
        Column("retired_on", "退役日期", "only for a retired or recycled asset"),
        Column("notes", "备注"),
    )

    def check(self, ctx: ImportContext, records: list[Record]) -> None:
        for r in records:
            try:
                check_initial_state(facts_of(r.data))
            except TransitionRefused as exc:
                ctx.error(r.row, "state", exc.reason, "illegal_transition")

    streams = True

    def stream(self, ctx: ImportContext, rows: int) -> AssetStream:
        return AssetStream(self, ctx, rows)

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        stream = self.stream(ctx, len(records))
        stream.add(records)
        stream.finish()

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        owner = aliased(Customer)
        exprs = {c.name: getattr(Asset, c.name) for c in self.columns if not c.ref}
        exprs["product_code"] = Product.code
        exprs["customer_code"] = owner.code

        def build(s: Any) -> Any:
            return (
                s.join(Product, and_(Product.id == Asset.product_id, Product.tenant_id == Asset.tenant_id))
                .outerjoin(owner, and_(owner.id == Asset.customer_id, owner.tenant_id == Asset.tenant_id))
                .order_by(Asset.id)
            )

        return export_query(session, exprs, where, build)


class AssetStream:
    """Assets written as they are validated (COPY kept open on PostgreSQL); then their timeline
    rows and events. Their ids come back in order, for the timeline and the events."""

    def __init__(self, spec: AssetsSpec, ctx: ImportContext, rows: int) -> None:
        self.ctx = ctx
        ctx.progress.start("write", 3 * rows)  # the asset, its timeline row, its event
        self.fields = [c.target for c in spec.columns]
        self.values = attrgetter(*self.fields)
        self.assets = Inserter(
            ctx.session.connection(),
            Asset.__table__,
            self.fields,
            ids_for=rows,
            constants=stamp(ctx) | {"state_changed_at": ctx.now},
            progress=self._advance,
        )
        self.written: list[tuple[int, AssetRow]] = []

    def _advance(self, n: int) -> None:
        self.ctx.progress.advance("write", n)

    def add(self, records: list[Record]) -> None:
        ids = self.assets.add([self.values(r.data) for r in records])
        self.written.extend(zip(ids, (r.data for r in records), strict=True))

    def finish(self) -> None:
        ctx = self.ctx
        self.assets.close()
        insert_rows(
            ctx.session.connection(),
            AssetStateChange.__table__,
            ["asset_id", "to_state"],
            [(id_, d.state) for id_, d in self.written],
            constants={
                "tenant_id": ctx.tenant_id,
                "from_state": None,
                "at": ctx.now,
                "by_user_id": None,
                "reason": "registered",
                "source": "import",
            },
            progress=self._advance,
        )
        insert_events(
            ctx.session,
            ctx.tenant_id,
            (
                AssetRegistered(
                    tenant_id=ctx.tenant_id,
                    occurred_at=ctx.now,
                    asset_id=id_,
                    serial_number=d.serial_number,
                    product_id=d.product_id,
                    customer_id=d.customer_id,
                )
                for id_, d in self.written
            ),
            progress=self._advance,
        )

    def abort(self) -> None:
        self.assets.abort()


ENTITIES: tuple[EntitySpec, ...] = (AssetsSpec(),)
