"""``hadplanner plan REQUEST``: plan a patient's bag changes and show or export them.

Thin wiring: read the request, settle the road time from the PUI to the
patient's home (territory travel model), plan and check (library), then print
the table or the JSON contract and write the calendar and timeline. Files are
written only once planning and checking have succeeded, so an infeasible
request (exit status 2) leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from hadplanner.cli.boundary import guarded
from hadplanner.models.plan import Plan
from hadplanner.models.request import Request
from hadplanner.pathway.transport import Transport, resolve_transport, with_transport


def plan_file(path: Path, territory: str = "occitanie") -> tuple[Request, Plan, Transport]:
    """Load, plan and check one request file (the library call behind the command)."""
    from hadplanner.models.request import load_request
    from hadplanner.schedule.planner import plan_request

    request = load_request(path)
    transport = resolve_transport(request, territory)
    request = with_transport(request, transport)
    plan = plan_request(request)
    warnings = plan_warnings(request) + ([transport.note] if transport.note else [])
    if warnings:
        plan = plan.model_copy(update={"warnings": tuple(warnings)})
    return request, plan, transport


def plan_warnings(request: Request) -> list[str]:
    """What the plan was asked to do differently from the drug's label (said every time)."""
    from hadplanner.models.request import label_deviations

    return label_deviations(request)


def _closed_days(request: Request) -> list[dt.date]:
    days = []
    for first, last in request.settings.production.closed:
        d = first
        while d <= last:
            days.append(d)
            d += dt.timedelta(days=1)
    return days


def _transport_line(transport: Transport, lang: str) -> str:
    hours = f"{transport.hours:.2f}"
    minutes = round(transport.hours * 60)
    if lang == "fr":
        where = {"setting": "valeur de la demande", "territory": "modèle de trajet du territoire",
                 "default": "valeur par défaut"}[transport.source]
        return f"Trajet PUI -> domicile : {hours.replace('.', ',')} h, {minutes} min ({where})"
    where = {"setting": "request setting", "territory": "territory travel model",
             "default": "default value"}[transport.source]
    return f"Road PUI -> home: {hours} h, {minutes} min ({where})"


def render_table(request: Request, plan: Plan, transport: Transport, lang: str = "fr") -> str:
    """The printed table, with the road time line for HAD changes."""
    from hadplanner.export.plan_table import plan_table

    notes = [_transport_line(transport, lang)] if request.change_mode == "had_nurse" else []
    label = "Attention" if lang == "fr" else "Warning"
    notes += [f"{label} : {w}" if lang == "fr" else f"{label}: {w}" for w in plan.warnings]
    return plan_table(plan, lang, notes)


def plan_file_stem(plan: Plan) -> str:
    """``<patient>-plan``: the stem of a plan's files, safe as a file name."""
    from hadplanner.io.writing import safe_name

    return f"{safe_name(plan.patient_id)}-plan"


def write_plan_files(
    request: Request,
    plan: Plan,
    transport: Transport,
    *,
    out: Path | None = None,
    ics: Path | None = None,
    timeline: Path | None = None,
    lang: str = "fr",
    territory: str = "occitanie",
) -> list[Path]:
    """Write a checked plan's files into staged paths; returns the paths written.

    ``out`` gets ``<patient>-plan.txt``, ``.json``, ``.ics`` and ``.png``;
    ``ics`` and ``timeline`` are single files. The caller gives staged paths
    (:class:`hadplanner.io.writing.Outputs`) and commits them: an infeasible
    request, or a failure of any file, leaves nothing behind.
    """
    from hadplanner.export.ics import calendar_places, plan_to_ics
    from hadplanner.export.timeline import plan_timeline

    targets: list[tuple[Path, str]] = []
    if out is not None:
        stem = out / plan_file_stem(plan)
        targets += [(stem.with_suffix(".txt"), "txt"), (stem.with_suffix(".json"), "json"),
                    (stem.with_suffix(".ics"), "ics"), (stem.with_suffix(".png"), "png")]
    if ics is not None:
        targets.append((ics, "ics"))
    if timeline is not None:
        targets.append((timeline, "png"))
    for path, kind in targets:
        if kind == "txt":
            path.write_text(render_table(request, plan, transport, lang), encoding="utf-8")
        elif kind == "json":
            path.write_text(plan.model_dump_json(indent=2) + "\n", encoding="utf-8")
        elif kind == "ics":
            places = calendar_places(request, territory)
            path.write_bytes(plan_to_ics(plan, lang, stability_h=request.settings.stability_h,
                                         home=places["home"], hospital=places["hospital"]))
        else:
            plan_timeline(plan, path, lang, closed=_closed_days(request))
    return [path for path, _ in targets]


