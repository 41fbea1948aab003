"""Service blueprints (2.1.2): the published hotel blueprint as data, validation, findings,
product-service interfaces and the SVG drawing."""

import xml.etree.ElementTree as ET

import pytest
import yaml

from somp.modules.pss.blueprint import (
    BlueprintError,
    Lane,
    check,
    from_dict,
    interfaces,
    render_svg,
    summary,
    to_dict,
)

SVG = "{http://www.w3.org/2000/svg}"


def hotel() -> dict:
    """The overnight hotel stay of Bitner, Ostrom and Morgan, "Service Blueprinting: A Practical
    Technique for Service Innovation", California Management Review 50(3), 2008, Figure 2 (also in
    Zeithaml, Bitner and Gremler, Services Marketing): ten customer actions with their physical
    evidence, five onstage contact actions, two backstage ones and three support processes."""
    customer = [
        ("C1", "到达酒店", "Arrive at hotel", ["Hotel exterior", "Parking"]),
        ("C2", "把行李交给行李员", "Give bags to bellperson", ["Cart for bags"]),
        ("C3", "办理入住", "Check in", ["Desk", "Registration papers", "Lobby", "Key"]),
        ("C4", "去房间", "Go to room", ["Elevators", "Hallways", "Room"]),
        ("C5", "收到行李", "Receive bags", ["Cart for bags"]),
        ("C6", "睡觉、淋浴", "Sleep, shower", ["Room amenities", "Bath"]),
        ("C7", "叫客房送餐", "Call room service", ["Menu"]),
        ("C8", "收到餐食", "Receive food", ["Delivery tray", "Food appearance"]),
        ("C9", "用餐", "Eat", ["Food"]),
        ("C10", "退房离店", "Check out and leave", ["Bill", "Hotel exterior", "Parking"]),
    ]
    steps = [
        {"code": c, "lane": "customer", "column": k, "label": zh, "label_en": en, "evidence": ev}
        for k, (c, zh, en, ev) in enumerate(customer, start=1)
    ]
    steps += [
        {"code": "F1", "lane": "frontstage", "column": 2, "label": "问候并接过行李", "label_en": "Greet and take bags"},
        {"code": "F2", "lane": "frontstage", "column": 3, "label": "办理登记", "label_en": "Process registration"},
        {"code": "F3", "lane": "frontstage", "column": 5, "label": "送行李", "label_en": "Deliver bags"},
        {"code": "F4", "lane": "frontstage", "column": 8, "label": "送餐", "label_en": "Deliver food"},
        {"code": "F5", "lane": "frontstage", "column": 10, "label": "办理退房", "label_en": "Process check-out"},
        {"code": "B1", "lane": "backstage", "column": 4, "label": "把行李送到房间", "label_en": "Take bags to room"},
        {"code": "B2", "lane": "backstage", "column": 7, "label": "接受点餐", "label_en": "Take food order"},
        {"code": "S1", "lane": "support", "column": 3, "label": "登记系统", "label_en": "Registration system"},
        {"code": "S2", "lane": "support", "column": 7, "label": "准备餐食", "label_en": "Prepare food"},
        {"code": "S3", "lane": "support", "column": 10, "label": "登记系统", "label_en": "Registration system"},
    ]
    flows = [(f"C{k}", f"C{k + 1}") for k in range(1, 10)]
    flows += [("C2", "F1"), ("F1", "B1"), ("B1", "F3"), ("F3", "C5"), ("C3", "F2"), ("F2", "S1"), ("C7", "B2"),
              ("B2", "S2"), ("S2", "F4"), ("F4", "C8"), ("C10", "F5"), ("F5", "S3")]  # fmt: skip
    return {
        "name": "酒店住宿一晚",
        "name_en": "Overnight hotel stay",
        "steps": steps,
        "flows": [{"source": a, "target": b} for a, b in flows],
    }


def test_the_published_hotel_blueprint_is_valid_and_counted_as_published():
    bp = from_dict(hotel())
    s = summary(bp)
    assert s.steps_per_lane == {"customer": 10, "frontstage": 5, "backstage": 2, "support": 3}
    assert s.columns == 10 and s.fail_points == 0
    assert s.visible_share == pytest.approx(15 / 20)
    # backstage/support <-> frontstage flows cross the line of visibility: F1-B1, B1-F3, F2-S1, S2-F4, F5-S3
    assert s.crossings_of_visibility == 5
    # every customer action has its evidence, every frontstage step meets a customer action
    assert s.findings == []


def test_yaml_round_trip_keeps_the_blueprint():
    bp = from_dict(hotel())
    again = from_dict(yaml.safe_load(yaml.safe_dump(to_dict(bp), allow_unicode=True)))
    assert again == bp


