"""Service blueprints (framework node 2.1.2, product-service combination design 产品服务组合设计).
Pure Python: no database, no web framework.

A blueprint lays a service out in time (columns, left to right) and in depth (lanes, top to
bottom), after Shostack ("Designing services that deliver", HBR 1984) and Bitner, Ostrom and Morgan
("Service Blueprinting: A Practical Technique for Service Innovation", California Management
Review 50(3), 2008):

* **physical evidence** (有形展示) above each customer action: what the customer sees and touches;
* **customer actions** (顾客行为);
* the *line of interaction* (互动分界线);
* **frontstage** actions of contact staff the customer sees (前台行为);
* the *line of visibility* (可视分界线);
* **backstage** actions of contact staff the customer does not see (后台行为);
* the *line of internal interaction* (内部互动分界线);
* **support processes** (支持过程) by other units and systems.

A step may be a fail point (失败点: where the service often goes wrong, shown with an F) or carry
an expected wait (等待点, W), and may name the product components it touches: the
product-service interfaces (which service touches which component of the product).

:func:`check` validates a blueprint (unique codes, flows between known steps, never backwards in
time, lanes and evidence where they belong) and returns findings that do not make it invalid but
deserve a look (a fail point without a recovery path, a customer action without evidence, a
frontstage step the customer never meets). :func:`render_svg` draws it; :func:`interfaces` and
:func:`summary` give the product-service interfaces and counts.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape


class Lane(enum.StrEnum):
    customer = "customer"
    frontstage = "frontstage"
    backstage = "backstage"
    support = "support"


LANE_ORDER = (Lane.customer, Lane.frontstage, Lane.backstage, Lane.support)
LANE_LABELS = {
    Lane.customer: ("顾客行为", "Customer actions"),
    Lane.frontstage: ("前台行为", "Frontstage"),
    Lane.backstage: ("后台行为", "Backstage"),
    Lane.support: ("支持过程", "Support processes"),
}
EVIDENCE_LABEL = ("有形展示", "Physical evidence")
LINES = (  # drawn below the lane they follow
    (Lane.customer, ("互动分界线", "Line of interaction")),
    (Lane.frontstage, ("可视分界线", "Line of visibility")),
    (Lane.backstage, ("内部互动分界线", "Line of internal interaction")),
)


class BlueprintError(ValueError):
    """The blueprint is not valid; ``problems`` lists every reason (zh, en)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(en for _, en in problems))
        self.problems = problems


@dataclass(frozen=True)
class Step:
    code: str
    lane: Lane
    column: int  # position in time, 1 = first
    label: str  # Chinese
    label_en: str
    evidence: tuple[str, ...] = ()  # physical evidence, customer actions only
    fail_point: bool = False
    wait_minutes: float | None = None
    touches: tuple[str, ...] = ()  # product component codes this step works on


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    recovery: bool = False  # a way back to a good state after a fail point


@dataclass(frozen=True)
class Blueprint:
    name: str
    name_en: str
    steps: tuple[Step, ...]
    flows: tuple[Flow, ...] = ()

    def step(self, code: str) -> Step:
        for s in self.steps:
            if s.code == code:
                return s
        raise KeyError(code)


@dataclass(frozen=True)
class Finding:
    code: str  # the step concerned
    message: str
    message_en: str


@dataclass(frozen=True)
class Summary:
    steps_per_lane: dict[str, int]
    columns: int
    fail_points: int
    waits: int
    total_wait_minutes: float
    visible_share: float  # customer and frontstage steps / all steps
    crossings_of_visibility: int  # flows between frontstage and backstage or support
    components: int = 0
    findings: list[Finding] = field(default_factory=list)


