"""``somp pss kano FILE`` and ``somp pss qfd FILE`` (2.1.1) on files, no database: the Kano study
guide's 25-respondent tallies and SchemaTex's coffee-maker house give their published figures;
files with problems are refused with every problem named. Also the answer notations of
:mod:`somp.modules.pss.requirements_io`."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from somp.cli import app
from somp.modules.pss.kano import Answer
from somp.modules.pss.requirements_io import TableInvalid, house_from_document, parse_answer
from tests.pss.requirements_factories import CHARACTERISTICS, RELATIONSHIPS, ROOF, TALLY_1, TALLY_2, answer_rows

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("1", Answer.like),
        ("我喜欢", Answer.like),
        ("I like it.", Answer.like),
        ("理所当然", Answer.expect),
        ("must-be", Answer.expect),
        (" Neutral ", Answer.neutral),
        ("能忍受", Answer.live_with),
        ("I can live with it", Answer.live_with),
        ("5", Answer.dislike),
        ("我不喜欢", Answer.dislike),
    ],
)
def test_answers_are_read_in_every_usual_notation(text, answer):
    assert parse_answer(text) is answer


def test_kano_command_prints_the_study_guides_figures(tmp_path):
    rows = answer_rows("feature 1", TALLY_1) + answer_rows("feature 2", TALLY_2)
    f = tmp_path / "answers.csv"
    f.write_text("respondent,requirement,functional,dysfunctional\n" + "\n".join(",".join(r) for r in rows) + "\n")
    r = runner.invoke(app, ["pss", "kano", str(f)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    f1, f2 = out["requirements"]["feature 1"], out["requirements"]["feature 2"]
    assert out["respondents"] == 25 and f1["counts"] == TALLY_1
    assert (f1["category"], f2["category"]) == ("O", "M")
    assert f1["better"] == pytest.approx(0.5) and f1["worse"] == pytest.approx(-0.8636, abs=1e-4)
    assert f2["better"] == pytest.approx(0.45) and f2["worse"] == pytest.approx(-0.70)


def test_kano_command_refuses_a_file_with_every_problem(tmp_path):
    f = tmp_path / "answers.csv"
    f.write_text("respondent,requirement,functional,dysfunctional\na,r1,like,dislike\na,r1,like,like\nb,r1,x,1\n")
    r = runner.invoke(app, ["pss", "kano", str(f)])
    assert r.exit_code == 1
    assert "row 3, respondent" in r.output and "row 4, functional" in r.output and "2 problem(s)" in r.output


def coffee_document(**kw):
    return {
        "requirements": [
            {"code": "R-QUIET", "weight": 5},
            {"code": "R-FAST", "weight": 3},
            {"code": "R-ENERGY", "weight": 4},
        ],
        "characteristics": CHARACTERISTICS,
        "relationships": RELATIONSHIPS,
        "roof": ROOF,
    } | kw


def test_qfd_command_prints_schematex_priorities(tmp_path):
    f = tmp_path / "house.yaml"
    f.write_text(yaml.safe_dump(coffee_document(), allow_unicode=True))
    r = runner.invoke(app, ["pss", "qfd", str(f)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [c["absolute"] for c in out["characteristics"]] == [45, 39, 51]
    assert [round(c["relative_pct"]) for c in out["characteristics"]] == [33, 29, 38]
    assert [c["rank"] for c in out["characteristics"]] == [2, 3, 1]
    assert out["trade_offs"] == [{"a": "fan_rpm", "b": "heater_w", "correlation": -2}]
    g = tmp_path / "house.json"
    g.write_text(json.dumps(coffee_document(roof=[{"a": "fan_rpm", "b": "nope", "correlation": 3}])))
    r = runner.invoke(app, ["pss", "qfd", str(g)])
    assert r.exit_code == 1 and "roof[0].b" in r.output and "roof[0].correlation" in r.output


def test_house_documents_are_checked_whole():
    with pytest.raises(TableInvalid) as e:
        house_from_document(coffee_document(requirements=[{"code": "R-QUIET", "weight": -1}, {"weight": 2}]))
    assert [p.field for p in e.value.problems] == ["requirements[0].weight", "requirements[1].code"]
    with pytest.raises(TableInvalid) as e:
        house_from_document(coffee_document(characteristics=[*CHARACTERISTICS, CHARACTERISTICS[0]]))
    assert e.value.problems[0].code == "duplicate"
