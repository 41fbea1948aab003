"""The carbon activities of the yearly sustainability form (framework node 1.3.3): one table row per
activity (a fuel burnt, electricity bought, a material or transport bought) with its quantity and
unit and the emission factor with its unit, gas, GWP and source, optionally a conversion (e.g. a
fuel's heating value in GJ/m3). Parsing only: no database, no HTTP.

Each filled row becomes an activity and its own emission factor (key ``F<row> <name>``); a blank row
is skipped. Every problem is collected with its row (a number that is not one, a field the API
contract refuses, a unit the carbon engine does not know or that does not match the factor's, e.g.
m3 of gas against a factor per GJ without a heating value), so the form shows every reason at once;
the units are checked by :func:`carbon.footprint` itself, row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from somp.modules.evaluation import carbon
from somp.modules.evaluation.schemas import ActivityIn, EmissionFactorIn

FIELDS = ("name", "scope", "category", "quantity", "unit", "factor", "factor_unit", "gas", "gwp", "source",
          "conversion_value", "conversion_unit")  # fmt: skip
NUMBERS = ("quantity", "factor", "gwp", "conversion_value")
FILLED = ("name", "quantity", "unit", "factor", "factor_unit", "category", "source", "gwp", "conversion_value",
          "conversion_unit")  # fmt: skip
MAX_ROWS = 100
BLANK_ROWS = 3


def rows_from_record(activities: Sequence[dict[str, Any]], factors: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The stored activities as form rows (text), each with the values of the factor it names."""
    by_key = {f["key"]: f for f in factors}

    def text(v: Any) -> str:
        return "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))

    rows = []
    for a in activities:
        f = by_key.get(a.get("factor"), {})
        rows.append({
            "name": text(a.get("name")), "scope": text(a.get("scope")), "category": text(a.get("category")),
            "quantity": text(a.get("quantity")), "unit": text(a.get("unit")), "factor": text(f.get("value")),
            "factor_unit": text(f.get("unit")), "gas": text(f.get("gas") or "CO2e"), "gwp": text(f.get("gwp")),
            "source": text(f.get("source")), "conversion_value": text(a.get("conversion_value")),
            "conversion_unit": text(a.get("conversion_unit")),
        })  # fmt: skip
    return rows


def parse_rows(get: Callable[[str], Any], count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Activities and factors (as the API's ``SustainabilityIn`` takes them) from the form fields
    ``act__<i>__<field>`` of ``count`` rows, and every problem found, each naming its row."""
    activities: list[dict[str, Any]] = []
    factors: list[dict[str, Any]] = []
    problems: list[str] = []
    if count > MAX_ROWS:
        return [], [], [f"at most {MAX_ROWS} activities"]
    for i in range(count):
        raw = {}
        for f in FIELDS:
            v = get(f"act__{i}__{f}")
            raw[f] = v.strip() if isinstance(v, str) else ""
        if not any(raw[f] for f in FILLED):
            continue
        label = f"activity {i + 1}" + (f" ({raw['name']})" if raw["name"] else "")
        row_problems: list[str] = []
        num: dict[str, float | None] = {}
        for f in NUMBERS:
            text = raw[f].replace(",", "")
            if not text:
                num[f] = None
                continue
            try:
                num[f] = float(text)
            except ValueError:
                row_problems.append(f"{label}: {f}: {raw[f]!r} is not a number")
        for f in ("quantity", "factor"):
            if f in num and num[f] is None:
                row_problems.append(f"{label}: {f}: required")
        if row_problems:
            problems += row_problems
            continue
        key = f"F{i + 1} {raw['name']}"[:80]
        scope = int(raw["scope"]) if raw["scope"].isdigit() else raw["scope"] or None
        act = {"name": raw["name"], "scope": scope, "quantity": num["quantity"], "unit": raw["unit"], "factor": key,
               "category": raw["category"], "conversion_value": num["conversion_value"],
               "conversion_unit": raw["conversion_unit"] or None}  # fmt: skip
        fac = {"key": key, "value": num["factor"], "unit": raw["factor_unit"], "source": raw["source"],
               "gas": raw["gas"] or "CO2e", "gwp": num["gwp"]}  # fmt: skip
        try:
            a_in = ActivityIn.model_validate(act)
        except ValidationError as e:
            row_problems += [f"{label}: {'.'.join(str(x) for x in err['loc']) or 'row'}: {err['msg']}"
                             for err in e.errors()]  # fmt: skip
        try:
            f_in = EmissionFactorIn.model_validate(fac)
        except ValidationError as e:
            row_problems += [f"{label}: {_factor_field(err['loc'])}: {err['msg']}" for err in e.errors()]
        if row_problems:
            problems += row_problems
            continue
        conversion = None if a_in.conversion_value is None else (a_in.conversion_value, a_in.conversion_unit or "")
        try:  # the carbon engine checks the units of this row (known, compatible with the factor's)
            carbon.footprint(
                [carbon.Activity(a_in.name, carbon.Scope(a_in.scope), a_in.quantity, a_in.unit, key, a_in.category,
                                 conversion)],
                [carbon.EmissionFactor(key, f_in.value, f_in.unit, f_in.source, f_in.gas, f_in.gwp)],
            )  # fmt: skip
        except carbon.CarbonInvalid as e:
            problems.append(f"{label}: {e}")
            continue
        activities.append(a_in.model_dump())
        factors.append(f_in.model_dump())
    return activities, factors, problems


def _factor_field(loc: tuple[Any, ...]) -> str:
    name = ".".join(str(x) for x in loc) or "factor"
    return {"value": "factor", "unit": "factor_unit"}.get(name, name)
