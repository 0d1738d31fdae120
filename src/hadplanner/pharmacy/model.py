"""The joint production model: one plan per cycle, where each bag is made, vials per lot.

Design (why this one)
---------------------
A master CP-SAT model picks, for every patient's cycle, one plan among
*candidate plans* made on the exact single-patient planner's graph
(:mod:`hadplanner.pharmacy.candidates`: paths with the patient's fewest
bags), and for every bag of the picked plans one *option*: a part of a
production day (an hour by default: ``period_min``) in which it can be
compounded. The change instants come from the planner, so every bag is one
the planner allows; the model decides what couples patients: the part of a
production day of each bag (PUI capacity, vial sharing) and which plan (HAD
visits, drug). Exact slots inside a part of a day are set afterwards
(:mod:`hadplanner.pharmacy.slots`) under the slot capacity, which this model
guarantees exactly with Hall's condition on the slot intervals of each part;
the exact vials are then counted bag by bag (:mod:`hadplanner.pharmacy.lots`),
never more than this model's count.

Why not one time-indexed model of every change instant: a 28-day cycle has
2,689 change instants and about a million possible bags on the planner's
15-minute grid; 200 patients would make billions of variables. Candidates
keep the planner's exactness per patient (every candidate has the fewest
bags) and leave the model some 30,000 Booleans for 200 patients over 8
weeks. Vials are counted per part of a day, not per slot: a lot opened in
part ``i`` can serve part ``j`` when every bag of ``j`` is finished within
the reconstituted vial's stability of the earliest possible reconstitution
in ``i`` (``reach``): a conservative rule, so the exact lots can only do
better. A flow of drug from each part's lots to the parts they reach, and
whole vials per part, make the rule linear.

Starting point. CP-SAT alone finds no plan for 200 patients in two minutes
on two cores; :func:`best_start` builds one that meets every capacity
(greedy, cycle by cycle, scored on the model's own lots) and the search
starts from it (a complete hint).

What the bound means. ``Result.bound`` is CP-SAT's bound on *this* model
(the candidates given, the parts-of-day vial rule). Its vial part starts
from a floor that holds for every plan of any kind: the least drug of each
cycle (an exact shortest path on the planner's graph, always a candidate)
over the vial's content, in whole vials (``total_vials``'s lower bound).
CP-SAT's own relaxation did not reach that floor, so it is stated. With
many patients every production day shares lots and the plans found sit
within a fraction of a percent of it; with few, bags rarely share a day and
each rounds up on its own, which the floor does not see (a few percent).

Layout (after PyJobShop's ``solvers/ortools``): :class:`ProblemData` is plain
index-based data that checks its cross-references; :class:`Variables` holds
the CP-SAT variables; one function per family of constraints, each stating
its rule; :func:`set_objective`; :func:`solve` returns a :class:`Result`
(status, objective, bound, time, solution) and never raises for an
infeasible or unsolved model.

Objective (integers): ``W_vial x vials + W_move x bags moved off the
previous joint plan + W_prep x peak preparations a day + W_visit x sum over
HADs of their peak visits a day`` (:func:`effective_weights`): each weight above
the largest possible sum of the terms after it, so the order is
lexicographic: vials (euros), then a re-plan's changes, then the peaks
(``W_prep = W_visit = 1``). Bags are not in it: every candidate has the
patient's fewest bags.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class Period:
    """A part of a production day: the slots where its bags may finish.

    ``part`` numbers it within its day; ``first`` and ``last`` are the epochs
    (s) of its earliest and latest slot.
    """

    day: int
    part: int
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError("Must have first <= last.")


@dataclass(frozen=True)
class Option:
    """One way to compound a bag: a period and the slots of it the bag may use."""

    period: int
    slots: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.slots or list(self.slots) != sorted(set(self.slots)):
            raise ValueError("Must have distinct sorted slots, at least one.")


@dataclass(frozen=True)
class BagItem:
    """A bag that some candidate plan of a cycle uses.

    ``dose`` is in the model's drug units (thousandths of ug, rounded up);
    ``visit`` is ``(HAD index, day ordinal)`` for a bag an HAD nurse changes;
    ``hint`` an option to start the search from (-1: none).
    """

    cycle: int
    dose: int
    options: tuple[Option, ...]
    visit: tuple[int, int] | None = None
    hint: int = -1

    def __post_init__(self) -> None:
        if self.dose <= 0:
            raise ValueError("Must have dose > 0.")
        if not self.options:
            raise ValueError("Must have at least one option.")


@dataclass(frozen=True)
class CycleItem:
    """A cycle and its candidate plans (each a tuple of bag indices); ``hint`` is a plan to
    start from; ``keep`` the plan of the previous joint plan (-1: none): its bags in their
    hinted options are what the objective keeps when vials allow (a re-plan moves no bag
    without a reason)."""

    plans: tuple[tuple[int, ...], ...]
    hint: int = 0
    keep: int = -1

    def __post_init__(self) -> None:
        if not self.plans:
            raise ValueError("Must have at least one plan.")
        if not 0 <= self.hint < len(self.plans):
            raise ValueError("Must have 0 <= hint < len(plans).")
        if not -1 <= self.keep < len(self.plans):
            raise ValueError("Must have -1 <= keep < len(plans).")


@dataclass(frozen=True)
class ProblemData:
    """Everything the joint model needs, as plain indexed data.

    Attributes
    ----------
    slots
        Epochs (s) of the PUI's production slots, increasing.
    slot_period
        Period of each slot.
    periods
        Parts of production days; ``days[period.day]`` is its date.
    reach
        ``(i, j)``: a vial reconstituted in period ``i`` may serve bags of period ``j``.
    bags, cycles
        The bags of every candidate plan, and the cycles.
    had_capacity
        Visits a day of each HAD (None: unbounded).
    day_capacity, slot_capacity
        Preparations a production day, and finished in one slot.
    vial_units
        A vial's content in drug units.
    weights
        ``(vial, preparations, visits)`` before :func:`effective_weights`.
    hall_cuts
        Extra slot intervals ``(first, last)`` (slot indices) for the slot capacity.
    """

    slots: tuple[int, ...]
    slot_period: tuple[int, ...]
    periods: tuple[Period, ...]
    days: tuple[dt.date, ...]
    reach: tuple[tuple[int, int], ...]
    bags: tuple[BagItem, ...]
    cycles: tuple[CycleItem, ...]
    had_capacity: tuple[int | None, ...]
    day_capacity: int
    slot_capacity: int
    vial_units: int
    weights: tuple[int, int, int] = (1000, 1, 1)
    hall_cuts: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if list(self.slots) != sorted(set(self.slots)):
            raise ValueError("Must have distinct increasing slots.")
        if len(self.slot_period) != len(self.slots):
            raise ValueError("Must have one period per slot.")
        np_, ns = len(self.periods), len(self.slots)
        for i, p in enumerate(self.slot_period):
            if not 0 <= p < np_:
                raise ValueError(f"Slot {i} references unknown period index.")
        for i, per in enumerate(self.periods):
            if not 0 <= per.day < len(self.days):
                raise ValueError(f"Period {i} references unknown day index.")
        for a, b in self.reach:
            if not (0 <= a < np_ and 0 <= b < np_):
                raise ValueError(f"Reach ({a}, {b}) references unknown period index.")
        for i, bag in enumerate(self.bags):
            if not 0 <= bag.cycle < len(self.cycles):
                raise ValueError(f"Bag {i} references unknown cycle index.")
            for o in bag.options:
                if not 0 <= o.period < np_:
                    raise ValueError(f"Bag {i} references unknown period index.")
                if not all(0 <= s < ns and self.slot_period[s] == o.period for s in o.slots):
                    raise ValueError(f"Bag {i} has a slot outside its option's period.")
            if bag.visit is not None and not 0 <= bag.visit[0] < len(self.had_capacity):
                raise ValueError(f"Bag {i} references unknown HAD index.")
        for c, cyc in enumerate(self.cycles):
            for plan in cyc.plans:
                if any(not 0 <= b < len(self.bags) or self.bags[b].cycle != c for b in plan):
                    raise ValueError(f"Cycle {c} has a plan with a bag of another cycle.")
        if self.day_capacity < 1 or self.slot_capacity < 1 or self.vial_units < 1:
            raise ValueError("Must have positive capacities and vial content.")
        for a, b in self.hall_cuts:
            if not 0 <= a <= b < ns:
                raise ValueError("Hall cut references unknown slot index.")

    def with_cuts(self, cuts: Sequence[tuple[int, int]]) -> ProblemData:
        """The same data with more slot intervals for the slot capacity."""
        return dataclasses.replace(self, hall_cuts=tuple(sorted({*self.hall_cuts, *cuts})))

    def max_visits(self, had: int) -> int:
        """The most visits an HAD could have on one day (its capacity, else every bag)."""
        cap = self.had_capacity[had]
        per_day: dict[int, set[int]] = defaultdict(set)
        for b in self.bags:
            if b.visit is not None and b.visit[0] == had:
                per_day[b.visit[1]].add(b.cycle)
        top = max((len(v) for v in per_day.values()), default=0)
        return top if cap is None else min(cap, top)


def effective_weights(data: ProblemData) -> tuple[int, int, int, int]:
    """The weights used: (vial, moved bag, peak preparations, peak visits).

    Lexicographic: a vial outweighs any number of moved bags and peaks; a bag of the
    previous joint plan moved (another plan of its cycle, or another part of a day)
    outweighs any peaks. ``data.weights`` gives the vial's least
    weight and the peaks' weights.
    """
    w_vial, w_prep, w_visit = data.weights
    peaks = w_prep * data.day_capacity + w_visit * sum(
        data.max_visits(h) for h in range(len(data.had_capacity)))
    kept = len(kept_bags(data))
    w_move = peaks + 1 if kept else 0
    return max(w_vial, w_move * kept + peaks + 1), w_move, w_prep, w_visit


def kept_bags(data: ProblemData) -> list[tuple[int, int]]:
    """(bag, option) of the previous joint plan: the bags of each cycle's ``keep`` plan, with
    the option they were compounded in."""
    return [(b, data.bags[b].hint) for c in data.cycles if c.keep >= 0
            for b in c.plans[c.keep] if data.bags[b].hint >= 0]


# -- variables --------------------------------------------------------------------------


class Variables:
    """The CP-SAT variables of the joint model.

    ``pick[c][k]``: cycle ``c`` follows plan ``k``; ``option[b][o]``: bag
    ``b`` is compounded in its option ``o``; ``vials[i]``: vials
    reconstituted in period ``i``; ``flow[i, j]``: drug units of lots of
    period ``i`` drawn by bags of period ``j``; ``peak_prep`` and
    ``peak_visit[h]``: the workload peaks.
    """

    def __init__(self, m: cp_model.CpModel, data: ProblemData) -> None:
        self.pick = [[m.new_bool_var(f"pick_{c}_{k}") for k in range(len(cyc.plans))]
                     for c, cyc in enumerate(data.cycles)]
        self.option = [[m.new_bool_var(f"opt_{b}_{o}") for o in range(len(bag.options))]
                       for b, bag in enumerate(data.bags)]
        # use[b]: the bag is in the picked plan (a sum of picks, not a variable)
        members: dict[int, list[Any]] = defaultdict(list)
        for c, cyc in enumerate(data.cycles):
            for k, plan in enumerate(cyc.plans):
                for b in plan:
                    members[b].append(self.pick[c][k])
        self.use = [sum(members[b]) if members[b] else 0 for b in range(len(data.bags))]
        self.solo = solo_options(data)
        self.solo_vials = sum(-(-bag.dose // data.vial_units) * self.option[b][o]
                              for b, bag in enumerate(data.bags)
                              for o in range(len(bag.options)) if self.solo[b][o])
        demand: dict[int, int] = defaultdict(int)
        for b, bag in enumerate(data.bags):
            for o, opt in enumerate(bag.options):
                if not self.solo[b][o]:
                    demand[opt.period] += bag.dose
        self.demand_ub = demand
        total = sum(b.dose for b in data.bags)
        self.vials = [m.new_int_var(0, -(-demand.get(i, 0) // data.vial_units), f"vials_{i}")
                      for i in range(len(data.periods))]
        self.flow = {(i, j): m.new_int_var(0, min(demand.get(j, 0), total), f"flow_{i}_{j}")
                     for i, j in data.reach if demand.get(j, 0) > 0}
        top = sum(-(-b.dose // data.vial_units) for b in data.bags)
        self.vial_floor = -(-sum(min(sum(data.bags[b].dose for b in plan) for plan in cyc.plans)
                                 for cyc in data.cycles) // data.vial_units)
        self.total_vials = m.new_int_var(self.vial_floor, max(self.vial_floor, top),
                                         "total_vials")
        self.peak_prep = m.new_int_var(0, data.day_capacity, "peak_prep")
        self.peak_visit = [m.new_int_var(0, max(1, data.max_visits(h)), f"peak_visit_{h}")
                           for h in range(len(data.had_capacity))]


# -- constraints (one function per family, its rule in the docstring) -------------------


def one_plan_per_cycle(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Every cycle follows exactly one of its candidate plans."""
    for picks in v.pick:
        m.add_exactly_one(picks)


