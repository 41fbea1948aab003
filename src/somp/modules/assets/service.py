"""Assets service: the installed base, its lifecycle state machine and timeline (3.6), and
per-device credentials for telemetry (2.2.1)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, IllegalTransition, NotFound, ValidationFailed
from somp.core.events import record
from somp.core.fastread import Filter, page_json
from somp.core.pagination import Order
from somp.core.schemas import MAX_ID
from somp.core.security import issue_token, parse_token, secret_matches
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.core.tenancy import Scope
from somp.modules.assets.events import AssetRegistered, AssetStateChanged
from somp.modules.assets.lifecycle import (
    NEEDS_CUSTOMER,
    AssetFacts,
    AssetState,
    TransitionRefused,
    check_initial_state,
    check_transition,
)
from somp.modules.assets.models import Asset, AssetStateChange, DeviceToken
from somp.modules.assets.schemas import (
    AssetCreate,
    AssetRead,
    AssetUpdate,
    TransitionRequest,
    check_date_order,
)
from somp.modules.catalog.models import Product
from somp.modules.customers.models import Customer

ASSET_READ_FIELDS = tuple(AssetRead.model_fields)


def facts_of(asset: Asset) -> AssetFacts:
    return AssetFacts(
        state=asset.state,
        customer_id=asset.customer_id,
        has_site=bool(asset.site_address or asset.latitude is not None or asset.site_name),
        delivered_on=asset.delivered_on,
        installed_on=asset.installed_on,
        commissioned_on=asset.commissioned_on,
        retired_on=asset.retired_on,
    )


def _refused(exc: TransitionRefused, field: str = "to_state") -> IllegalTransition:
    return IllegalTransition(
        exc.reason,
        [FieldError(field, exc.reason, exc.code, params=exc.params)],
        {"allowed": [s.value for s in exc.allowed]},
    )


def create_asset(session: Session, data: AssetCreate, *, by_user_id: int | None = None) -> Asset:
    ensure_unique(session, Asset, "serial_number", data.serial_number)
    require_ref(session, Product, data.product_id, "product_id", "product")
    require_ref(session, Customer, data.customer_id, "customer_id", "customer")
    asset = Asset(**data.model_dump())
    try:
        check_initial_state(facts_of(asset))
    except TransitionRefused as exc:
        raise _refused(exc, "state") from None
    session.add(asset)
    session.flush()
    session.add(
        AssetStateChange(
            tenant_id=asset.tenant_id,
            asset_id=asset.id,
            from_state=None,
            to_state=asset.state,
            at=asset.state_changed_at,
            by_user_id=by_user_id,
            reason="registered",
            source="registration",
        )
    )
    record(
        session,
        AssetRegistered(
            tenant_id=asset.tenant_id,
            asset_id=asset.id,
            serial_number=asset.serial_number,
            product_id=asset.product_id,
            customer_id=asset.customer_id,
        ),
    )
    return asset


def get_asset(session: Session, asset_id: int) -> Asset:
    return get_or_404(session, Asset, asset_id, "asset")


def update_asset(session: Session, asset_id: int, data: AssetUpdate) -> Asset:
    asset = get_asset(session, asset_id)
    check_version(asset, data.version)
    changes = data.model_dump(exclude_unset=True)
    if "customer_id" in changes:
        require_ref(session, Customer, changes["customer_id"], "customer_id", "customer")
        if changes["customer_id"] is None and asset.state in NEEDS_CUSTOMER:
            raise ValidationFailed(
                "invalid change",
                [FieldError("customer_id", f"an asset that is {asset.state.value} needs a customer", "required")],
            )
    apply_changes(asset, changes)
    try:
        check_date_order(asset)
    except ValueError as exc:
        raise ValidationFailed("invalid dates", [FieldError("dates", str(exc), "order")]) from None
    session.flush()
    return asset


def transition_asset(
    session: Session,
    asset_id: int,
    req: TransitionRequest,
    *,
    by_user_id: int | None = None,
    source: str = "manual",
) -> Asset:
    """Move an asset to ``req.to_state`` if the lifecycle allows it; records the timeline and an event."""
    asset = get_asset(session, asset_id)
    check_version(asset, req.version)
    on = req.on or utcnow().date()
    try:
        sets = check_transition(facts_of(asset), req.to_state, on)
    except TransitionRefused as exc:
        raise _refused(exc) from None
    previous = asset.state
    now = utcnow()
    asset.state = req.to_state
    asset.state_changed_at = now
    for k, v in sets.items():
        setattr(asset, k, v)
    session.add(
        AssetStateChange(
            tenant_id=asset.tenant_id,
            asset_id=asset.id,
            from_state=previous,
            to_state=req.to_state,
            at=now,
            by_user_id=by_user_id,
            reason=req.reason,
            source=source,
        )
    )
    record(
        session,
        AssetStateChanged(
            tenant_id=asset.tenant_id,
            asset_id=asset.id,
            from_state=previous,
            to_state=req.to_state,
            reason=req.reason,
            by_user_id=by_user_id,
            source=source,
        ),
    )
    session.flush()
    return asset


def timeline(session: Session, asset_id: int) -> list[AssetStateChange]:
    get_asset(session, asset_id)
    return list(
        session.scalars(
            select(AssetStateChange).where(AssetStateChange.asset_id == asset_id).order_by(AssetStateChange.id)
        )
    )


def _list_criteria(
    state: AssetState | None,
    product_id: int | None,
    customer_id: int | None,
    region_code: str | None,
    q: str | None,
) -> list[Any]:
    where: list[Any] = []
    if state:
        where.append(Asset.state == state)
    if product_id:
        where.append(Asset.product_id == product_id)
    if customer_id:
        where.append(Asset.customer_id == customer_id)
    if region_code:
        where.append(Asset.site_region_code.startswith(region_code, autoescape=True))
    if q:
        where.append(Asset.serial_number.icontains(q, autoescape=True) | Asset.site_name.icontains(q, autoescape=True))
    return where


def list_assets(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    state: AssetState | None = None,
    product_id: int | None = None,
    customer_id: int | None = None,
    region_code: str | None = None,
    q: str | None = None,
) -> tuple[list[Asset], str | None]:
    stmt = select(Asset).where(*_list_criteria(state, product_id, customer_id, region_code, q))
    return list_page(session, stmt, Asset, limit=limit, cursor=cursor, order=order)


def list_assets_json(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    state: AssetState | None = None,
    product_id: int | None = None,
    customer_id: int | None = None,
    region_code: str | None = None,
    q: str | None = None,
) -> bytes:
    """The same page as :func:`list_assets`, as ``Page[AssetRead]`` JSON bytes: the API's hot
    path (see :mod:`somp.core.fastread`)."""
    filters = []
    if state:
        filters.append(Filter.eq("state", state))
    if product_id:
        filters.append(Filter.eq("product_id", product_id))
    if customer_id:
        filters.append(Filter.eq("customer_id", customer_id))
    if region_code:
        filters.append(Filter.prefix("site_region_code", region_code))
    if q:
        filters.append(Filter.contains("serial_number", "site_name", value=q))
    return page_json(session, Asset, ASSET_READ_FIELDS, filters, limit=limit, cursor=cursor, order=order)


def count_by_state(session: Session) -> dict[AssetState, int]:
    """Assets by lifecycle state in the session's scope (every state, zero included)."""
    rows = dict(session.execute(select(Asset.state, func.count()).group_by(Asset.state)).all())
    return {s: int(rows.get(s, 0)) for s in AssetState}


