"""The dependency rules of docs/architecture.md, checked on the import statements, and lint."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "somp"
PURE_ENGINES = [
    "modules/assets/lifecycle.py",
    "modules/kpis/brand.py",
    "core/cn_codes.py",
    "modules/lifecycle/alarm_rules.py",
    "modules/lifecycle/anomaly.py",
    "modules/lifecycle/rul.py",
    "modules/lifecycle/rul_data.py",
    "modules/lifecycle/rul_features.py",
    "modules/telemetry/chunks.py",
    "modules/telemetry/payloads.py",
    "modules/evaluation/mcda.py",
    "modules/evaluation/input_output.py",
    "modules/evaluation/io_tables.py",
    "modules/evaluation/indicators.py",
    "modules/evaluation/batch_scoring.py",
    "modules/evaluation/carbon.py",
    "modules/evaluation/regional.py",
    "modules/evaluation/system_excel.py",
    "modules/evaluation/recognition.py",
    "modules/evaluation/enterprise_io.py",
    "modules/evaluation/sustainability.py",
    "modules/evaluation/statement_feed.py",
    "modules/evaluation/yearly_carbon_form.py",
    "modules/customization/offering.py",
    "modules/customization/configurator.py",
    "modules/customization/document.py",
    "modules/pss/kano.py",
    "modules/pss/qfd.py",
    "modules/pss/pricing.py",
    "modules/pss/blueprint.py",
    "modules/pss/delivery_kpis.py",
    "modules/aftersales/sla_timer.py",
    "modules/pss/sla_attainment.py",
    "modules/pss/requirements_io.py",
    "modules/aftersales/satisfaction.py",
    "modules/shared_manufacturing/problem.py",
    "modules/shared_manufacturing/instances.py",
    "modules/shared_manufacturing/dispatching.py",
    "modules/shared_manufacturing/cpsat.py",
    "modules/shared_manufacturing/lns.py",
    "modules/shared_manufacturing/scheduling.py",
    "modules/shared_manufacturing/matching.py",
    "modules/shared_manufacturing/demand.py",
    "modules/shared_manufacturing/reschedule.py",
]
FRAMEWORKS = ("sqlalchemy", "fastapi", "starlette", "typer", "jinja2")


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("engine", PURE_ENGINES)
def test_pure_engines_import_no_framework(engine):
    bad = {n for n in imports_of(SRC / engine) if n.split(".")[0] in FRAMEWORKS}
    assert not bad, f"{engine} imports {bad}"


def test_core_does_not_import_modules_or_entrypoints():
    for path in (SRC / "core").rglob("*.py"):
        bad = {n for n in imports_of(path) if n.startswith(("somp.modules", "somp.api", "somp.web", "somp.cli"))}
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_services_and_models_do_not_import_http_or_pages():
    for path in (SRC / "modules").rglob("*.py"):
        if path.name in ("api.py", "web.py", "__init__.py") or path.name.startswith(("api_", "web_")):
            continue  # entry points (a module may split its routes: api_<entity>.py, web_<entity>.py)
        bad = {n for n in imports_of(path) if n.split(".")[0] in ("fastapi", "starlette") or n.startswith("somp.web")}
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it is in the test extras)")
    root = SRC.parents[1]
    r = subprocess.run([ruff, "check", "src", "tests"], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:]


def test_business_modules_import_only_core_and_kernel_modules():
    """DESIGN.md: business modules do not import each other; they react to domain events."""
    from somp.core.modules import installed_modules

    kernel = {m.name for m in installed_modules() if m.kernel}
    business = {m.name for m in installed_modules() if not m.kernel}
    for name in business:
        for path in (SRC / "modules" / name).rglob("*.py"):
            for n in imports_of(path):
                parts = n.split(".")
                if n.startswith("somp.modules.") and len(parts) > 2:
                    other = parts[2]
                    assert other == name or other in kernel, f"{path.relative_to(SRC)} imports business module {n}"
