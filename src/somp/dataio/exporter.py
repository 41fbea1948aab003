"""Export one entity of one tenant to CSV or Excel, in exactly the columns the import reads."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from somp.core.database import Database
from somp.core.errors import NotFound
from somp.core.identity import Tenant
from somp.core.tenancy import Scope
from somp.dataio.spec import Condition, EntitySpec, NoProgress, Progress
from somp.dataio.tabular import format_of, write_table

Labels = Literal["en", "zh"]


@dataclass(frozen=True)
class ExportResult:
    entity: str
    rows: int
    path: Path


def header(entity: EntitySpec, labels: Labels = "en") -> list[str]:
    return [c.zh if labels == "zh" else c.name for c in entity.columns]


def export_file(
    db: Database,
    entity: EntitySpec,
    path: Path,
    *,
    tenant_id: int,
    fmt: str | None = None,
    where: Sequence[Condition] = (),
    labels: Labels = "en",
    bom: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the tenant's ``entity`` rows matching ``where`` to ``path`` (replaced only when the
    export succeeded)."""
    form = format_of(path, fmt)
    progress = progress or NoProgress()
    part = path.with_name(f".{path.name}.part")
    with db.session(Scope.tenant(tenant_id)) as session:
        if session.get(Tenant, tenant_id) is None:
            raise NotFound(f"tenant {tenant_id} not found")
        rows = entity.export(session, where)
        progress.start("export", None)

        def values() -> Iterator[list[Any]]:
            for row in rows:
                progress.advance("export")
                yield [row.get(c.name) for c in entity.columns]

        try:
            n = write_table(part, form, header(entity, labels), values(), sheet=entity.name, bom=bom)
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
    return ExportResult(entity.name, n, path)
