"""After-sales management (framework node 2.1.6 售后管理) and customer participation (1.2.1 客户管理):
tickets with SLA timers on working calendars (:mod:`.sla_timer`), escalation, service recovery,
quality supervision reports, participation events, NPS/CSAT surveys, the repurchase rate and the
customer portal."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="aftersales",
    framework=("2.1.6", "1.2.1"),
    label="nav.aftersales",
    depends=("customers", "assets", "contracts", "workorders", "invoicing"),
    models="somp.modules.aftersales.models",
    api="somp.modules.aftersales.api:router",
    web="somp.modules.aftersales.web:router",
    cli="somp.modules.aftersales.cli:app",
    subscriptions="somp.modules.aftersales.reactions:subscribe",
    periodic="somp.modules.aftersales.reactions:tick",
    # offered to other modules through core ports (somp.core.calendars, somp.core.sla_ports)
    extra={
        "calendars": "somp.modules.aftersales.sla_ports:CALENDARS",
        "ticket_clocks": "somp.modules.aftersales.sla_ports:TicketClockAnswer",
    },
    nav=(
        NavItem("nav.tickets", "/tickets", "2", "tickets:read"),
        NavItem("nav.aftersales_quality", "/aftersales/quality", "2", "aftersales:read"),
        NavItem("nav.satisfaction", "/aftersales/satisfaction", "1", "aftersales:read"),
        NavItem("nav.surveys", "/surveys", "1", "aftersales:read"),
        NavItem("nav.participation", "/participation", "1", "aftersales:read"),
        NavItem("nav.portal", "/portal", "2", "portal:read"),
    ),
)
