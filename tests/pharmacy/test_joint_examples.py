"""The joint plan of the example patients: checked bags, capacities, bags and vials."""

from __future__ import annotations

from collections import Counter

from hadplanner.models.plan import ChangedBy
from hadplanner.models.request import PARIS
from hadplanner.pharmacy.lots import Preparation, count_lots, vials_of
from hadplanner.schedule.checker import check_plan
from hadplanner.schedule.planner import plan_request


def _request_of(cases, result):
    case = next(c for c in cases if c.patient_id == result.patient_id)
    numbers = {c.number for c in result.plan.cycles}
    return case.request.model_copy(update={"cycles": tuple(
        c for c in case.request.cycles if c.number in numbers)})


def _bags(plan):
    return [(r, c, b) for r in plan.patients for c in r.plan.cycles for b in c.bags]


def test_every_bag_passes_the_independent_checker(example_plan, capped_plan, example_cases):
    """Each patient's joint plan, default and capped, has no violation of the spec."""
    for plan in (example_plan, capped_plan[0]):
        assert {r.patient_id for r in plan.patients} == {c.patient_id for c in example_cases}
        for r in plan.patients:
            assert r.plan.checked
            assert check_plan(r.plan, _request_of(example_cases, r), r.transport_h) == []


def test_capacities_hold(capped_plan):
    """Counted from the bags themselves: preparations a day and a slot, HAD visits a day."""
    plan, st = capped_plan
    bags = _bags(plan)
    per_day = Counter(b.prepared_at.astimezone(PARIS).date() for _, _, b in bags)
    per_slot = Counter(b.prepared_at.timestamp() for _, _, b in bags)
    visits = Counter((r.had_id, b.start.astimezone(PARIS).date()) for r, _, b in bags
                     if b.changed_by == ChangedBy.had_nurse and r.had_id is not None)
    assert max(per_day.values()) <= st.capacity_per_day
    assert max(per_slot.values()) <= st.capacity_per_slot
    assert visits and max(visits.values()) <= st.default_had_capacity
    assert plan.comparison.joint.days_over_capacity == 0
    assert plan.comparison.joint.days_over_had_capacity == 0


def test_the_capped_run_binds(capped_plan):
    """The capped capacities are ones the single-patient plans break (so they bind)."""
    single = capped_plan[0].comparison.single
    assert single.slots_over_capacity + single.days_over_had_capacity > 0


def test_no_patient_has_more_bags_than_their_own_optimum(example_plan, capped_plan,
                                                         example_cases):
    """Per cycle, no more bags than the single-patient planner's optimal plan."""
    for plan in (example_plan, capped_plan[0]):
        for r in plan.patients:
            own = plan_request(_request_of(example_cases, r), with_baseline=False)
            for joint_cycle, own_cycle in zip(r.plan.cycles, own.cycles, strict=True):
                assert len(joint_cycle.bags) <= len(own_cycle.bags)
            assert r.plan.totals.bags <= r.own_bags


def test_no_more_vials_than_the_single_patient_plans(example_plan):
    """Lots recounted from the bags: no more vials than the single-patient plans, either count."""
    preps = [Preparation((r.patient_id, c.number, b.index), b.prepared_at, b.dose_ug)
             for r, c, b in _bags(example_plan)]
    lots, _ = count_lots(preps, vial_ug=38.5)
    joint = vials_of(lots)
    assert joint == example_plan.comparison.joint.vials
    assert joint == sum(s.vials_opened for s in example_plan.sessions)
    assert joint <= example_plan.comparison.single.vials_per_bag
    assert joint <= example_plan.comparison.single.vials
    assert joint <= example_plan.solver.model_vials
    assert joint >= example_plan.solver.vial_bound


def test_sessions_list_every_bag_once_with_its_drug(example_plan):
    """Each bag is in its production day's session once, its lot draws summing to its dose."""
    seen = [(p.patient_id, p.cycle, p.bag) for s in example_plan.sessions
            for p in s.preparations]
    assert sorted(seen) == sorted((r.patient_id, c.number, b.index)
                                  for r, c, b in _bags(example_plan))
    for s in example_plan.sessions:
        for p in s.preparations:
            assert p.slot.astimezone(PARIS).date() == s.day
            assert abs(sum(d.ug for d in p.draws) - p.dose_ug) < 1e-4


def test_comparison_covers_the_practice(example_plan):
    """The practice is compared on the same cycles, with more vials than the joint plan."""
    c = example_plan.comparison
    assert c.practice is not None
    assert c.joint.bags <= c.practice.bags
    assert c.joint.vials <= c.practice.vials
