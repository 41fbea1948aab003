"""``somp ingest ...``: telemetry from an MQTT broker and from files (framework node 2.2.1)."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import Annotated

import typer

from somp.cli import DataDir, DbUrl, console, err, fail, open_database, settings_for

app = typer.Typer(help="telemetry in: MQTT subscriber, file import (产品服务数据采集)", no_args_is_help=True)


@app.command("mqtt")
def mqtt(
    host: Annotated[str, typer.Option(help="broker host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="broker port")] = 1883,
    topic: Annotated[str, typer.Option(help="topic filter; its '+' level is the device token")] = (
        "somp/devices/+/telemetry"
    ),
    client_id: Annotated[str, typer.Option(help="client id of the persistent session")] = "somp-ingest",
    username: Annotated[str | None, typer.Option(help="broker user name")] = None,
    password_env: Annotated[str, typer.Option(help="environment variable holding the broker password")] = (
        "SOMP_MQTT_PASSWORD"
    ),
    tls: Annotated[bool, typer.Option(help="connect with TLS")] = False,
    ca_file: Annotated[Path | None, typer.Option(help="CA certificate for TLS")] = None,
    protocol: Annotated[int, typer.Option(help="MQTT protocol: 5 or 311")] = 5,
    batch: Annotated[int, typer.Option(help="most messages per transaction")] = 5_000,
    flush_ms: Annotated[float, typer.Option(help="longest wait before a transaction, ms")] = 50.0,
    receive_maximum: Annotated[int, typer.Option(help="MQTT 5 receive window (unacknowledged messages)")] = 20_000,
    report_every: Annotated[float, typer.Option(help="seconds between progress lines (0: none)")] = 10.0,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="subscriber processes sharing one MQTT shared subscription")
    ] = 1,
    share_group: Annotated[str, typer.Option(help="shared-subscription group name (with --workers > 1)")] = "somp",
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Subscribe to device telemetry (QoS 1) and store it; each message is acknowledged only after
    its readings are committed. Stops cleanly on SIGINT/SIGTERM.

    With ``--workers N`` (N > 1) this process starts N subscriber processes on the shared
    subscription ``$share/GROUP/TOPIC`` (client ids ``CLIENT-ID-1`` ... ``CLIENT-ID-N``): the broker
    spreads the messages over them, one Python interpreter lock each. It stops them on SIGINT/SIGTERM
    and exits with the first non-zero exit status among them."""
    if workers > 1:
        raise typer.Exit(_run_workers(workers, share_group, topic, client_id))
    from somp.core import migrate
    from somp.core.runtime import settle_heap
    from somp.modules.telemetry.mqtt import MqttIngest, MqttOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        options = MqttOptions(
            host=host,
            port=port,
            topic=topic,
            client_id=client_id,
            username=username,
            password=os.environ.get(password_env),
            tls=tls,
            ca_file=str(ca_file) if ca_file else None,
            protocol=protocol,
            receive_maximum=receive_maximum,
            batch_messages=batch,
            flush_seconds=flush_ms / 1000,
        )
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    db = open_database(settings_for(data_dir, database_url))
    if not migrate.is_up_to_date(db.engine):
        raise fail("the database schema is not up to date: run `somp db upgrade` first")
    sub = MqttIngest(db, options)
    settle_heap(young_threshold=50_000)  # see somp.core.runtime: the collector took up to 40 % of ingest

    def _stop(signum, frame) -> None:  # noqa: ANN001
        sub._stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        sub.start()
    except OSError as exc:
        raise fail(f"cannot reach the MQTT broker at {host}:{port}: {exc}") from None
    if sub.wait_subscribed(15):
        console.print(f"somp ingest: subscribed to {topic} at {host}:{port} as {client_id}", highlight=False)
    else:  # keeps trying: paho reconnects and subscribes again
        console.print(f"somp ingest: no subscription to {topic} at {host}:{port} yet; retrying", highlight=False)
    every = report_every if report_every > 0 else 3600.0
    while not sub._stopping.wait(every):
        if report_every > 0:
            console.print(sub.stats.line(), highlight=False)
    sub.stop()
    console.print("stopped; " + sub.stats.line(), highlight=False)


