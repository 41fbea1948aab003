"""The read-ahead socket under paho (somp.modules.telemetry.mqtt._ReadAheadSocket): what paho asks
of ``recv`` comes back byte for byte whatever the split of the stream into reads, ``pending``
counts what is buffered, an empty socket still says "again" and a closed one says so."""

from __future__ import annotations

import random
import socket

import pytest

from somp.modules.telemetry import mqtt as ingest_mqtt
from somp.modules.telemetry.mqtt import _ReadAheadSocket


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    b.setblocking(False)
    yield a, _ReadAheadSocket(b)
    a.close()
    b.close()


def test_reads_of_any_size_return_the_stream_in_order(pair, monkeypatch):
    monkeypatch.setattr(ingest_mqtt, "READ_AHEAD", 1000)  # smaller than the stream: several refills
    sender, sock = pair
    rng = random.Random(7)
    stream = bytes(rng.randrange(256) for _ in range(20_000))
    sender.sendall(stream)
    got = bytearray()
    while len(got) < len(stream):
        want = rng.choice([1, 1, 2, 5, 100, 1500, 4000])
        try:
            part = sock.recv(want)
        except BlockingIOError:
            continue  # the kernel has not handed over the rest yet
        assert 0 < len(part) <= want
        got += part
    assert bytes(got) == stream
    assert sock.pending() == 0


def test_pending_counts_buffered_bytes_and_an_empty_socket_says_again(pair):
    sender, sock = pair
    sender.sendall(b"\x30\x05hello")
    assert sock.recv(1) == b"\x30"
    assert sock.pending() == 6 and sock.buffered() == 6
    assert sock.recv(1) == b"\x05" and sock.recv(5) == b"hello"
    assert sock.pending() == 0
    with pytest.raises(BlockingIOError):
        sock.recv(1)
    assert sock.fileno() >= 0  # everything else is the wrapped socket's


def test_a_closed_connection_reads_empty(pair):
    sender, sock = pair
    sender.sendall(b"ab")
    sender.close()
    assert sock.recv(1) == b"a" and sock.recv(10) == b"b"
    assert sock.recv(1) == b""
