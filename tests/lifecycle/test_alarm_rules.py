"""The alarm rule engine (somp.modules.lifecycle.alarm_rules): hand-worked sequences for each
kind of rule, split invariance, state persistence, validation, and agreement with an independent
vectorised numpy evaluation of a threshold rule."""

from __future__ import annotations

import datetime as dt
import json
import random

import numpy as np
import pytest

from somp.modules.lifecycle.alarm_rules import (
    AlarmStatus,
    Batch,
    IgnoreReason,
    Reading,
    ResetRefused,
    Rule,
    RuleInvalid,
    RuleState,
    Severity,
    StateMismatch,
    Threshold,
    compile_rule,
    evaluate,
    rate_per_minute,
    reset,
    rule_from_dict,
    rule_to_dict,
    tick,
)

T0 = 1_780_000_000.0  # an epoch second; the sequences below count seconds from it


def rule(condition: dict, **extra) -> Rule:
    return rule_from_dict({"id": "r1", "name": "test rule", "severity": "major", "condition": condition, **extra})


def feed(r: Rule, readings, now=None, state=None):
    """Readings as (metric, seconds after T0, value); returns (transitions as (kind, seconds), evaluation)."""
    ev = evaluate(r, state, [(m, T0 + t, v) for m, t, v in readings], None if now is None else T0 + now)
    return [(x.kind.value, x.at.timestamp() - T0) for x in ev.transitions], ev


def temp(*pairs):
    return [("temp", t, v) for t, v in pairs]


# ---- threshold ----------------------------------------------------------------------------------


def test_threshold_raises_and_clears_at_the_readings():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80})
    events, ev = feed(r, temp((0, 70), (10, 81), (20, 85), (30, 80), (40, 90)))
    assert events == [("raised", 10), ("cleared", 30), ("raised", 40)]
    raised = ev.transitions[0]
    assert raised.rule_id == "r1" and raised.severity is Severity.major
    assert raised.reason == "threshold" and raised.values == {"temp": 81.0}
    leaf = raised.params["leaves"][0]
    assert leaf == {
        "path": "$",
        "kind": "threshold",
        "metric": "temp",
        "op": ">",
        "value": 80.0,
        "observed": 81.0,
        "holds": True,
    }
    assert "temp = 81 > 80" in raised.message
    assert ev.transitions[1].reason == "back_to_normal"
    assert ev.state.status is AlarmStatus.raised
    assert raised.at == dt.datetime.fromtimestamp(T0 + 10, dt.UTC)


@pytest.mark.parametrize(
    ("op", "value", "raised_at"),
    [(">=", 80, [10]), ("<", 75, [0, 30]), ("<=", 80, [0, 30]), ("==", 85, [20]), ("!=", 70, [10])],
)
def test_each_comparison(op, value, raised_at):
    r = rule({"kind": "threshold", "metric": "temp", "op": op, "value": value})
    events, _ = feed(r, temp((0, 70), (10, 81), (20, 85), (30, 74)))
    assert [t for kind, t in events if kind == "raised"] == raised_at


def test_threshold_hysteresis_clears_only_past_the_clear_value():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80, "clear_value": 75})
    # 79 and 76 are below 80 but above 75: the alarm holds; 75 is not > 75: it clears
    events, _ = feed(r, temp((0, 81), (10, 79), (20, 76), (30, 75), (40, 79), (50, 80.5)))
    assert events == [("raised", 0), ("cleared", 30), ("raised", 50)]


def test_low_threshold_hysteresis():
    r = rule({"kind": "threshold", "metric": "pressure", "op": "<", "value": 2, "clear_value": 2.5})
    events, _ = feed(r, [("pressure", t, v) for t, v in ((0, 3), (10, 1.9), (20, 2.4), (30, 2.6), (40, 1.0))])
    assert events == [("raised", 10), ("cleared", 30), ("raised", 40)]


