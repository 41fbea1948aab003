"""Data checks for the terminology glossary (framework node 1.1 术语定义).

The glossary is read straight from the package's data folder, so these tests need neither the
database nor the shared project files. Checks against the framework tree run only when its copy
(``framework.yaml``) sits next to the glossary.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

DATA_DIR = Path(__file__).parents[2] / "src/somp/modules/terminology/data"
GLOSSARY_PATH = DATA_DIR / "glossary.yaml"
FRAMEWORK_PATH = DATA_DIR / "framework.yaml"

REQUIRED_TEXT_FIELDS = ("zh", "en", "definition_zh", "definition_en", "source")
ALLOWED_FIELDS = {*REQUIRED_TEXT_FIELDS, "key", "framework", "see_also"}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
FRAMEWORK_CODE = re.compile(r"^[1-4](\.\d+){0,2}$")
SEED_SOURCES = {"seeds/000", "seeds/004", "somp"}
NATIONAL_STANDARD = re.compile(r"^GB(/T|/Z)? \d+(\.\d+)?(-\d{4})?$")
# CJK ideographs (incl. extension A) and CJK compatibility ideographs.
CJK_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Anything that should not appear in English text: ideographs, CJK punctuation, full-width forms.
CJK_ANY = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _load_glossary() -> list[dict]:
    with GLOSSARY_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _load_framework_nodes() -> dict[str, dict] | None:
    """Return {code: node} for every area and node of the framework copy, or None if absent."""
    if not FRAMEWORK_PATH.exists():
        return None
    with FRAMEWORK_PATH.open(encoding="utf-8") as fh:
        tree = yaml.safe_load(fh)
    nodes: dict[str, dict] = {}
    for area_code, area in tree.items():
        # Areas are the top-level keys 1..4 that carry "nodes"; other keys are plan metadata.
        if not (isinstance(area, dict) and isinstance(area.get("nodes"), dict)):
            continue
        nodes[str(area_code)] = area
        for code, node in area["nodes"].items():
            nodes[str(code)] = node or {}
    return nodes


GLOSSARY = _load_glossary()
FRAMEWORK_NODES = _load_framework_nodes()
needs_framework = pytest.mark.skipif(FRAMEWORK_NODES is None, reason=f"no framework copy at {FRAMEWORK_PATH}")


def _ids(entries: list[dict]) -> list[str]:
    return [str(e.get("key", i)) for i, e in enumerate(entries)]


def test_glossary_is_a_non_empty_list_of_mappings():
    assert isinstance(GLOSSARY, list) and GLOSSARY
    assert all(isinstance(entry, dict) for entry in GLOSSARY)


def test_keys_are_unique():
    counts = Counter(entry.get("key") for entry in GLOSSARY)
    assert [key for key, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_key_is_snake_case(entry):
    assert isinstance(entry.get("key"), str) and SNAKE_CASE.match(entry["key"])


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_entry_has_only_known_fields(entry):
    assert set(entry) <= ALLOWED_FIELDS, set(entry) - ALLOWED_FIELDS


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_text_fields_are_non_empty_strings(entry):
    for field in REQUIRED_TEXT_FIELDS:
        value = entry.get(field)
        assert isinstance(value, str) and value.strip(), f"{field} missing or empty"
        assert value == value.strip(), f"{field} has leading or trailing whitespace"


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_chinese_fields_contain_chinese(entry):
    assert CJK_IDEOGRAPH.search(entry["zh"]), "zh has no Chinese characters"
    assert CJK_IDEOGRAPH.search(entry["definition_zh"]), "definition_zh has no Chinese characters"


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_english_fields_contain_no_chinese(entry):
    for field in ("en", "definition_en"):
        found = CJK_ANY.findall(entry[field])
        assert not found, f"{field} contains CJK characters {found}"


def test_chinese_and_english_terms_are_unique():
    for field in ("zh", "en"):
        counts = Counter(entry[field] for entry in GLOSSARY)
        assert [term for term, n in counts.items() if n > 1] == [], field


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_source_is_a_seed_somp_or_national_standard(entry):
    source = entry["source"]
    assert source in SEED_SOURCES or NATIONAL_STANDARD.match(source), source


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_framework_codes_are_valid(entry):
    codes = entry.get("framework")
    assert isinstance(codes, list), "framework must be a list (may be empty)"
    assert len(codes) == len(set(codes)), "duplicate framework codes"
    for code in codes:
        assert isinstance(code, str), f"framework code {code!r} must be a quoted string"
        if FRAMEWORK_NODES is not None:
            assert code in FRAMEWORK_NODES, f"{code} is not in {FRAMEWORK_PATH.name}"
        else:
            assert FRAMEWORK_CODE.match(code), f"{code} is not a framework code"


@pytest.mark.parametrize("entry", GLOSSARY, ids=_ids(GLOSSARY))
def test_see_also_keys_exist(entry):
    see_also = entry.get("see_also", [])
    assert isinstance(see_also, list)
    keys = {e["key"] for e in GLOSSARY}
    assert entry["key"] not in see_also, "entry refers to itself"
    assert [k for k in see_also if k not in keys] == []


@needs_framework
def test_every_framework_node_naming_a_module_has_a_term():
    covered = {code for entry in GLOSSARY for code in entry.get("framework", [])}
    with_module = [code for code, node in FRAMEWORK_NODES.items() if node.get("module")]
    assert with_module, "framework copy names no modules"
    assert sorted(code for code in with_module if code not in covered) == []


@needs_framework
def test_every_framework_area_has_a_term():
    covered = {code for entry in GLOSSARY for code in entry.get("framework", [])}
    areas = [code for code in FRAMEWORK_NODES if "." not in code]
    assert sorted(code for code in areas if code not in covered) == []
