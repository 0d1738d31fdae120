"""Options shared by several commands, defined once: territory, date, language.

``--date`` defaults the same way in every command: to the territory's
``reference_date`` (``territory.yaml``: the day its data describe; 2018-06-01
for the embedded Occitanie, the thesis's period), or to today for a territory
that does not declare one. Asking about another day is a choice made with
``--date``, never an accident of the clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

TerritoryOpt = Annotated[
    str, typer.Option("--territory", "-t", help="Territory name (under territories/) or folder.")
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date", "-d",
        help="Day of the authorisations, YYYY-MM-DD (default: the territory's reference "
        "date, 2018-06-01 for occitanie; today if it declares none).",
    ),
]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of the outputs: fr or en.")]


def resolve_day(text: str | None, territory: str) -> dt.date:
    """The day of ``--date``, or the territory's default day."""
    from hadplanner.territory.importing import parse_day
    from hadplanner.territory.loading import reference_day

    return reference_day(territory) if text is None else parse_day(text, "--date")
