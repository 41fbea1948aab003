"""Work orders: installation, preventive, corrective, predictive and inspection jobs with SLA
deadlines (framework nodes 3.6, 2.3.1)."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="workorders",
    framework=("3.6", "2.3.1"),
    label="nav.workorders",
    kernel=True,
    depends=("assets", "contracts"),
    models="somp.modules.workorders.models",
    api="somp.modules.workorders.api:router",
    web="somp.modules.workorders.web:router",
    nav=(NavItem("nav.workorders", "/work-orders", "3", "workorders:read"),),
)
