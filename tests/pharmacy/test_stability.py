"""Making the plan again: frozen bags never move, a new patient moves nobody, moves listed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from hadplanner.errors import InputError
from hadplanner.models.request import PARIS
from hadplanner.pharmacy.joint import plan_pharmacy
from hadplanner.pharmacy.results import PharmacyPlan
from hadplanner.pharmacy.settings import PharmacySettings
from hadplanner.schedule.planner import plan_request

QUICK = {"time_limit_s": 4.0}
START = dt.date(2027, 4, 5)
NOW = dt.datetime(2027, 4, 20, 8, 0, tzinfo=PARIS)


def _bags(plan):
    return {(r.patient_id, c.number, b.index): (b.prepared_at, b.start, b.end)
            for r in plan.patients for c in r.plan.cycles for b in c.bags}


def _newcomer(case, pid, days):
    """A copy of a patient under another pseudonym, its cycles ``days`` later."""
    req = case.request.model_copy(update={
        "patient": case.request.patient.model_copy(update={"id": pid}),
        "cycles": tuple(c.model_copy(update={"start": c.start + dt.timedelta(days=days)})
                        for c in case.request.cycles)})
    return replace(case, request=req, own=plan_request(req))


@pytest.fixture(scope="module")
def before(example_cases):
    """The spring plan without P003, read back from its JSON (as --previous reads it)."""
    cases = [c for c in example_cases if c.patient_id != "P003"]
    plan = plan_pharmacy(cases, PharmacySettings(**QUICK), start=START, weeks=8)
    return cases, PharmacyPlan.model_validate_json(plan.model_dump_json())


@pytest.fixture(scope="module")
def after(before):
    """The same patients plus a newcomer (P001's cycles moved to late April), at NOW."""
    cases, previous = before
    cases = cases + [_newcomer(cases[0], "P008", 112)]
    return plan_pharmacy(cases, PharmacySettings(**QUICK), start=START, weeks=8,
                         previous=previous, now=NOW)


def test_frozen_bags_do_not_move(before, after):
    """Every bag of the previous plan prepared or hung before now + 48 h is unchanged."""
    _, previous = before
    limit = NOW + dt.timedelta(hours=48)
    old, new = _bags(previous), _bags(after)
    frozen = [k for k, (p, s, _e) in old.items() if p < limit or s < limit]
    assert frozen and after.frozen_bags == len(frozen)
    for key in frozen:
        assert new[key] == old[key]
    assert after.frozen_until == limit


def test_the_report_lists_exactly_what_moved(before, after):
    """Moves are exactly the bags that differ from the previous plan, none of them frozen."""
    _, previous = before
    old, new = _bags(previous), _bags(after)
    changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    assert {(m.patient_id, m.cycle, m.bag) for m in after.moved} == changed
    limit = NOW + dt.timedelta(hours=48)
    assert all(m.before is None or (m.before[0] >= limit and m.before[1] >= limit)
               for m in after.moved)
    assert {m.patient_id for m in after.moved if m.before is None} == {"P008"}


def test_the_newcomer_changes_no_one_elses_change_instants(after):
    """Here, adding P008 moves no other patient's bag changes (at most a preparation)."""
    others = [m for m in after.moved if m.patient_id != "P008"]
    assert all(m.before is not None and m.after is not None and m.before[1:] == m.after[1:]
               for m in others)


def test_no_new_bag_is_prepared_in_the_past(after):
    """Bags that were not frozen are all prepared after the instant of re-planning."""
    for r in after.patients:
        for c in r.plan.cycles:
            for b in c.bags:
                moved = any(m.patient_id == r.patient_id and m.cycle == c.number and
                            m.bag == b.index for m in after.moved)
                if moved:
                    assert b.prepared_at >= NOW


def test_a_cycle_started_before_now_needs_the_previous_plan(before):
    """A cycle begun before --now and missing from the previous plan is an input error."""
    cases, previous = before
    late = _newcomer(cases[0], "P009", 98)  # started Monday 12 April, before NOW
    with pytest.raises(InputError, match="before --now"):
        plan_pharmacy(cases + [late], PharmacySettings(**QUICK), start=START, weeks=8,
                      previous=previous, now=NOW)


def test_a_previous_plan_needs_now(before):
    """--previous without --now is refused."""
    cases, previous = before
    with pytest.raises(InputError, match="--now"):
        plan_pharmacy(cases, PharmacySettings(**QUICK), start=START, weeks=8,
                      previous=previous)


def _closed_day(previous):
    """The first production day of the previous plan after the frozen near future."""
    limit = NOW + dt.timedelta(hours=48)
    return min(b.prepared_at.astimezone(PARIS).date() for r in previous.patients
               for c in r.plan.cycles for b in c.bags if b.prepared_at >= limit)


@pytest.fixture(scope="module")
def closure(before):
    """An event at NOW: the PUI will be closed on a production day of the previous plan."""
    cases, previous = before
    day = _closed_day(previous)
    plan = plan_pharmacy(cases, PharmacySettings(closed=[(day, day)], **QUICK), start=START,
                         weeks=8, previous=previous, now=NOW)
    return day, plan


def test_a_pui_closure_moves_only_the_bags_of_that_day_onwards(before, closure):
    """The PUI closed on a day: nothing is compounded that day any more, frozen bags stay,
    and the report lists exactly the bags that changed, all after the frozen near future."""
    _, previous = before
    day, after = closure
    old, new = _bags(previous), _bags(after)
    assert not [k for k, (p, _s, _e) in new.items() if p.astimezone(PARIS).date() == day]
    limit = NOW + dt.timedelta(hours=48)
    for key, (p, s, _e) in old.items():
        if p < limit or s < limit:
            assert new[key] == old[key]
    moved_off = {k for k, (p, _s, _e) in old.items() if p.astimezone(PARIS).date() == day}
    listed = {(m.patient_id, m.cycle, m.bag) for m in after.moved}
    assert moved_off and moved_off <= listed
    assert listed == {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    assert all(r.plan.checked for r in after.patients)


def test_a_closure_no_plan_survives_names_the_patient(before):
    """A closure that leaves a cycle without a window: one error naming patient, closure and
    the instant, nothing planned."""
    from hadplanner.errors import InfeasiblePlanError

    cases, previous = before
    day = dt.date(2027, 5, 14)  # the Friday before a Monday change of P007
    with pytest.raises(InfeasiblePlanError, match=r"P007 with the PUI closed on 2027-05-14.*"
                                                  r"no production window can feed"):
        plan_pharmacy(cases, PharmacySettings(closed=[(day, day)], **QUICK), start=START,
                      weeks=8, previous=previous, now=NOW)