def from_dict(data: Mapping[str, Any]) -> Blueprint:
    """A blueprint from plain data (YAML or JSON), e.g.
    ``{"name": ..., "name_en": ..., "steps": [{"code": "C1", "lane": "customer", "column": 1, ...}],
    "flows": [{"source": "C1", "target": "F1"}]}``; problems are collected, not stopped at."""
    problems: list[tuple[str, str]] = []
    steps = []
    for n, raw in enumerate(data.get("steps") or []):
        try:
            lane = Lane(raw.get("lane"))
        except ValueError:
            problems.append(
                (f"第 {n + 1} 个步骤的泳道 {raw.get('lane')!r} 无效",
                 f"step {n + 1}: unknown lane {raw.get('lane')!r}")
            )
            continue
        column = raw.get("column")
        if not isinstance(column, int) or isinstance(column, bool) or column < 1:
            problems.append(
                (f"第 {n + 1} 个步骤的列必须是正整数",
                 f"step {n + 1}: column must be a positive integer")
            )
            continue
        wait = raw.get("wait_minutes")
        if wait is not None and (not isinstance(wait, int | float) or isinstance(wait, bool) or wait < 0):
            problems.append(
                (f"第 {n + 1} 个步骤的等待时间无效",
                 f"step {n + 1}: wait_minutes must be >= 0")
            )
            continue
        steps.append(
            Step(
                code=str(raw.get("code") or ""),
                lane=lane,
                column=column,
                label=str(raw.get("label") or ""),
                label_en=str(raw.get("label_en") or raw.get("label") or ""),
                evidence=tuple(str(e) for e in raw.get("evidence") or ()),
                fail_point=bool(raw.get("fail_point", False)),
                wait_minutes=float(wait) if wait is not None else None,
                touches=tuple(str(t) for t in raw.get("touches") or ()),
            )
        )
    flows = tuple(
        Flow(str(f.get("source")), str(f.get("target")), bool(f.get("recovery", False)))
        for f in data.get("flows") or []
    )
    if problems:
        raise BlueprintError(problems)
    bp = Blueprint(str(data.get("name") or ""), str(data.get("name_en") or data.get("name") or ""), tuple(steps), flows)
    check(bp)
    return bp


def to_dict(bp: Blueprint) -> dict[str, Any]:
    return {
        "name": bp.name,
        "name_en": bp.name_en,
        "steps": [
            {k: v for k, v in (("code", s.code), ("lane", s.lane.value), ("column", s.column), ("label", s.label),
                               ("label_en", s.label_en), ("evidence", list(s.evidence)), ("fail_point", s.fail_point),
                               ("wait_minutes", s.wait_minutes), ("touches", list(s.touches)))
             if v not in (None, [], False)}
            for s in bp.steps
        ],
        "flows": [
            {"source": f.source, "target": f.target} | ({"recovery": True} if f.recovery else {}) for f in bp.flows
        ],
    }  # fmt: skip


def check(bp: Blueprint) -> list[Finding]:
    """Raise :class:`BlueprintError` when the blueprint is not valid; return what deserves a look."""
    problems: list[tuple[str, str]] = []
    if not bp.name.strip():
        problems.append(("蓝图需要名称", "the blueprint needs a name"))
    if not bp.steps:
        problems.append(("蓝图至少需要一个步骤", "the blueprint needs at least one step"))
    codes: dict[str, Step] = {}
    for s in bp.steps:
        if not s.code.strip():
            problems.append(("步骤需要编码", "a step needs a code"))
        elif s.code in codes:
            problems.append(
                (f"步骤编码 {s.code} 重复",
                 f"step code {s.code} is used twice")
            )
        codes[s.code] = s
        if not s.label.strip():
            problems.append(
                (f"步骤 {s.code} 需要名称",
                 f"step {s.code} needs a label")
            )
        if s.evidence and s.lane is not Lane.customer:
            problems.append(
                (f"步骤 {s.code}：有形展示只属于顾客行为",
                 f"step {s.code}: physical evidence belongs to customer actions")
            )
    at: dict[tuple[Lane, int], str] = {}
    for s in bp.steps:
        other = at.get((s.lane, s.column))
        if other is not None and other != s.code:
            problems.append(
                (f"步骤 {other} 与 {s.code} 处于同一泳道同一列",
                 f"steps {other} and {s.code} share a lane and column")
            )
        at[(s.lane, s.column)] = s.code
    for f in bp.flows:
        a, b = codes.get(f.source), codes.get(f.target)
        if a is None or b is None:
            missing = f.source if a is None else f.target
            problems.append(
                (f"流程引用了不存在的步骤 {missing}",
                 f"a flow names an unknown step {missing}")
            )
            continue
        if f.source == f.target:
            problems.append(
                (f"步骤 {f.source} 不能流向自身",
                 f"step {f.source} flows to itself")
            )
        elif b.column < a.column and not f.recovery:
            problems.append(
                (f"流程 {f.source} → {f.target} 逆时间方向（补救流程请标记 recovery）",
                 f"flow {f.source} -> {f.target} goes back in time (mark a recovery flow as such)")
            )
    if problems:
        raise BlueprintError(problems)
    findings: list[Finding] = []
    outgoing: dict[str, list[Flow]] = defaultdict(list)
    touched: set[str] = set()
    for f in bp.flows:
        outgoing[f.source].append(f)
        touched |= {f.source, f.target}
    customer_columns = {s.column for s in bp.steps if s.lane is Lane.customer}
    for s in bp.steps:
        if s.fail_point and not any(f.recovery for f in outgoing[s.code]):
            findings.append(
                Finding(s.code, f"失败点 {s.code} 没有补救流程",
                        f"fail point {s.code} has no recovery flow")
            )
        if s.lane is Lane.customer and not s.evidence:
            findings.append(
                Finding(s.code, f"顾客行为 {s.code} 没有有形展示",
                        f"customer action {s.code} has no physical evidence")
            )
        if s.lane is Lane.frontstage and s.column not in customer_columns:
            findings.append(
                Finding(s.code, f"前台行为 {s.code} 没有对应的顾客行为",
                        f"frontstage step {s.code} meets no customer action")
            )
        if len(bp.steps) > 1 and s.code not in touched:
            findings.append(
                Finding(s.code, f"步骤 {s.code} 没有连接任何流程",
                        f"step {s.code} is not connected by any flow")
            )
    return findings


