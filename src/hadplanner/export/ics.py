"""A plan as an iCalendar file (RFC 5545) for the calendar programs of the teams.

Per bag, two events: the preparation in the hospital pharmacy (PUI) and the
bag change (hanging the bag), whose description gives the dose, the rate, the
vials and the expiry of the bag (preparation + stability). One more event per
cycle marks the end of the infusion. Times are written in Europe/Paris with a
VTIMEZONE, so that a change planned at "10:00" stays at 10:00 for someone who
imports the file from another zone, across daylight-saving changes too.
"""

from __future__ import annotations

import datetime as dt

from hadplanner.export import _labels as L
from hadplanner.models.plan import Bag, CyclePlan, Plan

# Default stability of a prepared bag (spec: 96 h), used for the expiry shown
# in each event when the caller does not pass the request's own setting.
DEFAULT_STABILITY_H = 96.0

# How long each event blocks in a calendar: a change at the bedside or day
# hospital takes about half an hour; a preparation in the clean room an hour.
_CHANGE_MIN = 30
_PREPARATION_MIN = 60

_TEXT = {
    "fr": {
        "change": "Changement de poche n°{k} — {who} (cycle {c})",
        "first": "Pose de la poche n°{k} — {who} (début du cycle {c})",
        "prep": "Préparation PUI poche n°{k} (cycle {c}) — {patient}",
        "end": "Fin de perfusion — cycle {c} — {patient}",
        "desc": (
            "Patient {patient} — {drug}\n"
            "Poche n°{k} du cycle {c} ({regimen})\n"
            "Pose : {start}\nFin : {end} ({hours} h)\n"
            "Débit : {rate} µg/j ; surremplissage {overfill} h\n"
            "Dose : {dose} µg ; flacons : {vials}\n"
            "Préparée le {prepared} ; à utiliser avant le {expiry}\n"
            "Posée par : {who}"
        ),
        "end_desc": "Patient {patient} — fin des 28 jours de perfusion du cycle {c}",
        "calname": "Poches {drug} — {patient}",
    },
    "en": {
        "change": "Bag change #{k} — {who} (cycle {c})",
        "first": "Hang bag #{k} — {who} (start of cycle {c})",
        "prep": "PUI preparation bag #{k} (cycle {c}) — {patient}",
        "end": "End of infusion — cycle {c} — {patient}",
        "desc": (
            "Patient {patient} — {drug}\n"
            "Bag #{k} of cycle {c} ({regimen})\n"
            "Hung: {start}\nEnds: {end} ({hours} h)\n"
            "Rate: {rate} µg/day; overfill {overfill} h\n"
            "Dose: {dose} µg; vials: {vials}\n"
            "Prepared {prepared}; use before {expiry}\n"
            "Hung by: {who}"
        ),
        "end_desc": "Patient {patient} — end of the 28 infusion days of cycle {c}",
        "calname": "{drug} bags — {patient}",
    },
}


def _uid(plan: Plan, cycle: CyclePlan, what: str, bag: Bag | None = None) -> str:
    """A UID stable across runs of the same plan, so that re-importing updates events."""
    start = L.local(cycle.start).strftime("%Y%m%dT%H%M")
    part = f"-b{bag.index}" if bag is not None else ""
    return f"{plan.patient_id}-{start}-c{cycle.number}{part}-{what}@hadplanner"


def _description(plan: Plan, cycle: CyclePlan, bag: Bag, lang: str, stability_h: float) -> str:
    expiry = bag.prepared_at + dt.timedelta(hours=stability_h)
    return _TEXT[lang]["desc"].format(
        patient=plan.patient_id,
        drug=plan.drug,
        k=bag.index,
        c=cycle.number,
        regimen=cycle.regimen,
        start=L.instant(bag.start, lang),
        end=L.instant(bag.end, lang),
        hours=L.hours(bag.duration_h, lang),
        rate=L.number(bag.rate_ug_per_day, 1, lang),
        overfill=L.hours(bag.overfill_h, lang),
        dose=L.number(bag.dose_ug, 2, lang),
        vials=bag.vials,
        prepared=L.instant(bag.prepared_at, lang),
        expiry=L.instant(expiry, lang),
        who=L.changed_by(bag.changed_by, lang),
    )


def plan_to_ics(
    plan: Plan,
    lang: str = "fr",
    *,
    stability_h: float = DEFAULT_STABILITY_H,
    stamp: dt.datetime | None = None,
) -> bytes:
    """Write `plan` as an iCalendar file.

    Parameters
    ----------
    plan
        The plan to export.
    lang
        ``"fr"`` (default) or ``"en"``.
    stability_h
        Stability of a prepared bag, for the expiry written in each change
        event (the request's ``settings.stability_h``).
    stamp
        DTSTAMP of every event (default: now, UTC); fixed in tests for
        reproducible output.

    Returns
    -------
    bytes
        The ``.ics`` content (UTF-8, CRLF line ends).
    """
    import icalendar  # only this output needs it

    lang = L.check_lang(lang)
    t = _TEXT[lang]
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//hadplanner//plan des changements de poche//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", t["calname"].format(drug=plan.drug, patient=plan.patient_id))
    cal.add("x-wr-timezone", "Europe/Paris")

    def event(uid: str, summary: str, start: dt.datetime, minutes: int, desc: str) -> None:
        ev = icalendar.Event()
        ev.add("uid", uid)
        ev.add("dtstamp", stamp)
        ev.add("summary", summary)
        ev.add("dtstart", L.local(start))
        ev.add("dtend", L.local(start) + dt.timedelta(minutes=minutes))
        ev.add("description", desc)
        cal.add_component(ev)

    for cycle in plan.cycles:
        for bag in cycle.bags:
            who = L.changed_by(bag.changed_by, lang)
            desc = _description(plan, cycle, bag, lang, stability_h)
            key = "first" if bag.index == 1 else "change"
            event(
                _uid(plan, cycle, "prep", bag),
                t["prep"].format(k=bag.index, c=cycle.number, patient=plan.patient_id),
                bag.prepared_at,
                _PREPARATION_MIN,
                desc,
            )
            event(
                _uid(plan, cycle, "change", bag),
                t[key].format(k=bag.index, who=who, c=cycle.number),
                bag.start,
                _CHANGE_MIN,
                desc,
            )
        event(
            _uid(plan, cycle, "end"),
            t["end"].format(c=cycle.number, patient=plan.patient_id),
            cycle.end,
            _CHANGE_MIN,
            t["end_desc"].format(c=cycle.number, patient=plan.patient_id),
        )
    first = min((c.start for c in plan.cycles), default=stamp)
    last = max((c.end for c in plan.cycles), default=stamp)
    # VTIMEZONE rules only for the span of the plan: a compact file that
    # calendar programs still resolve exactly.
    cal.add_missing_timezones(
        first_date=(first - dt.timedelta(days=30)).date(),
        last_date=(last + dt.timedelta(days=30)).date(),
    )
    return cal.to_ical()
