"""The planner on real calendars: holidays, bridges, DST, closures; speed; the checker."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hadplanner.errors import InfeasiblePlanError, InputError, UnsafePlanError
from hadplanner.models.request import PARIS
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.checker import assert_safe, check_plan
from hadplanner.schedule.planner import plan_cycle, plan_request
from hadplanner.schedule.regimen import cycle_specs

from .bruteforce import World, exhaustive_min_bags
from .conftest import make_request


def one_cycle(start: str, regimen: str = "rr-cycle", mode: str = "day_hospital", **settings):
    return make_request(change_mode=mode, settings=settings,
                        cycles=[{"number": 1, "start": start, "regimen": regimen}])


SCENARIOS = {
    # name: (start, regimen, mode, settings)
    "induction": ("2027-01-04T10:00", "rr-induction-c1", "day_hospital", {}),
    "dst-march": ("2027-03-22T10:00", "rr-cycle", "day_hospital", {}),
    "dst-march-had": ("2027-03-22T10:00", "rr-cycle", "had_nurse", {}),
    "christmas": ("2026-12-14T10:00", "rr-cycle", "day_hospital", {}),
    "christmas-had": ("2026-12-17T14:00", "mrd", "had_nurse", {"transport_h": 3.0}),
    "may-bridges": ("2027-04-26T10:00", "rr-cycle", "day_hospital", {}),
    "may-bridges-had": ("2027-04-29T09:30", "rr-cycle", "had_nurse", {}),
    "dst-october": ("2027-10-18T10:00", "rr-cycle", "had_nurse", {}),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenarios_are_safe_and_no_worse_than_exhaustive_search(name):
    """Checked plans with as few bags as an exhaustive search (15- and 30-min grids)."""
    start, regimen, mode, settings = SCENARIOS[name]
    req = one_cycle(start, regimen, mode, **settings)
    plan = plan_request(req)
    assert plan.checked and check_plan(plan, req) == []
    fine_bags = len(plan.cycles[0].bags)

    coarse = one_cycle(start, regimen, mode, grid_minutes=30, **settings)
    spec = cycle_specs(coarse)[0]
    cal = calendars_from_settings(coarse.settings)
    w = World(spec=spec, st=coarse.settings, cal=cal, grid_min=30)
    brute = exhaustive_min_bags(w)
    coarse_plan = plan_cycle(spec, cal, coarse.settings)
    assert len(coarse_plan.bags) == brute
    assert fine_bags <= brute
    fine_spec = cycle_specs(req)[0]
    w15 = World(spec=fine_spec, st=req.settings, cal=calendars_from_settings(req.settings),
                grid_min=15)
    assert fine_bags == exhaustive_min_bags(w15)


def test_dst_march_cycle_ends_at_eleven_summer_time():
    """A cycle across the last Sunday of March ends at 11:00+02:00 and lasts 672 real hours."""
    plan = plan_request(one_cycle("2027-03-22T10:00"))
    c = plan.cycles[0]
    assert c.end.isoformat() == "2027-04-19T11:00:00+02:00"
    assert sum(b.duration_h for b in c.bags) == 672
    assert c.bags[-1].end.utcoffset() == dt.timedelta(hours=2)


def test_no_change_on_holidays_at_the_day_hospital():
    """Christmas, New Year, Ascension, 1 May: the day hospital changes no bag those days."""
    for start in ("2026-12-14T10:00", "2027-04-26T10:00"):
        plan = plan_request(one_cycle(start))
        for b in plan.cycles[0].bags[1:]:
            if b.changed_by == "day_hospital":
                assert b.start.date() not in {dt.date(2026, 12, 25), dt.date(2027, 1, 1),
                                              dt.date(2027, 5, 1), dt.date(2027, 5, 6),
                                              dt.date(2027, 5, 8)}
                assert b.start.weekday() < 5
            assert b.prepared_at.date() not in {dt.date(2026, 12, 25), dt.date(2027, 1, 1),
                                                dt.date(2027, 5, 6)}


def test_pharmacy_closed_a_week_is_infeasible_with_a_clear_reason():
    """A PUI closed Monday-Friday: no bag bridges 9 days; the error names constraint, instant."""
    req = one_cycle("2027-01-04T10:00", "rr-cycle", "had_nurse",
                    production={"closed": ["2027-01-18..2027-01-22"]})
    with pytest.raises(InfeasiblePlanError) as exc:
        plan_request(req)
    msg = str(exc.value)
    assert "no production window can feed a change before" in msg
    assert "stability 96 h" in msg
    assert "last window closes 2027-01-15 16:00+01:00" in msg
    assert exc.value.exit_code == 2


def test_no_production_before_the_first_bag():
    """A PUI closed for weeks before T0 cannot prepare the first bag."""
    req = one_cycle("2027-01-04T10:00", production={"closed": ["2026-12-01..2027-01-04"]})
    with pytest.raises(InfeasiblePlanError, match="no production window before"):
        plan_request(req)


def test_half_hour_instants_can_save_a_bag():
    """The 15-min grid never needs more bags than the 1-h grid (the spec's warning)."""
    worse = 0
    for day in range(4, 11):
        fine = plan_request(one_cycle(f"2027-01-{day:02d}T10:00"))
        hourly = plan_request(one_cycle(f"2027-01-{day:02d}T10:00", grid_minutes=60))
        assert fine.totals.bags <= hourly.totals.bags
        worse += fine.totals.bags < hourly.totals.bags
    assert worse >= 0


def test_plan_json_contract():
    """The JSON has the spec's keys, offsets on every instant, and a checked flag."""
    plan = plan_request(make_request())
    data = json.loads(plan.model_dump_json())
    bag = data["cycles"][0]["bags"][0]
    assert set(bag) >= {"index", "prepared_at", "start", "end", "duration_h", "overfill_h",
                        "rate_ug_per_day", "dose_ug", "vials", "changed_by", "expires_at",
                        "pump_rate_ml_h", "volume_ml", "drug_ml", "nacl_ml", "stabiliser_ml"}
    assert bag["expires_at"].endswith("+01:00") and bag["pump_rate_ml_h"] == 2.5
    assert bag["start"] == "2027-01-04T10:00:00+01:00"
    assert bag["changed_by"] == "inpatient"
    assert data["checked"] is True
    assert data["totals"]["euros"] == data["totals"]["vials"] * 2628


def test_step_up_forces_a_boundary_and_rates():
    """Cycle 1: a bag ends exactly at day 8 10:00; rates 9 then 28 ug/day."""
    c = plan_request(make_request()).cycles[0]
    step = dt.datetime(2027, 1, 11, 10, tzinfo=PARIS)
    assert any(b.end == step for b in c.bags)
    for b in c.bags:
        assert b.rate_ug_per_day == (9 if b.start < step else 28)


def test_several_cycles_totals():
    """Totals add the cycles; trips count day-hospital changes."""
    req = make_request(cycles=[
        {"number": 1, "start": "2027-01-04T10:00", "regimen": "rr-induction-c1"},
        {"number": 2, "start": "2027-02-15T10:00", "regimen": "rr-cycle"}])
    plan = plan_request(req)
    bags = [b for c in plan.cycles for b in c.bags]
    assert plan.totals.bags == len(bags)
    assert plan.totals.day_hospital_trips == sum(b.changed_by == "day_hospital" for b in bags)
    assert plan.totals.nurse_visits == 0


# -- the checker catches broken plans ---------------------------------------------------


def tamper(plan, bag_index: int, **fields):
    c = plan.cycles[0]
    bags = list(c.bags)
    bags[bag_index] = bags[bag_index].model_copy(update=fields)
    return plan.model_copy(update={"cycles": (c.model_copy(update={"bags": tuple(bags)}),)})


def rules(plan, req):
    return {v.rule for v in check_plan(plan, req)}


def test_checker_catches_each_broken_invariant():
    """Stability, production, transport, continuity, who, dose and vials are each caught."""
    req = make_request()
    plan = plan_request(req)
    b2 = plan.cycles[0].bags[1]
    early = b2.prepared_at - dt.timedelta(days=1)
    assert "stability" in rules(tamper(plan, 1, prepared_at=early - dt.timedelta(hours=5)), req)
    sunday = dt.datetime(2027, 1, 3, 12, tzinfo=PARIS)
    assert "production" in rules(tamper(plan, 0, prepared_at=sunday), req)
    late = b2.start - dt.timedelta(minutes=10)
    got = rules(tamper(plan, 1, prepared_at=late), req)
    assert "transport" in got
    assert "continuity" in rules(tamper(plan, 1, start=b2.start + dt.timedelta(hours=1)), req)
    assert "who" in rules(tamper(plan, 1, changed_by="had_nurse"), req)
    assert "dose" in rules(tamper(plan, 1, dose_ug=b2.dose_ug + 1), req)
    assert "vials" in rules(tamper(plan, 1, vials=b2.vials + 1), req)
    assert "rate" in rules(tamper(plan, 1, rate_ug_per_day=28.0), req)
    with pytest.raises(UnsafePlanError):
        assert_safe(tamper(plan, 1, vials=b2.vials + 1), req)


def test_checker_catches_a_bag_across_the_step_up():
    """Merging the two bags around day 8 crosses the dose change."""
    req = make_request()
    plan = plan_request(req)
    c = plan.cycles[0]
    step = dt.datetime(2027, 1, 11, 10, tzinfo=PARIS)
    i = next(i for i, b in enumerate(c.bags) if b.end == step)
    merged = c.bags[i].model_copy(update={"end": c.bags[i + 1].end})
    bags = list(c.bags[:i]) + [merged] + list(c.bags[i + 2:])
    bags = [b.model_copy(update={"index": k + 1}) for k, b in enumerate(bags)]
    bad = plan.model_copy(update={"cycles": (c.model_copy(update={"bags": tuple(bags)}),)})
    assert "dose change" in rules(bad, req)


def test_preparations_avoid_window_edges_when_stability_allows():
    """A preparation lies in the last/first 30 min of a window only if no calmer slot is safe."""
    req = make_request(change_mode="had_nurse")
    plan = plan_request(req)
    prod = calendars_from_settings(req.settings).production
    margin = dt.timedelta(minutes=30)
    edges = 0
    for b in plan.cycles[0].bags:
        p = b.prepared_at
        calm_window = prod.latest_slot_at_or_before(p, 15, margin) == p
        if not calm_window:
            edges += 1
            tr = 0.5 if b.changed_by != "had_nurse" else 2.0
            calm = prod.latest_slot_at_or_before(b.start - dt.timedelta(hours=tr), 15, margin)
            assert calm is None or (b.end - calm).total_seconds() / 3600 + b.overfill_h > 96
    assert edges < len(plan.cycles[0].bags)


def test_checker_catches_off_slot_preparations_and_wrong_contents():
    """Off the slot grid, wrong volume, drug, NaCl, stabiliser, pump rate or expiry: caught."""
    req = make_request()
    plan = plan_request(req)
    b = plan.cycles[0].bags[1]
    off = b.prepared_at - dt.timedelta(minutes=7)
    assert "prep slot" in rules(tamper(plan, 1, prepared_at=off), req)
    for field, delta in (("volume_ml", 1.0), ("drug_ml", 0.1), ("nacl_ml", -0.5),
                         ("stabiliser_ml", 1.0), ("pump_rate_ml_h", 0.5)):
        got = rules(tamper(plan, 1, **{field: getattr(b, field) + delta}), req)
        assert got == {"contents"}, field
    assert rules(tamper(plan, 1, expires_at=b.expires_at + dt.timedelta(hours=1)), req) \
        == {"expiry"}


def test_checker_enforces_min_bag_h():
    """A plan breaks a request asking for bags 1 h longer than its shortest one."""
    plan = plan_request(make_request())
    shortest = min(b.duration_h for b in plan.cycles[0].bags)
    stricter = make_request(settings={"min_bag_h": shortest + 1})
    assert rules(plan, stricter) == {"min bag"}


def test_cycle_end_after_whit_monday_needs_a_short_bag():
    """HAD from Wed 21 April 2027: the cycle ends Wed 19 May 10:00 after Whit Monday; the
    last bag can start at 11:00 the day before at the earliest (prepared 09:00 that day,
    2 h road): 23 h. Refused by default, planned when the request allows 23 h bags."""
    req = one_cycle("2027-04-21T10:00", mode="had_nurse")
    with pytest.raises(InfeasiblePlanError) as exc:
        plan_request(req)
    msg = str(exc.value)
    assert msg == (
        "cycle 1: no safe plan keeps every bag at least 24 h long (min_bag_h): one bag must be "
        "shorter, at best 23 h from 2027-05-18 11:00+02:00 to 2027-05-19 10:00+02:00 (the "
        "cycle ends then; a change before 2027-05-18 11:00+02:00 is prepared 2027-05-14 "
        "16:00+02:00 at the latest: stability 96 h); lower min_bag_h to 23 h to plan it")
    assert exc.value.exit_code == 2
    plan = plan_request(one_cycle("2027-04-21T10:00", mode="had_nurse", min_bag_h=23))
    last = plan.cycles[0].bags[-1]
    assert last.duration_h == 23 and last.prepared_at.isoformat() == "2027-05-18T09:00:00+02:00"


def test_first_bag_after_easter_monday_at_eight():
    """T0 Tue 30 March 2027 08:00: the PUI last worked Fri 16:00 (87 real hours before, across
    the clock change): with 4 h overfill the first bag lasts 5 h at most."""
    with pytest.raises(InfeasiblePlanError, match=r"at best 5 h from 2027-03-30 08:00\+02:00 "
                       r"to 2027-03-30 13:00\+02:00 \(the first bag, hung by the ward at T0, "
                       r"is prepared 2027-03-26 16:00\+01:00 at the latest"):
        plan_request(one_cycle("2027-03-30T08:00"))
    plan = plan_request(one_cycle("2027-03-30T08:00", min_bag_h=5))
    assert plan.cycles[0].bags[0].duration_h == 5


@pytest.mark.parametrize(("settings", "fragment"), [
    ({"max_bag_h": 120, "stability_h": 120}, "more than the 250 mL bag"),
    ({"min_bag_h": 0, "overfill_h": 0}, "less than its stabiliser and drug"),
])
def test_bags_that_cannot_be_made_are_refused(settings, fragment):
    """A 120-h bag overflows the 250 mL bag; a 15-min bag cannot hold its 5.5 mL stabiliser."""
    with pytest.raises(InputError, match=fragment):
        plan_request(one_cycle("2027-01-04T10:00", **settings))
