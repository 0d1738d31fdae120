"""The register's commands: ``patient add|list|show``, ``event``, ``replan``, ``history``,
``export``.

Thin wiring over :mod:`hadplanner.register.service`. The register is the
database named by ``HADPLANNER_DB`` (SQLite file by default); every write is
one transaction, audited with the user (``--user``, else the OS user).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hadplanner.cli.boundary import guarded
from hadplanner.cli.options import LangOpt

UserOpt = Annotated[str | None, typer.Option(
    "--user", help="Who writes, for the audit trail (default: the operating-system user).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="The patient's pseudonym.")]

patient_app = typer.Typer(name="patient", help="Patients of the register: add, list, show.",
                          no_args_is_help=True)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _now() -> dt.datetime:
    from hadplanner.register.service import now_paris

    return now_paris()


@patient_app.command("add")
@guarded
def patient_add(
    request_file: Annotated[Path, typer.Argument(metavar="REQUEST",
                                                 help="Request file (YAML or JSON).")],
    family_name: Annotated[str | None, typer.Option(
        "--family-name", help="Identity, kept apart and never exported unless asked.")] = None,
    given_name: Annotated[str | None, typer.Option("--given-name")] = None,
    birth_date: Annotated[str | None, typer.Option("--birth-date", help="YYYY-MM-DD.")] = None,
    territory: Annotated[str, typer.Option("--territory")] = "occitanie",
    user: UserOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Admit a patient: choose the care (pathway), plan and check, store the first version.

    Example: hadplanner patient add examples/P007-lautrec-derogation.yaml
    """
    from hadplanner.models.request import load_request
    from hadplanner.register.service import Identity, add_patient
    from hadplanner.territory.importing import parse_day

    if birth_date is not None:
        parse_day(birth_date, "--birth-date")
    request = load_request(request_file)
    view = add_patient(request, user=user, territory=territory,
                       identity=Identity(family_name, given_name, birth_date))
    if as_json:
        typer.echo(view.plan.model_dump_json(indent=2))
        return
    t = view.plan.totals
    typer.echo(f"Patient {view.pseudonym} enregistré : plan v{view.plan_version}, {t.bags} "
               f"poches, {t.vials} flacons (vérifié)"
               + (f" ; HAD {view.had_id} ({view.care_status})" if view.had_id else ""))


@patient_app.command("list")
@guarded
def patient_list(as_json: JsonOpt = False) -> None:
    """Patients of the register, each with the next bag change and pending events.

    Example: hadplanner patient list
    """
    from hadplanner.export import _labels as L
    from hadplanner.register.service import patient_rows

    rows = patient_rows(_now())
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("Registre vide.")
        return
    for r in rows:
        when = "traitement terminé" if r["next_change"] is None else (
            f"prochain changement "
            f"{L.when(dt.datetime.fromisoformat(r['next_change']), 'fr', year=True)} "
            f"({L.changed_by(r['next_change_by'])})")
        pend = f", {r['events_pending']} événement(s) à replanifier" if r["events_pending"] else ""
        typer.echo(f"{r['pseudonym']:<10} plan v{r['plan_version']}  {r['had_id'] or '-':<22} "
                   f"{when}{pend}")


@patient_app.command("show")
@guarded
def patient_show(patient: IdArg, as_json: JsonOpt = False, lang: LangOpt = "fr") -> None:
    """The patient's current plan (the spec's JSON contract with --json) and events.

    Example: hadplanner patient show P007 --json
    """
    from hadplanner.export.plan_table import plan_table
    from hadplanner.register.service import show

    view = show(patient)
    if as_json:
        typer.echo(view.plan.model_dump_json(indent=2))
        return
    typer.echo(f"Patient {view.pseudonym} — plan v{view.plan_version}, traitement "
               f"v{view.treatment_version}, HAD {view.had_id or '-'}")
    for e in view.events:
        applied = f"pris en compte dans le plan v{e['applied_in_plan']}" \
            if e["applied_in_plan"] else "à replanifier"
        typer.echo(f"  événement {e['id']} : {e['kind']} le {e['at']} ({applied})")
    typer.echo("")
    typer.echo(plan_table(view.plan, lang), nl=False)


