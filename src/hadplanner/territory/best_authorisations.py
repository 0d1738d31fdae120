"""Which HADs the ARS should help become "établissement associé" first.

A maximal covering problem (Church & ReVelle, 1974): choose at most ``k`` HADs
not yet authorised for chemotherapy so that the population of communes not
served today, and contained in the zone of a chosen HAD, is largest. Solved
exactly with OR-Tools (below: the LP relaxation when it is integral, CP-SAT
otherwise, SCIP as a last resort); every answer carries its status, the
population reached and the proven upper bound, so a solve stopped by the time
limit says "not proven" with the gap instead of passing a sub-optimum off as
the best.

The code is split as PyJobShop splits its solver layer: plain index-based data
(:class:`CoveringData`), exact reductions (:class:`ReducedCovering`), then the
model as variables, one function per constraint family (its rule in its
docstring) and the objective; :func:`solve_max_covering` returns a
:class:`CoveringResult` (status, objective, bound, time) and never raises for a
solve that found nothing.

Exact reductions (none changes the optimum; tested against brute force):

1. communes covered by the same set of candidate HADs form one group weighted
   by their population (all of France: a few hundred to a few thousand groups);
2. a candidate whose groups are all covered by another candidate is
   *dominated* and dropped: swapping it for the other never loses anyone (of
   candidates covering the same groups, the first is kept);
3. a group covered by a single kept candidate is folded into that candidate's
   own weight (its ``y`` would equal that ``x``); only groups covered by two or
   more kept candidates keep a variable.

Model::

    x_j in {0, 1}   kept candidate j becomes associated
    y_g in {0, 1}   group g (two or more kept candidates cover it) becomes served
    y_g <= sum(x_j for j covering g)                  (served only if covered)
    sum(x_j) <= k                                     (at most k)
    maximise sum(own_j * x_j) + sum(w_g * y_g)

How each k is solved (``backend="auto"``). Each stage starts only while the
best choice found and the smallest proven bound have not met:

1. greedy: the best set for ``k - 1`` plus the best single addition;
2. the LP relaxation (GLOP, restarted from the last basis for each k): on
   these instances it is integral for most k (on France every k = 1..20 at
   300, 1,000 and 2,000 HADs, and 471 of the 538 k to solve at 2,000 HADs),
   so its solution is a choice of k HADs, proven optimal by an upper bound
   computed from the LP's duals by weak duality (valid for any non-negative
   multipliers, so it does not rest on GLOP's tolerances);
3. CP-SAT for a tenth of the time limit (:data:`CP_SAT_SHARE`, 1 s of the
   default 10 s), with the parameters below, starting from the best choice;
4. SCIP for the rest of the time limit.

The answer is the best choice and the smallest bound; "not proven" only if
all stop short. Every choice is recounted from the data and every bound
checked against it: a contradiction is a bug and raises. GLOP and SCIP ship
inside the OR-Tools wheel (``pywraplp``): no new dependency. ``backend=
"cp-sat"`` or ``"scip"`` runs one solver alone, for cross-checks.

Solver parameters (:func:`_parameters`). Each was measured by setting it back
to its default (``benchmarks/bestk.py --ablation``: CP-SAT alone, 10 s per k,
k = 1..20 on synthetic metropolitan France with 1,000 HADs (318 candidates)
and with 1,888 candidates, and k = 1, 10 on a random covering harder than
France, 2,000 candidates and 12,000 shared groups):

``linearization_level=2`` (default 1)
    The LP relaxation of this model is integral, or nearly, on these
    instances; at level 1 the single worker searches without it. Level 1
    stops at the time limit at k = 9 and 13 with 1,000 HADs, at every k from
    2 on with 1,888 candidates, and at k = 1 and 10 on the random covering;
    level 2 proves every k (worst 0.01 s, 0.2 s and 1.6 s).
``cp_model_probing_level=0`` (default 2)
    At k = 1 the at-most-k row is an at-most-one over every candidate;
    probing it costs 3.2 s with 1,888 candidates (0.2 s without) and 4 s on
    the random covering (0.6 s), and proves nothing the LP does not.
``add_lp_constraints_lazily=False`` (default True)
    The LP holds every covering row from the start instead of adding them as
    they are violated: the same on France (worst 0.27 s against 0.22 s), but
    on the random covering lazy rows leave k = 1 unproven after 9.9 s (0.6 s).
``num_workers=1``
    Reproducible (the same set whenever several tie), and faster: with two
    workers on two cores, 1,000 HADs need up to 7.2 s, and every k from 2 on
    stops at the time limit with 1,888 candidates.
hint
    The best choice found so far (greedy from the best set for ``k - 1``), so
    the first solution is already good and the search mostly closes the bound.

CP-SAT alone proves every k = 1..20 on France within 0.25 s, but without the
LP stage the whole sequence k = 1..629 at 2,000 HADs (the CLI's default
``--k-max``) took 224 s, CP-SAT spending 1 to 2 s in presolve at each k from
250 to 550 and handing 24 of them to SCIP; with the LP stage it takes 20 s.
On the random covering, CP-SAT alone needs 9 s at k = 50 and more than 10 s
at k = 100, SCIP 2 to 3 s, the LP stage 1 s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from ortools.sat.python import cp_model

from hadplanner.territory.coverage import SERVED, Coverage

OPTIMAL = "OPTIMAL"
"""Status of a proven optimum."""

CP_SAT_SHARE = 0.1
"""Part of the time limit CP-SAT has before SCIP takes over (``auto`` backend): 1 s
of the default 10 s, four times the worst k CP-SAT alone needs on France."""

Backend = Literal["auto", "cp-sat", "scip"]


# -- data ------------------------------------------------------------------------------


def _group_rows(cover: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge rows with the same covering set, summing their weights (rows sorted)."""
    if len(cover) == 0:
        return cover.astype(bool), weight.astype(np.int64)
    packed = np.packbits(cover, axis=1)
    keys, inverse = np.unique(packed, axis=0, return_inverse=True)
    w = np.bincount(inverse.reshape(-1), weights=weight, minlength=len(keys))
    return np.unpackbits(keys, axis=1, count=cover.shape[1]).astype(bool), w.astype(np.int64)


