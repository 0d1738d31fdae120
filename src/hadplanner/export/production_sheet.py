"""The PUI's production sheet: text, CSV and XLSX, French by default.

One row per bag to compound, grouped by production day, with the day's total
dose, the vials opened when reconstituted vials are shared within the session,
and the leftover drug.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from hadplanner.export import _labels as L
from hadplanner.pharmacy.production import ProductionSheet

_COLUMNS = {
    "fr": (
        "jour de production", "fin de préparation", "patient", "cure", "poche", "pose",
        "péremption", "durée (h)", "surremplissage (h)", "débit (µg/j)", "dose (µg)",
        "flacons (seule)", "posée par",
    ),
    "en": (
        "production day", "prepared at", "patient", "cycle", "bag", "hung at",
        "expires at", "duration (h)", "overfill (h)", "rate (ug/day)", "dose (ug)",
        "vials (alone)", "hung by",
    ),
}

_TITLE = {
    "fr": "Fiche de production PUI — blinatumomab",
    "en": "PUI production sheet — blinatumomab",
}


def _rows(sheet: ProductionSheet, lang: str) -> list[list[str]]:
    rows = []
    for day in sheet.days:
        for p in day.preparations:
            rows.append(
                [
                    L.date(day.day, lang),
                    L.instant(p.prepared_at, lang),
                    p.patient_id,
                    str(p.cycle),
                    str(p.bag),
                    L.instant(p.hang_at, lang),
                    L.instant(p.expires_at, lang),
                    L.hours(p.duration_h, lang),
                    L.hours(p.overfill_h, lang),
                    L.number(p.rate_ug_per_day, 2, lang),
                    L.number(p.dose_ug, 2, lang),
                    str(p.vials_alone),
                    L.changed_by(p.changed_by, lang),
                ]
            )
    return rows


def production_sheet_csv(sheet: ProductionSheet, lang: str = "fr") -> str:
    """The sheet as CSV (``;``-separated in French, as French spreadsheets expect)."""
    L.check_lang(lang)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if lang == "fr" else ",")
    writer.writerow(_COLUMNS[lang])
    writer.writerows(_rows(sheet, lang))
    return buf.getvalue()


_TEXT = {
    "fr": {
        "bags": "poche(s)", "over": "au-delà de la capacité ({cap}/jour)", "cycle": "cure",
        "bag": "poche", "ug": "µg",
        "day_total": "total {dose} µg : {shared} flacon(s) partagés (au lieu de {alone}), "
        "reliquat {left} µg",
        "total": "Total : {shared} flacons avec partage des reliquats, {alone} sans "
        "({saved} économisé(s), {eur})",
    },
    "en": {
        "bags": "bag(s)", "over": "over capacity ({cap}/day)", "cycle": "cycle",
        "bag": "bag", "ug": "ug",
        "day_total": "total {dose} ug: {shared} shared vial(s) (instead of {alone}), "
        "leftover {left} ug",
        "total": "Total: {shared} vials sharing leftovers, {alone} without "
        "({saved} saved, {eur})",
    },
}


def production_sheet_text(sheet: ProductionSheet, lang: str = "fr") -> str:
    """A readable summary: one block per production day."""
    L.check_lang(lang)
    t = _TEXT[lang]
    # Times without their UTC offset; a note when the legal time changes in the sheet.
    preps = [p for day in sheet.days for p in day.preparations]
    notes = L.offset_change_notes(min((p.prepared_at for p in preps), key=dt.datetime.timestamp),
                                  max((p.hang_at for p in preps), key=dt.datetime.timestamp),
                                  lang) if preps else []
    lines = [_TITLE[lang], *notes, ""]
    for day in sheet.days:
        flag = f"  ⚠ {t['over'].format(cap=sheet.capacity_per_day)}" if day.over_capacity else ""
        lines.append(f"{L.date(day.day, lang)} — {len(day.preparations)} {t['bags']}{flag}")
        for p in day.preparations:
            lines.append(
                f"  {L.local(p.prepared_at):%H:%M}  {p.patient_id:<8} "
                f"{t['cycle']} {p.cycle} {t['bag']} {p.bag:>2}  "
                f"{L.number(p.dose_ug, 2, lang):>8} {t['ug']}  → {L.when(p.hang_at, lang)}"
            )
        lines.append("  " + t["day_total"].format(
            dose=L.number(day.dose_ug, 2, lang), shared=day.vials_shared,
            alone=day.vials_alone, left=L.number(day.leftover_ug, 2, lang)))
        lines.append("")
    lines.append(t["total"].format(
        shared=sheet.vials_shared, alone=sheet.vials_alone, saved=sheet.vials_saved,
        eur=L.euros(sheet.euros_saved, lang)))
    return "\n".join(lines) + "\n"


def write_production_xlsx(sheet: ProductionSheet, path: Path, lang: str = "fr") -> Path:
    """The sheet as an XLSX workbook: one sheet of preparations, one of days."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    L.check_lang(lang)
    wb = Workbook()
    ws = wb.active
    ws.title = "préparations" if lang == "fr" else "preparations"
    ws.append(list(_COLUMNS[lang]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in _rows(sheet, lang):
        ws.append(row)
    days = wb.create_sheet("jours" if lang == "fr" else "days")
    head = (
        ("jour", "poches", "dose totale (µg)", "flacons partagés", "flacons sans partage",
         "reliquat (µg)", "au-delà de la capacité")
        if lang == "fr"
        else ("day", "bags", "total dose (ug)", "shared vials", "vials alone", "leftover (ug)",
              "over capacity")
    )
    days.append(list(head))
    for cell in days[1]:
        cell.font = Font(bold=True)
    for d in sheet.days:
        days.append([d.day, len(d.preparations), round(d.dose_ug, 2), d.vials_shared,
                     d.vials_alone, round(d.leftover_ug, 2), d.over_capacity])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
