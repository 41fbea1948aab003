"""Tenants (enterprises), users, roles and API tokens: the identity kernel."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="tenants",
    framework=("1.2",),
    label="nav.tenants",
    kernel=True,
    api="somp.modules.tenants.api:router",
    web="somp.modules.tenants.web:router",
    nav=(
        NavItem("nav.tenants", "/tenants", "1", "tenants:read"),
        NavItem("nav.users", "/users", "1", "users:read"),
    ),
)
