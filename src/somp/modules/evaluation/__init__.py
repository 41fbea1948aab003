"""Statistical evaluation (framework nodes 1.3.1-1.3.4, 统计评价): enterprise maturity, input-output
measurement, sustainability and regional evaluation.

This session holds the pure engines only (no database, API or pages yet): :mod:`.mcda` (weights and
rankings), :mod:`.input_output` and :mod:`.io_tables` (input-output tables), :mod:`.indicators`
(indicator systems as data, scoring, maturity levels), :mod:`.batch_scoring` (many enterprises at
once), :mod:`.carbon` (scope 1/2/3 footprint) and
:mod:`.regional` (regional indicators and rankings). docs/evaluation.md describes them.
"""
