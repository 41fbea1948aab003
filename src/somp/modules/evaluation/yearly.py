"""An enterprise's yearly evaluation data: financial statements with the enterprise-level
input-output measures (framework node 1.3.2) and sustainability records with the carbon footprint
and ESG indicators (1.3.3). Each is stored whole per enterprise and year, or refused with every
reason; the engines are :mod:`.enterprise_io`, :mod:`.sustainability` and :mod:`.carbon`.

The enterprise (tenant scope) writes its own; the evaluator reads every enterprise's (read-only
view). Values that are not reported stay missing, never 0.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.errors import FieldError, ValidationFailed, not_found
from somp.core.service import check_version
from somp.modules.evaluation import enterprise_io as eio
from somp.modules.evaluation import sustainability as su
from somp.modules.evaluation.models import FinancialStatement, SustainabilityRecord
from somp.modules.evaluation.schemas_reports import SustainabilityIn

MAX_STATEMENT_BYTES = 5 * 1024 * 1024
TO_10K = {"CNY": 1e-4, "10k CNY": 1.0}


# ---- financial statements (1.3.2) ------------------------------------------------------------------


def save_statement(session: Session, *, year: int, unit: str, filename: str, data: bytes, user_id: int | None
                   ) -> FinancialStatement:  # fmt: skip
    """Validate an uploaded statement (.csv or .xlsx), compute its measures and store it as the
    enterprise's statement of ``year`` (replacing an earlier one whole). Every problem is a field
    error of ``file`` (with its row number where it has one)."""
    name = (filename or "").lower()
    fmt = "xlsx" if name.endswith(".xlsx") else "csv" if name.endswith(".csv") else None
    if fmt is None:
        raise ValidationFailed("unknown file format", [FieldError("file", "upload .csv or .xlsx", "unknown_format")])
    if len(data) > MAX_STATEMENT_BYTES:
        too_large = FieldError("file", f"at most {MAX_STATEMENT_BYTES} bytes", "too_large")
        raise ValidationFailed("file too large", [too_large])
    try:
        statement = eio.read_statement(data, fmt, unit)
        measures = eio.measure(statement)
    except eio.StatementInvalid as e:
        raise ValidationFailed(
            "the financial statement was refused",
            [FieldError("file", m, e.code, row=_row(m)) for m in e.errors],
        ) from None
    row = session.scalar(select(FinancialStatement).where(FinancialStatement.year == year))
    if row is None:
        row = FinancialStatement(year=year)
        session.add(row)
    row.unit, row.items, row.filename = statement.unit, dict(statement.items), filename[:200]
    row.sha256 = hashlib.sha256(data).hexdigest()
    row.result = measures.to_dict()
    row.uploaded_by = user_id
    session.flush()
    return row


def _row(message: str) -> int | None:
    if message.startswith("row "):
        head = message[4:].split(":", 1)[0]
        return int(head) if head.isdigit() else None
    return None


def list_statements(session: Session, year: int | None = None) -> list[FinancialStatement]:
    stmt = select(FinancialStatement).order_by(FinancialStatement.tenant_id, FinancialStatement.year)
    if year is not None:
        stmt = stmt.where(FinancialStatement.year == year)
    return list(session.scalars(stmt).all())


def get_statement(session: Session, statement_id: int) -> FinancialStatement:
    row = session.get(FinancialStatement, statement_id)
    if row is None:
        raise not_found("financial statement", statement_id)
    return row


def statement_of(session: Session, tenant_id: int, year: int) -> FinancialStatement | None:
    return session.scalar(
        select(FinancialStatement).where(FinancialStatement.tenant_id == tenant_id, FinancialStatement.year == year)
    )


# ---- sustainability (1.3.3) ------------------------------------------------------------------------


def _footprint(data: SustainabilityIn) -> dict[str, Any] | None:
    from somp.modules.evaluation.carbon import Activity, CarbonInvalid, EmissionFactor, Scope, footprint

    if not data.activities:
        return None
    try:
        fp = footprint(
            [Activity(a.name, Scope(a.scope), a.quantity, a.unit, a.factor, a.category,
                      None if a.conversion_value is None else (a.conversion_value, a.conversion_unit))
             for a in data.activities],
            [EmissionFactor(f.key, f.value, f.unit, f.source, f.gas, f.gwp) for f in data.factors],
        )  # fmt: skip
    except CarbonInvalid as e:
        raise ValidationFailed(str(e), [FieldError("activities", str(e), e.code, params=e.params or None)]) from None
    sources = {f.key: f.source for f in data.factors}
    factor_of = {a.name: a.factor for a in data.activities}
    return {
        "lines": [{"activity": ln.activity, "scope": int(ln.scope), "category": ln.category, "gas": ln.gas,
                   "quantity_in_factor_unit": ln.quantity_in_factor_unit, "factor_unit": ln.factor_unit,
                   "co2e_t": ln.co2e_t, "factor_source": sources.get(factor_of.get(ln.activity, ""), "")}
                  for ln in fp.lines],
        "by_scope": {str(k): v for k, v in fp.by_scope.items()},
        "by_category": fp.by_category,
        "total_t": fp.total_t,
    }  # fmt: skip


def save_sustainability(session: Session, tenant_id: int, data: SustainabilityIn, user_id: int | None
                        ) -> SustainabilityRecord:  # fmt: skip
    """Validate the figures, compute the footprint and the indicators, score E/S/G and store the
    year's record whole (replacing an earlier one; ``version`` detects a concurrent edit)."""
    try:
        figures = su.validate_figures(data.figures)
    except su.FiguresInvalid as e:
        raise ValidationFailed("some figures were refused",
                               [FieldError(f"figures.{m.split(':', 1)[0].split(' ', 1)[0]}", m, e.code)
                                for m in e.errors]) from None  # fmt: skip
    fp = _footprint(data)
    sources = {k: "uploaded" for k, v in figures.items() if v is not None}
    if figures.get("revenue") is None:
        st = statement_of(session, tenant_id, data.year)
        if st is not None:
            figures["revenue"] = st.result["operating_revenue"] * TO_10K[st.unit]
            sources["revenue"] = f"financial statement {data.year}"
    values = su.compute(figures, None if fp is None else fp["total_t"])
    ev = su.score(values)
    node = lambda n: {"score": n.score, "coverage": n.coverage}  # noqa: E731
    result = {
        "footprint": fp,
        "figure_sources": sources,
        "indicators": {
            k: {"value": v.value, "note": v.note, "inputs": v.inputs,
                "score": ev.indicators[k].score, "status": ev.indicators[k].status.value}
            for k, v in values.items()
        },
        "dimensions": {k: node(n) for k, n in ev.dimensions.items()},
        "total": node(ev.total),
        "system": {"code": su.sustainability_system().code, "version": su.sustainability_system().version,
                   "content_hash": su.sustainability_system().content_hash},
    }  # fmt: skip
    row = session.scalar(select(SustainabilityRecord).where(SustainabilityRecord.year == data.year))
    if row is None:
        row = SustainabilityRecord(year=data.year)
        session.add(row)
    else:
        check_version(row, data.version)
    row.figures = {k: v for k, v in data.figures.items()}
    row.activities = [a.model_dump() for a in data.activities]
    row.factors = [f.model_dump() for f in data.factors]
    row.result = result
    row.updated_by = user_id
    session.flush()
    return row


def list_sustainability(session: Session, year: int | None = None) -> list[SustainabilityRecord]:
    stmt = select(SustainabilityRecord).order_by(SustainabilityRecord.tenant_id, SustainabilityRecord.year)
    if year is not None:
        stmt = stmt.where(SustainabilityRecord.year == year)
    return list(session.scalars(stmt).all())


def get_sustainability(session: Session, record_id: int) -> SustainabilityRecord:
    row = session.get(SustainabilityRecord, record_id)
    if row is None:
        raise not_found("sustainability record", record_id)
    return row


def sustainability_of(session: Session, tenant_id: int, year: int) -> SustainabilityRecord | None:
    return session.scalar(
        select(SustainabilityRecord).where(
            SustainabilityRecord.tenant_id == tenant_id, SustainabilityRecord.year == year
        )  # fmt: skip
    )
