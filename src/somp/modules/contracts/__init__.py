"""Service contracts: customer + offering + covered assets + term (framework nodes 2.1.2, 1.2.1)."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="contracts",
    framework=("2.1.2", "1.2.1"),
    label="nav.contracts",
    kernel=True,
    depends=("catalog", "customers", "assets"),
    models="somp.modules.contracts.models",
    api="somp.modules.contracts.api:router",
    web="somp.modules.contracts.web:router",
    nav=(NavItem("nav.contracts", "/contracts", "2", "contracts:read"),),
)
