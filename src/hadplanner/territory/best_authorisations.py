"""Which HADs the ARS should help become "établissement associé" first.

A maximal covering problem: choose at most ``k`` HADs not yet authorised for
chemotherapy so that the population of communes not served today, and
contained in the zone of a chosen HAD, is largest. Solved exactly with OR-Tools
CP-SAT; the answer says whether optimality was proven.

Model (after grouping communes covered by the same set of eligible HADs, which
changes nothing in the optimum and shrinks all of France to a few hundred
groups)::

    x_h in {0, 1}   HAD h becomes associated
    y_g in {0, 1}   group g of communes becomes served
    y_g <= sum(x_h for h covering g)
    sum(x_h) <= k
    maximise sum(pop_g * y_g)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from hadplanner.territory.coverage import SERVED, Coverage


@dataclass(frozen=True)
class CoveringData:
    """The maximal covering instance on plain arrays (index-based, no names)."""

    cover: np.ndarray
    """``(n_groups, n_candidates)`` bool: candidate HAD ``j`` covers group ``g``."""
    weight: np.ndarray
    """``(n_groups,)`` int population of each group (> 0)."""

    @classmethod
    def from_arrays(
        cls,
        membership: np.ndarray,
        population: np.ndarray,
        eligible: np.ndarray,
        need: np.ndarray,
        group: bool = True,
    ) -> tuple[CoveringData, np.ndarray]:
        """Build the instance from commune x HAD arrays.

        Parameters
        ----------
        membership
            ``(n_c, n_h)`` bool zone membership.
        population
            ``(n_c,)`` int.
        eligible
            ``(n_h,)`` bool: HADs that may be chosen (not yet authorised).
        need
            ``(n_c,)`` bool: communes not served today.
        group
            Merge communes with the same covering set into one weighted row
            (exact, and much smaller); False keeps one row per commune.

        Returns
        -------
        (CoveringData, numpy.ndarray)
            The instance and the HAD index of each candidate column.
        """
        cand = np.nonzero(np.asarray(eligible, dtype=bool))[0]
        sub = np.asarray(membership, dtype=bool)[:, cand]
        rows = np.asarray(need, dtype=bool) & sub.any(axis=1) & (np.asarray(population) > 0)
        sub = sub[rows]
        if len(sub) == 0:
            return cls(np.zeros((0, len(cand)), dtype=bool), np.zeros(0, dtype=np.int64)), cand
        if not group:
            return cls(sub, np.asarray(population)[rows].astype(np.int64)), cand
        # Communes with the same covering set are interchangeable: one group each.
        packed = np.packbits(sub, axis=1)
        keys, inverse = np.unique(packed, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        weight = np.bincount(inverse, weights=np.asarray(population)[rows]).astype(np.int64)
        cover = np.unpackbits(keys, axis=1, count=len(cand)).astype(bool)
        return cls(cover, weight), cand


@dataclass(frozen=True)
class CoveringResult:
    """One solve of the maximal covering problem."""

    k: int
    chosen: tuple[int, ...]
    """Candidate columns chosen (indices into ``CoveringData.cover``'s columns)."""
    objective: int
    """Population covered."""
    bound: float
    status: str
    """CP-SAT status name: OPTIMAL when proven."""
    wall_time_s: float

    @property
    def optimal(self) -> bool:
        return self.status == "OPTIMAL"


def _variables(model: cp_model.CpModel, data: CoveringData) -> tuple[list, list]:
    """x_j: candidate HAD j becomes associated; y_g: group g becomes served."""
    x = [model.new_bool_var(f"x{j}") for j in range(data.cover.shape[1])]
    y = [model.new_bool_var(f"y{g}") for g in range(data.cover.shape[0])]
    return x, y


def _covered_only_by_chosen(model: cp_model.CpModel, data: CoveringData, x: list, y: list) -> None:
    """A group counts as served only if a chosen HAD's zone contains it."""
    for g in range(data.cover.shape[0]):
        model.add(y[g] <= sum(x[j] for j in np.nonzero(data.cover[g])[0]))


def _at_most_k(model: cp_model.CpModel, x: list, k: int) -> None:
    """At most k HADs become associated."""
    model.add(sum(x) <= k)


def _objective(model: cp_model.CpModel, data: CoveringData, y: list) -> None:
    """Maximise the population of groups served."""
    model.maximize(sum(int(w) * y[g] for g, w in enumerate(data.weight)))


def solve_max_covering(
    data: CoveringData,
    k: int,
    time_limit_s: float = 10.0,
    workers: int = 1,
    hint: Sequence[int] = (),
) -> CoveringResult:
    """Solve the maximal covering instance for ``k`` exactly with CP-SAT.

    ``workers`` defaults to 1: the instances are small after grouping, and one
    worker makes the chosen set reproducible when several sets tie.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    start = time.perf_counter()
    model = cp_model.CpModel()
    x, y = _variables(model, data)
    _covered_only_by_chosen(model, data, x, y)
    _at_most_k(model, x, k)
    _objective(model, data, y)
    for j in hint:
        model.add_hint(x[j], 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    code = solver.solve(model)
    status = solver.status_name(code)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = tuple(j for j in range(len(x)) if solver.value(x[j]))
        objective = int(round(solver.objective_value))
        bound = float(solver.best_objective_bound)
    else:
        chosen, objective, bound = (), 0, float("nan")
    return CoveringResult(
        k=k,
        chosen=chosen,
        objective=objective,
        bound=bound,
        status=status,
        wall_time_s=time.perf_counter() - start,
    )


@dataclass(frozen=True)
class BestStep:
    """The best choice for one k."""

    k: int
    had_ids: tuple[str, ...]
    names: tuple[str, ...]
    population_gained: int
    """Population no longer needing a derogation or a convention."""
    increment: int
    """Gain over the best choice for k - 1 (the sets need not be nested)."""
    status: str
    wall_time_s: float

    @property
    def optimal(self) -> bool:
        return self.status == "OPTIMAL"

    def as_dict(self) -> dict:
        return {
            "k": self.k,
            "had_ids": list(self.had_ids),
            "names": list(self.names),
            "population_gained": self.population_gained,
            "increment": self.increment,
            "status": self.status,
            "wall_time_s": round(self.wall_time_s, 3),
        }


@dataclass(frozen=True)
class BestAuthorisations:
    """Answer for the k asked, and the sequence k = 1..k_max."""

    best: BestStep
    sequence: list[BestStep] = field(default_factory=list)
    uncovered_population: int = 0
    """Population not served today (the most any choice could recover, bar no_had)."""
    eligible: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "best": self.best.as_dict(),
            "sequence": [s.as_dict() for s in self.sequence],
            "uncovered_population": self.uncovered_population,
            "eligible": list(self.eligible),
        }


def best_authorisations(
    cov: Coverage,
    k: int,
    k_max: int | None = None,
    time_limit_s: float = 10.0,
) -> BestAuthorisations:
    """The ``k`` unauthorised HADs whose association serves the most unserved population.

    Parameters
    ----------
    cov
        Coverage on the day of interest (gives who is authorised and what is served).
    k
        Number of HADs to choose.
    k_max
        Also solve k = 1..k_max for the sequence of gains; default: every
        eligible HAD (at least ``k``).
    time_limit_s
        Per solve; a solve stopped by it reports status FEASIBLE, not OPTIMAL.
    """
    idx = cov.index
    eligible = ~cov.authorised & idx.membership.any(axis=0)
    need = cov.arrays.status != SERVED
    data, cand = CoveringData.from_arrays(idx.membership, idx.population, eligible, need)
    n = len(cand)
    if not 1 <= k <= max(n, 1) or (k_max is not None and not k <= k_max <= n):
        from hadplanner.errors import InputError

        raise InputError(f"k must be between 1 and {n} (eligible HADs) and k_max between k "
                         f"and {n}, got k={k}, k_max={k_max}")
    k_max = max(k, n) if k_max is None else max(k, k_max)

    def step(result: CoveringResult, previous: int) -> BestStep:
        hs = [int(cand[j]) for j in result.chosen]
        return BestStep(
            k=result.k,
            had_ids=tuple(idx.had_ids[h] for h in hs),
            names=tuple(idx.had_names[h] for h in hs),
            population_gained=result.objective,
            increment=result.objective - previous,
            status=result.status,
            wall_time_s=result.wall_time_s,
        )

    sequence: list[BestStep] = []
    previous, hint = 0, tuple[int, ...]()
    best: BestStep | None = None
    for kk in range(1, k_max + 1):
        res = solve_max_covering(data, kk, time_limit_s, hint=hint)
        s = step(res, previous)
        sequence.append(s)
        previous, hint = res.objective, res.chosen
        if kk == k:
            best = s
    if best is None:  # k == 0
        best = step(solve_max_covering(data, 0, time_limit_s), 0)
    return BestAuthorisations(
        best=best,
        sequence=sequence,
        uncovered_population=int(idx.population[need].sum()),
        eligible=tuple(idx.had_ids[h] for h in cand),
    )