@dataclass(frozen=True)
class CoveringData:
    """The maximal covering instance on plain arrays (index-based, no names)."""

    cover: np.ndarray
    """``(n_groups, n_candidates)`` bool: candidate HAD ``j`` covers group ``g``."""
    weight: np.ndarray
    """``(n_groups,)`` int population of each group (> 0)."""

    def __post_init__(self) -> None:
        cover, weight = np.asarray(self.cover), np.asarray(self.weight)
        if cover.ndim != 2 or weight.shape != (cover.shape[0],):
            raise ValueError(
                f"cover must be (n_groups, n_candidates) and weight (n_groups,), got "
                f"{cover.shape} and {weight.shape}"
            )
        if len(weight) and weight.min() <= 0:
            raise ValueError("every group must have a positive weight")

    @property
    def n_candidates(self) -> int:
        return int(self.cover.shape[1])

    @property
    def total(self) -> int:
        """Population of the groups some candidate covers: no choice can reach more."""
        return int(self.weight[self.cover.any(axis=1)].sum())

    def covered(self, chosen: Sequence[int]) -> int:
        """Population of the groups covered by the candidate columns ``chosen``."""
        if len(chosen) == 0:
            return 0
        return int(self.weight[self.cover[:, list(chosen)].any(axis=1)].sum())

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
        eligible = np.asarray(eligible, dtype=bool)
        cand = np.nonzero(eligible)[0]
        population = np.asarray(population)
        column = np.full(len(eligible), -1, dtype=np.int64)
        column[cand] = np.arange(len(cand))
        # Work on the (commune, candidate) pairs: a few per commune, whatever n_h.
        r, h = np.nonzero(np.asarray(membership, dtype=bool))
        keep = np.asarray(need, dtype=bool)[r] & (population[r] > 0) & eligible[h]
        r, c = r[keep], column[h[keep]]
        rows, row_pos = np.unique(r, return_inverse=True)
        weight = population[rows].astype(np.int64)
        if not group:
            cover = np.zeros((len(rows), len(cand)), dtype=bool)
            cover[row_pos, c] = True
            return cls(cover, weight), cand
        # Communes with the same covering set are interchangeable: one group each.
        ptr = np.concatenate([[0], np.cumsum(np.bincount(row_pos, minlength=len(rows)))])
        key_of: dict[tuple[int, ...], int] = {}
        group_of = np.empty(len(rows), dtype=np.int64)
        c_list = c.tolist()
        for i in range(len(rows)):
            group_of[i] = key_of.setdefault(tuple(c_list[ptr[i] : ptr[i + 1]]), len(key_of))
        cover = np.zeros((len(key_of), len(cand)), dtype=bool)
        cover[group_of[row_pos], c] = True
        return cls(cover, np.bincount(group_of, weights=weight).astype(np.int64)), cand


