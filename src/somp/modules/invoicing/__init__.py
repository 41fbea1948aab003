"""Invoices with lines classed as product or service revenue: the data behind the service
revenue share (服务收入占比)."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="invoicing",
    framework=("2.1.2",),
    label="nav.invoices",
    kernel=True,
    depends=("customers", "contracts"),
    models="somp.modules.invoicing.models",
    api="somp.modules.invoicing.api:router",
    web="somp.modules.invoicing.web:router",
    nav=(NavItem("nav.invoices", "/invoices", "2", "invoices:read"),),
)
