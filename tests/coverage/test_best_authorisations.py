"""Best-k authorisations: CP-SAT against brute force, and on the grid."""

from __future__ import annotations

import itertools

import coverage_grid as grid
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hadplanner.territory.best_authorisations import (
    CoveringData,
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


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000), n_c=st.integers(1, 25), n_h=st.integers(1, 7), k=st.integers(0, 4)
)
def test_cpsat_matches_brute_force(seed, n_c, n_h, k):
    """On random instances the proven optimum equals the enumerated one."""
    rng = np.random.default_rng(seed)
    membership = rng.random((n_c, n_h)) < 0.3
    population = rng.integers(0, 5000, n_c)
    eligible = rng.random(n_h) < 0.7
    need = rng.random(n_c) < 0.8
    data, cand = CoveringData.from_arrays(membership, population, eligible, need)
    res = solve_max_covering(data, k)
    assert res.status == "OPTIMAL"
    assert res.objective == brute_force(membership, population, eligible, need, k)
    assert len(res.chosen) <= k
    raw, _ = CoveringData.from_arrays(membership, population, eligible, need, group=False)
    assert solve_max_covering(raw, k).objective == res.objective  # grouping is exact
    # The chosen HADs really cover what the objective says.
    chosen = cand[list(res.chosen)]
    covered = need & membership[:, chosen].any(axis=1) if len(chosen) else need & False
    assert int(population[covered].sum()) == res.objective


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
    # The no_had commune (5, 0) can never be recovered by an association.
    assert res.uncovered_population - res.sequence[-1].population_gained == grid.population(5, 0)
    assert res.eligible == ("had-b", "had-d")


def test_negative_k_is_an_error():
    """k < 0 is refused."""
    data, _ = CoveringData.from_arrays(
        np.ones((1, 1), bool), np.array([1]), np.array([True]), np.array([True])
    )
    with pytest.raises(ValueError, match="k must be >= 0"):
        solve_max_covering(data, -1)