@dataclass(frozen=True)
class ReducedCovering:
    """The instance after the exact reductions of the module docstring."""

    data: CoveringData
    kept: np.ndarray
    """Columns of ``data`` kept (not dominated), increasing."""
    representative: np.ndarray
    """``(n_candidates,)``: the kept column (index into ``kept``) standing for each column."""
    own: np.ndarray
    """``(n_kept,)`` int: population of the groups only this kept candidate covers."""
    ptr: np.ndarray
    """CSR row pointers of the groups covered by two or more kept candidates."""
    cols: np.ndarray
    """CSR column indices (into ``kept``) of those groups."""
    weight: np.ndarray
    """Population of each of those groups."""

    @property
    def n_kept(self) -> int:
        return len(self.kept)

    @property
    def total(self) -> int:
        return int(self.own.sum() + self.weight.sum())

    @classmethod
    def from_data(cls, data: CoveringData) -> ReducedCovering:
        """Drop dominated candidates and fold single-candidate groups (exact)."""
        cover = np.asarray(data.cover, dtype=bool)
        n = cover.shape[1]
        col_rows = [np.nonzero(cover[:, j])[0] for j in range(n)]
        row_cols = [np.nonzero(r)[0] for r in cover]
        size = np.array([len(r) for r in col_rows])
        dominator = np.arange(n)
        for i in range(n):
            if size[i] == 0:
                dominator[i] = -1  # covers nobody who needs it: never useful
                continue
            # Columns covering every group of i: intersect the groups' column sets.
            common = set(row_cols[col_rows[i][0]].tolist())
            for g in col_rows[i][1:]:
                common.intersection_update(row_cols[g].tolist())
                if len(common) == 1:
                    break
            better = [j for j in common if j != i and (size[j] > size[i] or j < i)]
            if better:
                dominator[i] = min(better, key=lambda j: (-size[j], j))
        # Follow chains of domination to a kept column (the relation is acyclic).
        kept_mask = dominator == np.arange(n)
        root = dominator.copy()
        for i in range(n):
            j = i
            while j >= 0 and not kept_mask[j]:
                j = root[j]
            root[i] = j
        kept = np.nonzero(kept_mask)[0]
        position = np.full(n, -1, dtype=np.int64)
        position[kept] = np.arange(len(kept))
        representative = np.where(root >= 0, position[np.maximum(root, 0)], -1)
        rows = cover[:, kept].any(axis=1)  # all rows, unless nothing is kept
        sub, w = _group_rows(cover[rows][:, kept], np.asarray(data.weight, dtype=np.int64)[rows])
        deg = sub.sum(axis=1)
        own = np.zeros(len(kept), dtype=np.int64)
        single = deg == 1
        if single.any():
            np.add.at(own, sub[single].argmax(axis=1), w[single])
        multi = sub[deg >= 2]
        r, c = np.nonzero(multi)
        ptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=len(multi)))])
        return cls(
            data=data,
            kept=kept,
            representative=representative.astype(np.int64),
            own=own,
            ptr=ptr.astype(np.int64),
            cols=c.astype(np.int64),
            weight=w[deg >= 2],
        )

    def value(self, chosen: Sequence[int]) -> int:
        """Population covered by the kept columns ``chosen`` (indices into ``kept``)."""
        x = np.zeros(self.n_kept, dtype=bool)
        x[list(chosen)] = True
        if len(self.cols) == 0:
            return int(self.own[x].sum())
        hit = np.logical_or.reduceat(x[self.cols], self.ptr[:-1])
        return int(self.own[x].sum() + self.weight[hit].sum())

    def greedy_extend(self, chosen: Sequence[int], k: int) -> list[int]:
        """``chosen`` plus the best single additions until ``k`` columns (or no gain)."""
        x = np.zeros(self.n_kept, dtype=bool)
        x[list(chosen)] = True
        out = list(chosen)
        row_of = np.repeat(np.arange(len(self.weight)), np.diff(self.ptr))
        while len(out) < min(k, self.n_kept):
            hit = np.zeros(len(self.weight), dtype=bool)
            np.logical_or.at(hit, row_of, x[self.cols])
            open_rows = ~hit[row_of]
            gain = self.own.astype(np.float64).copy()
            np.add.at(gain, self.cols[open_rows], self.weight[row_of[open_rows]])
            gain[x] = -1
            j = int(np.argmax(gain))
            if gain[j] <= 0:
                break
            x[j] = True
            out.append(j)
        return out


