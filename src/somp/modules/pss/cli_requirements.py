"""``somp pss kano FILE`` and ``somp pss qfd FILE`` (framework node 2.1.1): the Kano analysis of an
answer table (CSV or Excel) and the priorities of a house of quality (YAML or JSON), computed from
the file alone (no database) and printed as JSON. A file with problems prints every problem (with
its row) and exits 1. Formats: :mod:`somp.modules.pss.requirements_io`, docs/pss.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from somp.cli import err, fail


def _refuse(problems: list[Any]) -> typer.Exit:
    for p in problems:
        where = f"row {p.row}, " if p.row is not None else ""
        err.print(f"  {where}{p.field}: {p.message}", markup=False, highlight=False)
    return fail(f"{len(problems)} problem(s); nothing computed")


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def kano_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="answer table .csv or .xlsx: respondent, requirement, functional, dysfunctional",
            exists=True,
            dir_okay=False,
        ),
    ],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or xlsx (default: from the extension)")] = None,
) -> None:
    """Kano category, strength, Fong's significance and Better/Worse per requirement, as JSON."""
    from somp.modules.pss import kano
    from somp.modules.pss.requirements_io import TableInvalid, kano_dict, read_answers

    suffix = file.suffix.lower()
    fmt = fmt or ("xlsx" if suffix in (".xlsx", ".xlsm") else "csv" if suffix in (".csv", ".txt") else None)
    if fmt is None:
        raise fail(f"cannot tell the format of {file.name}; give --format csv or xlsx")
    try:
        rows = read_answers(file.read_bytes(), fmt)
    except TableInvalid as e:
        raise _refuse(e.problems) from None
    results = kano.analyse((r.respondent, r.requirement, r.functional, r.dysfunctional) for r in rows)
    _print(
        {
            "respondents": len({r.respondent for r in rows}),
            "requirements": {k: kano_dict(v) for k, v in results.items()},
        }
    )


def qfd_command(
    file: Annotated[Path, typer.Argument(help="house of quality .yaml or .json", exists=True, dir_okay=False)],
) -> None:
    """Technical priorities (absolute, relative %, rank) and the roof's trade-offs, as JSON."""
    import yaml

    from somp.modules.pss import qfd
    from somp.modules.pss.requirements_io import TableInvalid, house_from_document, priorities_dict

    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))  # YAML is a superset of JSON
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise fail(f"{file.name} is not readable YAML/JSON: {e}") from None
    try:
        house = house_from_document(doc)
    except TableInvalid as e:
        raise _refuse(e.problems) from None
    _print(priorities_dict(house, qfd.prioritise(house)))


def register(app: typer.Typer) -> None:
    app.command("kano")(kano_command)
    app.command("qfd")(qfd_command)
