"""Customised services and C2M (framework node 3.2) with product-service combination design (2.1.2):
the offering configurator and C2M orders.

Pure engines (no database or web framework): :mod:`.offering` (the configuration model: option
groups, rules, price effects, numeric attributes, prices and messages in Chinese and English) and
:mod:`.configurator` (OR-Tools CP-SAT: completion, valid choices, minimal conflicting rule sets).
:mod:`.document` reads and writes a model as YAML/JSON; :mod:`.service` stores versioned models on
top of the catalog's offerings, answers configuration queries on a cached compiled model, and turns a
confirmed configuration into a C2M production order and a draft contract (contracts kernel service).
docs/pss.md describes them.
"""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="customization",
    framework=("3.2", "2.1.2"),
    label="nav.customization",
    depends=("catalog", "customers", "assets", "contracts"),
    models="somp.modules.customization.models",
    api="somp.modules.customization.api:router",
    web="somp.modules.customization.web:router",
    cli="somp.modules.customization.cli:app",
    demo="somp.modules.customization.demo:load",
    nav=(
        NavItem("customization.nav.configurator", "/customization/offerings", "3", "customization:read"),
        NavItem("customization.nav.orders", "/customization/orders", "3", "customization:read"),
    ),
)