def _run_workers(workers: int, group: str, topic: str, client_id: str) -> int:
    """Start ``workers`` copies of this command on a shared subscription and wait for them."""
    import subprocess
    import sys

    if not group or any(c in group for c in "/+#"):
        raise fail("--share-group must be a non-empty name without '/', '+' or '#'", 2)
    shared = topic if topic.startswith("$share/") else f"$share/{group}/{topic}"
    args = sys.argv[1:]
    base: list[str] = []
    skip = {"--workers", "--topic", "--client-id", "--share-group"}
    i = 0
    while i < len(args):  # this command's own arguments, less the ones set per worker
        a = args[i]
        name = a.split("=", 1)[0]
        if name in skip:
            i += 1 if "=" in a else 2
            continue
        base.append(a)
        i += 1
    if "mqtt" not in base:
        raise fail("--workers: cannot rebuild the command line of the worker processes", 2)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "somp", *base, "--topic", shared, "--client-id", f"{client_id}-{k}"]
        )  # fmt: skip
        for k in range(1, workers + 1)
    ]

    def _forward(signum, frame) -> None:  # noqa: ANN001
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    signal.signal(signal.SIGINT, _forward)
    signal.signal(signal.SIGTERM, _forward)
    console.print(f"somp ingest: {workers} subscribers on {shared}", highlight=False, soft_wrap=True)
    codes = [p.wait() for p in procs]
    return next((c for c in codes if c), 0)


@app.command("file")
def file(
    paths: Annotated[list[Path], typer.Argument(help="CSV or Parquet files (asset, metric, ts, value)")],
    tenant: Annotated[str, typer.Option(help="the enterprise: its id or unified social credit code")],
    dry_run: Annotated[bool, typer.Option(help="check only, store nothing")] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Import historical readings. Each file is checked whole first: a file with a bad row is
    refused with row numbers and nothing of it is stored. Importing a file again adds nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import or_, select

    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope
    from somp.modules.telemetry.files import import_file

    db = open_database(settings_for(data_dir, database_url))
    with db.session(Scope.all_tenants()) as s:
        cond = Tenant.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, Tenant.id == int(tenant))
        tenant_id = s.scalar(select(Tenant.id).where(cond))
    if tenant_id is None:
        raise fail(f"no enterprise {tenant!r}")
    failed = False
    for path in paths:
        if not path.is_file():
            err.print(f"[red]{path}: no such file[/red]")
            failed = True
            continue
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as bar:
            task = bar.add_task(f"{path.name}", total=None)
            report = import_file(db, tenant_id, path, dry_run=dry_run, progress=lambda n, t=task: bar.advance(t, n))
        if report.errors:
            failed = True
            err.print(f"[red]{path.name}: refused ({len(report.errors)} problem(s)); nothing stored[/red]")
            for e in report.errors:
                err.print(f"  {e}", highlight=False)
        elif dry_run:
            console.print(f"{path.name}: {report.rows:,} readings would be stored (dry run)")
        else:
            console.print(
                f"{path.name}: {report.stored:,} readings stored, {report.duplicate_chunks} chunk(s) already present"
            )
    if failed:
        raise typer.Exit(1)


