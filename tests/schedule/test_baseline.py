"""The practice to beat (fixed weekday pairs, 3/4-day bags) on the same requests."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hadplanner.errors import InputError
from hadplanner.models.plan import Plan
from hadplanner.models.request import PARIS, parse_request
from hadplanner.schedule.baseline import PAIRS, practice_cycles, practice_plan, totals_of
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.checker import check_plan
from hadplanner.schedule.planner import plan_request
from hadplanner.schedule.regimen import cycle_specs

_DAY = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}


def _request(start: str, regimen: str = "rr-cycle", mode: str = "day_hospital", **settings):
    return parse_request({
        "patient": {"id": "T", "weight_kg": 70, "height_cm": 170},
        "change_mode": mode,
        "cycles": [{"number": 1, "start": start, "regimen": regimen}],
        "settings": settings,
    })


def _blocked_pair_day_near(request, day: dt.date, pair: tuple[int, int]) -> bool:
    """A pair weekday within 3 days of `day` on which the practice cannot change."""
    cal = calendars_from_settings(request.settings)
    changer = cal.of(request.change_mode)
    for k in range(-3, 4):
        d = day + dt.timedelta(days=k)
        if d.weekday() in pair and (not cal.production.is_open_day(d)
                                    or not changer.is_open_day(d)):
            return True
    return False


def test_examples_have_a_feasible_practice_on_a_thesis_pair(planned):
    """On every example the practice is feasible and keeps Mon/Thu or Tue/Fri."""
    for name, (_, plan) in planned.items():
        assert plan.baseline.feasible, (name, plan.baseline.reason)
        assert plan.baseline.weekdays in PAIRS


def test_practice_changes_on_its_pair_except_around_closures(planned):
    """After discharge the practice changes only on its two weekdays, except next to a
    closed pair day (holiday, closure) or to join a forced boundary (dose change, end)."""
    for name, (request, plan) in planned.items():
        base = plan.baseline
        pair = tuple(_DAY[d] for d in base.weekdays)
        specs = {s.number: s for s in cycle_specs(request)}
        for cycle in base.cycles:
            spec = specs[cycle.number]
            forced = {t.timestamp() for t in (*spec.dose_changes, spec.t_end)}
            for bag, nxt in zip(cycle.bags[1:], (*cycle.bags[2:], None), strict=True):
                if bag.changed_by == "inpatient":
                    continue
                day = bag.start.astimezone(PARIS).date()
                joins = nxt is None or bag.end.timestamp() in forced
                assert day.weekday() in pair or joins or _blocked_pair_day_near(
                    request, day, pair), (name, cycle.number, bag.index, bag.start)


def test_practice_passes_the_checker(planned):
    """The practice's cycles break no invariant of the spec (independent checker)."""
    for name, (request, plan) in planned.items():
        cycles = plan.baseline.cycles
        as_plan = Plan(patient_id=plan.patient_id, drug=plan.drug, change_mode=plan.change_mode,
                       cycles=cycles, totals=totals_of(cycles, request.settings.vial_eur),
                       baseline=plan.baseline)
        assert check_plan(as_plan, request) == [], name


def test_planner_needs_no_more_bags_than_the_practice(planned):
    """Per cycle: planner bags <= practice bags, and vials <= when the bags are equal."""
    for name, (_, plan) in planned.items():
        for mine, theirs in zip(plan.cycles, plan.baseline.cycles, strict=True):
            assert len(mine.bags) <= len(theirs.bags), (name, mine.number)
            if len(mine.bags) == len(theirs.bags):
                assert sum(b.vials for b in mine.bags) <= sum(b.vials for b in theirs.bags)
        assert plan.totals.bags <= plan.baseline.bags


def test_baseline_totals_add_up(planned):
    """The baseline's bags, vials, euros, trips and visits are those of its cycles."""
    for _, (request, plan) in planned.items():
        base = plan.baseline
        t = totals_of(base.cycles, request.settings.vial_eur)
        assert (base.bags, base.vials, base.euros, base.day_hospital_trips, base.nurse_visits) \
            == (t.bags, t.vials, t.euros, t.day_hospital_trips, t.nurse_visits)
        assert base.euros == pytest.approx(base.vials * 2628)


