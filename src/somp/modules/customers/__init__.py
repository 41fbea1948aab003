"""Customers of the manufacturer (framework node 1.2.1 customer management)."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="customers",
    framework=("1.2.1",),
    label="nav.customers",
    kernel=True,
    models="somp.modules.customers.models",
    api="somp.modules.customers.api:router",
    web="somp.modules.customers.web:router",
    nav=(NavItem("nav.customers", "/customers", "1", "customers:read"),),
)