@app.command("opcua")
def opcua(
    mapping_file: Annotated[Path, typer.Argument(help="YAML or JSON mapping: endpoint, mode, node -> asset/metric")],
    tenant: Annotated[str, typer.Option(help="the enterprise: its id or unified social credit code")],
    check: Annotated[bool, typer.Option(help="check the mapping file and its assets, then exit")] = False,
    report_every: Annotated[float, typer.Option(help="seconds between progress lines (0: none)")] = 10.0,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Read OPC UA server variables (subscription or polling) into asset readings, as a mapping
    file says (docs/opcua.md). Reconnects when the server goes away; stops on SIGINT/SIGTERM."""
    from sqlalchemy import or_, select

    from somp.core import migrate
    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope
    from somp.modules.telemetry.opcua import MappingError, OpcUaIngest, drop_connection_tracebacks, load_mapping

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("asyncua").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(drop_connection_tracebacks)
    try:
        config = load_mapping(mapping_file)
    except MappingError as exc:
        raise fail(str(exc), 2) from None
    db = open_database(settings_for(data_dir, database_url))
    if not migrate.is_up_to_date(db.engine):
        raise fail("the database schema is not up to date: run `somp db upgrade` first")
    with db.session(Scope.all_tenants()) as s:
        cond = Tenant.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, Tenant.id == int(tenant))
        tenant_id = s.scalar(select(Tenant.id).where(cond))
    if tenant_id is None:
        raise fail(f"no enterprise {tenant!r}")
    conn = OpcUaIngest(db, tenant_id, config)
    try:
        conn.prepare()
    except ValueError as exc:
        raise fail(f"{mapping_file}: {exc}") from None
    what = f"{len(config.mappings)} node(s) at {config.endpoint} ({config.mode}) as {config.name}"
    if check:
        console.print(f"{mapping_file}: ok, {what}", highlight=False, soft_wrap=True)
        return

    def _stop(signum, frame) -> None:  # noqa: ANN001
        conn.request_stop()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    conn.start()
    console.print(f"somp ingest: reading {what}", highlight=False, soft_wrap=True)
    every = report_every if report_every > 0 else 3600.0
    while not conn._stopping.wait(every):
        if report_every > 0:
            state = "connected" if conn.connected.is_set() else f"not connected ({conn.stats.last_error or '...'})"
            console.print(f"{conn.stats.line()}  {state}", highlight=False, soft_wrap=True)
    conn.stop()
    console.print("stopped; " + conn.stats.line(), highlight=False, soft_wrap=True)


@app.command("retention")
def retention(
    keep_days: Annotated[int, typer.Option(help="days of raw readings to keep (the hourly roll-ups are kept)")],
    claim_days: Annotated[
        int | None,
        typer.Option(help="days to keep the ids of accepted batches (re-sent batch detection); default --keep-days"),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="one enterprise (id or USCC); default: every one")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Delete raw readings older than --keep-days, series by series; hourly and coarser series stay
    complete from the roll-ups (downsampling). Also expire the ids of batches accepted more than
    --claim-days ago (a batch re-sent after that is stored again). Run it daily, e.g. from cron."""
    from sqlalchemy import or_, select

    from somp.core.database import utcnow
    from somp.core.errors import DomainError
    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope
    from somp.modules.telemetry.service import apply_retention, expire_batch_claims

    db = open_database(settings_for(data_dir, database_url))
    with db.session(Scope.all_tenants()) as s:
        stmt = select(Tenant.id).order_by(Tenant.id)
        if tenant is not None:
            cond = Tenant.uscc == tenant.upper()
            stmt = stmt.where(or_(cond, Tenant.id == int(tenant)) if tenant.isdigit() else cond)
        tenants = s.scalars(stmt).all()
    if tenant is not None and not tenants:
        raise fail(f"no enterprise {tenant!r}")
    now = utcnow()
    claim_days = keep_days if claim_days is None else claim_days
    for tid in tenants:
        try:
            n = apply_retention(db, tid, keep_days, now)
            claims = expire_batch_claims(db, tid, claim_days, now)
        except DomainError as exc:
            raise fail(str(exc), 2) from None
        console.print(f"enterprise {tid}: {n:,} raw readings older than {keep_days} days deleted", highlight=False)
        console.print(f"enterprise {tid}: {claims:,} batch ids older than {claim_days} days expired", highlight=False)


@app.command("compact")
def compact(
    older_than_hours: Annotated[
        int, typer.Option(min=1, help="merge the chunks of hours that ended at least this many hours ago")
    ] = 2,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Merge the reading chunks of each series and hour into one (see docs/telemetry.md, Storage).
    Readings written by many small transactions (single-reading MQTT messages) are then read back
    from one row per hour. Safe to run while ingest runs; run it hourly, e.g. from cron."""
    import datetime as dt

    from somp.core.database import utcnow
    from somp.modules.telemetry.service import compact_chunks

    db = open_database(settings_for(data_dir, database_url))
    now = utcnow()
    before = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=older_than_hours - 1)
    merged, removed = compact_chunks(db, before)
    console.print(f"compacted {merged:,} series-hours before {before.isoformat()}; {removed:,} chunks fewer")
