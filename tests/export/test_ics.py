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
    assert sum(s.startswith("Préparation PUI poche n°") for s in summaries) == bags
    assert sum(s.startswith("Changement de poche n°") for s in summaries) == bags - len(
        two_cycle_plan.cycles)
    home = next(b for b in two_cycle_plan.cycles[0].bags if b.changed_by == "had_nurse")
    assert f"Changement de poche n°{home.index} — infirmier HAD (cycle 1)" in summaries


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
    assert any(s.startswith("Bag change #2") for s in summaries)
    assert any(s.startswith("PUI preparation bag #1") for s in summaries)
