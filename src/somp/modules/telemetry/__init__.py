"""Telemetry: the product-service database of readings (framework node 2.2.1): ingest over HTTP,
MQTT, files and OPC UA; append-only storage per series and hour with hourly roll-ups; bucketed queries."""

from somp.core.modules import ModuleManifest

MANIFEST = ModuleManifest(
    name="telemetry",
    framework=("2.2.1",),
    # A kernel module: the product-service database every business module reads (monitoring,
    # pay-per-use metering, energy services); they import its read functions and its events.
    kernel=True,
    label="nav.telemetry",
    depends=("assets",),
    models="somp.modules.telemetry.models",
    api="somp.modules.telemetry.api:router",
    cli="somp.modules.telemetry.cli:app",
    cli_name="ingest",
    periodic="somp.modules.telemetry.service:compact_tick",
    # answers "usage per asset, metric and period" for billing (somp.core.metering)
    extra={"meter": "somp.modules.telemetry.metering:HourlyRollupMeter"},
)
