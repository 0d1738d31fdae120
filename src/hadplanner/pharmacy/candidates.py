"""Candidate plans of one cycle: paths of the exact planner's graph with the fewest bags.

The joint model (:mod:`hadplanner.pharmacy.model`) picks one plan per cycle
among candidates made here; every candidate is a path of the single-patient
planner's own graph (:mod:`hadplanner.schedule.planner`: change instants on
its grid, a bag an arc that the planner allows), so whatever the joint model
picks, the checker sees bags the planner itself could have made.

Fewest bags. The planner's breadth-first layers give each node the fewest
bags from it to the end of the cycle; a path from ``T0`` with exactly that
many bags steps down one layer per bag. Candidates only take such steps, so
every candidate has the patient's own optimal bag count (or, after a frozen
prefix, the fewest bags that prefix allows).

Which candidates. The joint objective cares about what couples patients:
the drug prepared (a bag of up to 72 h carries 4 h of overfill, so the total
dose of a cycle is fixed but for ``rate x 4 h / 24`` per short bag), the
days of the changes (HAD visits) and the preparation windows (which follow
from the change instants). A layered shortest path with node costs makes
one candidate per cost:

1. the patient's own optimal plan (:func:`plan_cycle`), always;
2. the least drug (fewest overfill-carrying bags, weighted by their rate);
3. the least drug on each weekday pair of the practice (Mon/Thu, Tue/Fri);
4. ``random_plans`` plans with the least drug plus seeded random penalties
   on the days of changes, which move visits and preparations to other days
   (a capacity no candidate meets is tried again with three times as many).

Ties go to changes at ``T0``'s time of day (the planner's regularity rule),
so candidates stay readable for patients and nurses.

The planner's private grid functions (``_build_grid``, ``_all_pieces``,
``_layers``, ``_regularity``) are the one feasibility oracle used here; a
change of their signatures in the planner shows up in ``tests/pharmacy``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hadplanner.errors import InfeasiblePlanError
from hadplanner.models.plan import CyclePlan
from hadplanner.models.request import PARIS, UTC, Settings
from hadplanner.schedule import planner as _pl
from hadplanner.schedule.bags import dose_ug
from hadplanner.schedule.calendars import Calendars
from hadplanner.schedule.regimen import CycleSpec

_INF = 1 << 62


def _epoch(t: dt.datetime) -> int:
    return int(t.astimezone(UTC).timestamp())


@dataclass(frozen=True)
class BagShape:
    """One bag of a candidate: where it starts and ends on the cycle's grid, and what follows.

    ``prep_lo`` and ``prep_hi`` bound its preparation (epoch seconds):
    stability from below (``end + overfill - stability``), transport from above
    (``start - transport``); the production slots between them are its options.
    """

    k: int
    j: int
    start: int
    end: int
    overfill_s: int
    rate: float
    who: str
    prep_lo: int
    prep_hi: int

    @property
    def dose_ug(self) -> float:
        """The bag's drug, as :func:`hadplanner.schedule.bags.make_bag` computes it."""
        return dose_ug(self.rate, (self.end - self.start) / 3600, self.overfill_s / 3600)


@dataclass
class CycleGraph:
    """The planner's graph of one cycle, with its layers of fewest bags.

    Attributes
    ----------
    spec, settings
        The cycle and the patient's settings (production calendar included).
    grid
        The planner's per-node data (``planner._Grid``).
    pieces
        Arc pieces per node, ``(n + 1, 4, 3)``: bag lengths in grid steps.
    layer
        Fewest bags from each node to the end (-1: the end is unreachable).
    """

    spec: CycleSpec
    settings: Settings
    grid: _pl._Grid
    pieces: np.ndarray
    layer: np.ndarray
    layers: list[np.ndarray]

    @property
    def n(self) -> int:
        return int(self.grid.n)

    def node_of(self, t: dt.datetime) -> int:
        """The grid node of instant ``t`` (which must lie on the grid)."""
        off = _epoch(t) - int(self.grid.times[0])
        if off % self.grid.g:
            raise ValueError(f"{t.isoformat()} is not on cycle {self.spec.number}'s grid")
        return off // self.grid.g

    def arc_ok(self, k: int, j: int) -> bool:
        """True when the planner allows a bag from node ``k`` to node ``j``."""
        if not (0 <= k < j <= self.n) or not self.grid.valid[k]:
            return False
        d = j - k
        return any(lo <= d <= hi for lo, hi, _ in self.pieces[k])

    def shape(self, k: int, j: int) -> BagShape:
        """The bag from node ``k`` to node ``j`` (an arc of the graph)."""
        gr, st = self.grid, self.settings
        s, e = int(gr.times[k]), int(gr.times[j])
        ov = _pl._hours_s(st.overfill_h) if e - s <= _pl._hours_s(st.overfill_max_bag_h) else 0
        who = gr.who[k]
        tr = _pl._ceil_s(st.transport_hospital_h if who in ("inpatient", "day_hospital")
                         else self.spec.transport_h)
        return BagShape(k=k, j=j, start=s, end=e, overfill_s=ov,
                        rate=gr.rates[int(gr.rate_idx[k])], who=who,
                        prep_lo=e + ov - _pl._hours_s(st.stability_h), prep_hi=s - tr)