def bags_follow_plans(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """A bag of the picked plan is compounded in exactly one option; other bags in none."""
    for b, opts in enumerate(v.option):
        m.add(sum(opts) == v.use[b])


def pui_day_capacity(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """At most ``day_capacity`` preparations on every production day."""
    per_day: dict[int, list[Any]] = defaultdict(list)
    for b, bag in enumerate(data.bags):
        for o, opt in enumerate(bag.options):
            per_day[data.periods[opt.period].day].append(v.option[b][o])
    for xs in per_day.values():
        if len(xs) > data.day_capacity:
            m.add(sum(xs) <= data.day_capacity)


def slot_intervals(data: ProblemData) -> list[tuple[int, int]]:
    """Slot intervals checked for the slot capacity: every run of consecutive slots of one
    period, and the extra cuts. A bag's options never span two periods, so Hall's
    condition on these intervals is Hall's condition on every interval of a day."""
    runs: dict[int, list[int]] = defaultdict(list)
    for s, p in enumerate(data.slot_period):
        runs[p].append(s)
    spans: set[tuple[int, int]] = set(data.hall_cuts)
    for slots in runs.values():
        for a_i, a in enumerate(slots):
            for b in slots[a_i:]:
                spans.add((a, b))
    return sorted(spans)


def pui_slot_capacity(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """At most ``slot_capacity`` preparations finish in one slot: for every slot interval
    of a period, the bags whose slots all lie in it are at most ``slot_capacity`` times its
    slots (Hall's condition, which slots then meet: :mod:`hadplanner.pharmacy.slots`)."""
    per_period: dict[int, list[tuple[int, int]]] = defaultdict(list)
    cuts = []
    for a, b in slot_intervals(data):
        pa, pb = data.slot_period[a], data.slot_period[b]
        if pa == pb:
            per_period[pa].append((a, b))
        else:
            cuts.append((a, b))
    inside: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for bi, bag in enumerate(data.bags):
        for o, opt in enumerate(bag.options):
            lo, hi = opt.slots[0], opt.slots[-1]
            for a, b in per_period[opt.period] + cuts:
                if a <= lo and hi <= b:
                    inside[a, b].append(v.option[bi][o])
    for (a, b), xs in inside.items():
        cap = data.slot_capacity * (b - a + 1)
        if len(xs) > cap:
            m.add(sum(xs) <= cap)


def had_visit_capacity(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """At most ``had_capacity[h]`` bag-change visits of HAD ``h`` on any day."""
    per: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for b, bag in enumerate(data.bags):
        if bag.visit is not None:
            per[bag.visit].append(v.use[b])
    for (h, _day), xs in per.items():
        cap = data.had_capacity[h]
        if cap is not None and len(xs) > cap:
            m.add(sum(xs) <= cap)


def solo_options(data: ProblemData) -> list[list[bool]]:
    """Options that share with nobody: no bag that can be planned beside this one (another
    cycle's, or one of a plan of its own cycle that holds it too) has an option in a period
    this option's period reaches or is reached from. Such a bag opens its own vials."""
    linked: dict[int, set[int]] = defaultdict(set)
    for i, j in data.reach:
        linked[i].add(j)
        linked[j].add(i)
    users: dict[int, set[int]] = defaultdict(set)
    for b, bag in enumerate(data.bags):
        for o in bag.options:
            users[o.period].add(b)
    beside: dict[int, set[int]] = defaultdict(set)  # bags of the same cycle in a common plan
    for cyc in data.cycles:
        for plan in cyc.plans:
            for b in plan:
                beside[b].update(plan)
    out = []
    for b, bag in enumerate(data.bags):
        row = []
        for o in bag.options:
            others = set().union(*(users[j] for j in linked[o.period] | {o.period}))
            c = bag.cycle
            row.append(all(x == b or (data.bags[x].cycle == c and x not in beside[b])
                           for x in others))
        out.append(row)
    return out


def vial_lots(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Every bag's drug comes from vials reconstituted in a period that reaches its own
    (``reach``), and the drug drawn from a period's vials is at most their content; a bag
    in an option that shares with nobody (:func:`solo_options`) opens its own vials."""
    drawn: dict[int, list[Any]] = defaultdict(list)
    for b, bag in enumerate(data.bags):
        for o, opt in enumerate(bag.options):
            if not v.solo[b][o]:
                drawn[opt.period].append(bag.dose * v.option[b][o])
    into: dict[int, list[Any]] = defaultdict(list)
    out_of: dict[int, list[Any]] = defaultdict(list)
    for (i, j), f in v.flow.items():
        into[j].append(f)
        out_of[i].append(f)
    for j in set(into) | set(drawn):
        m.add(sum(into[j]) == sum(drawn[j]))
    for i, fs in out_of.items():
        m.add(sum(fs) <= data.vial_units * v.vials[i])
    for i, x in enumerate(v.vials):
        if i not in out_of:
            m.add(x == 0)


def components(data: ProblemData) -> list[int]:
    """The component of each period: periods linked by ``reach`` share one (a week, often)."""
    parent = list(range(len(data.periods)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in data.reach:
        parent[find(i)] = find(j)
    return [find(i) for i in range(len(data.periods))]


def vial_floor(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """The vials opened (``total_vials``) are at least the least drug of every cycle in
    whole vials (``ceil(sum over cycles of a plan's least drug / vial)``, the variable's
    lower bound), and in each component of periods at least the drug made there (valid
    rows: they tighten the bound, they cut no plan)."""
    comp = components(data)
    inside: dict[int, list[Any]] = defaultdict(list)
    for i, x in enumerate(v.vials):
        inside[comp[i]].append(x)
    for b, bag in enumerate(data.bags):
        for o, opt in enumerate(bag.options):
            if v.solo[b][o]:
                inside[comp[opt.period]].append(-(-bag.dose // data.vial_units)
                                                * v.option[b][o])
    made: dict[int, list[Any]] = defaultdict(list)
    for b, bag in enumerate(data.bags):
        for o, opt in enumerate(bag.options):
            made[comp[opt.period]].append(bag.dose * v.option[b][o])
    for k, terms in made.items():
        m.add(data.vial_units * sum(inside[k]) >= sum(terms))
    # The floor is the lower bound of the objective's own variable (Variables): CP-SAT's
    # bound then starts from it (a separate row was not always in its relaxation).
    m.add(v.total_vials == sum(v.vials) + v.solo_vials)


def workload_peaks(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """``peak_prep`` is at least every day's preparations; ``peak_visit[h]`` at least every
    day's visits of HAD ``h``."""
    per_day: dict[int, list[Any]] = defaultdict(list)
    for b, bag in enumerate(data.bags):
        for o, opt in enumerate(bag.options):
            per_day[data.periods[opt.period].day].append(v.option[b][o])
    for xs in per_day.values():
        m.add(sum(xs) <= v.peak_prep)
    per: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for b, bag in enumerate(data.bags):
        if bag.visit is not None:
            per[bag.visit].append(v.use[b])
    for (h, _day), xs in per.items():
        m.add(sum(xs) <= v.peak_visit[h])


CONSTRAINTS: tuple[Callable[[cp_model.CpModel, ProblemData, Variables], None], ...] = (
    one_plan_per_cycle, bags_follow_plans, pui_day_capacity, pui_slot_capacity,
    had_visit_capacity, vial_lots, vial_floor, workload_peaks,
)


def set_objective(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Minimise W_vial x vials + W_move x bags moved off the previous joint plan + W_prep x
    peak preparations + W_visit x sum of visit peaks (:func:`effective_weights`)."""
    w_vial, w_move, w_prep, w_visit = effective_weights(data)
    moved = sum(1 - v.option[b][o] for b, o in kept_bags(data))
    m.minimize(w_vial * v.total_vials + w_move * moved
               + w_prep * v.peak_prep + w_visit * sum(v.peak_visit))


def build(data: ProblemData) -> tuple[cp_model.CpModel, Variables]:
    """The CP-SAT model of ``data``: variables, every constraint family, the objective."""
    m = cp_model.CpModel()
    v = Variables(m, data)
    for family in CONSTRAINTS:
        family(m, data, v)
    set_objective(m, data, v)
    _add_hint(m, data, v)
    return m, v


def fifo_vials(data: ProblemData, demand: dict[int, int], periods: Sequence[int],
               reach_from: dict[int, list[int]]) -> int:
    """Vials of the model's lots for the drug ``demand`` of each period, over ``periods``
    (increasing; a union of components): each period draws from the oldest lot that
    reaches it first, and opens whole vials for the rest."""
    left: dict[int, int] = defaultdict(int)
    vials = 0
    for j in periods:
        need = demand.get(j, 0)
        if not need:
            continue
        for i in reach_from[j]:
            take = min(need, left[i])
            if take:
                left[i] -= take
                need -= take
        if need:
            n = -(-need // data.vial_units)
            vials += n
            left[j] += n * data.vial_units - need
    return vials


def best_start(data: ProblemData) -> tuple[list[int], dict[int, int]] | None:
    """The better of :func:`greedy_start` by vials first and by drug first (the model's
    lots over every period): the first wins when patients rarely share a day, the second
    when every day is shared (then less drug is fewer vials)."""
    reach_from: dict[int, list[int]] = defaultdict(list)
    for i, j in sorted(data.reach):
        reach_from[j].append(i)
    best: tuple[int, tuple[list[int], dict[int, int]]] | None = None
    for drug_first in (False, True):
        start = greedy_start(data, drug_first=drug_first)
        if start is None:
            continue
        demand: dict[int, int] = defaultdict(int)
        for b, o in start[1].items():
            demand[data.bags[b].options[o].period] += data.bags[b].dose
        vials = fifo_vials(data, demand, range(len(data.periods)), reach_from)
        if best is None or vials < best[0]:
            best = (vials, start)
    return None if best is None else best[1]


def greedy_start(data: ProblemData, drug_first: bool = False, passes: int = 4
                 ) -> tuple[list[int], dict[int, int]] | None:
    """A plan that meets every capacity, or None when this greedy finds none.

    First every cycle is placed on its hinted plan and options (the patients' own
    plans), or, where that does not fit, on the first candidate that fits. Then each
    cycle in turn is taken out and put back on the candidate that fits with the fewest
    vials in the components of periods it touches (the model's lots, :func:`fifo_vials`),
    then the least drug (the other way round with ``drug_first``), then where it was: each
    bag in a period that already has drug when one fits (to share a lot), else its hinted
    option, else the latest; again, up to ``passes`` times, until a pass changes nothing.
    Slots are filled exactly here,
    so the slot capacity holds; HAD visits and the day's preparations are counted as they
    go. The joint model starts from it.
    """
    day_load: dict[int, int] = defaultdict(int)
    slot_load: dict[int, int] = defaultdict(int)
    visit_load: dict[tuple[int, int], int] = defaultdict(int)
    demand: dict[int, int] = defaultdict(int)
    comp = components(data)
    by_comp: dict[int, list[int]] = defaultdict(list)
    for i, k in enumerate(comp):
        by_comp[k].append(i)
    reach_from: dict[int, list[int]] = defaultdict(list)
    for i, j in sorted(data.reach):
        reach_from[j].append(i)
    Spot = tuple[int, int, int, int]  # bag, option, slot, day

    def book(spots: list[Spot], sign: int) -> None:
        for b, o, slot, day in spots:
            day_load[day] += sign
            slot_load[slot] += sign
            demand[data.bags[b].options[o].period] += sign * data.bags[b].dose
            visit = data.bags[b].visit
            if visit is not None:
                visit_load[visit] += sign

    def place(c: int, k: int, share: bool) -> list[Spot] | None:
        spots: list[Spot] = []
        for b in data.cycles[c].plans[k]:
            bag = data.bags[b]
            if bag.visit is not None:
                cap = data.had_capacity[bag.visit[0]]
                if cap is not None and visit_load[bag.visit] >= cap:
                    book(spots, -1)
                    return None
            latest = list(range(len(bag.options) - 1, -1, -1))
            prefs = ([bag.hint] if bag.hint >= 0 else []) + latest
            if share:
                prefs = [o for o in latest if demand[bag.options[o].period] > 0] + prefs
            spot = None
            for o in prefs:
                opt = bag.options[o]
                day = data.periods[opt.period].day
                if day_load[day] >= data.day_capacity:
                    continue
                free = [x for x in reversed(opt.slots) if slot_load[x] < data.slot_capacity]
                if free:
                    spot = (b, o, free[0], day)
                    break
            if spot is None:
                book(spots, -1)
                return None
            spots.append(spot)
            book([spot], 1)
        return spots

    picks: list[int] = []
    where: list[list[Spot]] = []
    for c, cyc in enumerate(data.cycles):
        for k in [cyc.hint, *(x for x in range(len(cyc.plans)) if x != cyc.hint)]:
            spots = place(c, k, share=False)
            if spots is not None:
                picks.append(k)
                where.append(spots)
                break
        else:
            return None
    touched_periods = []
    for cyc in data.cycles:
        touched = sorted({comp[o.period] for plan in cyc.plans
                          for b in plan for o in data.bags[b].options})
        touched_periods.append(sorted(i for key in touched for i in by_comp[key]))
    for _ in range(passes):
        changed = False
        for c, cyc in enumerate(data.cycles):
            periods = touched_periods[c]
            book(where[c], -1)
            before = [(b, o) for b, o, _s, _d in where[c]]
            best: tuple[tuple[int, int, int], int, list[Spot]] | None = None
            for k in range(len(cyc.plans)):
                for share in (True, False):
                    spots = place(c, k, share)
                    if spots is None:
                        continue
                    vials = fifo_vials(data, demand, periods, reach_from)
                    drug = sum(data.bags[b].dose for b in cyc.plans[k])
                    kept = int([(b, o) for b, o, _s, _d in spots] != before)
                    score = (drug, vials, kept) if drug_first else (vials, drug, kept)
                    book(spots, -1)
                    if best is None or score < best[0]:
                        best = (score, k, spots)
            if best is None:
                book(where[c], 1)
                continue
            changed |= [(b, o) for b, o, _s, _d in best[2]] != before
            picks[c], where[c] = best[1], best[2]
            book(where[c], 1)
        if not changed:
            break
    _level_peak(data, where, day_load, slot_load, demand, comp, by_comp, reach_from, book)
    return picks, {b: o for spots in where for b, o, _s, _d in spots}


def _level_peak(data: ProblemData, where: list[list[tuple[int, int, int, int]]],
                day_load: dict[int, int], slot_load: dict[int, int], demand: dict[int, int],
                comp: list[int], by_comp: dict[int, list[int]],
                reach_from: dict[int, list[int]], book: Callable[..., None]) -> None:
    """Move bags off the busiest day to another of their options while the model's lots
    need no more vials (the peak of preparations, the objective's next term)."""
    for _ in range(10 * len(data.days) + 10):
        peak = max(day_load.values(), default=0)
        moved = False
        for spots in where:
            for i, (b, _o, _slot, day) in enumerate(spots):
                if day_load[day] != peak:
                    continue
                bag = data.bags[b]
                keys = sorted({comp[x.period] for x in bag.options})
                periods = sorted(p for k in keys for p in by_comp[k])
                before = fifo_vials(data, demand, periods, reach_from)
                book([spots[i]], -1)
                for o2 in range(len(bag.options) - 1, -1, -1):
                    opt = bag.options[o2]
                    d2 = data.periods[opt.period].day
                    free = [x for x in reversed(opt.slots) if slot_load[x] < data.slot_capacity]
                    if d2 == day or day_load[d2] + 1 >= peak or not free:
                        continue
                    spot = (b, o2, free[0], d2)
                    book([spot], 1)
                    if fifo_vials(data, demand, periods, reach_from) <= before:
                        spots[i] = spot
                        moved = True
                        break
                    book([spot], -1)
                if not moved:
                    book([spots[i]], 1)
                else:
                    break
            if moved:
                break
        if not moved:
            return


def _add_hint(m: cp_model.CpModel, data: ProblemData, v: Variables) -> None:
    """Start the search from :func:`best_start`, else from the hinted plans and options;
    with every bag placed, the lots too (drug drawn from the oldest lot that reaches, as the
    PUI would)."""
    start = best_start(data)
    if start is None:
        picks = [cyc.hint for cyc in data.cycles]
        chosen = {b: data.bags[b].hint for cyc in data.cycles for b in cyc.plans[cyc.hint]
                  if data.bags[b].hint >= 0}
    else:
        picks, chosen = start
    for c, x_k in enumerate(v.pick):
        for k, x in enumerate(x_k):
            m.add_hint(x, k == picks[c])
    used = {b for c, cyc in enumerate(data.cycles) for b in cyc.plans[picks[c]]}
    for b, opts in enumerate(v.option):
        for o, x in enumerate(opts):
            if b in chosen:
                m.add_hint(x, o == chosen[b])
            elif b not in used:
                m.add_hint(x, False)
    if not used <= set(chosen):
        return
    demand: dict[int, int] = defaultdict(int)
    per_day: dict[int, int] = defaultdict(int)
    visits: dict[tuple[int, int], int] = defaultdict(int)
    for b, o in chosen.items():
        opt = data.bags[b].options[o]
        per_day[data.periods[opt.period].day] += 1
        visit = data.bags[b].visit
        if visit is not None:
            visits[visit] += 1
        if not v.solo[b][o]:
            demand[opt.period] += data.bags[b].dose
    reach_from: dict[int, list[int]] = defaultdict(list)  # j -> lot periods i, oldest first
    for i, j in data.reach:
        reach_from[j].append(i)
    left = [0] * len(data.periods)
    vials = [0] * len(data.periods)
    flow: dict[tuple[int, int], int] = defaultdict(int)
    for j in sorted(demand):
        need = demand[j]
        for i in sorted(reach_from[j]):
            take = min(need, left[i])
            if take:
                left[i] -= take
                need -= take
                flow[i, j] += take
        if need:
            n = -(-need // data.vial_units)
            vials[j] += n
            left[j] += n * data.vial_units - need
            flow[j, j] += need
    for i, x in enumerate(v.vials):
        m.add_hint(x, vials[i])
    solo = sum(-(-data.bags[b].dose // data.vial_units) for b, o in chosen.items()
               if v.solo[b][o])
    m.add_hint(v.total_vials, sum(vials) + solo)
    for key, f in v.flow.items():
        m.add_hint(f, flow.get(key, 0))
    m.add_hint(v.peak_prep, max(per_day.values(), default=0))
    for h, x in enumerate(v.peak_visit):
        m.add_hint(x, max((n for (hh, _), n in visits.items() if hh == h), default=0))


# -- solving ----------------------------------------------------------------------------


class Status(StrEnum):
    """What the solver established."""

    optimal = "optimal"
    within_gap = "within_gap"
    """A plan within the requested relative gap of the bound (not proven optimal)."""
    feasible = "feasible"
    """A plan was found; not proven optimal within the time limit."""
    infeasible = "infeasible"
    """Proven: no plan of the candidates meets the capacities."""
    unknown = "unknown"
    """No plan found within the time limit, nothing proven."""
    invalid = "invalid"


@dataclass(frozen=True)
class Solution:
    """The picked plan of each cycle, the option of each used bag (-1: unused), vials."""

    plans: tuple[int, ...]
    options: tuple[int, ...]
    vials: tuple[int, ...]
    """Vials reconstituted in each period for bags that may share."""
    solo_vials: int
    """Vials of bags in options that share with nobody."""
    peak_preparations: int
    peak_visits: tuple[int, ...]

    @property
    def total_vials(self) -> int:
        return sum(self.vials) + self.solo_vials


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`solve`: never an exception for an unsolved model."""

    status: Status
    objective: float | None
    bound: float | None
    seconds: float
    solution: Solution | None
    weights: tuple[int, int, int, int]
    size: dict[str, int] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """Relative gap ``(objective - bound) / objective`` (0 when proven optimal)."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))


@dataclass(frozen=True)
class Progress:
    """A step of the search: a better plan (``objective``) or a better ``bound``."""

    seconds: float
    objective: float | None
    bound: float | None


class _Watcher(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[Progress], None], t0: float) -> None:
        super().__init__()
        self._report = report
        self._t0 = t0
        self.bound: float | None = None

    def on_solution_callback(self) -> None:
        self._report(Progress(time.perf_counter() - self._t0, self.objective_value,
                              self.best_objective_bound))


_STATUS = {
    cp_model.OPTIMAL: Status.optimal,
    cp_model.FEASIBLE: Status.feasible,
    cp_model.INFEASIBLE: Status.infeasible,
    cp_model.UNKNOWN: Status.unknown,
    cp_model.MODEL_INVALID: Status.invalid,
}


def solve(data: ProblemData, *, time_limit_s: float = 60.0, workers: int = 2,
          relative_gap: float = 0.0, seed: int = 0,
          progress: Callable[[Progress], None] | None = None) -> Result:
    """Solve the joint model; the result says what was found and proven.

    Parameters
    ----------
    time_limit_s, workers, seed
        CP-SAT's wall-time limit, threads and random seed.
    relative_gap
        Stop once the plan is within this fraction of the bound (0: prove optimality).
    progress
        Called with each better plan (solution callback) and each better bound.
    """
    t0 = time.perf_counter()
    m, v = build(data)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = time_limit_s
    p.num_workers = workers
    p.random_seed = seed
    p.linearization_level = 2
    if relative_gap > 0:
        p.relative_gap_limit = relative_gap
    watcher = None
    if progress is not None:
        watcher = _Watcher(progress, t0)
        solver.best_bound_callback = lambda b: progress(
            Progress(time.perf_counter() - t0, None, b))
    code = solver.solve(m, watcher)
    status = _STATUS.get(code, Status.unknown)
    if status == Status.optimal and solver.objective_value > solver.best_objective_bound + 0.5:
        status = Status.within_gap  # stopped by relative_gap, not a proof
    seconds = time.perf_counter() - t0
    proto = m.proto
    size = {"cycles": len(data.cycles), "plans": sum(len(c.plans) for c in data.cycles),
            "bags": len(data.bags), "options": sum(len(b.options) for b in data.bags),
            "variables": len(proto.variables), "constraints": len(proto.constraints)}
    weights = effective_weights(data)
    if status not in (Status.optimal, Status.within_gap, Status.feasible):
        bound = solver.best_objective_bound if status == Status.unknown else None
        return Result(status, None, bound, seconds, None, weights, size)
    plans = tuple(next(k for k, x in enumerate(ps) if solver.boolean_value(x)) for ps in v.pick)
    options = tuple(next((o for o, x in enumerate(opts) if solver.boolean_value(x)), -1)
                    for opts in v.option)
    sol = Solution(plans, options, tuple(int(solver.value(x)) for x in v.vials),
                   int(solver.value(v.solo_vials)), int(solver.value(v.peak_prep)),
                   tuple(int(solver.value(x)) for x in v.peak_visit))
    return Result(status, float(solver.objective_value), float(solver.best_objective_bound),
                  seconds, sol, weights, size)
