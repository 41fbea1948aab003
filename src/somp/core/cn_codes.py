"""Pure validators for Chinese enterprise codes, with their reference data.

* **GB 32100-2015** unified social credit code (USCC, 统一社会信用代码) and the GB 11714 organisation
  code (组织机构代码) it embeds;
* **GB/T 4754-2017** industrial classification (国民经济行业分类): all 20 sections, 97 divisions,
  473 groups and the class list are bundled, so codes are validated by membership, not format only;
* **GB/T 2260** administrative divisions (行政区划代码): the 34 province-level divisions and the 333
  prefecture-level units (with approximate centres) are bundled; county names are not, so a
  county-level code is only checked to lie under a known prefecture-level unit;
* the industrial thresholds of 《统计上大中小微型企业划分办法（2017）》.

The data lives in ``somp/core/data/*.yaml`` (each file names its sources) and is read lazily, once.
Nothing here touches a database or a web framework.

Check characters inside a USCC -- a finding, not an assumption
-----------------------------------------------------------------
Position 18 is an ISO 7064 MOD 31-3 check character and positions 9-17 a GB 11714 organisation code
ending in its own MOD 11 check; both are verified by default.  Some genuine codes fail the *outer*
check: codes issued in the 2014-2015 Fujian pilot, before GB 32100 applied (91350211M0000XUF46,
91350100M0001TGQXM, 91350203M0001QKT19 -- listed as real in the bluesky335/IDCheck tests and hutool
issues #2020/#4119).  Every real code examined (about 40: those pilot codes, listed companies,
central-level ``12100000...`` institutions, individual businesses ``92...``) passes the *inner*
GB 11714 check, so that check stays fatal too.  ``validate_uscc(code, strict=False)`` skips both
check characters, for codes already confirmed against the national registry.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml


class InvalidCode(ValueError):
    """A code that does not conform to its standard.

    Attributes
    ----------
    reason_en : str
        Precise English reason; also ``str(exc)``.
    reason_zh : str
        The same reason in Chinese.
    code : str or None
        The normalised input that was rejected.
    """

    def __init__(self, reason_en: str, reason_zh: str, code: str | None = None) -> None:
        super().__init__(reason_en)
        self.reason_en, self.reason_zh, self.code = reason_en, reason_zh, code

    def __str__(self) -> str:
        return self.reason_en


# Error messages: a key line, then the English and the Chinese template (filled by str.format).
_MESSAGES_SPEC = """
type
    expected a string, got {t}
    应为字符串，实际为{t}
length
    must be {want} characters, got {n}
    应为{want}位，实际为{n}位
char
    character {ch!r} at position {pos} is not allowed (digits and capitals except I, O, S, V, Z)
    第{pos}位字符“{ch}”不合法（只能使用数字和除I、O、S、V、Z以外的大写字母）
authority
    registration-authority code {a!r} (position 1) is not defined by GB 32100
    登记管理部门代码“{a}”（第1位）不存在
category
    organisation category {c!r} (position 2) is not defined for authority {a!r} ({en}); expected {allowed}
    机构类别代码“{c}”（第2位）不属于登记管理部门“{a}”（{zh}），应为{allowed}之一
reg_digits
    registration region code {r!r} (positions 3-8) must be 6 digits
    登记管理机关行政区划码“{r}”（第3-8位）应为6位数字
reg_province
    registration region code {r!r} (positions 3-8): {p!r} is not a GB/T 2260 province-level code
    登记管理机关行政区划码“{r}”（第3-8位）的前两位“{p}”不是GB/T 2260省级代码
check
    check character (position 18) should be {want!r}, got {got!r}
    校验码（第18位）应为“{want}”，实际为“{got}”
org_check
    organisation-code check character (position 17, GB 11714) should be {want!r}, got {got!r}
    组织机构代码校验码（第17位，GB 11714）应为“{want}”，实际为“{got}”
org_body
    organisation-code body must be 8 digits or capital letters, got {b!r}
    组织机构代码本体应为8位数字或大写字母，实际为“{b}”
