"""Payload decoding: the accepted shapes, timestamps, and the reasons a payload is refused."""

import datetime as dt

import numpy as np
import pytest

from somp.modules.telemetry.payloads import PayloadError, check, decode_csv, decode_json

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_somp_batch_single_and_thingsboard_shapes():
    b = decode_json(
        b'{"batch_id":"b1","readings":[{"metric":"pressure","ts":"2026-03-01T08:00:00+08:00",'
        b'"value":7},{"metric":"temp","ts":1772352000000,"value":81.5,"asset":"SN-1"}]}',
        NOW,
    )
    assert b.batch_id == "b1" and b.metric == ["pressure", "temp"] and b.value.tolist() == [7.0, 81.5]
    assert b.times() == [dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)]
    assert b.asset == [None, "SN-1"]
    one = decode_json(b'{"metric":"flow","ts":1772352000,"value":12.5}', NOW)  # epoch seconds
    assert one.times() == [dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)]
    # ThingsBoard: {"ts": ms, "values": {...}}, a list of those, or flat values stamped on arrival
    tb = decode_json(
        b'[{"ts":1451649600512,"values":{"temperature":42.2,"humidity":70}},'
        b'{"ts":1451649601512,"values":{"temperature":42.3}}]',
        NOW,
    )
    assert tb.metric == ["temperature", "humidity", "temperature"]
    assert tb.times()[0] == dt.datetime(2016, 1, 1, 12, 0, 0, 512000, tzinfo=dt.UTC)
    flat = decode_json(b'{"temperature": 42, "vibration": 3.1}', NOW)
    assert flat.times() == [NOW, NOW] and flat.value.tolist() == [42.0, 3.1]


def test_csv_with_bom_and_optional_asset_column():
    cols = decode_csv(
        "\ufeffasset,metric,ts,value\nSN-1,pressure,2026-01-01T00:00:00Z,7.2\n\nSN-2,pressure,1767225600,7.3\n".encode()
    )
    assert cols.asset == ["SN-1", "SN-2"] and cols.value.tolist() == [7.2, 7.3]
    assert cols.times()[0] == cols.times()[1] == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"readings":[{"metric":"p","ts":"2026-01-01T00:00:00Z","value":"high"}]}', "readings[0].value"),
        (b'{"readings":[{"metric":"p","ts":"2026-01-01T00:00:00","value":1}]}', "without a UTC offset"),
        (b'{"readings":[{"metric":"p","ts":"2026-01-01T00:00:00Z","value":1,"colour":"red"}]}', "colour"),
        (b'{"temperature": "warm"}', "invalid payload"),
        (b"[1, 2]", "invalid payload"),
    ],
)
def test_malformed_json_is_refused_with_a_reason(raw, reason):
    with pytest.raises(PayloadError) as e:
        decode_json(raw, NOW)
    assert reason in e.value.reason


def test_rules_every_reading_must_meet():
    ok = decode_json(b'{"metric":"p","ts":"2026-03-01T12:05:00Z","value":1}', NOW)
    check(ok, NOW)  # 5 minutes ahead: within the allowed clock skew
    for raw, reason in [
        (b'{"metric":"p","ts":"2026-03-01T13:00:00Z","value":1}', "outside"),
        (b'{"metric":"p","ts":"1999-12-31T23:59:59Z","value":1}', "outside"),
        (b'{"metric":"bad key!","ts":"2026-03-01T11:00:00Z","value":1}', "not a valid key"),
    ]:
        with pytest.raises(PayloadError) as e:
            check(decode_json(raw, NOW), NOW)
        assert reason in e.value.reason
    with pytest.raises(PayloadError, match="out of range"):
        decode_json(b'{"metric":"p","ts":"2026-03-01T11:00:00Z","value":1e999}', NOW)
    with pytest.raises(PayloadError, match="finite"):
        check(decode_csv(b"metric,ts,value\np,2026-03-01T11:00:00Z,nan\n"), NOW)
    with pytest.raises(PayloadError, match="header lacks"):
        decode_csv(b"metric,value\np,1\n")


def test_check_many_refuses_the_same_batches_with_the_same_reasons_as_check():
    """The vectorised check of a transaction's batches agrees with checking each alone."""
    import random

    from somp.modules.telemetry.payloads import Columns, check_many

    rng = random.Random(7)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    base = int(now.timestamp()) * 1_000_000 - 3_600_000_000
    batches = []
    for b in range(300):
        n = rng.choice([0, 1, 1, 3, 50])
        ts = np.array([base + k for k in range(n)], np.int64)
        value = np.array([rng.random() for _ in range(n)])
        metric = [rng.choice(["p", "t", "flow.rate"]) for _ in range(n)]
        kind = b % 10
        if n and kind == 1:
            value[rng.randrange(n)] = float("nan")
        elif n and kind == 2:
            ts[rng.randrange(n)] = base + 10**12  # far in the future
        elif n and kind == 3:
            metric[rng.randrange(n)] = "bad key!"
        elif n and kind == 4:
            ts = ts[:-1]  # unequal columns
        batches.append(Columns(metric, ts, value, [None] * n, "x" * 81 if kind == 5 else None))
    expected = []
    for c in batches:
        try:
            check(c, now)
            expected.append(None)
        except PayloadError as exc:
            expected.append(exc.reason)
    assert check_many(batches, now) == expected
    assert 0 < sum(e is None for e in expected) < len(expected)
