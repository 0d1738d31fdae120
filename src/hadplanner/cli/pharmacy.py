"""``hadplanner pharmacy [PATIENTS_DIR]``: the PUI's joint production plan of every patient.

Thin wiring over :mod:`hadplanner.pharmacy`: read the request files (and the
PUI's ``pharmacie.yaml``), settle each patient's care (the pathway: HAD,
visit hours, road), plan every patient at once over the horizon (capacities,
shared vials), check every plan, and write the sheets and the comparison
under ``--out``, all or nothing. While the solver runs, stderr shows each
better plan and bound (a CP-SAT solution callback); stdout gets the summary,
or with ``--json`` the whole plan: each patient's plan in the spec's
contract, the sessions (day, slots, bags, lots, vials opened), the lots,
the comparison and the solver's report. That JSON, given back with
``--previous`` and ``--now``, makes the plan again without moving what is
frozen (the past and the next ``freeze_h`` hours).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from hadplanner.cli.boundary import guarded
from hadplanner.cli.options import LangOpt, TerritoryOpt


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def default_start(cases: list[Any]) -> dt.date:
    """The Monday of the week of the earliest cycle start among the patients."""
    from hadplanner.models.request import PARIS

    return _monday(min(c.start.astimezone(PARIS).date() for case in cases
                       for c in case.request.cycles))


def weeks_to_cover(cases: list[Any], start: dt.date) -> int:
    """Weeks from ``start`` to the end of the last cycle of the patients."""
    cycle_days = max(case.request.settings.cycle_days for case in cases)
    last = max(c.start.date() for case in cases for c in case.request.cycles) + \
        dt.timedelta(days=cycle_days + 1)
    return max(1, math.ceil((last - start).days / 7))


class _Progress:
    """Stages and the solver's better plans and bounds, one line each on stderr."""

    def __init__(self, lang: str, quiet: bool = False) -> None:
        self.lang = lang
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.best: float | None = None
        self.bound: float | None = None
        self._last_bound_line = 0.0

    def __call__(self, stage: str, p: Any) -> None:
        if self.quiet:
            return
        fr = self.lang == "fr"
        if p is None:
            names = {"candidates": ("plans candidats de chaque cure", "candidate plans of "
                                    "each cycle"),
                     "solve": ("planification commune (CP-SAT)", "joint planning (CP-SAT)"),
                     "cut": ("un créneau trop chargé : nouvelle résolution",
                             "an overfull slot: solving again"),
                     "check": ("vérification de chaque plan", "checking every plan")}
            label = names.get(stage, (stage, stage))[0 if fr else 1]
            typer.echo(f"[{time.perf_counter() - self.t0:5.1f} s] {label}...", err=True)
            return
        if p.objective is not None:
            self.best = p.objective
            if p.bound is not None:
                self.bound = max(p.bound, self.bound or p.bound)
        else:
            if p.bound is None or (self.bound is not None and p.bound <= self.bound):
                return
            self.bound = p.bound
            now = time.perf_counter()
            if now - self._last_bound_line < 1.0:
                return  # bounds come fast: one line a second at most
            self._last_bound_line = now
        from hadplanner.export._labels import number

        gap = ""
        if self.best is not None and self.bound is not None and self.best:
            pct = number(100 * (self.best - self.bound) / self.best, 2, self.lang)
            gap = f"  {'écart' if fr else 'gap'} {pct} %"
        best = "—" if self.best is None else number(self.best, 0, self.lang)
        bound = "—" if self.bound is None else number(self.bound, 0, self.lang)
        word = ("meilleur plan", "borne") if fr else ("best plan", "bound")
        typer.echo(f"        {p.seconds:6.1f} s  {word[0]} {best}  {word[1]} {bound}{gap}",
                   err=True)


def write_outputs(plan: Any, out: Path, lang: str, dialect: str) -> list[Path]:
    """Every file of a joint plan into the (staged) folder ``out``."""
    from hadplanner.export.production_sheet import (
        JOINT_NAMES,
        joint_html,
        joint_text,
        write_joint_csvs,
        write_joint_xlsx,
    )

    names = JOINT_NAMES[lang]
    out.mkdir(parents=True, exist_ok=True)
    paths = write_joint_csvs(plan, out, lang, dialect)
    paths.append(write_joint_xlsx(plan, out / names["xlsx"], lang))
    for key, text in (("html", joint_html(plan, lang)), ("text", joint_text(plan, lang)),
                      ("json", plan.model_dump_json(indent=2) + "\n")):
        path = out / names[key]
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def pharmacy_examples(out: Path, lang: str = "fr", territory: str = "occitanie",
                      dialect: str = "excel-fr", time_limit_s: float = 5.0) -> Any:
    """The joint plan of the shipped example patients, every cycle of theirs, into ``out``
    (a staged folder: the caller commits it). For ``hadplanner run``."""
    from hadplanner.paths import examples_dir
    from hadplanner.pharmacy.joint import plan_pharmacy
    from hadplanner.pharmacy.patients import load_cases, load_settings

    folder = examples_dir()
    cases = load_cases(folder, territory)
    settings = load_settings(folder).model_copy(update={"time_limit_s": time_limit_s})
    start = default_start(cases)
    plan = plan_pharmacy(cases, settings, start=start, weeks=weeks_to_cover(cases, start))
    return plan, write_outputs(plan, out, lang, dialect)


def _parse_now(text: str) -> dt.datetime:
    from hadplanner.errors import InputError
    from hadplanner.models.request import local_instant

    try:
        return local_instant(text)
    except ValueError as exc:
        raise InputError(f"--now {text}: {exc}") from None


