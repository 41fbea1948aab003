"""A configuration model as a document (framework nodes 3.2 and 2.1.2): the YAML/JSON file format of
an offering's option groups, rules, price effects and numeric attributes, its validation with
every problem named by its path, and its conversion to the configurator's
:class:`~somp.modules.customization.offering.Offering`. No database, no web framework.

A document::

    code: SC-AIR                     # the configurable offering (file header; optional in the API)
    name_zh: 螺杆空压机（定制）
    name_en: Screw compressor, configured
    offering: AIR-SVC                # the catalog offering it configures (by code)
    base_price: "100000.00"
    groups:
      - {code: motor, name_zh: 电机, name_en: Motor, kind: variant, min: 1, max: 1, options: [
          {code: m22, name_zh: 22 kW 电机, name_en: 22 kW motor, price: "0", product: SC-22}, ...]}
    rules:
      - {type: requires, code: avail_remote, option: availability, any_of: [remote]}
      - {type: excludes, code: small_desiccant, option: desiccant, others: [m22]}
      - {type: compatible, code: motor_control, groups: [motor, control], allowed: [[m22, basic], ...]}
      - {type: at_most, code: r1, k: 2, options: [a, b, c]}     # also at_least
      - {type: bound, code: flow, attribute: flow, low: 3.5}     # every rule may carry `when: [...]`
    price_effects: [{code: bundle, when: [full_care, remote], amount: "-1500.00", name_zh: ..., name_en: ...}]
    attributes: [{code: flow, name_zh: 排气量, name_en: Air flow, unit: m3/min, base: 0, values: {m22: 3.6}}]

:func:`to_offering` goes beyond the format: every code a rule, price effect or attribute names must
exist, codes are unique, bounds are ordered, nothing requires or excludes itself. :func:`check` then
solves the model: it must admit at least one configuration (else refused, with the minimal set of
rules in conflict). Anomalies are warnings, as feature-model analysis reports them: a "dead" option
that no configuration can include (named with the minimal set of rules that forbids it), and options
that require each other in a cycle (always chosen together).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from somp.core.schemas import Amount, Code, Name, NonNegativeAmount
from somp.modules.customization import offering as eng


class OptionKind(enum.StrEnum):
    """What an option group offers (2.1.2: product variants, service levels, add-ons); the lines of
    an order's bill of options carry it (:class:`~somp.modules.customization.models.LineKind`)."""

    variant = "variant"
    service_level = "service_level"
    addon = "addon"


Codes = Annotated[list[Code], Field(max_length=1000)]
AttrValue = Annotated[Decimal, Field(max_digits=15, decimal_places=eng.ATTRIBUTE_PLACES)]
MAX_OPTIONS = 2000
MAX_RULES = 5000


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OptionDoc(_Doc):
    code: Code
    name_zh: Name
    name_en: Name
    price: NonNegativeAmount = Decimal("0.00")
    product: Code | None = Field(None, description="code of the catalog product this variant builds")


class GroupDoc(_Doc):
    code: Code
    name_zh: Name
    name_en: Name
    kind: OptionKind = OptionKind.variant
    min: int = Field(1, ge=0, le=MAX_OPTIONS, description="fewest options to choose (0: optional)")
    max: int = Field(1, ge=1, le=MAX_OPTIONS, description="most options to choose (1: a single choice)")
    options: Annotated[list[OptionDoc], Field(min_length=1, max_length=MAX_OPTIONS)]


class _RuleDoc(_Doc):
    code: Code
    when: Codes = Field(default_factory=list, description="options that must all be chosen for the rule to apply")
    name_zh: str = Field("", max_length=300, description="the rule in words (default: generated)")
    name_en: str = Field("", max_length=300)


class RequiresDoc(_RuleDoc):
    type: Literal["requires"]
    option: Code
    any_of: Annotated[list[Code], Field(min_length=1, max_length=1000)]


class ExcludesDoc(_RuleDoc):
    type: Literal["excludes"]
    option: Code
    others: Annotated[list[Code], Field(min_length=1, max_length=1000)]


