"""Statistical evaluation (framework nodes 1.3.1-1.3.4, 统计评价): enterprise maturity, input-output
measurement, sustainability and regional evaluation.

Pure engines (no database or web framework): :mod:`.mcda` (weights and rankings), :mod:`.input_output`
and :mod:`.io_tables` (input-output tables), :mod:`.indicators` (indicator systems as data, scoring,
maturity levels), :mod:`.batch_scoring` (many enterprises at once), :mod:`.carbon` (scope 1/2/3
footprint) and :mod:`.regional` (regional indicators and rankings). :mod:`.cli` runs them on files
(``somp evaluate ...``). docs/evaluation.md describes them.

Standards, recognition programmes and stored regions (issue 4): :mod:`.recognition` (pure: the
catalogue, conformance shares, programme criteria as data), services :mod:`.standards`,
:mod:`.programmes`, :mod:`.regions_service`; entry points :mod:`.api_programmes`,
:mod:`.web_programmes`, :mod:`.cli_programmes`.
"""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="evaluation",
    framework=("1.3.1", "1.3.2", "1.3.3", "1.3.4"),
    label="nav.evaluation",
    models="somp.modules.evaluation.models",
    depends=("tenants", "catalog", "customers", "assets", "contracts", "workorders", "invoicing", "kpis"),
    api="somp.modules.evaluation.api:router",
    cli="somp.modules.evaluation.cli:app",
    cli_name="evaluate",
    web="somp.modules.evaluation.web:router",
    nav=(
        NavItem("evaluation.nav.maturity", "/evaluation/maturity", "1", "self_assessment:read"),
        NavItem("evaluation.nav.maturity", "/evaluation/maturity", "1", "evaluation:read"),
        NavItem("evaluation.nav.programmes", "/evaluation/programmes", "1", "self_assessment:read"),
        NavItem("evaluation.nav.programmes", "/evaluation/programmes", "1", "evaluation:read"),
        NavItem("evaluation.nav.regions", "/evaluation/regions", "1", "evaluation:read"),
        NavItem("evaluation.nav.yearly", "/evaluation/yearly", "1", "self_assessment:read"),
        NavItem("evaluation.nav.yearly", "/evaluation/yearly", "1", "evaluation:read"),
    ),
)
