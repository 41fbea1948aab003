"""The configuration model of an offering (framework nodes 3.2 customised services / C2M and 2.1.2
product-service combination design). Pure data: no solver, no database, no web framework.

An :class:`Offering` has a base price, :class:`OptionGroup` s of :class:`Option` s (product
variants, service levels, add-ons; each group chooses between ``min_choices`` and ``max_choices``
of its options: ``1..1`` is a required single choice, ``0..1`` an optional one, ``0..n`` a
multi-choice of add-ons), rules and price effects:

* :class:`Requires` — choosing ``option`` requires at least one of ``any_of``;
* :class:`Excludes` — choosing ``option`` rules out every one of ``others``;
* :class:`Compatibility` — a table of the allowed combinations of some single-choice groups (a
  group left empty, when it is optional, is not constrained by the table);
* :class:`AtMost` / :class:`AtLeast` — a bound on how many of some options are chosen;
* :class:`Bound` — a range for a numeric :class:`Attribute` of the configuration: a base value plus
  the values of the chosen options (air flow in m3/min, power in kW, weight...); customers state
  their numeric requirements the same way (``requirements=`` of the configurator's queries);
* every rule may carry ``when``: option codes that must all be chosen for the rule to hold (a
  conditional rule);
* :class:`PriceEffect` — a surcharge (amount > 0) or a discount (amount < 0) applied when all of its
  ``when`` options are chosen.

Option codes are unique across the offering; rules, groups and price effects have their own codes
(they name the items of a conflict explanation). Prices are exact ``Decimal`` CNY with at most two
decimal places (fen). Labels and messages are in Chinese and English (``*_zh``, ``*_en``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

CURRENCY = "CNY"
FEN = Decimal("0.01")


class OfferingInvalid(ValueError):
    """The offering's definition is inconsistent (unknown code, duplicate, bad bound or price)."""


@dataclass(frozen=True)
class Option:
    code: str
    name_zh: str
    name_en: str
    price: Decimal = Decimal(0)


@dataclass(frozen=True)
class OptionGroup:
    code: str
    name_zh: str
    name_en: str
    options: tuple[Option, ...]
    min_choices: int = 1
    max_choices: int = 1

    @property
    def single(self) -> bool:
        return self.max_choices == 1


@dataclass(frozen=True)
class Requires:
    code: str
    option: str
    any_of: tuple[str, ...]
    when: tuple[str, ...] = ()
    name_zh: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Excludes:
    code: str
    option: str
    others: tuple[str, ...]
    when: tuple[str, ...] = ()
    name_zh: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Compatibility:
    code: str
    groups: tuple[str, ...]
    allowed: tuple[tuple[str, ...], ...]
    when: tuple[str, ...] = ()
    name_zh: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class AtMost:
    code: str
    k: int
    options: tuple[str, ...]
    when: tuple[str, ...] = ()
    name_zh: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class AtLeast:
    code: str
    k: int
    options: tuple[str, ...]
    when: tuple[str, ...] = ()
    name_zh: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Bound:
    code: str
    attribute: str
    low: Decimal | None = None
    high: Decimal | None = None
    when: tuple[str, ...] = ()
    name_zh: str = ""
    name_en: str = ""


Rule = Requires | Excludes | Compatibility | AtMost | AtLeast | Bound

ATTRIBUTE_PLACES = 3  # numeric attributes and bounds: at most 3 decimals (solved as integers x 1000)


