"""The PUI's production sheet: text, CSV and XLSX, French by default.

One row per bag to compound, grouped by production day, with the day's total
dose, the vials opened when reconstituted vials are shared within the session,
and the leftover drug. Instants are Paris local time; the CSV and XLSX cells
are typed (see :mod:`hadplanner.export._spreadsheet`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hadplanner.export import _labels as L
from hadplanner.export._spreadsheet import (
    PARIS_TIME,
    Cell,
    Column,
    add_sheet,
    check_dialect,
    csv_text,
    new_workbook,
    write_csv,
)
from hadplanner.pharmacy.production import ProductionSheet

_TITLE = {
    "fr": "Fiche de production PUI — blinatumomab",
    "en": "PUI production sheet — blinatumomab",
}
_DAY_FMT = {"fr": "ddd dd/mm/yyyy", "en": "ddd yyyy-mm-dd"}


def _columns(lang: str) -> list[Column]:
    """Columns of the preparations table: one row per bag to compound."""
    at = PARIS_TIME[lang]
    if lang == "fr":
        names = ("jour de production", f"fin de préparation ({at})", "patient", "cure", "poche",
                 f"pose ({at})", f"péremption ({at})", "durée (h)", "surremplissage (h)",
                 "débit (µg/j)", "dose (µg)", "flacons (seule)", "posée par",
                 "volume poche (mL)", "blinatumomab reconstitué (mL)", "NaCl 0,9 % (mL)",
                 "stabilisant (mL)", "débit pompe (mL/h)")
    else:
        names = ("production day", f"prepared at ({at})", "patient", "cycle", "bag",
                 f"hung at ({at})", f"expires at ({at})", "duration (h)", "overfill (h)",
                 "rate (ug/day)", "dose (ug)", "vials (alone)", "hung by",
                 "bag volume (mL)", "reconstituted drug (mL)", "NaCl 0.9% (mL)",
                 "stabiliser (mL)", "pump rate (mL/h)")
    kinds = ("date", "datetime", "text", "int", "int", "datetime", "datetime", "float", "float",
             "float", "float", "int", "text", "float", "float", "float", "float", "float")
    fmts = (_DAY_FMT[lang], None, None, None, None, None, None, "0.0#", "0.0#", "0.00", "0.00",
            None, None, "0.00", "0.00", "0.00", "0.00", "0.0#")
    return [Column(n, k, f) for n, k, f in zip(names, kinds, fmts, strict=True)]


def _rows(sheet: ProductionSheet, lang: str) -> list[list[Cell]]:
    return [
        [
            day.day,
            p.prepared_at,
            p.patient_id,
            p.cycle,
            p.bag,
            p.hang_at,
            p.expires_at,
            p.duration_h,
            p.overfill_h,
            p.rate_ug_per_day,
            round(p.dose_ug, 2),
            p.vials_alone,
            L.changed_by(p.changed_by, lang),
            p.volume_ml,
            p.drug_ml,
            p.nacl_ml,
            p.stabiliser_ml,
            p.pump_rate_ml_h,
        ]
        for day in sheet.days
        for p in day.preparations
    ]


def production_sheet_csv(
    sheet: ProductionSheet, lang: str = "fr", dialect: str = "excel-fr"
) -> str:
    """The preparations as CSV text, one row per bag.

    Parameters
    ----------
    sheet
        The production sheet.
    lang
        ``fr`` (default) or ``en``: the words (headers, who hangs the bag).
    dialect
        ``excel-fr`` (default: ``;``, decimal comma, Paris local times, and a
        leading BOM, so write the text as UTF-8) or ``plain`` (``,``, decimal
        point, ISO 8601 instants with offsets, no BOM); see
        :mod:`hadplanner.export._spreadsheet`.
    """
    L.check_lang(lang)
    return csv_text([c.header for c in _columns(lang)], _rows(sheet, lang), dialect)


def write_production_csv(
    sheet: ProductionSheet, path: Path, lang: str = "fr", dialect: str = "excel-fr"
) -> Path:
    """Write :func:`production_sheet_csv` at `path`, bytes exact (BOM, CRLF in ``excel-fr``)."""
    L.check_lang(lang)
    check_dialect(dialect)
    return write_csv(path, [c.header for c in _columns(lang)], _rows(sheet, lang), dialect)


_TEXT = {
    "fr": {
        "bags": "poche(s)", "over": "au-delà de la capacité ({cap}/jour)", "cycle": "cure",
        "bag": "poche", "ug": "µg",
        "content": "{vol} mL = {drug} mL blinatumomab reconstitué + {nacl} mL NaCl 0,9 % + "
        "{stab} mL stabilisant ; pompe {rate} mL/h ; périmée le {expiry}",
        "day_total": "total {dose} µg : {shared} flacon(s) partagés (au lieu de {alone}), "
        "reliquat {left} µg",
        "total": "Total : {shared} flacons avec partage des reliquats, {alone} sans "
        "({saved} économisé(s), {eur})",
    },
    "en": {
        "bags": "bag(s)", "over": "over capacity ({cap}/day)", "cycle": "cycle",
        "bag": "bag", "ug": "ug",
        "content": "{vol} mL = {drug} mL reconstituted blinatumomab + {nacl} mL NaCl 0.9% + "
        "{stab} mL stabiliser; pump {rate} mL/h; expires {expiry}",
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
            lines.append("         " + t["content"].format(
                vol=L.number(p.volume_ml, 2, lang), drug=L.number(p.drug_ml, 2, lang),
                nacl=L.number(p.nacl_ml, 2, lang), stab=L.number(p.stabiliser_ml, 2, lang),
                rate=L.number(p.pump_rate_ml_h, 2, lang), expiry=L.when(p.expires_at, lang)))
        lines.append("  " + t["day_total"].format(
            dose=L.number(day.dose_ug, 2, lang), shared=day.vials_shared,
            alone=day.vials_alone, left=L.number(day.leftover_ug, 2, lang)))
        lines.append("")
    lines.append(t["total"].format(
        shared=sheet.vials_shared, alone=sheet.vials_alone, saved=sheet.vials_saved,
        eur=L.euros(sheet.euros_saved, lang)))
    return "\n".join(lines) + "\n"


def write_production_xlsx(sheet: ProductionSheet, path: Path, lang: str = "fr") -> Path:
    """The sheet as an XLSX workbook: preparations, production days and a summary.

    Cells are typed (days and instants as Excel dates in Paris local time,
    numbers as numbers); see :func:`hadplanner.export._spreadsheet.add_sheet`
    for widths, the frozen header and the print layout.
    """
    L.check_lang(lang)
    fr = lang == "fr"
    title = _TITLE[lang]
    wb = new_workbook()
    add_sheet(wb, "préparations" if fr else "preparations", _columns(lang),
              _rows(sheet, lang), lang, print_title=title)
    names = (
        ("jour", "poches", "dose totale (µg)", "flacons partagés", "flacons sans partage",
         "reliquat (µg)", "au-delà de la capacité")
        if fr
        else ("day", "bags", "total dose (ug)", "shared vials", "vials alone", "leftover (ug)",
              "over capacity")
    )
    kinds = ("date", "int", "float", "int", "int", "float", "bool")
    add_sheet(
        wb,
        "jours" if fr else "days",
        [Column(n, k, _DAY_FMT[lang] if k == "date" else None)
         for n, k in zip(names, kinds, strict=True)],
        ([d.day, len(d.preparations), round(d.dose_ug, 2), d.vials_shared, d.vials_alone,
          round(d.leftover_ug, 2), d.over_capacity] for d in sheet.days),
        lang,
        print_title=title,
    )
    summary: tuple[tuple[str, float, str], ...] = (
        ("flacons avec partage des reliquats", sheet.vials_shared, "flacons"),
        ("flacons sans partage", sheet.vials_alone, "flacons"),
        ("flacons économisés", sheet.vials_saved, "flacons"),
        ("économie", sheet.euros_saved, "€"),
        ("contenu d'un flacon", sheet.vial_ug, "µg"),
        ("prix d'un flacon", sheet.vial_eur, "€"),
        ("capacité de la PUI", sheet.capacity_per_day, "préparations par jour"),
    ) if fr else (
        ("vials sharing leftovers", sheet.vials_shared, "vials"),
        ("vials without sharing", sheet.vials_alone, "vials"),
        ("vials saved", sheet.vials_saved, "vials"),
        ("saving", sheet.euros_saved, "EUR"),
        ("vial content", sheet.vial_ug, "ug"),
        ("vial price", sheet.vial_eur, "EUR"),
        ("PUI capacity", sheet.capacity_per_day, "preparations per day"),
    )
    add_sheet(
        wb,
        "synthèse" if fr else "summary",
        [Column("indicateur" if fr else "item", "text"),
         Column("valeur" if fr else "value", "float", "General"),
         Column("unité" if fr else "unit", "text")],
        summary,
        lang,
        print_title=title,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
