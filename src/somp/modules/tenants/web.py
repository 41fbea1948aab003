"""Pages of tenants (enterprises) and users. A platform administrator lists, creates and edits
tenants; a tenant's own staff see (and its administrator edits) their own tenant only: the
session scope shows them no other row."""

from __future__ import annotations

from fastapi import APIRouter, Request

from somp.core.cn_codes import SizeClass
from somp.core.identity import Role, Tenant, User
from somp.modules.customers.service import list_customers
from somp.modules.tenants import service
from somp.modules.tenants.schemas import TenantCreate, TenantUpdate, UserCreate, UserUpdate
from somp.web.crud import Column, EntitySpec, Filter, add_routes, links_section
from somp.web.forms import Field, options_from
from somp.web.render import t_for

router = APIRouter(include_in_schema=False)


def _platform(w) -> bool:  # noqa: ANN001
    return w.principal.tenant_id is None


tenant_options = options_from(service.list_tenants, lambda t: t.name)
customer_options = options_from(list_customers, lambda c: f"{c.code} {c.name}")


def role_options(w):  # noqa: ANN001, ANN201
    from somp.web.render import e_for

    e = e_for(w.lang)
    roles = list(Role) if _platform(w) else [r for r in Role if r.is_tenant_role]
    return [(r.value, e("role", r.value)) for r in roles]


def language_options(w):  # noqa: ANN001, ANN201
    t = t_for(w.lang)
    return [("zh", t("language_zh")), ("en", t("language_en"))]


def _tenant_sections(w, tenant):  # noqa: ANN001, ANN202
    related = links_section(w, "section.related", [("nav.users", "/users", "users:read")])
    return [related] if related and w.principal.tenant_id == tenant.id else []


TENANTS = EntitySpec(
    name="tenants",
    id_param="tenant_id",
    singular="entity.tenant",
    plural="nav.tenants",
    model=Tenant,
    title="name",
    read_perm="tenants:read",
    create_perm="tenants:create",
    update_perm="tenants:update",
    list_fn=service.list_tenants,
    get_fn=service.get_tenant,
    create_schema=TenantCreate,
    update_schema=TenantUpdate,
    create_fn=lambda s, data, w: service.create_tenant(s, data),
    update_fn=lambda s, id_, data, w: service.update_tenant(s, id_, data),
    fields=[
        Field("name", required=True),
        Field("name_en"),
        Field("uscc", required=True),
        Field("industry_code", required=True),
        Field("region_code", required=True),
        Field("size_class", kind="enum", enum=SizeClass, enum_prefix="size_class", required=True),
        Field("address"),
        Field("active", kind="checkbox", create=False, show=_platform),
    ],
    columns=[
        Column("name", "link"),
        Column("uscc"),
        Column("industry_code"),
        Column("region_code"),
        Column("size_class", "enum", enum_prefix="size_class"),
        Column("active", "bool"),
    ],
    detail=[
        Column("name"),
        Column("name_en"),
        Column("uscc"),
        Column("industry_code"),
        Column("region_code"),
        Column("size_class", "enum", enum_prefix="size_class"),
        Column("address"),
        Column("active", "bool"),
        Column("created_at", "datetime"),
    ],
    filters=[Filter("q"), Filter("region_code"), Filter("industry_code")],
    sections=_tenant_sections,
)
add_routes(router, TENANTS)


def _forget(request: Request, user: User) -> None:
    request.app.state.auth.forget(user.id)


USERS = EntitySpec(
    name="users",
    id_param="user_id",
    singular="entity.user",
    plural="nav.users",
    model=User,
    title="username",
    read_perm="users:read",
    create_perm="users:write",
    update_perm="users:write",
    list_fn=service.list_users,
    get_fn=service.get_user,
    create_schema=UserCreate,
    update_schema=UserUpdate,
    create_fn=lambda s, data, w: service.create_user(s, data),
    update_fn=lambda s, id_, data, w: service.update_user(s, id_, data),
    after_update=_forget,
    fields=[
        Field("username", required=True),
        Field("display_name", required=True),
        Field("email", kind="email"),
        Field("password", kind="password", required=True, edit=False, help="hint.password_rules"),
        Field(
            "password",
            kind="password",
            omit_empty=True,
            create=False,
            label="field.new_password",
            help="hint.password_keep",
        ),
        Field("roles", kind="checkboxes", options=role_options, required=True),
        Field("tenant_id", kind="select", options=tenant_options, show=_platform),
        Field("customer_id", kind="select", options=customer_options, help="hint.customer_user"),
        Field("language", kind="select", options=language_options, required=True),
        Field("active", kind="checkbox", create=False),
    ],
    defaults=lambda w: {"language": w.lang, "roles": []},
    columns=[
        Column("username", "link"),
        Column("display_name"),
        Column("roles", "enums", enum_prefix="role"),
        Column("tenant_id", "ref", ref="tenants"),
        Column("active", "bool"),
        Column("last_login_at", "datetime"),
    ],
    detail=[
        Column("username"),
        Column("display_name"),
        Column("email"),
        Column("roles", "enums", enum_prefix="role"),
        Column("tenant_id", "ref", ref="tenants"),
        Column("customer_id", "ref", ref="customers"),
        Column("language", "enum", enum_prefix="language"),
        Column("active", "bool"),
        Column("created_at", "datetime"),
        Column("last_login_at", "datetime"),
    ],
    filters=[Filter("q"), Filter("role", "enum", enum=Role, enum_prefix="role")],
)
add_routes(router, USERS)
