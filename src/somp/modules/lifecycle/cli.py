"""``somp lifecycle ...``: commands of the lifecycle module (framework node 3.6).

Kept quick to import (the ``somp`` CLI imports every module's app at start): numpy, LightGBM and
the RUL engine are imported inside the commands.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="lifecycle management: health index and remaining useful life (RUL)", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """Lifecycle management and remote O&M (3.6): health index, remaining useful life."""


@app.command("cmapss")
def cmapss(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="folder with train_FD00x.txt, test_FD00x.txt, RUL_FD00x.txt")
    ],
    subset: Annotated[str, typer.Option("--subset", help="FD001, FD002, FD003 or FD004")] = "FD001",
    cap: Annotated[float, typer.Option(help="RUL cap of the piecewise-linear target (cycles)")] = 125.0,
    seed: Annotated[int, typer.Option(help="seed of the unit folds and of LightGBM")] = 0,
    save: Annotated[Path | None, typer.Option(help="also write the trained model (RulModel.to_bytes) here")] = None,
    fast: Annotated[bool, typer.Option("--fast", hidden=True, help="reduced configuration (tests)")] = False,
) -> None:
    """Train on a NASA C-MAPSS subset's training file, predict its test file, print one JSON line.

    Metrics at each test unit's last cycle against the RUL file, raw and capped at ``--cap``: RMSE,
    PHM08 score, and the empirical coverage of the prediction interval.
    """
    import numpy as np

    from somp.modules.lifecycle import rul
    from somp.modules.lifecycle.rul_data import (
        interval_coverage,
        phm08_score,
        read_cmapss,
        read_cmapss_truth,
        rmse,
    )

    subset = subset.upper()
    paths = {k: data_dir / f"{k}_{subset}.txt" for k in ("train", "test", "RUL")}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        typer.echo(f"error: missing {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    started = time.perf_counter()
    config = rul.RulConfig.fast() if fast else rul.RulConfig()
    config = rul.with_overrides(config, cap=cap, seed=seed)
    train_series = read_cmapss(paths["train"])
    model = rul.train(train_series, config)
    trained = time.perf_counter()
    test_series = read_cmapss(paths["test"])
    truth = read_cmapss_truth(paths["RUL"])
    if len(truth) != test_series.n_units:
        typer.echo(f"error: {paths['RUL']} has {len(truth)} values for {test_series.n_units} test units", err=True)
        raise typer.Exit(2)
    pred = model.predict(test_series)
    capped = np.minimum(truth, cap)
    out = {
        "subset": subset,
        "rmse_raw": round(rmse(pred.rul, truth), 3),
        "rmse_capped": round(rmse(pred.rul, capped), 3),
        "score_raw": round(phm08_score(pred.rul, truth), 1),
        "score_capped": round(phm08_score(pred.rul, capped), 1),
        "interval_coverage": round(interval_coverage(pred.lower, pred.upper, capped), 3),
        "interval_coverage_raw": round(interval_coverage(pred.lower, pred.upper, truth), 3),
        "interval_mean_width": round(float(np.mean(pred.upper - pred.lower)), 2),
        "interval_nominal": config.coverage,
        "cap": cap,
        "train_units": int(train_series.n_units),
        "test_units": int(test_series.n_units),
        "conditions": model.info["conditions"],
        "features": model.info["features"],
        "cv_rmse_capped_rows": model.info["cv_rmse_capped_rows"],
        "cv_rmse_capped_degrading": model.info["cv_rmse_capped_degrading"],
        "train_seconds": round(trained - started, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "config": "fast" if fast else "default",
    }
    if save is not None:
        save.write_bytes(model.to_bytes())
        out["model_bytes"] = save.stat().st_size
    typer.echo(json.dumps(out))


def _tenant_id(db, tenant: str) -> int:  # noqa: ANN001
    from sqlalchemy import or_, select

    from somp.cli import fail
    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope

    with db.session(Scope.all_tenants()) as s:
        cond = Tenant.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, Tenant.id == int(tenant))
        found = s.scalar(select(Tenant.id).where(cond))
    if found is None:
        raise fail(f"no enterprise {tenant!r}")
    return found


@app.command("train")
def train_command(
    tenant: Annotated[str, typer.Option(help="the enterprise: its id or unified social credit code")],
    product: Annotated[str, typer.Option(help="the product: its id or code")],
    metrics: Annotated[str, typer.Option(help="comma-separated metric keys, e.g. vibration,temperature,power")],
    name: Annotated[str | None, typer.Option(help="model name (default: product code, RUL, date)")] = None,
    fast: Annotated[bool, typer.Option("--fast", hidden=True, help="reduced configuration (tests)")] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="folder of the embedded database")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL")] = None,
) -> None:
    """Train a product's RUL model (hours) from its assets' recorded failures and their telemetry;
    it becomes the product's active model. Prints one JSON line with the training facts."""
    from rich.progress import Progress
    from sqlalchemy import or_, select

    from somp.cli import fail, open_database, settings_for
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.catalog.models import Product
    from somp.modules.lifecycle import health
    from somp.modules.lifecycle.rul import RulConfig

    db = open_database(settings_for(data_dir, database_url))
    tid = _tenant_id(db, tenant)
    with db.session(Scope.tenant(tid)) as s:
        cond = Product.code == product
        if product.isdigit():
            cond = or_(cond, Product.id == int(product))
        pid = s.scalar(select(Product.id).where(cond))
    if pid is None:
        raise fail(f"no product {product!r} in that enterprise")
    keys = [k.strip() for k in metrics.split(",") if k.strip()]
    with Progress(transient=True) as bar:
        task = bar.add_task("training", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=stage)

        try:
            report = health.train_product_model(
                db, tid, pid, keys, name=name, config=RulConfig.fast() if fast else None, progress=progress
            )
        except DomainError as exc:
            raise fail(str(exc)) from None
    typer.echo(json.dumps({"model_id": report.model_id, "units": report.units, "rows": report.rows} | report.info))