def cycle_graph(spec: CycleSpec, calendars: Calendars, settings: Settings,
                prep_from: dt.datetime | None = None) -> CycleGraph:
    """The planner's graph of a cycle; no bag prepared before ``prep_from`` when given.

    Raises
    ------
    InfeasiblePlanError
        No safe plan (the planner's own message, naming the constraint and instant).
    """
    gr = _pl._build_grid(spec, calendars, settings)
    if prep_from is not None:
        low = _epoch(prep_from)
        prep = np.where(gr.prep < low, _pl._NO_PREP, gr.prep)
        calm = np.where(gr.prep_calm < low, _pl._NO_PREP, gr.prep_calm)
        gr = dataclasses.replace(gr, prep=prep, prep_calm=calm)
    pieces = _pl._all_pieces(gr, settings)
    g = gr.g
    dmin = max(1, -(-_pl._hours_s(settings.min_bag_h) // g))
    dmax = max(1, min(gr.n, _pl._hours_s(settings.max_bag_h) // g))
    layers = _pl._layers(gr, pieces, dmin, dmax, to_start=False)
    layer = np.full(gr.n + 1, -1, dtype=np.int64)
    for i, nodes in enumerate(layers):
        layer[nodes] = i
    return CycleGraph(spec, settings, gr, pieces, layer, layers)


def _sparse_min(values: np.ndarray, levels: int) -> list[np.ndarray]:
    """Sparse table of ``values``: ``tab[i][p] = min(values[p : p + 2**i])`` (inf padded)."""
    m = len(values)
    tab = [values]
    for i in range(1, levels):
        h = 1 << (i - 1)
        prev = tab[-1]
        nxt = prev.copy()
        nxt[: m - h] = np.minimum(prev[: m - h], prev[h:])
        tab.append(nxt)
    return tab


def _range_min(tab: list[np.ndarray], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Minimum of ``values[lo..hi]`` per query (inf where ``lo > hi``)."""
    out = np.full(lo.shape, _INF, dtype=np.int64)
    ok = lo <= hi
    if not ok.any():
        return out
    a, b = lo[ok], hi[ok]
    length = b - a + 1
    lev = np.floor(np.log2(length)).astype(np.int64)
    res = np.full(a.shape, _INF, dtype=np.int64)
    for i in np.unique(lev):
        sel = lev == i
        t = tab[int(i)]
        res[sel] = np.minimum(t[a[sel]], t[b[sel] - (1 << int(i)) + 1])
    out[ok] = res
    return out


def layered_path(graph: CycleGraph, start: int, node_cost: np.ndarray,
                 over_cost: np.ndarray) -> list[int] | None:
    """The least-cost path from ``start`` to the end with the fewest bags.

    Parameters
    ----------
    node_cost
        Cost of a change at each node (int, ``n + 1``; the end's is ignored).
    over_cost
        Cost of a bag starting at each node when it carries overfill (int).

    Returns
    -------
    list of int or None
        The nodes of the path (``start`` first, ``n`` last), or None when the
        end cannot be reached from ``start``. Ties: the smaller next node.
    """
    n = graph.n
    m = n + 1
    L0 = int(graph.layer[start])
    if L0 < 0:
        return None
    pieces = graph.pieces
    nonempty = pieces[:, :, 0] <= pieces[:, :, 1]
    best = np.full(m, _INF, dtype=np.int64)
    best[n] = 0
    choice = np.full(m, -1, dtype=np.int64)
    cost = node_cost.astype(np.int64).copy()
    cost[n] = 0
    dmax = int(max(1, pieces[:, :, 1].max()))
    levels = max(1, int(dmax).bit_length() + 1)
    for L in range(1, L0 + 1):
        prev = graph.layers[L - 1]
        nodes = graph.layers[L]
        vals = np.full(m, _INF, dtype=np.int64)
        vals[prev] = (best[prev] + cost[prev]) * m + prev
        tab = _sparse_min(vals, levels)
        key = np.full(len(nodes), _INF, dtype=np.int64)
        for r in (0, 1):  # regime 0: overfill pieces 0-1; regime 1: no overfill, pieces 2-3
            pa, pb = 2 * r, 2 * r + 1
            lo = np.where(nonempty[nodes, pa], pieces[nodes, pa, 0], pieces[nodes, pb, 0])
            hi = np.where(nonempty[nodes, pb], pieces[nodes, pb, 1], pieces[nodes, pa, 1])
            has = (nonempty[nodes, pa] | nonempty[nodes, pb]) & graph.grid.valid[nodes]
            a = np.minimum(nodes + lo, n)
            b = np.minimum(nodes + hi, n)
            q = _range_min(tab, np.where(has, a, 1), np.where(has, b, 0))
            extra = over_cost[nodes] if r == 0 else np.zeros(len(nodes), dtype=np.int64)
            cand = np.where(q < _INF, q + extra * m, _INF)
            key = np.minimum(key, cand)
        good = key < _INF
        best[nodes[good]] = key[good] // m
        choice[nodes[good]] = key[good] % m
    if best[start] >= _INF:
        return None
    path = [start]
    while path[-1] != n:
        nxt = int(choice[path[-1]])
        if nxt < 0:
            return None
        path.append(nxt)
    return path


def _day_index(graph: CycleGraph) -> np.ndarray:
    """Local calendar day of each node, as an ordinal."""
    local = _pl._local_seconds(graph.grid.times)
    return (local // 86400).astype(np.int64)


def _rate_over(graph: CycleGraph) -> np.ndarray:
    """Overfill drug of a short bag starting at each node, in thousandths of ug."""
    rates = np.array(graph.grid.rates, dtype=float)[graph.grid.rate_idx]
    return np.ceil(rates * graph.settings.overfill_h / 24 * 1000).astype(np.int64)


@dataclass(frozen=True)
class CandidateSet:
    """The candidate paths of one cycle (each a list of grid nodes) and its fewest bags."""

    graph: CycleGraph
    paths: tuple[tuple[int, ...], ...]
    own: int
    """Index of the patient's own plan among ``paths`` (-1 when it is not one of them)."""
    fewest_bags: int
    prefix: tuple[int, ...] = ()
    """Nodes of the frozen bags at the start of every path (empty: nothing frozen)."""


def own_path(graph: CycleGraph, plan: CyclePlan) -> tuple[int, ...]:
    """The nodes of a cycle plan's changes (its bag starts, then its end)."""
    return tuple(graph.node_of(b.start) for b in plan.bags) + (graph.node_of(plan.bags[-1].end),)


def path_ok(graph: CycleGraph, path: Sequence[int]) -> bool:
    """True when every bag of ``path`` is an arc of the graph and it ends the cycle."""
    return bool(path) and path[-1] == graph.n and all(
        graph.arc_ok(a, b) for a, b in zip(path, path[1:], strict=False))


def candidates(graph: CycleGraph, *, own: Sequence[int] | None = None,
               prefix: Sequence[int] = (0,), random_plans: int = 4,
               seed: int = 0) -> CandidateSet:
    """Candidate paths of a cycle (see the module docstring for which).

    Parameters
    ----------
    own
        The patient's own plan's nodes (kept first when it starts with ``prefix``
        and has the fewest bags).
    prefix
        Nodes of the frozen bags (``(0,)``: nothing frozen, paths start at ``T0``).

    Raises
    ------
    InfeasiblePlanError
        The end cannot be reached from the prefix's last node.
    """
    start = int(prefix[-1])
    rest = int(graph.layer[start])
    if rest < 0:
        raise InfeasiblePlanError(
            f"cycle {graph.spec.number}: no safe plan continues after the frozen bags "
            f"(last change {dt.datetime.fromtimestamp(int(graph.grid.times[start]), PARIS)})")
    fewest = len(prefix) - 1 + rest
    n = graph.n
    over = _rate_over(graph)
    days = _day_index(graph)
    offpair, offtime = _pl._regularity(graph.grid, graph.spec)
    paths: list[tuple[int, ...]] = []

    def add(path: Sequence[int] | None) -> None:
        if path is None:
            return
        full = tuple(prefix[:-1]) + tuple(path) if path[0] == start else tuple(path)
        # the frozen bags were checked when they were planned (some were prepared before
        # the instant re-planned from, which this graph no longer allows)
        if len(full) - 1 == fewest and full[: len(prefix)] == tuple(prefix) and \
                full not in paths and path_ok(graph, full[len(prefix) - 1:]):
            paths.append(full)

    own_index = -1
    if own is not None:
        add(own)
        if paths:
            own_index = 0
    # Costs: drug first (thousandths of ug of overfill), then T0's time of day.
    scale = int(offtime.sum()) + 2
    add(layered_path(graph, start, offtime, over * scale))
    for r in range(offpair.shape[0]):
        add(layered_path(graph, start, offtime + offpair[r] * scale,
                         over * scale * (n + 2)))
    rng = np.random.default_rng(seed)
    first_day = int(days[0])
    span = int(days[-1]) - first_day + 1
    for _ in range(random_plans):
        pen = rng.integers(0, 4, size=span)
        node_pen = pen[days - first_day] * (~graph.grid.who.inpatient)
        add(layered_path(graph, start, offtime + node_pen * scale,
                         over * scale * 8))
    if not paths:
        raise InfeasiblePlanError(f"cycle {graph.spec.number}: no plan with the fewest bags")
    return CandidateSet(graph, tuple(paths), own_index, fewest,
                        tuple(prefix) if len(prefix) > 1 else ())


def path_dose_ug(graph: CycleGraph, path: Sequence[int]) -> float:
    """Total drug of a path's bags (ug)."""
    return sum(graph.shape(a, b).dose_ug for a, b in zip(path, path[1:], strict=False))