def test_four_day_bag_change_moves_earlier_for_stability():
    """The literal Thu 14:00 -> Mon 14:00 bag is cut at preparation + 96 h, same Monday."""
    cycles = practice_cycles(_request("2027-01-11T14:00"), ("mon", "thu"))  # no holiday
    long_bags = [b for b in cycles[0].bags
                 if b.start.astimezone(PARIS).weekday() == 3 and b.duration_h > 72]
    assert len(long_bags) == 3
    for bag in long_bags:
        end = bag.end.astimezone(PARIS)
        assert end.weekday() == 0 and end.time() == dt.time(13, 30)
        assert (bag.end - bag.prepared_at) == dt.timedelta(hours=96)


def test_holiday_change_moves_to_the_day_before():
    """With Tue/Fri, Christmas Friday 2026 moves the change to Thursday 24 December."""
    request = _request("2026-12-15T14:00")  # a Tuesday
    base = practice_plan(request)
    assert base.feasible
    starts = [b.start.astimezone(PARIS).date() for c in base.cycles for b in c.bags]
    if base.weekdays == ("tue", "fri"):
        assert dt.date(2026, 12, 24) in starts and dt.date(2026, 12, 25) not in starts
    assert dt.date(2026, 12, 25) not in starts and dt.date(2027, 1, 1) not in starts


def test_long_road_makes_the_practice_infeasible_not_the_plan():
    """A 6 h road: no same-day preparation can feed the practice's HAD change; the plan stands."""
    request = _request("2027-01-11T10:00", mode="had_nurse", transport_h=6.0)
    plan = plan_request(request)
    assert plan.checked
    assert not plan.baseline.feasible
    assert "mon/thu" in plan.baseline.reason and "tue/fri" in plan.baseline.reason
    assert plan.baseline.bags is None


def test_specs_from_the_planner_give_the_same_practice():
    """Passing the planner's calendars and specs changes nothing."""
    request = _request("2027-03-16T10:00", regimen="rr-induction-c1")
    alone = practice_plan(request)
    shared = practice_plan(request, calendars=calendars_from_settings(request.settings),
                           specs=cycle_specs(request))
    assert alone == shared


@settings(max_examples=150, deadline=None)
@given(
    day=st.integers(min_value=0, max_value=729),
    quarter=st.integers(min_value=0, max_value=95),
    regimen=st.sampled_from(["rr-induction-c1", "rr-cycle", "mrd"]),
    mode=st.sampled_from(["had_nurse", "day_hospital"]),
    transport=st.floats(min_value=0.0, max_value=6.0),
    closure=st.one_of(st.none(), st.tuples(st.integers(-3, 28), st.integers(0, 2))),
)
def test_practice_is_safe_or_says_why(day, quarter, regimen, mode, transport, closure):
    """Random starts, roads and closures: the practice is checked-safe, or infeasible
    with a reason; it never raises."""
    start = dt.datetime(2026, 1, 1) + dt.timedelta(days=day, minutes=15 * quarter)
    extra = {"transport_h": round(transport, 2)}
    if closure is not None:
        first = start.date() + dt.timedelta(days=closure[0])
        extra["production"] = {"closed": [f"{first}..{first + dt.timedelta(days=closure[1])}"]}
    try:
        request = _request(start.strftime("%Y-%m-%dT%H:%M"), regimen, mode, **extra)
    except InputError:  # a local time skipped by the spring clock change
        return
    base = practice_plan(request)
    if not base.feasible:
        assert base.reason and base.cycles == ()
        return
    as_plan = Plan(patient_id="T", drug="blinatumomab", change_mode=mode, cycles=base.cycles,
                   totals=totals_of(base.cycles, request.settings.vial_eur), baseline=base)
    assert check_plan(as_plan, request) == []
    assert base.weekdays in PAIRS


def test_practice_moves_a_change_earlier_to_keep_the_last_bag_24_h():
    """Tue/Fri from Wed 10 March 2027 (HAD): the cycle ends Wed 7 April 11:00, so the last
    Tuesday change moves from 14:00 to 11:00 (prepared 09:00, 2 h road): a 24-h last bag."""
    cycles = practice_cycles(_request("2027-03-10T10:00", mode="had_nurse", transport_h=2.0),
                             ("tue", "fri"))
    last = cycles[0].bags[-1]
    assert last.start.isoformat() == "2027-04-06T11:00:00+02:00"
    assert last.prepared_at.isoformat() == "2027-04-06T09:00:00+02:00"
    assert last.duration_h == 24
    assert min(b.duration_h for b in cycles[0].bags) >= 24
