"""`hadplanner run`: the main job on the embedded territory and the example patients.

It grows with each capability; today it writes, under ``--out``:

1. ``territoire/``: the territory summary (text, JSON) and its map of zones and sites;
2. ``couverture/``: the ARS view: coverage of every commune at ``--date``
   (map, CSV, GeoJSON/GeoPackage, summary);
3. ``plans/``: each example patient's checked bag-change plan (table, JSON
   contract, iCalendar, timeline);
4. ``parcours/``: each example patient's care pathway (who cares for them at home,
   the plan for that care, recourse, what to arrange, the request to the ARS):
   printable HTML and JSON;
5. ``pharmacie/``: the PUI's joint production plan of those patients (``hadplanner
   pharmacy``: every cycle, capacity and shared vials; sheets per production day in
   CSV, XLSX and printable HTML, the comparison with the single-patient plans and the
   practice, the JSON).

Every plan is checked before anything of it is written; one example that
cannot be planned safely stops the run with its one-line error (exit 2).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from hadplanner.cli.boundary import guarded
from hadplanner.cli.options import DateOpt, resolve_day


def _step(n: int, total: int, label: str) -> float:
    typer.echo(f"[{n}/{total}] {label}...", err=True)
    return time.perf_counter()


def _done(t0: float, paths: list[Path], out: Path) -> None:
    shown = ", ".join(str(p.relative_to(out)) for p in paths[:4])
    more = f" (+{len(paths) - 4})" if len(paths) > 4 else ""
    typer.echo(f"      {time.perf_counter() - t0:.1f} s: {shown}{more}", err=True)


def register(app: typer.Typer) -> None:
    """Add the `run` command to `app`."""

    @app.command("run")
    @guarded
    def run_command(
        out: Annotated[Path, typer.Option(help="Folder for every output.")] = Path("out"),
        territory: Annotated[str, typer.Option(help="Territory name or folder.")] = "occitanie",
        date: DateOpt = None,
        lang: Annotated[str, typer.Option(help="Language of the outputs: fr or en.")] = "fr",
        csv_dialect: Annotated[str, typer.Option(
            "--csv-dialect", help="CSV files: 'excel-fr' (';', decimal comma, BOM: French "
            "Excel) or 'plain' (',', decimal point: GIS, scripts).")] = "excel-fr",
    ) -> None:
        """Run the main job: territory, coverage, example patients' plans, PUI production plan.

        Example: hadplanner run --out out --lang fr
        """
        from hadplanner.cli.pathway import pathway_examples
        from hadplanner.cli.pharmacy import pharmacy_examples
        from hadplanner.cli.plan import plan_examples
        from hadplanner.export._labels import check_lang
        from hadplanner.export._spreadsheet import check_dialect
        from hadplanner.export.coverage import write_coverage_outputs
        from hadplanner.io.writing import Outputs
        from hadplanner.territory.loading import load_territory
        from hadplanner.territory.summary import write_territory_report

        check_lang(lang)
        check_dialect(csv_dialect)
        day = resolve_day(date, territory)
        total = 5
        final = out
        with Outputs() as outputs:
            # Everything is written into a staged copy of --out, moved into place at the end:
            # a failure or an interruption leaves no partial tree.
            out = outputs.folder(final, "--out")

            t0 = _step(1, total, "territoire" if lang == "fr" else "territory")
            loaded = load_territory(territory)
            paths = write_territory_report(out / "territoire", territory, day, lang)
            _done(t0, paths, out)

            t0 = _step(2, total, f"couverture au {day}" if lang == "fr" else f"coverage on {day}")
            paths = write_coverage_outputs(loaded, day, out / "couverture", lang,
                                           csv_dialect=csv_dialect)
            _done(t0, paths, out)

            t0 = _step(3, total, "plans des patients exemples" if lang == "fr"
                       else "example plans")
            (out / "plans").mkdir(parents=True, exist_ok=True)
            plans = plan_examples(out / "plans", lang, territory)
            _done(t0, sorted((out / "plans").iterdir()), out)

            t0 = _step(4, total, "parcours de soins des patients exemples" if lang == "fr"
                       else "example care pathways")
            folder = out / ("parcours" if lang == "fr" else "pathways")
            paths = pathway_examples(folder, lang, territory, day, loaded)
            _done(t0, paths, out)

            t0 = _step(5, total, "plan de production PUI, tous patients" if lang == "fr"
                       else "PUI production plan, every patient")
            joint, paths = pharmacy_examples(out / "pharmacie", lang, territory, csv_dialect)
            _done(t0, paths, out)
            outputs.commit()
        out = final

        bags = sum(p.totals.bags for p in plans)
        j, one = joint.comparison.joint, joint.comparison.single
        if lang == "fr":
            typer.echo(
                f"{len(plans)} patients planifiés ({bags} poches, toutes vérifiées) ; plan "
                f"commun de la PUI : {j.vials} flacons en lots partagés (plans patient par "
                f"patient : {one.vials_per_bag} sans partage, {one.vials} avec). "
                f"Résultats dans {out}/"
            )
        else:
            typer.echo(
                f"{len(plans)} patients planned ({bags} bags, all checked); the PUI's joint "
                f"plan: {j.vials} vials in shared lots (single-patient plans: "
                f"{one.vials_per_bag} without sharing, {one.vials} with). Outputs in {out}/"
            )