ind_letter
    industry code must start with its section letter; did you mean {hint!r}?
    行业代码应以门类字母开头，是否应为“{hint}”？
ind_format
    {c!r} is not an industry code: a section letter A-T, then 0, 2, 3 or 4 digits (C, C34, C344, C3441)
    “{c}”不是行业代码（门类字母A-T，可后接2、3或4位数字，如C3441）
ind_missing
    {level} {c!r} does not exist in GB/T 4754-2017
    {level_zh}“{c}”在GB/T 4754-2017中不存在
ind_section
    division {d!r} belongs to section {s!r}, not {x!r} (section {x} covers divisions {lo}-{hi})
    大类“{d}”属于门类“{s}”而不是“{x}”（门类{x}包括{lo}-{hi}大类）
ind_no_division
    {c!r} is a section; it has no division
    “{c}”是门类代码，没有对应的大类
reg_format
    region code must be 6 digits, got {c!r}
    行政区划代码应为6位数字，实际为“{c}”
reg_no_province
    {p!r} is not a GB/T 2260 province-level code
    “{p}”不是GB/T 2260省级行政区划代码
reg_structure
    {c!r}: county digits (5-6) must be 00 when prefecture digits (3-4) are 00
    “{c}”：第3-4位为00时第5-6位也应为00
reg_no_prefecture
    prefecture-level code {f!r} does not exist in {en} ({zh})
    地级代码“{f}”在{zh}中不存在
"""


@functools.cache
def _messages() -> dict[str, tuple[str, str]]:
    rows = [line.strip() for line in _MESSAGES_SPEC.strip().splitlines()]
    return {rows[i]: (rows[i + 1], rows[i + 2]) for i in range(0, len(rows), 3)}


def _error(key: str, code: str | None, **fields: Any) -> InvalidCode:
    en, zh = _messages()[key]
    return InvalidCode(en.format(**fields), zh.format(**fields), code)


# --------------------------------------------------------------------------- GB 32100-2015 (USCC)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015: digits and capitals without I, O, S, V, Z."""

_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, ...
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997
_NATIONAL_REGION = "100000"  # registrations by central authorities, e.g. 12100000425006117P

# Position 1 (registration authority) -> (zh, en, allowed position-2 organisation categories):
# GB 32100-2015 table 1 plus the authority codes assigned since, as listed by the national USCC data
# centre (e.g. 1 机构编制: 1 机关, 2 事业单位, 3 群众团体, 9 其他; 9 工商: 1 企业, 2 个体工商户,
# 3 农民专业合作社; N 农业: 1 组级, 2 村级, 3 乡镇级集体经济组织, 9 其他).
_USCC_AUTHORITIES: dict[str, tuple[str, str, str]] = {
    "1": ("机构编制", "institutional-establishment authorities", "1239"),
    "2": ("外交", "foreign affairs", "19"),
    "3": ("司法行政", "justice administration", "123459"),
    "4": ("文化", "culture", "19"),
    "5": ("民政", "civil affairs", "1239"),
    "6": ("旅游", "tourism", "129"),
    "7": ("宗教", "religious affairs", "129"),
    "8": ("工会", "trade unions", "19"),
    "9": ("工商", "market regulation", "123"),
    "A": ("中央军委改革和编制办公室", "CMC reform and organisation office", "19"),
    "N": ("农业", "agriculture", "1239"),
    "Y": ("其他", "other authorities", "1"),
}


def _check_chars(code: str) -> None:
    for pos, ch in enumerate(code, start=1):
        if ch not in _USCC_VALUE:
            raise _error("char", code, ch=ch, pos=pos)