def test_invalid_blueprints_are_refused_with_every_reason_in_both_languages():
    data = hotel()
    data["steps"].append({"code": "C1", "lane": "customer", "column": 11, "label": "重复", "label_en": "dup"})
    data["steps"].append({"code": "X", "lane": "backstage", "column": 4, "label": "冲突", "evidence": ["Desk"]})
    data["flows"].append({"source": "C9", "target": "C3"})  # back in time, not a recovery
    data["flows"].append({"source": "C9", "target": "NOPE"})
    with pytest.raises(BlueprintError) as e:
        from_dict(data)
    en = [p[1] for p in e.value.problems]
    assert "step code C1 is used twice" in en
    assert "step X: physical evidence belongs to customer actions" in en
    assert "steps B1 and X share a lane and column" in en
    assert "flow C9 -> C3 goes back in time (mark a recovery flow as such)" in en
    assert "a flow names an unknown step NOPE" in en
    assert all(zh for zh, _ in e.value.problems)
    with pytest.raises(BlueprintError, match="unknown lane"):
        from_dict({"name": "x", "steps": [{"code": "A", "lane": "kitchen", "column": 1, "label": "a"}]})


def step(code, lane, column, label, label_en, **more) -> dict:
    return {"code": code, "lane": lane, "column": column, "label": label, "label_en": label_en, **more}


def compressor_service() -> dict:
    """Remote-monitored compressor maintenance: a fail point with and without a recovery path and the
    components each service step touches (product-service interfaces)."""
    return {
        "name": "空压机预测性维护",
        "name_en": "Compressor predictive maintenance",
        "steps": [
            step("S1", "support", 1, "远程监测与寿命预测", "Remote monitoring, RUL", touches=["airend", "motor"]),
            step("B1", "backstage", 2, "生成预测性工单", "Open predictive order", fail_point=True),
            step("C1", "customer", 3, "确认停机窗口", "Agree downtime window", evidence=["App notice"],
                 wait_minutes=120),
            step("F1", "frontstage", 3, "电话预约", "Call to schedule"),
            step("C2", "customer", 4, "停机等待维修", "Wait during repair", evidence=["Technician", "Tools"]),
            step("F2", "frontstage", 4, "现场更换轴承", "Replace bearing on site", fail_point=True, touches=["airend"]),
            step("B2", "backstage", 4, "备件出库", "Issue spare part", touches=["airend"]),
            step("F3", "frontstage", 5, "试机验收", "Test run and sign-off", touches=["controller", "airend"]),
            step("C3", "customer", 5, "签字验收", "Sign off", evidence=["Service report"]),
        ],
        "flows": [
            {"source": "S1", "target": "B1"}, {"source": "B1", "target": "F1"}, {"source": "F1", "target": "C1"},
            {"source": "C1", "target": "C2"}, {"source": "C2", "target": "F2"}, {"source": "B2", "target": "F2"},
            {"source": "F2", "target": "F3"}, {"source": "F3", "target": "C3"},
            {"source": "F2", "target": "B2", "recovery": True},  # a failed repair: issue another part
        ],
    }  # fmt: skip


def test_findings_interfaces_and_waits():
    bp = from_dict(compressor_service())
    s = summary(bp)
    found = {(f.code, f.message_en) for f in s.findings}
    assert found == {("B1", "fail point B1 has no recovery flow")}  # F2 has one
    assert s.waits == 1 and s.total_wait_minutes == 120
    # in time order, and within a column from the customer's side down
    assert interfaces(bp) == {"airend": ["S1", "F2", "B2", "F3"], "controller": ["F3"], "motor": ["S1"]}
    assert s.components == 3
    assert bp.step("F2").lane is Lane.frontstage


def test_a_fail_point_with_its_own_recovery_flow_is_not_reported():
    data = compressor_service()
    data["flows"].append({"source": "B1", "target": "S1", "recovery": True})
    assert check(from_dict(data)) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_svg_is_well_formed_and_draws_every_step_lane_line_and_flow(lang):
    bp = from_dict(hotel())
    root = ET.fromstring(render_svg(bp, lang))
    assert root.tag == f"{SVG}svg"
    steps = root.findall(f"{SVG}g[@class='step']")
    assert sorted(g.get("data-code") for g in steps) == sorted(s.code for s in bp.steps)
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    lines = ["Line of interaction", "Line of visibility", "Line of internal interaction"]
    if lang == "zh":
        lines = ["互动分界线", "可视分界线", "内部互动分界线"]
    assert all(x in text for x in lines)
    assert ("Physical evidence" if lang == "en" else "有形展示") in text and "Registration papers" in text
    assert len(root.findall(f"{SVG}line[@class='flow']")) == len(bp.flows)
    assert len(root.findall(f"{SVG}line[@class='boundary']")) == 3
    # a step sits in its lane's band
    bands = {round(float(r.get("y"))): r for r in root.findall(f"{SVG}rect[@class='lane-band']")}
    assert len(bands) == 4


def test_labels_are_escaped_in_the_drawing():
    data = hotel()
    data["steps"][0]["label_en"] = 'Arrive <at> "hotel" & park'
    root = ET.fromstring(render_svg(from_dict(data), "en"))
    assert 'Arrive <at> "hotel" & park' in " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
