"""Offering configurator on OR-Tools CP-SAT (framework nodes 3.2 customised services / C2M and 2.1.2
product-service combination design). Pure: no database, no web framework.

:class:`Configurator` compiles an :class:`~somp.modules.customization.offering.Offering` once into a
CP-SAT model: one Boolean per option; every group bound and every rule (numeric ``Bound`` s
included) is a constraint enforced by its own *switch* literal (plus the rule's ``when`` options);
one Boolean per price effect, equal to the AND of its conditions. Two copies are kept: switches
fixed on (for queries) and switches free (for explanations). A query clones the first, fixes the
customer's choices, posts the customer's numeric requirements and solves with one worker, so the
offering is never recompiled:

* :meth:`Configurator.validate` — can the partial configuration still be completed?
* :meth:`Configurator.complete` — the cheapest completion, or the preferred one (maximum preference
  weight, then cheapest), with its price and attribute values;
* :meth:`Configurator.valid_choices` — for every option not fixed by the customer, whether it can
  still be chosen and whether it can still be left out. Solution-guided: every solution found
  proves the values it takes; the next solve requires at least one value not yet proven and hints
  all of them, until that solve is infeasible (the values left are impossible). A handful of
  solves instead of one per (option, value) (``method="per_value"``, the baseline of
  benchmarks/configurator.py);
* :meth:`Configurator.explain` — when the choices cannot all hold, a *minimal* conflicting set of
  group bounds, rules, choices and requirements: the switches and choices are solved as
  assumptions and CP-SAT's ``sufficient_assumptions_for_infeasibility`` gives an unsatisfiable core;
  a deletion filter on a small model of the core's constraints then drops every item whose removal
  keeps the rest infeasible. Removing any one item of the result makes the rest satisfiable.

Prices in the solver are integers in fen (0.01 CNY); the reported prices are recomputed with
``Decimal`` by :func:`~somp.modules.customization.offering.price`. Measured figures: docs/pss.md.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ortools.sat.python import cp_model

from somp.modules.customization.offering import (
    ATTRIBUTE_PLACES,
    FEN,
    AtLeast,
    AtMost,
    Bound,
    Compatibility,
    Excludes,
    Offering,
    OfferingInvalid,
    OptionGroup,
    PriceBreakdown,
    Requires,
    Rule,
    attribute_values,
    check_bound,
    compatibility_forbidden,
    describe_bound,
    describe_choice,
    describe_group,
    describe_rule,
    price,
)

Choices = Mapping[str, bool]  # option code -> chosen (True) or ruled out (False) by the customer
Requirements = Mapping[str, tuple]  # attribute code -> (low or None, high or None), Decimal-like


class Status(enum.StrEnum):
    ok = "ok"
    conflict = "conflict"


class Objective(enum.StrEnum):
    cheapest = "cheapest"
    preferred = "preferred"


class OptionState(enum.StrEnum):
    chosen = "chosen"  # chosen by the customer
    ruled_out = "ruled_out"  # ruled out by the customer
    required = "required"  # not chosen yet, but every completion includes it
    impossible = "impossible"  # no completion includes it
    open = "open"  # can be chosen or left out


class ItemKind(enum.StrEnum):
    rule = "rule"
    group = "group"
    choice = "choice"
    requirement = "requirement"  # a customer's numeric requirement (code: the attribute)


@dataclass(frozen=True)
class ConflictItem:
    kind: ItemKind
    code: str  # rule or group code, or the option code of a choice
    message_zh: str
    message_en: str
    selected: bool | None = None  # for a choice: chosen (True) or ruled out (False)


@dataclass(frozen=True)
class Conflict:
    items: tuple[ConflictItem, ...]

    def message(self, lang: str = "zh") -> str:
        head = "以下条件不能同时满足：" if lang == "zh" else "These cannot all hold: "
        sep = "；" if lang == "zh" else "; "
        return head + sep.join(i.message_zh if lang == "zh" else i.message_en for i in self.items)


@dataclass(frozen=True)
class Validation:
    status: Status
    conflict: Conflict | None = None


@dataclass(frozen=True)
class Completion:
    status: Status
    selected: tuple[str, ...] = ()  # option codes, in the offering's order
    price: PriceBreakdown | None = None
    conflict: Conflict | None = None
    attributes: dict[str, Decimal] | None = None  # numeric attributes of the completion


@dataclass(frozen=True)
class ValidChoices:
    status: Status
    states: dict[str, OptionState]  # every option of the offering (empty on conflict)
    solves: int  # CP-SAT solves this answer took
    conflict: Conflict | None = None

    def choosable(self) -> set[str]:
        """Options that some completion includes."""
        return {c for c, s in self.states.items() if s in (OptionState.chosen, OptionState.required, OptionState.open)}


class Configurator:
    """An offering compiled into a CP-SAT model once, answering many queries."""

    def __init__(self, offering: Offering):
        self.offering = offering
        m = cp_model.CpModel()
        self._x = {c: m.new_bool_var(c) for c in offering.options}
        # switches: (literal, item) for every group bound and rule, assumed true in every query;
        # _sources: the group or rule behind each switch, to rebuild a small model of a conflict
        self._switches: list[tuple[cp_model.IntVar, ConflictItem]] = []
        self._sources: list[OptionGroup | Rule] = []
        for g in offering.groups:
            on = m.new_bool_var(f"group:{g.code}")
            _post(m, self._x, offering, g, on)
            item = ConflictItem(ItemKind.group, g.code, describe_group(g, "zh"), describe_group(g, "en"))
            self._switches.append((on, item))
            self._sources.append(g)
        for r in offering.rules:
            on = m.new_bool_var(f"rule:{r.code}")
            _post(m, self._x, offering, r, on)
            item = ConflictItem(
                ItemKind.rule, r.code, describe_rule(offering, r, "zh"), describe_rule(offering, r, "en")
            )
            self._switches.append((on, item))
            self._sources.append(r)
        # price: integers in fen; a price effect's literal is the AND of its conditions
        self._price_terms: list[tuple[int, cp_model.IntVar]] = [
            (_fen(o.price), self._x[c]) for c, o in offering.options.items() if o.price
        ]
        for p in offering.price_effects:
            e = m.new_bool_var(f"price:{p.code}")
            conds = [self._x[c] for c in p.when]
            m.add_bool_and(conds).only_enforce_if(e)
            m.add_bool_or([~c for c in conds] + [e])
            self._price_terms.append((_fen(p.amount), e))
        self._model = m  # switches free: for conflict explanations
        self._hard = m.clone()  # switches on: every group bound and rule holds
        self._hard.add_bool_and([on for on, _ in self._switches])

    # ---- queries --------------------------------------------------------------------------------

    def validate(self, choices: Choices, requirements: Requirements | None = None) -> Validation:
        """Whether the choices (and numeric requirements) can be completed into a valid
        configuration; if not, why (a minimal conflicting set)."""
        lits, reqs = self._choice_literals(choices), self._requirements(requirements)
        if self._solve([lit for lit, _ in lits], reqs=reqs) is not None:
            return Validation(Status.ok)
        return Validation(Status.conflict, self._minimal_conflict(lits, reqs))

    def explain(self, choices: Choices, requirements: Requirements | None = None) -> Conflict | None:
        """A minimal conflicting set of rules, group bounds, choices and requirements, or None."""
        return self.validate(choices, requirements).conflict

    def complete(
        self,
        choices: Choices,
        objective: Objective = Objective.cheapest,
        preferences: Mapping[str, int] | None = None,
        requirements: Requirements | None = None,
    ) -> Completion:
        """The cheapest completion, or with ``Objective.preferred`` the one with the highest total
        preference weight (``preferences``: option code -> integer weight), cheapest among those."""
        lits, reqs = self._choice_literals(choices), self._requirements(requirements)
        price_fen = sum(a * v for a, v in self._price_terms)
        if objective is Objective.preferred:
            weights = dict(preferences or {})
            unknown = weights.keys() - self.offering.options.keys()
            if unknown:
                raise OfferingInvalid(f"preferences name unknown options {sorted(unknown)}")
            big = sum(abs(a) for a, _ in self._price_terms) + 1
            goal = big * sum(w * self._x[c] for c, w in weights.items()) - price_fen
            solver = self._solve([lit for lit, _ in lits], maximize=goal, reqs=reqs)
        else:
            solver = self._solve([lit for lit, _ in lits], minimize=price_fen, reqs=reqs)
        if solver is None:
            return Completion(Status.conflict, conflict=self._minimal_conflict(lits, reqs))
        selected = tuple(c for c, v in self._x.items() if solver.boolean_value(v))
        return Completion(
            Status.ok, selected, price(self.offering, selected), attributes=attribute_values(self.offering, selected)
        )

    def price(self, selected: Iterable[str]) -> PriceBreakdown:
        return price(self.offering, selected)

    def items(self, choices: Choices | None = None, requirements: Requirements | None = None) -> list[ConflictItem]:
        """Every item a conflict can name for this query: group bounds, rules, then the choices and
        requirements (what an explanation is drawn from)."""
        return [
            *(item for _, item in self._switches),
            *(item for _, item in self._choice_literals(choices or {})),
            *(item for _, item in self._requirements(requirements)),
        ]

    def valid_choices(
        self, choices: Choices, method: str = "guided", requirements: Requirements | None = None
    ) -> ValidChoices:
        """For each option, whether it is still possible to choose it and to leave it out.

        ``method="guided"`` (default) finds solutions that cover values not yet seen;
        ``method="per_value"`` is the naive baseline: one feasibility solve per (option, value)."""
        lits, reqs = self._choice_literals(choices), self._requirements(requirements)
        base = [lit for lit, _ in lits]
        fixed = {c: bool(v) for c, v in choices.items()}
        open_codes = [c for c in self._x if c not in fixed]
        can: dict[str, set[bool]] = {c: set() for c in open_codes}
        solves = 0
        if method == "per_value":
            solves += 1
            if self._solve(base, reqs=reqs) is None:
                return ValidChoices(Status.conflict, {}, solves, self._minimal_conflict(lits, reqs))
            for c in open_codes:
                for value in (True, False):
                    solves += 1
                    if self._solve([*base, self._x[c] if value else ~self._x[c]], reqs=reqs) is not None:
                        can[c].add(value)
        elif method == "guided":
            need = None
            while True:
                solves += 1
                solver = self._solve(base, need=need, reqs=reqs)
                if solver is None:
                    if need is None:
                        return ValidChoices(Status.conflict, {}, solves, self._minimal_conflict(lits, reqs))
                    break  # no solution reaches any of the values not yet seen: they are impossible
                for c in open_codes:
                    can[c].add(bool(solver.boolean_value(self._x[c])))
                need = [(self._x[c], True not in can[c]) for c in open_codes if len(can[c]) == 1]
                if not need:
                    break
        else:
            raise ValueError(f"unknown method {method!r}")
        states = {}
        for c in self._x:
            if c in fixed:
                states[c] = OptionState.chosen if fixed[c] else OptionState.ruled_out
            else:
                states[c] = {
                    frozenset({True, False}): OptionState.open,
                    frozenset({True}): OptionState.required,
                    frozenset({False}): OptionState.impossible,
                }[frozenset(can[c])]
        return ValidChoices(Status.ok, states, solves)

    # ---- internals ------------------------------------------------------------------------------

    def _choice_literals(self, choices: Choices) -> list[tuple[cp_model.IntVar, ConflictItem]]:
        unknown = [c for c in choices if c not in self._x]
        if unknown:
            raise OfferingInvalid(f"unknown options {unknown}")
        out = []
        for c, v in choices.items():
            item = ConflictItem(
                ItemKind.choice,
                c,
                describe_choice(self.offering, c, bool(v), "zh"),
                describe_choice(self.offering, c, bool(v), "en"),
                selected=bool(v),
            )
            out.append((self._x[c] if v else ~self._x[c], item))
        return out

    def _requirements(self, requirements: Requirements | None) -> list[tuple[Bound, ConflictItem]]:
        out = []
        for code, (low, high) in (requirements or {}).items():
            low = None if low is None else Decimal(low)
            high = None if high is None else Decimal(high)
            bound = Bound(f"requirement:{code}", code, low, high)
            check_bound(self.offering, bound)
            zh = "客户要求" + describe_bound(self.offering, code, low, high, "zh")
            en = "customer requires " + describe_bound(self.offering, code, low, high, "en")
            out.append((bound, ConflictItem(ItemKind.requirement, code, zh, en)))
        return out

    def _solve(self, fixed, minimize=None, maximize=None, need=None, reqs=()) -> cp_model.CpSolver | None:
        """Solve a copy of the compiled model (every group bound and rule on) with the literals
        ``fixed`` true and the requirements ``reqs`` posted; None when infeasible.

        ``need``: (variable, value) pairs of which at least one must hold (all hinted)."""
        m = _copy(self._hard)
        if fixed:
            m.add_bool_and(fixed)
        for bound, _ in reqs:
            _post(m, self._x, self.offering, bound, None)
        if need:
            m.add_bool_or([v if value else ~v for v, value in need])
            for v, value in need:
                m.add_hint(v, value)
        if minimize is not None:
            m.minimize(minimize)
        elif maximize is not None:
            m.maximize(maximize)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        # measured on benchmarks/configurator.py: presolve costs more than it saves on one query
        solver.parameters.cp_model_presolve = minimize is not None or maximize is not None
        status = solver.solve(m)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return solver
        if status == cp_model.INFEASIBLE:
            return None
        raise RuntimeError(f"CP-SAT returned {solver.status_name(status)}")  # pragma: no cover

    def _minimal_conflict(self, choice_lits, reqs=()) -> Conflict:
        m = self._model.clone() if reqs else _copy(self._model)  # a clone can take new variables
        req_lits = []
        for k, (bound, item) in enumerate(reqs):
            on = m.new_bool_var(f"requirement:{k}")
            _post(m, self._x, self.offering, bound, on)
            req_lits.append((on, item))
        items = self._switches + choice_lits + req_lits
        sources = [*self._sources, *([None] * len(choice_lits)), *(b for b, _ in reqs)]
        by_index = {lit.index: k for k, (lit, _) in enumerate(items)}
        core = list(range(len(items)))
        # an unsatisfiable core from the assumptions (sequential search only: one worker)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        m.add_assumptions([lit for lit, _ in items])
        if solver.solve(m) == cp_model.INFEASIBLE:
            core = sorted(by_index[i] for i in solver.sufficient_assumptions_for_infeasibility())
        # deletion filter on a small model holding only the core's groups and rules, each behind
        # its own switch: an item whose removal keeps the rest infeasible is not needed; an
        # infeasible trial's own core may drop several items at once
        small = cp_model.CpModel()
        x = _LazyVars(small)  # only the options the core mentions
        lit_of: dict[int, cp_model.IntVar] = {}
        for k in core:
            if sources[k] is not None:
                lit_of[k] = small.new_bool_var(f"on:{k}")
                _post(small, x, self.offering, sources[k], lit_of[k])
            else:
                item = items[k][1]
                lit_of[k] = x[item.code] if item.selected else ~x[item.code]
        back = {lit.index: k for k, lit in lit_of.items()}
        solver.parameters.cp_model_presolve = False
        i = 0
        while i < len(core):
            trial = core[:i] + core[i + 1 :]
            trial_model = _copy(small)
            trial_model.add_assumptions([lit_of[k] for k in trial])
            if solver.solve(trial_model) == cp_model.INFEASIBLE:
                keep = {back[j] for j in solver.sufficient_assumptions_for_infeasibility()}
                core = [k for k in trial if k in keep] if keep else trial
            else:
                i += 1
        return Conflict(tuple(items[k][1] for k in sorted(core)))


def _copy(model: cp_model.CpModel) -> cp_model.CpModel:
    """A copy of the model's protobuf for one solve: constraints, hints and assumptions can be
    added (variables are referred to by index), new variables cannot. ``CpModel.clone`` also
    rebuilds a Python object per variable, which costs more than the solve here (measured)."""
    m = cp_model.CpModel()
    m.proto.CopyFrom(model.proto)
    return m


class _LazyVars(dict):
    def __init__(self, model: cp_model.CpModel):
        super().__init__()
        self.model = model

    def __missing__(self, code: str):
        self[code] = var = self.model.new_bool_var(code)
        return var


def _post(m: cp_model.CpModel, x: Mapping, offering: Offering, source, on) -> None:
    """Add the constraints of one option group or rule to ``m``, enforced by the literal ``on``
    (None: unconditionally, but for the rule's ``when``)."""
    if isinstance(source, OptionGroup):
        lits = [x[o.code] for o in source.options]
        m.add_linear_constraint(sum(lits), source.min_choices, source.max_choices).only_enforce_if(on)
        return
    r = source
    enforce = [*([on] if on is not None else []), *(x[c] for c in r.when)]
    if isinstance(r, Requires):
        m.add_bool_or([x[c] for c in r.any_of]).only_enforce_if([*enforce, x[r.option]])
    elif isinstance(r, Excludes):
        m.add_bool_and([~x[c] for c in r.others]).only_enforce_if([*enforce, x[r.option]])
    elif isinstance(r, AtMost):
        m.add(sum(x[c] for c in r.options) <= r.k).only_enforce_if(enforce)
    elif isinstance(r, AtLeast):
        m.add(sum(x[c] for c in r.options) >= r.k).only_enforce_if(enforce)
    elif isinstance(r, Bound):
        a = offering.attribute(r.attribute)
        scale = 10**ATTRIBUTE_PLACES
        expr = sum(int(v * scale) * x[c] for c, v in a.values.items())
        low = -(2**62) if r.low is None else int((r.low - a.base) * scale)
        high = 2**62 if r.high is None else int((r.high - a.base) * scale)
        ct = m.add_linear_constraint(expr, low, high)
        if enforce:
            ct.only_enforce_if(enforce)
    elif isinstance(r, Compatibility):
        # one clause per forbidden combination: a table constraint cannot take enforcement
        # literals, and the tables of an offering are small
        for row in compatibility_forbidden(offering, r):
            m.add_bool_or([~x[c] for c in row]).only_enforce_if(enforce)


def _fen(amount) -> int:
    return int((amount / FEN).to_integral_value())