def test_for_duration_raises_at_the_expiry_instant_between_readings():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80, "for_seconds": 60})
    # holds from 0; readings every 30 s: expiry at 60 is exactly a reading
    events, _ = feed(r, temp((0, 81), (30, 82), (60, 83), (90, 70)))
    assert events == [("raised", 60), ("cleared", 90)]
    # readings every 45 s: the expiry at 60 falls between two readings; the reading at 90 reveals it
    events, _ = feed(r, temp((0, 81), (45, 82), (90, 83)))
    assert events == [("raised", 60)]
    # interrupted at 50: the spell restarts at 70 and would expire at 130
    events, ev = feed(r, temp((0, 81), (50, 79), (70, 85), (120, 85)))
    assert events == []
    events, _ = feed(r, [], now=200, state=ev.state)
    assert events == [("raised", 130)]


def test_for_duration_released_exactly_at_the_expiry_does_not_raise():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80, "for_seconds": 60})
    events, _ = feed(r, temp((0, 81), (60, 70)))
    assert events == []


def test_for_duration_with_hysteresis_and_tick():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80, "clear_value": 75, "for_seconds": 60})
    events, ev = feed(r, temp((0, 81), (30, 82), (90, 79), (100, 74), (200, 90)), now=300)
    assert events == [("raised", 60), ("cleared", 100), ("raised", 260)]
    assert ev.transitions[0].params["leaves"][0]["for_seconds"] == 60
    assert ev.state.clock == T0 + 300


# ---- rate of change -----------------------------------------------------------------------------


def pressure(*pairs):
    return [("pressure", t, v) for t, v in pairs]


def test_rate_of_change_delta_and_slope_by_hand():
    data = pressure((0, 10), (60, 10), (120, 10), (180, 4))
    # over the 4 points (window 180 s): delta = (4 - 10) / 3 min = -2/min;
    # least-squares slope: x = 0..3 min, y = 10, 10, 10, 4 -> sxy = -9, sxx = 5 -> -1.8/min
    cond = {"kind": "rate_of_change", "metric": "pressure", "op": "<", "value": -1.9, "window_seconds": 180}
    events, ev = feed(rule({**cond, "method": "delta"}), data)
    assert events == [("raised", 180)]
    assert ev.transitions[0].params["leaves"][0]["observed"] == pytest.approx(-2.0)
    assert ev.transitions[0].reason == "rate_of_change"
    events, ev = feed(rule({**cond, "method": "slope"}), data)
    assert events == []
    assert ev.state.leaves[0].observed == pytest.approx(-1.8)
    assert rate_per_minute([(T0 + t, v) for _, t, v in data], "slope") == pytest.approx(-1.8)


def test_rate_of_change_window_drops_old_readings():
    # window 120 s: at 180 the window holds 60..180: (4 - 10) / 2 min = -3/min
    r = rule({"kind": "rate_of_change", "metric": "pressure", "op": "<", "value": -2, "window_seconds": 120})
    events, ev = feed(r, pressure((0, 10), (60, 10), (120, 7), (180, 4)))
    assert events == [("raised", 180)]
    assert [t - T0 for t, _ in ev.state.leaves[0].window] == [60, 120, 180]


def test_rate_of_change_hysteresis_and_undefined_rate_keeps_the_state():
    r = rule(
        {
            "kind": "rate_of_change",
            "metric": "temp",
            "op": ">",
            "value": 2,
            "clear_value": 1,
            "window_seconds": 120,
            "method": "delta",
        }
    )
    # rates: 60: +3/min raise; 120: (16-10)/2 = 3; 180: (17.5-13)/2 = 2.25; 240: (18.5-16)/2 = 1.25
    # (above the clear value: holds); 300: (19-17.5)/2 = 0.75 -> clears
    data = temp((0, 10), (60, 13), (120, 16), (180, 17.5), (240, 18.5), (300, 19))
    events, ev = feed(r, data)
    assert events == [("raised", 60), ("cleared", 300)]
    # a jump, then a gap longer than the window: one point in the window, the rate is undefined
    events, ev = feed(r, temp((400, 40), (1000, 40)), state=ev.state)
    assert events == [("raised", 400)]
    assert ev.state.leaves[0].observed is None and ev.state.raised  # still raised: no evidence either way


