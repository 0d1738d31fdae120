"""The coordinator's screens: patients, a new patient, a patient's page, events and re-plans.

Each screen calls what the CLI calls (:mod:`hadplanner.register.service`,
:func:`hadplanner.pathway.coordinator.build_pathway`, the exports); every
write passes ``user=<account>`` to the register, which audits it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hadplanner.errors import HadPlannerError, InfeasiblePlanError, InputError
from hadplanner.web.app import NotFound, current, page, state_of
from hadplanner.web.labels import ALERTS, ERRORS, REGIMEN_NAMES


def view_of(request: Request, pseudonym: str) -> Any:
    """The register's patient, or a French 404."""
    from hadplanner.register.service import show

    try:
        return show(pseudonym, url=state_of(request).db_url)
    except InputError:
        raise NotFound(f"Aucun patient « {pseudonym} » dans le registre.") from None


def alerts(request: Request, view: Any) -> list[tuple[str, str]]:
    """The list's alerts of a patient: (kind, words)."""
    out: list[tuple[str, str]] = []
    if view.care_status in ("derogation", "convention"):
        out.append((view.care_status, ALERTS[view.care_status]))
    training = _training(request, view)
    if training == "needed":
        out.append(("training", ALERTS["training"]))
    elif training == "to_confirm":
        out.append(("training", ALERTS["training_to_confirm"]))
    if view.pending:
        out.append(("pending", ALERTS["pending"].format(n=view.pending)))
    if not view.plan.checked:
        out.append(("unchecked", ALERTS["unchecked"]))
    return out


def _training(request: Request, view: Any) -> str | None:
    """The chosen HAD's training need before the first home day (as the pathway says)."""
    if view.had_id is None:
        return None
    from hadplanner.models.request import PARIS
    from hadplanner.pathway.coordinator import _readiness

    terr = state_of(request).index().territory
    try:
        had = terr.had(view.had_id)
    except Exception:
        return None
    first = view.plan.cycles[0].inpatient_until.astimezone(PARIS).date()
    return str(_readiness(had, first, "").training)


def _now() -> dt.datetime:
    from hadplanner.register.service import now_paris

    return now_paris()


def _form_page(request: Request, checked: Any = None, status: int = 200) -> HTMLResponse:
    from hadplanner.models.drug import load_drug
    from hadplanner.web.forms import CYCLE_ROWS

    return page(request, "patient_new.html.j2", status=status,
                v=checked.values if checked else {"access_status": "amm",
                                                  "change_mode": "had_nurse"},
                errors=checked.errors if checked else {},
                general=checked.general if checked else None,
                regimen_options=[(k, REGIMEN_NAMES.get(k, k))
                                 for k in load_drug("blinatumomab").regimens],
                cycle_rows=CYCLE_ROWS)


