"""Terminology (framework node 1.1): the framework tree, the bilingual glossary and the UI label
catalogue; every other part takes its Chinese and English words from here."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="terminology",
    framework=("1.1",),
    label="nav.terminology",
    kernel=True,
    api="somp.modules.terminology.api:router",
    web="somp.modules.terminology.web:router",
    nav=(NavItem("nav.terminology", "/terminology", "1", "terminology:read"),),
)
