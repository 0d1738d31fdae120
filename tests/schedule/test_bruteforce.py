"""The planner is optimal: it matches an exhaustive search on small random cycles."""

from __future__ import annotations

import datetime as dt
import math
import random
import re

import pytest

from hadplanner.errors import InfeasiblePlanError
from hadplanner.models.request import PARIS, WEEKDAYS, Settings
from hadplanner.schedule import planner as P
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.regimen import CycleSpec

from .bruteforce import (
    World,
    assert_latest_instant_decides,
    cost_of_path,
    enumerate_best,
    hours,
    plus,
)
from .reference_dp import assert_planner_is_reference, reference_solve


def small_world(seed: int) -> World:
    """A random short cycle (24-60 h): short bags and a floor on them, tight windows, a
    slot grid from an opening off the hour, maybe a dose step."""
    rnd = random.Random(seed)
    grid = rnd.choice([60, 60, 30])
    day = dt.date(2027, 1, 1) + dt.timedelta(days=rnd.randrange(365))
    t0 = dt.datetime.combine(day, dt.time(rnd.randrange(24), rnd.choice([0, 30]) if grid == 30
                                          else 0)).replace(tzinfo=PARIS)
    t0 = plus(t0, 0)
    length_h = rnd.choice([36, 48, 60]) if grid == 60 else rnd.choice([24, 30, 36])
    stab = rnd.choice([20, 24, 30, 36])
    open_h = rnd.randrange(6, 14)
    # Openings off the hour: slots count from the opening, not from midnight.
    open_m = rnd.choice([0, 0, 10, 45])
    prod_days = sorted(rnd.sample(range(7), rnd.choice([5, 7, 7, 7])))
    settings = Settings.model_validate({
        "stability_h": stab,
        "max_bag_h": rnd.choice([stab, stab - 2]),
        "min_bag_h": rnd.choice([0, 2, 5, 8, 8, 12, 12, 16]),
        "prep_slot_min": rnd.choice([5, 15, 15, 20, 30, 60]),
        "overfill_h": rnd.choice([0, 1, 2]),
        "overfill_max_bag_h": rnd.choice([6, 8, 12]),
        "vial_ug": 38.5,
        "transport_hospital_h": rnd.choice([0.5, 1.0]),
        "grid_minutes": grid,
        "edge_margin_minutes": rnd.choice([0, 30, 60]),
        "production": {"days": [WEEKDAYS[d] for d in prod_days],
                       "open": f"{open_h:02d}:{open_m:02d}",
                       "close": f"{open_h + rnd.randrange(3, 10):02d}:{rnd.choice([0, 50]):02d}",
                       "closed_on_holidays": rnd.random() < 0.3,
                       "closed": [str(day + dt.timedelta(days=1))] if rnd.random() < 0.2 else []},
        "day_hospital": {"open": f"{rnd.randrange(6, 11):02d}:00",
                         "close": f"{rnd.randrange(15, 22):02d}:00",
                         "days": list(WEEKDAYS[: rnd.choice([5, 7, 7])])},
        "had_nurse": {"open": f"{rnd.randrange(6, 10):02d}:00",
                      "close": f"{rnd.randrange(17, 23):02d}:00"},
    })
    t_end = plus(t0, 60 * length_h)
    inp = rnd.choice([0, 6, 12, 24])
    rates = rnd.sample([20.0, 40.0, 60.0, 90.0, 130.0], 2)
    steps = [(t0, rates[0])]
    if rnd.random() < 0.5:
        # as in the regimens, the step-up falls in the inpatient days (mostly)
        step_h = rnd.choice([12, 18, 24])
        inp = max(inp, step_h) if rnd.random() < 0.8 else inp
        steps.append((plus(t0, 60 * step_h), rates[1]))
    spec = CycleSpec(
        number=1, regimen="test", t0=t0, t_end=t_end, inpatient_days=0,
        inpatient_end=plus(t0, 60 * inp), steps=tuple(steps),
        change_mode=rnd.choice(["had_nurse", "had_nurse", "day_hospital"]),
        transport_h=rnd.choice([0.5, 1.0, 2.0]),
    )
    return World(spec=spec, st=settings, cal=calendars_from_settings(settings), grid_min=grid)


def planner_cost(w: World, plan) -> tuple[int, ...]:
    path = [b.start for b in plan.bags] + [plan.bags[-1].end]
    edges = [int(w.is_edge(b.prepared_at)) for b in plan.bags]
    return cost_of_path(w, path, edges)


SEEDS = list(range(120))


@pytest.mark.parametrize("seed", SEEDS)
def test_planner_matches_exhaustive_search(seed: int) -> None:
    """Same lexicographic optimum (bags, vials, regularity, edges) as every sequence tried."""
    w = small_world(seed)
    best = enumerate_best(w)
    if best is None:
        with pytest.raises(InfeasiblePlanError):
            P.plan_cycle(w.spec, w.cal, w.st)
        return
    plan = P.plan_cycle(w.spec, w.cal, w.st)
    for i, b in enumerate(plan.bags):
        feas, _ = w.arc_enumerated(b.start, b.end, i == 0)
        assert feas, f"bag {i + 1} not feasible by enumeration"
    assert planner_cost(w, plan) == best


