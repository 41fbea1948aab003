"""Every label the web UI can show resolves in Chinese and in English (no raw keys on a page).

Keys are collected three ways: the quoted label keys in the templates and the web Python code,
the labels of every entity spec (fields, columns, filters, titles, hints) and of the navigation,
and every value of every enum a page displays, under the prefix the page uses.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from somp.core.modules import each, installed_modules
from somp.modules.terminology.service import enum_label, framework_index, glossary, label, ui_labels

NAMESPACES = (
    "action",
    "page",
    "msg",
    "field",
    "filter",
    "hint",
    "kpi",
    "section",
    "value",
    "entity",
    "nav",
    "language",
    "error",
)
QUOTED_KEY = re.compile(r"""["']((?:""" + "|".join(NAMESPACES) + r""")\.[a-z0-9_.]*[a-z0-9_])["']""")
NOT_KEYS = {"error.html"}  # template names that look like keys


def _web_sources() -> list[Path]:
    web = Path(str(files("somp.web")))
    modules = Path(str(files("somp.modules")))
    return [*web.rglob("*.html"), *web.rglob("*.py"), *modules.glob("*/web.py")]


def _specs():
    from somp.web.crud import ENTITIES

    each("web")  # importing the modules' web.py registers their entity specs
    return list(ENTITIES.values())


def _spec_keys() -> set[str]:
    keys = set()
    for spec in _specs():
        keys |= {spec.singular, spec.plural}
        fields = list(spec.fields)
        if spec.transition:
            fields += list(spec.transition.extra)
        for f in fields:
            keys.add(f.label_key)
            if f.help:
                keys.add(f.help)
            for c in f.columns:
                keys.add(c.label_key)
        keys |= {c.label_key for c in spec.columns + spec.detail}
        keys |= {f.label_key for f in spec.filters}
    for m in installed_modules():
        keys.add(m.label)
        keys |= {n.label for n in m.nav}
    return keys


def _enum_values() -> dict[str, list[str]]:
    """prefix -> values, from the enums behind fields and filters, plus the column-only ones."""
    from somp.core.identity import Role
    from somp.modules.catalog.models import Priority
    from somp.modules.workorders.models import WorkOrderSource

    out: dict[str, set[str]] = {
        "work_order_source": {m.value for m in WorkOrderSource},
        "priority": {m.value for m in Priority},
        "language": {"zh", "en"},
        "role": {m.value for m in Role},
        "state_change_source": {"registration", "manual"},
    }  # assets.service
    from somp.modules.aftersales.models import SlaCalendarName, SlaSource  # ticket detail columns

    out["sla_source"] = {m.value for m in SlaSource}
    out["sla_calendar"] = {m.value for m in SlaCalendarName}
    column_prefixes = set()
    for spec in _specs():
        fields = [*spec.fields, *spec.filters]
        for f in list(spec.fields):
            fields += list(f.columns)
        for f in fields:
            if getattr(f, "enum", None) is not None and f.enum_prefix:
                out.setdefault(f.enum_prefix, set()).update(m.value for m in f.enum)
        column_prefixes |= {c.enum_prefix for c in spec.columns + spec.detail if c.enum_prefix}
        if spec.transition:
            column_prefixes.add(spec.transition.enum_prefix)
    missing = column_prefixes - set(out)
    assert not missing, f"enum prefixes shown without a known enum: {missing}"
    return {k: sorted(v) for k, v in out.items()}


def _resolves(key: str) -> bool:
    return key in ui_labels() or key in glossary() or key in framework_index()


def test_every_literal_label_key_in_templates_and_code_resolves():
    used = set()
    for path in _web_sources():
        used |= set(QUOTED_KEY.findall(path.read_text(encoding="utf-8"))) - NOT_KEYS
    assert len(used) > 100
    missing = sorted(k for k in used if not _resolves(k))
    assert not missing, missing


def test_every_spec_and_navigation_label_resolves():
    keys = _spec_keys()
    missing = sorted(k for k in keys if not _resolves(k))
    assert not missing, missing


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_labels_are_non_empty_and_translated(lang):
    used = set()
    for path in _web_sources():
        used |= set(QUOTED_KEY.findall(path.read_text(encoding="utf-8"))) - NOT_KEYS
    for key in sorted(used | _spec_keys()):
        text = label(key, lang)
        assert text and text != key, key
        if lang == "zh" and key in ui_labels() and key != "language.other":
            assert re.search(r"[\u4e00-\u9fff（）]", text), (key, text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_displayed_enum_value_has_a_label(lang):
    for prefix, values in _enum_values().items():
        for v in values:
            assert _resolves(f"{prefix}_{v}"), f"{prefix}_{v}"
            assert enum_label(prefix, v, lang) != v.replace("_", " ") or v.isupper(), f"{prefix}_{v}"


def test_english_labels_have_no_chinese():
    for key, entry in ui_labels().items():
        if key == "language.other":
            continue
        assert not re.search(r"[\u4e00-\u9fff]", entry["en"].replace("中文", "")), key
