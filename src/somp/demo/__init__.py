"""The demo scenario of ``somp demo``: a compressor maker selling compressed air as a service.

:mod:`~somp.demo.reference` (fixed data), :mod:`~somp.demo.scenario` (the deterministic
generator), :mod:`~somp.demo.loader` (writes it), :mod:`~somp.demo.export` (canonical digest),
:mod:`~somp.demo.cli` (the command). See ``docs/demo.md``.
"""