@dataclass(frozen=True)
class CoveringResult:
    """One solve of the maximal covering problem."""

    k: int
    chosen: tuple[int, ...]
    """Candidate columns chosen (indices into ``CoveringData.cover``'s columns)."""
    objective: int
    """Population covered by ``chosen``."""
    bound: int
    """No choice of ``k`` candidates covers more (the solver's proven upper bound)."""
    status: str
    """OPTIMAL when proven; FEASIBLE when stopped by the time limit (see ``gap``)."""
    wall_time_s: float
    solver: str = "cp-sat"
    """Who answered: lp, cp-sat, scip, or several joined by + (auto tried them in turn),
    or greedy (everything coverable covered, nothing to solve)."""

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL

    @property
    def gap(self) -> int:
        """People that a better choice might still add (0 when proven)."""
        return max(self.bound - self.objective, 0)


# -- model ------------------------------------------------------------------------------


def _variables(model: cp_model.CpModel, red: ReducedCovering) -> tuple[list, list]:
    """x_j: kept candidate j becomes associated; y_g: shared group g becomes served."""
    x = [model.new_bool_var(f"x{j}") for j in range(red.n_kept)]
    y = [model.new_bool_var(f"y{g}") for g in range(len(red.weight))]
    return x, y


def _served_only_if_covered(
    model: cp_model.CpModel, red: ReducedCovering, x: list, y: list
) -> None:
    """A group counts as served only if a chosen HAD's zone contains it."""
    for g in range(len(y)):
        cols = red.cols[red.ptr[g] : red.ptr[g + 1]]
        model.add(y[g] <= sum(x[j] for j in cols))


def _at_most_k(model: cp_model.CpModel, x: list, k: int) -> None:
    """At most k HADs become associated."""
    model.add(sum(x) <= k)


def _objective(model: cp_model.CpModel, red: ReducedCovering, x: list, y: list) -> None:
    """Maximise the population served: own groups through x, shared groups through y."""
    model.maximize(
        sum(int(red.own[j]) * x[j] for j in range(len(x)) if red.own[j])
        + sum(int(w) * y[g] for g, w in enumerate(red.weight))
    )


def _parameters(solver: cp_model.CpSolver, time_limit_s: float, workers: int) -> None:
    """The parameters justified in the module docstring."""
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.linearization_level = 2
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.add_lp_constraints_lazily = False


class CoveringModel:
    """The CP-SAT model of a reduced instance, built once, solved for any k.

    Everything but the at-most-k row is built once; each solve adds that row
    to a copy (the model's own constraints cannot be changed in place).
    """

    def __init__(self, red: ReducedCovering) -> None:
        self.red = red
        self.model = cp_model.CpModel()
        self.x, self.y = _variables(self.model, red)
        _served_only_if_covered(self.model, red, self.x, self.y)
        _objective(self.model, red, self.x, self.y)

    def solve(
        self, k: int, time_limit_s: float, workers: int, hint: Sequence[int]
    ) -> tuple[list[int], int, int, str]:
        """Chosen kept columns, objective, bound and status for ``k``."""
        model = self.model.clone()
        x = [model.get_bool_var_from_proto_index(v.index) for v in self.x]
        _at_most_k(model, x, k)
        chosen_hint = set(hint)
        for j, v in enumerate(x):
            model.add_hint(v, j in chosen_hint)
        solver = cp_model.CpSolver()
        _parameters(solver, time_limit_s, workers)
        code = solver.solve(model)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return [], 0, self.red.total, solver.status_name(code)
        chosen = [j for j, v in enumerate(x) if solver.boolean_value(v)]
        bound = min(int(math.floor(solver.best_objective_bound + 1e-6)), self.red.total)
        return chosen, int(round(solver.objective_value)), bound, solver.status_name(code)


