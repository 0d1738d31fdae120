"""Plans as an iCalendar file (RFC 5545) for the calendar programs of the teams.

Per bag, two events: the preparation in the hospital pharmacy (PUI), which
*ends* when compounding ends (``prepared_at``, where stability starts
counting), and the bag change (hanging the bag), whose description gives the
dose, the rate, the vials and the expiry of the bag (preparation +
stability). One more event per cycle marks the end of the infusion.

Every title starts with the patient's pseudonym, so that several patients in
one calendar stay apart; every event has a LOCATION (PUI, ward, day hospital,
or the home commune) and the bag changes and ends of infusion a reminder
(VALARM). Times are written in Europe/Paris with a VTIMEZONE, so that a change
planned at "10:00" stays at 10:00 for someone who imports the file from
another zone, across daylight-saving changes too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from hadplanner.errors import InputError
from hadplanner.export import _labels as L
from hadplanner.models.plan import Bag, ChangedBy, CyclePlan, Plan

if TYPE_CHECKING:
    from hadplanner.models.request import Request

# Default stability of a prepared bag (spec: 96 h), used for the expiry shown
# in each event when the caller does not pass the request's own setting.
DEFAULT_STABILITY_H = 96.0

DEFAULT_PREPARATION_MIN = 60
"""How long compounding one bag takes in the clean room: the preparation event
starts this long before ``prepared_at`` and ends at it."""

DEFAULT_REMINDER_MIN = 60
"""Reminder (VALARM) before each bag change and end of infusion."""

# A change at the bedside, the day hospital or the home takes about half an hour.
_CHANGE_MIN = 30

_TEXT = {
    "fr": {
        "change": "{patient} — Changement de poche n°{k} (cycle {c}) — {who}",
        "first": "{patient} — Pose de la poche n°{k} (début du cycle {c}) — {who}",
        "prep": "{patient} — Préparation PUI poche n°{k} (cycle {c})",
        "end": "{patient} — Fin de perfusion (cycle {c})",
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
        "pui": "PUI (pharmacie à usage intérieur)",
        ChangedBy.inpatient: "Service d'hospitalisation",
        ChangedBy.day_hospital: "Hôpital de jour",
        ChangedBy.had_nurse: "Domicile",
        "no_home": "Domicile du patient (commune non renseignée)",
    },
    "en": {
        "change": "{patient} — Bag change #{k} (cycle {c}) — {who}",
        "first": "{patient} — Hang bag #{k} (start of cycle {c}) — {who}",
        "prep": "{patient} — PUI preparation bag #{k} (cycle {c})",
        "end": "{patient} — End of infusion (cycle {c})",
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
        "pui": "PUI (hospital pharmacy)",
        ChangedBy.inpatient: "Inpatient ward",
        ChangedBy.day_hospital: "Day hospital",
        ChangedBy.had_nurse: "Home",
        "no_home": "Patient's home (commune not given)",
    },
}


def _uid(plan: Plan, cycle: CyclePlan, what: str, bag: Bag | None = None) -> str:
    """A UID stable across runs of the same plan, so that re-importing updates events."""
    start = L.local(cycle.start).strftime("%Y%m%dT%H%M")
    part = f"-b{bag.index}" if bag is not None else ""
    return f"{plan.patient_id}-{start}-c{cycle.number}{part}-{what}@hadplanner"


def _description(plan: Plan, cycle: CyclePlan, bag: Bag, lang: str, stability_h: float) -> str:
    expiry = bag.expires_at  # real hours from preparation, across a clock change too
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


def _place(what: ChangedBy | str, lang: str, home: str | None, hospital: str | None) -> str:
    """LOCATION of an event: the PUI, the ward, the day hospital or the home commune."""
    t = _TEXT[lang]
    if what == ChangedBy.had_nurse:
        return f"{t[what]} — {home}" if home else t["no_home"]
    base = t["pui"] if what == "pui" else t[ChangedBy(what)]
    return f"{base} — {hospital}" if hospital else base


def calendar_places(request: Request, territory: str = "occitanie") -> dict[str, str | None]:
    """The ``home`` and ``hospital`` of a request's calendar, for :func:`plan_to_ics`.

    ``home`` is the home commune's name and INSEE code (``Toulouse (31555)``),
    from the territory, else from the national table of French communes; for
    a home given as a point, the territory's commune containing it, else the
    point's coordinates; ``None`` when the request gives no home (the events
    then say the commune is not given).
    ``hospital`` is the name of the territory's prescribing centre (its PUI,
    ward and day hospital), ``None`` when the territory has none.

    Use: ``plan_to_ics(plan, lang, **calendar_places(request, territory))``.
    """
    from hadplanner.pathway.transport import commune_name
    from hadplanner.territory.loading import load_places

    places = load_places(territory)  # no polygons: names and the centre
    hospital = places.centre.name if places.centre is not None else None
    home = request.patient.home
    code: str | None = None
    where: str | None = None
    if home is not None and home.commune is not None:
        code = home.commune
    elif home is not None and home.lat is not None and home.lon is not None:
        from hadplanner.territory.loading import load_territory  # the polygons

        code = load_territory(territory).commune_at(home.lat, home.lon)
        if code is None:
            where = f"{home.lat:.5f}, {home.lon:.5f}"
    if code is not None:
        name = commune_name(code, territory)
        where = f"{name} ({code})" if name else f"INSEE {code}"
    return {"home": where, "hospital": hospital}


def plan_to_ics(
    plan: Plan,
    lang: str = "fr",
    *,
    stability_h: float = DEFAULT_STABILITY_H,
    stamp: dt.datetime | None = None,
    home: str | None = None,
    hospital: str | None = None,
    preparation_min: int = DEFAULT_PREPARATION_MIN,
    reminder_min: int | None = DEFAULT_REMINDER_MIN,
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
    home
        The patient's home commune, for the LOCATION of changes by the HAD
        nurse (see :func:`calendar_places`); without it the location says the
        commune is not given.
    hospital
        Name of the hospital of the PUI, ward and day hospital.
    preparation_min
        Length of a preparation event, which ends at ``prepared_at``
        (default :data:`DEFAULT_PREPARATION_MIN`).
    reminder_min
        Reminder before each bag change and end of infusion, in minutes
        (default :data:`DEFAULT_REMINDER_MIN`); ``None``: no reminder.

    Returns
    -------
    bytes
        The ``.ics`` content (UTF-8, CRLF line ends).
    """
    return plans_to_ics(
        [plan],
        lang,
        stability_h=stability_h,
        stamp=stamp,
        homes={plan.patient_id: home},
        hospital=hospital,
        preparation_min=preparation_min,
        reminder_min=reminder_min,
    )


