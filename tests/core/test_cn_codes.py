"""Tests for somp.core.cn_codes, anchored on published codes and published tables.

Expected values come from outside this module: codes published by their holders or quoted in the
standards' annexes, check characters computed independently by third parties, and the counts and
ranges printed in GB/T 4754-2017, GB/T 2260 statistics and 《统计上大中小微型企业划分办法（2017）》.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from somp.core import cn_codes as cc
from somp.core.cn_codes import InvalidCode, SizeClass

# Real codes with where they were published.  All satisfy both check characters.
REAL_USCCS = {
    "914403001922038216": "华为技术有限公司 Huawei Technologies (bluesky335/IDCheck tests)",
    "91110108551385082Q": "小米科技有限责任公司 Xiaomi Technology (registration no. 110108012660422)",
    "91520000214434146R": "中航重机股份有限公司 AVIC Heavy Machinery (Tianyancha API samples)",
    "91110108795101314G": "谷歌信息技术（中国）有限公司 (bluesky335/IDCheck tests)",
    "9135020026015919XW": "厦门象屿集团有限公司 (bluesky335/IDCheck tests)",
    "913502006120495420": "厦门中骏集团有限公司 (bluesky335/IDCheck tests)",
    "9135010557098120XJ": "福建百度博瑞网络科技有限公司 (bluesky335/IDCheck tests)",
    "91310000MA1K35Y38P": "锤子科贸（上海）有限公司 (bluesky335/IDCheck tests)",
    "91350100M000100Y43": "GB 32100-2015 annex example",
    "12100000425006117P": "复旦大学 Fudan University (national-level registration 100000)",
    "12100000470095016Q": "浙江大学 Zhejiang University (national-level registration 100000)",
    "92340111MAD2LARQ9N": "个体工商户 individual business (published on its website footer)",
}

# Genuine codes from the 2014-2015 Fujian pilot whose position-18 character does not follow
# GB 32100; the expected character is the one a third party computed (bluesky335/IDCheck README,
# hutool issue #4119).
PILOT_CODES = {
    "91350100M0001TGQXM": "1",  # 福建恒跃柳工机械销售有限公司
    "91350211M0000XUF46": "R",  # 厦门云上晴空航空科技有限公司
    "91350203M0001FUE2P": "J",  # 厦门黑脉网络科技有限公司
}

# Published weights of GB 32100-2015 (3**i mod 31).
PUBLISHED_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def reason(exc_info: pytest.ExceptionInfo[InvalidCode]) -> str:
    return exc_info.value.reason_en


# ----------------------------------------------------------------------------------------- USCC


@pytest.mark.parametrize("code", sorted(REAL_USCCS))
def test_real_codes_validate(code: str) -> None:
    assert cc.validate_uscc(code) == code
    # The published check characters agree with the computed ones.
    assert cc.uscc_check_character(code[:17]) == code[17]
    assert cc.org_code_check_character(code[8:16]) == code[16]


def test_lower_case_and_whitespace_are_normalised() -> None:
    assert cc.validate_uscc("  91110108551385082q\n") == "91110108551385082Q"
    assert cc.validate_uscc("9135010557098120xj") == "9135010557098120XJ"


def test_weights_are_the_published_ones() -> None:
    assert list(cc._USCC_WEIGHTS) == PUBLISHED_WEIGHTS


def test_mod31_detects_every_single_substitution_in_principle() -> None:
    # Changing character i from value a to b shifts the weighted sum by w_i * (b - a).  31 is prime,
    # every weight is non-zero mod 31 and 0 < |b - a| < 31, so the shift is never 0 mod 31 and the
    # check character always changes.  Verify the arithmetic premise exhaustively.
    for w in PUBLISHED_WEIGHTS:
        assert all((w * d) % 31 != 0 for d in range(-30, 31) if d != 0)


@pytest.mark.parametrize(
    "code", ["914403001922038216", "91110108551385082Q", "9135020026015919XW", "12100000425006117P"]
)
def test_every_single_character_substitution_is_rejected(code: str) -> None:
    for pos in range(18):
        for ch in cc.USCC_CHARSET:
            if ch == code[pos]:
                continue
            mutated = code[:pos] + ch + code[pos + 1 :]
            # The mod-31 check alone already rejects it ...
            assert cc.uscc_check_character(mutated[:17]) != mutated[17], (pos, ch)
            # ... and so does the validator, whichever rule it reports first.
            with pytest.raises(InvalidCode):
                cc.validate_uscc(mutated)


def test_wrong_check_character_reason() -> None:
    with pytest.raises(InvalidCode) as ei:
        cc.validate_uscc("914403001922038217")
    assert str(ei.value) == ei.value.reason_en == "check character (position 18) should be '6', got '7'"
    assert ei.value.reason_zh == "校验码（第18位）应为“6”，实际为“7”"
    assert ei.value.code == "914403001922038217"


@pytest.mark.parametrize(("code", "expected"), sorted(PILOT_CODES.items()))
def test_pilot_codes_fail_the_check_character_as_third_parties_computed(code: str, expected: str) -> None:
    with pytest.raises(InvalidCode) as ei:
        cc.validate_uscc(code)
    assert reason(ei) == f"check character (position 18) should be {expected!r}, got {code[17]!r}"
    # The embedded organisation code is fine, and the registry-confirmed escape hatch accepts them.
    assert cc.org_code_check_character(code[8:16]) == code[16]
    assert cc.validate_uscc(code, strict=False) == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91440300192203821", "must be 18 characters, got 17"),
        ("9144030019220382166", "must be 18 characters, got 19"),
        ("", "must be 18 characters, got 0"),
        ("91440300192203821O", "character 'O' at position 18 is not allowed"),
        ("9144030019220382I6", "character 'I' at position 17 is not allowed"),
        ("S14403001922038216", "character 'S' at position 1 is not allowed"),
        ("914403001922038V16", "character 'V' at position 16 is not allowed"),
        ("Z14403001922038216", "character 'Z' at position 1 is not allowed"),
        ("9144-3001922038216", "character '-' at position 5 is not allowed"),
        ("B14403001922038216", "registration-authority code 'B' (position 1) is not defined by GB 32100"),
        ("94440300192203821X", "organisation category '4' (position 2) is not defined for authority '9'"),
        ("Y2440300192203821X", "organisation category '2' (position 2) is not defined for authority 'Y'"),
        ("91A40300192203821X", "registration region code 'A40300' (positions 3-8) must be 6 digits"),
        ("919903001922038216", "registration region code '990300' (positions 3-8): '99' is not a GB/T"),
        ("91000000192203821X", "registration region code '000000' (positions 3-8): '00' is not a GB/T"),
    ],
)
def test_structural_errors_have_precise_reasons(code: str, message: str) -> None:
    with pytest.raises(InvalidCode) as ei:
        cc.validate_uscc(code)
    assert reason(ei).startswith(message), reason(ei)
    assert ei.value.reason_zh and ei.value.reason_zh != ei.value.reason_en
    # strict=False never relaxes the structural rules.
    with pytest.raises(InvalidCode):
        cc.validate_uscc(code, strict=False)


def test_every_defined_authority_and_category_pair_is_accepted() -> None:
    pairs = "11 12 13 19 21 29 31 32 33 34 35 39 41 49 51 52 53 59 61 62 69 71 72 79 81 89 91 92 93"
    for pair in (pairs + " A1 A9 N1 N2 N3 N9 Y1").split():
        first17 = pair + "440300" + "192203821"
        code = first17 + cc.uscc_check_character(first17)
        assert cc.validate_uscc(code) == code
    for pair in ("10", "14", "22", "36", "54", "63", "73", "82", "94", "99", "A2", "N4", "Y9"):
        first17 = pair + "440300" + "192203821"
        with pytest.raises(InvalidCode, match="position 2"):
            cc.validate_uscc(first17 + cc.uscc_check_character(first17))


def test_inner_organisation_code_check_is_enforced() -> None:
    first17 = "9144030019220382" + "5"  # Huawei with the organisation check digit 1 changed to 5
    code = first17 + cc.uscc_check_character(first17)
    with pytest.raises(InvalidCode) as ei:
        cc.validate_uscc(code)
    assert reason(ei) == "organisation-code check character (position 17, GB 11714) should be '1', got '5'"
    assert cc.validate_uscc(code, strict=False) == code


@pytest.mark.parametrize(
    ("body", "check"),
    # GB 11714-1997 annex example D2143569-X and other published organisation codes.
    [("D2143569", "X"), ("74371976", "1"), ("L1832212", "3"), ("76822546", "9"), ("MA1FL0LY", "9")],
)
def test_org_code_check_character_matches_published_codes(body: str, check: str) -> None:
    assert cc.org_code_check_character(body) == check


def test_check_character_helpers_reject_bad_input() -> None:
    with pytest.raises(InvalidCode, match="must be 17 characters, got 16"):
        cc.uscc_check_character("9144030019220382")
    with pytest.raises(InvalidCode, match="character 'O' at position 3"):
        cc.uscc_check_character("91O403001922038216"[:17])
    with pytest.raises(InvalidCode):
        cc.org_code_check_character("d2143569")
    with pytest.raises(InvalidCode):
        cc.validate_uscc(914403001922038216)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- industry


@pytest.mark.parametrize("code", ["C", "C34", "C344", "C3441", "A0111", "I6513", "T97", "T970", "T9700"])
def test_valid_industry_codes(code: str) -> None:
    assert cc.validate_industry_code(code) == code


def test_industry_code_is_normalised() -> None:
    assert cc.validate_industry_code(" c3441 ") == "C3441"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("C01", "division '01' belongs to section 'A', not 'C' (section C covers divisions 13-43)"),
        ("A13", "division '13' belongs to section 'C', not 'A' (section A covers divisions 01-05)"),
        ("Z99", "section 'Z' does not exist in GB/T 4754-2017"),
        ("U", "section 'U' does not exist in GB/T 4754-2017"),
        ("C98", "division '98' does not exist in GB/T 4754-2017"),
        ("C00", "division '00' does not exist in GB/T 4754-2017"),
        ("C349", None),  # exists: 其他通用设备制造业
        ("C340", "group '340' does not exist in GB/T 4754-2017"),
        ("C3449", "class '3449' does not exist in GB/T 4754-2017"),
        ("3441", "industry code must start with its section letter; did you mean 'C3441'?"),
        ("C3", "'C3' is not an industry code"),
        ("C34411", "'C34411' is not an industry code"),
        ("", "'' is not an industry code"),
    ],
)
def test_industry_code_errors(code: str, message: str | None) -> None:
    if message is None:
        assert cc.validate_industry_code(code) == code
        return
    with pytest.raises(InvalidCode) as ei:
        cc.validate_industry_code(code)
    assert reason(ei).startswith(message), reason(ei)


def test_industry_data_matches_the_standard_structure() -> None:
    data = cc._industry()
    assert sorted(data["sections"]) == list("ABCDEFGHIJKLMNOPQRST")
    assert sorted(data["divisions"]) == [f"{i:02d}" for i in range(1, 98)]
    assert len(data["groups"]) == 473
    assert len(data["classes"]) >= 1380
    # Division ranges printed in GB/T 4754-2017.
    bounds = "A01-05 B06-12 C13-43 D44-46 E47-50 F51-52 G53-60 H61-62 I63-65 J66-69 K70-70 L71-72 M73-75 N76-79"
    ranges = {b[0]: (b[1:3], b[4:6]) for b in (bounds + " O80-82 P83-83 Q84-85 R86-90 S91-96 T97-97").split()}
    for section, (lo, hi) in ranges.items():
        assert tuple(data["sections"][section]["divisions"]) == (lo, hi)
        for d in range(int(lo), int(hi) + 1):
            assert data["divisions"][f"{d:02d}"]["section"] == section
    # Every bundled group and class validates under its own section letter.
    for code in list(data["groups"]) + list(data["classes"]):
        section = data["divisions"][code[:2]]["section"]
        assert cc.validate_industry_code(section + code) == section + code


def test_industry_division_and_manufacturing() -> None:
    div = cc.industry_division("C3441")
    assert (div.code, div.section, div.name_zh) == ("34", "C", "通用设备制造业")
    assert div.name_en == "Manufacture of General Purpose Machinery"
    assert cc.industry_division("I65").name_zh == "软件和信息技术服务业"
    assert cc.industry_division("C39").name_zh == "计算机、通信和其他电子设备制造业"
    with pytest.raises(InvalidCode, match="is a section"):
        cc.industry_division("C")
    assert cc.is_manufacturing("C3441") and cc.is_manufacturing("C13") and cc.is_manufacturing("C")
    assert not cc.is_manufacturing("B06") and not cc.is_manufacturing("D44") and not cc.is_manufacturing("I65")
    with pytest.raises(InvalidCode):
        cc.is_manufacturing("C01")


# -------------------------------------------------------------------------------------- regions


@pytest.mark.parametrize("code", ["110000", "440300", "440000", "110108", "500233", "419001", "710000", "820000"])
def test_valid_region_codes(code: str) -> None:
    assert cc.validate_region_code(code) == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("990000", "'99' is not a GB/T 2260 province-level code"),
        ("100000", "'10' is not a GB/T 2260 province-level code"),
        ("449900", "prefecture-level code '449900' does not exist in Guangdong (广东省)"),
        ("440399", None),  # county digits under a real prefecture: not checked (no county list)
        ("810100", "prefecture-level code '810100' does not exist in Hong Kong"),
        ("110001", "'110001': county digits (5-6) must be 00 when prefecture digits (3-4) are 00"),
        ("44030", "region code must be 6 digits, got '44030'"),
        ("44030a", "region code must be 6 digits"),
        ("４４０３００", "region code must be 6 digits"),  # full-width digits
    ],
)
def test_region_code_errors(code: str, message: str | None) -> None:
    if message is None:
        assert cc.validate_region_code(code) == code
        return
    with pytest.raises(InvalidCode) as ei:
        cc.validate_region_code(code)
    assert reason(ei).startswith(message), reason(ei)


def test_province_level_data() -> None:
    provinces = cc._regions()["provinces"]
    assert len(provinces) == 34
    assert {"71", "81", "82"} <= set(provinces)
    assert cc.region_name("110000") == "北京市" and cc.region_name("110000", "en") == "Beijing"
    assert cc.region_name("710000") == "台湾省" and cc.region_name("710000", "en") == "Taiwan"
    assert cc.region_name("810000", "en") == "Hong Kong" and cc.region_name("820000", "en") == "Macao"
    assert cc.region_name("650000") == "新疆维吾尔自治区"


def test_prefecture_level_data_matches_official_counts() -> None:
    # Official count of prefecture-level divisions: 333 = 293 cities + 7 prefectures + 30
    # autonomous prefectures + 3 leagues.
    prefs = cc.prefectures()
    assert len(prefs) == 333
    kinds = {"市": 0, "地区": 0, "自治州": 0, "盟": 0}
    for p in prefs:
        kind = next(k for k in ("自治州", "地区", "盟", "市") if p.name_zh.endswith(k))
        kinds[kind] += 1
    assert kinds == {"市": 293, "地区": 7, "自治州": 30, "盟": 3}
    for p in prefs:
        assert cc.validate_region_code(p.code) == p.code
        assert p.name_en and p.name_en.isascii() or p.name_en == "Lüliang"
        assert p.latitude is not None and p.longitude is not None
        assert 3 < p.latitude < 54 and 73 < p.longitude < 136  # inside China's extent


def test_region_names_and_centres() -> None:
    assert cc.region_name("440300") == "深圳市" and cc.region_name("440300", "en") == "Shenzhen"
    assert cc.region_name("222400", "en") == "Yanbian Korean Autonomous Prefecture"
    assert cc.region_name("150100", "en") == "Hohhot"
    assert cc.region_name("110100") == "市辖区"
    shenzhen = cc.region("440300")
    assert shenzhen.level == "prefecture"
    assert abs(shenzhen.latitude - 22.54) < 0.1 and abs(shenzhen.longitude - 114.06) < 0.1
    with pytest.raises(LookupError):
        cc.region_name("110108")
    with pytest.raises(ValueError):
        cc.region_name("440300", "fr")  # type: ignore[arg-type]


def test_province_of_and_prefectures_by_province() -> None:
    assert cc.province_of("440300").code == "440000"
    assert cc.province_of("110108").name_zh == "北京市"
    assert cc.province_of("419001").name_en == "Henan"
    guangdong = cc.prefectures("44")
    assert len(guangdong) == 21 and cc.prefectures("440000") == guangdong
    assert {p.name_zh for p in guangdong} >= {"广州市", "深圳市", "东莞市", "中山市"}
    assert cc.prefectures("11") == []  # municipalities have no prefecture-level units
    with pytest.raises(InvalidCode):
        cc.prefectures("99")


# ----------------------------------------------------------------------------------- size class


@pytest.mark.parametrize(
    ("employees", "revenue", "expected"),
    [
        (1000, 40000, SizeClass.large),
        (250000, 9e6, SizeClass.large),
        (999, 40000, SizeClass.medium),  # one bound missed: drops a class (下划一档)
        (1000, 39999.99, SizeClass.medium),
        (300, 2000, SizeClass.medium),
        (299, 2000, SizeClass.small),
        (300, 1999.99, SizeClass.small),
        (5000, 1999.99, SizeClass.small),
        (20, 300, SizeClass.small),
        (19, 300, SizeClass.micro),
        (20, 299.99, SizeClass.micro),
        (100000, 100, SizeClass.micro),  # micro needs only one criterion
        (10, 1e6, SizeClass.micro),
        (0, 0, SizeClass.micro),
    ],
)
def test_industrial_size_class_boundaries(employees: int, revenue: float, expected: SizeClass) -> None:
    assert cc.classify_industrial_enterprise(employees, revenue) is expected


def test_size_class_labels_and_bad_input() -> None:
    assert [s.name_zh for s in SizeClass] == ["大型", "中型", "小型", "微型"]
    assert SizeClass("medium") is SizeClass.medium and SizeClass.medium == "medium"
    for employees, revenue in ((-1, 100), (10, -0.01), (10, float("nan")), (True, 100)):
        with pytest.raises(ValueError):
            cc.classify_industrial_enterprise(employees, revenue)


# --------------------------------------------------------------------------------- module hygiene


def test_reference_data_is_loaded_lazily() -> None:
    src = Path(cc.__file__).resolve().parents[2]
    probe = (
        "import somp.core.cn_codes as c, sys;"
        "print(c._industry.cache_info().currsize, c._regions.cache_info().currsize,"
        " 'sqlalchemy' in sys.modules, 'fastapi' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["0", "0", "False", "False"]
