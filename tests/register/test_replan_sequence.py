"""The scripted sequence of issue 11: admit, plan, then four events, each rule checked.

P001 (cycle 1 rr-induction-c1 from Monday 4 January 2027 10:00, cycle 2 rr-cycle;
changes at home by the HAD nurse, Toulouse, 0.35 h from the PUI): a pump failure on
day 12, a 30 h interruption on day 16, a readmission on day 20 for 3 days, an 8-day
interruption in cycle 2.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from hadplanner.models.request import UTC
from hadplanner.register.events import parse_event
from hadplanner.register.replan import Replanned, first_slot_from, replan
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.checker import check_plan

from .replan_support import at, example, past_problems

H = dt.timedelta(hours=1)

EVENTS = [
    {"kind": "pump_failure", "at": "2027-01-15T14:07"},  # day 12, a Friday afternoon
    {"kind": "interruption", "at": "2027-01-19T10:07", "until": "2027-01-20T16:07"},  # day 16
    {"kind": "readmission", "at": "2027-01-23T11:13", "until": "2027-01-26T11:13"},  # day 20
    {"kind": "interruption", "at": "2027-02-27T09:40", "until": "2027-03-07T09:40"},  # 8 days
]


@pytest.fixture(scope="module")
def steps() -> list[tuple[dict, object, object, Replanned, float]]:
    """(event, request before, plan before, result, seconds) of each step, in order."""
    request, plan = example("P001")
    out = []
    for e in EVENTS:
        t = time.perf_counter()
        res = replan(request, plan, parse_event(e))
        out.append((e, request, plan, res, time.perf_counter() - t))
        request, plan = res.request, res.plan
    return out


def test_every_new_plan_passes_the_checker(steps) -> None:
    """Each re-planned plan is checked and the independent checker finds nothing."""
    for _, _, _, res, _ in steps:
        assert res.plan.checked
        assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []


def test_the_past_is_unchanged_to_the_second(steps) -> None:
    """Every bag hung before an event is in the next plan, identical but a shorter end."""
    for e, _, before, res, _ in steps:
        when = at(e["at"])
        assert res.plan.frozen_until == when
        assert past_problems(before, res.plan, when) == []
        # and everything the previous events froze stays as it was
        assert past_problems(steps[0][2], res.plan, at(EVENTS[0]["at"])) == []


def test_pump_failure_new_bag_from_the_first_reachable_window(steps) -> None:
    """The failed bag stops at the failure; a new bag prepared after it in the first
    production window it can reach is hung at home within 4 h; the end moves by the gap."""
    e, req, before, res, _ = steps[0]
    when = at(e["at"])
    c0, c1 = before.cycles[0], res.plan.cycles[0]
    lost = next(b for b in c0.bags if b.start < when < b.end)
    stopped = c1.bags[lost.index - 1]
    assert stopped.end == when and stopped.planned_end == lost.end
    new = c1.bags[lost.index]
    assert new.prepared_at >= when
    cal = calendars_from_settings(req.settings)
    first = first_slot_from(cal.production, when, req.settings.prep_slot_min)
    assert first is not None and new.prepared_at.date() == first.date()
    window = cal.production.day_window(first.date())
    assert window is not None and window[0] <= new.prepared_at <= window[1]
    assert new.start - when < 4 * H and str(new.changed_by) == "had_nurse"
    assert [(p.start, p.end) for p in c1.interruptions] == [(when, new.start)]
    assert c1.end - c0.end == new.start - when
    assert any("perdue" in n for n in res.notices)


def test_thirty_hour_interruption(steps) -> None:
    """The cycle's end moves by 30 h, the running bag stops at the interruption, the
    first bag after it is hung in hospital at the restart; 28 days of infusion."""
    e, _, before, res, _ = steps[1]
    start, until = at(e["at"]), at(e["until"])
    c0, c1 = before.cycles[0], res.plan.cycles[0]
    assert c1.end - c0.end == 30 * H
    assert any(b.end == start for b in c1.bags)
    restart = next(b for b in c1.bags if b.start == until)
    assert str(restart.changed_by) in ("day_hospital", "inpatient")
    assert (until, ) == tuple(p.end for p in c1.interruptions if p.start == start)
    infused = sum((b.end - b.start for b in c1.bags), dt.timedelta(0))
    assert infused == dt.timedelta(days=28)
    # the day-8 step was before the interruption: it stays
    step = at("2027-01-11T10:00")
    assert any(b.start == step and b.rate_ug_per_day == 28 for b in c1.bags)
    assert any("prémédication" in n for n in res.notices)


def test_readmission_the_ward_hangs_every_bag_of_the_stay(steps) -> None:
    """Every change from admission to discharge (included) is done by the ward."""
    e, _, _, res, _ = steps[2]
    adm, dis = at(e["at"]), at(e["until"])
    c1 = res.plan.cycles[0]
    inside = [b for b in c1.bags if adm <= b.start <= dis]
    assert inside, "the stay has a bag change"
    assert all(str(b.changed_by) == "inpatient" for b in inside)
    assert [(p.start, p.end) for p in c1.ward_periods] == [(adm, dis)]
    assert res.plan.totals.nurse_visits < steps[2][2].totals.nurse_visits


def test_eight_day_interruption_starts_a_new_cycle(steps) -> None:
    """Cycle 2 stops at the interruption; cycle 3 starts at the restart, by the ward, with
    a later cycle's inpatient days; cycle 1 is untouched."""
    e, _, before, res, _ = steps[3]
    start, until = at(e["at"]), at(e["until"])
    c1, c2, c3 = res.plan.cycles
    assert c1 == before.cycles[0]
    assert c2.stopped_at == start == c2.end == c2.bags[-1].end and not c2.interruptions
    assert c3.number == 3 and c3.regimen == "rr-cycle" and c3.start >= until
    assert c3.inpatient_until.astimezone(UTC) - c3.start.astimezone(UTC) == 48 * H
    assert str(c3.bags[0].changed_by) == "inpatient" and c3.bags[0].start == c3.start
    assert c3.end.astimezone(UTC) - c3.start.astimezone(UTC) == dt.timedelta(days=28)  # DST
    assert [c.number for c in res.request.cycles] == [1, 2, 3]
    assert res.request.cycles[1].stopped_at == start


