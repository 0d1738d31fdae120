"""The pharmacy's (PUI) screens: production days ahead, a day's sheet, downloads.

The sheet is :func:`hadplanner.pharmacy.production.production_sheet` over the
plans in force of every register patient (as ``hadplanner run`` makes it over
the examples), cut to the days asked. The joint plan of the pharmacy
(several patients planned together) will be compared here when it lands.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hadplanner.web.app import BadInput, page, state_of, today_paris

DAYS_AHEAD = 14
"""Production days shown ahead by default."""


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
                    jours=jours, tomorrow=today_paris() + dt.timedelta(days=1))

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

    return r
