"""Requirements engineering over HTTP (2.1.1), on SQLite and PostgreSQL: requirements with their
change history, Kano answers uploaded as CSV/Excel or sent as JSON (validated whole) giving the
study guide's published categories and Better/Worse, and the house of quality giving SchemaTex's
published coffee-maker priorities, with importance or Kano weights."""

from __future__ import annotations

import io

import pytest

from somp.core.identity import Role
from tests.factories import make_customer, make_offering, make_product, make_tenant, make_user
from tests.pss.requirements_factories import (
    CHARACTERISTICS,
    COFFEE,
    RELATIONSHIPS,
    ROOF,
    TALLY_1,
    TALLY_2,
    TALLY_3,
    answer_rows,
)

API = "/api/v1/pss/requirements"


@pytest.fixture
def shop(db):
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    o2 = make_offering(db, t, p.id, code="OF-OTHER")
    c = make_customer(db, t)
    admin = make_user(db, t, Role.tenant_admin)
    return t, o.id, o2.id, c.id, admin


def problem(r, status=422):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def create_coffee(api, offering_id, customer_id=None):
    ids = {}
    for code, zh, en, w in COFFEE:
        r = api.post(
            API,
            json={
                "code": code,
                "title": zh,
                "title_en": en,
                "offering_id": offering_id,
                "customer_id": customer_id,
                "source_kind": "survey",
                "source_ref": "S-2026-03",
                "weight": w,
            },
        )
        assert r.status_code == 201, r.text
        ids[code] = r.json()["id"]
    return ids


