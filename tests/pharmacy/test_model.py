"""The joint CP-SAT model on hand-made data: rules, objective, and a result instead of a raise."""

from __future__ import annotations

import datetime as dt

import pytest

from hadplanner.pharmacy import model as jm

V = 38_500  # a vial in thousandths of ug
H = 3600


def _data(bags, cycles, *, periods=None, reach=None, day_capacity=6, slot_capacity=2,
          had_capacity=(), slots_per_period=4):
    """Two production days of two periods each unless told; slots numbered in order."""
    periods = periods or [jm.Period(0, 0, 0, 3 * 900), jm.Period(0, 1, 4 * H, 4 * H + 2700),
                          jm.Period(1, 0, 24 * H, 24 * H + 2700),
                          jm.Period(1, 1, 28 * H, 28 * H + 2700)]
    slots, slot_period = [], []
    for p, per in enumerate(periods):
        for i in range(slots_per_period):
            slots.append(per.first + 900 * i)
            slot_period.append(p)
    if reach is None:
        reach = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 3), (3, 3)]
    return jm.ProblemData(
        slots=tuple(slots), slot_period=tuple(slot_period), periods=tuple(periods),
        days=(dt.date(2027, 1, 4), dt.date(2027, 1, 5)), reach=tuple(reach),
        bags=tuple(bags), cycles=tuple(cycles), had_capacity=tuple(had_capacity),
        day_capacity=day_capacity, slot_capacity=slot_capacity, vial_units=V)


def _opt(period, first=None, n=4):
    first = period * n if first is None else first
    return jm.Option(period, tuple(range(first, period * n + n)))


def _bag(cycle, dose_ug, *periods, visit=None):
    return jm.BagItem(cycle, int(dose_ug * 1000), tuple(_opt(p) for p in periods), visit)


def test_two_bags_in_one_period_share_a_vial():
    """Two 15 ug bags compounded in one part of a day open one vial, not two."""
    data = _data([_bag(0, 15, 0), _bag(1, 15, 0)], [jm.CycleItem(((0,),)),
                                                     jm.CycleItem(((1,),))])
    res = jm.solve(data, time_limit_s=10)
    assert res.status == jm.Status.optimal
    assert res.solution.total_vials == 1


def test_leftover_reaches_the_next_morning_only_through_reach():
    """An afternoon vial serves the next morning's bag when ``reach`` allows it, not otherwise."""
    bags = [_bag(0, 20, 1), _bag(1, 15, 2)]
    cycles = [jm.CycleItem(((0,),)), jm.CycleItem(((1,),))]
    shared = jm.solve(_data(bags, cycles), time_limit_s=10)
    apart = jm.solve(_data(bags, cycles, reach=[(0, 0), (1, 1), (2, 2), (3, 3)]),
                     time_limit_s=10)
    assert shared.solution.total_vials == 1
    assert apart.solution.total_vials == 2


def test_options_are_chosen_to_share():
    """A bag that may be made on either day is made beside the other patient's bag."""
    bags = [_bag(0, 15, 0, 2), _bag(1, 15, 2)]
    data = _data(bags, [jm.CycleItem(((0,),)), jm.CycleItem(((1,),))],
                 reach=[(0, 0), (1, 1), (2, 2), (3, 3)])
    res = jm.solve(data, time_limit_s=10)
    assert res.solution.total_vials == 1
    assert data.bags[0].options[res.solution.options[0]].period == 2


def test_the_plan_with_less_drug_is_picked():
    """Between two plans of a cycle, the one needing fewer vials wins."""
    bags = [_bag(0, 40, 0), _bag(0, 30, 0)]
    data = _data(bags, [jm.CycleItem(((0,), (1,)))])
    res = jm.solve(data, time_limit_s=10)
    assert res.solution.plans == (1,) and res.solution.total_vials == 1


def test_day_capacity_moves_a_bag_to_the_other_day():
    """With one preparation a day, two bags that may be made either day take one each."""
    bags = [_bag(0, 10, 0, 2), _bag(1, 10, 0, 2)]
    data = _data(bags, [jm.CycleItem(((0,),)), jm.CycleItem(((1,),))], day_capacity=1)
    res = jm.solve(data, time_limit_s=10)
    days = {data.periods[data.bags[b].options[o].period].day
            for b, o in enumerate(res.solution.options)}
    assert days == {0, 1}


def test_infeasible_capacity_is_a_status_not_an_exception():
    """An impossible capacity gives an infeasible result without a solution, not an exception."""
    data = _data([_bag(0, 10, 0), _bag(1, 10, 1)], [jm.CycleItem(((0,),)),
                                                     jm.CycleItem(((1,),))], day_capacity=1)
    res = jm.solve(data, time_limit_s=10)
    assert res.status == jm.Status.infeasible
    assert res.solution is None and res.objective is None


