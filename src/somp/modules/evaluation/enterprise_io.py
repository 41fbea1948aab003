"""Enterprise-level input-output measurement (framework node 1.3.2, 投入产出测度, enterprise level)
from an uploaded financial statement. Pure: no database, no web framework.

An enterprise is read as one column of an input-output table: its gross output, its intermediate
inputs by kind (materials, energy, purchased services by category, other) and its value added.

* **gross output** X = operating revenue (product + service + other) + change in finished-goods
  inventories (总产出, production method of the national accounts);
* **intermediate inputs** Z = materials + energy + purchased services + other intermediate inputs;
* **service input ratio** (服务投入率) = purchased services / Z, with the share of each service
  category; the same number as Σ a<sub>ij</sub> over the service rows / Σ a<sub>ij</sub> over all rows
  of the enterprise's column of direct coefficients (a<sub>ij</sub> = z<sub>ij</sub>/X);
* **value added** VA = X − Z (增加值, production method). When the statement also gives the four
  income-method components (labour compensation, depreciation of fixed assets, net taxes on
  production, operating surplus) their sum must equal VA within ``rtol`` of X; otherwise the
  statement is refused as unbalanced, naming both figures (never computed on silently);
* **service value added** SVA = service revenue − the intermediate inputs consumed by the service
  business (服务增加值), and its shares of operating revenue and of VA; the service revenue share
  (服务收入占比) beside them. Without the service business's intermediate inputs SVA is **missing**
  (never assumed to be the whole service revenue).

A statement is a list of (item, amount) rows; :func:`read_statement` reads it from CSV or Excel
(columns ``item`` and ``amount``; an item is named by its code, Chinese or English name) and reports
every bad row with its number. :func:`measure` computes the result.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO


class StatementInvalid(ValueError):
    """A statement that cannot be used; ``errors`` lists every problem (row numbers where known)."""

    def __init__(self, errors: list[str], code: str = "invalid_statement") -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.code = code


@dataclass(frozen=True)
class Item:
    code: str
    zh: str
    en: str
    group: str  # revenue, input, service_input, income, other
    required: bool = False
    signed: bool = False  # may be negative (inventory change, operating surplus, net taxes)


ITEMS: tuple[Item, ...] = (
    Item("product_revenue", "产品销售收入", "Product revenue", "revenue", required=True),
    Item("service_revenue", "服务收入", "Service revenue", "revenue", required=True),
    Item("other_revenue", "其他业务收入", "Other operating revenue", "revenue"),
    Item("inventory_change", "产成品存货变动", "Change in finished-goods inventories", "other", signed=True),
    Item("materials", "直接材料及外购零部件", "Materials and bought-in parts", "input", required=True),
    Item("energy", "外购燃料动力", "Purchased fuel and power", "input", required=True),
    Item("svc_rd_design", "外购研发设计服务", "Purchased R&D and design services", "service_input"),
    Item("svc_it", "外购信息技术服务", "Purchased IT and software services", "service_input"),
    Item("svc_logistics", "外购物流仓储服务", "Purchased logistics and warehousing", "service_input"),
    Item("svc_finance", "外购金融保险租赁服务", "Purchased finance, insurance and leasing", "service_input"),
    Item("svc_business", "外购商务咨询服务", "Purchased business and consulting services", "service_input"),
    Item("svc_maintenance", "外购维修维护服务", "Purchased repair and maintenance", "service_input"),
    Item("svc_other", "其他外购服务", "Other purchased services", "service_input"),
    Item("other_intermediate", "其他中间投入", "Other intermediate inputs", "input"),
    Item("service_intermediate", "服务业务中间投入", "Intermediate inputs of the service business", "other"),
    Item("labour_compensation", "劳动者报酬", "Compensation of employees", "income"),
    Item("depreciation", "固定资产折旧", "Depreciation of fixed assets", "income"),
    Item("net_production_taxes", "生产税净额", "Net taxes on production", "income", signed=True),
    Item("operating_surplus", "营业盈余", "Operating surplus", "income", signed=True),
)
BY_CODE = {i.code: i for i in ITEMS}
UNITS = ("CNY", "10k CNY")  # 元, 万元
_ALIASES = {k.lower(): i.code for i in ITEMS for k in (i.code, i.zh, i.en)}


def item_code(label: str) -> str | None:
    """The item code of a label (code, Chinese or English name; case and spaces ignored)."""
    return _ALIASES.get(" ".join(str(label).split()).lower())


@dataclass(frozen=True)
class Statement:
    """Validated line items (code -> amount); absent optional items are 0, except
    ``service_intermediate`` and the income items, whose absence means "not given"."""

    items: dict[str, float]
    unit: str = "10k CNY"

    def get(self, code: str) -> float:
        return self.items.get(code, 0.0)


@dataclass
class Measures:
    unit: str
    operating_revenue: float
    gross_output: float
    intermediate_inputs: float
    service_inputs: float
    service_input_ratio: float | None
    service_inputs_by_category: dict[str, float]
    service_input_shares: dict[str, float]
    value_added: float
    value_added_income: float | None  # the four income-method components, when given
    balance_gap: float | None  # (income VA - production VA) / gross output
    service_revenue_share: float | None
    service_value_added: float | None
    service_value_added_share_of_revenue: float | None
    service_value_added_share_of_value_added: float | None
    missing: dict[str, str] = field(default_factory=dict)  # measure -> why it is missing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("not a number")
    if isinstance(raw, int | float):
        v = float(raw)
    else:
        text = str(raw).strip().replace(",", "").replace("，", "")
        if text.startswith("(") and text.endswith(")"):  # accounting negative
            text = "-" + text[1:-1]
        v = float(text)
    if not math.isfinite(v):
        raise ValueError("not a finite number")
    return v


def validate(rows: Iterable[tuple[int, Any, Any]], unit: str = "10k CNY") -> Statement:
    """A :class:`Statement` from ``(row number, item label, amount)`` rows; every problem is
    collected (unknown item, repeated item, bad or negative amount, required item absent,
    ``service_intermediate`` above the intermediate inputs) and raised together."""
    errors: list[str] = []
    if unit not in UNITS:
        errors.append(f"unit {unit!r}: use one of {', '.join(UNITS)}")
    items: dict[str, float] = {}
    seen: dict[str, int] = {}
    for n, label, raw in rows:
        if (label is None or str(label).strip() == "") and (raw is None or str(raw).strip() == ""):
            continue  # a blank row
        code = item_code(label) if label is not None else None
        if code is None:
            errors.append(f"row {n}: unknown item {label!r}")
            continue
        if code in seen:
            errors.append(f"row {n}: item {code} repeats row {seen[code]}")
            continue
        seen[code] = n
        if raw is None or str(raw).strip() == "":
            errors.append(f"row {n}: {code} has no amount (write 0 for none)")
            continue
        try:
            v = _number(raw)
        except ValueError:
            errors.append(f"row {n}: {code} amount {raw!r} is not a number")
            continue
        if v < 0 and not BY_CODE[code].signed:
            errors.append(f"row {n}: {code} amount {v:g} is negative")
            continue
        items[code] = v
    for i in ITEMS:
        if i.required and i.code not in items and i.code not in seen:
            errors.append(f"required item {i.code} ({i.zh}) is missing")
    if not errors:
        st = Statement(items, unit)
        z = _intermediate(st)
        if "service_intermediate" in items and items["service_intermediate"] > z * (1 + 1e-9):
            errors.append(
                f"service_intermediate {items['service_intermediate']:g} exceeds the intermediate inputs {z:g}"
            )
        income = [c for c in ("labour_compensation", "depreciation", "net_production_taxes", "operating_surplus")
                  if c in items]  # fmt: skip
        if 0 < len(income) < 4:
            missing = sorted({"labour_compensation", "depreciation", "net_production_taxes", "operating_surplus"}
                             - set(income))  # fmt: skip
            errors.append(f"income-method value added needs all four components: missing {', '.join(missing)}")
        if _revenue(st) <= 0:
            errors.append("operating revenue is zero: nothing to measure")
    if errors:
        raise StatementInvalid(errors)
    return Statement(items, unit)


def _revenue(st: Statement) -> float:
    return st.get("product_revenue") + st.get("service_revenue") + st.get("other_revenue")


def _service_inputs(st: Statement) -> dict[str, float]:
    return {i.code: st.get(i.code) for i in ITEMS if i.group == "service_input"}


def _intermediate(st: Statement) -> float:
    return st.get("materials") + st.get("energy") + sum(_service_inputs(st).values()) + st.get("other_intermediate")


def measure(st: Statement, rtol: float = 0.005) -> Measures:
    """The enterprise's input-output measures (see the module docstring). Raises
    :class:`StatementInvalid` (code ``unbalanced``) when the income-method value added differs from
    the production-method one by more than ``rtol`` of gross output."""
    revenue = _revenue(st)
    output = revenue + st.get("inventory_change")
    z = _intermediate(st)
    by_cat = _service_inputs(st)
    services = sum(by_cat.values())
    va = output - z
    income_keys = ("labour_compensation", "depreciation", "net_production_taxes", "operating_surplus")
    va_income = sum(st.items[k] for k in income_keys) if all(k in st.items for k in income_keys) else None
    gap = None if va_income is None or output == 0 else (va_income - va) / output
    if gap is not None and abs(gap) > rtol:
        raise StatementInvalid(
            [
                f"unbalanced: value added by the production method (output {output:g} - intermediate inputs {z:g} = "
                f"{va:g}) differs from the income method ({va_income:g}) by {gap:.2%} of output (tolerance {rtol:.2%})"
            ],
            "unbalanced",
        )
    missing: dict[str, str] = {}
    if z > 0:
        ratio: float | None = services / z
        shares = {k: v / services for k, v in by_cat.items()} if services > 0 else {}
    else:
        ratio, shares = None, {}
        missing["service_input_ratio"] = "no intermediate inputs"
    sva: float | None = None
    if "service_intermediate" in st.items:
        sva = st.get("service_revenue") - st.items["service_intermediate"]
    else:
        missing["service_value_added"] = "the statement does not give the intermediate inputs of the service business"
    return Measures(
        unit=st.unit,
        operating_revenue=revenue,
        gross_output=output,
        intermediate_inputs=z,
        service_inputs=services,
        service_input_ratio=ratio,
        service_inputs_by_category=by_cat,
        service_input_shares=shares,
        value_added=va,
        value_added_income=va_income,
        balance_gap=gap,
        service_revenue_share=st.get("service_revenue") / revenue,
        service_value_added=sva,
        service_value_added_share_of_revenue=None if sva is None else sva / revenue,
        service_value_added_share_of_value_added=None if sva is None or va <= 0 else sva / va,
        missing=missing,
    )


# ---- reading files ----------------------------------------------------------------------------------


def _header(cells: list[Any]) -> tuple[int, int] | None:
    names = [str(c).strip().lower() if c is not None else "" for c in cells]
    item = next((k for k, n in enumerate(names) if n in ("item", "项目", "code")), None)
    amount = next((k for k, n in enumerate(names) if n in ("amount", "金额", "value")), None)
    return None if item is None or amount is None else (item, amount)


def _rows(table: list[list[Any]]) -> list[tuple[int, Any, Any]]:
    if not table:
        raise StatementInvalid(["the file is empty"])
    cols = _header(table[0])
    if cols is None:
        raise StatementInvalid(["row 1 must be a header with the columns item (项目) and amount (金额)"])
    i, a = cols
    return [(n, r[i] if i < len(r) else None, r[a] if a < len(r) else None) for n, r in enumerate(table[1:], start=2)]


def read_statement(data: bytes | BinaryIO, fmt: str, unit: str = "10k CNY") -> Statement:
    """A validated statement from CSV (UTF-8, optional BOM) or Excel (first sheet) bytes."""
    raw = data if isinstance(data, bytes) else data.read()
    if fmt == "csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StatementInvalid(["the CSV file is not UTF-8 text"]) from None
        table = [list(r) for r in csv.reader(io.StringIO(text))]
    elif fmt == "xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise StatementInvalid([f"not a readable .xlsx workbook ({e.__class__.__name__})"]) from None
        ws = wb.worksheets[0]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        raise StatementInvalid([f"unknown format {fmt!r}: upload .csv or .xlsx"])
    return validate(_rows(table), unit)


def template_rows() -> list[tuple[str, str, str, bool]]:
    """(code, Chinese name, English name, required) of every item, for a blank template."""
    return [(i.code, i.zh, i.en, i.required) for i in ITEMS]


def template_workbook() -> bytes:
    """A blank statement workbook: columns item (the code), amount (to fill), the Chinese and English
    names and whether the item is required; :func:`read_statement` reads it back as filled."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "statement"
    ws.append(["item", "amount", "项目", "name", "required"])
    for i in ITEMS:
        ws.append([i.code, None, i.zh, i.en, "yes" if i.required else ""])
    for col, width in zip("ABCDE", (24, 14, 26, 44, 10), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def labels(codes: Mapping[str, Any] | Iterable[str]) -> dict[str, dict[str, str]]:
    return {c: {"zh": BY_CODE[c].zh, "en": BY_CODE[c].en} for c in codes if c in BY_CODE}
