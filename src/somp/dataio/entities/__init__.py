"""The kernel entities of ``somp import`` / ``somp export`` and the registry that adds the
entities modules declare in their manifests (``io_entities``)."""

from __future__ import annotations

from functools import cache

from somp.dataio.spec import EntitySpec


@cache
def registry() -> dict[str, EntitySpec]:
    """Every importable entity by name, kernel entities first (in a sensible import order)."""
    from somp.core.modules import each
    from somp.dataio.entities import assets, catalog, contracts, customers, invoices, work_orders

    specs: list[EntitySpec] = [
        *customers.ENTITIES,
        *catalog.ENTITIES,
        *assets.ENTITIES,
        *contracts.ENTITIES,
        *work_orders.ENTITIES,
        *invoices.ENTITIES,
    ]
    for _manifest, extra in each("io_entities"):
        specs.extend(extra)
    out: dict[str, EntitySpec] = {}
    for s in specs:
        if s.name in out:
            raise RuntimeError(f"two import/export entities are named {s.name}")
        out[s.name] = s
    return out


def get_entity(name: str) -> EntitySpec:
    """An entity by its name (``work_orders``, ``work-orders``) or its Chinese name."""
    key = name.strip().replace("-", "_").casefold()
    for spec in registry().values():
        if key in (spec.name.casefold(), spec.zh.casefold()):
            return spec
    raise KeyError(f"unknown entity {name!r}; entities: {', '.join(registry())}")
