"""``hadplanner territory show|map``: the territory's HADs, authorisations and zones.

Thin wiring over :mod:`hadplanner.territory` (loading, importing, summary) and
:mod:`hadplanner.export.territory_map`. ``--zones`` and ``--hads`` load a
user's official files (ARS zones as CSV or polygons, HADs as CSV or YAML) over
the embedded communes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hadplanner.cli.boundary import guarded
from hadplanner.cli.options import DateOpt, LangOpt, resolve_day

NameArg = Annotated[
    str, typer.Argument(help="Territory name (under territories/) or folder.")
]
ZonesOpt = Annotated[
    Path | None,
    typer.Option(
        "--zones",
        help="Official zones: CSV 'had_id,insee', or polygons (GeoJSON, GeoPackage) "
        "with a had_id attribute.",
    ),
]
HadsOpt = Annotated[
    Path | None, typer.Option("--hads", help="Official HAD list: YAML (hads.yaml format) or CSV.")
]
ShareOpt = Annotated[
    float,
    typer.Option(
        "--min-share",
        help="With polygon zones: share of a commune's area that must lie inside (0-1].",
    ),
]
RepairOpt = Annotated[
    bool,
    typer.Option("--repair-zones", help="Repair invalid zone polygons instead of refusing them."),
]


def _lang(lang: str) -> str:
    from hadplanner.export._labels import check_lang

    return check_lang(lang)


def _check_polygon_options(zones: Path | None, min_share: float, repair: bool) -> None:
    """--min-share and --repair-zones only mean something with polygon zones: never ignored."""
    import math

    from hadplanner.errors import InputError
    from hadplanner.territory.importing import POLYGON_SUFFIXES

    if not math.isfinite(min_share) or not 0 < min_share <= 1:
        raise InputError(f"--min-share must be in (0, 1] (a share of a commune's area), "
                         f"got {min_share:g}")
    polygons = zones is not None and zones.suffix.lower() in POLYGON_SUFFIXES
    if not polygons and (min_share != 0.5 or repair):
        option = "--repair-zones" if repair else "--min-share"
        raise InputError(f"{option} applies to zone polygons (--zones FILE.geojson/.gpkg...), "
                         "not to a zones CSV or the territory's own zones")


def _load(name: str, zones: Path | None, hads: Path | None, min_share: float, repair: bool):
    from hadplanner.territory.importing import with_overrides
    from hadplanner.territory.loading import load_territory

    _check_polygon_options(zones, min_share, repair)
    return with_overrides(
        load_territory(name), zones=zones, hads=hads, min_share=min_share, repair=repair
    )


territory_app = typer.Typer(
    name="territory",
    help="The territory: HAD establishments, chemotherapy authorisations, zones.",
    no_args_is_help=True,
)


@territory_app.command("show")
@guarded
def show(
    name: NameArg = "occitanie",
    date: DateOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    lang: LangOpt = "fr",
    zones: ZonesOpt = None,
    hads: HadsOpt = None,
    min_share: ShareOpt = 0.5,
    repair_zones: RepairOpt = False,
) -> None:
    """Summary table: per HAD its main site, authorisation on --date, zone size; shared areas.

    Example: hadplanner territory show occitanie --date 2018-06-01
    """
    from hadplanner.territory.summary import render_text, summarise

    lang = _lang(lang)
    day = resolve_day(date, name)
    summary = summarise(_load(name, zones, hads, min_share, repair_zones), day)
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
    else:
        typer.echo(render_text(summary, lang), nl=False)


@territory_app.command("map")
@guarded
def map_(
    name: NameArg = "occitanie",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    date: DateOpt = None,
    lang: LangOpt = "fr",
    zones: ZonesOpt = None,
    hads: HadsOpt = None,
    min_share: ShareOpt = 0.5,
    repair_zones: RepairOpt = False,
) -> None:
    """Write out/territoire_<name>.html: zones (one layer per HAD), sites, legend.

    Example: hadplanner territory map occitanie --out out/territoire
    """
    from hadplanner.export.territory_map import write_territory_map
    from hadplanner.io.writing import Outputs

    lang = _lang(lang)
    day = resolve_day(date, name)
    with Outputs(inputs=[p for p in (zones, hads) if p is not None]) as outputs:
        staged = outputs.folder(out, "--out")
        loaded = _load(name, zones, hads, min_share, repair_zones)
        path = outputs.final_of(write_territory_map(loaded, staged, day=day, lang=lang))
        outputs.commit()
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add the ``territory`` sub-commands to ``app``."""
    app.add_typer(territory_app, name="territory")