def test_rate_min_points():
    r = rule(
        {"kind": "rate_of_change", "metric": "temp", "op": ">", "value": 1, "window_seconds": 600, "min_points": 3}
    )
    events, _ = feed(r, temp((0, 0), (60, 10), (120, 20)))
    assert events == [("raised", 120)]


def test_incremental_slope_matches_numpy_polyfit():
    rnd = random.Random(5)
    r = rule(
        {"kind": "rate_of_change", "metric": "x", "op": ">", "value": 1e9, "window_seconds": 300, "max_points": 20}
    )
    state, t, points = None, 0.0, []
    for _ in range(2000):
        t += rnd.choice((1.0, 5.0, 10.0, 30.0, 400.0))
        v = rnd.gauss(0, 1) + 0.01 * t
        points.append((t, v))
        ev = evaluate(r, state, [("x", T0 + t, v)])
        state = ev.state
        window = [(pt, pv) for pt, pv in points if pt >= t - 300][-20:]
        got = state.leaves[0].observed
        if len(window) < 2:
            assert got is None
        else:
            xs, ys = np.array([p[0] for p in window]), np.array([p[1] for p in window])
            expected = np.polyfit(xs - xs[0], ys, 1)[0] * 60
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


# ---- no data ------------------------------------------------------------------------------------


def test_no_data_raises_at_the_timeout_and_clears_with_the_next_reading():
    r = rule({"kind": "no_data", "metric": "hb", "timeout_seconds": 600})
    events, ev = feed(r, [("hb", 0, 1), ("hb", 100, 1), ("hb", 1000, 1)], now=2000)
    assert events == [("raised", 700), ("cleared", 1000), ("raised", 1600)]
    raised = ev.transitions[0]
    assert raised.reason == "no_data"
    assert raised.params["leaves"][0]["observed"] == 600  # seconds without a reading
    assert "no hb reading for 600 s" in raised.message


def test_no_data_counts_from_the_first_evaluated_instant_and_ticks_are_idempotent():
    r = rule({"kind": "no_data", "metric": "hb", "timeout_seconds": 300})
    events, ev = feed(r, [], now=0)  # the service starts the rule at 0
    assert events == []
    state, seen = ev.state, []
    for now in (100, 250, 299, 301, 302, 900):  # ticks at any rate: one raise, at 300
        events, ev = feed(r, [], now=now, state=state)
        state, seen = ev.state, seen + events
    assert seen == [("raised", 300)]
    # a reading of another metric is not data for this rule
    events, ev = feed(r, [("temp", 950, 1.0)], state=state)
    assert events == [] and ev.state.raised


def test_tick_then_late_reading_is_ignored():
    r = rule({"kind": "no_data", "metric": "hb", "timeout_seconds": 60})
    _, ev = feed(r, [("hb", 0, 1)], now=100)
    events, ev = feed(r, [("hb", 90, 1), ("hb", 100, 1), ("hb", 120, 1)], state=ev.state)
    assert [(i.reading.ts - T0, i.reason) for i in ev.ignored] == [(90, IgnoreReason.behind_clock)]
    assert events == [("cleared", 100)]


# ---- composite ----------------------------------------------------------------------------------


def test_composite_and():
    r = rule(
        {
            "kind": "composite",
            "op": "and",
            "children": [
                {"kind": "threshold", "metric": "temp", "op": ">", "value": 80},
                {"kind": "threshold", "metric": "vib", "op": ">", "value": 7},
            ],
        }
    )
    data = [("temp", 0, 85), ("vib", 5, 5), ("vib", 10, 8), ("temp", 20, 70), ("temp", 30, 90), ("vib", 40, 6.9)]
    events, ev = feed(r, data)
    assert events == [("raised", 10), ("cleared", 20), ("raised", 30), ("cleared", 40)]
    raised = ev.transitions[0]
    assert raised.reason == "composite_and" and raised.params["op"] == "and"
    assert [leaf["holds"] for leaf in raised.params["leaves"]] == [True, True]
    assert raised.values == {"temp": 85.0, "vib": 8.0}


