"""``hadplanner pathway REQUEST``: who cares for the patient at home, and the file that follows.

Thin wiring over :func:`hadplanner.pathway.coordinator.build_pathway` and
:mod:`hadplanner.export.pathway_file`: the coordinator's file printed as text
summary (or JSON), written as printable HTML and JSON with ``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hadplanner.cli.boundary import guarded
from hadplanner.cli.options import DateOpt, LangOpt, TerritoryOpt, resolve_day


def pathway_files(out: Path, pathway, lang: str) -> list[Path]:  # type: ignore[no-untyped-def]
    """Write ``<patient>-parcours.html`` and ``.json`` into the (staged) folder ``out``."""
    from hadplanner.export.pathway_file import pathway_html, pathway_json
    from hadplanner.io.writing import safe_name

    out.mkdir(parents=True, exist_ok=True)
    stem = f"{safe_name(pathway.patient_id)}-{'parcours' if lang == 'fr' else 'pathway'}"
    html = out / f"{stem}.html"
    html.write_text(pathway_html(pathway, lang), encoding="utf-8")
    js = out / f"{stem}.json"
    js.write_text(pathway_json(pathway), encoding="utf-8")
    return [html, js]


def pathway_examples(out: Path, lang: str, territory: str, day, loaded) -> list[Path]:  # type: ignore[no-untyped-def]
    """The care pathway of every shipped example request, into the (staged) folder ``out``."""
    from hadplanner.models.request import load_request
    from hadplanner.paths import examples_dir
    from hadplanner.pathway.coordinator import build_pathway
    from hadplanner.territory.coverage import TerritoryIndex

    index = TerritoryIndex.from_loaded(loaded)
    paths: list[Path] = []
    for path in sorted(examples_dir().glob("*.yaml")):
        request = load_request(path)
        if request.patient.home is None:
            continue
        pathway = build_pathway(request, territory, decided_on=day, index=index)
        paths += pathway_files(out, pathway, lang)
    return paths


def summary_lines(pathway, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """A few lines for the terminal: who cares, recourse, training, plan totals."""
    from hadplanner.export import _labels as L

    w = L.PATHWAY_LABELS[lang]
    c = pathway.choice
    chosen = c.chosen
    had_name = pathway.had.name if pathway.had is not None else ""
    minutes = L.number(chosen.minutes, 0, lang) if chosen is not None and chosen.minutes else \
        L.number(c.day_hospital_minutes, 0, lang)
    lines = [w["title"].format(patient=pathway.patient_id, drug=pathway.drug)]
    if c.insee:
        lines.append(w["commune"].format(commune=c.commune, insee=c.insee, dept=c.department))
    lines.append(w["access"].format(status=w["access_names"][c.access_status.value]))
    lines.append(w["status"][c.status.value].format(had=had_name, minutes=minutes,
                                                      limit=L.number(c.limit_min, 0, lang)))
    h = pathway.recourse.hospital
    lines.append(w["first"].format(name=h.name, town=h.town,
                                   km=L.number(pathway.recourse.km, 0, lang),
                                   minutes=L.number(pathway.recourse.minutes, 0, lang)))
    if pathway.readiness is not None:
        r = pathway.readiness
        lines.append(w["training"][r.training].format(
            n=r.patients_treated, last=L.date(r.last_patient, lang) if r.last_patient else ""))
    t = pathway.plan.totals
    lines.append(("Plan : {b} poches, {v} flacons, vérifié." if lang == "fr"
                  else "Plan: {b} bags, {v} vials, checked.").format(b=t.bags, v=t.vials))
    lines += [f"{'Remarque' if lang == 'fr' else 'Note'} : {n}" for n in pathway.notes]
    return lines


def register(app: typer.Typer) -> None:
    """Add the ``pathway`` command to ``app``."""

    @app.command("pathway")
    @guarded
    def pathway_command(
        request_file: Annotated[Path, typer.Argument(
            metavar="REQUEST", help="Request file (YAML or JSON) with the patient's home and "
            "access_status (amm, trial, atu, aap, cpc, continuity; default amm).")],
        json_out: Annotated[bool, typer.Option("--json", help="Print the file as JSON.")] = False,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Folder for <patient>-parcours.html (printable, A4) and .json.")]
        = None,
        date: DateOpt = None,
        territory: TerritoryOpt = "occitanie",
        hospitals: Annotated[Path | None, typer.Option(
            "--hospitals", help="Hospital list (YAML, hospitals.yaml format) instead of the "
            "territory's.")] = None,
        lang: LangOpt = "fr",
    ) -> None:
        """Who can care for the patient at home, the plan for that care, and what to arrange.

        Checks the access rule of the drug's status, the HADs of the home's zone and
        their authorisations over the treatment, derogation candidates and the day
        hospital; plans the bag changes for the chosen care; names the first-recourse
        hospital; drafts the request to the ARS when a derogation is needed.

        Example: hadplanner pathway examples/P007-lautrec-derogation.yaml --out out/parcours
        """
        from hadplanner.export import _labels
        from hadplanner.export.pathway_file import pathway_json
        from hadplanner.io.writing import Outputs
        from hadplanner.models.request import load_request
        from hadplanner.pathway.coordinator import build_pathway
        from hadplanner.pathway.hospitals import read_hospitals
        from hadplanner.territory.loading import load_territory

        _labels.check_lang(lang)
        day = resolve_day(date, territory)
        inputs = [request_file] + ([hospitals] if hospitals else [])
        with Outputs(inputs=inputs) as outputs:
            staged = outputs.folder(out, "--out") if out is not None else None
            request = load_request(request_file)
            known = set(load_territory(territory).territory.communes)
            hosp = read_hospitals(hospitals, known_insee=known) if hospitals else None
            pathway = build_pathway(request, territory, decided_on=day, hospitals=hosp)
            if staged is not None:
                pathway_files(staged, pathway, lang)
            outputs.commit()
        if json_out:
            typer.echo(pathway_json(pathway), nl=False)
        else:
            typer.echo("\n".join(summary_lines(pathway, lang)))