def router(guard: Any) -> APIRouter:
    r = APIRouter(dependencies=[Depends(guard)], include_in_schema=False)

    @r.get("/patients", response_class=HTMLResponse)
    def patients(request: Request) -> Response:
        from hadplanner.register.service import list_patients

        now = _now()
        rows = []
        for v in list_patients(url=state_of(request).db_url):
            rows.append({"view": v, "next": v.next_change(now), "alerts": alerts(request, v)})
        return page(request, "patients.html.j2", rows=rows)

    @r.get("/communes", response_class=HTMLResponse)
    def communes(request: Request, q: str = "", commune: str = "") -> Response:
        """Options of the commune field (htmx): names and INSEE codes."""
        hits = state_of(request).find_communes((q or commune)[:80])
        return page(request, "communes_options.html.j2", hits=hits)

    @r.get("/patients/nouveau", response_class=HTMLResponse)
    def new_patient_form(request: Request) -> Response:
        return _form_page(request)

    @r.post("/patients/nouveau", response_class=HTMLResponse)
    async def new_patient(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        return await run_in_threadpool(_add, request, form)

    def _add(request: Request, form: dict[str, str]) -> Response:
        from hadplanner.register.service import add_patient
        from hadplanner.web.forms import patient_form

        web = state_of(request)
        checked = patient_form(form, web)
        if not checked.ok:
            return _form_page(request, checked, status=422)
        req, identity = checked.result
        try:
            view = add_patient(req, user=current(request).name, identity=identity,
                               territory=web.territory, url=web.db_url)
        except InfeasiblePlanError as exc:
            checked.general = ERRORS["infeasible"].format(why=exc)
            return _form_page(request, checked, status=422)
        except InputError as exc:
            if "already in the register" in str(exc):
                checked.errors["pseudonym"] = ERRORS["exists"]
            else:
                from hadplanner.web.forms import field_of

                name, text = field_of(str(exc))
                if name is None:
                    checked.general = ERRORS["other"].format(why=text)
                else:
                    checked.errors[name] = ERRORS["other"].format(why=text)
            return _form_page(request, checked, status=422)
        return RedirectResponse(f"/patients/{view.pseudonym}?nouveau=1", status_code=303)

    @r.get("/patients/{pseudonym}", response_class=HTMLResponse)
    def patient(request: Request, pseudonym: str, nouveau: int = 0) -> Response:
        view = view_of(request, pseudonym)
        web = state_of(request)
        pathway = web.pathway(view)
        lines: list[str] = []
        letter = False
        if pathway is not None:
            from hadplanner.cli.pathway import summary_lines

            lines = summary_lines(pathway, "fr")
            letter = pathway.letter_needed and pathway.had is not None
        return page(request, "patient.html.j2", view=view, pathway=pathway, lines=lines,
                    letter=letter, alerts=alerts(request, view), new=bool(nouveau),
                    next=view.next_change(_now()), events_ready=_events_ready())

    @r.get("/patients/{pseudonym}/frise.png")
    def picture(request: Request, pseudonym: str) -> Response:
        view = view_of(request, pseudonym)
        return Response(state_of(request).picture(view), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=300"})

    @r.get("/patients/{pseudonym}/parcours", response_class=HTMLResponse)
    def pathway_file(request: Request, pseudonym: str) -> Response:
        from hadplanner.export.pathway_file import pathway_html

        view = view_of(request, pseudonym)
        p = state_of(request).pathway(view)
        if p is None:
            raise NotFound(f"Pas de dossier de parcours pour {pseudonym} : domicile inconnu.")
        return HTMLResponse(pathway_html(p, "fr"))

    @r.get("/patients/{pseudonym}/lettre", response_class=HTMLResponse)
    def letter(request: Request, pseudonym: str) -> Response:
        from hadplanner.export.pathway_file import _letter

        view = view_of(request, pseudonym)
        p = state_of(request).pathway(view)
        content = _letter(p) if p is not None else None
        if content is None:
            raise NotFound(f"Le patient {pseudonym} n'a pas besoin de demande à l'ARS "
                           "(ni dérogation ni convention).")
        return page(request, "letter.html.j2", letter=content, pseudonym=pseudonym)

    @r.get("/patients/{pseudonym}/calendrier.ics")
    def calendar(request: Request, pseudonym: str) -> Response:
        from hadplanner.export.ics import calendar_places, plan_to_ics

        view = view_of(request, pseudonym)
        web = state_of(request)
        places = calendar_places(view.request, web.territory)
        data = plan_to_ics(view.plan, "fr", stability_h=view.request.settings.stability_h,
                           home=places["home"], hospital=places["hospital"])
        return Response(data, media_type="text/calendar; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{pseudonym}-plan.ics"'})

    @r.get("/patients/{pseudonym}/fhir.json")
    def fhir(request: Request, pseudonym: str) -> Response:
        from hadplanner.register.fhir import bundle_json, patient_bundle

        view = view_of(request, pseudonym)
        text = bundle_json(patient_bundle(view, territory=state_of(request).territory))
        return Response(text, media_type="application/fhir+json", headers={
            "Content-Disposition": f'attachment; filename="{pseudonym}.fhir.json"'})

    @r.get("/patients/{pseudonym}/plan.json")
    def plan_json(request: Request, pseudonym: str) -> Response:
        view = view_of(request, pseudonym)
        return Response(view.plan.model_dump_json(indent=2), media_type="application/json",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{pseudonym}-plan.json"'})

    @r.get("/patients/{pseudonym}/historique", response_class=HTMLResponse)
    def history_page(request: Request, pseudonym: str) -> Response:
        from hadplanner.register.service import history

        view_of(request, pseudonym)
        h = history(pseudonym, url=state_of(request).db_url)
        return page(request, "history.html.j2", h=h, pseudonym=pseudonym)

    @r.get("/patients/{pseudonym}/evenement", response_class=HTMLResponse)
    def event_form_page(request: Request, pseudonym: str) -> Response:
        view = view_of(request, pseudonym)
        return page(request, "event.html.j2", view=view, v={}, errors={}, general=None,
                    events_ready=_events_ready())

    @r.post("/patients/{pseudonym}/evenement", response_class=HTMLResponse)
    async def event_record(request: Request, pseudonym: str) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        return await run_in_threadpool(_event, request, pseudonym, form)

    def _event(request: Request, pseudonym: str, form: dict[str, str]) -> Response:
        from hadplanner.register.service import record_event
        from hadplanner.web.forms import event_form

        view = view_of(request, pseudonym)
        if not _events_ready():
            return page(request, "event.html.j2", status=503, view=view, v=form, errors={},
                        general=None, events_ready=False)
        checked = event_form(form)
        if checked.ok:
            try:
                record_event(pseudonym, checked.result, user=current(request).name,
                             url=state_of(request).db_url)
            except HadPlannerError as exc:
                checked.general = ERRORS["other"].format(why=exc)
        if not checked.ok:
            return page(request, "event.html.j2", status=422, view=view, v=checked.values,
                        errors=checked.errors, general=checked.general, events_ready=True)
        return RedirectResponse(f"/patients/{pseudonym}/replanifier", status_code=303)

    @r.get("/patients/{pseudonym}/replanifier", response_class=HTMLResponse)
    def replan_preview(request: Request, pseudonym: str) -> Response:
        """What the re-plan would change (dry run): nothing is saved."""
        from hadplanner.register.service import replan_patient

        view = view_of(request, pseudonym)
        try:
            result = replan_patient(pseudonym, user=current(request).name,
                                    url=state_of(request).db_url, dry_run=True)
        except HadPlannerError as exc:
            return page(request, "replan.html.j2", view=view, result=None, lines=[],
                        problem=str(exc), status=422)
        lines = [line for d in result.diffs for line in d.lines("fr")]
        return page(request, "replan.html.j2", view=view, result=result, lines=lines,
                    problem=None)

    @r.post("/patients/{pseudonym}/replanifier", response_class=HTMLResponse)
    def replan_save(request: Request, pseudonym: str) -> Response:
        from hadplanner.register.service import replan_patient

        view_of(request, pseudonym)
        replan_patient(pseudonym, user=current(request).name, url=state_of(request).db_url)
        return RedirectResponse(f"/patients/{pseudonym}?replanifie=1", status_code=303)

    return r


def _events_ready() -> bool:
    """True when the events' domain (``register/events.py``, ``replan.py``) is installed."""
    import importlib.util
    import sys

    names = ("hadplanner.register.events", "hadplanner.register.replan")
    return all(n in sys.modules or importlib.util.find_spec(n) is not None for n in names)