def test_composite_or_with_no_data_and_nested_and():
    r = rule(
        {
            "kind": "composite",
            "op": "or",
            "children": [
                {"kind": "no_data", "metric": "vib", "timeout_seconds": 100},
                {
                    "kind": "composite",
                    "op": "and",
                    "children": [
                        {"kind": "threshold", "metric": "temp", "op": ">", "value": 80},
                        {"kind": "threshold", "metric": "vib", "op": ">", "value": 7, "for_seconds": 30},
                    ],
                },
            ],
        }
    )
    data = [("vib", 0, 8), ("temp", 10, 85), ("vib", 20, 8), ("vib", 40, 5), ("temp", 100, 85)]
    # vib > 7 holds from 0, true at 30 with temp > 80 -> raised at 30; vib 5 at 40 clears;
    # vib silent from 40: no data at 140 raises again
    events, ev = feed(r, data, now=200)
    assert events == [("raised", 30), ("cleared", 40), ("raised", 140)]
    assert ev.transitions[0].reason == "composite_or"
    assert [leaf["path"] for leaf in ev.transitions[0].params["leaves"]] == ["$.0", "$.1.0", "$.1.1"]
    assert [leaf["holds"] for leaf in ev.transitions[2].params["leaves"]] == [True, True, False]


def test_readings_at_one_instant_are_evaluated_together():
    r = rule(
        {
            "kind": "composite",
            "op": "or",
            "children": [
                {"kind": "threshold", "metric": "a", "op": ">", "value": 0},
                {"kind": "threshold", "metric": "b", "op": ">", "value": 0},
            ],
        }
    )
    # at 10, a stops holding and b starts: the OR holds throughout, in whatever order they come
    events, _ = feed(r, [("a", 0, 1), ("b", 0, 0), ("b", 10, 1), ("a", 10, 0), ("a", 20, 0), ("b", 20, 0)])
    assert events == [("raised", 0), ("cleared", 20)]


# ---- rule-level delays, latching ------------------------------------------------------------------


def test_clear_after_suppresses_flapping():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80}, clear_after_seconds=60)
    events, ev = feed(r, temp((0, 85), (10, 70), (40, 85), (50, 70), (100, 70)), now=200)
    # false from 10, true again at 40, false from 50: clears at 110 (not at 70)
    assert events == [("raised", 0), ("cleared", 110)]
    assert ev.transitions[1].params["clear_after_seconds"] == 60


def test_raise_after_on_a_composite():
    r = rule(
        {
            "kind": "composite",
            "op": "and",
            "children": [
                {"kind": "threshold", "metric": "a", "op": ">", "value": 0},
                {"kind": "threshold", "metric": "b", "op": ">", "value": 0},
            ],
        },
        raise_after_seconds=30,
    )
    events, _ = feed(r, [("a", 0, 1), ("b", 10, 1), ("b", 20, 0), ("b", 25, 1), ("a", 100, 1)])
    assert events == [("raised", 55)]


def test_latched_alarm_needs_a_reset():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80}, auto_clear=False)
    events, ev = feed(r, temp((0, 85), (10, 70), (20, 90)))
    assert events == [("raised", 0)]
    with pytest.raises(ResetRefused):
        reset(r, ev.state, T0 + 30)
    _, ev = feed(r, temp((40, 70)), state=ev.state)
    out = reset(r, ev.state, T0 + 50)
    assert [(x.kind.value, x.reason, x.at.timestamp() - T0) for x in out.transitions] == [("cleared", "reset", 50)]
    assert out.state.status is AlarmStatus.normal


# ---- inputs, ignored readings, state -----------------------------------------------------------