def register(app: typer.Typer) -> None:
    """Add the register's commands to ``app``."""
    app.add_typer(patient_app, name="patient")

    @app.command("event")
    @guarded
    def event_command(
        patient: IdArg,
        kind: Annotated[str, typer.Argument(
            metavar="KIND", help="pump_failure, bag_leak, interruption, readmission, "
            "had_unavailable, pui_closed, dose_change or stop.")],
        at: Annotated[str, typer.Option("--at", help="When (YYYY-MM-DDTHH:MM, local time; "
                                                     "a date for had_unavailable/pui_closed)")],
        until: Annotated[str | None, typer.Option(
            "--until", help="End of an interruption or a readmission (discharge); last day "
                            "of a closure.")] = None,
        rate: Annotated[float | None, typer.Option(
            "--rate", help="dose_change: the new daily dose, ug/day.")] = None,
        note: Annotated[str, typer.Option("--note", help="Free text.")] = "",
        user: UserOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record an event (checked against the plan and the events before it).

        Example: hadplanner event P007 pump_failure --at 2027-04-16T14:10
        """
        from hadplanner.io.validation import validate
        from hadplanner.register.events import Event
        from hadplanner.register.service import record_event

        data: dict[str, Any] = {"kind": kind, "at": at, "note": note}
        if until is not None:
            data["until"] = until
        if rate is not None:
            data["rate_ug_per_day"] = rate
        event = validate(Event, data, "event")
        event_id = record_event(patient, event, user=user)
        if as_json:
            _echo_json({"event_id": event_id, **json.loads(event.model_dump_json())})
        else:
            typer.echo(f"Événement {event_id} enregistré ({kind}) : lancez hadplanner replan "
                       f"{patient}")

    @app.command("replan")
    @guarded
    def replan_command(
        patient: IdArg,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Show the new plan and what changes, without saving it.")]
        = False,
        user: UserOpt = None,
        as_json: JsonOpt = False,
        lang: LangOpt = "fr",
    ) -> None:
        """Re-plan from the recorded events, the past frozen; show what changed; save.

        Example: hadplanner replan P007 --dry-run
        """
        from hadplanner.export import _labels
        from hadplanner.register.service import replan_patient

        _labels.check_lang(lang)
        result = replan_patient(patient, user=user, dry_run=dry_run)
        if as_json:
            typer.echo(result.plan.model_dump_json(indent=2))
            return
        for d in result.diffs:
            for line in d.lines(lang):
                typer.echo(line)
        for n in result.notices:
            typer.echo(f"! {n}")
        typer.echo(("Nouveau plan v{v} enregistré (vérifié)." if result.saved else
                    "Plan v{v} non enregistré (--dry-run).").format(v=result.version)
                   if lang == "fr" else
                   ("New plan v{v} saved (checked)." if result.saved else
                    "Plan v{v} not saved (--dry-run).").format(v=result.version))

    @app.command("history")
    @guarded
    def history_command(patient: IdArg, as_json: JsonOpt = False) -> None:
        """Every plan version, event and audit entry of a patient.

        Example: hadplanner history P007
        """
        from hadplanner.register.service import history

        h = history(patient)
        if as_json:
            _echo_json(h)
            return
        for p in h["plans"]:
            typer.echo(f"plan v{p['version']} — {p['created_at']} par {p['created_by']} : "
                       f"{p['reason']} ({p['bags']} poches, {p['vials']} flacons)")
        for a in h["audit"]:
            typer.echo(f"  audit {a['id']} — {a['at']} {a['user']} {a['action']}")

    @app.command("export")
    @guarded
    def export_command(
        patient: IdArg,
        fhir: Annotated[bool, typer.Option("--fhir", help="HL7 FHIR R4 (R4B) Bundle.")] = False,
        out: Annotated[Path | None, typer.Option("--out", help="File to write (JSON).")]
        = None,
        with_identity: Annotated[bool, typer.Option(
            "--with-identity", help="Include the patient's name and birth date (otherwise "
            "the export is pseudonymous).")] = False,
        territory: Annotated[str, typer.Option("--territory")] = "occitanie",
        user: UserOpt = None,
    ) -> None:
        """Export the patient's plan (pseudonymous unless --with-identity).

        Example: hadplanner export P007 --fhir --out P007.fhir.json
        """
        from hadplanner.errors import InputError
        from hadplanner.io.writing import Outputs
        from hadplanner.register.fhir import bundle_json, patient_bundle
        from hadplanner.register.service import identity_of, show

        if not fhir:
            raise InputError("export: choose a format (--fhir)")
        with Outputs() as outputs:
            staged = outputs.path(out, "--out") if out is not None else None
            view = show(patient)
            identity = identity_of(patient, user=user) if with_identity else None
            text = bundle_json(patient_bundle(view, territory=territory, identity=identity))
            if staged is not None:
                staged.write_text(text, encoding="utf-8")
            outputs.commit()
        if out is None:
            typer.echo(text, nl=False)
