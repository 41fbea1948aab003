"""The model document (somp.modules.customization.document), no database: every problem reported at
once with its path; YAML and JSON round trips with a stable content hash; the engine offering
rebuilt unchanged; requires-cycles checked against networkx's strongly connected components."""

from __future__ import annotations

import json
import random

import networkx as nx
import pytest

from somp.modules.customization import document as docs
from tests.customization.factories import MODEL_FILE
from tests.customization.test_configurator import compressor


def _doc(text: str) -> docs.FileDoc:
    return docs.from_data(docs.parse_text(text), docs.FileDoc)


def _problems(text: str) -> set[tuple[str, str]]:
    doc = _doc(text)
    with pytest.raises(docs.DocumentInvalid) as exc:
        docs.to_offering(doc, doc.code, doc.name_zh, doc.name_en)
    return {(p.path, p.code) for p in exc.value.problems}


def test_every_inconsistency_is_reported_at_once_with_its_path():
    text = MODEL_FILE.read_text(encoding="utf-8")
    text = text.replace("any_of: [remote]}", "any_of: [avail_remote, availability]}", 1)  # unknown + itself
    text = text.replace("[m75, vsd], [m75, smart]]", "[m75, vsd], [m75, refrig]]")  # refrig: not a control
    text = text.replace("groups: [machine, control]", "groups: [machine, control]\n    when: [m99]")
    text = text.replace("k: 1, options: [refrig, desiccant]", "k: 3, options: [refrig, desiccant]")
    text = text.replace("code: training", "code: remote")  # an option code used twice
    text += "  - {code: power, name_zh: 功率, name_en: power, values: {m37: 1}}\n"
    text = text.replace("price_effects:\n", "price_effects:\n  - {code: avail_remote, when: [m37], amount: '1.00', "
                        "name_zh: x, name_en: x}\n")  # fmt: skip
    assert _problems(text) == {
        ("groups.4.options.2.code", "duplicate"),
        ("rules.0.any_of.0", "unknown_option"),
        ("rules.0.any_of", "self_reference"),
        ("rules.2.when.0", "unknown_option"),
        ("rules.2.allowed.7.1", "wrong_group"),
        ("rules.5.k", "range"),
        ("price_effects.0.code", "duplicate"),
        ("attributes.2.code", "duplicate"),
    }


def test_format_errors_name_their_paths_and_a_compatibility_needs_single_choice_groups():
    with pytest.raises(docs.DocumentInvalid) as exc:
        option = {"code": "o", "name_zh": "o", "name_en": "o", "price": "1.005"}
        docs.from_data({"groups": [{"code": "g", "name_zh": "g", "name_en": "g", "options": [option]}],
                        "rules": [{"type": "maybe"}]})  # fmt: skip
    paths = {p.path for p in exc.value.problems}
    assert paths == {"groups.0.options.0.price", "rules.0"}
    text = MODEL_FILE.read_text(encoding="utf-8").replace("groups: [machine, control]", "groups: [machine, addons]")
    assert ("rules.2.groups.1", "not_single") in _problems(text)
    bad_bound = MODEL_FILE.read_text(encoding="utf-8").replace(
        "rules:\n", "rules:\n  - {type: bound, code: b, attribute: flow, low: 5, high: 4}\n", 1
    )
    assert _problems(bad_bound) == {("rules.0.attribute", "unknown_attribute"), ("rules.0.low", "order")}


def test_yaml_and_json_round_trips_keep_the_content_hash_and_the_engine_offering():
    doc = _doc(MODEL_FILE.read_text(encoding="utf-8"))
    data = docs.canonical(doc)
    h = docs.content_hash(data)
    again_yaml = docs.from_data(docs.parse_text(docs.dump_text(data, "yaml")))
    again_json = docs.from_data(docs.parse_text(docs.dump_text(data, "json")))
    assert docs.content_hash(docs.canonical(again_yaml)) == docs.content_hash(docs.canonical(again_json)) == h
    assert json.loads(docs.dump_text(data, "json"))["base_price"] == "96000.00"
    off = compressor()  # the hand-checked offering of the engine tests
    rebuilt = docs.to_offering(docs.from_offering(off), off.code, off.name_zh, off.name_en)
    assert rebuilt == off
    assert docs.check(docs.from_offering(off), rebuilt) == []


@pytest.mark.parametrize("seed", range(30))
def test_requires_cycles_are_the_strongly_connected_components_networkx_finds(seed):
    rng = random.Random(seed)
    codes = [f"o{i}" for i in range(rng.randint(3, 25))]
    edges = {(a, b) for a, b in (rng.sample(codes, 2) for _ in range(rng.randint(1, 40)))}
    doc = docs.ModelDoc.model_validate(
        {
            "groups": [{"code": "g", "name_zh": "g", "name_en": "g", "min": 0, "max": len(codes),
                        "options": [{"code": c, "name_zh": c, "name_en": c} for c in codes]}],
            "rules": [{"type": "requires", "code": f"r{k}", "option": a, "any_of": [b]}
                      for k, (a, b) in enumerate(sorted(edges))],
        }
    )  # fmt: skip
    expected = sorted(sorted(c) for c in nx.strongly_connected_components(nx.DiGraph(sorted(edges))) if len(c) > 1)
    assert docs.requires_cycles(doc) == expected


def test_a_model_without_configuration_is_refused_with_its_conflict():
    text = MODEL_FILE.read_text(encoding="utf-8").replace(
        "rules:\n", "rules:\n  - {type: excludes, code: never, option: basic_care, others: [m37, m55, m75]}\n"
        "  - {type: at_most, code: no_care, k: 0, options: [full_care, availability]}\n", 1
    )  # fmt: skip
    doc = _doc(text)
    with pytest.raises(docs.DocumentInvalid) as exc:
        docs.check(doc, docs.to_offering(doc, doc.code, doc.name_zh, doc.name_en))
    (p,) = exc.value.problems
    assert p.code == "unsatisfiable"
    assert "at most 0 of full care, guaranteed availability" in p.message and "basic care cannot be" in p.message