def test_ignored_readings_are_reported():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80})
    _, ev = feed(r, temp((0, 70), (10, 70)))
    events, ev = feed(
        r,
        [("temp", 5, 90), ("temp", 10, 90), ("temp", 20, float("nan")), ("temp", 20, 70), ("x", 1, 1)],
        state=ev.state,
    )
    reasons = sorted((i.reading.metric, i.reading.ts - T0, i.reason.value) for i in ev.ignored)
    assert reasons == [("temp", 5, "out_of_order"), ("temp", 10, "duplicate"), ("temp", 20, "not_finite")]
    assert events == []


def test_datetimes_and_epoch_seconds_give_the_same_result():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80, "for_seconds": 60})
    start = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    as_dt = [Reading("temp", start + dt.timedelta(seconds=s), v) for s, v in ((0, 81), (90, 82))]
    as_epoch = [("temp", start.timestamp() + s, v) for s, v in ((0, 81), (90, 82))]
    a, b = evaluate(r, None, as_dt), evaluate(r, None, as_epoch)
    assert [x.to_json() for x in a.transitions] == [x.to_json() for x in b.transitions]
    assert a.transitions[0].at == start + dt.timedelta(seconds=60)
    with pytest.raises(ValueError, match="naive"):
        evaluate(r, None, [("temp", dt.datetime(2026, 5, 1), 1.0)])


def test_state_round_trips_through_json_and_input_state_is_not_modified():
    r = rule({"kind": "rate_of_change", "metric": "temp", "op": ">", "value": 1, "window_seconds": 300})
    _, ev = feed(r, temp((0, 1), (60, 3), (120, 9)))
    text = json.dumps(ev.state.to_json(), allow_nan=False)
    restored = RuleState.from_json(json.loads(text))
    assert restored == ev.state
    before = json.dumps(restored.to_json())
    evaluate(r, restored, [("temp", T0 + 180, 20.0)])
    assert json.dumps(restored.to_json()) == before
    with pytest.raises(ValueError, match="version"):
        RuleState.from_json({**json.loads(text), "v": 99})


def test_a_changed_condition_refuses_the_old_state_a_changed_severity_keeps_it():
    r = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 80})
    _, ev = feed(r, temp((0, 85)))
    renamed = rule_from_dict({**rule_to_dict(r), "severity": "critical", "name": "renamed"})
    assert evaluate(renamed, ev.state, []).state.raised
    changed = rule({"kind": "threshold", "metric": "temp", "op": ">", "value": 90})
    with pytest.raises(StateMismatch):
        evaluate(changed, ev.state, [])


def test_needs_tick():
    assert not rule({"kind": "threshold", "metric": "t", "op": ">", "value": 1}).needs_tick
    assert rule({"kind": "threshold", "metric": "t", "op": ">", "value": 1, "for_seconds": 5}).needs_tick
    assert rule({"kind": "no_data", "metric": "t", "timeout_seconds": 5}).needs_tick
    assert rule({"kind": "threshold", "metric": "t", "op": ">", "value": 1}, clear_after_seconds=5).needs_tick


# ---- split invariance ---------------------------------------------------------------------------

RANDOM_RULES = [
    {"kind": "threshold", "metric": "a", "op": ">", "value": 1.0, "clear_value": 0.0, "for_seconds": 25},
    {"kind": "threshold", "metric": "a", "op": "<=", "value": -1.0},
    {"kind": "rate_of_change", "metric": "a", "op": ">", "value": 3, "clear_value": 0, "window_seconds": 60},
    {"kind": "rate_of_change", "metric": "b", "op": "<", "value": -2, "window_seconds": 45, "method": "delta"},
    {"kind": "no_data", "metric": "b", "timeout_seconds": 40},
    {
        "kind": "composite",
        "op": "or",
        "children": [
            {"kind": "no_data", "metric": "a", "timeout_seconds": 30},
            {
                "kind": "composite",
                "op": "and",
                "children": [
                    {"kind": "threshold", "metric": "a", "op": ">", "value": 0.5, "for_seconds": 12},
                    {"kind": "threshold", "metric": "b", "op": "<", "value": 0, "clear_value": 0.5},
                ],
            },
        ],
    },
]