class LpRelaxation:
    """The LP relaxation of the reduced model (GLOP), built once, re-solved per k.

    Each k changes only the budget row, so GLOP restarts from the last basis.
    :meth:`solve` gives the LP's ``x`` and an upper bound computed from its
    duals by weak duality: valid for any non-negative multipliers, so it does
    not rest on the LP solver's tolerances.
    """

    def __init__(self, red: ReducedCovering) -> None:
        from ortools.linear_solver import pywraplp

        self.red = red
        self._row_of = np.repeat(np.arange(len(red.weight)), np.diff(red.ptr))
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:  # pragma: no cover - GLOP ships in the OR-Tools wheel
            raise RuntimeError("this OR-Tools build has no GLOP")
        self.x = [solver.NumVar(0, 1, f"x{j}") for j in range(red.n_kept)]
        y = [solver.NumVar(0, 1, f"y{g}") for g in range(len(red.weight))]
        self.rows = [
            solver.Add(y[g] <= solver.Sum([self.x[j] for j in red.cols[lo:hi]]))
            for g, (lo, hi) in enumerate(zip(red.ptr[:-1], red.ptr[1:], strict=True))
        ]
        self.budget = solver.Add(solver.Sum(self.x) <= 0)
        solver.Maximize(
            solver.Sum([int(red.own[j]) * self.x[j] for j in range(red.n_kept)])
            + solver.Sum([int(w) * y[g] for g, w in enumerate(red.weight)])
        )
        self.solver = solver

    def solve(self, k: int) -> tuple[np.ndarray | None, float]:
        """The LP's ``x`` (None if GLOP failed) and an upper bound on any choice of k."""
        from ortools.linear_solver import pywraplp

        red = self.red
        self.budget.SetUb(k)
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None, math.inf
        x = np.array([v.solution_value() for v in self.x])
        # Lagrangian bound: for any u >= 0 (rows) and mu >= 0 (budget),
        # k mu + sum_j max(0, own_j + sum_{g covers j} u_g - mu) + sum_g max(0, w_g - u_g).
        u = np.abs([c.dual_value() for c in self.rows])
        mu = abs(self.budget.dual_value())
        reach = np.bincount(red.cols, weights=u[self._row_of], minlength=red.n_kept)
        bound = (
            k * mu
            + np.maximum(red.own + reach - mu, 0.0).sum()
            + np.maximum(red.weight - u, 0.0).sum()
        )
        return x, float(bound)


