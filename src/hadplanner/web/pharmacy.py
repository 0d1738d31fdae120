"""The pharmacy's (PUI) screens: production days ahead, a day's sheet, the joint plan,
downloads.

The sheet is :func:`hadplanner.pharmacy.production.production_sheet` over the
plans in force of every register patient (as ``hadplanner run`` makes it over
the examples), cut to the days asked.

The joint plan (``/pharmacie/plan-commun``) is
:func:`hadplanner.pharmacy.joint.plan_pharmacy` over the register's patients
(:func:`hadplanner.pharmacy.patients.cases_from_register`: no pathway run
again; a patient re-planned after an event is left out and listed, their plan
in force kept), under the PUI's default settings and a solver time limit fit
for a page (:data:`JOINT_TIME_LIMIT_S`). It is compared with the patients'
own plans (the plans in force) and the practice, on the same cycles. The
result is kept in the application's state, keyed by the register's content
and the horizon: the downloads (XLSX, printable HTML sheets) and a second
visit reuse it, and any new patient, plan, treatment or event makes a new key.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hadplanner.web.app import BadInput, page, state_of, today_paris

DAYS_AHEAD = 14
"""Production days shown ahead by default."""

JOINT_WEEKS = 8
"""Weeks of the joint plan's horizon by default."""
JOINT_MAX_WEEKS = 26
"""The longest horizon the page plans (half a year; the command line goes further)."""
JOINT_TIME_LIMIT_S = 5.0
"""Solver time of the joint plan on the page (the command line's default is 20 s): the
best plan found by then is shown, with its bound and gap."""


def parse_day(text: str | None, default: dt.date) -> dt.date:
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"Date attendue au format AAAA-MM-JJ, pas « {text[:40]} ».") from None


def sheet_between(request: Request, first: dt.date, last: dt.date) -> Any:
    """The production sheet of the register's plans, days ``first``..``last``."""
    from hadplanner.pharmacy.production import production_sheet
    from hadplanner.register.service import list_patients

    if last < first:
        raise BadInput("La date de fin est avant la date de début.")
    if (last - first).days > 400:
        raise BadInput("Période de plus d'un an : choisissez une période plus courte.")
    plans = [v.plan for v in list_patients(url=state_of(request).db_url)]
    sheet = production_sheet(plans)
    days = tuple(d for d in sheet.days if first <= d.day <= last)
    return sheet.model_copy(update={
        "days": days, "vials_shared": sum(d.vials_shared for d in days),
        "vials_alone": sum(d.vials_alone for d in days)})


# -- the joint plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class JointResult:
    """A joint plan of the register's patients over a horizon, or why there is none."""

    first: dt.date
    weeks: int
    plan: Any
    """The :class:`~hadplanner.pharmacy.results.PharmacyPlan`, None on error."""
    excluded: tuple[tuple[str, str], ...]
    """(pseudonym, reason) of the patients kept out of the joint plan."""
    error: str | None
    """Why there is no plan (French)."""
    computed_at: dt.datetime
    seconds: float
    """Wall time of the computation (patients, solve, checks)."""


def joint_horizon(depuis: str | None, semaines: str | None) -> tuple[dt.date, int]:
    """The horizon asked: first day (default: Monday of this week) and weeks (1..26)."""
    today = today_paris()
    first = parse_day(depuis, today - dt.timedelta(days=today.weekday()))
    if semaines is None or not semaines.strip():
        return first, JOINT_WEEKS
    try:
        weeks = int(semaines.strip())
    except ValueError:
        weeks = 0
    if not 1 <= weeks <= JOINT_MAX_WEEKS:
        raise BadInput(f"Nombre de semaines entre 1 et {JOINT_MAX_WEEKS}, "
                       f"pas « {semaines[:40]} ».")
    return first, weeks


def register_key(views: list[Any]) -> tuple[tuple[str, int, int, int], ...]:
    """What the joint plan depends on in the register: each patient's plan and treatment
    versions, and events recorded (an event keeps the patient out of the joint plan)."""
    return tuple((v.pseudonym, v.plan_version, v.treatment_version, len(v.events))
                 for v in views)