def random_stream(rnd: random.Random, n: int, shared_instants: bool) -> list[tuple[str, float, float]]:
    out, t = [], 0.0
    for _ in range(n):
        t += rnd.choice((1, 2, 3, 5, 8, 13, 35, 50)) + (0 if shared_instants else rnd.random())
        metrics = ["a", "b"] if shared_instants and rnd.random() < 0.5 else [rnd.choice("ab")]
        out += [(m, T0 + t, round(rnd.gauss(0, 1.2), 2)) for m in metrics]
    return out


def run_split(r: Rule, stream, cuts, ticks: bool, json_state: bool):
    """Feed ``stream`` cut at ``cuts``; ``ticks``: tick between the batches (before the next
    reading); the last batch lets time pass to 1000 s after the last reading."""
    state, transitions = None, []
    bounds = [0, *cuts, len(stream)]
    end = stream[-1][1] + 1000
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        ev = evaluate(r, state, stream[lo:hi], now=end if hi == len(stream) else None)
        assert not ev.ignored
        transitions += ev.transitions
        state = ev.state
        if ticks and hi < len(stream) and state.started is not None:
            ev = tick(r, state, (stream[hi - 1][1] + stream[hi][1]) / 2)
            transitions += ev.transitions
            state = ev.state
        if json_state:
            state = RuleState.from_json(json.loads(json.dumps(state.to_json(), allow_nan=False)))
    return [x.to_json() for x in transitions], state


@pytest.mark.parametrize("spec", RANDOM_RULES, ids=[c["kind"] + str(i) for i, c in enumerate(RANDOM_RULES)])
def test_any_split_gives_the_same_transitions(spec):
    """Property: feeding a stream in batches split anywhere (with the state through JSON between
    them, and with ticks between the batches) gives the transitions of feeding it at once."""
    r = rule(spec, clear_after_seconds=7)
    rnd = random.Random(hash(json.dumps(spec, sort_keys=True)) % 1000)
    checked = 0
    for trial in range(30):
        stream = random_stream(rnd, 120, shared_instants=False)
        whole, whole_state = run_split(r, stream, [], ticks=False, json_state=False)
        checked += len(whole)
        for ticks in (False, True):
            cuts = sorted(rnd.sample(range(1, len(stream)), rnd.randint(1, 12)))
            split, state = run_split(r, stream, cuts, ticks=ticks, json_state=True)
            assert split == whole, (trial, cuts, ticks)
            if not ticks:
                assert state.to_json() == whole_state.to_json()
    assert checked > 20  # the streams do produce transitions


def test_split_between_instants_with_shared_timestamps():
    spec = RANDOM_RULES[5]
    r = rule(spec)
    rnd = random.Random(11)
    for _ in range(20):
        stream = random_stream(rnd, 150, shared_instants=True)
        whole, _ = run_split(r, stream, [], ticks=False, json_state=False)
        instants = [i for i in range(1, len(stream)) if stream[i][1] != stream[i - 1][1]]
        cuts = sorted(rnd.sample(instants, 10))
        split, _ = run_split(r, stream, cuts, ticks=True, json_state=True)
        assert split == whole


def test_a_shared_batch_gives_the_same_result_as_plain_readings():
    rnd = random.Random(2)
    stream = random_stream(rnd, 300, shared_instants=False)
    batch = Batch(reversed(stream))  # any order in: sorted once
    for spec in RANDOM_RULES:
        r = rule(spec)
        a, b = evaluate(r, None, batch), evaluate(compile_rule(r), None, stream)
        assert [x.to_json() for x in a.transitions] == [x.to_json() for x in b.transitions]


# ---- agreement with an independent vectorised evaluation ---------------------------------------


