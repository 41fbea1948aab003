"""The ingest path on both databases: stored whole or refused whole, a batch accepted once, roll-ups
equal to aggregates of the raw rows, assets only inside the sender's tenant."""

import datetime as dt
import random

import pytest
from sqlalchemy import func, select

from somp.core.errors import ValidationFailed
from somp.core.tenancy import Scope
from somp.modules.telemetry import service
from somp.modules.telemetry.ingest import Ingestor, Item, Source
from somp.modules.telemetry.models import DeadLetter, HourlyRollup, IngestBatch, Metric, ReadingChunk
from somp.modules.telemetry.payloads import decode_json
from tests.factories import make_asset, make_product, make_tenant

NOW = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)


def fleet(db):
    t = make_tenant(db)
    p = make_product(db, t)
    return t, make_asset(db, t, p.id, serial_number="SN-A"), make_asset(db, t, p.id, serial_number="SN-B")


def batch(readings, batch_id=None):
    import orjson

    body = {"readings": readings} | ({"batch_id": batch_id} if batch_id else {})
    return orjson.dumps(body)


def ingest(db, source, raw, now=NOW):
    ing = Ingestor(db)
    return ing.ingest(source, decode_json(raw, now), raw, now)


def count(db, model, scope=None):
    with db.session(scope or Scope.all_tenants()) as s:
        return s.scalar(select(func.count()).select_from(model))


def n_readings(db, scope=None) -> int:
    """Readings stored (the sum of the chunks' counts) in the scope."""
    with db.session(scope or Scope.all_tenants()) as s:
        return s.scalar(select(func.coalesce(func.sum(ReadingChunk.count), 0)))


def test_a_batch_is_stored_once_even_when_resent(db):
    t, a, _ = fleet(db)
    src = Source(t.id, a.id, "http")
    raw = batch(
        [
            {"metric": "pressure", "ts": (T0 + dt.timedelta(seconds=i)).isoformat(), "value": 7 + i / 10}
            for i in range(50)
        ],
        "b-1",
    )
    first = ingest(db, src, raw)
    assert (first.accepted, first.duplicate, first.batch_id) == (50, False, "b-1")
    again = ingest(db, src, raw)
    assert (again.accepted, again.duplicate) == (0, True)
    # without a batch id, the same bytes from the same device are recognised too
    raw2 = batch([{"metric": "pressure", "ts": T0.isoformat(), "value": 1}])
    assert ingest(db, src, raw2).accepted == 1 and ingest(db, src, raw2).duplicate
    assert n_readings(db) == 51 and count(db, IngestBatch) == 2


def test_one_bad_reading_refuses_the_whole_batch_and_keeps_a_dead_letter(db):
    t, a, _ = fleet(db)
    raw = batch(
        [
            {"metric": "pressure", "ts": T0.isoformat(), "value": 7},
            {"metric": "pressure", "ts": "2030-01-01T00:00:00Z", "value": 7},
        ]
    )
    out = ingest(db, Source(t.id, a.id, "mqtt"), raw)
    assert not out.ok and "reading 1" in out.error
    assert n_readings(db) == 0
    with db.session(Scope.tenant(t.id)) as s:
        (dl,) = s.scalars(select(DeadLetter)).all()
        assert dl.source == "mqtt" and "reading 1" in dl.reason and "2030" in dl.payload


def test_metric_valid_range_refuses_implausible_values(db):
    t, a, _ = fleet(db)
    src = Source(t.id, a.id, "http")
    assert ingest(db, src, batch([{"metric": "pressure", "ts": T0.isoformat(), "value": 7}])).ok
    with db.session(Scope.tenant(t.id)) as s:
        m = s.scalar(select(Metric).where(Metric.key == "pressure"))
        service.update_metric(s, m.id, {"min_valid": 0, "max_valid": 16, "unit": "bar"})
        s.commit()
    out = Ingestor(db).ingest(
        src, decode_json(b'{"metric":"pressure","ts":"2026-03-01T01:00:00Z","value":250}', NOW), b"x", NOW
    )
    assert "outside its valid range" in out.error


def test_a_device_cannot_write_for_another_asset_and_imports_stay_in_the_tenant(db):
    t, a, b = fleet(db)
    other = make_tenant(db)
    op = make_product(db, other)
    make_asset(db, other, op.id, serial_number="SN-X")
    # a device token is bound to its asset
    out = ingest(
        db, Source(t.id, a.id, "http"), batch([{"metric": "p", "ts": T0.isoformat(), "value": 1, "asset": "SN-B"}])
    )
    assert "not SN-B" in out.error
    # a user import names assets by serial, looked up inside the importer's tenant only
    out = ingest(
        db, Source(t.id, None, "file"), batch([{"metric": "p", "ts": T0.isoformat(), "value": 1, "asset": "SN-X"}])
    )
    assert "no asset with serial number 'SN-X'" in out.error
    out = ingest(
        db, Source(t.id, None, "file"), batch([{"metric": "p", "ts": T0.isoformat(), "value": 1, "asset": "SN-B"}])
    )
    assert out.ok and n_readings(db, Scope.tenant(other.id)) == 0 and n_readings(db, Scope.tenant(t.id)) == 1