@pytest.mark.parametrize("seed", SEEDS[:60])
def test_latest_preparation_is_enough(seed: int) -> None:
    """Deciding a bag with the latest production instant = trying every instant (WLOG proof)."""
    w = small_world(seed)
    assert_latest_instant_decides(w, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_layered_search_gives_the_reference_plan(seed: int) -> None:
    """The vectorised layered search and the plain pure-Python DP give the same plan."""
    w = small_world(seed)
    assert_planner_is_reference(w.spec, w.cal, w.st)


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_plan_is_optimal(seed: int) -> None:
    """The pure-Python reference DP reaches the exhaustive search's optimum."""
    w = small_world(seed)
    gr = P._build_grid(w.spec, w.cal, w.st)
    ref = reference_solve(w.spec, gr, w.st)
    best = enumerate_best(w)
    assert (ref is None) == (best is None)
    if ref is not None:
        _, path, edges = ref
        assert cost_of_path(w, [plus(w.spec.t0, k * w.grid_min) for k in path], edges) == best


def test_vectorised_pieces_match_scalar() -> None:
    """The vectorised arc intervals are those of the per-node rule."""
    for seed in range(30):
        w = small_world(seed)
        gr = P._build_grid(w.spec, w.cal, w.st)
        allp = P._all_pieces(gr, w.st)
        for k in range(gr.n):
            if not gr.valid[k]:
                continue
            scalar = [(lo, hi, e) for lo, hi, e in P._arc_pieces(k, gr, w.st)]
            vec = [tuple(int(x) for x in row) for row in allp[k] if row[0] <= row[1]]
            assert sorted(scalar) == sorted(vec), (seed, k)


def test_vial_table_is_the_count_of_every_length() -> None:
    """The bisected vial table equals the vial count of each bag length, one by one."""
    for seed in range(30):
        w = small_world(seed)
        gr = P._build_grid(w.spec, w.cal, w.st)
        dmax = max(1, min(gr.n, int(w.st.max_bag_h * 3600) // gr.g))
        tab = P._vial_table(gr, w.st, dmax)
        for ri, rate in enumerate(gr.rates):
            for d in range(1, dmax + 1):
                hours_ = d * w.grid_min / 60
                dose = rate * (hours_ + w.overfill(hours_)) / 24
                assert tab[ri, d] == max(1, math.ceil(round(dose / w.st.vial_ug, 9))), (seed, d)


def test_exhaustive_cases_are_short_cycles() -> None:
    """The exhaustive cases are cycles of at most 60 h, so enumeration stays small."""
    assert hours(small_world(0).spec.t0, small_world(0).spec.t_end) <= 60


def floored_world(seed: int) -> World | None:
    """small_world(seed) with min_bag_h just above the shortest bag of its best plan without
    a floor, so that the floor binds (None when no plan exists without a floor)."""
    w = small_world(seed)
    free = w.st.model_copy(update={"min_bag_h": 0.0})
    try:
        plan = P.plan_cycle(w.spec, w.cal, free)
    except InfeasiblePlanError:
        return None
    shortest = min(b.duration_h for b in plan.bags)
    st = free.model_copy(update={"min_bag_h": shortest + w.grid_min / 60})
    return World(spec=w.spec, st=st, cal=w.cal, grid_min=w.grid_min)


FLOORED = [s for s in range(100) if floored_world(s) is not None]


@pytest.mark.parametrize("seed", FLOORED)
def test_layered_search_gives_the_reference_plan_when_the_floor_binds(seed: int) -> None:
    """The same with min_bag_h just above a bag the unconstrained optimum needs."""
    w = floored_world(seed)
    assert w is not None
    assert_planner_is_reference(w.spec, w.cal, w.st)


@pytest.mark.parametrize("seed", FLOORED)
def test_planner_matches_exhaustive_search_when_the_floor_binds(seed: int) -> None:
    """With min_bag_h above a bag the unconstrained optimum needs: same optimum, or a refusal."""
    w = floored_world(seed)
    assert w is not None
    best = enumerate_best(w)
    if best is None:
        with pytest.raises(InfeasiblePlanError, match="min_bag_h"):
            P.plan_cycle(w.spec, w.cal, w.st)
        return
    plan = P.plan_cycle(w.spec, w.cal, w.st)
    assert min(b.duration_h for b in plan.bags) >= w.st.min_bag_h - 1e-9
    assert planner_cost(w, plan) == best


LOWER = re.compile(r"lower min_bag_h to ([\d.]+) h")


@pytest.mark.parametrize("seed", FLOORED)
def test_floor_refusal_says_how_low_min_bag_h_must_go(seed: int) -> None:
    """A refusal caused by the floor names it, an instant, and a min_bag_h that gives a plan."""
    w = floored_world(seed)
    assert w is not None
    try:
        P.plan_cycle(w.spec, w.cal, w.st)
    except InfeasiblePlanError as exc:
        msg = str(exc)
    else:
        return
    assert msg.startswith("cycle 1: no safe plan keeps every bag at least") and "\n" not in msg
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d", msg)
    match = LOWER.search(msg)
    assert match, msg
    lowered = w.st.model_copy(update={"min_bag_h": float(match.group(1))})
    plan = P.plan_cycle(w.spec, w.cal, lowered)
    shortest = min(b.duration_h for b in plan.bags)
    assert float(match.group(1)) - 1e-9 <= shortest < w.st.min_bag_h


@pytest.mark.parametrize("seed", SEEDS[:60])
def test_preparations_are_slots(seed: int) -> None:
    """Every preparation is one of the pharmacy's slots, counted from the window's opening."""
    w = small_world(seed)
    try:
        plan = P.plan_cycle(w.spec, w.cal, w.st)
    except InfeasiblePlanError:
        return
    for b in plan.bags:
        assert b.prepared_at in w.slots(b.prepared_at.astimezone(PARIS).date())