@dataclass(frozen=True)
class Attribute:
    """A numeric property of a configuration: ``base`` plus the ``values`` of the chosen options."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    values: Mapping[str, Decimal]  # option code -> contribution
    base: Decimal = Decimal(0)


@dataclass(frozen=True)
class PriceEffect:
    code: str
    when: tuple[str, ...]
    amount: Decimal
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Offering:
    code: str
    name_zh: str
    name_en: str
    base_price: Decimal
    groups: tuple[OptionGroup, ...]
    rules: tuple[Rule, ...] = ()
    price_effects: tuple[PriceEffect, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    options: dict[str, Option] = field(init=False, repr=False, compare=False)
    group_of: dict[str, OptionGroup] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        options: dict[str, Option] = {}
        group_of: dict[str, OptionGroup] = {}
        for g in self.groups:
            for o in g.options:
                if o.code in options:
                    raise OfferingInvalid(f"option code {o.code!r} is used twice")
                options[o.code] = o
                group_of[o.code] = g
        object.__setattr__(self, "options", options)
        object.__setattr__(self, "group_of", group_of)
        _check(self)

    def group(self, code: str) -> OptionGroup:
        for g in self.groups:
            if g.code == code:
                return g
        raise KeyError(code)

    def attribute(self, code: str) -> Attribute:
        for a in self.attributes:
            if a.code == code:
                return a
        raise KeyError(code)


def _check(off: Offering) -> None:
    names = [g.code for g in off.groups] + [r.code for r in off.rules] + [p.code for p in off.price_effects]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise OfferingInvalid(f"group, rule and price-effect codes must be unique: {sorted(dup)}")
    _money(off.base_price, "base price")
    for g in off.groups:
        if not g.options:
            raise OfferingInvalid(f"group {g.code!r} has no options")
        if not 0 <= g.min_choices <= g.max_choices <= len(g.options) or g.max_choices < 1:
            raise OfferingInvalid(f"group {g.code!r}: need 0 <= min_choices <= max_choices <= options, max >= 1")
        for o in g.options:
            _money(o.price, f"price of {o.code}")
    groups = {g.code: g for g in off.groups}

    def known(codes: Iterable[str], where: str) -> None:
        unknown = [c for c in codes if c not in off.options]
        if unknown:
            raise OfferingInvalid(f"{where} names unknown options {unknown}")

    for r in off.rules:
        known(r.when, f"rule {r.code!r}")
        if isinstance(r, Requires):
            known((r.option, *r.any_of), f"rule {r.code!r}")
            if not r.any_of:
                raise OfferingInvalid(f"rule {r.code!r}: any_of is empty")
        elif isinstance(r, Excludes):
            known((r.option, *r.others), f"rule {r.code!r}")
        elif isinstance(r, AtMost | AtLeast):
            known(r.options, f"rule {r.code!r}")
            if not 0 <= r.k <= len(r.options):
                raise OfferingInvalid(f"rule {r.code!r}: k must be between 0 and the number of options")
        elif isinstance(r, Bound):
            check_bound(off, r)
        elif isinstance(r, Compatibility):
            for gc in r.groups:
                if gc not in groups or not groups[gc].single:
                    raise OfferingInvalid(f"rule {r.code!r}: {gc!r} is not a single-choice group")
            for row in r.allowed:
                if len(row) != len(r.groups) or any(
                    off.group_of.get(c) is not groups[gc] for c, gc in zip(row, r.groups, strict=False)
                ):
                    raise OfferingInvalid(f"rule {r.code!r}: row {row} does not match groups {r.groups}")
        else:  # pragma: no cover - the Rule union is closed
            raise OfferingInvalid(f"unknown rule type {type(r).__name__}")
    attrs = [a.code for a in off.attributes]
    if len(set(attrs)) != len(attrs):
        raise OfferingInvalid(f"attribute codes must be unique: {attrs}")
    for a in off.attributes:
        known(a.values, f"attribute {a.code!r}")
        for v in (a.base, *a.values.values()):
            _places(v, f"attribute {a.code}")
    for p in off.price_effects:
        known(p.when, f"price effect {p.code!r}")
        if not p.when:
            raise OfferingInvalid(f"price effect {p.code!r} has no condition")
        _money(p.amount, f"price effect {p.code}", signed=True)


def _money(amount: Decimal, what: str, signed: bool = False) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise OfferingInvalid(f"{what} must be a finite Decimal, got {amount!r}")
    if amount != amount.quantize(FEN):
        raise OfferingInvalid(f"{what} has more than two decimal places (fen): {amount}")
    if not signed and amount < 0:
        raise OfferingInvalid(f"{what} is negative: {amount}")


def check_bound(off: Offering, r: Bound) -> None:
    if r.attribute not in {a.code for a in off.attributes}:
        raise OfferingInvalid(f"bound {r.code!r} names unknown attribute {r.attribute!r}")
    if r.low is None and r.high is None:
        raise OfferingInvalid(f"bound {r.code!r} has neither a low nor a high value")
    for v in (r.low, r.high):
        if v is not None:
            _places(v, f"bound {r.code}")
    if r.low is not None and r.high is not None and r.low > r.high:
        raise OfferingInvalid(f"bound {r.code!r}: low {r.low} > high {r.high}")


def _places(v: Decimal, what: str) -> None:
    if not isinstance(v, Decimal) or not v.is_finite() or v != round(v, ATTRIBUTE_PLACES):
        raise OfferingInvalid(f"{what}: {v!r} must be a finite Decimal with at most {ATTRIBUTE_PLACES} decimals")


def attribute_values(off: Offering, selected: Iterable[str]) -> dict[str, Decimal]:
    """Each attribute's value for a set of chosen options."""
    chosen = set(selected)
    return {a.code: a.base + sum((v for c, v in a.values.items() if c in chosen), Decimal(0)) for a in off.attributes}


def compatibility_forbidden(off: Offering, rule: Compatibility) -> list[tuple[str, ...]]:
    """The combinations of the rule's groups' options that the table does not allow."""
    allowed = set(rule.allowed)
    combos = itertools.product(*[[o.code for o in off.group(gc).options] for gc in rule.groups])
    return [c for c in combos if c not in allowed]


# ---- prices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceLine:
    code: str
    name_zh: str
    name_en: str
    amount: Decimal