def plans_to_ics(
    plans: Sequence[Plan],
    lang: str = "fr",
    *,
    stability_h: float = DEFAULT_STABILITY_H,
    stamp: dt.datetime | None = None,
    homes: Mapping[str, str | None] | None = None,
    hospital: str | None = None,
    preparation_min: int = DEFAULT_PREPARATION_MIN,
    reminder_min: int | None = DEFAULT_REMINDER_MIN,
) -> bytes:
    """Several patients' plans in one iCalendar file (e.g. the HAD's or the PUI's calendar).

    Parameters are those of :func:`plan_to_ics`; ``homes`` maps a patient id
    to the home commune.

    Raises
    ------
    InputError
        A preparation length that is not positive or a negative reminder.
    """
    import icalendar  # only this output needs it

    lang = L.check_lang(lang)
    if preparation_min <= 0:
        raise InputError(f"preparation length must be positive, got {preparation_min} min")
    if reminder_min is not None and reminder_min < 0:
        raise InputError(f"reminder must be zero or more minutes before, got {reminder_min}")
    t = _TEXT[lang]
    homes = homes or {}
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//hadplanner//plan des changements de poche//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    patients = ", ".join(dict.fromkeys(p.patient_id for p in plans))
    drugs = ", ".join(dict.fromkeys(p.drug for p in plans))
    cal.add("x-wr-calname", t["calname"].format(drug=drugs, patient=patients))
    cal.add("x-wr-timezone", "Europe/Paris")

    def event(
        uid: str,
        summary: str,
        start: dt.datetime,
        end: dt.datetime,
        desc: str,
        location: str,
        remind: bool,
    ) -> None:
        ev = icalendar.Event()
        ev.add("uid", uid)
        ev.add("dtstamp", stamp)
        ev.add("summary", summary)
        ev.add("dtstart", L.local(start))
        ev.add("dtend", L.local(end))
        ev.add("location", location)
        ev.add("description", desc)
        if remind and reminder_min is not None:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", dt.timedelta(minutes=-reminder_min))
            ev.add_component(alarm)
        cal.add_component(ev)

    change = dt.timedelta(minutes=_CHANGE_MIN)
    for plan in plans:
        who_id = plan.patient_id
        home = homes.get(who_id)
        for cycle in plan.cycles:
            for bag in cycle.bags:
                who = L.changed_by(bag.changed_by, lang)
                desc = _description(plan, cycle, bag, lang, stability_h)
                key = "first" if bag.index == 1 else "change"
                event(
                    _uid(plan, cycle, "prep", bag),
                    t["prep"].format(k=bag.index, c=cycle.number, patient=who_id),
                    bag.prepared_at - dt.timedelta(minutes=preparation_min),
                    bag.prepared_at,
                    desc,
                    _place("pui", lang, home, hospital),
                    remind=False,
                )
                event(
                    _uid(plan, cycle, "change", bag),
                    t[key].format(k=bag.index, who=who, c=cycle.number, patient=who_id),
                    bag.start,
                    bag.start + change,
                    desc,
                    _place(bag.changed_by, lang, home, hospital),
                    remind=True,
                )
            event(
                _uid(plan, cycle, "end"),
                t["end"].format(c=cycle.number, patient=who_id),
                cycle.end,
                cycle.end + change,
                t["end_desc"].format(c=cycle.number, patient=who_id),
                # the pump is stopped where the last bag was hung
                _place(cycle.bags[-1].changed_by, lang, home, hospital),
                remind=True,
            )
    starts = [c.start for p in plans for c in p.cycles]
    ends = [c.end for p in plans for c in p.cycles]
    first = min(starts, default=stamp)
    last = max(ends, default=stamp)
    # VTIMEZONE rules only for the span of the plans: a compact file that
    # calendar programs still resolve exactly.
    cal.add_missing_timezones(
        first_date=(first - dt.timedelta(days=30)).date(),
        last_date=(last + dt.timedelta(days=30)).date(),
    )
    return cal.to_ical()


__all__ = [
    "DEFAULT_PREPARATION_MIN",
    "DEFAULT_REMINDER_MIN",
    "DEFAULT_STABILITY_H",
    "calendar_places",
    "plan_to_ics",
    "plans_to_ics",
]
