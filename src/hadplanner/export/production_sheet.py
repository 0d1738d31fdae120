"""The PUI's production sheets: text, CSV, XLSX and printable HTML, French by default.

Two sources. :class:`~hadplanner.pharmacy.production.ProductionSheet` reads
single-patient plans as they are (one row per bag, vials shared within a
day). :class:`~hadplanner.pharmacy.results.PharmacyPlan` is the joint plan of
every patient (``hadplanner pharmacy``): per production day, each bag's slot,
contents (volumes, rates, stabiliser, expiry), patient pseudonym,
destination (ward, day hospital, HAD and commune) and latest departure from
the PUI; per session the vials opened, the leftovers reused and from which
lot, the drug wasted in ug and euros; the comparison with the single-patient
plans and the practice. Instants are Paris local time; the CSV and XLSX
cells are typed (see :mod:`hadplanner.export._spreadsheet`); the HTML prints
on A4 (landscape), one page a production day.
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
from hadplanner.models.plan import Bag, ChangedBy
from hadplanner.pharmacy.production import ProductionSheet
from hadplanner.pharmacy.results import PatientResult, PharmacyPlan, SessionBag

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


# -- the joint plan of every patient (hadplanner pharmacy) ---------------------------------


def _words(lang: str) -> dict:
    return L.PHARMACY_LABELS[lang]


def _bag_index(plan: PharmacyPlan) -> dict[tuple[str, int, int], tuple[PatientResult, Bag]]:
    return {(p.patient_id, c.number, b.index): (p, b)
            for p in plan.patients for c in p.plan.cycles for b in c.bags}


def destination(patient: PatientResult, who: ChangedBy | str, lang: str = "fr") -> str:
    """Where a bag goes: the ward, the day hospital (of the centre), or the HAD at home."""
    w = _words(lang)["who"]
    who = ChangedBy(who)
    if who == ChangedBy.had_nurse:
        return w["had_nurse"].format(had=patient.had_name or patient.had_id or "HAD")
    place = w[who.value]
    return f"{place}, {patient.centre}" if patient.centre else place


def _draws_text(bag: SessionBag, lang: str) -> str:
    w = _words(lang)
    return " ; ".join(
        f"{d.lot} {L.number(d.ug, 2, lang)}" + (f" ({w['reused']})" if d.reused else "")
        for d in bag.draws) if lang == "fr" else "; ".join(
        f"{d.lot} {L.number(d.ug, 2, lang)}" + (f" ({w['reused']})" if d.reused else "")
        for d in bag.draws)


def joint_columns(lang: str = "fr") -> list[Column]:
    """Columns of the joint plan's preparations: one row per bag, the bag's contents."""
    at = PARIS_TIME[lang]
    names = [n.format(at=at) for n in _words(lang)["cols"]]
    kinds = ("date", "datetime", "text", "int", "int", "datetime", "datetime", "float",
             "float", "float", "float", "float", "float", "float", "float", "float", "text",
             "text", "text", "datetime", "text", "float")
    fmts = (_DAY_FMT[lang], None, None, None, None, None, None, "0.0#", "0.0#", "0.00",
            "0.00", "0.00", "0.00", "0.00", "0.00", "0.0#", None, None, None, None, None,
            "0.00")
    return [Column(n, k, f) for n, k, f in zip(names, kinds, fmts, strict=True)]


def joint_rows(plan: PharmacyPlan, lang: str = "fr") -> list[list[Cell]]:
    """One row per preparation, in the order of the sessions and their slots."""
    bags = _bag_index(plan)
    rows: list[list[Cell]] = []
    for s in plan.sessions:
        for p in s.preparations:
            patient, bag = bags[(p.patient_id, p.cycle, p.bag)]
            rows.append([
                s.day, p.slot, p.patient_id, p.cycle, p.bag, p.hang_at, bag.expires_at,
                bag.duration_h, bag.overfill_h, bag.rate_ug_per_day, round(bag.dose_ug, 2),
                bag.volume_ml, bag.drug_ml, bag.nacl_ml, bag.stabiliser_ml, bag.pump_rate_ml_h,
                L.changed_by(p.changed_by, lang), destination(patient, p.changed_by, lang),
                patient.commune or "", p.courier_departure, _draws_text(p, lang),
                round(sum(d.ug for d in p.draws if d.reused), 2),
            ])
    return rows


def _session_table(plan: PharmacyPlan, lang: str) -> tuple[list[Column], list[list[Cell]]]:
    w = _words(lang)
    kinds = ("date", "int", "float", "int", "text", "float", "float", "float", "bool")
    cols = [Column(n, k, _DAY_FMT[lang] if k == "date" else None)
            for n, k in zip(w["session_cols"], kinds, strict=True)]
    rows: list[list[Cell]] = [
        [s.day, len(s.preparations), round(sum(p.dose_ug for p in s.preparations), 2),
         s.vials_opened, " ".join(s.lots_opened), round(s.reused_ug, 2), round(s.waste_ug, 2),
         s.waste_eur, s.over_capacity] for s in plan.sessions]
    return cols, rows


def _lot_table(plan: PharmacyPlan, lang: str) -> tuple[list[Column], list[list[Cell]]]:
    w = _words(lang)
    at = PARIS_TIME[lang]
    kinds = ("text", "datetime", "datetime", "int", "text", "text", "float", "float")
    cols = [Column(n.format(at=at), k) for n, k in zip(w["lot_cols"], kinds, strict=True)]
    rows: list[list[Cell]] = [
        [lot.id, lot.reconstituted_at, lot.expires_at, lot.vials, lot.opened_for,
         " ".join(lot.served), round(lot.waste_ug, 2), lot.waste_eur] for lot in plan.lots]
    return cols, rows


def _comparison_table(plan: PharmacyPlan, lang: str) -> tuple[list[Column], list[list[Cell]]]:
    w = _words(lang)
    c = plan.comparison
    cols = [Column(w["cmp_cols"][0], "text"), Column(w["cmp_cols"][1], "float", "General"),
            Column(w["cmp_cols"][2], "float", "General"),
            Column(w["cmp_cols"][3], "float", "General"), Column(w["cmp_cols"][4], "text")]
    rows: list[list[Cell]] = []
    for key, (label, unit) in w["figures"].items():
        rows.append([label, getattr(c.joint, key), getattr(c.single, key),
                     getattr(c.practice, key) if c.practice is not None else None, unit])
    return cols, rows


def _move_table(plan: PharmacyPlan, lang: str) -> tuple[list[Column], list[list[Cell]]]:
    w = _words(lang)
    kinds = ("text", "int", "int") + ("datetime",) * 6
    cols = [Column(n, k) for n, k in zip(w["move_cols"], kinds, strict=True)]
    rows: list[list[Cell]] = [
        [m.patient_id, m.cycle, m.bag, *(m.before or (None, None, None)),
         *(m.after or (None, None, None))] for m in plan.moved]
    return cols, rows


JOINT_NAMES = {
    "fr": {"preparations": "preparations.csv", "sessions": "seances.csv", "lots": "lots.csv",
           "comparison": "comparaison.csv", "moves": "deplacements.csv",
           "xlsx": "plan_production.xlsx", "html": "fiches_production.html",
           "json": "plan_production.json", "text": "plan_production.txt"},
    "en": {"preparations": "preparations.csv", "sessions": "sessions.csv", "lots": "lots.csv",
           "comparison": "comparison.csv", "moves": "moves.csv",
           "xlsx": "production_plan.xlsx", "html": "production_sheets.html",
           "json": "production_plan.json", "text": "production_plan.txt"},
}
"""File names of the joint plan's outputs, per language."""