def get_assets(session: Session, ids: list[int]) -> list[Asset]:
    """The assets with these ids that the session's scope can see, ordered by id."""
    if not ids:
        return []
    return list(session.scalars(select(Asset).where(Asset.id.in_(ids)).order_by(Asset.id)))


def issue_device_token(session: Session, asset_id: int, name: str) -> tuple[DeviceToken, str]:
    asset = get_asset(session, asset_id)
    issued = issue_token("dev")
    row = DeviceToken(
        tenant_id=asset.tenant_id, asset_id=asset.id, name=name, prefix=issued.prefix, secret_hash=issued.secret_hash
    )
    session.add(row)
    session.flush()
    return row, issued.plaintext


def list_device_tokens(session: Session, asset_id: int) -> list[DeviceToken]:
    get_asset(session, asset_id)
    return list(session.scalars(select(DeviceToken).where(DeviceToken.asset_id == asset_id).order_by(DeviceToken.id)))


def revoke_device_token(session: Session, asset_id: int, token_id: int) -> DeviceToken:
    token = session.get(DeviceToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or token.asset_id != asset_id:
        raise NotFound(f"device token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token


def authenticate_device(session: Session, token: str) -> tuple[int, int] | None:
    """(tenant_id, asset_id) of a valid, unrevoked device token; None otherwise.

    ``session`` must be in the platform scope: the token itself says which tenant it belongs to.
    """
    return authenticate_devices(session, [token])[token]


def authenticate_devices(session: Session, tokens: Iterable[str]) -> dict[str, tuple[int, int] | None]:
    """:func:`authenticate_device` of many tokens with one query (a subscriber meets the tokens of
    a whole fleet at once, when it starts and each time its cache of them expires)."""
    if session.info.get("scope") != Scope.all_tenants():
        raise PermissionError("device authentication runs in the platform scope")
    out: dict[str, tuple[int, int] | None] = {}
    wanted: dict[str, list[tuple[str, str]]] = {}
    for token in tokens:
        out[token] = None
        parsed = parse_token(token)
        if parsed is not None and parsed[0] == "dev":
            wanted.setdefault(parsed[1], []).append((token, parsed[2]))
    prefixes = sorted(wanted)
    for start in range(0, len(prefixes), 1000):
        rows = session.execute(
            select(DeviceToken.prefix, DeviceToken.secret_hash, DeviceToken.revoked_at, DeviceToken.tenant_id,
                   DeviceToken.asset_id).where(DeviceToken.prefix.in_(prefixes[start : start + 1000]))
        )  # fmt: skip
        for prefix, secret_hash, revoked_at, tenant_id, asset_id in rows:
            if revoked_at is not None:
                continue
            for token, secret in wanted[prefix]:
                if secret_matches(secret, secret_hash):
                    out[token] = (tenant_id, asset_id)
    return out