def uscc_check_character(first17: str) -> str:
    """Compute the GB 32100-2015 check character (position 18).

    Parameters
    ----------
    first17 : str
        The first 17 characters of a USCC (upper case, USCC charset).

    Returns
    -------
    str
        ``USCC_CHARSET[(31 - sum(value_i * 3**i) % 31) % 31]`` (weights 3**i mod 31, i = 0..16);
        raises :class:`InvalidCode` if ``first17`` is not 17 characters of :data:`USCC_CHARSET`.
    """
    if len(first17) != 17:
        raise _error("length", first17, want=17, n=len(first17))
    _check_chars(first17)
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_character(body8: str) -> str:
    """Compute the GB 11714-1997 organisation-code check character (USCC position 17).

    Parameters
    ----------
    body8 : str
        The 8 body characters: digits, or capitals counting A = 10 ... Z = 35.

    Returns
    -------
    str
        ``11 - sum(value_i * w_i) % 11`` with weights 3, 7, 9, 10, 5, 8, 4, 2; 10 is written ``'X'``
        and 11 ``'0'``.
    """
    if len(body8) != 8 or not all(c.isascii() and (c.isdigit() or c.isupper()) for c in body8):
        raise _error("org_body", body8, b=body8)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def validate_uscc(code: str, *, strict: bool = True) -> str:
    """Validate a unified social credit code (GB 32100-2015).

    Checks, in order: 18 characters; charset; registration authority (position 1); organisation
    category allowed for that authority (2); registration region (3-8: six digits starting with a
    GB/T 2260 province-level code, or ``100000`` for national registrations); then, if ``strict``,
    the check character (18) and the GB 11714 check of the organisation code (9-17).  Only the
    province of the region is checked, since a registration keeps its county code after a county
    is abolished.

    Parameters
    ----------
    code : str
        Input; surrounding whitespace is stripped and letters are upper-cased.
    strict : bool, default True
        Verify both check characters.  Pass False only for codes confirmed against the registry
        (real pilot-era codes fail the position-18 check: see the module docstring).

    Returns
    -------
    str
        The normalised code.

    Raises
    ------
    InvalidCode
        Naming the first violated rule in ``reason_en`` and ``reason_zh``.
    """
    if not isinstance(code, str):
        raise _error("type", None, t=type(code).__name__)
    norm = code.strip().upper()
    if len(norm) != 18:
        raise _error("length", norm, want=18, n=len(norm))
    _check_chars(norm)
    if norm[0] not in _USCC_AUTHORITIES:
        raise _error("authority", norm, a=norm[0])
    zh, en, categories = _USCC_AUTHORITIES[norm[0]]
    if norm[1] not in categories:
        raise _error("category", norm, c=norm[1], a=norm[0], en=en, zh=zh, allowed=", ".join(categories))
    reg = norm[2:8]
    if not reg.isdigit():
        raise _error("reg_digits", norm, r=reg)
    if reg != _NATIONAL_REGION and reg[:2] not in _regions()["provinces"]:
        raise _error("reg_province", norm, r=reg, p=reg[:2])
    if strict:
        if norm[17] != (want := uscc_check_character(norm[:17])):
            raise _error("check", norm, want=want, got=norm[17])
        if norm[16] != (want := org_code_check_character(norm[8:16])):
            raise _error("org_check", norm, want=want, got=norm[16])
    return norm


# --------------------------------------------------------------------------- data loading


def _load_yaml(name: str) -> Any:
    text = resources.files("somp.core").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def _industry() -> dict[str, Any]:
    return _load_yaml("gbt4754_2017.yaml")


@functools.cache
def _regions() -> dict[str, Any]:
    return _load_yaml("gbt2260.yaml")


# --------------------------------------------------------------------------- GB/T 4754-2017

_INDUSTRY_RE = re.compile(r"([A-Z])(\d{2}|\d{3}|\d{4})?")
_LEVELS = {
    2: ("division", "大类", "divisions"),
    3: ("group", "中类", "groups"),
    4: ("class", "小类", "classes"),
}


@dataclass(frozen=True, slots=True)
class IndustryDivision:
    """A GB/T 4754-2017 division (大类), e.g. ``34`` 通用设备制造业 in section ``C``."""

    code: str
    section: str
    name_zh: str
    name_en: str


