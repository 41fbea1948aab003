"""File import (CSV and Parquet): checked whole before anything is stored, refused with file row
numbers, chunked with batch ids from the file digest so a second import adds nothing; and the
``somp ingest file`` command."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from somp.cli import app
from somp.core.tenancy import Scope
from somp.modules.telemetry.files import import_file, read_chunks
from somp.modules.telemetry.models import HourlyRollup, IngestBatch, ReadingChunk
from somp.modules.telemetry.service import stored_readings

E0 = 1_767_225_600


def readings(db):
    with db.session(Scope.all_tenants()) as s:
        return s.scalar(select(func.coalesce(func.sum(ReadingChunk.count), 0)))


def write_csv(path, rows):
    path.write_text("asset,metric,ts,value\n" + "".join(f"{a},{m},{t},{v}\n" for a, m, t, v in rows), encoding="utf-8")
    return path


def test_csv_is_stored_in_chunks_once(device, tmp_path):
    db = device.db
    rows = [("SN-MQTT", "pressure", E0 + i, 7 + i % 5) for i in range(2_500)]
    path = write_csv(tmp_path / "history.csv", rows)
    assert [(first, len(c)) for first, c in read_chunks(path, 1_000)] == [(2, 1000), (1002, 1000), (2002, 500)]
    done = []
    report = import_file(db, device.tenant_id, path, chunk_rows=1_000, progress=done.append)
    assert report.ok and report.stored == 2_500 and report.chunks == 3 and sum(done) == 5_000  # two passes
    again = import_file(db, device.tenant_id, path, chunk_rows=1_000)
    assert again.ok and again.stored == 0 and again.duplicate_chunks == 3
    assert readings(db) == 2_500
    with db.session(Scope.all_tenants()) as s:
        assert s.scalar(select(func.sum(HourlyRollup.count))) == 2_500


def test_a_bad_row_refuses_the_whole_file_with_its_row_number(device, tmp_path):
    db = device.db
    rows = [("SN-MQTT", "pressure", E0 + i, 7) for i in range(1_500)]
    rows[1_200] = ("SN-NONE", "pressure", E0, 7)
    path = write_csv(tmp_path / "bad.csv", rows)
    report = import_file(db, device.tenant_id, path, chunk_rows=1_000)
    assert not report.ok and report.stored == 0
    assert report.errors == ["row 1202: no asset with serial number 'SN-NONE'"]  # header is row 1
    assert readings(db) == 0
    (tmp_path / "unreadable.csv").write_text("asset,metric,ts,value\nSN-MQTT,p,yesterday,1\n", encoding="utf-8")
    assert import_file(db, device.tenant_id, tmp_path / "unreadable.csv").errors == [
        "row 2: ts or value is not readable"
    ]


def test_parquet_with_timestamp_column(device, tmp_path):
    db = device.db
    n = 3_000
    table = pa.table(
        {
            "asset": ["SN-MQTT"] * n,
            "metric": ["flow"] * n,
            "ts": pa.array([dt.datetime(2026, 1, 1) + dt.timedelta(seconds=i) for i in range(n)], pa.timestamp("ms")),
            "value": pa.array(range(n), pa.int32()),
        }
    )
    path = tmp_path / "history.parquet"
    pq.write_table(table, path, row_group_size=1_000)
    report = import_file(db, device.tenant_id, path, chunk_rows=1_000)
    assert report.ok and report.stored == n
    with db.session(Scope.all_tenants()) as s:
        r = stored_readings(s)
    first, total = r.times()[0], r.value.sum()
    assert first == dt.datetime(2026, 1, 1, tzinfo=dt.UTC) and total == sum(range(n))
    pq.write_table(table.drop(["value"]), tmp_path / "novalue.parquet")
    assert "lack value" in import_file(db, device.tenant_id, tmp_path / "novalue.parquet").errors[0]


def test_ingest_file_command(device, tmp_path):
    path = write_csv(tmp_path / "h.csv", [("SN-MQTT", "power", E0 + i, 30) for i in range(100)])
    with device.db.session(Scope.all_tenants()) as s:
        from somp.core.identity import Tenant

        uscc = s.get(Tenant, device.tenant_id).uscc
    runner = CliRunner()
    dry = runner.invoke(app, ["ingest", "file", str(path), "--tenant", uscc, "--dry-run", "--database-url", device.url])
    assert dry.exit_code == 0, dry.output
    assert "100 readings would be stored" in dry.output and readings(device.db) == 0
    ok = runner.invoke(
        app, ["ingest", "file", str(path), "--tenant", str(device.tenant_id), "--database-url", device.url]
    )
    assert ok.exit_code == 0 and "100 readings stored" in ok.output
    missing = runner.invoke(app, ["ingest", "file", str(path), "--tenant", "nobody", "--database-url", device.url])
    assert missing.exit_code == 1


def test_retention_command_keeps_the_rollups(device, tmp_path):
    import datetime as dt

    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    rows = [("SN-MQTT", "power", int(old.timestamp()) + i, 30) for i in range(50)]
    rows += [("SN-MQTT", "power", int(dt.datetime.now(dt.UTC).timestamp()) - 60 - i, 31) for i in range(5)]
    assert import_file(device.db, device.tenant_id, write_csv(tmp_path / "r.csv", rows)).stored == 55
    runner = CliRunner()
    bad = runner.invoke(app, ["ingest", "retention", "--keep-days", "0", "--database-url", device.url])
    assert bad.exit_code == 2
    ok = runner.invoke(app, ["ingest", "retention", "--keep-days", "30", "--database-url", device.url])
    assert ok.exit_code == 0 and "50 raw readings" in ok.output, ok.output
    assert "0 batch ids older than 30 days expired" in ok.output  # the import's claim is from today
    with device.db.session(Scope.all_tenants()) as s:  # the import's claim, received two days ago
        s.execute(update(IngestBatch).values(received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)))
        s.commit()
    claims = runner.invoke(
        app, ["ingest", "retention", "--keep-days", "30", "--claim-days", "1", "--database-url", device.url]
    )
    assert "0 raw readings" in claims.output and "1 batch ids older than 1 days" in claims.output, claims.output
    with device.db.session(Scope.all_tenants()) as s:
        assert s.scalar(select(func.count()).select_from(IngestBatch)) == 0
    assert readings(device.db) == 5
    with device.db.session(Scope.all_tenants()) as s:
        assert s.scalar(select(func.sum(HourlyRollup.count))) == 55  # the hourly series stays complete


def test_compact_command_merges_the_chunks_of_past_hours(device, tmp_path):
    import datetime as dt

    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=5)
    for k in range(3):  # three imports: three chunks of the same series and hour
        rows = [("SN-MQTT", "power", int(hour.timestamp()) + 60 * k + i, 30 + k) for i in range(4)]
        assert import_file(device.db, device.tenant_id, write_csv(tmp_path / f"c{k}.csv", rows)).stored == 4
    with device.db.session(Scope.all_tenants()) as s:
        assert s.scalar(select(func.count()).select_from(ReadingChunk)) == 3
    out = CliRunner().invoke(app, ["ingest", "compact", "--database-url", device.url])
    assert out.exit_code == 0 and "compacted 1 series-hours" in out.output, out.output
    with device.db.session(Scope.all_tenants()) as s:
        assert s.scalars(select(ReadingChunk.count)).all() == [12]
        assert stored_readings(s).value.tolist() == [30.0] * 4 + [31.0] * 4 + [32.0] * 4
