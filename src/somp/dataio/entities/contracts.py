"""Service contracts (2.1.2, 1.2.1): one row per contract; covered assets as a list of serial
numbers in one cell (separated by ``;``).

Import-only rule besides the API's: ``status`` may be given to bring in signed contracts
(default draft). A signed contract (active, suspended, expired, terminated) needs ``signed_on``
and at least one covered asset, and a live one (active, suspended) must not cover an asset that
another live contract covers in an overlapping term: the guards of signing a contract in somp.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session, aliased

from somp.dataio.bulk import insert_rows
from somp.dataio.spec import (
    Column,
    Condition,
    EntitySpec,
    ImportContext,
    Record,
    Ref,
    batched,
    draw_numbers,
    export_query,
    lookup,
    member_of,
    stamp,
)
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Offering, OfferingStatus
from somp.modules.contracts.models import Contract, ContractAsset, ContractStatus
from somp.modules.contracts.schemas import ContractCreate
from somp.modules.contracts.service import LIVE
from somp.modules.customers.models import Customer

CUSTOMER = Ref(Customer, "code", "customer")
OFFERING = Ref(Offering, "code", "offering", ("status",))
ASSET = Ref(Asset, "serial_number", "asset", ("customer_id",))
CONTRACT = Ref(Contract, "number", "contract", ("customer_id",))
SIGNED = frozenset({ContractStatus.active, ContractStatus.suspended, ContractStatus.expired, ContractStatus.terminated})


class ContractRow(ContractCreate):
    """The API's ``ContractCreate`` plus the status to register the contract in."""

    status: ContractStatus = ContractStatus.draft


class ContractsSpec(EntitySpec):
    name = "contracts"
    zh = "服务合同"
    doc = (
        "Service contracts, keyed by number (blank: drawn from the tenant's CT-<year>-<n> sequence). "
        "Covered assets are serial numbers separated by ';'. A renewal may name a contract of the same file."
    )
    schema = ContractRow
    unique = "number"
    model = Contract
    columns = (
        Column("number", "合同编号", "unique within the tenant; blank: generated"),
        Column("customer_code", "客户编码", "the customer (must exist)", field="customer_id", ref=CUSTOMER),
        Column(
            "offering_code",
            "产品服务组合编码",
            "the offering (must exist, not retired)",
            field="offering_id",
            ref=OFFERING,
        ),
        Column("status", "状态", "default draft; import only (see above)"),
        Column("signed_on", "签订日期", "required for a signed contract"),
        Column("start_date", "开始日期"),
        Column("end_date", "结束日期", "after start_date"),
        Column(
            "renewal_of_number",
            "续签自合同编号",
            "the contract this one renews (same customer)",
            field="renewal_of_id",
            custom=True,
        ),
        Column("periodic_fee", "周期费用", "agreed fee per billing period; blank: the offering's"),
        Column("usage_unit_price", "用量单价"),
        Column("total_value", "合同总价"),
        Column(
            "asset_serial_numbers", "覆盖设备序列号", "the customer's assets", field="asset_ids", kind="list", ref=ASSET
        ),
        Column("notes", "备注"),
    )

    def check(self, ctx: ImportContext, records: list[Record]) -> None:
        in_file = {r.data.number: r for r in records if r.data.number}
        renewals = [r.values["renewal_of_number"] for r in records if "renewal_of_number" in r.values]
        earlier = lookup(ctx.session, CONTRACT, renewals) if renewals else {}
        for r in records:
            d: ContractRow = r.data
            if ctx.ref("offering_code", r.values["offering_code"]).status == OfferingStatus.retired:
                ctx.error(r.row, "offering_code", "offering is retired", "retired")
            self._check_renewal(ctx, r, earlier, in_file)
            for sn in r.values.get("asset_serial_numbers", ()):
                asset = ctx.ref("asset_serial_numbers", sn)
                if asset is not None and asset.customer_id != d.customer_id:
                    ctx.error(
                        r.row, "asset_serial_numbers", f"asset {sn} does not belong to this customer", "other_customer"
                    )
            if d.status in SIGNED:
                if not d.asset_ids:
                    ctx.error(
                        r.row,
                        "asset_serial_numbers",
                        "a contract covers at least one asset before it is signed",
                        "required",
                    )
                if d.signed_on is None:
                    ctx.error(r.row, "signed_on", f"a {d.status.value} contract needs its signing day", "required")
        self._check_double_cover(ctx, [r for r in records if r.data.status in LIVE])

    def _check_renewal(
        self, ctx: ImportContext, r: Record, earlier: dict[str, Any], in_file: dict[str, Record]
    ) -> None:
        number = r.values.get("renewal_of_number")
        if number is None:
            return
        if number in earlier:
            r.extra["renewal_of_id"], customer_id = earlier[number].id, earlier[number].customer_id
        elif number in in_file and in_file[number] is not r:
            r.extra["renewal_of_number"], customer_id = number, in_file[number].data.customer_id
        else:
            ctx.error(r.row, "renewal_of_number", f"no contract with number {number!r}", "not_found")
            return
        if customer_id != r.data.customer_id:
            ctx.error(r.row, "renewal_of_number", "renews a contract of another customer", "other_customer")

    def _check_double_cover(self, ctx: ImportContext, live: list[Record]) -> None:
        """An asset is covered by at most one live contract on any day (in the file and the database)."""
        terms: dict[int, list[tuple[Any, Any, str, int | None]]] = defaultdict(list)
        for condition in member_of(ctx.session, ContractAsset.asset_id, {a for r in live for a in r.data.asset_ids}):
            for aid, number, start, end in ctx.session.execute(
                select(ContractAsset.asset_id, Contract.number, Contract.start_date, Contract.end_date)
                .join(
                    Contract,
                    and_(Contract.id == ContractAsset.contract_id, Contract.tenant_id == ContractAsset.tenant_id),
                )
                .where(condition, Contract.status.in_(LIVE))
            ):
                terms[aid].append((start, end, number, None))
        serial = {
            ctx.ref("asset_serial_numbers", sn).id: sn for r in live for sn in r.values.get("asset_serial_numbers", ())
        }
        for r in live:
            d = r.data
            for aid in d.asset_ids:
                for start, end, number, row in terms[aid]:
                    if start < d.end_date and end > d.start_date:
                        where = f"contract {number}" if row is None else f"the contract in row {row}"
                        ctx.error(
                            r.row,
                            "asset_serial_numbers",
                            f"asset {serial[aid]} is covered by live {where} in this term",
                            "overlap",
                        )
                        break
                terms[aid].append((d.start_date, d.end_date, d.number or "", r.row))

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        conn = ctx.session.connection()
        blank = [r for r in records if not r.data.number]
        taken = {r.data.number for r in records if r.data.number}
        numbers = dict(
            zip(
                map(id, blank),
                draw_numbers(ctx, Contract.number, "CT", [r.data.start_date.year for r in blank], taken),
                strict=True,
            )
        )
        fields = [
            "customer_id",
            "offering_id",
            "status",
            "signed_on",
            "start_date",
            "end_date",
            "periodic_fee",
            "usage_unit_price",
            "total_value",
            "notes",
        ]
        rows = [
            (r.data.number or numbers[id(r)], r.extra.get("renewal_of_id"), *(getattr(r.data, f) for f in fields))
            for r in records
        ]
        ids = insert_rows(
            conn,
            Contract.__table__,
            ["number", "renewal_of_id", *fields],
            rows,
            return_ids=True,
            constants=stamp(ctx),
            progress=lambda n: ctx.progress.advance("write", n),
        )
        by_number = {row[0]: id_ for row, id_ in zip(rows, ids, strict=True)}
        insert_rows(
            conn,
            ContractAsset.__table__,
            ["contract_id", "asset_id"],
            [(id_, aid) for id_, r in zip(ids, records, strict=True) for aid in r.data.asset_ids],
            constants={"tenant_id": ctx.tenant_id},
        )
        later = [
            {"cid": id_, "rid": by_number[r.extra["renewal_of_number"]]}
            for id_, r in zip(ids, records, strict=True)
            if "renewal_of_number" in r.extra
        ]
        if later:
            t = Contract.__table__
            conn.execute(update(t).where(t.c.id == bindparam("cid")).values(renewal_of_id=bindparam("rid")), later)

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        renewed = aliased(Contract)
        exprs = {c.name: getattr(Contract, c.name) for c in self.columns if not c.ref and not c.custom}
        exprs |= {
            "customer_code": Customer.code,
            "offering_code": Offering.code,
            "renewal_of_number": renewed.number,
            "_id": Contract.id,
        }

        def build(s: Any) -> Any:
            return (
                s.join(Customer, and_(Customer.id == Contract.customer_id, Customer.tenant_id == Contract.tenant_id))
                .join(Offering, and_(Offering.id == Contract.offering_id, Offering.tenant_id == Contract.tenant_id))
                .outerjoin(renewed, and_(renewed.id == Contract.renewal_of_id, renewed.tenant_id == Contract.tenant_id))
                .order_by(Contract.id)
            )

        for batch in batched(export_query(session, exprs, where, build), 1000):
            serials: dict[int, list[str]] = defaultdict(list)
            for cid, sn in session.execute(
                select(ContractAsset.contract_id, Asset.serial_number)
                .join(Asset, and_(Asset.id == ContractAsset.asset_id, Asset.tenant_id == ContractAsset.tenant_id))
                .where(ContractAsset.contract_id.in_([r["_id"] for r in batch]))
                .order_by(ContractAsset.contract_id, ContractAsset.asset_id)
            ):
                serials[cid].append(sn)
            for row in batch:
                row["asset_serial_numbers"] = serials.get(row.pop("_id"), [])
                yield row


ENTITIES: tuple[EntitySpec, ...] = (ContractsSpec(),)
