"""Assets: the installed base and its full lifecycle (framework node 3.6), with per-device tokens."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="assets",
    framework=("3.6",),
    label="nav.assets",
    kernel=True,
    depends=("catalog", "customers"),
    models="somp.modules.assets.models",
    api="somp.modules.assets.api:router",
    web="somp.modules.assets.web:router",
    nav=(NavItem("nav.assets", "/assets", "3", "assets:read"),),
)
