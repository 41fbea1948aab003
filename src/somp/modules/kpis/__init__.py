"""Brand KPIs of the 2025-2028 plan (service revenue share, customer repurchase rate, service
profit margin) computed from platform data; the evaluator's cross-enterprise view of them (1.3.1)."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="kpis",
    framework=("1.3.1",),
    label="nav.kpis",
    kernel=True,
    depends=("invoicing", "contracts", "workorders"),
    api="somp.modules.kpis.api:router",
    web="somp.modules.kpis.web:router",
    nav=(NavItem("nav.evaluation", "/evaluation", "1", "evaluation:read"),),
)