def write_joint_csvs(plan: PharmacyPlan, folder: Path, lang: str = "fr",
                     dialect: str = "excel-fr") -> list[Path]:
    """Preparations, sessions, lots, comparison (and moves, after a re-plan) as CSV files."""
    L.check_lang(lang)
    check_dialect(dialect)
    names = JOINT_NAMES[lang]
    folder.mkdir(parents=True, exist_ok=True)
    tables = [("preparations", joint_columns(lang), joint_rows(plan, lang)),
              ("sessions", *_session_table(plan, lang)), ("lots", *_lot_table(plan, lang)),
              ("comparison", *_comparison_table(plan, lang))]
    if plan.moved:
        tables.append(("moves", *_move_table(plan, lang)))
    return [write_csv(folder / names[key], [c.header for c in cols], rows, dialect)
            for key, cols, rows in tables]


def write_joint_xlsx(plan: PharmacyPlan, path: Path, lang: str = "fr") -> Path:
    """The joint plan as one workbook: preparations, sessions, lots, comparison (and moves).

    Cells are typed as in every spreadsheet of hadplanner
    (:func:`hadplanner.export._spreadsheet.add_sheet`).
    """
    L.check_lang(lang)
    w = _words(lang)
    wb = new_workbook()
    title = w["title"]
    add_sheet(wb, w["sheet"]["preparations"], joint_columns(lang), joint_rows(plan, lang), lang,
              print_title=title)
    for key, table in (("sessions", _session_table), ("lots", _lot_table),
                       ("comparison", _comparison_table)):
        cols, rows = table(plan, lang)
        add_sheet(wb, w["sheet"][key], cols, rows, lang, print_title=title)
    if plan.moved:
        cols, rows = _move_table(plan, lang)
        add_sheet(wb, w["sheet"]["moves"], cols, rows, lang, print_title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _figure(value: Cell, lang: str) -> str:
    """A figure of the comparison: whole numbers plain, others to two decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    return L.number(value, 0 if float(value).is_integer() else 2, lang)


def _gap(value: float | None, lang: str) -> str:
    return "—" if value is None else f"{L.number(100 * value, 2, lang)} %"


def joint_summary(plan: PharmacyPlan, lang: str = "fr") -> str:
    """A few lines for the terminal and the top of the printed sheets."""
    L.check_lang(lang)
    w = _words(lang)
    s = plan.solver
    j, one = plan.comparison.joint, plan.comparison.single
    lines = [
        w["title"],
        w["horizon"].format(start=L.date(plan.start, lang),
                            end=L.date(plan.end - dt.timedelta(days=1), lang),
                            weeks=plan.weeks, n=len(plan.patients), bags=j.bags),
        w["capacity"].format(day=plan.settings.capacity_per_day,
                             slot=plan.settings.capacity_per_slot,
                             slot_min=_slot_minutes(plan),
                             stab=L.hours(plan.settings.vial_stability_h, lang)),
        w["solver"].format(status=w["status"].get(s.status, s.status),
                           seconds=L.number(s.seconds, 1, lang),
                           objective=L.number(s.objective or 0, 0, lang),
                           bound=L.number(s.bound or 0, 0, lang), gap=_gap(s.gap, lang),
                           vials=s.vial_bound),
        w["saved"].format(n=one.vials - j.vials, eur=L.euros(one.euros - j.euros, lang)),
    ]
    if plan.frozen_until is not None:
        lines.append(w["frozen"].format(until=L.when(plan.frozen_until, lang, year=True),
                                        n=plan.frozen_bags))
    if plan.skipped:
        lines.append(w["skipped"].format(ids=", ".join(plan.skipped)))
    if plan.comparison.practice is None and plan.comparison.practice_note:
        lines.append(w["practice_missing"].format(why=plan.comparison.practice_note))
    bag = next((b for p in plan.patients for c in p.plan.cycles for b in c.bags), None)
    if bag is not None:
        lines.append(w["contents_check"].format(stab=L.number(bag.stabiliser_ml, 1, lang),
                                                rate=L.number(bag.pump_rate_ml_h, 1, lang)))
    return "\n".join(lines) + "\n"


def _slot_minutes(plan: PharmacyPlan) -> int:
    return plan.prep_slot_min


def joint_text(plan: PharmacyPlan, lang: str = "fr") -> str:
    """The summary, the comparison and one block per session (plain text)."""
    w = _words(lang)
    out = [joint_summary(plan, lang)]
    cols, rows = _comparison_table(plan, lang)
    out.append(w["comparison"])
    for r in rows:
        vals = [_figure(x, lang) for x in r[1:4]]
        out.append(f"  {r[0]:<52} {vals[0]:>12} {vals[1]:>12} {vals[2]:>12}  {r[4]}")
    out.append("")
    bags = _bag_index(plan)
    for s in plan.sessions:
        out.append(w["day_title"].format(day=L.date(s.day, lang)))
        for p in s.preparations:
            patient, _bag = bags[(p.patient_id, p.cycle, p.bag)]
            out.append(f"  {L.local(p.slot):%H:%M}  {p.patient_id:<8} {p.cycle}/{p.bag:<2} "
                       f"{L.number(p.dose_ug, 2, lang):>8}  -> {L.when(p.hang_at, lang)}  "
                       f"{destination(patient, p.changed_by, lang)}  [{_draws_text(p, lang)}]")
        out.append("  " + w["day_total"].format(
            n=len(s.preparations), dose=L.number(sum(p.dose_ug for p in s.preparations), 2,
                                                 lang),
            vials=s.vials_opened, reused=L.number(s.reused_ug, 2, lang),
            waste=L.number(s.waste_ug, 2, lang), eur=L.euros(s.waste_eur, lang)))
        out.append("")
    return "\n".join(out)


def joint_html(plan: PharmacyPlan, lang: str = "fr") -> str:
    """The printable sheets (HTML to A4 landscape): a summary page, then one page a day."""
    import jinja2

    L.check_lang(lang)
    w = _words(lang)
    env = jinja2.Environment(loader=jinja2.PackageLoader("hadplanner.export", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    bags = _bag_index(plan)
    lots = {lot.id: lot for lot in plan.lots}
    days = []
    for s in plan.sessions:
        rows = []
        for p in s.preparations:
            patient, bag = bags[(p.patient_id, p.cycle, p.bag)]
            rows.append({
                "slot": f"{L.local(p.slot):%H:%M}", "patient": p.patient_id,
                "bag": f"{p.cycle}/{p.bag}", "hang": L.when(p.hang_at, lang),
                "dest": destination(patient, p.changed_by, lang),
                "commune": patient.commune or "", "leave": L.when(p.courier_departure, lang),
                "dose": L.number(bag.dose_ug, 2, lang),
                "content": f"{L.number(bag.volume_ml, 2, lang)} = "
                           f"{L.number(bag.drug_ml, 2, lang)} + {L.number(bag.nacl_ml, 2, lang)}"
                           f" + {L.number(bag.stabiliser_ml, 2, lang)}",
                "rate": f"{L.number(bag.rate_ug_per_day, 2, lang)} / "
                        f"{L.number(bag.pump_rate_ml_h, 2, lang)}",
                "duration": f"{L.hours(bag.duration_h, lang)} + {L.hours(bag.overfill_h, lang)}",
                "expiry": L.when(bag.expires_at, lang),
                "lots": _draws_text(p, lang),
            })
        opened = [w["lot_line"].format(lot=i, vials=lots[i].vials,
                                       at=L.when(lots[i].reconstituted_at, lang),
                                       until=L.when(lots[i].expires_at, lang))
                  for i in s.lots_opened]
        total = w["day_total"].format(
            n=len(s.preparations), dose=L.number(sum(p.dose_ug for p in s.preparations), 2,
                                                 lang),
            vials=s.vials_opened, reused=L.number(s.reused_ug, 2, lang),
            waste=L.number(s.waste_ug, 2, lang), eur=L.euros(s.waste_eur, lang))
        days.append({"title": w["day_title"].format(day=L.date(s.day, lang)), "rows": rows,
                     "opened": opened, "total": total, "over": s.over_capacity})
    _, cmp_rows = _comparison_table(plan, lang)
    cmp = [[r[0], *(_figure(x, lang) for x in r[1:4]), r[4]] for r in cmp_rows]
    moves = [[m.patient_id, m.cycle, m.bag,
              " → ".join(L.when(t, lang) for t in m.before) if m.before else w["none"],
              " → ".join(L.when(t, lang) for t in m.after) if m.after else w["none"]]
             for m in plan.moved]
    return env.get_template("production.html.j2").render(
        lang=lang, w=w, title=w["title"], summary=joint_summary(plan, lang).splitlines()[1:],
        cmp=cmp, moves=moves, previous=plan.frozen_until is not None, days=days)
