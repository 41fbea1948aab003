"""Health and RUL from telemetry (3.6): training on a product's recorded failures, scoring the
operating fleet in process and on a Dask LocalCluster (same predictions), the latest score per
asset, and a prediction alarm below the contract's threshold that opens a predictive work order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from somp.api.app import build_bus
from somp.core.tenancy import Scope
from somp.modules.assets.models import AssetStateChange
from somp.modules.assets.schemas import TransitionRequest
from somp.modules.assets.service import transition_asset
from somp.modules.contracts.schemas import ContractTransition
from somp.modules.contracts.service import transition_contract
from somp.modules.lifecycle import health
from somp.modules.lifecycle.models import Alarm, AlarmSource, HealthScore
from somp.modules.lifecycle.rul import RulConfig
from somp.modules.telemetry.ingest import Ingestor, Item, Source
from somp.modules.telemetry.payloads import Columns, us_of
from somp.modules.workorders.models import WorkOrder, WorkOrderKind
from tests.factories import make_asset, make_contract, make_customer, make_offering, make_product, make_tenant

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
STEP = 600  # a reading every 10 minutes


def degradation(hours: np.ndarray, life: float) -> np.ndarray:
    return np.exp((hours - life) / 40.0)


def readings(db, t, asset, start: dt.datetime, hours: float, life: float | None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 / STEP)
    h = np.arange(n) * STEP / 3600
    wear = degradation(h, life) if life is not None else np.zeros(n)
    ts = us_of(start) + np.arange(n, dtype=np.int64) * STEP * 1_000_000
    for metric, base, gain, noise in (("vibration", 2.0, 3.0, 0.15), ("temperature", 75.0, 20.0, 1.0)):
        cols = Columns([metric] * n, ts, base + gain * wear + rng.normal(0, noise, n), [None] * n)
        assert Ingestor(db).ingest_many([Item(Source(t.id, asset.id, "file"), cols, b"")], NOW)[0].ok


@pytest.fixture
def fleet(db):
    return build_fleet(db)


def build_fleet(db):
    t = make_tenant(db)
    p = make_product(db, t)
    c = make_customer(db, t)
    sla = {"per_priority": {"high": {"response_hours": 4, "resolution_hours": 24}}, "predictive_rul_hours": 60}
    o = make_offering(db, t, p.id, sla=sla)
    history, live = [], []
    for i, life in enumerate((160, 200, 240, 180, 220, 260)):  # run to failure, long ago
        a = make_asset(db, t, p.id, c.id, serial_number=f"H-{i}", state="in_service")
        start = NOW - dt.timedelta(days=60 + 15 * i)
        readings(db, t, a, start, life, life, seed=i)
        with db.session(Scope.tenant(t.id)) as s:
            transition_asset(s, a.id, TransitionRequest(to_state="failed"))
            change = s.scalars(select(AssetStateChange).where(AssetStateChange.asset_id == a.id)).all()[-1]
            change.at = start + dt.timedelta(hours=life)  # the failure as recorded in the timeline
            s.commit()
        history.append(a)
    for i, (age, life) in enumerate(((100, None), (180, 200))):  # healthy; 20 h before its end
        a = make_asset(db, t, p.id, c.id, serial_number=f"L-{i}", state="in_service")
        readings(db, t, a, NOW - dt.timedelta(hours=age), age, life, seed=10 + i)
        live.append(a)
    k = make_contract(db, t, c.id, o.id, [x.id for x in live])
    with db.session(Scope.tenant(t.id)) as s:
        transition_contract(s, k.id, ContractTransition(to_status="active", on=dt.date(2025, 1, 1)))
        s.commit()
    return t, p, history, live


def test_train_score_and_predictive_work_order(db, fleet):
    t, p, history, (healthy, worn) = fleet
    trained = health.train_product_model(db, t.id, p.id, ["vibration", "temperature"], config=RulConfig.fast())
    assert trained.units == 6 and trained.rows > 1000
    report = health.score_tenant(db, t.id, now=NOW)
    assert report.scored == 2 and report.alarms_raised == 1
    with db.session(Scope.tenant(t.id)) as s:
        scores = {h.asset_id: h for h in s.scalars(select(HealthScore))}
        assert scores[healthy.id].health > 80 > scores[worn.id].health
        assert scores[worn.id].rul_low <= scores[worn.id].rul <= scores[worn.id].rul_high
        assert scores[worn.id].rul < 60 and scores[worn.id].unit == "h"
        (alarm,) = s.scalars(select(Alarm)).all()
        assert alarm.asset_id == worn.id and alarm.source is AlarmSource.prediction
    bus = build_bus()
    while bus.dispatch_pending(db):
        pass
    with db.session(Scope.tenant(t.id)) as s:
        (wo,) = s.scalars(select(WorkOrder)).all()
        assert wo.kind is WorkOrderKind.predictive and wo.asset_id == worn.id and wo.resolution_due_at is not None
    again = health.score_tenant(db, t.id, now=NOW + dt.timedelta(minutes=5))
    assert again.alarms_raised == 0  # one open prediction alarm per asset


def test_fleet_scoring_on_a_dask_local_cluster_matches_in_process(db, fleet, backend):
    from dask.distributed import LocalCluster

    if backend != "sqlite":
        pytest.skip("the cluster path reads nothing from the database: once is enough")

    t, p, _, live = fleet
    trained = health.train_product_model(db, t.id, p.id, ["vibration", "temperature"], config=RulConfig.fast())
    from somp.modules.lifecycle.models import RulModelRecord

    with db.session(Scope.tenant(t.id)) as s:
        blob = s.get(RulModelRecord, trained.model_id).model
        batches = [health.hourly_series(s, [a.id], ["vibration", "temperature"], until=NOW) for a in live]
    local = health.predict(blob, batches)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = health.predict(blob, batches, scheduler=cluster.scheduler_address)
    assert remote.unit.tolist() == local.unit.tolist()
    np.testing.assert_allclose(remote.rul, local.rul)
    np.testing.assert_allclose(remote.lower, local.lower)


def test_training_needs_two_failures(db):
    t = make_tenant(db)
    p = make_product(db, t)
    from somp.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="not enough failures"):
        health.train_product_model(db, t.id, p.id, ["vibration"])


def test_train_and_score_commands(tmp_path):
    """`somp lifecycle train` and `somp lifecycle score` on a file database."""
    import json

    from typer.testing import CliRunner

    from somp.cli import app
    from somp.core import migrate
    from somp.core.database import Database

    url = f"sqlite:///{tmp_path / 'somp.db'}"
    db = Database(url)
    migrate.upgrade(db.engine)
    t, p, _, live = build_fleet(db)
    db.dispose()
    runner = CliRunner()
    trained = runner.invoke(
        app, ["lifecycle", "train", "--tenant", t.uscc, "--product", p.code, "--metrics", "vibration,temperature",
              "--fast", "--database-url", url],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    facts = json.loads(trained.output.strip().splitlines()[-1])
    assert facts["units"] == 6 and facts["model_id"] >= 1
    scored = runner.invoke(app, ["lifecycle", "score", "--as-of", NOW.isoformat(), "--database-url", url])
    assert scored.exit_code == 0, scored.output
    line = json.loads(scored.output.strip().splitlines()[-1])
    assert line["tenant_id"] == t.id and line["scored"] == 2 and line["alarms_raised"] == 1
    assert runner.invoke(app, ["lifecycle", "score", "--as-of", "yesterday", "--database-url", url]).exit_code == 2
    unknown = runner.invoke(app, ["lifecycle", "train", "--tenant", t.uscc, "--product", "NOPE", "--metrics", "x",
                                  "--database-url", url])  # fmt: skip
    assert unknown.exit_code == 1 and "no product" in unknown.output