def register(app: typer.Typer) -> None:
    """Add the ``pharmacy`` command to `app`."""

    @app.command("pharmacy")
    @guarded
    def pharmacy_command(
        patients_dir: Annotated[Path | None, typer.Argument(
            metavar="[PATIENTS_DIR]",
            help="Folder of request files (YAML or JSON), and optionally pharmacie.yaml "
            "(the PUI's settings). Default: the shipped examples.")] = None,
        start: Annotated[str | None, typer.Option(
            "--from", help="First day of the horizon, YYYY-MM-DD (default: the Monday of "
            "the earliest cycle start).")] = None,
        weeks: Annotated[int, typer.Option(
            "--weeks", help="Weeks of the horizon: cycles meeting it are planned.")] = 8,
        out: Annotated[Path, typer.Option(
            "--out", help="Folder for the sheets (CSV, XLSX, HTML), the comparison and "
            "the JSON.")] = Path("out/pharmacie"),
        json_out: Annotated[bool, typer.Option(
            "--json", help="Print the joint plan as JSON (each patient's plan in the "
            "spec's contract, the sessions, lots and comparison).")] = False,
        previous: Annotated[Path | None, typer.Option(
            "--previous", help="A joint plan written before (its JSON): bags frozen at "
            "--now do not move; what moved is listed.")] = None,
        now: Annotated[str | None, typer.Option(
            "--now", help="The instant of re-planning, YYYY-MM-DDTHH:MM (with --previous): "
            "bags prepared or hung before now + freeze_h stay.")] = None,
        capacity: Annotated[int | None, typer.Option(
            "--capacity", help="Preparations a production day (default 6, or "
            "pharmacie.yaml).")] = None,
        per_slot: Annotated[int | None, typer.Option(
            "--per-slot", help="Preparations finished in one slot (default 2).")] = None,
        had_capacity: Annotated[int | None, typer.Option(
            "--had-capacity", help="Bag-change visits a day of an HAD whose capacity the "
            "territory does not give (default: unbounded).")] = None,
        time_limit: Annotated[float | None, typer.Option(
            "--time-limit", help="Seconds for the solver (default 20).")] = None,
        territory: TerritoryOpt = "occitanie",
        lang: LangOpt = "fr",
        csv_dialect: Annotated[str, typer.Option(
            "--csv-dialect", help="CSV files: 'excel-fr' or 'plain'.")] = "excel-fr",
        quiet: Annotated[bool, typer.Option(
            "--quiet", help="No progress on stderr.")] = False,
    ) -> None:
        """Plan every patient's bags at once for the PUI: capacity, shared vials, sheets.

        Every patient keeps their own fewest bags; each plan passes the independent
        checker; vials are counted per reconstitution lot. Exit status 2 when the
        capacities leave no plan (nothing is written).

        Example: hadplanner pharmacy examples/ --from 2027-04-05 --weeks 8 --out out/pharmacie
        """
        from hadplanner.errors import InputError
        from hadplanner.export._labels import check_lang
        from hadplanner.export._spreadsheet import check_dialect
        from hadplanner.export.production_sheet import joint_summary
        from hadplanner.io.writing import Outputs
        from hadplanner.paths import examples_dir
        from hadplanner.pharmacy.joint import plan_pharmacy
        from hadplanner.pharmacy.patients import load_cases, load_settings
        from hadplanner.pharmacy.results import PharmacyPlan
        from hadplanner.territory.importing import parse_day

        check_lang(lang)
        check_dialect(csv_dialect)
        if (previous is None) != (now is None):
            raise InputError("--previous and --now go together: the plan made before, and "
                             "the instant it is made again")
        folder = patients_dir if patients_dir is not None else examples_dir()
        inputs = [previous] if previous is not None else []
        with Outputs(inputs=inputs) as outputs:
            staged = outputs.folder(out, "--out")
            settings = load_settings(folder)
            update: dict[str, Any] = {}
            for key, value in (("capacity_per_day", capacity), ("capacity_per_slot", per_slot),
                               ("default_had_capacity", had_capacity),
                               ("time_limit_s", time_limit)):
                if value is not None:
                    update[key] = value
            if update:
                from hadplanner.io.validation import validate

                settings = validate(type(settings), {**settings.model_dump(), **update},
                                    "options")
            before = None
            if previous is not None:
                from hadplanner.io.reading import load_document
                from hadplanner.io.validation import validate

                doc = load_document(previous, "joint-plan")
                if not isinstance(doc.data, dict) or "solver" not in doc.data:
                    raise InputError(f"--previous {previous}: not a joint plan of hadplanner "
                                     "pharmacy (its plan_production.json)")
                before = validate(PharmacyPlan, doc.data, doc.where)
            report = _Progress(lang, quiet)
            cases = load_cases(folder, territory)
            day = parse_day(start, "--from") if start is not None else default_start(cases)
            plan = plan_pharmacy(cases, settings, start=day, weeks=weeks, previous=before,
                                 now=_parse_now(now) if now is not None else None,
                                 report=report)
            paths = write_outputs(plan, staged, lang, csv_dialect)
            outputs.commit()
        if json_out:
            typer.echo(plan.model_dump_json(indent=2))
        else:
            typer.echo(joint_summary(plan, lang), nl=False)
            word = "Fichiers écrits dans" if lang == "fr" else "Files written in"
            typer.echo(f"{word} {out}/ : " if lang == "fr" else f"{word} {out}/: ", nl=False)
            typer.echo(", ".join(p.name for p in paths))
        sys.stderr.flush()
