"""Files of requirements engineering (framework node 2.1.1): Kano answer tables (CSV or Excel) and
house-of-quality documents (YAML or JSON), read and validated whole into the inputs of the pure
engines :mod:`.kano` and :mod:`.qfd`, and their results as JSON-ready dictionaries. Pure: no
database, no web framework (the API, the pages, the service and ``somp pss kano|qfd`` share it).

**Answer table**: one row per respondent and requirement, columns ``respondent``, ``requirement``
(the requirement's code), ``functional`` and ``dysfunctional`` (Chinese headers 受访者 / 需求 /
正向问题 / 反向问题 also work). An answer is the scale's name (``like``, ``expect``, ``neutral``,
``live_with``, ``dislike``), its number 1-5 in that order, the Chinese wording of the usual Kano
questionnaire (我喜欢, 理所当然, 无所谓, 能忍受, 我不喜欢) or the English one ("I like it", "I expect
it", "I am neutral", "I can live with it", "I dislike it"). Every problem of every row is reported
at once (:class:`TableInvalid`); a table with any problem yields nothing.

**House document**::

    requirements:    [{code: R1, name: 运行安静, weight: 5}, ...]        # the WHATs, in order
    characteristics: [{code: fan_rpm, name: 风扇转速, direction: minimise, unit: rpm}, ...]
    relationships:   [{requirement: R1, characteristic: fan_rpm, strength: 9}, ...]  # 9/3/1
    roof:            [{a: fan_rpm, b: heater_w, correlation: -2}, ...]                 # -2..+2

Cells not listed are 0 (no relationship, no correlation). The platform stores the same shape per
offering, with the weights taken from the requirements (or their Kano results).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from somp.dataio.tabular import text_of
from somp.modules.pss.kano import Answer, KanoResult
from somp.modules.pss.qfd import Direction, HouseInvalid, HouseOfQuality, Priorities, validate

MAX_ROWS = 200_000

_ANSWER_WORDS: dict[str, Answer] = {}
for _a, _words in {
    Answer.like: ("1", "like", "我喜欢", "喜欢", "i like it", "i like it that way"),
    Answer.expect: (
        "2",
        "expect",
        "must-be",
        "must_be",
        "理所当然",
        "必须的",
        "应该的",
        "i expect it",
        "it must be that way",
    ),
    Answer.neutral: ("3", "neutral", "无所谓", "i am neutral", "i'm neutral"),
    Answer.live_with: ("4", "live_with", "live with", "能忍受", "可以忍受", "i can live with it", "i can tolerate it"),
    Answer.dislike: ("5", "dislike", "我不喜欢", "不喜欢", "i dislike it", "i dislike it that way"),
}.items():
    for _w in _words:
        _ANSWER_WORDS[_w] = _a

COLUMNS = {
    "respondent": ("respondent", "受访者", "respondent_id"),
    "requirement": ("requirement", "需求", "requirement_code", "需求编码"),
    "functional": ("functional", "正向问题", "正向", "functional_answer"),
    "dysfunctional": ("dysfunctional", "反向问题", "反向", "dysfunctional_answer"),
}


@dataclass(frozen=True)
class Problem:
    """One reason a file was refused: ``row`` as a spreadsheet numbers it (header = 1)."""

    field: str
    message: str
    code: str = "invalid"
    row: int | None = None


class TableInvalid(ValueError):
    """The file is refused; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        where = f"row {first.row}: " if first.row is not None else ""
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{where}{first.field}: {first.message}{more}")


@dataclass(frozen=True)
class AnswerRow:
    row: int
    respondent: str
    requirement: str
    functional: Answer
    dysfunctional: Answer


def parse_answer(text: str) -> Answer:
    """An answer of the five-point Kano scale from its name, number, or Chinese or English wording."""
    key = " ".join(str(text).strip().lower().replace("’", "'").rstrip(".。").split())
    try:
        return _ANSWER_WORDS[key]
    except KeyError:
        raise ValueError(
            f"{str(text)!r} is not a Kano answer (like / expect / neutral / live_with / dislike, 1-5, 我喜欢 / 理所当然"
            " / 无所谓 / 能忍受 / 我不喜欢)"
        ) from None