def test_hourly_rollups_equal_the_aggregates_of_the_raw_rows(db):
    t, a, _ = fleet(db)
    rng = random.Random(7)
    ing = Ingestor(db)
    points = [(T0 + dt.timedelta(seconds=rng.randrange(0, 3 * 3600)), round(rng.uniform(5, 9), 3)) for _ in range(900)]
    # delivered out of order over several batches, as a flaky link would
    for k in range(0, 900, 100):
        chunk = points[k : k + 100]
        raw = batch([{"metric": "pressure", "ts": ts.isoformat(), "value": v} for ts, v in chunk], f"b{k}")
        assert ing.ingest(Source(t.id, a.id, "http"), decode_json(raw, NOW), raw, NOW).ok
    with db.session(Scope.tenant(t.id)) as s:
        hourly = service.aggregate(s, a.id, "pressure", T0, T0 + dt.timedelta(hours=3), 3600)
        raw_hourly = service._from_raw(s, a.id, s.scalar(select(Metric.id)), T0, T0 + dt.timedelta(hours=3), 3600)
        assert len(hourly) == 3
        for h, r in zip(hourly, raw_hourly, strict=True):
            assert (h.start, h.min, h.max, h.count) == (r.start, r.min, r.max, r.count)
            assert abs(h.avg - r.avg) < 1e-9
        # "last" is the value at the latest timestamp of each hour, whatever the arrival order
        for h in hourly:
            inside = [(ts, v) for ts, v in points if h.start <= ts < h.start + dt.timedelta(hours=1)]
            assert h.last == max(inside)[1]
        three_hours = service.aggregate(s, a.id, "pressure", T0, T0 + dt.timedelta(hours=3), 3 * 3600)
        assert three_hours[0].count == 900 and three_hours[0].max == max(v for _, v in points)
        latest = service.latest(s, a.id)
        assert [(m.key, v) for m, _ts, v in latest] == [("pressure", max(points)[1])]
        assert s.scalar(select(func.count()).select_from(HourlyRollup)) == 3


def test_many_batches_in_one_transaction_are_judged_one_by_one(db):
    t, a, _ = fleet(db)
    src = Source(t.id, a.id, "mqtt")
    good = batch([{"metric": "p", "ts": T0.isoformat(), "value": 1}], "g1")
    bad = b'{"metric": 5}'
    items = [
        Item(src, decode_json(good, NOW), good),
        Item(src, None, bad, error="not a reading"),
        Item(src, decode_json(good, NOW), good),
    ]
    outs = Ingestor(db).ingest_many(items, NOW)
    assert [(o.accepted, o.duplicate, o.ok) for o in outs] == [(1, False, True), (0, False, False), (0, True, True)]
    assert count(db, DeadLetter) == 1


def test_retention_deletes_old_raw_rows_and_keeps_rollups(db):
    t, a, _ = fleet(db)
    ing = Ingestor(db)
    old, recent = T0 - dt.timedelta(days=40), T0
    for i, when in enumerate((old, recent)):
        raw = batch(
            [{"metric": "p", "ts": (when + dt.timedelta(minutes=m)).isoformat(), "value": m} for m in range(10)],
            f"r{i}",
        )
        ing.ingest(Source(t.id, a.id, "http"), decode_json(raw, NOW), raw, NOW)
    assert service.apply_retention(db, t.id, keep_days=30, now=NOW) == 10
    assert n_readings(db) == 10 and count(db, HourlyRollup) == 2
    with db.session(Scope.tenant(t.id)) as s:
        (h,) = service.aggregate(s, a.id, "p", old, old + dt.timedelta(hours=1), 3600)
        assert h.count == 10 and h.max == 9