def joint_plan(request: Request, first: dt.date, weeks: int) -> JointResult:
    """The joint plan of the register's patients over the horizon, solved once per register
    content and horizon (kept in the application's state)."""
    from hadplanner.register.service import list_patients

    web = state_of(request)
    views = list_patients(url=web.db_url)
    key = (register_key(views), first, weeks)

    def solve_once() -> JointResult:
        # One solve at a time; a visitor who waited looks in the cache again first (the
        # plan may have been made meanwhile). A cached plan never waits for a solve.
        with web.joint_lock:
            return web.joint_plans.get(key, lambda: solve_joint(views, web.territory, first,
                                                                weeks))

    return web.joint_plans.get(key, solve_once)


def solve_joint(views: list[Any], territory: str, first: dt.date, weeks: int) -> JointResult:
    """The joint plan of register patients (see the module docstring); errors as French
    messages, never raised."""
    from hadplanner.errors import InfeasiblePlanError, InputError
    from hadplanner.models.request import PARIS
    from hadplanner.pharmacy.joint import cycles_meeting, plan_pharmacy
    from hadplanner.pharmacy.patients import cases_from_register
    from hadplanner.pharmacy.settings import PharmacySettings

    t0 = time.perf_counter()
    cases, excluded = cases_from_register(views, territory)
    last = first + dt.timedelta(days=7 * weeks - 1)
    span = f"du {first:%d/%m/%Y} au {last:%d/%m/%Y}"
    plan, error = None, None
    if not cases:
        error = ("Aucun patient du registre à planifier ensemble" +
                 (" : ceux du registre sont gardés tels quels (voir ci-dessous)."
                  if excluded else "."))
    elif not any(cycles_meeting(c, first, weeks) for c in cases):
        error = (f"Aucun patient du registre n'a de cure {span} : choisissez une autre date "
                 "de début ou un horizon plus long.")
    else:
        settings = PharmacySettings(time_limit_s=JOINT_TIME_LIMIT_S)
        try:
            plan = plan_pharmacy(cases, settings, start=first, weeks=weeks)
        except InfeasiblePlanError as exc:
            error = ("Aucun plan commun ne tient dans les capacités de la PUI et des HAD en "
                     f"gardant à chaque patient son nombre minimal de poches (ou le solveur "
                     f"n'en a pas trouvé en {JOINT_TIME_LIMIT_S:g} s) ; rien n'est planifié. "
                     f"Détail : {exc}")
        except InputError as exc:
            error = f"Le plan commun {span} ne peut pas être calculé. Détail : {exc}"
    return JointResult(first=first, weeks=weeks, plan=plan, excluded=tuple(excluded),
                       error=error, computed_at=dt.datetime.now(PARIS),
                       seconds=time.perf_counter() - t0)


def joint_context(result: JointResult) -> dict[str, Any]:
    """What ``pharmacy_joint.html.j2`` shows of a joint plan (labels of the export's sheets)."""
    from hadplanner.export import _labels as L
    from hadplanner.export.production_sheet import (
        _comparison_table,
        _figure,
        destination,
        joint_summary,
    )

    plan = result.plan
    ctx: dict[str, Any] = {"result": result, "first": result.first, "weeks": result.weeks,
                           "last": result.first + dt.timedelta(days=7 * result.weeks - 1),
                           "max_weeks": JOINT_MAX_WEEKS, "plan": plan}
    if plan is None:
        return ctx
    words = L.PHARMACY_LABELS["fr"]
    _, rows = _comparison_table(plan, "fr")
    ctx["comparison"] = [
        {"key": key, "label": row[0], "joint": _figure(row[1], "fr"),
         "single": _figure(row[2], "fr"), "practice": _figure(row[3], "fr"), "unit": row[4]}
        for key, row in zip(words["figures"], rows, strict=True)]
    ctx["summary"] = joint_summary(plan, "fr").splitlines()[1:]
    ctx["solver_status"] = words["status"].get(plan.solver.status, plan.solver.status)
    patients = {p.patient_id: p for p in plan.patients}
    ctx["sessions"] = [{
        "session": s,
        "preparations": [{
            "prep": p, "patient": patients[p.patient_id],
            "destination": destination(patients[p.patient_id], p.changed_by, "fr"),
            "draws": [{"lot": d.lot, "ug": L.number(d.ug, 2, "fr"), "reused": d.reused}
                      for d in p.draws]}
            for p in s.preparations],
        "reused_lots": sorted({d.lot for p in s.preparations for d in p.draws if d.reused}),
    } for s in plan.sessions]
    return ctx


def _joint_or_refuse(request: Request, depuis: str | None, semaines: str | None
                     ) -> JointResult:
    first, weeks = joint_horizon(depuis, semaines)
    result = joint_plan(request, first, weeks)
    if result.plan is None:
        raise BadInput(result.error or "Pas de plan commun.")
    return result


