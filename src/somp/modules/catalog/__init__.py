"""Catalog: products (with bill of materials) and offerings, i.e. product-service systems
(framework nodes 2.1.2 PSS design and 2.1.7 PSS bill of materials)."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="catalog",
    framework=("2.1.2", "2.1.7"),
    label="nav.catalog",
    kernel=True,
    models="somp.modules.catalog.models",
    api="somp.modules.catalog.api:router",
    web="somp.modules.catalog.web:router",
    nav=(
        NavItem("nav.products", "/products", "2", "catalog:read"),
        NavItem("nav.offerings", "/offerings", "2", "catalog:read"),
    ),
)