def _solve_scip(
    red: ReducedCovering, k: int, time_limit_s: float
) -> tuple[list[int], int, int, str]:
    """The same model with SCIP (y continuous: at an optimum it is 0 or 1)."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # pragma: no cover - SCIP ships in the OR-Tools wheel
        raise RuntimeError("this OR-Tools build has no SCIP")
    x = [solver.BoolVar(f"x{j}") for j in range(red.n_kept)]
    y = [solver.NumVar(0, 1, f"y{g}") for g in range(len(red.weight))]
    for g in range(len(y)):
        solver.Add(y[g] <= solver.Sum([x[j] for j in red.cols[red.ptr[g] : red.ptr[g + 1]]]))
    solver.Add(solver.Sum(x) <= k)
    solver.Maximize(
        solver.Sum([int(red.own[j]) * x[j] for j in range(len(x))])
        + solver.Sum([int(w) * y[g] for g, w in enumerate(red.weight)])
    )
    solver.SetTimeLimit(int(time_limit_s * 1000))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)  # OR-Tools' default stops at 1e-4
    code = solver.Solve(params)
    if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return [], 0, red.total, "UNKNOWN"
    chosen = [j for j in range(len(x)) if x[j].solution_value() > 0.5]
    objective = red.value(chosen)
    bound = min(int(math.floor(solver.Objective().BestBound() + 1e-6)), red.total)
    return chosen, objective, max(bound, objective), OPTIMAL if bound <= objective else "FEASIBLE"


def _checked(
    answer: tuple[list[int], int, int, str], red: ReducedCovering, k: int, solver: str
) -> tuple[list[int], int, int, str]:
    """The answer, its objective recounted from the data (a wrong answer is a bug: raise).

    A solution found before the optimum may leave a covered group's ``y`` at
    0, so the recount can exceed the solver's objective; never the bound.
    """
    chosen, objective, bound, status = answer
    value = red.value(chosen)
    if len(chosen) > k or value < objective or bound < value:
        raise RuntimeError(
            f"{solver} answer inconsistent at k={k}: {len(chosen)} chosen, objective "
            f"{objective}, recounted {value}, bound {bound}"
        )
    return chosen, value, bound, OPTIMAL if status == OPTIMAL or value >= bound else status


def _floor(bound: float) -> int:
    """The largest integer a float bound allows (a hair of slack for its rounding)."""
    return int(math.floor(bound + 1e-6 + 1e-9 * abs(bound))) if math.isfinite(bound) else 2**62


def solve_max_covering(
    data: CoveringData,
    k: int,
    time_limit_s: float = 10.0,
    workers: int = 1,
    hint: Sequence[int] = (),
    backend: Backend = "auto",
    *,
    reduced: ReducedCovering | None = None,
    model: CoveringModel | None = None,
    lp: LpRelaxation | None = None,
) -> CoveringResult:
    """Solve the maximal covering instance for ``k`` exactly.

    Parameters
    ----------
    data
        The instance.
    k
        Most candidates chosen (>= 0).
    time_limit_s
        Per solve. A solve stopped by it returns status FEASIBLE with its best
        choice and the proven bound (``result.gap`` people may be missing).
    workers
        CP-SAT workers; 1 (see the module docstring).
    hint
        Candidate columns of a good choice (e.g. the best for ``k - 1``).
    backend
        ``auto`` (the module docstring): the LP relaxation, then CP-SAT, then
        SCIP, each only while the best choice found and the smallest bound
        proven have not met; ``cp-sat`` or ``scip`` alone, to cross-check.
    reduced, model, lp
        Reuse the reductions, the CP-SAT model and the LP across many k.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if backend not in ("auto", "cp-sat", "scip"):
        raise ValueError(f"unknown backend {backend!r}: auto, cp-sat or scip")
    start = time.perf_counter()
    red = reduced or (model.red if model is not None else ReducedCovering.from_data(data))
    start_set = sorted({int(red.representative[j]) for j in hint if red.representative[j] >= 0})
    chosen = red.greedy_extend(start_set[:k], k)
    objective, bound, solvers = red.value(chosen), red.total, ["greedy"]

    def tighten(proven: int) -> None:
        nonlocal bound
        bound = min(bound, proven)
        if bound < objective:
            raise RuntimeError(
                f"{'+'.join(solvers)} disagree at k={k}: a choice reaches {objective} above "
                f"a proven bound of {bound}"
            )

    def take(answer: tuple[list[int], int, int, str], solver: str) -> None:
        nonlocal chosen, objective
        got, value, proven, _ = _checked(answer, red, k, solver)
        solvers.append(solver)
        if value > objective:
            chosen, objective = got, value
        tighten(proven)

    if red.n_kept <= k or objective == red.total:
        pass  # every coverable group is covered: nothing can do better
    elif backend == "scip":
        take(_solve_scip(red, k, time_limit_s), "scip")
    elif backend == "cp-sat":
        model = model or CoveringModel(red)
        take(model.solve(k, time_limit_s, workers, chosen), "cp-sat")
    else:
        lp = lp or LpRelaxation(red)
        x, lp_bound = lp.solve(k)
        if x is not None and np.all((x < 1e-6) | (x > 1 - 1e-6)):
            # An integral LP optimum is a choice of k HADs; the dual bound proves it.
            picked = np.nonzero(x > 0.5)[0].tolist()
            take((picked, red.value(picked), _floor(lp_bound), ""), "lp")
        else:
            solvers.append("lp")
            tighten(_floor(lp_bound))
        if objective < bound:
            model = model or CoveringModel(red)
            take(model.solve(k, time_limit_s * CP_SAT_SHARE, workers, chosen), "cp-sat")
        if objective < bound:
            left = max(time_limit_s - (time.perf_counter() - start), 0.1)
            take(_solve_scip(red, k, left), "scip")
    status = OPTIMAL if objective >= bound else "FEASIBLE"
    return CoveringResult(
        k=k,
        chosen=tuple(sorted(int(red.kept[j]) for j in chosen)),
        objective=int(objective),
        bound=int(max(bound, objective)),
        status=status,
        wall_time_s=time.perf_counter() - start,
        solver="+".join(solvers[1:]) or "greedy",
    )


