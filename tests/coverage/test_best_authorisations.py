"""Best-k authorisations: CP-SAT and SCIP against brute force, reductions, "not proven"."""

from __future__ import annotations

import itertools

import coverage_grid as grid
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hadplanner.territory.best_authorisations import (
    BestAuthorisations,
    BestStep,
    CoveringData,
    LpRelaxation,
    ReducedCovering,
    best_authorisations,
    solve_max_covering,
)
from hadplanner.territory.coverage import CoverageSettings, compute_coverage


def brute_force(membership, population, eligible, need, k):
    """Best population covered by at most k eligible HADs, by enumeration."""
    cands = np.nonzero(eligible)[0]
    best = 0
    for r in range(min(k, len(cands)) + 1):
        for combo in itertools.combinations(cands, r):
            covered = need & membership[:, list(combo)].any(axis=1) if combo else need & False
            best = max(best, int(population[covered].sum()))
    return best


def random_instance(seed, n_c, n_h, density):
    rng = np.random.default_rng(seed)
    membership = rng.random((n_c, n_h)) < density
    population = rng.integers(0, 5000, n_c)
    eligible = rng.random(n_h) < 0.8
    need = rng.random(n_c) < 0.8
    return membership, population, eligible, need


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_c=st.integers(1, 30),
    n_h=st.integers(1, 9),
    k=st.integers(0, 5),
    density=st.sampled_from([0.15, 0.3, 0.5]),
)
def test_solvers_match_brute_force(seed, n_c, n_h, k, density):
    """On random instances CP-SAT, SCIP and auto prove the enumerated optimum."""
    membership, population, eligible, need = random_instance(seed, n_c, n_h, density)
    data, cand = CoveringData.from_arrays(membership, population, eligible, need)
    expected = brute_force(membership, population, eligible, need, k)
    for backend in ("cp-sat", "scip", "auto"):
        res = solve_max_covering(data, k, backend=backend)
        assert res.status == "OPTIMAL" and res.gap == 0
        assert res.objective == res.bound == expected
        assert len(res.chosen) <= k
        # The chosen HADs really cover what the objective says.
        chosen = cand[list(res.chosen)]
        covered = need & membership[:, chosen].any(axis=1) if len(chosen) else need & False
        assert int(population[covered].sum()) == res.objective
    raw, _ = CoveringData.from_arrays(membership, population, eligible, need, group=False)
    assert solve_max_covering(raw, k).objective == expected  # grouping is exact


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n_c=st.integers(1, 30), n_h=st.integers(1, 9))
def test_reductions_lose_nobody(seed, n_c, n_h):
    """A dominated HAD's stand-in covers all it covers; folding keeps the total."""
    membership, population, eligible, need = random_instance(seed, n_c, n_h, 0.3)
    data, _ = CoveringData.from_arrays(membership, population, eligible, need)
    red = ReducedCovering.from_data(data)
    assert red.total == data.total
    rng = np.random.default_rng(seed)
    for _ in range(5):
        pick = [j for j in range(data.n_candidates) if rng.random() < 0.4]
        stand_in = sorted({int(red.representative[j]) for j in pick if red.representative[j] >= 0})
        assert red.value(stand_in) >= data.covered(pick)
        assert red.value(stand_in) == data.covered(red.kept[stand_in].tolist())


def test_greedy_trap_is_solved_not_guessed():
    """Greedy takes the big middle HAD and reaches 5; the optimum pairs the two sides (6)."""
    # Six communes of one inhabitant; A covers 1-4 (the middle), B 0-2, C 3-5.
    membership = np.zeros((6, 3), dtype=bool)
    membership[1:5, 0] = True
    membership[0:3, 1] = True
    membership[3:6, 2] = True
    data, _ = CoveringData.from_arrays(membership, np.ones(6, int), np.ones(3, bool),
                                       np.ones(6, bool))
    red = ReducedCovering.from_data(data)
    assert red.value(red.greedy_extend([], 2)) == 5
    for backend in ("cp-sat", "scip"):
        res = solve_max_covering(data, 2, backend=backend)
        assert (res.objective, res.chosen, res.status, res.solver) == (6, (1, 2), "OPTIMAL",
                                                                       backend)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n_c=st.integers(1, 30), n_h=st.integers(2, 9),
       k=st.integers(1, 5))
def test_lp_dual_bound_is_an_upper_bound(seed, n_c, n_h, k):
    """The LP's dual bound is never below the optimum, and equals it when the LP is integral."""
    membership, population, eligible, need = random_instance(seed, n_c, n_h, 0.3)
    data, _ = CoveringData.from_arrays(membership, population, eligible, need)
    red = ReducedCovering.from_data(data)
    if red.n_kept == 0:
        return
    x, bound = LpRelaxation(red).solve(k)
    expected = brute_force(membership, population, eligible, need, k)
    assert x is not None and bound >= expected - 1e-6
    if np.all((x < 1e-6) | (x > 1 - 1e-6)) and x.sum() <= k + 1e-6:
        assert red.value(np.nonzero(x > 0.5)[0].tolist()) == expected


