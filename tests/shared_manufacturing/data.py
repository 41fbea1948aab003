"""Where the tests find the Brandimarte FJSP files (../shared/data/fjsp, see its README)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _fjsp_dir() -> Path:
    """$SOMP_SHARED_DATA/fjsp/brandimarte, else ../shared/data/fjsp/brandimarte next to the checkout
    (or next to the workspace that holds a CI clone)."""
    env = os.environ.get("SOMP_SHARED_DATA")
    candidates = [Path(env) / "fjsp" / "brandimarte"] if env else []
    candidates += [p / "shared" / "data" / "fjsp" / "brandimarte" for p in Path(__file__).resolve().parents[2:]]
    candidates.append(Path("/work/shared/data/fjsp/brandimarte"))
    return next((c for c in candidates if (c / "mk01.txt").is_file()), candidates[0])


BRANDIMARTE = _fjsp_dir()
needs_brandimarte = pytest.mark.skipif(
    not (BRANDIMARTE / "mk01.txt").is_file(), reason=f"Brandimarte FJSP files not found in {BRANDIMARTE}"
)