def test_differences_in_french_and_english(steps) -> None:
    """The diff says what moved, was added, removed; vials and visits, in both languages."""
    _, _, _, res, _ = steps[1]
    fr, en = res.diff.lines(), res.diff.lines("en")
    assert any(line.startswith("Flacons :") for line in fr)
    assert any(line.startswith("Vials:") for line in en)
    assert any("ajoutée" in line for line in fr) and any("added" in line for line in en)
    assert any("arrêtée" in line for line in fr)
    assert res.diff.vials_after == res.plan.totals.vials
    assert res.diff.day_hospital_trips_after == res.diff.day_hospital_trips_before + 1


def test_each_replan_is_fast(steps) -> None:
    """A re-plan takes well under a second here (tens of milliseconds measured)."""
    assert max(s for *_, s in steps) < 1.0


def test_failure_on_friday_evening_sends_the_patient_to_the_hospital() -> None:
    """No production window can feed a home change within 4 h: the patient comes to the
    hospital on Monday, and the notice says when (in English on request)."""
    request, plan = example("P001")
    res = replan(request, plan, parse_event({"kind": "bag_leak", "at": "2027-01-15T18:40"}),
                 lang="en")
    c = res.plan.cycles[0]
    gap = c.interruptions[0]
    assert gap.start == at("2027-01-15T18:40")
    assert gap.end >= at("2027-01-18T09:30")  # Monday: first slot 09:00 + 0.5 h to the ward
    restart = next(b for b in c.bags if b.start == gap.end)
    assert str(restart.changed_by) in ("day_hospital", "inpatient")
    assert restart.prepared_at >= at("2027-01-18T09:00")
    assert any("must come to the hospital" in n and "2027-01-18" in n for n in res.notices)


def test_interruption_before_day_8_moves_the_step_and_the_inpatient_end() -> None:
    """A 6 h interruption on day 5 (in hospital) moves the day-8 step and the end of the
    inpatient period by 6 h; the ward restarts."""
    request, plan = example("P001")
    res = replan(request, plan, parse_event({"kind": "interruption", "at": "2027-01-08T10:07",
                                             "until": "2027-01-08T16:07"}))
    c = res.plan.cycles[0]
    step = at("2027-01-11T16:00")
    assert any(b.start == step and b.rate_ug_per_day == 28 for b in c.bags)
    assert all(b.rate_ug_per_day == 9 for b in c.bags if b.start < step)
    assert not any(b.start < step < b.end for b in c.bags)
    assert c.inpatient_until == at("2027-01-13T16:00")
    restart = next(b for b in c.bags if b.start == at("2027-01-08T16:07"))
    assert str(restart.changed_by) == "inpatient"
    assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []


