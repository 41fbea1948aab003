"""Seeds for requirements-engineering tests (2.1.1): the coffee-maker house of SchemaTex and the
25-respondent tally of the Kano study guide (see tests/pss/test_kano.py and test_qfd.py)."""

from __future__ import annotations

from typing import Any

from somp.core.tenancy import Scope

# an answer pair per Kano category (Berger et al. 1993 evaluation table)
PAIR = {
    "A": ("like", "neutral"),
    "O": ("like", "dislike"),
    "M": ("neutral", "dislike"),
    "I": ("neutral", "neutral"),
    "R": ("dislike", "like"),
    "Q": ("like", "like"),
}
# the study guide's tallies (25 respondents): feature 1 one-dimensional, feature 2 must-be
TALLY_1 = {"M": 9, "O": 10, "A": 1, "I": 2, "R": 3, "Q": 0}
TALLY_2 = {"M": 9, "O": 5, "A": 4, "I": 2, "R": 4, "Q": 1}
TALLY_3 = {"A": 15, "I": 5, "O": 3, "M": 2}  # a third, attractive

COFFEE = [
    ("R-QUIET", "运行安静", "Quiet operation", "5"),
    ("R-FAST", "冲泡快", "Brews fast", "3"),
    ("R-ENERGY", "节能", "Energy efficient", "4"),
]
CHARACTERISTICS = [
    {"code": "fan_rpm", "name": "风扇转速", "name_en": "Fan RPM", "direction": "minimise", "unit": "rpm"},
    {"code": "heater_w", "name": "加热功率", "name_en": "Heater watts", "direction": "maximise", "unit": "W"},
    {"code": "insulation", "name": "保温层", "name_en": "Insulation", "direction": "maximise", "unit": "mm"},
]
RELATIONSHIPS = [
    {"requirement": "R-QUIET", "characteristic": "fan_rpm", "strength": 9},
    {"requirement": "R-QUIET", "characteristic": "insulation", "strength": 3},
    {"requirement": "R-FAST", "characteristic": "heater_w", "strength": 9},
    {"requirement": "R-ENERGY", "characteristic": "heater_w", "strength": 3},
    {"requirement": "R-ENERGY", "characteristic": "insulation", "strength": 9},
]
ROOF = [{"a": "fan_rpm", "b": "heater_w", "correlation": -2}, {"a": "heater_w", "b": "insulation", "correlation": 1}]


def answer_rows(code: str, tally: dict[str, int], prefix: str = "resp") -> list[tuple[str, str, str, str]]:
    out, k = [], 0
    for cat, n in tally.items():
        for _ in range(n):
            out.append((f"{prefix}{k}", code, *PAIR[cat]))
            k += 1
    return out


def seed_requirements(db, tenant, offering_id: int, customer_id: int | None, mark: str = "") -> dict[str, Any]:
    """Three requirements (codes suffixed with ``mark``, titles carrying it), a Kano questionnaire
    with the study guide's answers, and the coffee-maker house on the offering."""
    from somp.modules.pss import requirements as svc
    from somp.modules.pss.requirements_io import AnswerRow
    from somp.modules.pss.requirements_schemas import HouseIn, QuestionnaireCreate, RequirementCreate

    with db.session(Scope.tenant(tenant.id)) as s:
        ids = []
        for code, zh, en, w in COFFEE:
            r = svc.create_requirement(
                s,
                RequirementCreate(
                    code=f"{code}{mark}",
                    title=f"{zh}{mark}",
                    title_en=en,
                    offering_id=offering_id,
                    customer_id=customer_id,
                    source_kind="ticket",
                    source_ref=f"TK-{mark or 1}",
                    weight=w,
                ),
                None,
            )
            ids.append(r.id)
        qn = svc.create_questionnaire(
            s,
            QuestionnaireCreate(
                code=f"KQ{mark}",
                title=f"问卷{mark}",
                offering_id=offering_id,
                questions=[{"requirement_id": i} for i in ids],
            ),
        )
        rows = []
        for (code, *_), tally in zip(COFFEE, (TALLY_1, TALLY_2, TALLY_3), strict=True):
            rows += answer_rows(f"{code}{mark}", tally, f"r{mark}")
        svc.record_answers(s, qn.id, [AnswerRow(n, *r) for n, r in enumerate(rows, start=2)])
        house = HouseIn(
            requirements=[f"{c}{mark}" for c, *_ in COFFEE],
            characteristics=CHARACTERISTICS,
            relationships=[r | {"requirement": r["requirement"] + mark} for r in RELATIONSHIPS],
            roof=ROOF,
        )
        svc.put_house(s, offering_id, house)
        s.commit()
        return {"requirement": ids[0], "kano_questionnaire": qn.id, "requirement_ids": ids}