def test_expired_batch_claims_are_deleted_and_recent_ones_still_refuse_a_resend(db):
    t, a, _ = fleet(db)
    other, other_asset, _ = fleet(db)
    ing = Ingestor(db)
    first = NOW - dt.timedelta(days=5)
    raws = {k: batch([{"metric": "p", "ts": (first + dt.timedelta(minutes=i)).isoformat(), "value": i}], k)
            for i, k in enumerate(["old-1", "old-2", "old-3", "new-1"])}  # fmt: skip
    for k, raw in raws.items():
        received = NOW - dt.timedelta(days=3) if k.startswith("old") else NOW
        assert ing.ingest(Source(t.id, a.id, "http"), decode_json(raw, NOW), raw, received).accepted == 1
    theirs = batch([{"metric": "p", "ts": first.isoformat(), "value": 1}], "old-theirs")
    ing.ingest(Source(other.id, other_asset.id, "http"), decode_json(theirs, NOW), theirs, NOW - dt.timedelta(days=3))
    with pytest.raises(ValidationFailed):
        service.expire_batch_claims(db, t.id, keep_days=0, now=NOW)
    assert service.expire_batch_claims(db, t.id, keep_days=2, now=NOW, chunk=2) == 3  # in chunks of 2
    with db.session(Scope.all_tenants()) as s:
        left = sorted(s.execute(select(IngestBatch.tenant_id, IngestBatch.batch_id)).all())
    assert left == sorted([(t.id, "new-1"), (other.id, "old-theirs")])  # the other tenant's claim stays
    again = ing.ingest(Source(t.id, a.id, "http"), decode_json(raws["new-1"], NOW), raws["new-1"], NOW)
    assert again.duplicate and again.accepted == 0
    assert n_readings(db) == 5  # nothing was deleted but claims


def test_group_commit_answers_each_batch_after_one_shared_transaction(db):
    from somp.modules.telemetry.ingest import GroupCommitter

    t, a, _ = fleet(db)
    committer = GroupCommitter(Ingestor(db))
    raws = [batch([{"metric": "p", "ts": T0.timestamp() + 60 * i + k, "value": k} for k in range(10)], f"g{i}")
            for i in range(30)]  # fmt: skip
    items = [Item(Source(t.id, a.id, "http"), decode_json(r, NOW), r) for r in raws]
    items.append(Item(Source(t.id, a.id, "http"), decode_json(raws[0], NOW), raws[0]))  # re-sent
    items.append(Item(Source(t.id, a.id, "http"), None, b"{", error="not valid JSON"))
    outcomes = [f.result(30) for f in [committer.submit(it) for it in items]]
    assert [o.accepted for o in outcomes[:30]] == [10] * 30
    assert outcomes[30].duplicate and outcomes[30].accepted == 0
    assert outcomes[31].error == "not valid JSON"
    assert n_readings(db) == 300 and count(db, DeadLetter) == 1


def test_compaction_merges_the_chunks_of_an_hour_and_keeps_every_reading(db):
    """Single readings in separate transactions make one chunk each; compaction leaves one chunk
    per series and hour (only for hours before its cut-off), in time order, nothing lost."""
    t, a, b = fleet(db)
    rng = random.Random(3)
    sent = []
    for k in rng.sample(range(7200), 40):  # two hours, out of order, two assets
        asset = a if k % 2 else b
        ts = T0 + dt.timedelta(seconds=k)
        raw = batch([{"metric": "temperature", "ts": ts.isoformat(), "value": k / 10}])
        assert ingest(db, Source(t.id, asset.id, "mqtt"), raw).accepted == 1
        sent.append((asset.id, ts, k / 10))
    assert count(db, ReadingChunk) == 40
    with db.session(Scope.tenant(t.id)) as s:
        before = service.stored_readings(s)
    merged, removed = service.compact_chunks(db, before=T0 + dt.timedelta(hours=1))
    assert merged == 2 and removed == sum(1 for x in sent if x[1] < T0 + dt.timedelta(hours=1)) - 2
    service.compact_chunks(db, before=T0 + dt.timedelta(hours=2))
    assert count(db, ReadingChunk) == 4  # 2 assets x 2 hours
    with db.session(Scope.tenant(t.id)) as s:
        after = service.stored_readings(s)
        chunk_counts = sorted(s.scalars(select(ReadingChunk.count)))
    assert sorted(zip(after.asset.tolist(), after.times(), after.value.tolist(), strict=True)) == sorted(sent)
    assert after.ts.tolist() == sorted(before.ts.tolist()) and sum(chunk_counts) == 40
    with db.session(Scope.tenant(t.id)) as s:
        assert set(s.scalars(select(HourlyRollup.chunks))) == {1}  # the roll-ups count the chunks
        assert set(s.scalars(select(HourlyRollup.merge_pending))) == {False}
    # a late reading for a compacted hour makes a new chunk; the periodic job merges it
    raw = batch([{"metric": "temperature", "ts": (T0 + dt.timedelta(seconds=1)).isoformat(), "value": -1}])
    assert ingest(db, Source(t.id, a.id, "mqtt"), raw).accepted == 1
    assert count(db, ReadingChunk) == 5
    service.compact_tick(db, T0 + dt.timedelta(hours=3))
    assert count(db, ReadingChunk) == 4
    assert service.compact_chunks(db, before=T0 + dt.timedelta(hours=3)) == (0, 0)  # nothing left


