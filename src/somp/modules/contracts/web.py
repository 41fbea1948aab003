"""Pages of service contracts: customer + offering + covered assets + term, and the contract
status machine (sign, suspend, resume, expire, terminate, cancel)."""

from __future__ import annotations

from fastapi import APIRouter

from somp.modules.assets.service import get_assets, list_assets
from somp.modules.catalog.service import list_offerings
from somp.modules.contracts import service
from somp.modules.contracts.models import CONTRACT_TRANSITIONS, Contract, ContractStatus
from somp.modules.contracts.schemas import ContractCreate, ContractTransition, ContractUpdate
from somp.modules.customers.service import list_customers
from somp.web.crud import Column, EntitySpec, Filter, TransitionSpec, add_routes, links_section, table_section
from somp.web.forms import Field, options_from

router = APIRouter(include_in_schema=False)

customer_options = options_from(list_customers, lambda c: f"{c.code} {c.name}")
offering_options = options_from(list_offerings, lambda o: f"{o.code} {o.name}")
contract_options = options_from(service.list_contracts, lambda c: c.number)
asset_options = options_from(list_assets, lambda a: a.serial_number + (f" · {a.site_name}" if a.site_name else ""))

ASSET_COLUMNS = [
    Column("serial_number", "link"),
    Column("state", "enum", enum_prefix="asset_state"),
    Column("site_name"),
    Column("product_id", "ref", ref="products"),
]


def _sections(w, c: Contract):  # noqa: ANN001, ANN202
    ids = service.asset_ids_of(w.session, [c.id])[c.id]
    assets = get_assets(w.session, ids)
    out = [table_section(w, "section.covered_assets", ASSET_COLUMNS, assets, entity="assets")]
    related = links_section(
        w,
        "section.related",
        [
            ("nav.workorders", f"/work-orders?contract_id={c.id}", "workorders:read"),
            ("nav.invoices", f"/invoices?contract_id={c.id}", "invoices:read"),
        ],
    )
    return out + ([related] if related else [])


SPEC = EntitySpec(
    name="contracts",
    id_param="contract_id",
    singular="entity.contract",
    plural="nav.contracts",
    model=Contract,
    title="number",
    read_perm="contracts:read",
    create_perm="contracts:write",
    update_perm="contracts:write",
    list_fn=service.list_contracts,
    get_fn=service.get_contract,
    create_schema=ContractCreate,
    update_schema=ContractUpdate,
    create_fn=lambda s, data, w: service.create_contract(s, data),
    update_fn=lambda s, id_, data, w: service.update_contract(s, id_, data),
    display=service.to_read,
    fields=[
        Field("number", help="hint.number_generated"),
        Field("customer_id", kind="select", options=customer_options, required=True),
        Field("offering_id", kind="select", options=offering_options, required=True),
        Field("start_date", kind="date", required=True),
        Field("end_date", kind="date", required=True),
        Field("signed_on", kind="date"),
        Field("renewal_of_id", kind="select", options=contract_options),
        Field("periodic_fee", kind="decimal", help="hint.price_default"),
        Field("usage_unit_price", kind="decimal", help="hint.price_default"),
        Field("total_value", kind="decimal"),
        Field("asset_ids", kind="multiselect", options=asset_options, help="hint.asset_ids"),
        Field("notes", kind="textarea"),
    ],
    columns=[
        Column("number", "link"),
        Column("customer_id", "ref", ref="customers"),
        Column("offering_id", "ref", ref="offerings"),
        Column("status", "enum", enum_prefix="contract_status"),
        Column("start_date", "date"),
        Column("end_date", "date"),
        Column("total_value", "money"),
    ],
    detail=[
        Column("number"),
        Column("customer_id", "ref", ref="customers"),
        Column("offering_id", "ref", ref="offerings"),
        Column("status", "enum", enum_prefix="contract_status"),
        Column("signed_on", "date"),
        Column("start_date", "date"),
        Column("end_date", "date"),
        Column("renewal_of_id", "ref", ref="contracts"),
        Column("periodic_fee", "money"),
        Column("usage_unit_price", "num"),
        Column("total_value", "money"),
        Column("notes", "multiline"),
        Column("updated_at", "datetime"),
    ],
    filters=[
        Filter("q"),
        Filter("customer_id", "select", options=customer_options),
        Filter("offering_id", "select", options=offering_options),
        Filter("status", "enum", enum=ContractStatus, enum_prefix="contract_status"),
        Filter("asset_id", "select", options=asset_options),
        Filter("active_on", "date"),
    ],
    transition=TransitionSpec(
        field="status",
        target="to_status",
        enum_prefix="contract_status",
        permission="contracts:write",
        allowed=lambda c: CONTRACT_TRANSITIONS[c.status],
        schema=ContractTransition,
        apply=lambda s, id_, req, w: service.transition_contract(s, id_, req),
        extra=(Field("on", kind="date", label="field.transition_on"), Field("reason", kind="textarea")),
    ),
    sections=_sections,
)
add_routes(router, SPEC)
