"""Pages of the installed base (framework node 3.6): assets with their lifecycle buttons (one per
allowed next state), the timeline, and per-device tokens whose secret is shown once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from somp.modules.assets import service
from somp.modules.assets.lifecycle import AssetState, allowed_next
from somp.modules.assets.models import Asset
from somp.modules.assets.schemas import AssetCreate, AssetUpdate, DeviceTokenCreate, TransitionRequest
from somp.modules.catalog.service import list_products
from somp.modules.customers.service import list_customers
from somp.web import forms
from somp.web.context import check_csrf, flash, page, parse_id
from somp.web.crud import (
    Column,
    EntitySpec,
    Filter,
    Section,
    TransitionSpec,
    add_routes,
    detail_response,
    links_section,
    read_form,
    table_section,
)
from somp.web.forms import Field, options_from

router = APIRouter(include_in_schema=False)

product_options = options_from(list_products, lambda p: f"{p.code} {p.name}")
customer_options = options_from(list_customers, lambda c: f"{c.code} {c.name}")

TIMELINE = [
    Column("at", "datetime"),
    Column("from_state", "enum", enum_prefix="asset_state"),
    Column("to_state", "enum", enum_prefix="asset_state"),
    Column("reason", "multiline"),
    Column("source", "enum", enum_prefix="state_change_source"),
    Column("by_user_id", "ref", ref="users"),
]
TOKENS = [
    Column("name"),
    Column("prefix"),
    Column("created_at", "datetime"),
    Column("revoked_at", "datetime"),
]


def _sections(w, a: Asset) -> list[Section]:  # noqa: ANN001
    out = [table_section(w, "section.timeline", TIMELINE, service.timeline(w.session, a.id))]
    if w.can("assets:write"):
        out.append(
            Section(
                "section.device_tokens",
                "sections/device_tokens.html",
                {
                    "tokens": service.list_device_tokens(w.session, a.id),
                    "columns": TOKENS,
                    "asset": a,
                    "values": w.extra.get("token_values", {}),
                    "errors": w.extra.get("token_errors", []),
                },
            )
        )
    related = links_section(
        w,
        "section.related",
        [
            ("nav.workorders", f"/work-orders?asset_id={a.id}", "workorders:read"),
            ("nav.contracts", f"/contracts?asset_id={a.id}", "contracts:read"),
            ("nav.monitoring", f"/assets/{a.id}/monitoring", "lifecycle:read"),
        ],
    )
    return out + ([related] if related else [])


SPEC = EntitySpec(
    name="assets",
    id_param="asset_id",
    singular="entity.asset",
    plural="nav.assets",
    model=Asset,
    title="serial_number",
    read_perm="assets:read",
    create_perm="assets:write",
    update_perm="assets:write",
    list_fn=service.list_assets,
    get_fn=service.get_asset,
    create_schema=AssetCreate,
    update_schema=AssetUpdate,
    create_fn=lambda s, data, w: service.create_asset(s, data, by_user_id=w.principal.user_id),
    update_fn=lambda s, id_, data, w: service.update_asset(s, id_, data),
    fields=[
        Field("serial_number", required=True),
        Field("product_id", kind="select", options=product_options, required=True),
        Field("customer_id", kind="select", options=customer_options),
        Field(
            "state",
            kind="enum",
            enum=AssetState,
            enum_prefix="asset_state",
            label="field.initial_state",
            help="hint.initial_state",
        ),
        Field("site_name"),
        Field("site_address"),
        Field("site_region_code"),
        Field("latitude", kind="decimal"),
        Field("longitude", kind="decimal"),
        Field("manufactured_on", kind="date"),
        Field("delivered_on", kind="date"),
        Field("installed_on", kind="date"),
        Field("commissioned_on", kind="date"),
        Field("warranty_until", kind="date"),
        Field("notes", kind="textarea"),
    ],
    defaults=lambda w: {"state": AssetState.manufactured.value},
    columns=[
        Column("serial_number", "link"),
        Column("product_id", "ref", ref="products"),
        Column("customer_id", "ref", ref="customers"),
        Column("state", "enum", enum_prefix="asset_state"),
        Column("site_name"),
        Column("state_changed_at", "datetime"),
    ],
    detail=[
        Column("serial_number"),
        Column("product_id", "ref", ref="products"),
        Column("customer_id", "ref", ref="customers"),
        Column("state", "enum", enum_prefix="asset_state"),
        Column("state_changed_at", "datetime"),
        Column("site_name"),
        Column("site_address"),
        Column("site_region_code"),
        Column("latitude", "num"),
        Column("longitude", "num"),
        Column("manufactured_on", "date"),
        Column("delivered_on", "date"),
        Column("installed_on", "date"),
        Column("commissioned_on", "date"),
        Column("warranty_until", "date"),
        Column("retired_on", "date"),
        Column("notes", "multiline"),
    ],
    filters=[
        Filter("q"),
        Filter("state", "enum", enum=AssetState, enum_prefix="asset_state"),
        Filter("product_id", "select", options=product_options),
        Filter("customer_id", "select", options=customer_options),
        Filter("region_code"),
    ],
    transition=TransitionSpec(
        field="state",
        target="to_state",
        enum_prefix="asset_state",
        permission="assets:transition",
        allowed=lambda a: allowed_next(a.state),
        schema=TransitionRequest,
        apply=lambda s, id_, req, w: service.transition_asset(s, id_, req, by_user_id=w.principal.user_id),
        extra=(Field("reason", kind="textarea"), Field("on", kind="date", label="field.transition_on")),
    ),
    sections=_sections,
)
add_routes(router, SPEC)


def issue_token(request: Request, form: FormData = Depends(read_form)) -> Response:
    """Issue a device token; the page shows its secret once (never stored in plain text)."""
    with page(request, "assets:write") as w:
        check_csrf(request, form)
        asset_id = parse_id(request, "asset_id")
        service.get_asset(w.session, asset_id)
        name = form.get("name") if isinstance(form.get("name"), str) else ""
        try:
            data = DeviceTokenCreate(name=name.strip())
        except ValidationError as exc:
            w.extra["token_values"] = {"name": name}
            w.extra["token_errors"] = [m for _p, m in forms.pydantic_errors(exc, w.lang)]
            return detail_response(w, SPEC, asset_id, status=422)
        row, plaintext = service.issue_device_token(w.session, asset_id, data.name)
        notice: dict[str, Any] = {
            "template": "sections/token_issued.html",
            "name": row.name,
            "token": plaintext,
        }
        w.commit()
        response = detail_response(w, SPEC, asset_id, notice=notice)
        response.headers["Cache-Control"] = "no-store"
        return response


def revoke_token(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "assets:write") as w:
        check_csrf(request, form)
        asset_id, token_id = parse_id(request, "asset_id"), parse_id(request, "token_id")
        token = service.revoke_device_token(w.session, asset_id, token_id)
        w.commit()
        flash(request, "msg.token_revoked", name=token.name)
        return RedirectResponse(SPEC.url(asset_id), status_code=303)


router.add_api_route(
    "/assets/{asset_id}/device-tokens",
    issue_token,
    methods=["POST"],
    response_class=HTMLResponse,
    name="web_assets_issue_token",
)
router.add_api_route(
    "/assets/{asset_id}/device-tokens/{token_id}/revoke",
    revoke_token,
    methods=["POST"],
    response_class=HTMLResponse,
    name="web_assets_revoke_token",
)