def test_an_hour_whose_chunks_retention_removed_leaves_the_compaction_list(db):
    """Compaction finds its work through the roll-ups' merge_pending flags; an hour that retention
    emptied before it was compacted is taken off the list (its count 0), not retried forever."""
    t, a, _ = fleet(db)
    for k in range(3):  # three transactions: three chunks of one hour
        raw = batch([{"metric": "flow", "ts": (T0 + dt.timedelta(seconds=k)).isoformat(), "value": k}])
        assert ingest(db, Source(t.id, a.id, "mqtt"), raw).accepted == 1
    with db.session(Scope.tenant(t.id)) as s:
        assert s.execute(select(HourlyRollup.chunks, HourlyRollup.merge_pending)).one() == (3, True)
    later = T0 + dt.timedelta(days=5)
    assert service.apply_retention(db, t.id, keep_days=1, now=later) == 3
    assert service.compact_chunks(db, before=later, rounds=5) == (0, 0)
    with db.session(Scope.tenant(t.id)) as s:
        assert s.execute(select(HourlyRollup.chunks, HourlyRollup.merge_pending)).one() == (0, False)
    assert service.compact_chunks(db, before=later) == (0, 0)  # returns: nothing is left on the list


def test_roll_up_updates_stay_on_their_page_on_postgresql(db, backend):
    """Each transaction updates the roll-up of every series-hour it touches. No index reads a column
    those updates change, so PostgreSQL updates the rows in place (heap-only tuples, HOT) instead
    of writing a new entry in each of the table's indexes (counted within the transaction)."""
    import numpy as np

    from somp.modules.telemetry.chunks import group_series

    if backend != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    t, a, b = fleet(db)
    ing = Ingestor(db)
    hour_us = int(T0.timestamp()) * 1_000_000
    stats = (
        "SELECT pg_stat_get_xact_tuples_updated('readings_hourly'::regclass), "
        "pg_stat_get_xact_tuples_hot_updated('readings_hourly'::regclass)"
    )
    n = 50
    asset = np.where(np.arange(n) % 2, a.id, b.id)
    for k in range(4):
        ts = hour_us + np.arange(n) * 1_000_000 + k * 60_000_000
        groups = group_series(np.full(n, t.id), asset, np.full(n, 1), ts, np.arange(n, dtype=np.float64))
        with db.session(Scope.all_tenants()) as s:
            conn = s.connection()
            before = conn.exec_driver_sql(stats).one()  # (the backend's counts not yet reported)
            ing._upsert_rollups(conn, groups)
            after = conn.exec_driver_sql(stats).one()
            s.commit()
        counts = (after[0] - before[0], after[1] - before[1])
        if k == 0:
            assert counts == (0, 0)  # two new series-hours: inserted
        elif k == 1:
            assert counts[0] == 2  # a second chunk: flagged for compaction (the flag is indexed)
        else:
            assert counts == (2, 2), counts  # every later update in place
    with db.session(Scope.tenant(t.id)) as s:
        assert sorted(s.scalars(select(HourlyRollup.count))) == [100, 100]


def test_purging_a_tenant_removes_its_telemetry_and_nothing_else(db):
    """The telemetry tables have no foreign keys to cascade: purge_tenant deletes a tenant's rows."""
    t, a, _ = fleet(db)
    other, oa, _ = fleet(db)
    for tenant, asset in ((t, a), (other, oa)):
        raw = batch([{"metric": "pressure", "ts": T0.isoformat(), "value": 7}])
        assert ingest(db, Source(tenant.id, asset.id, "http"), raw).accepted == 1
    service.purge_tenant(db, t.id)
    for model in (ReadingChunk, HourlyRollup, IngestBatch):
        assert count(db, model, Scope.tenant(t.id)) == 0
        assert count(db, model, Scope.tenant(other.id)) == 1


def test_a_digest_batch_id_leads_with_the_hour_of_its_first_reading_and_repeats_for_a_resent_payload():
    from somp.modules.telemetry.ingest import batch_id_of

    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    raw = b'{"metric": "pressure", "ts": "2026-01-01T05:30:00Z", "value": 7.1}'
    src = Source(3, 9, "mqtt")
    first = batch_id_of(src, decode_json(raw, now), raw)
    hour = int(dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC).timestamp()) // 3600
    assert first.startswith(f"h:{hour:07x}:") and len(first) == 2 + 7 + 1 + 32
    assert batch_id_of(src, decode_json(raw, now), raw) == first  # a redelivery is recognised
    assert batch_id_of(Source(3, 10, "mqtt"), decode_json(raw, now), raw) != first  # another sender
    later = raw.replace(b"05:30", b"06:30")
    assert batch_id_of(src, decode_json(later, now), later) > first  # claims follow the readings' time
    named = b'{"batch_id": "gw-7", "readings": [{"metric": "p", "ts": 1767225600, "value": 1}]}'
    assert batch_id_of(src, decode_json(named, now), named) == "gw-7"