def test_slot_capacity_counts_bags_that_can_only_use_one_slot():
    """Two bags with one same slot: infeasible at one a slot, feasible at two."""
    one = jm.Option(0, (3,))
    bags = [jm.BagItem(0, 10_000, (one,)), jm.BagItem(1, 10_000, (one,))]
    cycles = [jm.CycleItem(((0,),)), jm.CycleItem(((1,),))]
    assert jm.solve(_data(bags, cycles, slot_capacity=1), time_limit_s=10).status == \
        jm.Status.infeasible
    assert jm.solve(_data(bags, cycles, slot_capacity=2), time_limit_s=10).status == \
        jm.Status.optimal


def test_had_capacity_picks_plans_with_visits_on_other_days():
    """One visit a day per HAD: the plans whose changes fall on different days are picked."""
    day = dt.date(2027, 1, 6).toordinal()
    bags = [_bag(0, 10, 0, visit=(0, day)), _bag(0, 10, 0, visit=(0, day + 1)),
            _bag(1, 10, 1, visit=(0, day))]
    data = _data(bags, [jm.CycleItem(((0,), (1,))), jm.CycleItem(((2,),))],
                 had_capacity=(1,))
    res = jm.solve(data, time_limit_s=10)
    assert res.solution.plans[0] == 1


def test_vials_outweigh_peaks():
    """One vial saved is worth more than a higher peak of preparations a day."""
    bags = [_bag(0, 15, 0, 2), _bag(1, 15, 0)]
    data = _data(bags, [jm.CycleItem(((0,),)), jm.CycleItem(((1,),))],
                 reach=[(0, 0), (1, 1), (2, 2), (3, 3)])
    res = jm.solve(data, time_limit_s=10)
    assert res.solution.total_vials == 1 and res.solution.peak_preparations == 2
    w_vial, _move, w_prep, w_visit = res.weights
    assert w_vial > w_prep * data.day_capacity


def test_progress_reports_plans_and_bounds():
    """The progress callback hears of each better plan (a CP-SAT solution callback)."""
    seen = []
    data = _data([_bag(0, 15, 0, 2), _bag(1, 15, 2)], [jm.CycleItem(((0,),)),
                                                        jm.CycleItem(((1,),))])
    jm.solve(data, time_limit_s=10, progress=seen.append)
    assert any(p.objective is not None for p in seen)


def test_greedy_start_meets_the_capacities():
    """The greedy start gives every used bag an option within the day capacity."""
    bags = [_bag(0, 10, 0, 2), _bag(1, 10, 0, 2), _bag(2, 10, 0, 2)]
    data = _data(bags, [jm.CycleItem(((i,),)) for i in range(3)], day_capacity=2)
    picks, chosen = jm.greedy_start(data)
    per_day = {}
    for b, o in chosen.items():
        d = data.periods[data.bags[b].options[o].period].day
        per_day[d] = per_day.get(d, 0) + 1
    assert sorted(chosen) == [0, 1, 2] and max(per_day.values()) <= 2


def _valid():
    return dict(bags=[_bag(0, 10, 0)], cycles=[jm.CycleItem(((0,),))])


@pytest.mark.parametrize("change, message", [
    # a bag whose slot lies in another period than its option's
    ({"bags": [jm.BagItem(0, 10, (jm.Option(0, (5,)),))]}, "outside its option's period"),
    # a bag of a cycle that does not exist
    ({"bags": [_bag(3, 10, 0)]}, "unknown cycle index"),
    # a plan using a bag of another cycle
    ({"cycles": [jm.CycleItem(((0,),)), jm.CycleItem(((0,),))]}, "bag of another cycle"),
    # a reach pair naming an unknown period
    ({"reach": [(0, 9)]}, "unknown period index"),
    # a visit to an HAD the data does not list
    ({"bags": [_bag(0, 10, 0, visit=(2, 1))]}, "unknown HAD index"),
])
def test_invalid_data_is_refused(change, message):
    """Cross-references are checked when the data is made (one message per mistake)."""
    args = {**_valid(), **change}
    with pytest.raises(ValueError, match=message):
        _data(**args)


@pytest.mark.parametrize("make, message", [
    (lambda: jm.BagItem(0, 0, (jm.Option(0, (0,)),)), "dose > 0"),  # no drug
    (lambda: jm.BagItem(0, 10, ()), "at least one option"),  # nowhere to make it
    (lambda: jm.Option(0, (2, 1)), "sorted"),  # slots out of order
    (lambda: jm.CycleItem(((0,),), hint=3), "hint"),  # a hint past the plans
    (lambda: jm.Period(0, 0, 10, 5), "first <= last"),  # a period ending before it starts
])
def test_each_entity_checks_itself(make, message):
    """Entities refuse impossible values with the rule they break."""
    with pytest.raises(ValueError, match=message):
        make()
