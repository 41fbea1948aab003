"""Module manifests: how a module plugs into somp.

Each module folder's ``__init__.py`` defines ``MANIFEST = ModuleManifest(...)``. The composition
root (the FastAPI app, the CLI, Alembic) loads the built-in modules listed in
:data:`BUILTIN_MODULES` plus any installed distribution that declares an entry point in the
``somp.modules`` group (framework node 3.10, "other innovative services": a new business type is a
new module, nothing else changes). Parts are given as import strings so nothing heavy is imported
until it is needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any

BUILTIN_MODULES: tuple[str, ...] = (
    "somp.modules.terminology",
    "somp.modules.tenants",
    "somp.modules.catalog",
    "somp.modules.customers",
    "somp.modules.assets",
    "somp.modules.contracts",
    "somp.modules.workorders",
    "somp.modules.invoicing",
    "somp.modules.kpis",
    "somp.modules.telemetry",
    "somp.modules.lifecycle",
    "somp.modules.shared_manufacturing",
    "somp.modules.evaluation",
    "somp.modules.pss",
    "somp.modules.aftersales",
    "somp.modules.customization",
)


@dataclass(frozen=True)
class NavItem:
    """A navigation entry: ``label`` is a terminology key, ``area`` a framework area code 1-4."""

    label: str
    path: str
    area: str
    permission: str


@dataclass(frozen=True)
class ModuleManifest:
    name: str
    framework: tuple[str, ...]
    label: str
    kernel: bool = False
    depends: tuple[str, ...] = ()
    models: str | None = None
    api: str | None = None  # "pkg.module:router"
    web: str | None = None
    cli: str | None = None  # "pkg.module:app" (a Typer app added as `somp <cli_name or name> ...`)
    cli_name: str | None = None
    subscriptions: str | None = None  # "pkg.module:subscribe" -> subscribe(bus)
    periodic: str | None = None  # "pkg.module:job" -> job(db, now), run about once a minute by the server
    nav: tuple[NavItem, ...] = ()
    io_entities: str | None = None  # "pkg.module:ENTITIES" for `somp import/export`
    demo: str | None = None  # "pkg.module:load" -> load(db, loaded): the module's demo data, after the scenario
    extra: dict[str, Any] = field(default_factory=dict)


def load_object(ref: str) -> Any:
    mod, _, attr = ref.partition(":")
    obj = importlib.import_module(mod)
    return getattr(obj, attr) if attr else obj


@cache
def installed_modules() -> tuple[ModuleManifest, ...]:
    names = list(BUILTIN_MODULES)
    for ep in entry_points(group="somp.modules"):
        if ep.value not in names:
            names.append(ep.value)
    manifests = [importlib.import_module(n).MANIFEST for n in names]
    seen = {m.name for m in manifests}
    for m in manifests:
        missing = [d for d in m.depends if d not in seen]
        if missing:
            raise RuntimeError(f"module {m.name} depends on missing modules {missing}")
    return tuple(manifests)


def import_all_models() -> None:
    """Import every module's models so ``Base.metadata`` knows all tables."""
    import somp.core.events  # noqa: F401
    import somp.core.identity  # noqa: F401
    import somp.core.sequences  # noqa: F401

    for m in installed_modules():
        if m.models:
            importlib.import_module(m.models)


def each(attr: str) -> list[tuple[ModuleManifest, Callable[..., Any] | Any]]:
    out = []
    for m in installed_modules():
        ref = getattr(m, attr)
        if ref:
            out.append((m, load_object(ref)))
    return out
