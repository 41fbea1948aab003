"""``somp customization ...``: configuration models and configuration queries from files."""

from __future__ import annotations

import typer

app = typer.Typer(help="customised services (3.2): configuration models and C2M", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """Customised services and C2M (3.2, 2.1.2): configuration models, configuration queries."""
