"""The iCalendar export: parses back, one event per preparation and per change."""

from __future__ import annotations

import datetime as dt

import icalendar

from hadplanner.export.ics import plan_to_ics

STAMP = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)


def _events(data: bytes) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return [c for c in cal.walk() if c.name == "VEVENT"]


def test_parses_back_with_one_event_per_change_and_preparation(two_cycle_plan):
    """Two events per bag (preparation, change) plus one end of infusion per cycle."""
    events = _events(plan_to_ics(two_cycle_plan, stamp=STAMP))
    bags = sum(len(c.bags) for c in two_cycle_plan.cycles)
    assert len(events) == 2 * bags + len(two_cycle_plan.cycles)
    summaries = [str(e["SUMMARY"]) for e in events]
    assert sum(s.startswith("P003 — Préparation PUI poche n°") for s in summaries) == bags
    assert sum(s.startswith("P003 — Changement de poche n°") for s in summaries) == bags - len(
        two_cycle_plan.cycles)
    home = next(b for b in two_cycle_plan.cycles[0].bags if b.changed_by == "had_nurse")
    assert f"P003 — Changement de poche n°{home.index} (cycle 1) — infirmier HAD" in summaries


def test_times_are_aware_and_uids_unique(dst_plan):
    """Every DTSTART is aware in Europe/Paris, every UID unique, every event stamped."""
    data = plan_to_ics(dst_plan, stamp=STAMP)
    cal = icalendar.Calendar.from_ical(data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = _events(data)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    for e in events:
        start = e.decoded("DTSTART")
        assert start.tzinfo is not None and start.utcoffset() is not None
        assert e.decoded("DTSTAMP") == STAMP
    offsets = {e.decoded("DTSTART").utcoffset() for e in events}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}


def test_change_event_matches_the_bag(dst_plan):
    """A change event starts at the bag's start and states its dose, vials and expiry."""
    bag = dst_plan.cycles[0].bags[4]
    events = _events(plan_to_ics(dst_plan, stamp=STAMP))
    ev = next(e for e in events if str(e["UID"]).endswith(f"-b{bag.index}-change@hadplanner"))
    assert ev.decoded("DTSTART") == bag.start
    text = str(ev["DESCRIPTION"])
    assert f"flacons : {bag.vials}" in text
    assert "à utiliser avant le" in text


def test_english_calendar(dst_plan):
    """lang='en' writes English summaries."""
    summaries = [str(e["SUMMARY"]) for e in _events(plan_to_ics(dst_plan, "en", stamp=STAMP))]
    assert any(s.startswith("P005 — Bag change #2") for s in summaries)
    assert any(s.startswith("P005 — PUI preparation bag #1") for s in summaries)


def test_preparation_ends_when_compounding_ends(example_plans):
    """Each preparation event ends at prepared_at, starts preparation_min before, and ends
    before its bag is hung, in every example plan."""
    for _, plan in example_plans.values():
        events = {str(e["UID"]): e for e in _events(plan_to_ics(plan, stamp=STAMP,
                                                                  preparation_min=45))}
        for cycle in plan.cycles:
            for bag in cycle.bags:
                key = next(u for u in events if u.endswith(f"c{cycle.number}-b{bag.index}-prep"
                                                           "@hadplanner"))
                prep = events[key]
                change = events[key.replace("-prep@", "-change@")]
                assert prep.decoded("DTEND") == bag.prepared_at
                assert prep.decoded("DTSTART") == bag.prepared_at - dt.timedelta(minutes=45)
                assert prep.decoded("DTEND") <= change.decoded("DTSTART") == bag.start


def test_locations_and_reminders(two_cycle_plan):
    """Changes are located at the ward, day hospital or home commune; only changes and
    ends of infusion carry a DISPLAY alarm reminder_min before."""
    data = plan_to_ics(two_cycle_plan, stamp=STAMP, home="Castres (81065)",
                       hospital="IUCT-Oncopole", reminder_min=90)
    events = _events(data)
    places = {
        "inpatient": "Service d'hospitalisation — IUCT-Oncopole",
        "had_nurse": "Domicile — Castres (81065)",
    }
    bags = {(c.number, b.index): b for c in two_cycle_plan.cycles for b in c.bags}
    for e in events:
        uid = str(e["UID"])
        alarms = e.walk("VALARM")
        if uid.endswith("-prep@hadplanner"):
            assert str(e["LOCATION"]) == "PUI (pharmacie à usage intérieur) — IUCT-Oncopole"
            assert alarms == []
            continue
        assert len(alarms) == 1
        assert str(alarms[0]["ACTION"]) == "DISPLAY"
        assert alarms[0].decoded("TRIGGER") == -dt.timedelta(minutes=90)
        if uid.endswith("-change@hadplanner"):
            c, b = uid.split("-")[-3:-1]
            bag = bags[(int(c[1:]), int(b[1:]))]
            assert str(e["LOCATION"]) == places[bag.changed_by]


def test_honest_fallbacks_without_places(two_cycle_plan):
    """Without a home or a hospital the locations say so; reminder_min=None drops alarms."""
    events = _events(plan_to_ics(two_cycle_plan, stamp=STAMP, reminder_min=None))
    locations = {str(e["LOCATION"]) for e in events}
    assert "Domicile du patient (commune non renseignée)" in locations
    assert "Service d'hospitalisation" in locations
    assert all(e.walk("VALARM") == [] for e in events)


def test_calendar_places_from_the_request(example_plans):
    """calendar_places names the home commune (from a code, or the commune containing a
    point) and the territory's prescribing centre."""
    from hadplanner.export.ics import calendar_places

    assert calendar_places(example_plans["P003-mrd-castres"][0]) == {
        "home": "Castres (81065)", "hospital": "IUCT-Oncopole"}
    point = example_plans["P005-march-dst"][0]
    assert point.patient.home.commune is None
    assert calendar_places(point)["home"] == "Montauban (82121)"


def test_several_patients_in_one_calendar(example_plans):
    """plans_to_ics puts two patients' events in one file, each title starting with its
    pseudonym and every UID unique."""
    from hadplanner.export.ics import plans_to_ics

    plans = [example_plans["P003-mrd-castres"][1], example_plans["P005-march-dst"][1]]
    events = _events(plans_to_ics(plans, stamp=STAMP))
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids) == sum(
        2 * len(c.bags) + 1 for p in plans for c in p.cycles)
    for p in plans:
        mine = [e for e in events if str(e["UID"]).startswith(p.patient_id + "-")]
        assert all(str(e["SUMMARY"]).startswith(p.patient_id + " — ") for e in mine)