def interfaces(bp: Blueprint) -> dict[str, list[str]]:
    """Product component -> the steps (codes, in time order) that touch it."""
    out: dict[str, list[Step]] = defaultdict(list)
    for s in bp.steps:
        for c in s.touches:
            out[c].append(s)
    order = {lane: k for k, lane in enumerate(LANE_ORDER)}
    return {c: [s.code for s in sorted(v, key=lambda s: (s.column, order[s.lane]))] for c, v in sorted(out.items())}


def summary(bp: Blueprint) -> Summary:
    findings = check(bp)
    lanes = {lane.value: sum(1 for s in bp.steps if s.lane is lane) for lane in LANE_ORDER}
    lane_of = {s.code: s.lane for s in bp.steps}
    hidden = (Lane.backstage, Lane.support)
    crossings = sum(
        1 for f in bp.flows
        if (lane_of[f.source] in hidden) != (lane_of[f.target] in hidden)
        and Lane.customer not in (lane_of[f.source], lane_of[f.target])
    )  # fmt: skip
    waits = [s.wait_minutes for s in bp.steps if s.wait_minutes]
    return Summary(
        steps_per_lane=lanes,
        columns=len({s.column for s in bp.steps}),
        fail_points=sum(s.fail_point for s in bp.steps),
        waits=len(waits),
        total_wait_minutes=float(sum(waits)),
        visible_share=(lanes["customer"] + lanes["frontstage"]) / len(bp.steps),
        crossings_of_visibility=crossings,
        components=len(interfaces(bp)),
        findings=findings,
    )


# ---------------------------------------------------------------------------------------- drawing

_COL_W, _BOX_W, _BOX_H, _LANE_H, _HEAD_W, _EVIDENCE_H, _PAD = 150, 126, 54, 90, 120, 70, 12


