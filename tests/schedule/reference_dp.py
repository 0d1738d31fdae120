"""A plain pure-Python reference of the planner's shortest path (no numpy in the search).

The planner (``schedule/planner.py``) finds its plan with a vectorised
layered search; this is the textbook backward dynamic programme over the same
arcs, node by node and arc by arc, with the objective as one Python integer
(unbounded, so exact whatever the counts). The tests and
``benchmarks/plan.py`` require the same plan from both: same weekday pair,
same change instants, same edge flags.

What it shares with the planner is the arc model, which the brute-force tests
check on their own: the grid (``_build_grid``), the per-node feasible bag
lengths (``_arc_pieces``, the scalar rule). Costs are recomputed here: vials
with ``bags.vials_for`` for every length, regularity from ``datetime`` in
Europe/Paris.

Ties: among arcs of equal cost the shortest bag wins (smallest end node), and
the Mon/Thu pair wins a tie with Tue/Fri.
"""

from __future__ import annotations

import datetime as dt

from hadplanner.models.request import PARIS, Settings
from hadplanner.schedule import planner as P
from hadplanner.schedule.bags import dose_ug, vials_for
from hadplanner.schedule.regimen import CycleSpec

_F = 1 << 40
"""Width of one objective level: no count along a path comes near it."""
W_EDGE, W_TIME, W_PAIR, W_VIAL, W_BAG = 1, _F, _F ** 2, _F ** 3, _F ** 4
INF = _F ** 6

PAIR_DAYS = ((0, 3), (1, 4))  # Mon/Thu, Tue/Fri


def _regularity(gr: P._Grid, spec: CycleSpec) -> list[list[int]]:
    """Per weekday pair and node: the regularity cost of a change there (0 at T_end)."""
    tod0 = spec.t0.astimezone(PARIS).time()  # node 0's, but in a segment starting later
    out = [[0] * (gr.n + 1) for _ in PAIR_DAYS]
    for j in range(1, gr.n):
        if gr.who[j] == "inpatient":
            continue
        local = dt.datetime.fromtimestamp(int(gr.times[j]), PARIS)
        off_time = W_TIME if local.time() != tod0 else 0
        for r, pair in enumerate(PAIR_DAYS):
            out[r][j] = off_time + (W_PAIR if local.weekday() not in pair else 0)
    return out


def reference_solve(spec: CycleSpec, gr: P._Grid,
                    st: Settings) -> tuple[int, list[int], list[int]] | None:
    """(pair index, path of nodes, edge flags per bag) of the optimum, or None: no plan."""
    n, g = gr.n, gr.g
    ov = round(st.overfill_h * 3600)
    ovmax = round(st.overfill_max_bag_h * 3600)
    dmax = min(n, round(st.max_bag_h * 3600) // g)
    vial_cost = []
    for rate in gr.rates:
        row = [0] * (dmax + 1)
        for d in range(1, dmax + 1):
            dur = d * g
            extra = ov if dur <= ovmax else 0
            row[d] = W_VIAL * vials_for(dose_ug(rate, dur / 3600, extra / 3600), st.vial_ug)
        vial_cost.append(row)
    reg = _regularity(gr, spec)
    acc = [[INF] * (n + 1) for _ in PAIR_DAYS]  # best from j + regularity of the change at j
    best = [[INF] * (n + 1) for _ in PAIR_DAYS]
    choice = [[-1] * (n + 1) for _ in PAIR_DAYS]
    edge_of = [[0] * (n + 1) for _ in PAIR_DAYS]
    for r in range(len(PAIR_DAYS)):
        acc[r][n] = best[r][n] = 0
    for k in range(n - 1, -1, -1):
        if not gr.valid[k]:
            continue
        pieces = P._arc_pieces(k, gr, st)
        vc = vial_cost[int(gr.rate_idx[k])]
        for r in range(len(PAIR_DAYS)):
            row = acc[r]
            b, bj, be = INF, -1, 0
            for lo, hi, edge in pieces:
                for d in range(lo, hi + 1):
                    c = row[k + d] + vc[d] + edge
                    if c < b:
                        b, bj, be = c, k + d, edge
            if b < INF:
                best[r][k] = b + W_BAG
                choice[r][k] = bj
                edge_of[r][k] = be
                row[k] = best[r][k] + reg[r][k]
    if best[0][0] >= INF and best[1][0] >= INF:
        return None
    pair = 0 if best[0][0] <= best[1][0] else 1
    path, edges, k = [0], [], 0
    while k < n:
        edges.append(edge_of[pair][k])
        k = choice[pair][k]
        path.append(k)
    return pair, path, edges


def reach_forward(gr: P._Grid, st: Settings) -> tuple[list[bool], int, int]:
    """Node by node: instants a safe plan reaches from T0, and the furthest bag (end, start).

    The planner's refusal messages name that bag; a node without any
    production slot before it stalls plans there.
    """
    n = gr.n
    reach = [False] * (n + 1)
    reach[0] = True
    far_e, far_k = 0, 0
    for k in range(n):
        if not reach[k] or not gr.valid[k]:
            continue
        for lo, hi, _ in P._arc_pieces(k, gr, st):
            for j in range(k + lo, k + hi + 1):
                reach[j] = reach[j] or bool(gr.valid[j])
            if k + hi > far_e:
                far_e, far_k = k + hi, k
        if gr.prep[k] == P._NO_PREP and far_e <= k:
            far_e, far_k = k, k
    return reach, far_e, far_k


def reach_backward(gr: P._Grid, st: Settings) -> list[bool]:
    """Node by node: instants from which a safe plan reaches T_end."""
    n = gr.n
    ok = [False] * (n + 1)
    ok[n] = True
    for k in range(n - 1, -1, -1):
        if gr.valid[k]:
            ok[k] = any(ok[k + lo:k + hi + 1].count(True) for lo, hi, _ in
                        P._arc_pieces(k, gr, st))
    return ok


def longest_short_bag(gr: P._Grid, st: Settings, free: Settings,
                      dmin: int) -> tuple[int, int, int] | None:
    """The longest bag under ``dmin`` steps from a node reached from T0 (with the floor) to
    one that reaches T_end (with it): (steps, start node, end node), the first such start."""
    fwd, _, _ = reach_forward(gr, st)
    bwd = reach_backward(gr, st)
    best: tuple[int, int, int] | None = None
    for k in range(gr.n):
        if not fwd[k]:
            continue
        for lo, hi, _ in P._arc_pieces(k, gr, free):
            for d in range(min(hi, dmin - 1), lo - 1, -1):
                if bwd[k + d]:
                    if best is None or d > best[0]:
                        best = (d, k, k + d)
                    break
    return best


def assert_planner_is_reference(spec: CycleSpec, cal, st) -> None:
    """The planner's layered search gives the reference DP's plan, or both find none."""
    import pytest

    from hadplanner.errors import InfeasiblePlanError

    gr = P._build_grid(spec, cal, st)
    ref = reference_solve(spec, gr, st)
    if ref is None:
        with pytest.raises(InfeasiblePlanError):
            P._solve(spec, gr, st)
    else:
        assert P._solve(spec, gr, st) == ref
