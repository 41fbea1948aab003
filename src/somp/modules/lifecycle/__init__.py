"""Full lifecycle management and remote O&M (framework node 3.6): alarm rules, streaming anomaly
detection, health index and remaining useful life, reactions through work orders."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="lifecycle",
    framework=("3.6",),
    label="nav.lifecycle",
    depends=("assets", "catalog", "workorders", "telemetry"),
    models="somp.modules.lifecycle.models",
    api="somp.modules.lifecycle.api:router",
    cli="somp.modules.lifecycle.cli:app",
    web="somp.modules.lifecycle.web:router",
    subscriptions="somp.modules.lifecycle.reactions:subscribe",
    periodic="somp.modules.lifecycle.reactions:tick",
    nav=(NavItem("nav.monitoring", "/lifecycle", "3", "lifecycle:read"),),
)
