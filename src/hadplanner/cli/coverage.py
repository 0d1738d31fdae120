"""Coverage commands: ``coverage``, ``derogations``, ``whatif``, ``authorise-best``.

Thin wiring over :mod:`hadplanner.territory.coverage` and friends. Each command
takes ``--date`` (default: today) and ``--json``. ``coverage`` prints a
summary and writes files only when ``--out`` is given (a read-only command by
default; ``hadplanner run`` writes the same files under ``out/``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from hadplanner.cli.boundary import guarded
from hadplanner.cli.options import DateOpt, LangOpt, TerritoryOpt, resolve_day
from hadplanner.errors import InputError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
LimitOpt = Annotated[
    float, typer.Option("--limit", help="Travel-time limit for daily visits, minutes.")
]
RuleOpt = Annotated[
    str,
    typer.Option(
        "--rule",
        help="Derogation rule: 'bordering' (zones limitrophes) or 'within_limit'.",
    ),
]
TableOpt = Annotated[
    Path | None,
    typer.Option(
        "--travel-table",
        help="CSV origin_insee,dest_insee,minutes (e.g. from a routing engine); "
        "pairs it lacks use the offline model.",
    ),
]

_WORDS = {
    "fr": {
        "served": "Couverte",
        "derogation": "Dérogation",
        "convention": "Convention",
        "no_had": "Sans HAD",
        "department": "Dépt",
        "total": "Total",
        "title": "Couverture chimiothérapie en HAD, territoire {t}, au {d} "
        "(limite {l:.0f} min, règle {r})",
        "authorised": "HAD autorisées ({n}) : {ids}",
        "uncovered": "Population non couverte : {p} habitants",
        "commune": "Commune {name} ({insee}), dépt {dept}, {pop} hab. : {status}",
        "covering": "  HAD de la zone : {ids}",
        "candidates": "  Candidates :",
        "none": "  Aucune candidate",
        "cand": "    {name} [{id}] — {m:.0f} min depuis {site}{flag}",
        "over": " (au-delà de la limite)",
        "whatif": "Scénario : {name}",
        "before_after": "Population non couverte : {b} -> {a} (gain {g})",
        "transition": "  {before} -> {after} : {n} communes, {p} hab.",
        "best": "Meilleur choix pour k = {k} : {names} ({p} hab. gagnés, {st})",
        "seq": "  k = {k} : +{inc} hab. (total {p}) {ids} [{st}]",
        "proven": "optimum prouvé",
        "not_proven": "NON PROUVÉ : au plus {gap} hab. de plus possibles (borne {bound}, "
        "écart {pct} %)",
        "written": "Fichiers écrits dans {out} :",
    },
    "en": {
        "served": "Served",
        "derogation": "Derogation",
        "convention": "Convention",
        "no_had": "No HAD",
        "department": "Dept",
        "total": "Total",
        "title": "Home chemotherapy HAD coverage, territory {t}, on {d} "
        "(limit {l:.0f} min, rule {r})",
        "authorised": "Authorised HADs ({n}): {ids}",
        "uncovered": "Population not served: {p} inhabitants",
        "commune": "Commune {name} ({insee}), dept {dept}, pop. {pop}: {status}",
        "covering": "  Zone's HADs: {ids}",
        "candidates": "  Candidates:",
        "none": "  No candidate",
        "cand": "    {name} [{id}] — {m:.0f} min from {site}{flag}",
        "over": " (beyond the limit)",
        "whatif": "Scenario: {name}",
        "before_after": "Population not served: {b} -> {a} (gain {g})",
        "transition": "  {before} -> {after}: {n} communes, pop. {p}",
        "best": "Best choice for k = {k}: {names} ({p} inhabitants gained, {st})",
        "seq": "  k = {k}: +{inc} (total {p}) {ids} [{st}]",
        "proven": "proven optimal",
        "not_proven": "NOT PROVEN: at most {gap} more people possible (bound {bound}, "
        "gap {pct} %)",
        "written": "Files written under {out}:",
    },
}


MAX_LIMIT_MIN = 240
"""Longest --limit accepted: four hours one way is beyond any daily HAD visit."""


def _words(lang: str) -> dict[str, str]:
    from hadplanner.export._labels import check_lang

    return _WORDS[check_lang(lang)]


def _settings(limit: float, rule: str) -> Any:
    from hadplanner.territory.coverage import CoverageSettings, Rule

    if rule not in {r.value for r in Rule}:
        raise InputError(f"--rule must be 'bordering' or 'within_limit', got {rule!r}")
    if not math.isfinite(limit) or not 1 <= limit <= MAX_LIMIT_MIN:
        raise InputError(
            f"--limit must be between 1 and {MAX_LIMIT_MIN} minutes (a daily visit's one-way "
            f"drive), got {limit:g}")
    return CoverageSettings(limit_min=limit, rule=Rule(rule))


def _load(territory: str) -> Any:
    """The loaded territory (imported late: loading reads geometry)."""
    from hadplanner.territory.loading import load_territory

    return load_territory(territory)


def _travel(loaded: Any, table: Path | None) -> Any:
    """The travel model: the offline default, or a table with the offline model behind."""
    if table is None:
        return None
    from hadplanner.travel import OfflineTravelModel, TableTravelModel

    return TableTravelModel.for_territory(table, loaded.territory, fallback=OfflineTravelModel())


def _index(territory: str, table: Path | None = None) -> Any:
    from hadplanner.territory.coverage import TerritoryIndex

    loaded = _load(territory)
    return TerritoryIndex.from_loaded(loaded, _travel(loaded, table))


def _echo_json(data: Any) -> None:
    def default(o: Any) -> Any:
        if hasattr(o, "item"):  # numpy scalars
            return o.item()
        if isinstance(o, dt.date):
            return o.isoformat()
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=default))


def _fmt(n: int) -> str:
    return f"{int(n):,}".replace(",", " ")


def summary_text(cov: Any, lang: str = "fr", by: str = "department") -> str:
    """The terminal summary: population per status per department (or zone), with totals.

    Per zone, a commune shared by two zones counts in both, so the zone rows
    add up to more than the territory; the total line is the territory's.
    """
    from hadplanner.territory.coverage import STATUSES

    w = _words(lang)
    if by == "zone":
        table = cov.population_by_zone().drop(columns=["name", "authorised"])
        first = 22
        head = "HAD"
    else:
        table = cov.population_by_department()
        first = 6
        head = w["department"]
    cols = [w[s] for s in STATUSES] + [w["total"]]
    width = max(12, *(len(c) + 2 for c in cols))
    lines = [
        w["title"].format(
            t=cov.index.territory.name,
            d=cov.day.isoformat(),
            l=cov.settings.limit_min,
            r=cov.settings.rule.value,
        ),
        w["authorised"].format(
            n=int(cov.authorised.sum()),
            ids=", ".join(h for h, a in zip(cov.index.had_ids, cov.authorised, strict=True) if a),
        ),
        "",
        f"{head:<{first}}" + "".join(f"{c:>{width}}" for c in cols),
    ]
    for key, row in table.iterrows():
        values = [row[s] for s in STATUSES] + [row["total"]]
        lines.append(f"{key:<{first}}" + "".join(f"{_fmt(v):>{width}}" for v in values))
    pop = cov.population_by_status()
    totals = [pop[s] for s in STATUSES] + [sum(pop.values())]
    lines.append(f"{w['total']:<{first}}" + "".join(f"{_fmt(v):>{width}}" for v in totals))
    lines += ["", w["uncovered"].format(p=_fmt(cov.uncovered_population()))]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the coverage commands to ``app``."""

    @app.command("coverage")
    @guarded
    def coverage_command(
        territory: TerritoryOpt = "occitanie",
        date: DateOpt = None,
        as_json: JsonOpt = False,
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Write map, CSV, GeoJSON, GeoPackage here."),
        ] = None,
        limit: LimitOpt = 45.0,
        rule: RuleOpt = "bordering",
        lang: LangOpt = "fr",
        travel_table: TableOpt = None,
        by: Annotated[
            str, typer.Option("--by", help="Summary rows: 'department' or 'zone'.")
        ] = "department",
        csv_dialect: Annotated[str, typer.Option(
            "--csv-dialect", help="CSV files: 'excel-fr' (';', decimal comma, BOM: French "
            "Excel) or 'plain' (',', decimal point: GIS, scripts).")] = "excel-fr",
    ) -> None:
        """Coverage of every commune by an HAD authorised for chemotherapy, at a date.

        Statuses: served, derogation (a bordering authorised HAD within the
        limit), convention (none within the limit), no_had. Prints population
        per status and department; --json prints one object per commune;
        --out writes the map and tables.

        Example: hadplanner coverage --date 2018-06-01 --out out/couverture
        """
        from hadplanner.export._spreadsheet import check_dialect
        from hadplanner.export.coverage import write_coverage_outputs
        from hadplanner.territory.coverage import compute_coverage

        _words(lang)
        check_dialect(csv_dialect)
        if by not in ("department", "zone"):
            raise InputError(f"--by must be 'department' or 'zone', got {by!r}")
        day, settings = resolve_day(date, territory), _settings(limit, rule)
        loaded = _load(territory)
        from hadplanner.io.writing import Outputs
        from hadplanner.territory.coverage import TerritoryIndex

        with Outputs(inputs=[travel_table] if travel_table else []) as outputs:
            staged = outputs.folder(out, "--out") if out is not None else None
            index = TerritoryIndex.from_loaded(loaded, _travel(loaded, travel_table))
            cov = compute_coverage(index, day, settings)
            written = []
            if staged is not None:
                files = write_coverage_outputs(index, day, staged, lang, settings, coverage=cov,
                                               csv_dialect=csv_dialect)
                written = [outputs.final_of(p) for p in files]
            outputs.commit()
        if as_json:
            _echo_json(cov.records())
            return
        typer.echo(summary_text(cov, lang, by))
        if written:
            typer.echo("")
            typer.echo(_words(lang)["written"].format(out=out))
            for p in written:
                typer.echo(f"  {p}")

    @app.command("derogations")
    @guarded
    def derogations_command(
        commune: Annotated[
            str | None, typer.Option("--commune", "-c", help="INSEE code, e.g. 81065.")
        ] = None,
        lat: Annotated[float | None, typer.Option("--lat", help="Latitude (WGS84).")] = None,
        lon: Annotated[float | None, typer.Option("--lon", help="Longitude (WGS84).")] = None,
        territory: TerritoryOpt = "occitanie",
        date: DateOpt = None,
        as_json: JsonOpt = False,
        limit: LimitOpt = 45.0,
        rule: RuleOpt = "bordering",
        lang: LangOpt = "fr",
        travel_table: TableOpt = None,
    ) -> None:
        """Authorised HADs that could take a patient of a commune (or a point) by derogation.

        Example: hadplanner derogations --commune 81065 --date 2018-06-01
        """
        from hadplanner.models.territory import Point
        from hadplanner.territory.derogations import derogation_candidates

        w = _words(lang)
        day, settings = resolve_day(date, territory), _settings(limit, rule)
        if commune is None and (lat is None or lon is None):
            raise InputError("give --commune CODE, or both --lat and --lon")
        if commune is not None and (lat is not None or lon is not None):
            raise InputError("give either --commune or --lat/--lon, not both")
        if commune is not None:
            where: Any = commune
        else:
            assert lat is not None and lon is not None  # checked above
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InputError(f"not a WGS84 point: lat {lat}, lon {lon}")
            where = Point(lat=lat, lon=lon)
        ans = derogation_candidates(
            _index(territory, travel_table), where, day, settings.rule, settings.limit_min
        )
        if as_json:
            _echo_json(ans.as_dict())
            return
        typer.echo(
            w["commune"].format(
                name=ans.name,
                insee=ans.insee,
                dept=ans.department,
                pop=_fmt(ans.population),
                status=w[ans.status],
            )
        )
        typer.echo(w["covering"].format(ids=", ".join(ans.covering) or "-"))
        if not ans.candidates:
            typer.echo(w["none"])
            return
        typer.echo(w["candidates"])
        for c in ans.candidates:
            typer.echo(
                w["cand"].format(
                    name=c.name,
                    id=c.had_id,
                    m=c.minutes,
                    site=c.site,
                    flag="" if c.within_limit else w["over"],
                )
            )

    @app.command("whatif")
    @guarded
    def whatif_command(
        scenario: Annotated[
            str,
            typer.Argument(help="Scenario YAML file, or a name in the territory's scenarios/."),
        ],
        territory: TerritoryOpt = "occitanie",
        date: DateOpt = None,
        as_json: JsonOpt = False,
        limit: LimitOpt = 45.0,
        rule: RuleOpt = "bordering",
        lang: LangOpt = "fr",
        travel_table: TableOpt = None,
    ) -> None:
        """Coverage change made by a scenario (takeover, association, zone change...).

        Example: hadplanner whatif croix-rouge-pasteur --date 2018-06-01
        """
        from hadplanner.errors import ScenarioError
        from hadplanner.paths import territory_dir
        from hadplanner.territory.whatif import whatif

        w = _words(lang)
        day, settings = resolve_day(date, territory), _settings(limit, rule)
        path = Path(scenario)
        if not path.is_file():
            named = (
                territory_dir(territory) / "scenarios" / f"{scenario.removesuffix('.yaml')}.yaml"
            )
            if not named.is_file():
                raise ScenarioError(f"no scenario file {scenario!r} (nor {named})")
            path = named
        from hadplanner.territory.whatif import load_scenario

        chosen = load_scenario(path)  # checked before the territory is indexed
        result = whatif(_index(territory, travel_table), chosen, day, settings, source=str(path))
        if as_json:
            _echo_json(result.as_dict())
            return
        typer.echo(w["whatif"].format(name=result.scenario.name))
        typer.echo(
            w["before_after"].format(
                b=_fmt(result.uncovered_before),
                a=_fmt(result.uncovered_after),
                g=_fmt(result.gain),
            )
        )
        for row in result.transitions().itertuples():
            typer.echo(
                w["transition"].format(
                    before=w[row.before],
                    after=w[row.after],
                    n=row.communes,
                    p=_fmt(row.population),
                )
            )

    @app.command("authorise-best")
    @guarded
    def authorise_best_command(
        k: Annotated[int, typer.Option("--k", "-k", help="Number of HADs to choose.")] = 3,
        k_max: Annotated[
            int | None,
            typer.Option("--k-max", help="Solve k = 1..k_max for the gains (default: all)."),
        ] = None,
        time_limit: Annotated[float, typer.Option(
            "--time-limit", help="Seconds per k for the solvers; an answer not proven in time "
            "says so with its gap.")] = 10.0,
        territory: TerritoryOpt = "occitanie",
        date: DateOpt = None,
        as_json: JsonOpt = False,
        limit: LimitOpt = 45.0,
        rule: RuleOpt = "bordering",
        lang: LangOpt = "fr",
        travel_table: TableOpt = None,
    ) -> None:
        """Which unauthorised HADs to make "établissement associé" to serve the most people.

        Example: hadplanner authorise-best --k 3 --date 2018-06-01
        """
        from hadplanner.territory.best_authorisations import best_authorisations
        from hadplanner.territory.coverage import compute_coverage

        w = _words(lang)
        day, settings = resolve_day(date, territory), _settings(limit, rule)
        cov = compute_coverage(_index(territory, travel_table), day, settings)
        candidates = int((~cov.authorised & cov.index.membership.any(axis=0)).sum())
        if candidates == 0:
            raise InputError(f"every HAD with a zone is authorised on {day}: nothing to choose")
        if not 1 <= k <= candidates:
            raise InputError(
                f"--k must be between 1 and {candidates} (the HADs with a zone not authorised "
                f"on {day}), got {k}")
        if k_max is not None and not k <= k_max <= candidates:
            raise InputError(
                f"--k-max must be between --k ({k}) and {candidates} (the HADs not authorised "
                f"on {day}), got {k_max}")
        if not math.isfinite(time_limit) or not 0.1 <= time_limit <= 3600:
            raise InputError(f"--time-limit must be between 0.1 and 3600 s, got {time_limit:g}")
        res = best_authorisations(cov, k, k_max, time_limit_s=time_limit)
        if as_json:
            _echo_json(res.as_dict())
            return
        def proof(step) -> str:
            if step.proven:
                return w["proven"]
            return w["not_proven"].format(
                gap=_fmt(step.gap), bound=_fmt(step.bound), pct=f"{step.gap_pct:.2f}"
            )

        b = res.best
        typer.echo(
            w["best"].format(
                k=b.k, names=", ".join(b.names) or "-", p=_fmt(b.population_gained), st=proof(b)
            )
        )
        for s in res.sequence:
            typer.echo(
                w["seq"].format(
                    k=s.k,
                    inc=_fmt(s.increment),
                    p=_fmt(s.population_gained),
                    ids=", ".join(s.had_ids),
                    st=proof(s),
                )
            )