def validate_industry_code(code: str) -> str:
    """Validate a GB/T 4754-2017 industry code written with its section letter.

    Accepted forms: ``"C"`` (section), ``"C34"`` (division), ``"C344"`` (group), ``"C3441"``
    (class).  The division must belong to the section, and every level must exist in the standard.
    Whitespace is stripped and the letter upper-cased.

    Returns
    -------
    str
        The normalised code.

    Raises
    ------
    InvalidCode
        On a malformed code, a section mismatch or an unknown section, division, group or class.
    """
    norm = code.strip().upper() if isinstance(code, str) else repr(code)
    data = _industry()
    if norm.isascii() and norm.isdigit() and len(norm) in (2, 3, 4) and norm[:2] in data["divisions"]:
        raise _error("ind_letter", norm, hint=data["divisions"][norm[:2]]["section"] + norm)
    if (m := _INDUSTRY_RE.fullmatch(norm)) is None:
        raise _error("ind_format", norm, c=norm)
    section, digits = m.group(1), m.group(2) or ""
    if section not in data["sections"]:
        raise _error("ind_missing", norm, level="section", level_zh="门类", c=section)
    for n in range(2, len(digits) + 1):
        level, level_zh, table = _LEVELS[n]
        if digits[:n] not in data[table]:
            raise _error("ind_missing", norm, level=level, level_zh=level_zh, c=digits[:n])
        if n == 2 and (owner := data["divisions"][digits[:2]]["section"]) != section:
            lo, hi = data["sections"][section]["divisions"]
            raise _error("ind_section", norm, d=digits[:2], s=owner, x=section, lo=lo, hi=hi)
    return norm


def industry_division(code: str) -> IndustryDivision:
    """Division (大类) of a division-, group- or class-level code; InvalidCode for a bare section."""
    norm = validate_industry_code(code)
    if len(norm) == 1:
        raise _error("ind_no_division", norm, c=norm)
    div = _industry()["divisions"][norm[1:3]]
    return IndustryDivision(norm[1:3], div["section"], div["zh"], div["en"])


def is_manufacturing(code: str) -> bool:
    """True if a valid industry code lies in section C (制造业, divisions 13-43); raises InvalidCode."""
    return validate_industry_code(code)[0] == "C"


# --------------------------------------------------------------------------- GB/T 2260


@dataclass(frozen=True, slots=True)
class Region:
    """A bundled GB/T 2260 entry; ``latitude``/``longitude`` are approximate centres, or None."""

    code: str
    level: Literal["province", "prefecture", "grouping"]
    name_zh: str
    name_en: str
    latitude: float | None = None
    longitude: float | None = None


def _region_entry(code: str) -> Region | None:
    data = _regions()
    if code.endswith("0000"):
        level, entry = "province", data["provinces"].get(code[:2])
    elif code in data["prefectures"]:
        level, entry = "prefecture", data["prefectures"][code]
    else:
        level, entry = "grouping", data["groupings"].get(code)
    if entry is None:
        return None
    return Region(code, level, entry["zh"], entry["en"], entry.get("lat"), entry.get("lon"))


def validate_region_code(code: str) -> str:
    """Validate a current GB/T 2260 administrative-division code.

    ``XX0000`` must be one of the 34 province-level divisions; ``XXYY00`` one of the 333
    prefecture-level units or a statistical grouping (``110100`` 市辖区, ``419000`` 省直辖县级行政区划,
    ...); ``XXYYZZ`` must lie under one of those (county membership itself is not checked: no county
    list is bundled).  Abolished codes are rejected; for the registration region inside a USCC use
    :func:`validate_uscc`, which checks the province only.

    Returns
    -------
    str
        The normalised (stripped) code.

    Raises
    ------
    InvalidCode
    """
    norm = code.strip() if isinstance(code, str) else repr(code)
    if len(norm) != 6 or not (norm.isascii() and norm.isdigit()):
        raise _error("reg_format", norm, c=norm)
    province = _regions()["provinces"].get(norm[:2])
    if province is None:
        raise _error("reg_no_province", norm, p=norm[:2])
    if norm[2:4] == "00" and norm[4:] != "00":
        raise _error("reg_structure", norm, c=norm)
    if norm[2:] != "0000" and _region_entry(norm[:4] + "00") is None:
        raise _error("reg_no_prefecture", norm, f=norm[:4] + "00", en=province["en"], zh=province["zh"])
    return norm


