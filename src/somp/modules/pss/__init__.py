"""Product-service systems (framework nodes 2.1.1 requirements engineering, 2.1.2 product-service
combination design and pricing): the price plan and SLA terms of each contract, billing runs that
turn fees, metered usage and SLA attainment into invoices and credit notes, and the sell-vs-serve
lifecycle comparison; requirements engineering (requirements with their history, Kano
questionnaires, houses of quality per offering: :mod:`.requirements`).

Pure engines (no database or web framework): :mod:`.kano`, :mod:`.qfd`, :mod:`.blueprint`,
:mod:`.pricing` (price models -> invoice lines, NPV / LCC / IRR) and :mod:`.sla_attainment`
(availability and SLA clocks). :mod:`.billing` runs a period for a tenant; :mod:`.sla_records`
stores the SLA attainment per contract and month (API :mod:`.api_sla`, pages :mod:`.web_sla`) and
answers the evaluation through :mod:`somp.core.sla_ports`; metered usage comes
through :mod:`somp.core.metering` (answered by the telemetry module), never by importing it.
docs/pss.md describes them.
"""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="pss",
    framework=("2.1.1", "2.1.2", "2.1.5"),
    label="nav.pss",
    depends=("catalog", "customers", "assets", "contracts", "workorders", "invoicing"),
    models="somp.modules.pss.models",
    api="somp.modules.pss.api:router",
    web="somp.modules.pss.web:router",
    cli="somp.modules.pss.cli:app",
    cli_name="pss",
    demo="somp.modules.pss.demo_design:load",
    subscriptions="somp.modules.pss.reactions:subscribe",  # requirements stated in tickets (2.1.1)
    periodic="somp.modules.pss.sla_records:tick",  # SLA attainment: the running month hourly, the last one final
    extra={"sla_attainment": "somp.modules.pss.sla_records:StoredAttainment"},  # core port somp.core.sla_ports
    nav=(
        NavItem("pss.nav.billing", "/pss/billing", "2", "pss:read"),
        NavItem("pss.nav.sell_vs_serve", "/pss/sell-vs-serve", "2", "pss:read"),
        NavItem("pss.nav.requirements", "/pss/requirements", "2", "pss:read"),
        NavItem("pss.nav.blueprints", "/pss/blueprints", "2", "pss:read"),
        NavItem("pss.nav.delivery", "/pss/delivery", "2", "pss:read"),
        NavItem("pss.nav.delivery_kpis", "/pss/delivery-kpis", "2", "pss:read"),
        NavItem("sla.nav.attainment", "/pss/sla", "2", "pss:read"),
        NavItem("pss.nav.portal_delivery", "/portal/delivery", "2", "delivery:read"),  # a customer's own
    ),
)
