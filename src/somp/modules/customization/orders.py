"""C2M orders (framework node 3.2 customised services / C2M): a confirmed configuration becomes a
production order with its bill of options and a draft contract (through the contracts kernel
service), in one transaction; the order then moves released -> in production -> completed ->
delivered (or is cancelled, with its still-draft contract). Reaching ``delivered`` registers the
delivered units as assets of the customer (assets kernel service, serials from the order number) and
adds them to the order's contract (:func:`register_delivered_assets`, idempotent). No HTTP here:
functions take a scoped session. Configuration models and queries: :mod:`.service`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import Conflict as ConflictError
from somp.core.errors import FieldError, ValidationFailed, illegal_transition
from somp.core.events import record
from somp.core.pagination import Order
from somp.core.sequences import next_number
from somp.core.service import check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.modules.assets.lifecycle import AssetState
from somp.modules.assets.models import Asset
from somp.modules.assets.schemas import AssetCreate
from somp.modules.assets.service import create_asset
from somp.modules.catalog.models import Offering, Product
from somp.modules.contracts.models import Contract, ContractStatus
from somp.modules.contracts.schemas import ContractCreate, ContractTransition, ContractUpdate
from somp.modules.contracts.service import LIVE, asset_ids_of, create_contract, transition_contract, update_contract
from somp.modules.customers.models import Customer
from somp.modules.customization.configurator import Objective, Status
from somp.modules.customization.events import C2MOrderReleased, C2MOrderStatusChanged
from somp.modules.customization.models import (
    C2M_TRANSITIONS,
    C2MOrder,
    C2MOrderLine,
    C2MStatus,
    ConfigurableOffering,
    ConfigurableStatus,
    LineKind,
)
from somp.modules.customization.schemas import C2MOrderCreate, C2MOrderLineRead, C2MOrderRead, C2MTransition
from somp.modules.customization.service import check_offering, compiled, conflict_read, engine_call, requirement_bounds


def confirm(session: Session, data: C2MOrderCreate, user_id: int | None = None) -> C2MOrder:
    """A confirmed configuration -> a C2M production order (released) with its bill of options, and
    a draft contract for the customer through the contracts service. Refused whole when the choices
    conflict (422 with the minimal conflicting rules) or the model changed since (409)."""
    conf = require_ref(session, ConfigurableOffering, data.configurable_id, "configurable_id", "configurable offering")
    if conf.status != ConfigurableStatus.active:
        raise ValidationFailed("invalid reference", [FieldError("configurable_id", "retired", "retired")])
    customer = require_ref(session, Customer, data.customer_id, "customer_id", "customer")
    if data.model_version is not None and data.model_version != conf.current_version:
        raise ConflictError(
            f"the model changed since this configuration (now version {conf.current_version}, configured on"
            f" {data.model_version}); configure again",
            [FieldError("model_version", "stale model version", "stale")],
        )
    model_id, number, c = compiled(session, conf)
    reqs = requirement_bounds(data.requirements)
    comp = engine_call(c.cfg.complete, data.choices, Objective.cheapest, requirements=reqs)
    if comp.status is Status.conflict:
        found = conflict_read(comp.conflict)
        raise ValidationFailed(
            "the choices cannot all hold: " + found.message_en,
            [FieldError("choices", found.message_en, "conflict", params={"message_zh": found.message_zh,
                        "rules": [i.code for i in found.items if i.kind == "rule"]})],
        )  # fmt: skip
    unit = comp.price.total
    total = (unit * data.quantity).quantize(Decimal("0.01"))
    today = utcnow().date()
    start = data.contract_start or today
    end = data.contract_end or _plus_year(start)
    offering = check_offering(session, conf.offering_id, "configurable_id")
    number_text = next_number(session, conf.tenant_id, "C2M", today.year)
    ensure_unique(session, C2MOrder, "number", number_text)
    contract = create_contract(
        session,
        ContractCreate(
            customer_id=customer.id,
            offering_id=offering.id,
            start_date=start,
            end_date=end,
            total_value=total,
            notes=f"C2M {number_text}: {conf.code} v{number}, {data.quantity} x {unit} {comp.price.currency}",
        ),
    )
    order = C2MOrder(
        tenant_id=conf.tenant_id,
        number=number_text,
        configurable_id=conf.id,
        model_id=model_id,
        model_version=number,
        customer_id=customer.id,
        contract_id=contract.id,
        quantity=data.quantity,
        choices=dict(data.choices),
        requirements={k: [_s(v.low), _s(v.high)] for k, v in data.requirements.items()},
        selected=list(comp.selected),
        attributes={k: str(v) for k, v in (comp.attributes or {}).items()},
        unit_price=unit,
        total_amount=total,
        currency=comp.price.currency,
        due_date=data.due_date,
        notes=data.notes,
    )
    session.add(order)
    session.flush()
    for line_no, ln in enumerate(comp.price.lines, start=1):
        if line_no == 1:  # the base price comes first
            kind, group, product = LineKind.base, None, None
        elif ln.code in c.group_of:
            group = c.group_of[ln.code]
            kind, product = LineKind(c.kind_of[group].value), c.product_of.get(ln.code)
        else:
            kind, group, product = LineKind.price_effect, None, None
        session.add(
            C2MOrderLine(
                tenant_id=order.tenant_id, order_id=order.id, line_no=line_no, kind=kind, group_code=group,
                code=ln.code, name_zh=ln.name_zh, name_en=ln.name_en, product_code=product, unit_price=ln.amount,
            )
        )  # fmt: skip
    record(
        session,
        C2MOrderReleased(
            tenant_id=order.tenant_id,
            order_id=order.id,
            number=order.number,
            customer_id=order.customer_id,
            contract_id=order.contract_id,
            configurable_id=conf.id,
            model_version=number,
            selected=order.selected,
            quantity=order.quantity,
            total_amount=total,
        ),
    )
    session.flush()
    return order


def _s(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def _plus_year(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def get_order(session: Session, order_id: int) -> C2MOrder:
    return get_or_404(session, C2MOrder, order_id, "C2M order")


def order_lines(session: Session, order_ids: list[int]) -> dict[int, list[C2MOrderLine]]:
    out: dict[int, list[C2MOrderLine]] = {i: [] for i in order_ids}
    if order_ids:
        for ln in session.scalars(
            select(C2MOrderLine).where(C2MOrderLine.order_id.in_(order_ids)).order_by(C2MOrderLine.line_no)
        ):
            out[ln.order_id].append(ln)
    return out


def to_read(session: Session, orders: list[C2MOrder], with_lines: bool = True) -> list[C2MOrderRead]:
    lines = order_lines(session, [o.id for o in orders]) if with_lines else {}
    return [
        C2MOrderRead.model_validate(o).model_copy(
            update={"lines": [C2MOrderLineRead.model_validate(ln) for ln in lines.get(o.id, [])]}
        )
        for o in orders
    ]


def transition_order(session: Session, order_id: int, req: C2MTransition) -> C2MOrder:
    """released -> in_production -> completed -> delivered; released or in production ->
    cancelled (its still-draft contract is cancelled with it)."""
    order = get_order(session, order_id)
    check_version(order, req.version)
    allowed = C2M_TRANSITIONS[order.status]
    if req.to_status not in allowed:
        raise illegal_transition("c2m_status", order.status, req.to_status, allowed)
    at = req.at or utcnow()
    if at < order.released_at:
        raise ValidationFailed("invalid time", [FieldError("at", "before the order was released", "order")])
    stamp = {
        C2MStatus.in_production: "started_at",
        C2MStatus.completed: "completed_at",
        C2MStatus.delivered: "delivered_at",
        C2MStatus.cancelled: "cancelled_at",
    }[req.to_status]
    setattr(order, stamp, at)
    if req.note:
        order.notes = (order.notes + "\n" if order.notes else "") + req.note
    if req.to_status == C2MStatus.cancelled and order.contract_id:
        contract = session.get(Contract, order.contract_id)
        if contract is not None and contract.status == ContractStatus.draft:
            transition_contract(session, contract.id, ContractTransition(to_status=ContractStatus.cancelled))
    previous = order.status
    order.status = req.to_status
    if req.to_status == C2MStatus.delivered:
        register_delivered_assets(session, order)
    record(
        session,
        C2MOrderStatusChanged(
            tenant_id=order.tenant_id,
            order_id=order.id,
            customer_id=order.customer_id,
            contract_id=order.contract_id,
            from_status=previous,
            to_status=req.to_status,
        ),
    )
    session.flush()
    return order


def delivered_serials(order: C2MOrder) -> list[str]:
    """The serial numbers of an order's units: the order number, or ``<number>-01`` ... per unit."""
    if order.quantity == 1:
        return [order.number]
    return [f"{order.number}-{k:02d}" for k in range(1, order.quantity + 1)]