@dataclass(frozen=True)
class PriceBreakdown:
    lines: tuple[PriceLine, ...]
    total: Decimal
    currency: str = CURRENCY


def price(off: Offering, selected: Iterable[str]) -> PriceBreakdown:
    """Base price, the chosen options' prices and the price effects whose conditions all hold."""
    chosen = set(selected)
    unknown = chosen - off.options.keys()
    if unknown:
        raise OfferingInvalid(f"unknown options {sorted(unknown)}")
    lines = [PriceLine(off.code, off.name_zh, off.name_en, off.base_price)]
    for g in off.groups:
        lines += [PriceLine(o.code, o.name_zh, o.name_en, o.price) for o in g.options if o.code in chosen]
    lines += [PriceLine(p.code, p.name_zh, p.name_en, p.amount) for p in off.price_effects if chosen.issuperset(p.when)]
    return PriceBreakdown(tuple(lines), sum((ln.amount for ln in lines), Decimal("0.00")))


# ---- messages -----------------------------------------------------------------------------------


def _names(off: Offering, codes: Iterable[str], lang: str, joiner: Mapping[str, str]) -> str:
    attr = "name_zh" if lang == "zh" else "name_en"
    return joiner[lang].join(getattr(off.options[c], attr) for c in codes)


_OR = {"zh": "或", "en": " or "}
_AND = {"zh": "、", "en": ", "}


def describe_rule(off: Offering, rule: Rule, lang: str) -> str:
    """A sentence for a rule in ``lang`` ("zh" or "en"); the rule's own name wins when it has one."""
    own = rule.name_zh if lang == "zh" else rule.name_en
    if own:
        return own
    zh = lang == "zh"
    if isinstance(rule, Requires):
        a, b = _names(off, [rule.option], lang, _AND), _names(off, rule.any_of, lang, _OR)
        text = f"选择{a}需要同时选择{b}" if zh else f"{a} requires {b}"
    elif isinstance(rule, Excludes):
        a, b = _names(off, [rule.option], lang, _AND), _names(off, rule.others, lang, _AND if zh else _OR)
        text = f"{a}不能与{b}同时选择" if zh else f"{a} cannot be combined with {b}"
    elif isinstance(rule, AtMost):
        b = _names(off, rule.options, lang, _AND)
        text = f"{b}中最多选择 {rule.k} 项" if zh else f"at most {rule.k} of {b}"
    elif isinstance(rule, AtLeast):
        b = _names(off, rule.options, lang, _AND)
        text = f"{b}中至少选择 {rule.k} 项" if zh else f"at least {rule.k} of {b}"
    elif isinstance(rule, Bound):
        text = describe_bound(off, rule.attribute, rule.low, rule.high, lang)
    else:
        gs = [off.group(g) for g in rule.groups]
        g = (_AND if zh else {"en": " / "})[lang].join(x.name_zh if zh else x.name_en for x in gs)
        rows = ("；" if zh else "; ").join(_names(off, row, lang, {"zh": "+", "en": " + "}) for row in rule.allowed)
        text = f"{g}只允许以下组合：{rows}" if zh else f"{g}: only these combinations are compatible: {rows}"
    if rule.when:
        cond = _names(off, rule.when, lang, _AND if zh else {"en": " and "})
        text = f"当选择{cond}时，{text}" if zh else f"when {cond} is chosen, {text}"
    return text


def describe_bound(off: Offering, attribute: str, low, high, lang: str) -> str:
    a = off.attribute(attribute)
    name = a.name_zh if lang == "zh" else a.name_en
    if low is not None and high is not None:
        return (
            f"{name}须在 {low} 到 {high} {a.unit}之间" if lang == "zh" else f"{name} between {low} and {high} {a.unit}"
        )
    if low is not None:
        return f"{name}不低于 {low} {a.unit}" if lang == "zh" else f"{name} at least {low} {a.unit}"
    return f"{name}不超过 {high} {a.unit}" if lang == "zh" else f"{name} at most {high} {a.unit}"


def describe_group(group: OptionGroup, lang: str) -> str:
    name = group.name_zh if lang == "zh" else group.name_en
    lo, hi = group.min_choices, group.max_choices
    if lang == "zh":
        if lo == hi:
            return f"{name}：必须选择 {lo} 项"
        return f"{name}：选择 {lo} 到 {hi} 项" if lo else f"{name}：最多选择 {hi} 项"
    if lo == hi:
        return f"{name}: choose exactly {lo}"
    return f"{name}: choose {lo} to {hi}" if lo else f"{name}: choose at most {hi}"


def describe_choice(off: Offering, code: str, selected: bool, lang: str) -> str:
    o = off.options[code]
    if lang == "zh":
        return f"客户选择了{o.name_zh}" if selected else f"客户排除了{o.name_zh}"
    return f"customer chose {o.name_en}" if selected else f"customer ruled out {o.name_en}"