@app.command("score")
def score_command(
    tenant: Annotated[
        str | None, typer.Option(help="one enterprise (id or USCC); default: every one with a model")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask distributed scheduler address (tcp://host:8786); default: in process")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="score as of this UTC time (ISO 8601), e.g. to backfill; default: now")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="folder of the embedded database")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL")] = None,
) -> None:
    """Score every operating asset that has an active RUL model: health index, RUL with its 90%
    interval; raises prediction alarms below the contracts' thresholds. One JSON line per tenant."""
    import datetime as dt

    from sqlalchemy import select

    from somp.cli import fail, open_database, settings_for
    from somp.core.tenancy import Scope
    from somp.modules.lifecycle import health
    from somp.modules.lifecycle.models import RulModelRecord

    now = None
    if as_of is not None:
        try:
            now = dt.datetime.fromisoformat(as_of)
        except ValueError:
            raise fail(f"--as-of {as_of!r} is not an ISO 8601 time", 2) from None
        now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    db = open_database(settings_for(data_dir, database_url))
    if tenant is not None:
        tenants = [_tenant_id(db, tenant)]
    else:
        with db.session(Scope.all_tenants()) as s:
            tenants = s.scalars(
                select(RulModelRecord.tenant_id).where(RulModelRecord.active.is_(True)).distinct()
            ).all()
    for tid in tenants:
        started = time.perf_counter()
        r = health.score_tenant(db, tid, now=now, scheduler=scheduler)
        typer.echo(
            json.dumps(
                {
                    "tenant_id": tid,
                    "scored": r.scored,
                    "skipped": r.skipped,
                    "alarms_raised": r.alarms_raised,
                    "alarms_cleared": r.alarms_cleared,
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
        )


@app.command("tick")
def tick_command(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="folder of the embedded database")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL")] = None,
) -> None:
    """Let time pass for timer alarm rules (no data for N minutes, delays); `somp serve` does this
    every minute, this is for deployments that run the web server elsewhere."""
    from somp.cli import open_database, settings_for
    from somp.core.database import utcnow
    from somp.modules.lifecycle.reactions import tick

    tick(open_database(settings_for(data_dir, database_url)), utcnow())