def test_requirements_are_captured_changed_and_every_change_is_in_the_history(client_as, shop):
    _t, off, off2, cust, admin = shop
    api = client_as(admin)
    body = {
        "code": "R-1",
        "title": "远程诊断",
        "offering_id": off,
        "customer_id": cust,
        "source_kind": "ticket",
        "source_ref": "TK-2026-00017",
        "priority": "must",
        "weight": "4",
    }
    r = api.post(API, json=body)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "captured" and req["source_ref"] == "TK-2026-00017" and req["weight"] == "4.000"
    assert problem(api.post(API, json=body), 409)["errors"][0]["code"] == "duplicate"
    bad = problem(api.post(API, json=body | {"code": "R-2", "offering_id": 999_999}))
    assert bad["errors"][0]["field"] == "offering_id"
    assert problem(api.post(API, json=body | {"code": "R-3", "weight": "0"}))
    url = f"{API}/{req['id']}"
    r = api.patch(url, json={"weight": "5", "priority": "should", "note": "客户回访", "version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert problem(api.patch(url, json={"weight": "2", "version": 1}), 409)["errors"][0]["code"] == "stale"
    err = problem(api.patch(url, json={"status": "implemented"}), 409)["errors"][0]
    assert err["code"] == "illegal_transition" and "accepted" in err["params"]["allowed"]
    assert api.patch(url, json={"status": "accepted"}).json()["status"] == "accepted"
    assert problem(api.patch(url, json={"title": None}))["errors"][0]["code"] == "required"
    assert api.patch(url, json={"source_ref": None}).json()["source_ref"] is None
    hist = api.get(f"{url}/history").json()
    assert [h["kind"] for h in hist] == ["created", "updated", "status", "updated"]
    assert hist[1]["changes"] == {"priority": ["must", "should"], "weight": ["4.000", "5.000"]}
    assert hist[1]["note"] == "客户回访" and hist[1]["by_user_id"] == admin.id
    assert hist[2]["changes"] == {"status": ["captured", "accepted"]}
    assert hist[3]["changes"] == {"source_ref": ["TK-2026-00017", None]}
    api.post(
        API,
        json=body
        | {"code": "R-4", "title": "能耗看板", "offering_id": off2, "customer_id": None, "source_kind": "market"},
    )
    assert [x["code"] for x in api.get(API, params={"offering_id": off}).json()["items"]] == ["R-1"]
    assert [x["code"] for x in api.get(API, params={"source_kind": "market"}).json()["items"]] == ["R-4"]
    assert [x["code"] for x in api.get(API, params={"status": "accepted"}).json()["items"]] == ["R-1"]
    assert [x["code"] for x in api.get(API, params={"q": "远程"}).json()["items"]] == ["R-1"]
    assert api.get(f"{API}/999999").status_code == 404


def _csv(rows, notation=lambda a: a) -> bytes:
    lines = ["受访者,需求,正向问题,反向问题"] + [f"{r},{q},{notation(f)},{notation(d)}" for r, q, f, d in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


NUMBER = {"like": "1", "expect": "2", "neutral": "3", "live_with": "4", "dislike": "5"}
CHINESE = {"like": "我喜欢", "expect": "理所当然", "neutral": "无所谓", "live_with": "能忍受", "dislike": "我不喜欢"}


def test_kano_upload_reproduces_the_study_guides_published_categories_and_coefficients(client_as, shop):
    _t, off, _o2, _c, admin = shop
    api = client_as(admin)
    ids = create_coffee(api, off)
    r = api.post(
        f"{API}/kano-questionnaires",
        json={
            "code": "KQ-1",
            "title": "咖啡机需求",
            "offering_id": off,
            "questions": [{"requirement_id": i} for i in ids.values()],
        },
    )
    assert r.status_code == 201, r.text
    qn = r.json()
    assert [q["requirement_code"] for q in qn["questions"]] == list(ids)
    assert qn["questions"][0]["functional"] == "如果具备「运行安静」，您觉得如何？"
    base = f"{API}/kano-questionnaires/{qn['id']}"
    # feature 1 from a CSV in Chinese wording, feature 2 as numbers, feature 3 from an Excel file
    r = api.post(
        f"{base}/answers/upload", files={"file": ("a.csv", _csv(answer_rows("R-QUIET", TALLY_1), CHINESE.get))}
    )
    assert r.status_code == 201 and r.json() == {"stored": 25, "respondents": 25}, r.text
    r = api.post(f"{base}/answers/upload", files={"file": ("b.csv", _csv(answer_rows("R-FAST", TALLY_2), NUMBER.get))})
    assert r.status_code == 201, r.text
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["respondent", "requirement", "functional", "dysfunctional"])
    for row in answer_rows("R-ENERGY", TALLY_3):
        wb.active.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    r = api.post(f"{base}/answers/upload", files={"file": ("c.xlsx", buf.getvalue())})
    assert r.status_code == 201 and r.json()["stored"] == 25, r.text
    res = api.get(f"{base}/results").json()
    assert res["respondents"] == 25
    f1, f2, f3 = res["requirements"]
    assert f1["counts"] == TALLY_1 and f1["category"] == "O" and f1["category_zh"] == "期望型"
    assert f1["better"] == pytest.approx(0.5) and f1["worse"] == pytest.approx(-0.8636, abs=1e-4)
    assert f2["category"] == "M" and f2["better"] == pytest.approx(0.45) and f2["worse"] == pytest.approx(-0.70)
    assert f1["category_strength"] == pytest.approx(0.04) and f1["significant"] is False
    assert f3["category"] == "A" and f3["better"] == pytest.approx(18 / 25) and f3["significant"] is True
    assert api.get(base).json()["answers"] == 75


def test_a_bad_answer_batch_is_refused_whole_with_every_row_named(client_as, shop):
    _t, off, off2, _c, admin = shop
    api = client_as(admin)
    ids = create_coffee(api, off)
    other = api.post(API, json={"code": "R-X", "title": "x", "offering_id": off2, "source_kind": "internal"})
    r = api.post(
        f"{API}/kano-questionnaires",
        json={
            "code": "KQ-2",
            "title": "x",
            "offering_id": off,
            "questions": [
                {"requirement_id": other.json()["id"]},
                {"requirement_id": ids["R-FAST"]},
                {"requirement_id": ids["R-FAST"]},
            ],
        },
    )
    assert [e["code"] for e in problem(r)["errors"]] == ["other_offering", "duplicate"]
    qn = api.post(
        f"{API}/kano-questionnaires",
        json={
            "code": "KQ-2",
            "title": "x",
            "offering_id": off,
            "questions": [{"requirement_id": i} for i in ids.values()],
        },
    ).json()
    base = f"{API}/kano-questionnaires/{qn['id']}"
    rows = [
        ("p1", "R-QUIET", "like", "dislike"),
        ("p2", "R-NOPE", "like", "dislike"),
        ("p3", "R-FAST", "maybe", "dislike"),
        ("p1", "R-QUIET", "like", "neutral"),
        ("p4", "", "1", "5"),
    ]
    err = problem(api.post(f"{base}/answers/upload", files={"file": ("x.csv", _csv(rows))}))
    assert [(e["row"], e["field"], e["code"]) for e in err["errors"]] == [
        (4, "functional", "invalid_answer"),
        (5, "respondent", "duplicate"),
        (6, "requirement", "required"),
    ]
    good = [("p1", "R-QUIET", "like", "dislike"), ("p2", "R-NOPE", "like", "dislike")]
    err = problem(api.post(f"{base}/answers/upload", files={"file": ("x.csv", _csv(good))}))
    assert [(e["row"], e["code"]) for e in err["errors"]] == [(3, "not_asked")]
    assert api.get(base).json()["answers"] == 0  # nothing of either batch was stored
    assert problem(api.post(f"{base}/answers/upload", files={"file": ("x.pdf", b"%PDF")}))["errors"][0]["code"] == (
        "unknown_format"
    )
    bad_header = b"who,what\np1,R-QUIET\n"
    assert {
        e["code"] for e in problem(api.post(f"{base}/answers/upload", files={"file": ("x.csv", bad_header)}))["errors"]
    } == {"missing_column"}
    answers = [{"respondent": "p1", "requirement": "R-QUIET", "functional": "like", "dysfunctional": "dislike"}]
    r = api.post(f"{base}/answers", json={"answers": answers})
    assert r.status_code == 201 and r.json()["stored"] == 1
    assert problem(api.post(f"{base}/answers", json={"answers": answers}))["errors"][0]["code"] == "duplicate"
    assert api.patch(base, json={"status": "closed"}).json()["status"] == "closed"
    answers[0]["respondent"] = "p9"
    assert problem(api.post(f"{base}/answers", json={"answers": answers}), 409)


def _house(**kw):
    return {"characteristics": CHARACTERISTICS, "relationships": RELATIONSHIPS, "roof": ROOF} | kw


def test_house_of_quality_gives_schematex_coffee_maker_priorities(client_as, shop):
    _t, off, _o2, _c, admin = shop
    api = client_as(admin)
    create_coffee(api, off)
    url = f"{API}/qfd/{off}"
    assert api.get(url).status_code == 404
    r = api.put(url, json=_house())
    assert r.status_code == 200, r.text
    assert r.json()["requirements"] == ["R-ENERGY", "R-FAST", "R-QUIET"]  # default: by code
    r = api.put(url, json=_house(requirements=["R-QUIET", "R-FAST", "R-ENERGY"], version=1))
    assert r.status_code == 200 and r.json()["version"] == 2
    p = api.get(f"{url}/priorities").json()
    chars = {c["code"]: c for c in p["characteristics"]}
    assert [chars[k]["absolute"] for k in ("fan_rpm", "heater_w", "insulation")] == [45, 39, 51]
    assert [round(chars[k]["relative_pct"]) for k in ("fan_rpm", "heater_w", "insulation")] == [33, 29, 38]
    assert [chars[k]["rank"] for k in ("fan_rpm", "heater_w", "insulation")] == [2, 3, 1]
    assert chars["fan_rpm"]["direction"] == "minimise" and chars["heater_w"]["unit"] == "W"
    assert p["matrix"] == [[9, 0, 3], [0, 9, 0], [0, 3, 9]]
    assert p["roof"] == [[0, -2, 0], [-2, 0, 1], [0, 1, 0]]
    assert p["trade_offs"] == [{"a": "fan_rpm", "b": "heater_w", "correlation": -2}]
    assert [w["weight"] for w in p["requirements"]] == [5, 3, 4]
    bad = _house(
        relationships=[
            *RELATIONSHIPS,
            {"requirement": "R-NONE", "characteristic": "fan_rpm", "strength": 9},
            {"requirement": "R-FAST", "characteristic": "torque", "strength": 3},
        ],
        roof=[*ROOF, {"a": "fan_rpm", "b": "fan_rpm", "correlation": 1}],
    )
    err = problem(api.put(url, json=bad | {"version": 2}))
    assert {e["field"] for e in err["errors"]} == {
        "relationships[5].requirement",
        "relationships[6].characteristic",
        "roof[2]",
    }
    assert problem(
        api.put(url, json=_house(relationships=[{"requirement": "R-FAST", "characteristic": "fan_rpm", "strength": 5}]))
    )
    assert problem(api.put(url, json=_house(weight_source="kano")))
    assert problem(api.put(url, json=_house(version=1)), 409)
    assert api.get(url).json()["version"] == 2  # refused edits changed nothing


def test_kano_weights_adjust_the_house(client_as, shop):
    """weight = importance x max(Better, |Worse|): quiet 5 x 0.8636, fast 3 x 0.70, energy 4 x 0.72."""
    _t, off, _o2, _c, admin = shop
    api = client_as(admin)
    ids = create_coffee(api, off)
    qn = api.post(
        f"{API}/kano-questionnaires",
        json={
            "code": "KQ-3",
            "title": "x",
            "offering_id": off,
            "questions": [{"requirement_id": i} for i in ids.values()],
        },
    ).json()
    url = f"{API}/qfd/{off}"
    api.put(url, json=_house(requirements=list(ids), weight_source="kano", questionnaire_id=qn["id"]))
    err = problem(api.get(f"{url}/priorities"))
    assert {e["code"] for e in err["errors"]} == {"no_kano_result"}
    rows = answer_rows("R-QUIET", TALLY_1) + answer_rows("R-FAST", TALLY_2) + answer_rows("R-ENERGY", TALLY_3)
    answers = [{"respondent": r, "requirement": q, "functional": f, "dysfunctional": d} for r, q, f, d in rows]
    assert api.post(f"{API}/kano-questionnaires/{qn['id']}/answers", json={"answers": answers}).status_code == 201
    p = api.get(f"{url}/priorities").json()
    w = [5 * 19 / 22, 3 * 14 / 20, 4 * 18 / 25]
    assert [x["weight"] for x in p["requirements"]] == pytest.approx(w, abs=1e-6)
    assert [x["kano_category"] for x in p["requirements"]] == ["O", "M", "A"]
    fan, heater, insulation = (c["absolute"] for c in p["characteristics"])
    assert fan == pytest.approx(9 * w[0]) and heater == pytest.approx(9 * w[1] + 3 * w[2])
    assert insulation == pytest.approx(3 * w[0] + 9 * w[2])