def router(guard: Any) -> APIRouter:
    r = APIRouter(dependencies=[Depends(guard)], include_in_schema=False)

    @r.get("/pharmacie", response_class=HTMLResponse)
    def production(request: Request, depuis: str | None = None,
                   jours: int = DAYS_AHEAD) -> Response:
        first = parse_day(depuis, today_paris())
        if not 1 <= jours <= 366:
            raise BadInput("Nombre de jours entre 1 et 366.")
        last = first + dt.timedelta(days=jours - 1)
        sheet = sheet_between(request, first, last)
        return page(request, "pharmacy.html.j2", sheet=sheet, first=first, last=last,
                    jours=jours, tomorrow=today_paris() + dt.timedelta(days=1),
                    joint_first=first - dt.timedelta(days=first.weekday()),
                    joint_weeks=JOINT_WEEKS, joint_max_weeks=JOINT_MAX_WEEKS)

    @r.get("/pharmacie/jour/{day}", response_class=HTMLResponse)
    def production_day(request: Request, day: str) -> Response:
        d = parse_day(day, today_paris())
        sheet = sheet_between(request, d, d)
        return page(request, "pharmacy_day.html.j2", sheet=sheet, day=d,
                    prod=sheet.days[0] if sheet.days else None)

    @r.get("/pharmacie/fiche.csv")
    def sheet_csv(request: Request, depuis: str | None = None, jusqu_au: str | None = None,
                  dialecte: str = "excel-fr") -> Response:
        from hadplanner.errors import InputError
        from hadplanner.export._spreadsheet import check_dialect
        from hadplanner.export.production_sheet import production_sheet_csv

        try:
            check_dialect(dialecte)
        except InputError:
            raise BadInput("Dialecte CSV : excel-fr ou plain.") from None
        first = parse_day(depuis, today_paris())
        last = parse_day(jusqu_au, first + dt.timedelta(days=DAYS_AHEAD - 1))
        text = production_sheet_csv(sheet_between(request, first, last), "fr", dialecte)
        return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="fiche_production_{first}.csv"'})

    @r.get("/pharmacie/fiche.xlsx")
    def sheet_xlsx(request: Request, depuis: str | None = None,
                   jusqu_au: str | None = None) -> Response:
        import tempfile
        from pathlib import Path

        from hadplanner.export.production_sheet import write_production_xlsx

        first = parse_day(depuis, today_paris())
        last = parse_day(jusqu_au, first + dt.timedelta(days=DAYS_AHEAD - 1))
        sheet = sheet_between(request, first, last)
        with tempfile.TemporaryDirectory() as tmp:
            path = write_production_xlsx(sheet, Path(tmp) / "fiche.xlsx", "fr")
            data = path.read_bytes()
        return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet", headers={
                            "Content-Disposition":
                            f'attachment; filename="fiche_production_{first}.xlsx"'})

    @r.get("/pharmacie/plan-commun", response_class=HTMLResponse)
    def joint(request: Request, depuis: str | None = None,
              semaines: str | None = None) -> Response:
        first, weeks = joint_horizon(depuis, semaines)
        result = joint_plan(request, first, weeks)
        return page(request, "pharmacy_joint.html.j2", **joint_context(result))

    @r.get("/pharmacie/plan-commun.xlsx")
    def joint_xlsx(request: Request, depuis: str | None = None,
                   semaines: str | None = None) -> Response:
        import tempfile
        from pathlib import Path

        from hadplanner.export.production_sheet import write_joint_xlsx

        result = _joint_or_refuse(request, depuis, semaines)
        with tempfile.TemporaryDirectory() as tmp:
            path = write_joint_xlsx(result.plan, Path(tmp) / "plan.xlsx", "fr")
            data = path.read_bytes()
        return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet", headers={
                            "Content-Disposition":
                            f'attachment; filename="plan_production_{result.first}.xlsx"'})

    @r.get("/pharmacie/plan-commun.html")
    def joint_sheets(request: Request, depuis: str | None = None,
                     semaines: str | None = None) -> Response:
        from hadplanner.export.production_sheet import joint_html

        result = _joint_or_refuse(request, depuis, semaines)
        return HTMLResponse(joint_html(result.plan, "fr"), headers={
            "Content-Disposition":
            f'attachment; filename="fiches_production_{result.first}.html"'})

    return r
