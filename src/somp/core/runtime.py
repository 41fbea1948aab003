"""Process-level tuning for long-running services (the API server, ``somp ingest ...``)."""

from __future__ import annotations

import gc


def settle_heap(young_threshold: int | None = None) -> None:
    """Freeze what is alive after start-up and, optionally, collect the young generation less often.

    Objects alive once a service has started (modules, routes, ORM mappers) are never garbage;
    :func:`gc.freeze` takes them out of the collector's view, so a full collection no longer walks
    them. Ingest allocates many short-lived objects per message: with CPython's default threshold
    (700 allocations) a young collection runs every few messages, and profiling the MQTT writer
    put 10-40 % of its time in the collector. A larger ``young_threshold`` (e.g. 50,000) trades a
    little memory for that time; the older generations keep their default ratios.
    """
    gc.collect()
    gc.freeze()
    if young_threshold is not None:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, older, oldest)
