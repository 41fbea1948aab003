"""Pages of work orders: SLA deadlines and breach flags, costs, and the status machine."""

from __future__ import annotations

from fastapi import APIRouter

from somp.core.identity import Role
from somp.modules.assets.service import list_assets
from somp.modules.catalog.models import Priority
from somp.modules.contracts.service import list_contracts
from somp.modules.customers.service import list_customers
from somp.modules.tenants.service import list_users
from somp.modules.workorders import service
from somp.modules.workorders.models import WORK_ORDER_TRANSITIONS, WorkOrder, WorkOrderKind, WorkOrderStatus
from somp.modules.workorders.schemas import WorkOrderCreate, WorkOrderTransition, WorkOrderUpdate
from somp.web.crud import Column, EntitySpec, Filter, TransitionSpec, add_routes
from somp.web.forms import Field, options_from

router = APIRouter(include_in_schema=False)

asset_options = options_from(list_assets, lambda a: a.serial_number + (f" · {a.site_name}" if a.site_name else ""))
contract_options = options_from(list_contracts, lambda c: c.number)
customer_options = options_from(list_customers, lambda c: f"{c.code} {c.name}")


def staff_options(w):  # noqa: ANN001, ANN201
    users, _ = list_users(w.session, limit=500, cursor=None, order="asc")
    return [
        (str(u.id), u.display_name)
        for u in users
        if u.active and Role.customer_user.value not in u.roles and u.tenant_id is not None
    ]


def _display(session, rows):  # noqa: ANN001, ANN202
    return service.to_read(rows)


SPEC = EntitySpec(
    name="work-orders",
    id_param="work_order_id",
    singular="entity.work_order",
    plural="nav.workorders",
    model=WorkOrder,
    title=lambda wo: f"{wo.number} {wo.title}",
    read_perm="workorders:read",
    create_perm="workorders:write",
    update_perm="workorders:write",
    list_fn=service.list_work_orders,
    get_fn=service.get_work_order,
    create_schema=WorkOrderCreate,
    update_schema=WorkOrderUpdate,
    create_fn=lambda s, data, w: service.open_work_order(s, data),
    update_fn=lambda s, id_, data, w: service.update_work_order(s, id_, data),
    display=_display,
    fields=[
        Field("number", help="hint.number_generated"),
        Field(
            "kind",
            kind="enum",
            enum=WorkOrderKind,
            enum_prefix="work_order",
            required=True,
            label="field.work_order_kind",
        ),
        Field("priority", kind="enum", enum=Priority, enum_prefix="priority", required=True),
        Field("asset_id", kind="select", options=asset_options, required=True),
        Field("contract_id", kind="select", options=contract_options, help="hint.contract_default"),
        Field("title", required=True),
        Field("description", kind="textarea"),
        Field("assignee_user_id", kind="select", options=staff_options),
        Field("labour_hours", kind="decimal", create=False),
        Field("labour_cost", kind="decimal", create=False),
        Field("parts_cost", kind="decimal", create=False),
        Field("travel_cost", kind="decimal", create=False),
        Field("resolution_notes", kind="textarea", create=False),
    ],
    defaults=lambda w: {"priority": Priority.medium.value},
    columns=[
        Column("number", "link"),
        Column("title"),
        Column("kind", "enum", enum_prefix="work_order", label="field.work_order_kind"),
        Column("priority", "enum", enum_prefix="priority"),
        Column("status", "enum", enum_prefix="work_order_status"),
        Column("asset_id", "ref", ref="assets"),
        Column("resolution_due_at", "datetime"),
        Column("resolution_breached", "breach"),
    ],
    detail=[
        Column("number"),
        Column("title"),
        Column("kind", "enum", enum_prefix="work_order", label="field.work_order_kind"),
        Column("priority", "enum", enum_prefix="priority"),
        Column("status", "enum", enum_prefix="work_order_status"),
        Column("source", "enum", enum_prefix="work_order_source"),
        Column("asset_id", "ref", ref="assets"),
        Column("customer_id", "ref", ref="customers"),
        Column("contract_id", "ref", ref="contracts"),
        Column("assignee_user_id", "ref", ref="users"),
        Column("opened_at", "datetime"),
        Column("response_due_at", "datetime"),
        Column("responded_at", "datetime"),
        Column("response_breached", "breach"),
        Column("resolution_due_at", "datetime"),
        Column("resolved_at", "datetime"),
        Column("resolution_breached", "breach"),
        Column("closed_at", "datetime"),
        Column("labour_hours", "num"),
        Column("labour_cost", "money"),
        Column("parts_cost", "money"),
        Column("travel_cost", "money"),
        Column("description", "multiline"),
        Column("resolution_notes", "multiline"),
    ],
    filters=[
        Filter("q"),
        Filter("status", "enum", enum=WorkOrderStatus, enum_prefix="work_order_status"),
        Filter("kind", "enum", enum=WorkOrderKind, enum_prefix="work_order", label="field.work_order_kind"),
        Filter("asset_id", "select", options=asset_options),
        Filter("customer_id", "select", options=customer_options),
        Filter("contract_id", "select", options=contract_options),
        Filter("open_only", "bool"),
        Filter("overdue", "bool"),
    ],
    transition=TransitionSpec(
        field="status",
        target="to_status",
        enum_prefix="work_order_status",
        permission="workorders:write",
        allowed=lambda wo: WORK_ORDER_TRANSITIONS[wo.status],
        schema=WorkOrderTransition,
        apply=lambda s, id_, req, w: service.transition_work_order(s, id_, req),
        extra=(Field("note", kind="textarea"),),
    ),
)
add_routes(router, SPEC)
