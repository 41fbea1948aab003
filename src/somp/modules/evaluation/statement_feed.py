"""Uploaded financial statements into the maturity system (framework nodes 1.3.1 and 1.3.2). Pure:
no database, no web framework.

An indicator whose source names a statement measure (``source.statement``, one of
:data:`.indicators.STATEMENT_MEASURES`) takes its value from the enterprise's statement of the
evaluation's year (:mod:`.enterprise_io` measures), marked "uploaded (statement YEAR)" with the file
name, sha256 and the figures the value comes from. A measure the statements cannot give (no statement
of the year, no previous year's for a growth rate, a zero denominator, no service value added) is
**missing** with the reason, never 0.

:func:`statement_value` is the whole rule; :func:`somp.modules.evaluation.service.compute` applies it
after the platform's own measurements, where a measured value always wins and a figure the
enterprise typed in itself is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from somp.modules.evaluation.indicators import STATEMENT_MEASURES

TO_10K = {"CNY": 1e-4, "10k CNY": 1.0}


@dataclass(frozen=True)
class StatementFacts:
    """One stored statement: its year, unit, validated items and computed measures (``Measures.to_dict``)."""

    year: int
    unit: str
    items: dict[str, float]
    measures: dict[str, Any]
    filename: str = ""
    sha256: str = ""

    def ref(self) -> dict[str, Any]:
        return {"year": self.year, "file": self.filename, "sha256": self.sha256}

    def in_10k(self, item: str) -> float:
        return float(self.items.get(item, 0.0)) * TO_10K[self.unit]


@dataclass(frozen=True)
class Fed:
    """A statement measure's value (``None``: missing, with ``why``) and where it comes from."""

    measure: str
    value: float | None
    label: str  # "uploaded (statement 2025)"
    detail: dict[str, Any] = field(default_factory=dict)
    why: str = ""


def _missing(measure: str, year: int, why: str) -> Fed:
    return Fed(measure, None, f"missing (statement {year})", {"statement": {"measure": measure, "why": why}}, why)


def statement_value(measure: str, year: int, current: StatementFacts | None,
                    previous: StatementFacts | None = None) -> Fed:  # fmt: skip
    """The value of ``measure`` for ``year`` from the statement of that year (``current``) and, for
    the growth rate, of the year before (``previous``)."""
    if measure not in STATEMENT_MEASURES:
        raise ValueError(f"unknown statement measure {measure!r}")
    if current is None or current.year != year:
        return _missing(measure, year, f"no financial statement uploaded for {year}")
    label = f"uploaded (statement {year})"
    m = current.measures
    if measure == "service_revenue_growth":
        if previous is None or previous.year != year - 1:
            return _missing(measure, year, f"no financial statement uploaded for {year - 1} to compare with")
        now, before = current.in_10k("service_revenue"), previous.in_10k("service_revenue")
        if before <= 0:
            return _missing(measure, year, f"no service revenue in the {year - 1} statement")
        label = f"uploaded (statements {year - 1} and {year})"
        detail = {"measure": measure, "numerator": now, "denominator": before, "unit": "10k CNY",
                  "formula": "service revenue / previous year's service revenue - 1",
                  "statements": [previous.ref(), current.ref()]}  # fmt: skip
        return Fed(measure, now / before - 1, label, {"statement": detail})
    key, numerator, denominator = {
        "service_revenue_share": ("service_revenue_share", "service_revenue", "operating_revenue"),
        "service_input_ratio": ("service_input_ratio", "service_inputs", "intermediate_inputs"),
        "service_value_added_share": ("service_value_added_share_of_revenue", "service_value_added",
                                      "operating_revenue"),
    }[measure]  # fmt: skip
    value = m.get(key)
    if value is None:
        why = (m.get("missing") or {}).get(key) or (m.get("missing") or {}).get(numerator) or f"{key} not computable"
        return _missing(measure, year, f"the {year} statement gives no {key}: {why}")
    items = {numerator: current.items.get(numerator, m.get(numerator)), denominator: m.get(denominator)}
    detail = {"measure": measure, "numerator": items[numerator], "denominator": items[denominator],
              "unit": current.unit, "statements": [current.ref()]}  # fmt: skip
    return Fed(measure, float(value), label, {"statement": detail})
