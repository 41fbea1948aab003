"""Carbon footprint, scopes 1, 2 and 3 (framework node 1.3.3, sustainability 可持续发展评价: the
environmental indicators). Pure: pint for units; no database, no web framework.

The footprint follows the GHG Protocol Corporate Standard's activity-data x emission-factor method:
each :class:`Activity` (a fuel burnt, electricity or heat bought, a material or transport bought) has a
quantity in some unit and names an :class:`EmissionFactor` the user supplies (value, unit, source,
gas). :func:`footprint` converts the activity quantity to the factor's denominator unit with pint
(kWh and MWh, t and kg, GJ and TJ...), refuses incompatible units with a clear error (a fuel in
cubic metres against a factor per GJ needs the fuel's heating value, given as ``conversion`` on the
activity), multiplies, turns non-CO2 gases into CO2e with the GWP given on the factor, and sums
per scope and per category, in tonnes CO2e.

Unit text: pint's names (``kWh``, ``MWh``, ``GJ``, ``t``, ``kg``, ``L``, ``m^3``, ``km``, ``t*km``) plus
``m3``/``Nm3`` (cubic metre), ``scf`` (standard cubic foot), ``MMBtu``/``mmBtu``, ``tce`` (tonne of
coal equivalent, 吨标准煤, 29.3076 GJ) and ``tkm`` (tonne-kilometre). A gas tag in a factor's
numerator (``kgCO2e/kWh``, ``t CO2 / MWh``, ``kg CH4/mmBtu``) is removed before parsing: the gas
is the factor's ``gas`` field.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pint

GASES = ("CO2e", "CO2", "CH4", "N2O", "HFCs", "PFCs", "SF6", "NF3")


class Scope(enum.IntEnum):
    direct = 1  # scope 1: owned or controlled sources (fuel burnt, process, refrigerants)
    energy = 2  # scope 2: purchased electricity, heat, steam, cooling
    value_chain = 3  # scope 3: purchased goods, transport, waste, business travel...


class CarbonInvalid(ValueError):
    """Input the footprint cannot use; ``code`` is stable, ``params`` name the activity and units."""

    def __init__(self, message: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    u = pint.UnitRegistry()
    u.define("standard_cubic_foot = foot ** 3 = scf")
    u.define("MMBtu = 1e6 * Btu = mmBtu")
    u.define("tonne_of_coal_equivalent = 29.3076 * gigajoule = tce")
    u.define("tonne_kilometre = metric_ton * kilometer = tkm")
    return u


_GAS_TAG = re.compile(r"\s*(CO2e|CO2eq|CO2-eq|CO₂e|CO2|CO₂|CH4|N2O|HFCs|PFCs|SF6|NF3)\b")
_CUBIC = re.compile(r"\b[NS]?m([23])\b")


def parse_unit(text: str) -> pint.Unit:
    """A pint unit from user text (see the module docstring); CarbonInvalid when unknown."""
    cleaned = _CUBIC.sub(r"m**\1", _GAS_TAG.sub(" ", text)).strip()
    try:
        return registry().parse_units(cleaned)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError,
            ValueError, SyntaxError) as e:
        raise CarbonInvalid(f"unknown unit {text!r}", "unknown_unit", {"unit": text}) from e


@dataclass(frozen=True)
class EmissionFactor:
    """Emissions per unit of activity, e.g. 0.5703 t CO2/MWh. ``unit`` is emitted mass per activity unit;
    a non-CO2 ``gas`` needs its ``gwp`` (100-year global warming potential, from the IPCC assessment
    report the user reports under)."""

    key: str
    value: float
    unit: str
    source: str = ""
    gas: str = "CO2e"
    gwp: float | None = None

    def mass_and_denominator(self) -> tuple[pint.Quantity, pint.Unit]:
        """The emitted mass per one activity unit, and that activity unit (``kg CO2/mmBtu`` ->
        (53.06 kg, mmBtu)); the text before the first ``/`` must be a mass."""
        u = registry()
        unit = parse_unit(self.unit)
        numerator = parse_unit(self.unit.split("/", 1)[0])
        if u.Quantity(1, numerator).dimensionality != u.Quantity(1, "kg").dimensionality:
            raise CarbonInvalid(f"factor {self.key!r}: unit {self.unit!r} is not a mass per activity unit",
                                "bad_factor_unit", {"factor": self.key, "unit": self.unit})
        # the activity unit is what remains of the factor's unit once its mass is divided out
        per_one = (u.Quantity(1, numerator) / u.Quantity(1, unit)).to_reduced_units()
        denominator = per_one.units
        mass = (u.Quantity(self.value, unit) * u.Quantity(1, denominator)).to("kg")
        return mass, denominator


@dataclass(frozen=True)
class Activity:
    """A quantity of activity in one scope. ``conversion`` is an optional factor between the activity's
    unit and the emission factor's (e.g. a heating value (0.001026, "mmBtu/scf") or (0.0389, "GJ/m3")
    written as value and unit)."""

    name: str
    scope: Scope
    quantity: float
    unit: str
    factor: str  # key of an EmissionFactor
    category: str = ""  # e.g. "stationary combustion", "purchased electricity", "3.1 purchased goods"
    conversion: tuple[float, str] | None = None


@dataclass(frozen=True)
class LineResult:
    activity: str
    scope: Scope
    category: str
    quantity_in_factor_unit: float
    factor_unit: str
    gas: str
    gas_mass_kg: float
    co2e_t: float


@dataclass(frozen=True)
class Footprint:
    lines: list[LineResult]
    by_scope: dict[int, float]  # t CO2e; every scope present (0.0 when it has no activities)
    by_category: dict[str, float] = field(default_factory=dict)

    @property
    def total_t(self) -> float:
        return sum(self.by_scope.values())

    def intensity(self, denominator: float, unit: str = "10k CNY") -> dict[str, float | str]:
        """t CO2e per unit of output or revenue (e.g. per 10,000 CNY of revenue: 万元产值碳排放)."""
        if denominator <= 0:
            raise CarbonInvalid("intensity needs a positive denominator", "bad_denominator")
        return {"t_co2e_per_unit": self.total_t / denominator, "unit": unit}


def _line(act: Activity, factors: Mapping[str, EmissionFactor]) -> LineResult:
    u = registry()
    if act.factor not in factors:
        raise CarbonInvalid(f"activity {act.name!r} names unknown emission factor {act.factor!r}", "unknown_factor",
                            {"activity": act.name, "factor": act.factor})
    f = factors[act.factor]
    if act.quantity < 0 or f.value < 0:
        raise CarbonInvalid(f"activity {act.name!r}: quantities and factors must be non-negative", "negative",
                            {"activity": act.name})
    if f.gas not in GASES:
        raise CarbonInvalid(f"factor {f.key!r}: unknown gas {f.gas!r} ({', '.join(GASES)})", "unknown_gas")
    if f.gas not in ("CO2e", "CO2") and f.gwp is None:
        raise CarbonInvalid(f"factor {f.key!r} is for {f.gas}: give its GWP to convert to CO2e", "gwp_missing",
                            {"factor": f.key, "gas": f.gas})
    per, denominator = f.mass_and_denominator()
    q = u.Quantity(act.quantity, parse_unit(act.unit))
    if act.conversion is not None:
        q = q * u.Quantity(act.conversion[0], parse_unit(act.conversion[1]))
    try:
        amount = q.to(denominator)
    except pint.errors.DimensionalityError as e:
        raise CarbonInvalid(
            f"activity {act.name!r} is in {act.unit} but factor {f.key!r} is per {denominator:~}: the units are "
            f"not compatible" + ("" if act.conversion else " (give a conversion, e.g. the fuel's heating value)"),
            "incompatible_units", {"activity": act.name, "unit": act.unit, "factor": f.key,
                                   "factor_unit": f.unit},
        ) from e
    mass = amount.magnitude * per.to("kg").magnitude
    gwp = 1.0 if f.gas in ("CO2e", "CO2") else float(f.gwp)
    return LineResult(act.name, Scope(act.scope), act.category, float(amount.magnitude), f"{denominator:~}", f.gas,
                      float(mass), float(mass) * gwp / 1000.0)


def footprint(activities: Sequence[Activity], factors: Sequence[EmissionFactor] | Mapping[str, EmissionFactor]
              ) -> Footprint:
    """The scope 1/2/3 footprint of ``activities`` with the user's ``factors`` (t CO2e)."""
    table = dict(factors) if isinstance(factors, Mapping) else {f.key: f for f in factors}
    if not isinstance(factors, Mapping) and len(table) != len(factors):
        raise CarbonInvalid("emission factor keys repeat", "duplicate_factor")
    lines = [_line(a, table) for a in activities]
    by_scope = {s.value: 0.0 for s in Scope}
    by_category: dict[str, float] = {}
    for ln in lines:
        by_scope[ln.scope.value] += ln.co2e_t
        key = ln.category or f"scope {ln.scope.value}"
        by_category[key] = by_category.get(key, 0.0) + ln.co2e_t
    return Footprint(lines, by_scope, by_category)
