"""The offering configurator (somp.modules.customization.configurator): a hand-checked compressor
offering, and on small random offerings agreement with brute-force enumeration of every
configuration (valid choices; infeasibility and minimality of the conflict sets), evaluated by an
independent rule checker written here from the rules' definitions."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest

from somp.modules.customization.configurator import (
    Configurator,
    ItemKind,
    Objective,
    OptionState,
    Status,
)
from somp.modules.customization.offering import (
    AtLeast,
    AtMost,
    Attribute,
    Bound,
    Compatibility,
    Excludes,
    Offering,
    OfferingInvalid,
    Option,
    OptionGroup,
    PriceEffect,
    Requires,
)

D = Decimal


def compressor() -> Offering:
    """A screw air compressor sold with services (prices in CNY)."""
    return Offering(
        code="SC-A",
        name_zh="螺杆空压机",
        name_en="Screw compressor",
        base_price=D("100000.00"),
        groups=(
            OptionGroup(
                "motor",
                "电机",
                "Motor",
                (
                    Option("m22", "22 kW 电机", "22 kW motor"),
                    Option("m37", "37 kW 电机", "37 kW motor", D("18000.00")),
                    Option("m55", "55 kW 电机", "55 kW motor", D("42000.00")),
                ),
            ),
            OptionGroup(
                "control",
                "控制",
                "Control",
                (
                    Option("basic", "基本控制", "basic control"),
                    Option("vsd", "变频控制", "variable-speed drive", D("25000.00")),
                    Option("smart", "智能联控", "smart sequencing", D("32000.00")),
                ),
            ),
            OptionGroup(
                "dryer",
                "干燥机",
                "Dryer",
                (
                    Option("refrig", "冷冻式干燥机", "refrigerated dryer", D("12000.00")),
                    Option("desiccant", "吸附式干燥机", "desiccant dryer", D("26000.00")),
                ),
                min_choices=0,
            ),
            OptionGroup(
                "service",
                "服务等级",
                "Service level",
                (
                    Option("basic_care", "基础保养", "basic care"),
                    Option("full_care", "全保服务", "full care", D("15000.00")),
                    Option("availability", "可用率保证", "guaranteed availability", D("38000.00")),
                ),
            ),
            OptionGroup(
                "addons",
                "附加服务",
                "Add-ons",
                (
                    Option("remote", "远程监控", "remote monitoring", D("3000.00")),
                    Option("spare_kit", "备件包", "spare-parts kit", D("5000.00")),
                    Option("training", "操作培训", "operator training", D("2000.00")),
                ),
                min_choices=0,
                max_choices=3,
            ),
        ),
        rules=(
            Requires("avail_remote", "availability", ("remote",)),
            Requires("smart_remote", "smart", ("remote",)),
            Compatibility(
                "motor_control",
                ("motor", "control"),
                (
                    ("m22", "basic"),
                    ("m22", "vsd"),
                    ("m22", "smart"),
                    ("m37", "basic"),
                    ("m37", "vsd"),
                    ("m37", "smart"),
                    ("m55", "vsd"),
                    ("m55", "smart"),
                ),
            ),
            Excludes("small_desiccant", "desiccant", ("m22",)),
            Excludes("kit_included", "spare_kit", ("full_care", "availability")),
            AtLeast("big_needs_dryer", 1, ("refrig", "desiccant"), when=("m55",)),
        ),
        attributes=(
            Attribute("air_flow", "排气量", "air flow", "m³/min", {"m22": D("3.6"), "m37": D("6.2"), "m55": D("9.8")}),
            Attribute(
                "power",
                "装机功率",
                "installed power",
                "kW",
                {"m22": D(22), "m37": D(37), "m55": D(55), "refrig": D("1.5"), "desiccant": D("0.8")},
            ),
        ),
        price_effects=(
            PriceEffect(
                "smart_bundle",
                ("smart", "availability"),
                D("-5000.00"),
                "智能可用率套餐优惠",
                "smart availability bundle",
            ),
            PriceEffect(
                "big_desiccant", ("m55", "desiccant"), D("4000.00"), "大型吸干机附加费", "large desiccant surcharge"
            ),
        ),
    )


@pytest.fixture(scope="module")
def cfg() -> Configurator:
    return Configurator(compressor())


def chose(*codes, out=()):
    return {**dict.fromkeys(codes, True), **dict.fromkeys(out, False)}


# ---- the compressor, checked by hand ------------------------------------------------------------


def test_cheapest_completion_of_nothing_is_the_base_machine(cfg):
    c = cfg.complete({})
    assert c.status is Status.ok
    assert c.selected == ("m22", "basic", "basic_care")
    assert c.price.total == D("100000.00") and c.price.currency == "CNY"


def test_big_motor_pulls_in_a_drive_and_a_dryer(cfg):
    # 100000 + 42000 (m55) + 25000 (vsd: basic is incompatible) + 12000 (refrigerated dryer)
    c = cfg.complete(chose("m55"))
    assert set(c.selected) == {"m55", "vsd", "refrig", "basic_care"}
    assert c.price.total == D("179000.00")


def test_bundle_discount_and_required_remote_monitoring_are_priced(cfg):
    # 100000 + 32000 (smart) + 38000 (availability) + 3000 (remote, required) - 5000 (bundle)
    c = cfg.complete(chose("smart", "availability"))
    assert set(c.selected) == {"m22", "smart", "availability", "remote"}
    assert c.price.total == D("168000.00")
    assert [(ln.code, ln.amount) for ln in c.price.lines][-1] == ("smart_bundle", D("-5000.00"))


def test_surcharge_applies_only_when_all_its_conditions_hold(cfg):
    assert cfg.price(["m55", "vsd", "desiccant", "basic_care"]).total == D("197000.00")  # 100+42+25+26+4
    assert cfg.price(["m37", "vsd", "desiccant", "basic_care"]).total == D("169000.00")  # no surcharge


def test_preferred_completion_maximises_preference_then_price(cfg):
    # smart (needs remote) and full care: 100000 + 32000 + 3000 + 15000
    c = cfg.complete({}, Objective.preferred, {"smart": 10, "full_care": 5})
    assert set(c.selected) == {"m22", "smart", "remote", "full_care"}
    assert c.price.total == D("150000.00")


def test_valid_choices_follow_the_rules(cfg):
    v = cfg.valid_choices(chose("m55", out=("refrig",)))
    s = v.states
    assert s["m55"] is OptionState.chosen and s["refrig"] is OptionState.ruled_out
    assert s["m22"] is s["m37"] is s["basic"] is OptionState.impossible
    assert s["vsd"] is s["smart"] is OptionState.open
    assert s["desiccant"] is OptionState.required  # a 55 kW machine needs a dryer, refrigerated is out
    assert s["remote"] is s["training"] is OptionState.open
    assert v.states == cfg.valid_choices(chose("m55", out=("refrig",)), method="per_value").states


def test_validate_accepts_a_completable_choice(cfg):
    assert cfg.validate(chose("availability", "m37")).status is Status.ok


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        (chose("m55", "basic"), {("rule", "motor_control"), ("choice", "m55"), ("choice", "basic")}),
        (chose("m22", "m37"), {("group", "motor"), ("choice", "m22"), ("choice", "m37")}),
        (
            chose("availability", out=("remote",)),
            {("rule", "avail_remote"), ("choice", "availability"), ("choice", "remote")},
        ),
        (
            chose("m22", "desiccant", "training", "full_care"),
            {("rule", "small_desiccant"), ("choice", "m22"), ("choice", "desiccant")},
        ),
        (
            # m55 needs a dryer; refrigerated is ruled out, desiccant too: three rules and choices
            chose("m55", "vsd", out=("refrig", "desiccant")),
            {("rule", "big_needs_dryer"), ("choice", "m55"), ("choice", "refrig"), ("choice", "desiccant")},
        ),
    ],
)
def test_conflicts_name_a_minimal_set(cfg, choices, expected):
    v = cfg.validate(choices)
    assert v.status is Status.conflict
    assert {(i.kind.value, i.code) for i in v.conflict.items} == expected
    assert cfg.complete(choices).status is Status.conflict
    assert cfg.valid_choices(choices).status is Status.conflict


def test_conflict_messages_are_bilingual(cfg):
    c = cfg.explain(chose("availability", out=("remote",)))
    assert (
        c.message("zh")
        == "以下条件不能同时满足：选择可用率保证需要同时选择远程监控；客户选择了可用率保证；客户排除了远程监控"
    )
    assert c.message("en") == (
        "These cannot all hold: guaranteed availability requires remote monitoring; "
        "customer chose guaranteed availability; customer ruled out remote monitoring"
    )
    assert cfg.explain(chose("m37")) is None


def test_numeric_requirement_picks_a_big_enough_motor(cfg):
    c = cfg.complete({}, requirements={"air_flow": (D(6), None)})
    assert set(c.selected) == {"m37", "basic", "basic_care"} and c.price.total == D("118000.00")
    assert c.attributes == {"air_flow": D("6.2"), "power": D(37)}
    v = cfg.valid_choices({}, requirements={"air_flow": (D(6), None), "power": (None, D(50))})
    assert v.states["m22"] is OptionState.impossible and v.states["m55"] is OptionState.impossible
    assert v.states["m37"] is OptionState.required


def test_numeric_requirement_conflict_names_the_requirement(cfg):
    # one motor only (group), the customer chose 22 kW, and 22 kW gives 3.6 m3/min < 6
    c = cfg.explain(chose("m22"), requirements={"air_flow": (6, None)})
    assert {(i.kind.value, i.code) for i in c.items} == {
        ("group", "motor"),
        ("choice", "m22"),
        ("requirement", "air_flow"),
    }
    assert "客户要求排气量不低于 6 m³/min" in c.message("zh")
    assert "customer requires air flow at least 6 m³/min" in c.message("en")


def test_invalid_offerings_and_queries_are_refused(cfg):
    with pytest.raises(OfferingInvalid, match="more than two decimal places"):
        Offering("x", "x", "x", D("1.001"), (OptionGroup("g", "g", "g", (Option("a", "a", "a"),)),))
    with pytest.raises(OfferingInvalid, match="unknown options"):
        Offering(
            "x", "x", "x", D(1), (OptionGroup("g", "g", "g", (Option("a", "a", "a"),)),), (Requires("r", "a", ("b",)),)
        )
    with pytest.raises(OfferingInvalid, match="used twice"):
        Offering("x", "x", "x", D(1), (OptionGroup("g", "g", "g", (Option("a", "a", "a"), Option("a", "b", "b"))),))
    with pytest.raises(OfferingInvalid, match="unknown options"):
        cfg.validate({"nope": True})
    with pytest.raises(OfferingInvalid, match="unknown attribute"):
        cfg.validate({}, requirements={"noise": (None, 70)})
    with pytest.raises(OfferingInvalid, match="decimals"):
        cfg.validate({}, requirements={"air_flow": (D("6.0001"), None)})


# ---- random offerings against brute-force enumeration -------------------------------------------


def random_offering(rng: random.Random, n_groups: int = 4) -> Offering:
    groups, codes = [], []
    for g in range(n_groups):
        n = rng.randint(2, 3)
        opts = tuple(Option(f"g{g}o{i}", f"选项{g}-{i}", f"option {g}-{i}", D(rng.randint(0, 50))) for i in range(n))
        codes += [o.code for o in opts]
        lo, hi = rng.choice([(1, 1), (0, 1), (0, n), (1, 2)])
        groups.append(OptionGroup(f"g{g}", f"组{g}", f"group {g}", opts, lo, hi))
    single = [g for g in groups if g.single]
    weight = Attribute("w", "重量", "weight", "kg", {c: D(rng.randint(-2, 6)) for c in codes}, D(rng.randint(0, 3)))
    rules = []
    for k in range(rng.randint(3, 7)):
        kind = rng.choice(["requires", "excludes", "atmost", "atleast", "table", "bound"])
        when = tuple(rng.sample(codes, 1)) if rng.random() < 0.3 else ()
        a = rng.choice(codes)
        others = tuple(rng.sample([c for c in codes if c != a], rng.randint(1, 2)))
        if kind == "requires":
            rules.append(Requires(f"r{k}", a, others, when))
        elif kind == "excludes":
            rules.append(Excludes(f"r{k}", a, others, when))
        elif kind == "bound":
            lo = D(rng.randint(0, 6)) if rng.random() < 0.6 else None
            hi = D(rng.randint(6, 14)) if lo is None or rng.random() < 0.5 else None
            rules.append(Bound(f"r{k}", "w", lo, hi, when))
        elif kind in ("atmost", "atleast"):
            opts = tuple(rng.sample(codes, 3))
            cls = AtMost if kind == "atmost" else AtLeast
            rules.append(cls(f"r{k}", rng.randint(0, 2) if cls is AtMost else rng.randint(1, 2), opts, when))
        elif len(single) >= 2:
            ga, gb = rng.sample(single, 2)
            combos = list(itertools.product([o.code for o in ga.options], [o.code for o in gb.options]))
            rules.append(
                Compatibility(f"r{k}", (ga.code, gb.code), tuple(rng.sample(combos, len(combos) // 2 + 1)), when)
            )
    return Offering("rnd", "随机", "random", D(0), tuple(groups), tuple(rules), attributes=(weight,))


def weight_of(off: Offering, sel) -> D:
    a = off.attribute("w")
    return a.base + sum((v for c, v in a.values.items() if c in sel), D(0))


def random_requirement(rng: random.Random):
    if rng.random() < 0.5:
        return None
    return {"w": (D(rng.randint(0, 8)), None) if rng.random() < 0.5 else (None, D(rng.randint(3, 12)))}


def holds(off: Offering, item, sel: frozenset[str], requirements=None) -> bool:
    """Whether one group bound, rule or choice holds for a full selection (independent checker)."""
    if item.kind is ItemKind.choice:
        return (item.code in sel) == item.selected
    if item.kind is ItemKind.requirement:
        low, high = requirements[item.code]
        w = weight_of(off, sel)
        return (low is None or w >= low) and (high is None or w <= high)
    if item.kind is ItemKind.group:
        g = off.group(item.code)
        return g.min_choices <= sum(o.code in sel for o in g.options) <= g.max_choices
    r = next(r for r in off.rules if r.code == item.code)
    if not all(c in sel for c in r.when):
        return True
    if isinstance(r, Requires):
        return r.option not in sel or any(c in sel for c in r.any_of)
    if isinstance(r, Excludes):
        return r.option not in sel or not any(c in sel for c in r.others)
    if isinstance(r, AtMost):
        return sum(c in sel for c in r.options) <= r.k
    if isinstance(r, AtLeast):
        return sum(c in sel for c in r.options) >= r.k
    if isinstance(r, Bound):
        w = weight_of(off, sel)
        return (r.low is None or w >= r.low) and (r.high is None or w <= r.high)
    # a table: every combination of the chosen options of its groups is an allowed row
    picked = [[o.code for o in off.group(g).options if o.code in sel] for g in r.groups]
    return all(row in r.allowed for row in itertools.product(*picked))


def all_selections(off: Offering):
    codes = list(off.options)
    for bits in itertools.product((False, True), repeat=len(codes)):
        yield frozenset(c for c, b in zip(codes, bits, strict=True) if b)


def structural_items(cfg: Configurator):
    return cfg.items()


def choice_items(cfg: Configurator, choices, requirements=None):
    return cfg.items(choices, requirements)[len(cfg.items()) :]


@pytest.mark.parametrize("seed", range(15))
def test_valid_choices_match_brute_force_enumeration(seed):
    rng = random.Random(seed)
    off = random_offering(rng)
    cfg = Configurator(off)
    rules = structural_items(cfg)
    valid = [s for s in all_selections(off) if all(holds(off, it, s) for it in rules)]
    for _ in range(4):
        choices = {c: rng.random() < 0.4 for c in rng.sample(list(off.options), rng.randint(0, 3))}
        req = random_requirement(rng)
        reqs = choice_items(cfg, {}, req)
        completions = [
            s
            for s in valid
            if all((c in s) == v for c, v in choices.items()) and all(holds(off, it, s, req) for it in reqs)
        ]
        answer = cfg.valid_choices(choices, requirements=req)
        if not completions:
            assert answer.status is Status.conflict
            continue
        assert answer.states == cfg.valid_choices(choices, method="per_value", requirements=req).states
        for c, state in answer.states.items():
            seen = {c in s for s in completions}
            if c in choices:
                assert state is (OptionState.chosen if choices[c] else OptionState.ruled_out)
            else:
                expected = {
                    frozenset({True, False}): OptionState.open,
                    frozenset({True}): OptionState.required,
                    frozenset({False}): OptionState.impossible,
                }[frozenset(seen)]
                assert state is expected, (seed, choices, c)
        cheapest = min(sum((off.options[c].price for c in s), D(0)) for s in completions)
        assert cfg.complete(choices, requirements=req).price.total == cheapest


@pytest.mark.parametrize("seed", range(15))
def test_conflict_sets_are_infeasible_and_minimal_by_enumeration(seed):
    rng = random.Random(1000 + seed)
    off = random_offering(rng)
    cfg = Configurator(off)
    selections = list(all_selections(off))
    checked = 0
    for _ in range(30):
        choices = {c: rng.random() < 0.6 for c in rng.sample(list(off.options), rng.randint(2, 6))}
        req = random_requirement(rng)
        items = structural_items(cfg) + choice_items(cfg, choices, req)
        if any(all(holds(off, it, s, req) for it in items) for s in selections):
            assert cfg.validate(choices, req).status is Status.ok
            continue
        conflict = cfg.validate(choices, req).conflict
        core = list(conflict.items)
        assert core and set(core) <= set(items)
        assert not any(all(holds(off, it, s, req) for it in core) for s in selections)  # infeasible
        for drop in core:  # minimal: without any one item the rest can be satisfied
            rest = [it for it in core if it is not drop]
            assert any(all(holds(off, it, s, req) for it in rest) for s in selections), (seed, drop)
        checked += 1
        if checked == 3:
            break
