"""Contracts service: a customer's agreement for an offering over covered assets and a term."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, IllegalTransition, ValidationFailed, illegal_transition
from somp.core.events import record
from somp.core.pagination import Order
from somp.core.sequences import next_number
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.core.tenancy import current_scope
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Offering, OfferingStatus
from somp.modules.contracts.events import ContractStatusChanged
from somp.modules.contracts.models import CONTRACT_TRANSITIONS, Contract, ContractAsset, ContractStatus
from somp.modules.contracts.schemas import ContractCreate, ContractRead, ContractTransition, ContractUpdate
from somp.modules.customers.models import Customer

LIVE = (ContractStatus.active, ContractStatus.suspended)


def asset_ids_of(session: Session, contract_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {cid: [] for cid in contract_ids}
    if not contract_ids:
        return out
    rows = session.execute(
        select(ContractAsset.contract_id, ContractAsset.asset_id)
        .where(ContractAsset.contract_id.in_(contract_ids))
        .order_by(ContractAsset.asset_id)
    )
    for cid, aid in rows:
        out[cid].append(aid)
    return out


def to_read(session: Session, contracts: list[Contract]) -> list[ContractRead]:
    ids = asset_ids_of(session, [c.id for c in contracts])
    return [ContractRead.model_validate(c).model_copy(update={"asset_ids": ids[c.id]}) for c in contracts]


def _check_assets(session: Session, contract: Contract, asset_ids: list[int]) -> None:
    if not asset_ids:
        return
    found = dict(session.execute(select(Asset.id, Asset.customer_id).where(Asset.id.in_(asset_ids))).all())
    errors = []
    for i, aid in enumerate(asset_ids):
        if aid not in found:
            errors.append(FieldError(f"asset_ids.{i}", f"no asset with id {aid}", "not_found"))
        elif found[aid] != contract.customer_id:
            errors.append(
                FieldError(f"asset_ids.{i}", f"asset {aid} does not belong to this customer", "other_customer")
            )
    if errors:
        raise ValidationFailed("invalid covered assets", errors)


def _check_no_double_cover(session: Session, contract: Contract, asset_ids: list[int]) -> None:
    """An asset is covered by at most one live contract over any given day."""
    if not asset_ids:
        return
    clash = session.execute(
        select(ContractAsset.asset_id, Contract.number)
        .join(Contract, and_(Contract.id == ContractAsset.contract_id, Contract.tenant_id == ContractAsset.tenant_id))
        .where(
            ContractAsset.asset_id.in_(asset_ids),
            Contract.id != (contract.id or 0),
            Contract.status.in_(LIVE),
            Contract.start_date < contract.end_date,
            Contract.end_date > contract.start_date,
        )
    ).first()
    if clash:
        raise ValidationFailed(
            "asset already covered",
            [
                FieldError(
                    "asset_ids", f"asset {clash[0]} is covered by live contract {clash[1]} in this term", "overlap"
                )
            ],
        )


def _set_assets(session: Session, contract: Contract, asset_ids: list[int]) -> None:
    session.execute(
        delete(ContractAsset)
        .where(ContractAsset.contract_id == contract.id)
        .execution_options(synchronize_session=False)
    )
    for aid in asset_ids:
        session.add(ContractAsset(tenant_id=contract.tenant_id, contract_id=contract.id, asset_id=aid))


def create_contract(session: Session, data: ContractCreate) -> Contract:
    require_ref(session, Customer, data.customer_id, "customer_id", "customer")
    offering = require_ref(session, Offering, data.offering_id, "offering_id", "offering")
    if offering.status == OfferingStatus.retired:
        raise ValidationFailed("invalid reference", [FieldError("offering_id", "offering is retired", "retired")])
    if data.renewal_of_id:
        prev = require_ref(session, Contract, data.renewal_of_id, "renewal_of_id", "contract")
        if prev.customer_id != data.customer_id:
            raise ValidationFailed(
                "invalid reference",
                [FieldError("renewal_of_id", "renews a contract of another customer", "other_customer")],
            )
    tenant_id = current_scope(session).tenant_id
    if tenant_id is None:
        tenant_id = offering.tenant_id
    number = data.number or next_number(session, tenant_id, "CT", data.start_date.year)
    ensure_unique(session, Contract, "number", number)
    contract = Contract(tenant_id=tenant_id, number=number, **data.model_dump(exclude={"number", "asset_ids"}))
    _check_assets(session, contract, data.asset_ids)
    session.add(contract)
    session.flush()
    _set_assets(session, contract, data.asset_ids)
    session.flush()
    return contract


def get_contract(session: Session, contract_id: int) -> Contract:
    return get_or_404(session, Contract, contract_id, "contract")


def update_contract(session: Session, contract_id: int, data: ContractUpdate) -> Contract:
    contract = get_contract(session, contract_id)
    check_version(contract, data.version)
    if contract.status not in (ContractStatus.draft, *LIVE):
        raise ValidationFailed(
            "contract closed", [FieldError("status", f"a {contract.status.value} contract cannot be changed", "closed")]
        )
    changes = data.model_dump(exclude_unset=True, exclude={"asset_ids", "version"})
    apply_changes(contract, changes)
    if contract.end_date <= contract.start_date:
        raise ValidationFailed("invalid term", [FieldError("end_date", "end_date must be after start_date", "order")])
    if data.asset_ids is not None:
        if len(set(data.asset_ids)) != len(data.asset_ids):
            raise ValidationFailed(
                "invalid covered assets", [FieldError("asset_ids", "an asset is listed twice", "duplicate")]
            )
        _check_assets(session, contract, data.asset_ids)
        if contract.status in LIVE:
            _check_no_double_cover(session, contract, data.asset_ids)
        _set_assets(session, contract, data.asset_ids)
    elif contract.status in LIVE:
        _check_no_double_cover(session, contract, asset_ids_of(session, [contract.id])[contract.id])
    session.flush()
    return contract


def transition_contract(session: Session, contract_id: int, req: ContractTransition) -> Contract:
    contract = get_contract(session, contract_id)
    check_version(contract, req.version)
    allowed = CONTRACT_TRANSITIONS[contract.status]
    if req.to_status not in allowed:
        raise illegal_transition("contract_status", contract.status, req.to_status, allowed)
    on = req.on or utcnow().date()
    if req.to_status == ContractStatus.active and contract.status == ContractStatus.draft:
        assets = asset_ids_of(session, [contract.id])[contract.id]
        if not assets:
            raise IllegalTransition(
                "a contract covers at least one asset before it is signed",
                [FieldError("asset_ids", "no covered assets", "required")],
            )
        _check_no_double_cover(session, contract, assets)
        if contract.signed_on is None:
            contract.signed_on = on
    previous = contract.status
    contract.status = req.to_status
    record(
        session,
        ContractStatusChanged(
            tenant_id=contract.tenant_id,
            contract_id=contract.id,
            customer_id=contract.customer_id,
            from_status=previous,
            to_status=req.to_status,
            signed_on=contract.signed_on,
        ),
    )
    session.flush()
    return contract


def list_contracts(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    customer_id: int | None = None,
    offering_id: int | None = None,
    status: ContractStatus | None = None,
    asset_id: int | None = None,
    active_on: dt.date | None = None,
    q: str | None = None,
) -> tuple[list[Contract], str | None]:
    stmt = select(Contract)
    if customer_id:
        stmt = stmt.where(Contract.customer_id == customer_id)
    if offering_id:
        stmt = stmt.where(Contract.offering_id == offering_id)
    if status:
        stmt = stmt.where(Contract.status == status)
    if asset_id:
        stmt = stmt.where(Contract.id.in_(select(ContractAsset.contract_id).where(ContractAsset.asset_id == asset_id)))
    if active_on:
        stmt = stmt.where(Contract.start_date <= active_on, Contract.end_date > active_on, Contract.status.in_(LIVE))
    if q:
        stmt = stmt.where(Contract.number.icontains(q, autoescape=True))
    return list_page(session, stmt, Contract, limit=limit, cursor=cursor, order=order)


def covering_contract(session: Session, asset_id: int, on: dt.date) -> Contract | None:
    """The live contract covering ``asset_id`` on day ``on``, if any."""
    return session.scalar(
        select(Contract)
        .join(
            ContractAsset, and_(ContractAsset.contract_id == Contract.id, ContractAsset.tenant_id == Contract.tenant_id)
        )
        .where(
            ContractAsset.asset_id == asset_id,
            Contract.status.in_(LIVE),
            Contract.start_date <= on,
            Contract.end_date > on,
        )
        .order_by(Contract.start_date.desc())
        .limit(1)
    )