def render_svg(bp: Blueprint, lang: str = "zh") -> str:
    """The blueprint as a standalone SVG document (labels in ``lang``: ``zh`` or ``en``)."""
    check(bp)
    en = lang == "en"
    columns = max(s.column for s in bp.steps)
    width = _HEAD_W + columns * _COL_W + _PAD
    top = _PAD + 28
    lane_y = {lane: top + _EVIDENCE_H + k * _LANE_H for k, lane in enumerate(LANE_ORDER)}
    height = lane_y[Lane.support] + _LANE_H + _PAD
    title = _t(bp.name_en if en else bp.name)
    x_of = {c: _HEAD_W + (c - 1) * _COL_W + (_COL_W - _BOX_W) / 2 for c in range(1, columns + 1)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Noto Sans CJK SC, sans-serif" font-size="12" role="img">',
        f"<title>{title}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
        f'<text x="{_PAD}" y="{_PAD + 14}" font-size="15" font-weight="bold">{title}</text>',
        f'<text x="{_PAD}" y="{top + _EVIDENCE_H / 2}" class="lane">{_t(EVIDENCE_LABEL[1 if en else 0])}</text>',
    ]
    for lane in LANE_ORDER:
        y = lane_y[lane]
        fill, label = _LANE_FILL[lane], _t(LANE_LABELS[lane][1 if en else 0])
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{_LANE_H}" fill="{fill}" class="lane-band"/>')
        out.append(f'<text x="{_PAD}" y="{y + _LANE_H / 2}" class="lane">{label}</text>')
    for lane, names in LINES:
        y = lane_y[lane] + _LANE_H
        out.append(
            f'<line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="#555" stroke-dasharray="6 4" class="boundary"/>'
        )
        out.append(f'<text x="{width - _PAD}" y="{y - 4}" text-anchor="end" font-size="10" fill="#555">'
                   f"{_t(names[1 if en else 0])}</text>")  # fmt: skip
    centre: dict[str, tuple[float, float]] = {}
    for s in bp.steps:
        x, y = x_of[s.column], lane_y[s.lane] + (_LANE_H - _BOX_H) / 2
        centre[s.code] = (x + _BOX_W / 2, y + _BOX_H / 2)
        stroke = "#c0392b" if s.fail_point else "#333"
        out.append(f'<g class="step" data-code="{_t(s.code)}" data-lane="{s.lane.value}">')
        out.append(f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="#fff" stroke="{stroke}"/>')
        for k, line in enumerate(_wrap(s.label_en if en else s.label, 18 if en else 9)[:3]):
            out.append(f'<text x="{x + _BOX_W / 2}" y="{y + 17 + 14 * k}" text-anchor="middle">{_t(line)}</text>')
        if s.fail_point:
            out.append(_badge(x + _BOX_W - 4, y + 4, "F", "#c0392b"))
        if s.wait_minutes:
            out.append(_badge(x + 4, y + 4, "W", "#d68910"))
            out.append(f"<title>{_t(f'{s.wait_minutes:g} min')}</title>")
        out.append("</g>")
        if s.evidence:
            ey = top + 4
            for k, line in enumerate(list(s.evidence)[:4]):
                out.append(f'<text x="{x + _BOX_W / 2}" y="{ey + 14 * (k + 1)}" text-anchor="middle" font-size="10" '
                           f'class="evidence">{_t(line)}</text>')  # fmt: skip
    for f in bp.flows:
        (x1, y1), (x2, y2) = centre[f.source], centre[f.target]
        if x1 == x2:  # vertical: box edge to box edge
            y1, y2 = (y1 + _BOX_H / 2, y2 - _BOX_H / 2) if y2 > y1 else (y1 - _BOX_H / 2, y2 + _BOX_H / 2)
        else:
            x1, x2 = (x1 + _BOX_W / 2, x2 - _BOX_W / 2) if x2 > x1 else (x1 - _BOX_W / 2, x2 + _BOX_W / 2)
        dash = ' stroke-dasharray="3 3"' if f.recovery else ""
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#444"{dash} '
                   f'marker-end="url(#arrow)" class="flow"/>')  # fmt: skip
    out.append("</svg>")
    return "\n".join(out)


_LANE_FILL = {Lane.customer: "#eaf2f8", Lane.frontstage: "#e9f7ef", Lane.backstage: "#fef9e7", Lane.support: "#f4ecf7"}


def _t(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _badge(x: float, y: float, letter: str, colour: str) -> str:
    cx = x - 8 if letter == "F" else x + 8
    return (f'<circle cx="{cx}" cy="{y + 8}" r="8" fill="{colour}"/>'
            f'<text x="{cx}" y="{y + 12}" text-anchor="middle" font-size="10" fill="#fff">{letter}</text>')  # fmt: skip


def _wrap(text: str, width: int) -> list[str]:
    """Break a label into lines of about ``width`` characters (words for Latin text)."""
    if " " not in text:
        return [text[i : i + width] for i in range(0, len(text), width)] or [""]
    lines, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return [*lines, cur]