def numpy_threshold(ts: np.ndarray, x: np.ndarray, value: float, clear: float, for_s: float, now: float):
    """Transitions of ``x > value`` (clearing at ``x <= clear``) held ``for_s`` seconds, sample
    and hold, computed over the whole series with numpy (no state machine loop)."""
    event = np.where(x > value, 1, np.where(x <= clear, 0, -1))  # set, reset, keep
    idx = np.where(event >= 0, np.arange(len(x)), -1)
    last = np.maximum.accumulate(idx)
    holding = np.where(last >= 0, event[np.maximum(last, 0)], 0).astype(bool)
    edges = np.diff(np.concatenate(([0], holding.astype(int), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # ends: index of the release
    out = []
    for s, e in zip(starts, ends, strict=True):
        expiry = ts[s] + for_s
        released = ts[e] if e < len(x) else np.inf
        if expiry < released and expiry <= (now if e == len(x) else np.inf):
            out.append(("raised", float(expiry)))
            if e < len(x):
                out.append(("cleared", float(ts[e])))
    return out


@pytest.mark.parametrize("for_s", [0, 30, 95])
def test_threshold_agrees_with_numpy_over_a_long_random_series(for_s):
    rng = np.random.default_rng(for_s)
    n = 20_000
    ts = T0 + np.cumsum(rng.choice([5.0, 10.0, 20.0, 45.0], size=n))
    x = np.empty(n)  # AR(1) around 77: spells above 80 of various lengths
    x[0] = 77
    noise = rng.normal(0, 1.2, size=n)
    for i in range(1, n):
        x[i] = 77 + 0.9 * (x[i - 1] - 77) + noise[i]
    x = np.round(x, 1)
    now = float(ts[-1] + 500)
    expected = numpy_threshold(ts, x, 80.0, 76.0, for_s, now)
    r = Rule(
        id="t", severity=Severity.minor, condition=Threshold("temp", ">", 80.0, clear_value=76.0, for_seconds=for_s)
    )
    ev = evaluate(r, None, list(zip(["temp"] * n, ts.tolist(), x.tolist(), strict=True)), now=now)
    got = [(x.kind.value, x.at.timestamp()) for x in ev.transitions]
    assert len(expected) > 20
    assert [k for k, _ in got] == [k for k, _ in expected]
    np.testing.assert_allclose([t for _, t in got], [t for _, t in expected], rtol=0, atol=1e-5)


# ---- validation ---------------------------------------------------------------------------------

THRESHOLD = {"kind": "threshold", "metric": "temp", "op": ">", "value": 80}


@pytest.mark.parametrize(
    ("spec", "code", "path"),
    [
        ({**THRESHOLD, "op": "=>"}, "unknown_op", "condition.op"),
        ({**THRESHOLD, "kind": "treshold"}, "unknown_kind", "condition.kind"),
        ({**THRESHOLD, "for_seconds": -5}, "negative_duration", "condition.for_seconds"),
        ({**THRESHOLD, "value": "80"}, "not_a_number", "condition.value"),
        ({**THRESHOLD, "value": float("nan")}, "not_a_number", "condition.value"),
        ({**THRESHOLD, "value": True}, "not_a_number", "condition.value"),
        ({**THRESHOLD, "metric": " "}, "empty_name", "condition.metric"),
        ({**THRESHOLD, "clear_value": 85}, "bad_hysteresis", "condition.clear_value"),
        ({**THRESHOLD, "op": "==", "clear_value": 75}, "clear_value_not_allowed", "condition.clear_value"),
        ({**THRESHOLD, "treshold": 1}, "unknown_field", "condition"),
        ({"kind": "threshold", "metric": "temp", "op": ">"}, "missing_field", "condition"),
        ({"kind": "no_data", "metric": "hb", "timeout_seconds": -60}, "negative_duration", "condition.timeout_seconds"),
        ({"kind": "no_data", "metric": "hb", "timeout_seconds": 0}, "zero_duration", "condition.timeout_seconds"),
        (
            {"kind": "rate_of_change", "metric": "p", "op": ">", "value": 1, "window_seconds": 0},
            "zero_duration",
            "condition.window_seconds",
        ),
        (
            {"kind": "rate_of_change", "metric": "p", "op": "==", "value": 1, "window_seconds": 60},
            "unknown_op",
            "condition.op",
        ),
        (
            {"kind": "rate_of_change", "metric": "p", "op": ">", "value": 1, "window_seconds": 60, "method": "diff"},
            "unknown_method",
            "condition.method",
        ),
        (
            {"kind": "rate_of_change", "metric": "p", "op": ">", "value": 1, "window_seconds": 60, "min_points": 1},
            "bad_integer",
            "condition.min_points",
        ),
        (
            {"kind": "rate_of_change", "metric": "p", "op": ">", "value": 1, "window_seconds": 60, "max_points": 1},
            "bad_integer",
            "condition.max_points",
        ),
        ({"kind": "composite", "op": "and", "children": []}, "empty_composite", "condition.children"),
        ({"kind": "composite", "op": "xor", "children": [THRESHOLD]}, "unknown_op", "condition.op"),
        ({"kind": "composite", "op": "or", "children": THRESHOLD}, "bad_children", "condition.children"),
        (
            {"kind": "composite", "op": "or", "children": [THRESHOLD, {**THRESHOLD, "for_seconds": -1}]},
            "negative_duration",
            "condition.children[1].for_seconds",
        ),
        ({"kind": "composite", "op": "or", "children": [THRESHOLD, 5]}, "not_an_object", "condition.children[1]"),
        ("temp > 80", "not_an_object", "condition"),
    ],
)
def test_condition_validation_errors(spec, code, path):
    with pytest.raises(RuleInvalid) as err:
        rule(spec)
    assert (err.value.code, err.value.path) == (code, path)
    assert err.value.to_json()["message"]


def test_rule_validation_errors():
    good = {"id": "r", "severity": "major", "condition": THRESHOLD}
    cases = [
        ({**good, "severity": "fatal"}, "unknown_severity", "severity"),
        ({**good, "clear_after_seconds": -1}, "negative_duration", "clear_after_seconds"),
        ({**good, "raise_after_seconds": "1m"}, "not_a_number", "raise_after_seconds"),
        ({**good, "auto_clear": "yes"}, "not_a_boolean", "auto_clear"),
        ({**good, "id": ""}, "empty_name", "id"),
        ({**good, "colour": "red"}, "unknown_field", ""),
        ({"id": "r", "condition": THRESHOLD}, "missing_field", ""),
        ([good], "not_an_object", ""),
    ]
    for spec, code, path in cases:
        with pytest.raises(RuleInvalid) as err:
            rule_from_dict(spec)
        assert (err.value.code, err.value.path) == (code, path), spec
    deep = THRESHOLD
    for _ in range(6):
        deep = {"kind": "composite", "op": "and", "children": [deep]}
    with pytest.raises(RuleInvalid) as err:
        rule(deep)
    assert err.value.code == "too_deep"


def test_rule_json_round_trip():
    spec = {
        "id": "r",
        "name": "Bearing",
        "severity": "critical",
        "condition": {"kind": "composite", "op": "or", "children": RANDOM_RULES},
        "raise_after_seconds": 5,
        "clear_after_seconds": 60,
        "auto_clear": False,
    }
    r = rule_from_dict(spec)
    assert rule_from_dict(json.loads(json.dumps(rule_to_dict(r)))) == r
    assert r.metrics == frozenset({"a", "b"})
    assert Severity.critical.rank > Severity.major.rank > Severity.minor.rank > Severity.warning.rank


def test_numpy_numbers_are_readings_bools_are_not():
    r = rule({"kind": "threshold", "metric": "t", "op": ">", "value": 1})
    ev = evaluate(
        r, None, [("t", np.int64(T0), np.int64(3)), ("t", np.float64(T0 + 1), np.float32(0.5)), ("t", T0 + 2, True)]
    )
    assert [x.kind.value for x in ev.transitions] == ["raised", "cleared"]
    assert [i.reason for i in ev.ignored] == [IgnoreReason.not_finite]
