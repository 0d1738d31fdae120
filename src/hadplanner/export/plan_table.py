"""A plan as a readable text table (what ``hadplanner plan REQUEST`` prints).

One block per cycle (one line per bag), the plan's totals, then the plan set
against the current practice (fixed weekday pairs, 3- and 4-day bags) on the
same request, with one line for each fixed day the practice could not keep.
French by default; ``lang="en"`` for English.

Times are local wall times without their UTC offset (``lun. 04/01 10:00``).
When the legal time changes inside the table (last Sunday of March or of
October), a note under the title says so once, and the times that happen
twice in October (02:00-03:00) carry their offset.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from hadplanner.export import _labels as L
from hadplanner.models.plan import Baseline, CyclePlan, Plan, PlanTotals, PracticeDeviation

_TEXT: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Plan de changements de poche — patient {patient} — {drug}",
        "mode": "Changements de poche après l'hospitalisation : {who}",
        "cycle": "Cycle {n} ({regimen}) : du {start} au {end}",
        "inpatient": "Hospitalisation jusqu'au {until}",
        "headers": (
            "n°",
            "préparée le",
            "pose",
            "fin",
            "durée (h)",
            "surremplissage (h)",
            "débit (µg/j)",
            "dose (µg)",
            "flacons",
            "volume (mL)",
            "pompe (mL/h)",
            "périmée le",
            "posée par",
        ),
        "cycle_total": "Cycle {n} : {bags} poches, {vials} flacons",
        "totals": "Total",
        "compare": "Comparaison avec la pratique actuelle",
        "practice_days": "Pratique : changements à jours fixes {pair}, poches de 3 et 4 jours",
        "practice_infeasible": "Pratique actuelle infaisable sur cette demande : {reason}",
        "row_headers": ("", "plan", "pratique", "économie"),
        "rows": (
            "poches",
            "flacons",
            "coût du médicament",
            "venues en hôpital de jour",
            "visites infirmières HAD",
        ),
        "checked": "Plan vérifié : tous les invariants de sécurité sont respectés.",
        "unchecked": "ATTENTION : plan non vérifié par le contrôleur de sécurité.",
    },
    "en": {
        "title": "Bag-change plan — patient {patient} — {drug}",
        "mode": "Bag changes after discharge: {who}",
        "cycle": "Cycle {n} ({regimen}): from {start} to {end}",
        "inpatient": "Inpatient until {until}",
        "headers": (
            "#",
            "prepared",
            "hung",
            "ends",
            "hours",
            "overfill (h)",
            "rate (µg/day)",
            "dose (µg)",
            "vials",
            "volume (mL)",
            "pump (mL/h)",
            "expires",
            "hung by",
        ),
        "cycle_total": "Cycle {n}: {bags} bags, {vials} vials",
        "totals": "Total",
        "compare": "Compared with the current practice",
        "practice_days": "Practice: changes on fixed days {pair}, 3- and 4-day bags",
        "practice_infeasible": "The current practice cannot plan this request safely: {reason}",
        "row_headers": ("", "plan", "practice", "saving"),
        "rows": (
            "bags",
            "vials",
            "drug cost",
            "day-hospital trips",
            "HAD nurse visits",
        ),
        "checked": "Plan checked: every safety invariant holds.",
        "unchecked": "WARNING: this plan has not been through the safety checker.",
    },
}

# Numeric columns are right-aligned so that digits line up.
_RIGHT = {0, 4, 5, 6, 7, 8, 9, 10}


def _grid(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Lay out `rows` under `headers` in aligned columns with a rule under the headers."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _cycle_lines(cycle: CyclePlan, lang: str) -> list[str]:
    t = _TEXT[lang]
    lines = [
        t["cycle"].format(
            n=cycle.number,
            regimen=cycle.regimen,
            start=L.when(cycle.start, lang, year=True),
            end=L.when(cycle.end, lang, year=True),
        ),
        t["inpatient"].format(until=L.when(cycle.inpatient_until, lang, year=True)),
        "",
    ]
    rows = [
        (
            str(bag.index),
            L.when(bag.prepared_at, lang),
            L.when(bag.start, lang),
            L.when(bag.end, lang),
            L.hours(bag.duration_h, lang),
            L.hours(bag.overfill_h, lang),
            L.number(bag.rate_ug_per_day, 1, lang),
            L.number(bag.dose_ug, 2, lang),
            str(bag.vials),
            L.number(bag.volume_ml, 2, lang),
            L.number(bag.pump_rate_ml_h, 2, lang),
            L.when(bag.expires_at, lang),
            L.changed_by(bag.changed_by, lang),
        )
        for bag in cycle.bags
    ]
    lines += _grid(t["headers"], rows, _RIGHT)
    lines.append(
        t["cycle_total"].format(
            n=cycle.number, bags=len(cycle.bags), vials=sum(b.vials for b in cycle.bags)
        )
    )
    return lines


def _deviation_line(dev: PracticeDeviation, lang: str) -> str:
    """One line saying which fixed day the practice left, for what, and why."""
    why = []
    for code in dev.reasons:
        if code == "public_holiday" and dev.fixed_day is not None:
            name = L.holiday_name(dev.fixed_day, lang) or dev.holiday or "?"
            why.append(L.word(code, lang, name=name))
        else:
            why.append(L.word(code, lang))
    days = [L.short_date(c, lang) for c in dev.changes]
    joiner = f" {L.word('and', lang)} " + ("du " if lang == "fr" else "")
    to = ", ".join(days[:-1]) + joiner + days[-1] if len(days) > 1 else "".join(days)
    if dev.fixed_day is None:
        key = "dev_extra"
    elif not dev.changes:
        key = "dev_skipped"
    elif len(dev.changes) > 1:
        key = "dev_split"
    else:
        key = "dev_earlier" if L.local(dev.changes[0]).date() < dev.fixed_day else "dev_later"
    fixed = L.short_date(dev.fixed_day, lang) if dev.fixed_day is not None else ""
    return L.word(key, lang, n=dev.cycle, fixed=fixed, to=to, why=", ".join(why))


def _totals_row(totals: PlanTotals | Baseline) -> tuple[float | None, ...]:
    return (
        totals.bags,
        totals.vials,
        totals.euros,
        totals.day_hospital_trips,
        totals.nurse_visits,
    )


def _comparison_lines(plan: Plan, lang: str) -> list[str]:
    t = _TEXT[lang]
    base = plan.baseline
    lines = [t["compare"], ""]
    if not base.feasible:
        # The reason names constraints and instants for each pair: wrap it.
        text = t["practice_infeasible"].format(reason=base.reason or "?")
        lines += textwrap.wrap(text, width=100, subsequent_indent="  ", break_on_hyphens=False)
        lines.append("")
    elif base.weekdays:
        pair = "/".join(L.weekday_code_label(d, lang) for d in base.weekdays)
        lines.append(t["practice_days"].format(pair=pair))
        if base.deviations:
            lines.append(L.word("deviations", lang))
            lines += ["  " + _deviation_line(dev, lang) for dev in base.deviations]
        else:
            lines.append(L.word("no_deviation", lang))
        lines.append("")
    mine = _totals_row(plan.totals)
    theirs = _totals_row(base) if base.feasible else (None,) * len(mine)
    rows = []
    for i, (label, a, b) in enumerate(zip(t["rows"], mine, theirs, strict=True)):
        fmt = (lambda v: L.euros(v, lang)) if i == 2 else (lambda v: L.number(v, 0, lang))
        saving = "" if a is None or b is None else fmt(b - a)
        rows.append((label, fmt(a) if a is not None else "—", fmt(b) if b is not None else "—",
                     saving))
    lines += _grid(t["row_headers"], rows, {1, 2, 3})
    return lines


def _legal_time_notes(plan: Plan, lang: str) -> list[str]:
    """The note on each legal-time change between the first preparation and the last end."""
    if not plan.cycles:
        return []
    first = min((b.prepared_at for c in plan.cycles for b in c.bags), key=lambda t: t.timestamp())
    last = max((c.end for c in plan.cycles), key=lambda t: t.timestamp())
    return L.offset_change_notes(first, last, lang)


def plan_table(plan: Plan, lang: str = "fr", notes: Sequence[str] = ()) -> str:
    """Render `plan` as a text table for a terminal or a printed sheet.

    Parameters
    ----------
    plan
        A plan, normally one the checker has passed (``plan.checked``).
    lang
        ``"fr"`` (default) or ``"en"``.
    notes
        Extra lines printed under the title (e.g. where the road time to the
        patient's home comes from), already in `lang`.

    Returns
    -------
    str
        The table, lines joined by ``\\n``, ending with a newline.
    """
    lang = L.check_lang(lang)
    t = _TEXT[lang]
    lines = [
        t["title"].format(patient=plan.patient_id, drug=plan.drug),
        t["mode"].format(who=L.changed_by(plan.change_mode, lang)),
        *notes,
        *_legal_time_notes(plan, lang),
        "",
    ]
    for cycle in plan.cycles:
        lines += _cycle_lines(cycle, lang)
        lines.append("")
    lines += _comparison_lines(plan, lang)
    lines.append("")
    lines.append(t["checked"] if plan.checked else t["unchecked"])
    return "\n".join(lines) + "\n"