def _product_id(session: Session, order: C2MOrder) -> int:
    """The catalog product of the chosen variant (its bill-of-options line), else the offering's."""
    code = session.scalar(
        select(C2MOrderLine.product_code)
        .where(C2MOrderLine.order_id == order.id, C2MOrderLine.product_code.is_not(None))
        .order_by(C2MOrderLine.line_no)
    )
    if code is not None:
        pid = session.scalar(select(Product.id).where(Product.code == code))
        if pid is not None:
            return pid
    conf = session.get(ConfigurableOffering, order.configurable_id)
    offering = session.get(Offering, conf.offering_id) if conf is not None else None
    if offering is None:  # pragma: no cover - the foreign keys keep both
        raise ValidationFailed("no product", [FieldError("configurable_id", "no catalog product", "not_found")])
    return offering.product_id


def register_delivered_assets(session: Session, order: C2MOrder) -> list[Asset]:
    """A delivered C2M order's units as assets of its customer (state ``delivered``, delivered on
    the order's delivery day), covered by the order's contract while that contract is draft or
    live. Idempotent: a unit already registered (same serial, same customer) is kept as it is and
    only added to the contract if missing; a serial taken by another customer's asset is refused."""
    on = (order.delivered_at or utcnow()).date()
    product_id = _product_id(session, order)
    assets = []
    for serial in delivered_serials(order):
        asset = session.scalar(select(Asset).where(Asset.serial_number == serial))
        if asset is not None and asset.customer_id != order.customer_id:
            raise ConflictError(
                f"serial {serial} is registered to another customer",
                [FieldError("serial_number", f"serial {serial} is taken", "duplicate")],
            )
        if asset is None:
            asset = create_asset(
                session,
                AssetCreate(
                    serial_number=serial,
                    product_id=product_id,
                    customer_id=order.customer_id,
                    state=AssetState.delivered,
                    delivered_on=on,
                    notes=f"C2M {order.number}",
                ),
            )
        assets.append(asset)
    session.flush()
    contract = session.get(Contract, order.contract_id) if order.contract_id else None
    if contract is not None and (contract.status == ContractStatus.draft or contract.status in LIVE):
        covered = asset_ids_of(session, [contract.id])[contract.id]
        missing = [a.id for a in assets if a.id not in covered]
        if missing:
            update_contract(session, contract.id, ContractUpdate(asset_ids=covered + missing))
    return assets


def list_orders(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    status: C2MStatus | None = None,
    customer_id: int | None = None,
    configurable_id: int | None = None,
    contract_id: int | None = None,
    q: str | None = None,
) -> tuple[list[C2MOrder], str | None]:
    stmt = select(C2MOrder)
    if status:
        stmt = stmt.where(C2MOrder.status == status)
    if customer_id:
        stmt = stmt.where(C2MOrder.customer_id == customer_id)
    if configurable_id:
        stmt = stmt.where(C2MOrder.configurable_id == configurable_id)
    if contract_id:
        stmt = stmt.where(C2MOrder.contract_id == contract_id)
    if q:
        stmt = stmt.where(C2MOrder.number.icontains(q, autoescape=True))
    return list_page(session, stmt, C2MOrder, limit=limit, cursor=cursor, order=order)
