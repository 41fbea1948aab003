"""Shared manufacturing (framework node 3.4, 共享制造): capacity marketplace across factories and
its scheduling engine (flexible job shop with calendars, transport between sites, setups, release
and due dates; OR-Tools CP-SAT with a dispatching warm start and large-neighbourhood search).

Pure engines: :mod:`.problem`, :mod:`.instances`, :mod:`.dispatching`, :mod:`.cpsat`, :mod:`.lns`,
:mod:`.scheduling` (the scheduler), :mod:`.matching` (capabilities, calendars, transport, prices,
the reschedule diff) and :mod:`.demand` (demand against capacity). The marketplace:
:mod:`.models`, :mod:`.service` (one participant's view), :mod:`.marketplace` (the broker across
tenants), :mod:`.api`, :mod:`.web`, :mod:`.cli`. docs/shared_manufacturing.md describes them."""

from somp.core.modules import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="shared_manufacturing",
    framework=("3.4",),
    label="nav.shared_manufacturing",
    depends=("tenants",),
    models="somp.modules.shared_manufacturing.models",
    api="somp.modules.shared_manufacturing.api:router",
    web="somp.modules.shared_manufacturing.web:router",
    cli="somp.modules.shared_manufacturing.cli:app",
    cli_name="shared-mfg",
    demo="somp.modules.shared_manufacturing.demo:load",
    nav=(
        NavItem("nav.shared_manufacturing", "/shared-mfg", "3", "shared_mfg:read"),
        NavItem("mfg.nav.demand", "/shared-mfg/demand", "3", "shared_mfg:analyse"),
    ),
)