def table_rows(data: bytes, fmt: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and numbered rows of a CSV (UTF-8, with or without BOM) or Excel (first sheet) file."""
    if fmt == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableInvalid([Problem("file", "not UTF-8 text; save the CSV as UTF-8", "unreadable")]) from None
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise TableInvalid([Problem("file", f"not a readable CSV file: {exc}", "unreadable")]) from None
        header, body = (rows[0] if rows else []), rows[1:]
        numbered = list(enumerate(body, start=2))
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise TableInvalid([Problem("file", f"not a readable Excel workbook: {exc}", "unreadable")]) from None
        try:
            values = [[text_of(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
        header, numbered = (values[0] if values else []), list(enumerate(values[1:], start=2))
    else:
        raise TableInvalid([Problem("file", f"unknown format {fmt!r}: upload a .csv or .xlsx file", "unknown_format")])
    if not header:
        raise TableInvalid([Problem("file", "the file is empty", "empty")])
    return [h.strip() for h in header], [(n, r) for n, r in numbered if any(str(c).strip() for c in r)]


def read_answers(data: bytes, fmt: str) -> list[AnswerRow]:
    """The answer pairs of a CSV/Excel answer table, validated whole (:class:`TableInvalid`)."""
    header, rows = table_rows(data, fmt)
    index: dict[str, int] = {}
    lowered = [h.lower() for h in header]
    problems: list[Problem] = []
    for col, names in COLUMNS.items():
        found = next((i for i, h in enumerate(lowered) if h in names), None)
        if found is None:
            problems.append(Problem(col, f"no column {col!r} (header: {', '.join(header)})", "missing_column", 1))
        else:
            index[col] = found
    if problems:
        raise TableInvalid(problems)
    if not rows:
        raise TableInvalid([Problem("file", "the file has no answers", "empty")])
    if len(rows) > MAX_ROWS:
        raise TableInvalid([Problem("file", f"at most {MAX_ROWS} answer rows", "too_large")])
    out: list[AnswerRow] = []
    seen: dict[tuple[str, str], int] = {}
    for n, cells in rows:
        cell = {c: (str(cells[i]).strip() if i < len(cells) else "") for c, i in index.items()}
        ok = True
        for c in ("respondent", "requirement"):
            if not cell[c]:
                problems.append(Problem(c, "empty", "required", n))
                ok = False
            elif len(cell[c]) > 80:
                problems.append(Problem(c, "at most 80 characters", "too_long", n))
                ok = False
        answers = {}
        for c in ("functional", "dysfunctional"):
            try:
                answers[c] = parse_answer(cell[c])
            except ValueError as exc:
                problems.append(Problem(c, str(exc), "invalid_answer", n))
                ok = False
        if not ok:
            continue
        key = (cell["respondent"], cell["requirement"])
        if key in seen:
            problems.append(
                Problem("respondent", f"{key[0]!r} answered {key[1]!r} already in row {seen[key]}", "duplicate", n)
            )
            continue
        seen[key] = n
        out.append(
            AnswerRow(n, cell["respondent"], cell["requirement"], answers["functional"], answers["dysfunctional"])
        )
    if problems:
        raise TableInvalid(problems)
    return out


def kano_dict(r: KanoResult) -> dict[str, Any]:
    """A Kano result as JSON: counts by category letter, the category with its labels, strength,
    Fong's significance and the Better/Worse coefficients."""
    return {
        "n": r.n,
        "counts": {k.value: v for k, v in r.counts.items()},
        "category": r.category.value,
        "category_zh": r.category.label_zh,
        "category_en": r.category.label_en,
        "category_strength": round(r.category_strength, 6),
        "significant": r.significant,
        "better": None if r.better is None else round(r.better, 6),
        "worse": None if r.worse is None else round(r.worse, 6),
    }


def kano_weight(importance: float, r: KanoResult | None) -> float | None:
    """A requirement's QFD weight adjusted by its Kano result: ``importance x max(Better, |Worse|)``
    (the larger of the satisfaction the requirement adds when met and the dissatisfaction it
    causes when missing). None without a result or coefficients (only R/Q answers)."""
    if r is None or r.better is None or r.worse is None:
        return None
    return float(importance) * max(r.better, -r.worse)


# ---------------------------------------------------------------- houses of quality

_DIRECTIONS = {
    "minimise": Direction.minimise,
    "minimize": Direction.minimise,
    "down": Direction.minimise,
    "maximise": Direction.maximise,
    "maximize": Direction.maximise,
    "up": Direction.maximise,
    "target": Direction.target,
    "nominal": Direction.target,
}


def _code(x: Any) -> str:
    return str(x).strip() if x is not None else ""


def check_house_parts(
    requirement_codes: Sequence[str], characteristics: Any, relationships: Any, roof: Any
) -> list[Problem]:
    """Every problem of the characteristics, relationships and roof of a house (codes known and
    unique, strengths on the 9/3/1 scale, roof pairs distinct, correlations -2..+2)."""
    problems: list[Problem] = []
    if not isinstance(characteristics, list) or not characteristics:
        return [Problem("characteristics", "give at least one technical characteristic", "required")]
    codes: list[str] = []
    for i, c in enumerate(characteristics):
        where = f"characteristics[{i}]"
        if not isinstance(c, Mapping) or not _code(c.get("code")):
            problems.append(Problem(where, "a characteristic needs a code", "required"))
            continue
        code = _code(c["code"])
        if code in codes:
            problems.append(Problem(f"{where}.code", f"{code!r} is used twice", "duplicate"))
        codes.append(code)
        if not str(c.get("name") or "").strip():
            problems.append(Problem(f"{where}.name", "a characteristic needs a name", "required"))
        d = c.get("direction")
        if d is not None and str(d).lower() not in _DIRECTIONS:
            problems.append(Problem(f"{where}.direction", f"{d!r}: use minimise, maximise or target", "invalid"))
    reqs = set(requirement_codes)
    if len(reqs) != len(requirement_codes):
        problems.append(Problem("requirements", "a requirement is listed twice", "duplicate"))
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(relationships or []):
        where = f"relationships[{i}]"
        if not isinstance(r, Mapping):
            problems.append(Problem(where, "give requirement, characteristic and strength", "invalid"))
            continue
        rq, ch = _code(r.get("requirement")), _code(r.get("characteristic"))
        if rq not in reqs:
            problems.append(Problem(f"{where}.requirement", f"{rq!r} is not a requirement of the house", "not_found"))
        if ch not in codes:
            problems.append(Problem(f"{where}.characteristic", f"{ch!r} is not a characteristic", "not_found"))
        if r.get("strength") not in (0, 1, 3, 9) or isinstance(r.get("strength"), bool):
            problems.append(Problem(f"{where}.strength", f"{r.get('strength')!r}: use 9, 3, 1 (or 0)", "invalid"))
        if (rq, ch) in seen:
            problems.append(Problem(where, f"{rq!r} x {ch!r} is given twice", "duplicate"))
        seen.add((rq, ch))
    pairs: set[frozenset[str]] = set()
    for i, r in enumerate(roof or []):
        where = f"roof[{i}]"
        if not isinstance(r, Mapping):
            problems.append(Problem(where, "give a, b and correlation", "invalid"))
            continue
        a, b = _code(r.get("a")), _code(r.get("b"))
        for name, v in (("a", a), ("b", b)):
            if v not in codes:
                problems.append(Problem(f"{where}.{name}", f"{v!r} is not a characteristic", "not_found"))
        if a == b:
            problems.append(Problem(where, "a characteristic does not correlate with itself", "invalid"))
        corr = r.get("correlation")
        if corr not in (-2, -1, 0, 1, 2) or isinstance(corr, bool):
            problems.append(Problem(f"{where}.correlation", f"{corr!r}: use -2, -1, 0, 1 or 2", "invalid"))
        if frozenset((a, b)) in pairs:
            problems.append(Problem(where, f"{a!r} - {b!r} is given twice", "duplicate"))
        pairs.add(frozenset((a, b)))
    return problems


def build_house(
    requirements: Sequence[tuple[str, float]],
    characteristics: Sequence[Mapping[str, Any]],
    relationships: Sequence[Mapping[str, Any]],
    roof: Sequence[Mapping[str, Any]] | None,
) -> HouseOfQuality:
    """A :class:`HouseOfQuality` from (code, weight) rows and checked parts (cells not given are 0)."""
    problems = check_house_parts([c for c, _ in requirements], list(characteristics), list(relationships), roof)
    if problems:
        raise TableInvalid(problems)
    req_ix = {c: i for i, (c, _) in enumerate(requirements)}
    codes = [_code(c["code"]) for c in characteristics]
    ch_ix = {c: j for j, c in enumerate(codes)}
    matrix = [[0] * len(codes) for _ in requirements]
    for r in relationships:
        matrix[req_ix[_code(r["requirement"])]][ch_ix[_code(r["characteristic"])]] = int(r["strength"])
    top = [[0] * len(codes) for _ in codes]
    for r in roof or []:
        i, j = ch_ix[_code(r["a"])], ch_ix[_code(r["b"])]
        top[i][j] = top[j][i] = int(r["correlation"])
    house = HouseOfQuality(
        requirements=tuple(c for c, _ in requirements),
        importance=tuple(float(w) for _, w in requirements),
        characteristics=tuple(codes),
        relationships=matrix,
        roof=top,
        directions=tuple(_DIRECTIONS[str(c.get("direction") or "target").lower()] for c in characteristics),
    )
    try:
        validate(house)
    except HouseInvalid as exc:
        raise TableInvalid([Problem("requirements", str(exc))]) from None
    return house


def house_from_document(doc: Any) -> HouseOfQuality:
    """A house from a YAML/JSON document (see the module docstring), validated whole."""
    if not isinstance(doc, Mapping):
        raise TableInvalid([Problem("document", "a house is a mapping with requirements, characteristics, ...")])
    problems, rows = [], []
    reqs = doc.get("requirements")
    if not isinstance(reqs, list) or not reqs:
        problems.append(Problem("requirements", "give at least one requirement", "required"))
        reqs = []
    for i, r in enumerate(reqs):
        code = _code(r.get("code")) if isinstance(r, Mapping) else ""
        w = r.get("weight") if isinstance(r, Mapping) else None
        if not code:
            problems.append(Problem(f"requirements[{i}].code", "a requirement needs a code", "required"))
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            problems.append(Problem(f"requirements[{i}].weight", f"{w!r}: a weight is a number >= 0", "invalid"))
        rows.append((code, w))
    if problems:
        raise TableInvalid(problems)
    return build_house(rows, doc.get("characteristics") or [], doc.get("relationships") or [], doc.get("roof"))


def priorities_dict(house: HouseOfQuality, p: Priorities) -> dict[str, Any]:
    """The engine's priorities as JSON, characteristics in the house's order."""
    directions = house.directions or (Direction.target,) * len(house.characteristics)
    return {
        "requirements": [
            {"code": c, "weight": float(w)} for c, w in zip(house.requirements, p.requirement_weights, strict=True)
        ],
        "characteristics": [
            {
                "code": c,
                "direction": directions[j].name,
                "absolute": round(float(p.absolute[j]), 6),
                "relative_pct": round(float(p.relative[j]), 4),
                "rank": int(p.rank[j]),
            }
            for j, c in enumerate(p.characteristics)
        ],
        "trade_offs": [{"a": t.a, "b": t.b, "correlation": int(t.correlation)} for t in p.trade_offs],
    }
