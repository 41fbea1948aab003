"""Terminology (framework node 1.1): the framework tree, the glossary and the UI label catalogue,
all package data, loaded once and read-only.

Labels are looked up by key in ``ui_labels.yaml`` first, then in the glossary, so a domain term
shown in the UI is exactly the glossary's term. Enum values are labelled by the key
``<enum prefix>_<value>`` (e.g. ``asset_state_in_service``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

import yaml

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True)
class Term:
    key: str
    zh: str
    en: str
    definition_zh: str
    definition_en: str
    framework: tuple[str, ...]
    source: str
    see_also: tuple[str, ...] = ()

    def label(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    def definition(self, lang: Lang) -> str:
        return self.definition_zh if lang == "zh" else self.definition_en


@dataclass(frozen=True)
class FrameworkNode:
    code: str
    zh: str
    en: str
    module: str | None
    scope: str | None
    children: list[FrameworkNode] = field(default_factory=list)

    def label(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


def _load(name: str) -> Any:
    return yaml.safe_load((files("somp.modules.terminology") / "data" / name).read_text(encoding="utf-8"))


@cache
def glossary() -> dict[str, Term]:
    out = {}
    for e in _load("glossary.yaml"):
        out[e["key"]] = Term(
            key=e["key"],
            zh=e["zh"],
            en=e["en"],
            definition_zh=e["definition_zh"],
            definition_en=e["definition_en"],
            framework=tuple(e.get("framework") or ()),
            source=e["source"],
            see_also=tuple(e.get("see_also") or ()),
        )
    return out


@cache
def ui_labels() -> dict[str, dict[str, str]]:
    return _load("ui_labels.yaml") or {}


@cache
def framework_tree() -> list[FrameworkNode]:
    """The four areas with their nodes nested by code (1.3 > 1.3.1)."""
    raw = _load("framework.yaml")
    areas = []
    for area_code in ("1", "2", "3", "4"):
        a = raw[int(area_code)] if int(area_code) in raw else raw[area_code]
        area = FrameworkNode(area_code, a["zh"], a["en"], None, None)
        by_code: dict[str, FrameworkNode] = {area_code: area}
        for code, n in a["nodes"].items():
            code = str(code)
            node = FrameworkNode(code, n["zh"], n["en"], n.get("module"), n.get("scope"))
            by_code[code] = node
            parent = code.rsplit(".", 1)[0]
            by_code.get(parent, area).children.append(node)
        areas.append(area)
    return areas


@cache
def framework_index() -> dict[str, FrameworkNode]:
    out: dict[str, FrameworkNode] = {}

    def walk(n: FrameworkNode) -> None:
        out[n.code] = n
        for c in n.children:
            walk(c)

    for a in framework_tree():
        walk(a)
    return out


def label(key: str, lang: Lang) -> str:
    """The label for ``key`` in ``lang``; the key itself when unknown (visible, never blank)."""
    entry = ui_labels().get(key)
    if entry:
        return entry.get(lang) or entry.get("en") or key
    term = glossary().get(key)
    if term:
        return term.label(lang)
    node = framework_index().get(key)
    if node:
        return node.label(lang)
    return key


def enum_label(prefix: str, value: str, lang: Lang) -> str:
    key = f"{prefix}_{value}"
    found = label(key, lang)
    return found if found != key else value.replace("_", " ")


def search_terms(q: str | None = None, framework: str | None = None) -> list[Term]:
    terms = list(glossary().values())
    if framework:
        terms = [t for t in terms if any(c == framework or c.startswith(framework + ".") for c in t.framework)]
    if q:
        ql = q.lower()
        terms = [
            t
            for t in terms
            if ql in t.key
            or ql in t.zh.lower()
            or ql in t.en.lower()
            or ql in t.definition_zh.lower()
            or ql in t.definition_en.lower()
        ]
    return terms
