"""Shared manufacturing (framework node 3.4, 共享制造): capacity marketplace across factories and
its scheduling engine (flexible job shop with calendars, transport between sites, setups, release
and due dates; OR-Tools CP-SAT with a dispatching warm start and large-neighbourhood search)."""

from somp.core.modules import ModuleManifest

MANIFEST = ModuleManifest(
    name="shared_manufacturing",
    framework=("3.4",),
    label="nav.shared_manufacturing",
    cli="somp.modules.shared_manufacturing.cli:app",
    cli_name="shared-mfg",
)