class CompatibleDoc(_RuleDoc):
    type: Literal["compatible"]
    groups: Annotated[list[Code], Field(min_length=2, max_length=10)]
    allowed: Annotated[list[list[Code]], Field(min_length=1, max_length=10000)]


class AtMostDoc(_RuleDoc):
    type: Literal["at_most"]
    k: int = Field(ge=0, le=MAX_OPTIONS)
    options: Annotated[list[Code], Field(min_length=1, max_length=MAX_OPTIONS)]


class AtLeastDoc(_RuleDoc):
    type: Literal["at_least"]
    k: int = Field(ge=0, le=MAX_OPTIONS)
    options: Annotated[list[Code], Field(min_length=1, max_length=MAX_OPTIONS)]


class BoundDoc(_RuleDoc):
    type: Literal["bound"]
    attribute: Code
    low: AttrValue | None = None
    high: AttrValue | None = None


RuleDoc = Annotated[
    RequiresDoc | ExcludesDoc | CompatibleDoc | AtMostDoc | AtLeastDoc | BoundDoc, Field(discriminator="type")
]


class PriceEffectDoc(_Doc):
    code: Code
    when: Annotated[list[Code], Field(min_length=1, max_length=100)]
    amount: Amount
    name_zh: Name
    name_en: Name


class AttributeDoc(_Doc):
    code: Code
    name_zh: Name
    name_en: Name
    unit: str = Field("", max_length=20)
    base: AttrValue = Decimal(0)
    values: dict[Code, AttrValue] = Field(default_factory=dict, max_length=MAX_OPTIONS)


class ModelDoc(_Doc):
    """The configuration model of one offering (one version)."""

    base_price: NonNegativeAmount = Decimal("0.00")
    groups: Annotated[list[GroupDoc], Field(min_length=1, max_length=MAX_OPTIONS)]
    rules: Annotated[list[RuleDoc], Field(max_length=MAX_RULES)] = Field(default_factory=list)
    price_effects: Annotated[list[PriceEffectDoc], Field(max_length=MAX_RULES)] = Field(default_factory=list)
    attributes: Annotated[list[AttributeDoc], Field(max_length=100)] = Field(default_factory=list)


class FileDoc(ModelDoc):
    """A model file: the model plus the configurable offering it belongs to."""

    code: Code
    name_zh: Name
    name_en: Name
    offering: Code = Field(description="code of the catalog offering this model configures")


@dataclass(frozen=True)
class Problem:
    """One reason a document is refused (or, as a warning, worth a look): where and why."""

    path: str
    message: str
    code: str = "invalid"


class DocumentInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems[:20]))
        self.problems = problems


# ---- text <-> document --------------------------------------------------------------------------


def parse_text(text: str) -> Any:
    """YAML or JSON text (JSON is read as JSON, so its errors name the line and column)."""
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DocumentInvalid([Problem("document", f"not valid YAML/JSON: {exc}".splitlines()[0], "syntax")]) from None


