"""Why the practice leaves its fixed weekdays (``Baseline.deviations``)."""

from __future__ import annotations

import datetime as dt

import pytest

from hadplanner.cli.plan import plan_file
from hadplanner.models.request import PARIS, parse_request
from hadplanner.paths import examples_dir
from hadplanner.schedule.baseline import (
    PAIRS,
    PracticeInfeasible,
    practice_cycles,
    practice_deviations,
)

_DAY = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}


@pytest.fixture(scope="module")
def requests():
    """The example requests, parsed once."""
    return {p.stem: plan_file(p)[0] for p in sorted(examples_dir().glob("*.yaml"))}


def _days(devs):
    return {d.fixed_day: tuple(c.astimezone(PARIS).date() for c in d.changes) for d in devs}


def test_christmas_and_new_year_on_tue_fri(requests):
    """P004 on Tue/Fri: Friday 25 December and Friday 1 January move to the Thursday before."""
    request = requests["P004-christmas-new-year"]
    cycles = practice_cycles(request, ("tue", "fri"))
    devs = practice_deviations(cycles, request, ("tue", "fri"))
    assert _days(devs) == {
        dt.date(2026, 12, 25): (dt.date(2026, 12, 24), dt.date(2026, 12, 28)),
        dt.date(2027, 1, 1): (dt.date(2026, 12, 31), dt.date(2027, 1, 4)),
    }
    assert [d.holiday for d in devs] == ["Christmas Day", "New Year's Day"]
    assert all({"public_holiday", "production_closed", "day_hospital_closed"} <= set(d.reasons)
               for d in devs)


def test_exceptional_closure_on_tue_fri(requests):
    """P006 on Tue/Fri: the PUI's closure on Tuesday 13 July is the reason, not a holiday."""
    request = requests["P006-pharmacy-closure"]
    cycles = practice_cycles(request, ("tue", "fri"))
    (dev,) = practice_deviations(cycles, request, ("tue", "fri"))
    assert dev.fixed_day == dt.date(2027, 7, 13)
    assert dev.reasons == ("production_closed",) and dev.holiday is None


def test_the_plans_baseline_carries_its_deviations(requests):
    """The plan's practice (P005, Mon/Thu) explains Easter Monday; P001's practice has nothing."""
    plan = plan_file(examples_dir() / "P005-march-dst.yaml")[1]
    (dev,) = plan.baseline.deviations
    assert dev.fixed_day == dt.date(2027, 3, 29) and dev.holiday == "Easter Monday"
    assert _days([dev])[dev.fixed_day] == (dt.date(2027, 3, 26), dt.date(2027, 3, 30))
    p001 = requests["P001-rr-had-toulouse"]
    assert practice_deviations(practice_cycles(p001, ("mon", "thu")), p001, ("mon", "thu")) == ()


@pytest.mark.parametrize("start", ["2027-01-01", "2027-03-24", "2027-05-05", "2027-07-09",
                                   "2027-08-11", "2027-10-27", "2027-12-20"])
@pytest.mark.parametrize("mode", ["day_hospital", "had_nurse"])
def test_every_change_off_the_fixed_days_is_explained_once(start, mode):
    """Each practice change on another weekday (not prescribed) is in exactly one deviation."""
    request = parse_request({
        "patient": {"id": "T", "weight_kg": 70, "height_cm": 170}, "change_mode": mode,
        "cycles": [{"number": 1, "start": f"{start}T10:00", "regimen": "rr-induction-c1"}],
        "settings": {"transport_h": 1.0},
    })
    for pair in PAIRS:
        try:
            cycles = practice_cycles(request, pair)
        except PracticeInfeasible:
            continue
        devs = practice_deviations(cycles, request, pair)
        explained = [c.timestamp() for d in devs for c in d.changes]
        assert len(explained) == len(set(explained))
        assert all(d.reasons for d in devs)
        fixed = {_DAY[d] for d in pair}
        (cycle,) = cycles
        rates = [b.rate_ug_per_day for b in cycle.bags]
        for i, bag in enumerate(cycle.bags[1:], start=1):
            off_day = bag.start.astimezone(PARIS).weekday() not in fixed
            prescribed = rates[i] != rates[i - 1]
            if off_day and not prescribed:
                assert bag.start.timestamp() in explained, (pair, bag.start)
        for d in devs:
            if d.fixed_day is not None:
                assert d.fixed_day.weekday() in fixed
                assert all(b.start.astimezone(PARIS).date() != d.fixed_day for b in cycle.bags)
