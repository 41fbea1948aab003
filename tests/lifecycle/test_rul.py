"""The RUL engine (lifecycle, framework node 3.6): C-MAPSS reader, metrics, feature pipeline, model
storage, a real-data check on NASA C-MAPSS FD001 with a reduced configuration, and the CLI.

The full-configuration figures are measured by benchmarks/rul_cmapss.py (docs/rul.md)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from somp.modules.lifecycle import rul
from somp.modules.lifecycle.rul_data import (
    UnitSeries,
    interval_coverage,
    phm08_score,
    read_cmapss,
    read_cmapss_truth,
    rmse,
)
from somp.modules.lifecycle.rul_features import (
    FeaturePipeline,
    FeatureSpec,
    detect_conditions,
    ewm,
    fit_normaliser,
    fit_pipeline,
    window_features,
)


def _cmapss_dir() -> Path:
    """The reference data: $SOMP_SHARED_DATA/cmapss, else ../shared/data/cmapss next to the checkout
    (or next to the workspace that holds a CI clone)."""
    import os

    candidates = [Path(os.environ["SOMP_SHARED_DATA"]) / "cmapss"] if os.environ.get("SOMP_SHARED_DATA") else []
    candidates += [p / "shared" / "data" / "cmapss" for p in Path(__file__).resolve().parents[2:]]
    candidates.append(Path("/work/shared/data/cmapss"))
    return next((c for c in candidates if (c / "train_FD001.txt").is_file()), candidates[0])


CMAPSS = _cmapss_dir()
needs_data = pytest.mark.skipif(
    not (CMAPSS / "train_FD001.txt").is_file(), reason=f"C-MAPSS reference data not found in {CMAPSS}"
)


@pytest.fixture(scope="module")
def fd001():
    return (
        read_cmapss(CMAPSS / "train_FD001.txt"),
        read_cmapss(CMAPSS / "test_FD001.txt"),
        read_cmapss_truth(CMAPSS / "RUL_FD001.txt"),
    )


@pytest.fixture(scope="module")
def fast_model(fd001):
    return rul.train(fd001[0], rul.RulConfig.fast())


# -- data and metrics ------------------------------------------------------------------------------


@needs_data
@pytest.mark.parametrize(
    ("subset", "train_rows", "train_units", "test_rows", "test_units"),
    [("FD001", 20631, 100, 13096, 100), ("FD002", 53759, 260, 33991, 259)],
)
def test_reader_parses_the_real_files(subset, train_rows, train_units, test_rows, test_units):
    train = read_cmapss(CMAPSS / f"train_{subset}.txt")
    test = read_cmapss(CMAPSS / f"test_{subset}.txt")
    truth = read_cmapss_truth(CMAPSS / f"RUL_{subset}.txt")
    assert (len(train), train.n_units, len(test), test.n_units, len(truth)) == (
        train_rows,
        train_units,
        test_rows,
        test_units,
        test_units,
    )
    assert train.settings.shape == (train_rows, 3) and train.sensors.shape == (train_rows, 21)
    assert train.units.tolist() == list(range(1, train_units + 1))
    assert train.time[train.starts].tolist() == [1.0] * train_units  # every unit starts at cycle 1
    assert train.run_to_failure_rul()[train.last_rows].tolist() == [0.0] * train_units
    if subset == "FD001":
        assert train.sensors[0, :3].tolist() == [518.67, 641.82, 1589.70]
        assert truth[:3].tolist() == [112.0, 98.0, 69.0]
        assert train.lengths[0] == 192


def test_metrics_against_hand_computed_values():
    assert rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    # d = -13 (early): e^1 - 1; d = +10 (late): e^1 - 1; d = 0: 0; d = +20: e^2 - 1
    assert phm08_score([0, 20, 5, 25], [13, 10, 5, 5]) == pytest.approx(2 * (math.e - 1) + math.e**2 - 1)
    assert phm08_score([10], [36]) == pytest.approx(math.exp(2) - 1)
    assert interval_coverage([0, 0, 5, 1], [10, 10, 6, 2], [10, 11, 5.5, 0]) == 0.5


def test_unit_series_orders_rows_and_refuses_repeated_times():
    s = UnitSeries(np.array([7, 3, 7, 3]), np.array([2, 1, 1, 2]), (), np.arange(8.0).reshape(4, 2))
    assert s.unit.tolist() == [7, 7, 3, 3] and s.time.tolist() == [1, 2, 1, 2]  # first-appearance unit order
    assert s.sensors[:, 0].tolist() == [4, 0, 2, 6]
    assert s.settings.shape == (4, 0) and s.sensor_names == ("sensor_1", "sensor_2")
    assert s.run_to_failure_rul().tolist() == [1, 0, 1, 0]
    assert s.truncate({7: 1}).time.tolist() == [1, 1, 2]
    assert s.select_units([3]).unit.tolist() == [3, 3]
    with pytest.raises(ValueError, match="same time"):
        UnitSeries(np.array([1, 1]), np.array([1, 1]), (), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="finite"):
        UnitSeries(np.array([1]), np.array([1]), (), np.array([[np.nan]]))


# -- features ----------------------------------------------------------------------------------------


def _naive(x, t, pos, w):
    """Reference window statistics by explicit loops."""
    n = len(x)
    mean, std, slope = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for i in range(n):
        lo = i - min(pos[i], w - 1)
        seg, ts = x[lo : i + 1], t[lo : i + 1]
        mean[i], std[i] = seg.mean(0), seg.std(0)
        if len(seg) > 1:
            slope[i] = np.polyfit(ts, seg, 1)[0]
    return mean, std, slope


def test_window_statistics_match_a_naive_reference():
    rng = np.random.default_rng(1)
    lengths = [1, 2, 7, 30]
    pos = np.concatenate([np.arange(k) for k in lengths])
    t = pos * 1.5 + 3.0
    x = rng.normal(size=(len(pos), 2)).cumsum(0)
    rows = np.arange(len(pos))
    spec = FeatureSpec(mean_windows=(5,), std_windows=(5,), slope_windows=(5,), ewm_alphas=(0.3,), baseline=3)
    feats, names = window_features(x, t, pos, rows, ["a", "b"], spec)
    mean, std, slope = _naive(x, t, pos, 5)
    col = {name: i for i, name in enumerate(names)}
    assert np.allclose(feats[:, [col["a_mean5"], col["b_mean5"]]], mean)
    assert np.allclose(feats[:, [col["a_std5"], col["b_std5"]]], std)
    assert np.allclose(feats[:, [col["a_slope5"], col["b_slope5"]]], slope, atol=1e-9)
    ref = np.zeros_like(x)
    for i in range(len(x)):
        ref[i] = x[i] if pos[i] == 0 else 0.3 * x[i] + 0.7 * ref[i - 1]
    assert np.allclose(ewm(x, pos, 0.3), ref)
    head = np.array([x[i - pos[i] : i - pos[i] + min(pos[i], 2) + 1].mean(0) for i in range(len(x))])
    assert np.allclose(feats[:, [col["a_drift3"], col["b_drift3"]]], mean - head)
    # features at a subset of rows are those rows of the full matrix (the fleet-scoring path)
    some = np.array([0, 3, 9, len(pos) - 1])
    assert np.array_equal(window_features(x, t, pos, some, ["a", "b"], spec)[0], feats[some])


@needs_data
def test_conditions_and_informative_channels_are_found_from_the_data(fd001):
    assert detect_conditions(fd001[0].settings).count == 1  # settings are measurement noise only
    fd002 = read_cmapss(CMAPSS / "train_FD002.txt")
    cond = detect_conditions(fd002.settings)
    assert cond.count == 6
    labels = cond.assign(fd002.settings)
    assert sorted(np.bincount(labels).tolist()) == [8002, 8037, 8044, 8096, 8122, 13458]
    norm = fit_normaliser(fd001[0].sensors, np.zeros(len(fd001[0]), np.int64), 1)
    kept = [fd001[0].sensor_names[i] for i in norm.keep]
    assert kept == [f"sensor_{i}" for i in (2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 17, 20, 21)]


@needs_data
def test_feature_pipeline_is_deterministic_and_round_trips_through_json(fd001):
    train = fd001[0].select_units(range(1, 31))
    y = np.minimum(train.run_to_failure_rul(), 125)
    a, b = fit_pipeline(train, y), fit_pipeline(train, y)
    xa = a.transform(train)
    assert xa.shape == (len(train), len(a.feature_names)) and np.isfinite(xa).all()
    assert np.array_equal(xa, b.transform(train))
    back = FeaturePipeline.from_json(json.loads(json.dumps(a.to_json())))
    assert back.to_json() == a.to_json()
    assert np.array_equal(back.transform(fd001[1], fd001[1].last_rows), a.transform(fd001[1], fd001[1].last_rows))


# -- model -----------------------------------------------------------------------------------------------


@needs_data
def test_fd001_reduced_config_reaches_a_loose_bound(fd001, fast_model):
    _, test, truth = fd001
    pred = fast_model.predict(test)
    assert pred.unit.tolist() == list(range(1, 101))
    capped = np.minimum(truth, 125)
    assert rmse(pred.rul, capped) < 16
    assert 0.7 <= interval_coverage(pred.lower, pred.upper, capped) <= 1.0
    assert np.all((pred.lower <= pred.rul) & (pred.rul <= pred.upper))
    assert np.all((pred.health >= 0) & (pred.health <= 100))
    assert np.allclose(pred.health, 100 * pred.rul / 125)  # predictions are clipped to [0, cap]
    # chunked fleet scoring gives the same answer as one pass
    chunked = fast_model.predict(test, chunk_rows=1000)
    assert np.array_equal(chunked.rul, pred.rul) and np.array_equal(chunked.unit, pred.unit)
    assert rul.score_fleet(
        fast_model, [test.select_units(range(1, 51)), test.select_units(range(51, 101))]
    ).rul.shape == (100,)


@needs_data
def test_model_round_trip_gives_identical_predictions(fd001, fast_model):
    data = fast_model.to_bytes()
    assert b"pickle" not in data and data[:2] == b"\x1f\x8b"  # gzip of JSON text
    back = rul.RulModel.from_bytes(data)
    test = fd001[1]
    a, b = fast_model.predict(test), back.predict(test)
    for k in ("rul", "lower", "upper", "health"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    assert back.config == fast_model.config and back.info == fast_model.info
    assert np.array_equal(back.predict_rows(test), fast_model.predict_rows(test))
    assert back.to_bytes() == data
    with pytest.raises(ValueError, match="somp.rul/1"):
        rul.RulModel.from_bytes(json.dumps({"format": "other"}).encode())


@needs_data
def test_training_is_deterministic(fd001):
    small = fd001[0].select_units(range(1, 21))
    config = rul.with_overrides(rul.RulConfig.fast(), rounds=30, folds=2)
    a, b = rul.train(small, config), rul.train(small, config)
    assert [x.model_to_string() for x in a.boosters] == [x.model_to_string() for x in b.boosters]
    assert a.calibration.to_json() == b.calibration.to_json()


# -- CLI -------------------------------------------------------------------------------------------------


@needs_data
def test_cli_cmapss_prints_one_json_line():
    from typer.testing import CliRunner

    from somp.cli import app

    r = CliRunner().invoke(app, ["lifecycle", "cmapss", "--data-dir", str(CMAPSS), "--subset", "FD001", "--fast"])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    out = json.loads(lines[0])
    for key in ("rmse_raw", "rmse_capped", "score_raw", "score_capped", "interval_coverage", "seconds"):
        assert isinstance(out[key], float | int), key
    assert out["rmse_capped"] < 16 and out["test_units"] == 100


def test_cli_reports_missing_files(tmp_path):
    from typer.testing import CliRunner

    from somp.cli import app

    r = CliRunner().invoke(app, ["lifecycle", "cmapss", "--data-dir", str(tmp_path), "--subset", "FD003"])
    assert r.exit_code == 2
    assert "train_FD003.txt" in r.output