def from_data(data: Any, model: type[_Doc] = ModelDoc) -> Any:
    """Validate parsed data as a :class:`ModelDoc` (or :class:`FileDoc`); every problem named by path."""
    if not isinstance(data, dict):
        raise DocumentInvalid([Problem("document", "expected a mapping (YAML/JSON object) at the top", "type")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DocumentInvalid(pydantic_problems(exc)) from None


def pydantic_problems(exc: ValidationError) -> list[Problem]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        # a tagged union puts the tag in the path (rules.3.requires.option): drop it
        loc = [p for p in loc if p not in {"requires", "excludes", "compatible", "at_most", "at_least", "bound"}]
        msg = e.get("msg", "invalid").removeprefix("Value error, ")
        out.append(Problem(".".join(loc) or "document", msg, e.get("type", "invalid")))
    return out


def canonical(doc: ModelDoc) -> dict[str, Any]:
    """The model part of a document as plain JSON data (decimals as strings, defaults filled in)."""
    return ModelDoc.model_validate(doc.model_dump(include=set(ModelDoc.model_fields))).model_dump(mode="json")


def content_hash(data: dict[str, Any]) -> str:
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def dump_text(data: dict[str, Any], fmt: str = "yaml") -> str:
    """A document (from :func:`canonical`, with or without the file header) as YAML or JSON text."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}: yaml or json")
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


# ---- document -> engine ---------------------------------------------------------------------------


def to_offering(doc: ModelDoc, code: str, name_zh: str, name_en: str) -> eng.Offering:
    """The engine's offering for a validated document; every inconsistency reported at once."""
    problems: list[Problem] = []
    option_at: dict[str, str] = {}
    group_at: dict[str, GroupDoc] = {}
    for gi, g in enumerate(doc.groups):
        if g.code in group_at:
            problems.append(Problem(f"groups.{gi}.code", f"group code {g.code!r} is used twice", "duplicate"))
        group_at[g.code] = g
        if g.min > g.max:
            problems.append(Problem(f"groups.{gi}.min", f"min {g.min} is above max {g.max}", "order"))
        if g.min > len(g.options):
            problems.append(
                Problem(f"groups.{gi}.min", f"min {g.min} is above the number of options ({len(g.options)})", "range")
            )
        for oi, o in enumerate(g.options):
            if o.code in option_at:
                problems.append(
                    Problem(f"groups.{gi}.options.{oi}.code", f"option code {o.code!r} is used twice", "duplicate")
                )
            option_at[o.code] = f"groups.{gi}.options.{oi}"
    attrs = {a.code for a in doc.attributes}
    item_codes: dict[str, str] = {g: f"groups.{i}.code" for i, g in enumerate(group_at)}

    def unique(code_: str, path: str) -> None:
        if code_ in item_codes:
            problems.append(
                Problem(
                    path,
                    f"code {code_!r} is already used by {item_codes[code_]} (groups, rules and price "
                    "effects need distinct codes)",
                    "duplicate",
                )  # fmt: skip
            )
        item_codes.setdefault(code_, path)

    def known(codes: list[str], path: str) -> None:
        for k, c in enumerate(codes):
            if c not in option_at:
                problems.append(Problem(f"{path}.{k}", f"unknown option {c!r}", "unknown_option"))

    for ri, r in enumerate(doc.rules):
        at = f"rules.{ri}"
        unique(r.code, f"{at}.code")
        known(r.when, f"{at}.when")
        if isinstance(r, RequiresDoc | ExcludesDoc):
            targets = r.any_of if isinstance(r, RequiresDoc) else r.others
            field = "any_of" if isinstance(r, RequiresDoc) else "others"
            if r.option not in option_at:
                problems.append(Problem(f"{at}.option", f"unknown option {r.option!r}", "unknown_option"))
            known(targets, f"{at}.{field}")
            if r.option in targets:
                verb = "requires" if isinstance(r, RequiresDoc) else "excludes"
                problems.append(Problem(f"{at}.{field}", f"option {r.option!r} {verb} itself", "self_reference"))
        elif isinstance(r, AtMostDoc | AtLeastDoc):
            known(r.options, f"{at}.options")
            if r.k > len(r.options):
                problems.append(
                    Problem(f"{at}.k", f"k={r.k} is above the number of options ({len(r.options)})", "range")
                )
        elif isinstance(r, BoundDoc):
            if r.attribute not in attrs:
                problems.append(Problem(f"{at}.attribute", f"unknown attribute {r.attribute!r}", "unknown_attribute"))
            if r.low is None and r.high is None:
                problems.append(Problem(f"{at}", "a bound needs low, high or both", "required"))
            if r.low is not None and r.high is not None and r.low > r.high:
                problems.append(Problem(f"{at}.low", f"low {r.low} is above high {r.high}", "order"))
        elif isinstance(r, CompatibleDoc):
            for k, gc in enumerate(r.groups):
                if gc not in group_at:
                    problems.append(Problem(f"{at}.groups.{k}", f"unknown group {gc!r}", "unknown_group"))
                elif group_at[gc].max != 1:
                    problems.append(
                        Problem(f"{at}.groups.{k}", f"group {gc!r} is not a single choice (max 1)", "not_single")
                    )
            if len(set(r.groups)) != len(r.groups):
                problems.append(Problem(f"{at}.groups", "a group is listed twice", "duplicate"))
            for k, row in enumerate(r.allowed):
                if len(row) != len(r.groups):
                    problems.append(
                        Problem(f"{at}.allowed.{k}", f"{len(row)} options for {len(r.groups)} groups", "shape")
                    )
                    continue
                for j, (c, gc) in enumerate(zip(row, r.groups, strict=True)):
                    g = group_at.get(gc)
                    if g is not None and c not in {o.code for o in g.options}:
                        problems.append(
                            Problem(f"{at}.allowed.{k}.{j}", f"{c!r} is not an option of group {gc!r}", "wrong_group")
                        )
    for pi, p in enumerate(doc.price_effects):
        unique(p.code, f"price_effects.{pi}.code")
        known(p.when, f"price_effects.{pi}.when")
    seen_attrs: set[str] = set()
    for ai, a in enumerate(doc.attributes):
        if a.code in seen_attrs:
            problems.append(Problem(f"attributes.{ai}.code", f"attribute code {a.code!r} is used twice", "duplicate"))
        seen_attrs.add(a.code)
        for c in a.values:
            if c not in option_at:
                problems.append(Problem(f"attributes.{ai}.values.{c}", f"unknown option {c!r}", "unknown_option"))
    if problems:
        raise DocumentInvalid(problems)
    try:
        return _build(doc, code, name_zh, name_en)
    except eng.OfferingInvalid as exc:  # a rule the checks above do not cover: still a clear refusal
        raise DocumentInvalid([Problem("document", str(exc))]) from None


def _build(doc: ModelDoc, code: str, name_zh: str, name_en: str) -> eng.Offering:
    groups = tuple(
        eng.OptionGroup(
            g.code,
            g.name_zh,
            g.name_en,
            tuple(eng.Option(o.code, o.name_zh, o.name_en, o.price) for o in g.options),
            g.min,
            g.max,
        )
        for g in doc.groups
    )
    rules: list[eng.Rule] = []
    for r in doc.rules:
        common = {"when": tuple(r.when), "name_zh": r.name_zh, "name_en": r.name_en}
        if isinstance(r, RequiresDoc):
            rules.append(eng.Requires(r.code, r.option, tuple(r.any_of), **common))
        elif isinstance(r, ExcludesDoc):
            rules.append(eng.Excludes(r.code, r.option, tuple(r.others), **common))
        elif isinstance(r, CompatibleDoc):
            rules.append(eng.Compatibility(r.code, tuple(r.groups), tuple(tuple(x) for x in r.allowed), **common))
        elif isinstance(r, AtMostDoc):
            rules.append(eng.AtMost(r.code, r.k, tuple(r.options), **common))
        elif isinstance(r, AtLeastDoc):
            rules.append(eng.AtLeast(r.code, r.k, tuple(r.options), **common))
        else:
            rules.append(eng.Bound(r.code, r.attribute, r.low, r.high, **common))
    return eng.Offering(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        base_price=doc.base_price,
        groups=groups,
        rules=tuple(rules),
        price_effects=tuple(
            eng.PriceEffect(p.code, tuple(p.when), p.amount, p.name_zh, p.name_en) for p in doc.price_effects
        ),
        attributes=tuple(
            eng.Attribute(a.code, a.name_zh, a.name_en, a.unit, dict(a.values), a.base) for a in doc.attributes
        ),
    )


def from_offering(
    off: eng.Offering, kinds: dict[str, str] | None = None, products: dict[str, str] | None = None
) -> ModelDoc:
    """The document of an engine offering (``kinds``: group code -> option kind; ``products``:
    option code -> catalog product code)."""
    kinds, products = kinds or {}, products or {}

    def common(r: Any) -> dict[str, Any]:
        return {"code": r.code, "when": list(r.when), "name_zh": r.name_zh, "name_en": r.name_en}

    rules: list[dict[str, Any]] = []
    for r in off.rules:
        if isinstance(r, eng.Requires):
            rules.append({"type": "requires", "option": r.option, "any_of": list(r.any_of), **common(r)})
        elif isinstance(r, eng.Excludes):
            rules.append({"type": "excludes", "option": r.option, "others": list(r.others), **common(r)})
        elif isinstance(r, eng.Compatibility):
            rules.append({"type": "compatible", "groups": list(r.groups), "allowed": [list(x) for x in r.allowed],
                          **common(r)})  # fmt: skip
        elif isinstance(r, eng.AtMost | eng.AtLeast):
            kind = "at_most" if isinstance(r, eng.AtMost) else "at_least"
            rules.append({"type": kind, "k": r.k, "options": list(r.options), **common(r)})
        else:
            rules.append({"type": "bound", "attribute": r.attribute, "low": r.low, "high": r.high, **common(r)})
    return ModelDoc.model_validate(
        {
            "base_price": off.base_price,
            "groups": [
                {
                    "code": g.code,
                    "name_zh": g.name_zh,
                    "name_en": g.name_en,
                    "kind": kinds.get(g.code, "variant"),
                    "min": g.min_choices,
                    "max": g.max_choices,
                    "options": [
                        {
                            "code": o.code,
                            "name_zh": o.name_zh,
                            "name_en": o.name_en,
                            "price": o.price,
                            "product": products.get(o.code),
                        }
                        for o in g.options
                    ],
                }
                for g in off.groups
            ],  # fmt: skip
            "rules": rules,
            "price_effects": [
                {"code": p.code, "when": list(p.when), "amount": p.amount, "name_zh": p.name_zh, "name_en": p.name_en}
                for p in off.price_effects
            ],
            "attributes": [
                {
                    "code": a.code,
                    "name_zh": a.name_zh,
                    "name_en": a.name_en,
                    "unit": a.unit,
                    "base": a.base,
                    "values": dict(a.values),
                }
                for a in off.attributes
            ],  # fmt: skip
        }
    )


# ---- the model as a whole --------------------------------------------------------------------------


def requires_cycles(doc: ModelDoc) -> list[list[str]]:
    """Options that require each other in a cycle (unconditional ``requires`` with one option in
    ``any_of``): strongly connected components of more than one option, by Tarjan's algorithm."""
    graph: dict[str, list[str]] = {}
    for r in doc.rules:
        if isinstance(r, RequiresDoc) and not r.when and len(r.any_of) == 1:
            graph.setdefault(r.option, []).append(r.any_of[0])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the rule count (MAX_RULES)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return sorted(out)


DEAD_EXPLAINED = 5  # dead options explained one by one (each explanation is a few CP-SAT solves)


def check(doc: ModelDoc, off: eng.Offering) -> list[Problem]:
    """Check the model as a whole with the configurator. Raises :class:`DocumentInvalid` when no
    configuration satisfies every rule (with the minimal conflicting set); returns the warnings:
    options that no configuration can include ("dead" options, the first ones with the minimal set
    of rules that forbids them) and options that require each other in a cycle."""
    from somp.modules.customization.configurator import Configurator, Status

    cfg = Configurator(off)
    vc = cfg.valid_choices({})
    if vc.status is Status.conflict:
        raise DocumentInvalid(
            [Problem("rules", "no configuration satisfies every rule: " + vc.conflict.message("en"), "unsatisfiable")]
        )
    where = {o.code: f"groups.{gi}.options.{oi}" for gi, g in enumerate(doc.groups) for oi, o in enumerate(g.options)}
    dead = [c for c, s in vc.states.items() if s.value == "impossible"]
    warnings = []
    for c in dead[:DEAD_EXPLAINED]:
        conflict = cfg.explain({c: True})
        why = "; ".join(i.message_en for i in conflict.items if i.kind.value != "choice") if conflict else ""
        warnings.append(Problem(where[c], f"option {c!r} can never be chosen: {why}", "dead_option"))
    if len(dead) > DEAD_EXPLAINED:
        rest = dead[DEAD_EXPLAINED:]
        warnings.append(
            Problem("groups", f"{len(rest)} more options can never be chosen: {', '.join(rest)}", "dead_option")
        )
    return warnings + [
        Problem("rules", f"options {', '.join(cycle)} require each other: they are always chosen together", "cycle")
        for cycle in requires_cycles(doc)
    ]
