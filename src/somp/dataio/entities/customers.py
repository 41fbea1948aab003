"""Customers (1.2.1): one row per customer, keyed by ``code``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy.orm import Session

from somp.dataio.bulk import insert_rows
from somp.dataio.spec import Column, Condition, EntitySpec, ImportContext, Record, export_query, stamp
from somp.modules.customers.models import Customer
from somp.modules.customers.schemas import CustomerCreate


class CustomersSpec(EntitySpec):
    name = "customers"
    zh = "客户"
    doc = "Customers of the manufacturer, keyed by their code."
    schema = CustomerCreate
    unique = "code"
    model = Customer
    columns = (
        Column("code", "客户编码", "unique within the tenant; letters, digits and . - / # _"),
        Column("name", "客户名称"),
        Column("name_en", "英文名称"),
        Column("uscc", "统一社会信用代码", "18 characters, GB 32100, check characters verified"),
        Column("industry_code", "行业代码", "GB/T 4754-2017, e.g. C3441"),
        Column("region_code", "行政区划代码", "GB/T 2260, e.g. 320500"),
        Column("contact_name", "联系人"),
        Column("contact_phone", "联系电话"),
        Column("contact_email", "电子邮箱"),
        Column("address", "地址"),
        Column("notes", "备注"),
    )

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        fields = [c.name for c in self.columns]
        get = attrgetter(*fields)
        rows = [get(r.data) for r in records]
        insert_rows(
            ctx.session.connection(),
            Customer.__table__,
            fields,
            rows,
            constants=stamp(ctx),
            progress=lambda n: ctx.progress.advance("write", n),
        )

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        exprs = {c.name: getattr(Customer, c.name) for c in self.columns}
        return export_query(session, exprs, where, lambda s: s.order_by(Customer.id))


ENTITIES: tuple[EntitySpec, ...] = (CustomersSpec(),)