def region(code: str) -> Region:
    """Bundled entry of a province-level, prefecture-level or grouping code.

    Raises :class:`InvalidCode` for an invalid code and ``LookupError`` for a valid county-level
    code, whose name is not bundled.
    """
    norm = validate_region_code(code)
    if (entry := _region_entry(norm)) is None:
        raise LookupError(f"{norm}: county-level names are not bundled; use region({norm[:4] + '00'!r})")
    return entry


def region_name(code: str, lang: Literal["zh", "en"] = "zh") -> str:
    """Chinese or English name of a province-level, prefecture-level or grouping code."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    entry = region(code)
    return entry.name_zh if lang == "zh" else entry.name_en


def province_of(code: str) -> Region:
    """The province-level division containing any valid region code (e.g. 440300 -> 440000)."""
    entry = _region_entry(validate_region_code(code)[:2] + "0000")
    assert entry is not None  # validate_region_code checked the province
    return entry


def prefectures(province: str | None = None) -> list[Region]:
    """All 333 prefecture-level units, or those of one province (``"44"`` or ``"440000"``).

    Municipalities (11, 12, 31, 50), Hong Kong, Macao and Taiwan have no prefecture-level units in
    GB/T 2260: use their province-level entry instead.
    """
    prefix = None if province is None else validate_region_code(province.strip().ljust(6, "0"))[:2]
    return [
        Region(c, "prefecture", e["zh"], e["en"], e.get("lat"), e.get("lon"))
        for c, e in _regions()["prefectures"].items()
        if prefix is None or c.startswith(prefix)
    ]


# --------------------------------------------------------------------------- enterprise size


class SizeClass(enum.StrEnum):
    """Size class of 《统计上大中小微型企业划分办法（2017）》 (国统字〔2017〕213号)."""

    large = "large"
    medium = "medium"
    small = "small"
    micro = "micro"

    @property
    def name_zh(self) -> str:
        """Chinese label: 大型 / 中型 / 小型 / 微型."""
        return {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}[self.value]


# (class, minimum employees, minimum operating revenue in 10,000 CNY), largest first.
_INDUSTRIAL_THRESHOLDS = (
    (SizeClass.large, 1000, 40000.0),
    (SizeClass.medium, 300, 2000.0),
    (SizeClass.small, 20, 300.0),
)


def classify_industrial_enterprise(employees: int, revenue_10k_cny: float) -> SizeClass:
    """Size class of an industrial (工业: sections B, C, D) enterprise.

    《统计上大中小微型企业划分办法（2017）》 (National Bureau of Statistics, 国统字〔2017〕213号),
    row 工业, with X = employees (从业人员) and Y = operating revenue (营业收入) in 10,000 CNY:
    large X >= 1000 and Y >= 40000; medium X >= 300 and Y >= 2000; small X >= 20 and Y >= 300;
    micro X < 20 or Y < 300.  Large, medium and small must meet *both* lower bounds, otherwise the
    enterprise drops a class (否则下划一档); micro needs only one.

    Parameters
    ----------
    employees : int
        Number of employees, >= 0.
    revenue_10k_cny : float
        Annual operating revenue in 万元 (10,000 CNY), >= 0.

    Returns
    -------
    SizeClass
    """
    if isinstance(employees, bool) or not isinstance(employees, int) or employees < 0:
        raise ValueError(f"employees must be a non-negative integer, got {employees!r}")
    if isinstance(revenue_10k_cny, bool) or math.isnan(revenue_10k_cny) or revenue_10k_cny < 0:
        raise ValueError(f"revenue_10k_cny must be a non-negative number, got {revenue_10k_cny!r}")
    for size, min_employees, min_revenue in _INDUSTRIAL_THRESHOLDS:
        if employees >= min_employees and revenue_10k_cny >= min_revenue:
            return size
    return SizeClass.micro