# -- the answer for a territory --------------------------------------------------------


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
    """OPTIMAL when proven; FEASIBLE when the time limit stopped the solver first."""
    wall_time_s: float
    bound: int = -1
    """No choice of k HADs gains more people (equals ``population_gained`` when proven)."""
    solver: str = "cp-sat"
    """Who answered (see :attr:`CoveringResult.solver`)."""

    def __post_init__(self) -> None:
        if self.bound < 0:
            object.__setattr__(self, "bound", self.population_gained)

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL

    @property
    def proven(self) -> bool:
        """The choice is proven the best (no other choice of k HADs gains more)."""
        return self.optimal

    @property
    def gap(self) -> int:
        """People a better choice might still gain (0 when proven)."""
        return max(self.bound - self.population_gained, 0)

    @property
    def gap_pct(self) -> float:
        """``gap`` as a percentage of the bound (0 when proven)."""
        return 100.0 * self.gap / self.bound if self.bound else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "had_ids": list(self.had_ids),
            "names": list(self.names),
            "population_gained": self.population_gained,
            "increment": self.increment,
            "status": self.status,
            "proven": self.proven,
            "bound": self.bound,
            "gap": self.gap,
            "gap_pct": round(self.gap_pct, 3),
            "solver": self.solver,
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

    @property
    def proven(self) -> bool:
        """Every choice reported (the k asked and the sequence) is proven the best."""
        return self.best.proven and all(s.proven for s in self.sequence)

    @property
    def not_proven(self) -> list[BestStep]:
        """Steps stopped by the time limit (empty when everything is proven)."""
        steps = {s.k: s for s in [*self.sequence, self.best]}
        return [s for _, s in sorted(steps.items()) if not s.proven]

    def as_dict(self) -> dict[str, Any]:
        return {
            "best": self.best.as_dict(),
            "sequence": [s.as_dict() for s in self.sequence],
            "uncovered_population": self.uncovered_population,
            "eligible": list(self.eligible),
            "proven": self.proven,
        }


def best_authorisations(
    cov: Coverage,
    k: int,
    k_max: int | None = None,
    time_limit_s: float = 10.0,
    backend: Backend = "auto",
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
        eligible HAD (at least ``k``). Once a choice covers every commune the
        candidates can reach, larger k need no solve.
    time_limit_s
        Per solve; a solve stopped by it reports status FEASIBLE with its bound
        and gap (``BestStep.proven`` is False), never a silent sub-optimum.
    backend
        See :func:`solve_max_covering` (``auto``: CP-SAT, then SCIP if needed).
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
    red = ReducedCovering.from_data(data)
    model: CoveringModel | None = None
    lp: LpRelaxation | None = None

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
            bound=result.bound,
            solver=result.solver,
        )

    sequence: list[BestStep] = []
    previous, hint = 0, tuple[int, ...]()
    for kk in range(1, k_max + 1):
        if model is None and backend != "scip" and red.n_kept > kk:
            model = CoveringModel(red)
        if lp is None and backend == "auto" and red.n_kept > kk:
            lp = LpRelaxation(red)
        res = solve_max_covering(
            data, kk, time_limit_s, hint=hint, backend=backend, reduced=red, model=model, lp=lp
        )
        sequence.append(step(res, previous))
        previous, hint = res.objective, res.chosen
    best = sequence[k - 1]
    return BestAuthorisations(
        best=best,
        sequence=sequence,
        uncovered_population=int(idx.population[need].sum()),
        eligible=tuple(idx.had_ids[h] for h in cand),
    )
