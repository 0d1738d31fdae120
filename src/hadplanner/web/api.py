"""The JSON API under ``/api/``: the CLI's ``--json`` outputs, by the same library calls.

| route | the CLI's |
|---|---|
| ``GET /api/patients`` | ``patient list --json`` |
| ``POST /api/patients`` (a request, as the YAML/JSON file) | ``patient add REQUEST --json`` |
| ``GET /api/patients/{id}`` | ``patient show ID --json`` |
| ``GET /api/patients/{id}/pathway`` | ``pathway REQUEST --json`` (for the request in force) |
| ``GET /api/patients/{id}/history`` | ``history ID --json`` |
| ``POST /api/patients/{id}/events`` | ``event ID KIND --at ... --json`` |
| ``POST /api/patients/{id}/replan[?dry_run=true]`` | ``replan ID [--dry-run] --json`` |
| ``GET /api/patients/{id}/fhir`` | ``export ID --fhir`` |
| ``GET /api/pharmacy/production`` | the production sheet of ``run`` (JSON) |
| ``GET /api/coverage`` | ``coverage --json`` |
| ``GET /api/derogations/{insee}`` | ``derogations --commune INSEE --json`` |
| ``GET /api/whatif/{scenario}`` | ``whatif SCENARIO --json`` |
| ``GET /api/authorise-best?k=3`` | ``authorise-best --k 3 --json`` |

Coordinator routes need a coordinator's session, the production sheet a
pharmacist's, the territory's an ARS account's (which sees no patient).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response

from hadplanner.errors import InfeasiblePlanError, InputError
from hadplanner.web.app import BadInput, current, state_of


def _default(o: Any) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if isinstance(o, dt.date):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def as_json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=_default),
                    media_type="application/json", status_code=status)


def raw_json(text: str, status: int = 200) -> Response:
    return Response(text, media_type="application/json", status_code=status)


def _refused(exc: Exception, status: int = 400) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=status)


def router(allow: Callable[[str], Any]) -> APIRouter:
    root = APIRouter(prefix="/api")
    root.include_router(_patients(allow("coordinator")))
    root.include_router(_pharmacy(allow("pharmacy")))
    root.include_router(_territory(allow("ars")))
    return root


def _patients(guard: Any) -> APIRouter:
    from hadplanner.web.coordinator import view_of

    r = APIRouter(dependencies=[Depends(guard)], tags=["coordinatrice"])

    @r.get("/patients", summary="Patients du registre (patient list --json)")
    def patients(request: Request) -> Response:
        from hadplanner.register.service import now_paris, patient_rows

        return as_json(patient_rows(now_paris(), url=state_of(request).db_url))

    @r.post("/patients", status_code=201,
            summary="Admettre un patient : parcours, plan vérifié, version 1 "
                    "(patient add --json)")
    def add(request: Request, body: dict[str, Any] = Body(  # noqa: B008
            ..., description="La demande, comme le fichier YAML/JSON de la ligne de commande "
                             "(patient, cycles, access_status, settings...).")) -> Response:
        from hadplanner.models.request import parse_request
        from hadplanner.register.service import add_patient

        web = state_of(request)
        try:
            req = parse_request(body, "request")
            view = add_patient(req, user=current(request).name, territory=web.territory,
                               url=web.db_url)
        except InfeasiblePlanError as exc:
            return _refused(exc, 422)
        except InputError as exc:
            return _refused(exc, 409 if "already in the register" in str(exc) else 400)
        return raw_json(view.plan.model_dump_json(indent=2), 201)

    @r.get("/patients/{pseudonym}", summary="Plan en vigueur (patient show --json)")
    def show(request: Request, pseudonym: str) -> Response:
        return raw_json(view_of(request, pseudonym).plan.model_dump_json(indent=2))

    @r.get("/patients/{pseudonym}/pathway", summary="Dossier de parcours (pathway --json)")
    def pathway(request: Request, pseudonym: str) -> Response:
        from hadplanner.export.pathway_file import pathway_json

        p = state_of(request).pathway(view_of(request, pseudonym))
        if p is None:
            return _refused(InputError("no pathway: the home is not known"), 404)
        return raw_json(pathway_json(p))

    @r.get("/patients/{pseudonym}/history", summary="Versions, événements, audit (history "
                                                    "--json)")
    def history(request: Request, pseudonym: str) -> Response:
        from hadplanner.register.service import history as hist

        view_of(request, pseudonym)
        return as_json(hist(pseudonym, url=state_of(request).db_url))

    @r.post("/patients/{pseudonym}/events", status_code=201,
            summary="Enregistrer un événement (event --json)")
    def event(request: Request, pseudonym: str, body: dict[str, Any] = Body(  # noqa: B008
            ..., description="kind, at, until, rate_ug_per_day, note")) -> Response:
        from hadplanner.register.service import record_event

        view_of(request, pseudonym)
        try:
            from hadplanner.register.events import parse_event
        except ImportError:
            return _refused(InputError("events are not available in this version"), 501)
        try:
            ev = parse_event(body, "event")
            event_id = record_event(pseudonym, ev, user=current(request).name,
                                    url=state_of(request).db_url)
        except InputError as exc:
            return _refused(exc)
        return as_json({"event_id": event_id, **json.loads(ev.model_dump_json())}, 201)

    @r.post("/patients/{pseudonym}/replan", summary="Replanifier depuis les événements "
                                                    "(replan [--dry-run] --json)")
    def replan(request: Request, pseudonym: str, dry_run: bool = False) -> Response:
        from hadplanner.register.service import replan_patient

        view_of(request, pseudonym)
        try:
            result = replan_patient(pseudonym, user=current(request).name,
                                    url=state_of(request).db_url, dry_run=dry_run)
        except InfeasiblePlanError as exc:
            return _refused(exc, 422)
        except InputError as exc:
            return _refused(exc)
        return raw_json(result.plan.model_dump_json(indent=2))

    @r.get("/patients/{pseudonym}/fhir", summary="Bundle FHIR R4B pseudonyme (export --fhir)")
    def fhir(request: Request, pseudonym: str) -> Response:
        from hadplanner.register.fhir import bundle_json, patient_bundle

        view = view_of(request, pseudonym)
        return Response(bundle_json(patient_bundle(view, territory=state_of(request).territory)),
                        media_type="application/fhir+json")

    return r


def _pharmacy(guard: Any) -> APIRouter:
    r = APIRouter(dependencies=[Depends(guard)], tags=["pharmacie"])

    @r.get("/pharmacy/production", summary="Fiche de production de la PUI, jours "
                                           "from..to (JSON)")
    def production(request: Request, start: str | None = None,
                   end: str | None = None) -> Response:
        from hadplanner.web.app import today_paris
        from hadplanner.web.pharmacy import DAYS_AHEAD, parse_day, sheet_between

        first = parse_day(start, today_paris())
        last = parse_day(end, first + dt.timedelta(days=DAYS_AHEAD - 1))
        return raw_json(sheet_between(request, first, last).model_dump_json(indent=2))

    return r


def _territory(guard: Any) -> APIRouter:
    from hadplanner.web.ars import day_of, scenarios

    r = APIRouter(dependencies=[Depends(guard)], tags=["ARS"])

    @r.get("/coverage", summary="Statut de chaque commune à une date (coverage --json)")
    def coverage(request: Request, date: str | None = None) -> Response:
        return as_json(state_of(request).coverage(day_of(request, date)).records())

    @r.get("/derogations/{insee}", summary="HAD candidates d'une commune (derogations --json)")
    def derogations(request: Request, insee: str, date: str | None = None) -> Response:
        from hadplanner.territory.derogations import derogation_candidates

        try:
            ans = derogation_candidates(state_of(request).index(), insee[:10],
                                        day_of(request, date))
        except InputError as exc:
            return _refused(exc, 404)
        return as_json(ans.as_dict())

    @r.get("/whatif/{scenario}", summary="Effet d'un scénario (whatif --json)")
    def whatif(request: Request, scenario: str, date: str | None = None) -> Response:
        from hadplanner.territory.whatif import whatif as run

        path = scenarios(request).get(scenario)
        if path is None:
            return _refused(InputError(f"unknown scenario {scenario[:80]!r} (known: "
                                       f"{', '.join(scenarios(request))})"), 404)
        try:
            result = run(state_of(request).index(), path, day_of(request, date),
                         source=str(path))
        except InputError as exc:
            return _refused(exc)
        return as_json(result.as_dict())

    @r.get("/authorise-best", summary="Les k HAD à autoriser (authorise-best --json)")
    def best(request: Request, k: int = 3, k_max: int | None = None,
             date: str | None = None) -> Response:
        from hadplanner.territory.best_authorisations import best_authorisations

        cov = state_of(request).coverage(day_of(request, date))
        try:
            return as_json(best_authorisations(cov, k, k_max).as_dict())
        except InputError as exc:
            return _refused(exc)
        except BadInput:
            raise

    return r