def test_fractional_lp_goes_on_to_cp_sat():
    """Four HADs, a commune for each pair, k = 2: the LP takes halves (6); the optimum is 5."""
    pairs = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    membership = np.zeros((6, 4), dtype=bool)
    for row, (a, b) in enumerate(pairs):
        membership[row, [a, b]] = True
    data, _ = CoveringData.from_arrays(membership, np.ones(6, int), np.ones(4, bool),
                                       np.ones(6, bool))
    x, bound = LpRelaxation(ReducedCovering.from_data(data)).solve(2)
    assert x is not None and x.tolist() == [0.5] * 4 and bound == pytest.approx(6)
    res = solve_max_covering(data, 2)
    assert (res.objective, res.bound, res.status, res.solver) == (5, 5, "OPTIMAL", "lp+cp-sat")


def test_dominated_and_identical_hads_are_dropped():
    """An HAD covering a subset of another's communes, or the same ones, is not kept."""
    membership = np.array(
        [[1, 1, 0, 1], [1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, 0]], dtype=bool
    )  # HAD 1 inside HAD 0; HAD 3 same as HAD 0
    data, _ = CoveringData.from_arrays(membership, np.array([10, 20, 30, 40]),
                                       np.ones(4, bool), np.ones(4, bool))
    red = ReducedCovering.from_data(data)
    assert red.kept.tolist() == [0, 2]
    assert red.representative.tolist() == [0, 0, 1, 0]
    assert red.own.tolist() == [30, 70] and len(red.weight) == 0
    res = solve_max_covering(data, 1)
    assert (res.objective, res.chosen) == (70, (2,))


def test_time_limit_says_not_proven_with_its_gap():
    """A solve stopped at once reports FEASIBLE, a bound above the optimum and the gap."""
    membership, population, eligible, need = random_instance(3, 300, 60, 0.08)
    data, _ = CoveringData.from_arrays(membership, population, eligible, need)
    proven = solve_max_covering(data, 6)
    assert proven.optimal
    stopped = solve_max_covering(data, 6, time_limit_s=0.0, backend="cp-sat")
    assert stopped.status == "FEASIBLE" and not stopped.optimal
    assert stopped.objective <= proven.objective <= stopped.bound
    assert stopped.gap == stopped.bound - stopped.objective > 0


def test_not_proven_in_every_output():
    """A step stopped by the time limit says so in its fields and its JSON."""
    step = BestStep(k=2, had_ids=("a",), names=("A",), population_gained=900, increment=900,
                    status="FEASIBLE", wall_time_s=10.0, bound=1000, solver="cp-sat+scip")
    assert not step.proven and step.gap == 100 and step.gap_pct == pytest.approx(10.0)
    d = step.as_dict()
    assert (d["proven"], d["bound"], d["gap"], d["gap_pct"]) == (False, 1000, 100, 10.0)
    res = BestAuthorisations(best=step, sequence=[step])
    assert res.as_dict()["proven"] is False and res.not_proven == [step]
    ok = BestStep(k=1, had_ids=("a",), names=("A",), population_gained=5, increment=5,
                  status="OPTIMAL", wall_time_s=0.0)
    assert ok.proven and ok.bound == 5 and ok.gap == 0 and ok.as_dict()["proven"] is True


def test_grouping_merges_identical_coverage_sets():
    """Communes covered by the same HADs become one weighted group."""
    membership = np.array([[1, 0], [1, 0], [1, 1], [0, 0]], dtype=bool)
    data, cand = CoveringData.from_arrays(
        membership, np.array([10, 20, 5, 100]), np.array([True, True]), np.ones(4, dtype=bool)
    )
    assert sorted(data.weight.tolist()) == [5, 30]
    assert cand.tolist() == [0, 1]


def test_grid_best_and_sequence(grid_index):
    """On the grid: k=1 picks had-b (22 000 people), k=2 adds had-d (+10 500)."""
    cov = compute_coverage(grid_index, grid.DAY, CoverageSettings(limit_min=grid.LIMIT))
    res = best_authorisations(cov, 1)
    assert res.best.had_ids == ("had-b",)
    assert res.best.population_gained == 22_000
    assert [(s.k, s.increment, s.status) for s in res.sequence] == [
        (1, 22_000, "OPTIMAL"),
        (2, 10_500, "OPTIMAL"),
    ]
    assert res.proven and res.not_proven == []
    # The no_had commune (5, 0) can never be recovered by an association.
    assert res.uncovered_population - res.sequence[-1].population_gained == grid.population(5, 0)
    assert res.eligible == ("had-b", "had-d")
    scip = best_authorisations(cov, 1, backend="scip")
    assert [s.population_gained for s in scip.sequence] == [22_000, 32_500]


def test_negative_k_and_unknown_backend_are_errors():
    """k < 0 and an unknown backend are refused."""
    data, _ = CoveringData.from_arrays(
        np.ones((1, 1), bool), np.array([1]), np.array([True]), np.array([True])
    )
    with pytest.raises(ValueError, match="k must be >= 0"):
        solve_max_covering(data, -1)
    with pytest.raises(ValueError, match="unknown backend 'glpk'"):
        solve_max_covering(data, 1, backend="glpk")  # type: ignore[arg-type]