def test_christmas_eve_failure_restarts_when_the_bag_lasts_to_the_reopening() -> None:
    """P004 (day hospital): a failure at 07:54 on 24 December restarts at the first instant
    from which a safe plan exists (a bag prepared that morning must last to 28 December)."""
    request, plan = example("P004")
    res = replan(request, plan, parse_event({"kind": "pump_failure",
                                             "at": "2026-12-24T07:54"}))
    c = res.plan.cycles[0]
    gap = c.interruptions[0]
    assert at("2026-12-24T09:30") < gap.end < at("2026-12-24T18:00")
    restart = next(b for b in c.bags if b.start == gap.end)
    assert str(restart.changed_by) == "day_hospital"
    assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []


def test_a_bag_running_out_before_any_new_one_is_a_declared_interruption() -> None:
    """Readmitted on Saturday, the bag in place ends on Monday 09:21, before the first bag
    the pharmacy can make reaches the ward (09:00 + 0.5 h): a short gap, declared."""
    request, plan = example("P001")
    first = replan(request, plan, parse_event({"kind": "pump_failure",
                                               "at": "2027-01-15T14:07"}))
    res = replan(first.request, first.plan, parse_event(
        {"kind": "readmission", "at": "2027-01-23T11:13", "until": "2027-01-26T11:13"}))
    gaps = [(p.start, p.end) for p in res.plan.cycles[0].interruptions]
    assert (at("2027-01-25T09:21"), at("2027-01-25T09:30")) in gaps
    assert any("s'interrompt" in n for n in res.notices)
    assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []


def test_had_unavailable_on_a_change_day_sends_the_patient_to_hospital() -> None:
    """The HAD cannot come on 19 January: the bag already prepared for that morning is
    hung at the day hospital (a hospital change, said)."""
    request, plan = example("P001")
    res = replan(request, plan, parse_event({"kind": "had_unavailable", "at": "2027-01-19"}))
    day = [b for b in res.plan.cycles[0].bags if b.start.date() == dt.date(2027, 1, 19)]
    assert day and all(str(b.changed_by) != "had_nurse" for b in day)
    assert res.request.cycles[0].hospital_changes
    assert res.request.settings.had_nurse.closed[-1] == (dt.date(2027, 1, 19),) * 2
    assert any("venir à l'hôpital" in n for n in res.notices)
    assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []


def test_dose_change_from_the_next_bag() -> None:
    """The running bag keeps its rate; every later bag of the cycle has the ordered one."""
    request, plan = example("P001")
    when = at("2027-01-20T09:00")
    res = replan(request, plan, parse_event({"kind": "dose_change", "at": "2027-01-20T09:00",
                                             "rate_ug_per_day": 9}))
    c = res.plan.cycles[0]
    running = next(b for b in c.bags if b.start < when < b.end)
    assert running.rate_ug_per_day == 28
    assert all(b.rate_ug_per_day == 9 for b in c.bags if b.start >= running.end)
    order = res.request.cycles[0].dose_changes[0]
    assert order.start == running.end and order.ordered_at == when
    assert all(b.rate_ug_per_day == 28 for b in res.plan.cycles[1].bags)  # its own regimen


def test_stop_ends_the_cycle_and_removes_the_next() -> None:
    """A stop on day 20: the running bag stops, cycle 2 is removed, its bags too."""
    request, plan = example("P001")
    when = at("2027-01-23T12:00")
    res = replan(request, plan, parse_event({"kind": "stop", "at": "2027-01-23T12:00"}))
    (c,) = res.plan.cycles
    assert c.stopped_at == when == c.bags[-1].end and c.bags[-1].planned_end is not None
    assert len(res.request.cycles) == 1
    assert {x.cycle for x in res.diff.removed} == {1, 2}


def test_pui_closure_known_in_advance_prepares_before_it() -> None:
    """Recorded on Monday 14:00 for Wednesday and Thursday: no bag prepared those days, and
    none prepared before the record."""
    request, plan = example("P001")
    when = at("2027-01-18T14:00")
    res = replan(request, plan, parse_event({"kind": "pui_closed", "at": "2027-01-18T14:00",
                                             "days": "2027-01-20..2027-01-21"}))
    closed = {dt.date(2027, 1, 20), dt.date(2027, 1, 21)}
    bags = [b for c in res.plan.cycles for b in c.bags]
    assert not any(b.prepared_at.date() in closed for b in bags)
    old = {(b.prepared_at, b.start) for c in plan.cycles for b in c.bags}
    assert all(b.prepared_at >= when or (b.prepared_at, b.start) in old for b in bags
               if b.start >= when)
    assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []
