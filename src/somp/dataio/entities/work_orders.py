"""Work orders (3.6, 2.3.1): one row per work order, on an asset by its serial number.

Beyond the API's ``WorkOrderCreate`` an import may bring history: ``status``, the response,
resolution and closing times and the recorded costs (validated as ``WorkOrderUpdate`` validates
them). The status must be consistent with those times as if the work order had gone through
somp's status machine: ``assigned`` needs an assignee; in_progress, on_hold, resolved and closed
need ``responded_at``; resolved and closed need ``resolved_at``; closed needs ``closed_at``; times
do not run backwards and none is before ``opened_at``. An open work order (open, assigned,
in_progress, on_hold) cannot be on a retired or recycled asset. SLA deadlines come from the
covering contract's offering, as when a work order is opened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import create_model
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from somp.core.identity import Role, User
from somp.dataio.bulk import insert_events, insert_rows
from somp.dataio.spec import (
    Column,
    Condition,
    EntitySpec,
    ImportContext,
    Record,
    Ref,
    draw_numbers,
    export_query,
    member_of,
    stamp,
)
from somp.modules.assets.lifecycle import END_OF_LIFE
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Offering
from somp.modules.contracts.models import Contract, ContractAsset
from somp.modules.contracts.service import LIVE
from somp.modules.workorders.events import WorkOrderOpened
from somp.modules.workorders.models import WorkOrder, WorkOrderSource, WorkOrderStatus
from somp.modules.workorders.schemas import WorkOrderCreate, WorkOrderUpdate
from somp.modules.workorders.service import OPEN_STATUSES, sla_deadlines

ASSET = Ref(Asset, "serial_number", "asset", ("customer_id", "state"))
CONTRACT = Ref(Contract, "number", "contract")
USER = Ref(User, "username", "user", ("roles", "active"))
W = WorkOrderStatus
HISTORY_FIELDS = ("labour_hours", "labour_cost", "parts_cost", "travel_cost", "resolution_notes")
TIMES = ("opened_at", "responded_at", "resolved_at", "closed_at")

#: ``WorkOrderCreate`` plus the history an import may carry (cost fields exactly as ``WorkOrderUpdate``)
WorkOrderRow = create_model(
    "WorkOrderRow",
    __base__=WorkOrderCreate,
    source=(WorkOrderSource, WorkOrderSource.import_),
    status=(W | None, None),
    responded_at=(dt.datetime | None, None),
    resolved_at=(dt.datetime | None, None),
    closed_at=(dt.datetime | None, None),
    **{f: (WorkOrderUpdate.model_fields[f].annotation, WorkOrderUpdate.model_fields[f]) for f in HISTORY_FIELDS},
)

NEEDS = {
    "responded_at": {W.in_progress, W.on_hold, W.resolved, W.closed},
    "resolved_at": {W.resolved, W.closed},
    "closed_at": {W.closed},
}


class WorkOrdersSpec(EntitySpec):
    name = "work_orders"
    zh = "工单"
    doc = (
        "Work orders, keyed by number (blank: drawn from the tenant's WO-<year>-<n> sequence). "
        "Times are ISO 8601; without a UTC offset they are read in --tz (default UTC)."
    )
    schema = WorkOrderRow
    unique = "number"
    model = WorkOrder
    columns = (
        Column("number", "工单编号", "unique within the tenant; blank: generated"),
        Column("kind", "工单类型"),
        Column("priority", "优先级", "default medium"),
        Column("status", "状态", "blank: assigned with an assignee, else open; import only"),
        Column("source", "来源", "default import"),
        Column("asset_serial_number", "设备序列号", "the asset (must exist)", field="asset_id", ref=ASSET),
        Column(
            "contract_number",
            "合同编号",
            "the contract whose SLA applies (must cover the asset); "
            "blank: the live contract covering the asset when opened",
            field="contract_id",
            ref=CONTRACT,
        ),
        Column("title", "标题"),
        Column("description", "描述"),
        Column(
            "assignee_username",
            "负责人用户名",
            "an active staff user of the tenant",
            field="assignee_user_id",
            ref=USER,
        ),
        Column("opened_at", "创建时间", "default: now", kind="datetime"),
        Column("responded_at", "响应时间", kind="datetime"),
        Column("resolved_at", "解决时间", kind="datetime"),
        Column("closed_at", "关闭时间", kind="datetime"),
        Column("labour_hours", "工时"),
        Column("labour_cost", "人工成本"),
        Column("parts_cost", "备件成本"),
        Column("travel_cost", "差旅成本"),
        Column("resolution_notes", "处理记录"),
    )

    def check(self, ctx: ImportContext, records: list[Record]) -> None:
        for r in records:
            d = r.data
            asset = ctx.ref("asset_serial_number", r.values["asset_serial_number"])
            d.opened_at = d.opened_at or ctx.now
            d.status = d.status or (W.assigned if d.assignee_user_id else W.open)
            if d.status in OPEN_STATUSES and asset.state in END_OF_LIFE:
                ctx.error(r.row, "asset_serial_number", f"asset is {asset.state.value}", "end_of_life")
            if "assignee_username" in r.values:
                user = ctx.ref("assignee_username", r.values["assignee_username"])
                if Role.customer_user.value in user.roles or not user.active:
                    ctx.error(r.row, "assignee_username", "assign work to an active staff member", "not_staff")
            if d.status == W.assigned and d.assignee_user_id is None:
                ctx.error(r.row, "assignee_username", "set an assignee before assigning", "required")
            self._check_times(ctx, r)
        self._contracts(ctx, records)

    def _check_times(self, ctx: ImportContext, r: Record) -> None:
        d = r.data
        for f, statuses in NEEDS.items():
            value = getattr(d, f)
            if value is None and d.status in statuses:
                ctx.error(r.row, f, f"a {d.status.value} work order needs {f}", "required")
            elif value is not None and d.status not in statuses:
                ctx.error(r.row, f, f"a {d.status.value} work order has no {f}", "not_allowed")
        previous = None
        for f in TIMES:
            value = getattr(d, f)
            if value is None:
                continue
            if value.tzinfo is None:
                value = value.replace(tzinfo=ctx.tz)
                setattr(d, f, value)
            if previous is not None and value < previous[1]:
                ctx.error(r.row, f, f"{f} is before {previous[0]}", "order")
            previous = (f, value)

    def _contracts(self, ctx: ImportContext, records: list[Record]) -> None:
        """The contract whose SLA applies: the one named (it must cover the asset) or the live one
        covering the asset on the opening day; then the SLA deadlines."""
        covers: dict[int, list[Any]] = {}
        for condition in member_of(ctx.session, ContractAsset.asset_id, {r.data.asset_id for r in records}):
            for row in ctx.session.execute(
                select(
                    ContractAsset.asset_id,
                    Contract.id,
                    Contract.status,
                    Contract.start_date,
                    Contract.end_date,
                    Contract.offering_id,
                )
                .join(
                    Contract,
                    and_(Contract.id == ContractAsset.contract_id, Contract.tenant_id == ContractAsset.tenant_id),
                )
                .where(condition)
                .order_by(Contract.start_date.desc())
            ):
                covers.setdefault(row.asset_id, []).append(row)
        chosen: dict[int, Any] = {}
        for r in records:
            d = r.data
            rows = covers.get(d.asset_id, [])
            if d.contract_id:
                match = next((c for c in rows if c.id == d.contract_id), None)
                if match is None:
                    ctx.error(r.row, "contract_number", "the contract does not cover this asset", "not_covered")
            else:
                day = d.opened_at.date()
                match = next((c for c in rows if c.status in LIVE and c.start_date <= day < c.end_date), None)
            chosen[id(r)] = match
        offering_ids = sorted({c.offering_id for c in chosen.values() if c is not None})
        offerings = {o.id: o for o in ctx.session.scalars(select(Offering).where(Offering.id.in_(offering_ids)))}
        for r in records:
            c = chosen[id(r)]
            r.extra["contract_id"] = c.id if c else None
            r.extra["due"] = sla_deadlines(
                offerings.get(c.offering_id) if c else None, r.data.priority, r.data.opened_at
            )

    def write_total(self, records: list[Record]) -> int:
        return 2 * len(records)

    def write(self, ctx: ImportContext, records: list[Record]) -> None:
        advance = lambda n: ctx.progress.advance("write", n)  # noqa: E731
        blank = [r for r in records if not r.data.number]
        taken = {r.data.number for r in records if r.data.number}
        drawn = draw_numbers(ctx, WorkOrder.number, "WO", [r.data.opened_at.year for r in blank], taken)
        numbers = dict(zip(map(id, blank), drawn, strict=True))
        fields = [
            "kind",
            "priority",
            "status",
            "source",
            "asset_id",
            "title",
            "description",
            "assignee_user_id",
            *TIMES,
            *HISTORY_FIELDS,
        ]
        rows = []
        for r in records:
            customer_id = ctx.ref("asset_serial_number", r.values["asset_serial_number"]).customer_id
            rows.append(
                (
                    r.data.number or numbers[id(r)],
                    customer_id,
                    r.extra["contract_id"],
                    *r.extra["due"],
                    *(getattr(r.data, f) for f in fields),
                )
            )
        columns = ["number", "customer_id", "contract_id", "response_due_at", "resolution_due_at", *fields]
        ids = insert_rows(
            ctx.session.connection(),
            WorkOrder.__table__,
            columns,
            rows,
            return_ids=True,
            constants=stamp(ctx),
            progress=advance,
        )
        insert_events(
            ctx.session,
            ctx.tenant_id,
            [
                WorkOrderOpened(
                    tenant_id=ctx.tenant_id,
                    occurred_at=ctx.now,
                    work_order_id=id_,
                    asset_id=r.data.asset_id,
                    kind=r.data.kind,
                    source=r.data.source.value,
                )
                for id_, r in zip(ids, records, strict=True)
            ],
            progress=advance,
        )

    def export(self, session: Session, where: Sequence[Condition]) -> Iterator[dict[str, Any]]:
        assignee = aliased(User)
        exprs = {c.name: getattr(WorkOrder, c.name) for c in self.columns if not c.ref}
        exprs |= {
            "asset_serial_number": Asset.serial_number,
            "contract_number": Contract.number,
            "assignee_username": assignee.username,
        }

        def build(s: Any) -> Any:
            return (
                s.join(Asset, and_(Asset.id == WorkOrder.asset_id, Asset.tenant_id == WorkOrder.tenant_id))
                .outerjoin(
                    Contract, and_(Contract.id == WorkOrder.contract_id, Contract.tenant_id == WorkOrder.tenant_id)
                )
                .outerjoin(
                    assignee, and_(assignee.id == WorkOrder.assignee_user_id, assignee.tenant_id == WorkOrder.tenant_id)
                )
                .order_by(WorkOrder.id)
            )

        return export_query(session, exprs, where, build)


ENTITIES: tuple[EntitySpec, ...] = (WorkOrdersSpec(),)