def plan_examples(out: Path, lang: str = "fr", territory: str = "occitanie") -> list[Plan]:
    """Plan every shipped example request and write its files under ``out`` (for ``run``).

    ``out`` is a staged folder: the caller commits it.
    """
    from hadplanner.paths import examples_dir

    plans = []
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(examples_dir().glob("*.yaml")):
        request, plan, transport = plan_file(path, territory)
        write_plan_files(request, plan, transport, out=out, lang=lang, territory=territory)
        plans.append(plan)
    return plans


def _check_suffix(path: Path | None, suffix: str, option: str) -> None:
    """A calendar ends in .ics, a picture in .png: a program opens the file by its name."""
    from hadplanner.errors import InputError

    if path is not None and path.suffix.lower() != suffix:
        raise InputError(f"{option} {path}: the file name must end in {suffix}")


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command to `app`."""

    @app.command("plan")
    @guarded
    def plan_command(
        request_file: Annotated[Path, typer.Argument(
            metavar="REQUEST", help="Request file (YAML or JSON), see examples/.")],
        json_out: Annotated[bool, typer.Option(
            "--json", help="Print the plan as JSON (the spec's contract) instead of a table.")]
        = False,
        ics: Annotated[Path | None, typer.Option(
            "--ics", help="Write the bag changes and preparations as an iCalendar file.")]
        = None,
        timeline: Annotated[Path | None, typer.Option(
            "--timeline", help="Write a timeline picture (PNG) of the plan.")] = None,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Folder for <patient>-plan.txt/.json/.ics/.png (all four).")] = None,
        lang: Annotated[str, typer.Option(
            "--lang", help="Language of the table, calendar and picture: fr or en.")] = "fr",
        territory: Annotated[str, typer.Option(
            "--territory", help="Territory giving the road time PUI -> home.")] = "occitanie",
    ) -> None:
        """Plan a patient's bag changes: fewest bags, then vials; checked; compared with practice.

        Exit status 2 when no safe plan exists (the message names the
        constraint and the instant); nothing is written then.

        Example: hadplanner plan examples/P001-rr-had-toulouse.yaml --out out/plans
        """
        from hadplanner.export import _labels
        from hadplanner.io.writing import Outputs

        _labels.check_lang(lang)
        with Outputs(inputs=[request_file]) as outputs:
            # Destinations are checked first, then everything that can fail for the
            # request happens before any file is visible.
            staged_out = outputs.folder(out, "--out") if out is not None else None
            _check_suffix(ics, ".ics", "--ics")
            _check_suffix(timeline, ".png", "--timeline")
            staged_ics = outputs.path(ics, "--ics") if ics is not None else None
            staged_png = outputs.path(timeline, "--timeline") if timeline is not None else None
            request, plan, transport = plan_file(request_file, territory)
            text = (plan.model_dump_json(indent=2) + "\n" if json_out
                    else render_table(request, plan, transport, lang))
            write_plan_files(request, plan, transport, out=staged_out, ics=staged_ics,
                             timeline=staged_png, lang=lang, territory=territory)
            outputs.commit()
        for warning in plan.warnings:
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(text, nl=False)
