"""The exact single-patient bag planner: a shortest path over change instants.

Model (``../shared/spec/bag-scheduling.md``)
-------------------------------------------
Change instants lie on a grid of ``settings.grid_minutes`` (15 min) counted in
real time from ``T0``; node ``k`` is ``T0 + k x grid``, node ``N`` is
``T_end``. A bag is an arc ``k -> j`` (start ``s``, end ``e``). It exists when

* someone can hang it at ``s``: ``k = 0`` (the ward, at ``T0``), or ``s`` in
  the inpatient period ``[T0, T0 + n x 24 h]`` (the ward, any time), or ``s``
  in a window of the change mode's calendar (day hospital / HAD nurse);
* ``e - s`` lies in ``[max(min_bag_h, grid), max_bag_h]`` and no dose change
  lies strictly inside ``(s, e)`` (a dose change forces a boundary);
* some preparation instant ``p`` exists with ``p`` a slot of a production
  window (``open + k x prep_slot_min``, in the window),
  ``p <= s - transport(s)`` and ``e + overfill(e - s) - p <= stability_h``.

Why the latest preparation is enough. The constraints on ``p`` are ``p`` a
production slot, ``p <= s - transport`` and ``p >= e + ov - stability``:
an interval bounded above and below, intersected with the slots. It is
non-empty iff the latest production slot ``P(s) <= s - transport``
satisfies ``P(s) >= e + ov - stability``. So the feasible ends of a bag
starting at ``s`` are decided by ``P(s)`` alone, and the choice of ``p``
inside the feasible set changes no other bag and no cost except the last
objective (preparations at a window's edge). The planner therefore decides
arcs with ``P(s)``, and picks ``p`` per bag afterwards: the latest instant
away from the edges (``settings.edge_margin_minutes``) when that still
satisfies stability, otherwise ``P(s)``. ``tests/schedule`` checks this
against a brute force over every slot.

Shortest bag. ``min_bag_h`` (24 h by default) is a lower bound on every arc,
the first and the last bag included. When the dose step, the end of the
cycle, or a first bag prepared long before ``T0`` leaves no plan with bags
that long, the planner refuses and names the shortest-bag constraint, the
bag and the instants, and how far ``min_bag_h`` must come down
(:func:`_floor_diagnosis`); a request that lowers it gets the short bag.

Objective, lexicographic, as integer-packed costs summed along the path:

1. bags;
2. vials: sum over bags of ``ceil(dose / vial_ug)``;
3. regularity: (a) changes after discharge that fall off the weekday pair
   (Mon/Thu or Tue/Fri, the better of the two for the cycle), then (b) those
   at another time of day than ``T0``'s;
4. preparations at a production window's edge.

Each arc's cost depends only on the arc (bag count, vials from duration and
rate at ``s``, edge from ``P(s)``) and on its end node (regularity of the
change at ``e``), so a backward dynamic programme over nodes is exact; the
weekday pair is global, so the programme runs for both pairs at once (two
rows). Packing the tuple in one int64 is exact because every level is
bounded by the number of arcs of a path (checked; an object-dtype fallback
keeps exactness otherwise).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hadplanner.errors import InfeasiblePlanError
from hadplanner.models.drug import Drug, load_drug
from hadplanner.models.plan import (
    Bag,
    Baseline,
    ChangedBy,
    CyclePlan,
    Plan,
)
from hadplanner.models.request import PARIS, UTC, Request, Settings
from hadplanner.schedule.bags import check_bag_volumes, dose_ug, make_bag, vials_for
from hadplanner.schedule.calendars import Calendar, Calendars, calendars_from_settings
from hadplanner.schedule.regimen import CycleSpec, cycle_specs
from hadplanner.schedule.totals import totals_of

PAIRS: tuple[tuple[str, str], ...] = (("mon", "thu"), ("tue", "fri"))
"""The practice's fixed change-day pairs (thesis III.B.1)."""
_PAIR_DAYS = ((0, 3), (1, 4))

_INF = 1 << 62
_NO_PREP = -(1 << 60)
"""Sentinel "no production window before this instant"."""


def _fmt(epoch: int) -> str:
    """An instant as the spec's messages write it: ``2027-05-01 20:00+02:00``."""
    return dt.datetime.fromtimestamp(epoch, PARIS).isoformat(sep=" ", timespec="minutes")


def _latest_slot(slots: tuple[np.ndarray, np.ndarray, np.ndarray], step: int,
                 q: np.ndarray) -> np.ndarray:
    """For each query time, the latest slot ``<= q`` (or the sentinel).

    ``slots`` is (first slot, last slot, window opening) per window: a
    window's slots are ``opening + k x step`` from the first to the last.
    """
    first, last, origin = slots
    idx = np.searchsorted(first, q, side="right") - 1
    out = np.full(q.shape, _NO_PREP, dtype=np.int64)
    ok = idx >= 0
    i = idx[ok]
    out[ok] = np.minimum(last[i], origin[i] + (q[ok] - origin[i]) // step * step)
    return out


def _inside(opens: np.ndarray, closes: np.ndarray, q: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(opens, q, side="right") - 1
    ok = idx >= 0
    res = np.zeros(q.shape, dtype=bool)
    res[ok] = q[ok] <= closes[idx[ok]]
    return res


def _window_arrays(cal: Calendar, a: dt.datetime, b: dt.datetime) -> tuple[np.ndarray, np.ndarray]:
    pairs = cal.epoch_windows(a, b)
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    arr = np.array(pairs, dtype=np.int64)
    return arr[:, 0].copy(), arr[:, 1].copy()


def _slot_arrays(cal: Calendar, a: dt.datetime, b: dt.datetime, step: int,
                 margin_s: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first slot, last slot, opening) of each window, slots at least ``margin_s`` inside."""
    rows = []
    for o, c in cal.epoch_windows(a, b):
        first = o + -(-margin_s // step) * step
        last = o + (c - margin_s - o) // step * step
        if first <= last:
            rows.append((first, last, o))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()


def _local_seconds(times: np.ndarray) -> np.ndarray:
    """Epoch seconds shifted by the Europe/Paris offset of each instant (wall clock)."""
    def off(t: int) -> int:
        offset = dt.datetime.fromtimestamp(int(t), PARIS).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    n = len(times)
    offs = np.empty(n, dtype=np.int64)
    # Two offset changes are months apart: in chunks of a week the offset is
    # constant, or changes once and a bisection finds where.
    chunk = max(1, int(7 * 86400 // max(1, int(times[1] - times[0]) if n > 1 else 1)))
    i = 0
    while i < n:
        j = min(n - 1, i + chunk)
        oi, oj = off(times[i]), off(times[j])
        if oi == oj:
            offs[i:j + 1] = oi
        else:
            lo, hi = i, j  # off(lo) == oi, off(hi) != oi
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if off(times[mid]) == oi:
                    lo = mid
                else:
                    hi = mid
            offs[i:hi] = oi
            offs[hi:j + 1] = oj
        i = j + 1
    return times + offs


@dataclass(frozen=True)
class _Grid:
    """Per-node data of one cycle, in integer UTC epoch seconds."""

    g: int
    n: int
    times: np.ndarray
    who: list[str]
    valid: np.ndarray
    prep: np.ndarray
    prep_calm: np.ndarray
    rate_idx: np.ndarray
    rates: list[float]
    next_change: np.ndarray


def _hours_s(h: float) -> int:
    return int(round(h * 3600))


def _ceil_s(h: float) -> int:
    return math.ceil(h * 3600 - 1e-6)


def _build_grid(spec: CycleSpec, cal: Calendars, settings: Settings) -> _Grid:
    g = settings.grid_minutes * 60
    t0 = int(spec.t0.astimezone(UTC).timestamp())
    total = int(spec.t_end.astimezone(UTC).timestamp()) - t0
    if total % g:
        raise ValueError(f"cycle length {total} s is not a multiple of the grid {g} s")
    n = total // g
    times = t0 + g * np.arange(n + 1, dtype=np.int64)
    inp_end = int(spec.inpatient_end.astimezone(UTC).timestamp())

    mode = spec.change_mode
    who = ["inpatient" if int(t) <= inp_end else mode for t in times]
    who[0] = "inpatient"
    lo_t = spec.t0 - dt.timedelta(days=2)
    hi_t = spec.t_end + dt.timedelta(days=1)
    co, cc = _window_arrays(cal.of(mode), lo_t, hi_t)
    valid = _inside(co, cc, times)
    k_inp = np.array([w == "inpatient" for w in who], dtype=bool)
    valid |= k_inp
    valid[n] = True

    # Transport rounds up to the second (a plan never relies on a fraction of a
    # second); preparations are slots of the pharmacy's grid (whole minutes).
    hosp = _ceil_s(settings.transport_hospital_h)
    home = _ceil_s(spec.transport_h)
    tr = np.where(k_inp | (mode == "day_hospital"), hosp, home).astype(np.int64)
    q = times - tr
    back = dt.timedelta(hours=settings.stability_h + max(settings.transport_hospital_h,
                                                         spec.transport_h) + 48)
    step = settings.prep_slot_min * 60
    prep = _latest_slot(_slot_arrays(cal.production, spec.t0 - back, spec.t_end, step), step, q)
    m = settings.edge_margin_minutes * 60
    prep_calm = _latest_slot(_slot_arrays(cal.production, spec.t0 - back, spec.t_end, step, m),
                             step, q)

    rates = [r for _, r in spec.steps]
    change_s = [int(t.astimezone(UTC).timestamp()) for t, _ in spec.steps[1:]]
    rate_idx = np.zeros(n + 1, dtype=np.int64)
    next_change = np.full(n + 1, n, dtype=np.int64)
    for i, c in enumerate(change_s):
        kc = (c - t0) // g
        if (c - t0) % g:
            raise ValueError("dose change off the grid")
        rate_idx[kc:] = i + 1
    for c in reversed(change_s):
        kc = (c - t0) // g
        next_change[:kc] = kc
    return _Grid(g, n, times, who, valid, prep, prep_calm, rate_idx, rates, next_change)


def _vials(rate: float, dur_s: int, ov_s: int, vial_ug: float) -> int:
    # The same dose and vial count as the bags the plan states (schedule/bags.py).
    return vials_for(dose_ug(rate, dur_s / 3600, ov_s / 3600), vial_ug)


def _arc_pieces(k: int, gr: _Grid, st: Settings) -> list[tuple[int, int, int]]:
    """Feasible step counts ``d`` of a bag starting at node ``k``, split by overfill and edge."""
    p = int(gr.prep[k])
    if p == _NO_PREP:
        return []
    g = gr.g
    s = int(gr.times[k])
    stab = _hours_s(st.stability_h)
    ov = _hours_s(st.overfill_h)
    ovmax = _hours_s(st.overfill_max_bag_h)
    maxbag = _hours_s(st.max_bag_h)
    dmin = max(1, -(-_hours_s(st.min_bag_h) // g))
    room = min(int(gr.next_change[k]), gr.n) - k
    pc = int(gr.prep_calm[k])
    pieces: list[tuple[int, int, int]] = []
    # Bags up to overfill_max_bag_h carry the overfill; longer ones carry none.
    for lo, cap, extra in ((dmin, min(ovmax, maxbag), ov),
                           (max(dmin, ovmax // g + 1), maxbag, 0)):
        hi = min(room, cap // g, (p + stab - extra - s) // g)
        if hi < lo:
            continue
        calm_hi = (pc + stab - extra - s) // g if pc != _NO_PREP else lo - 1
        calm_hi = min(hi, calm_hi)
        if calm_hi >= lo:
            pieces.append((lo, calm_hi, 0))
            if calm_hi < hi:
                pieces.append((calm_hi + 1, hi, 1))
        else:
            pieces.append((lo, hi, 1))
    return pieces


def _vial_table(gr: _Grid, st: Settings, dmax: int) -> np.ndarray:
    """Vials of a bag of ``d`` grid steps at each rate: ``tab[rate index, d]``.

    Within an overfill regime the count never decreases with ``d``, so a
    bisection fills runs of equal counts with a few exact evaluations.
    """
    ov = _hours_s(st.overfill_h)
    ovmax = _hours_s(st.overfill_max_bag_h)
    tab = np.zeros((len(gr.rates), dmax + 1), dtype=np.int64)
    split = min(dmax, ovmax // gr.g)  # bags of up to `split` steps carry the overfill

    def fill(row: np.ndarray, lo: int, hi: int, vials_at: Callable[[int], int]) -> None:
        if lo > hi:
            return
        a, b = vials_at(lo), vials_at(hi)
        if a == b:
            row[lo:hi + 1] = a
            return
        mid = (lo + hi) // 2
        fill(row, lo, mid, vials_at)
        fill(row, mid + 1, hi, vials_at)

    for ri, r in enumerate(gr.rates):
        def vials_at(d: int, r: float = r) -> int:
            dur = d * gr.g
            return _vials(r, dur, ov if dur <= ovmax else 0, st.vial_ug)

        fill(tab[ri], 1, split, vials_at)
        fill(tab[ri], split + 1, dmax, vials_at)
    return tab


def _regularity(gr: _Grid, spec: CycleSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per node: off the weekday pair (one row per pair), and off T0's time of day."""
    local = _local_seconds(gr.times)
    weekday = ((local // 86400) + 3) % 7  # 1970-01-01 was a Thursday
    tod = local % 86400
    after = np.array([w != "inpatient" for w in gr.who], dtype=bool)
    after[gr.n] = False
    offpair = np.stack([after & ~np.isin(weekday, pair) for pair in _PAIR_DAYS]).astype(np.int64)
    offtime = (after & (tod != tod[0])).astype(np.int64)
    return offpair, offtime


def _solve_scan(spec: CycleSpec, gr: _Grid, st: Settings) -> tuple[int, list[int], list[int]]:
    """Reference backward DP, node by node, with bags packed in the cost.

    Slower than :func:`_solve` (kept as an independent second algorithm for the
    tests, and for cost bounds that do not fit an int64). Returns (pair index,
    path of nodes, edge flags per bag).
    """
    n, g = gr.n, gr.g
    dmin = max(1, -(-_hours_s(st.min_bag_h) // g))
    dmax = max(1, min(n, _hours_s(st.max_bag_h) // g))
    vt = _vial_table(gr, st, dmax)
    vmax = int(vt.max())
    offpair, offtime = _regularity(gr, spec)

    bound = n // dmin + 1
    w_edge = 1
    w_time = bound + 1
    w_pair = w_time * (bound + 1)
    w_vial = w_pair * (bound + 1)
    w_bag = w_vial * (bound * vmax + 1)
    exact_int64 = w_bag * (bound + 1) < (1 << 60)
    dtype = np.int64 if exact_int64 else object
    inf = _INF if exact_int64 else 1 << 400

    vw = (vt * w_vial).astype(dtype)
    reg = (offpair * w_pair + offtime[None, :] * w_time).astype(dtype)
    best = np.full((2, n + 1), inf, dtype=dtype)
    acc = np.full((2, n + 1), inf, dtype=dtype)  # best[j] + regularity of the change at j
    choice = np.zeros((2, n + 1), dtype=np.int64)
    best[:, n] = 0
    acc[:, n] = 0
    rows = np.arange(2)
    pieces_of: dict[int, list[tuple[int, int, int]]] = {}
    for k in range(n - 1, -1, -1):
        if not gr.valid[k]:
            continue
        pieces = _arc_pieces(k, gr, st)
        if not pieces:
            continue
        pieces_of[k] = pieces
        ri = int(gr.rate_idx[k])
        cur = np.full(2, inf, dtype=dtype)
        cur_d = np.zeros(2, dtype=np.int64)
        for lo, hi, edge in pieces:
            seg = acc[:, k + lo:k + hi + 1] + vw[ri, lo:hi + 1]
            am = np.argmin(seg, axis=1)
            val = seg[rows, am] + edge * w_edge
            better = val < cur
            cur = np.where(better, val, cur)
            cur_d = np.where(better, am + lo, cur_d)
        ok = cur < inf
        if not ok.any():
            continue
        best[:, k] = np.where(ok, cur + w_bag, inf)
        choice[:, k] = cur_d
        if k > 0:
            acc[:, k] = np.where(ok, best[:, k] + reg[:, k], inf)
    if not best[0, 0] < inf and not best[1, 0] < inf:
        raise InfeasiblePlanError(_diagnose(spec, gr, st))
    pair = 0 if best[0, 0] <= best[1, 0] else 1
    path = [0]
    edges: list[int] = []
    k = 0
    while k < n:
        d = int(choice[pair, k])
        lo_edge = next(e for lo, hi, e in pieces_of[k] if lo <= d <= hi)
        edges.append(lo_edge)
        k += d
        path.append(k)
    return pair, path, edges


def _all_pieces(gr: _Grid, st: Settings) -> np.ndarray:
    """Arc pieces of every node at once: shape (n + 1, 4, 3) of (d_lo, d_hi, edge).

    Same rule as :func:`_arc_pieces` (which the tests compare with it); a
    piece with ``d_lo > d_hi`` is empty.
    """
    g, n = gr.g, gr.n
    k = np.arange(n + 1, dtype=np.int64)
    s = gr.times
    p = gr.prep
    pc = gr.prep_calm
    stab = _hours_s(st.stability_h)
    ov = _hours_s(st.overfill_h)
    ovmax = _hours_s(st.overfill_max_bag_h)
    maxbag = _hours_s(st.max_bag_h)
    dmin = max(1, -(-_hours_s(st.min_bag_h) // g))
    room = np.minimum(gr.next_change, n) - k
    out = np.zeros((n + 1, 4, 3), dtype=np.int64)
    out[:, :, 0] = 1
    has_p = p != _NO_PREP
    has_c = pc != _NO_PREP
    for i, (lo, cap, extra) in enumerate(((dmin, min(ovmax, maxbag), ov),
                                          (max(dmin, ovmax // g + 1), maxbag, 0))):
        hi = np.minimum(np.minimum(room, cap // g), (p + stab - extra - s) // g)
        hi = np.where(has_p & gr.valid, hi, lo - 1)
        calm = np.where(has_c, (pc + stab - extra - s) // g, lo - 1)
        calm = np.minimum(calm, hi)
        out[:, 2 * i, 0] = lo
        out[:, 2 * i, 1] = calm
        out[:, 2 * i, 2] = 0
        out[:, 2 * i + 1, 0] = np.maximum(lo, calm + 1)
        out[:, 2 * i + 1, 1] = hi
        out[:, 2 * i + 1, 2] = 1
    out[n, :, 0] = 1
    out[n, :, 1] = 0
    return out


def _vial_runs(vt_row: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs ``(d_lo, d_hi, vials)`` of constant vial count along bag length ``d`` >= 1."""
    runs: list[tuple[int, int, int]] = []
    start = 1
    for d in range(2, len(vt_row) + 1):
        if d == len(vt_row) or vt_row[d] != vt_row[start]:
            runs.append((start, d - 1, int(vt_row[start])))
            start = d
    return runs


class _RangeMin:
    """Sparse table: argmin of ``values[row, l..r]`` in O(1) per query, vectorised.

    Ties go to the smallest index (the shorter bag), which keeps plans
    deterministic.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.v = values
        rows, m = values.shape
        levels = [np.broadcast_to(np.arange(m), (rows, m)).copy()]
        r = np.arange(rows)[:, None]
        span = 1
        while 2 * span <= m:
            prev = levels[-1]
            left = prev[:, : m - span]
            right = prev[:, span:]
            pick = np.where(values[r, right] < values[r, left], right, left)
            nxt = prev.copy()
            nxt[:, : m - span] = pick
            levels.append(nxt)
            span *= 2
        self.levels = np.stack(levels)

    def argmin(self, row: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Index of the minimum of ``values[row, lo[i]..hi[i]]`` (inclusive, non-empty)."""
        length = hi - lo + 1
        lev = np.floor(np.log2(length)).astype(np.int64)
        a = self.levels[lev, row, lo]
        b = self.levels[lev, row, hi - (1 << lev) + 1]
        v = self.v[row]
        return np.where(v[b] < v[a], b, a)


def _solve(spec: CycleSpec, gr: _Grid, st: Settings) -> tuple[int, list[int], list[int]]:
    """Exact lexicographic shortest path, by layers of equal bag count.

    Layer ``L`` holds the nodes from which ``T_end`` is reached with ``L`` bags
    at the fewest (a breadth-first search backwards, vectorised with prefix
    counts over arc intervals). An optimal path from a node of layer ``L``
    goes to layer ``L - 1``; within a layer the secondary cost (vials, then
    regularity, then edges) is a minimum over intervals of the previous
    layer's costs, with the vial count constant on runs of bag lengths: a
    range-minimum query. Returns (pair index, path of nodes, edge flags).
    """
    n, g = gr.n, gr.g
    dmax = max(1, min(n, _hours_s(st.max_bag_h) // g))
    vt = _vial_table(gr, st, dmax)
    vmax = int(vt.max())
    offpair, offtime = _regularity(gr, spec)
    bound = n + 1
    w_time = bound + 1
    w_pair = w_time * (bound + 1)
    w_vial = w_pair * (bound + 1)
    if w_vial * (bound * vmax + 1) >= (1 << 60):
        return _solve_scan(spec, gr, st)
    reg = offpair * w_pair + offtime[None, :] * w_time  # (2, n + 1)

    pieces = _all_pieces(gr, st)
    nonempty = pieces[:, :, 0] <= pieces[:, :, 1]
    # for reachability the edge split does not matter: [lo, hi] per overfill regime
    ranges = []
    for i in (0, 2):
        lo = np.where(nonempty[:, i], pieces[:, i, 0], pieces[:, i + 1, 0])
        hi = np.where(nonempty[:, i + 1], pieces[:, i + 1, 1], pieces[:, i, 1])
        ranges.append((lo, hi))
    layer = np.full(n + 1, -1, dtype=np.int64)
    layer[n] = 0
    best = np.full((2, n + 1), _INF, dtype=np.int64)
    best[:, n] = 0
    choice = np.full((2, n + 1), -1, dtype=np.int64)
    edge_of = np.zeros((2, n + 1), dtype=np.int64)
    runs = [_vial_runs(vt[ri]) for ri in range(len(gr.rates))]
    kk = np.arange(n + 1, dtype=np.int64)
    cand = gr.valid.copy()
    cand[n] = False
    L = 0
    while layer[0] < 0:
        prev = layer == L
        if not prev.any():
            raise InfeasiblePlanError(_diagnose(spec, gr, st))
        cnt = np.concatenate(([0], np.cumsum(prev)))
        hit = np.zeros(n + 1, dtype=bool)
        for lo, hi in ranges:
            ok = cand & (lo <= hi) & (layer < 0)
            a = np.minimum(kk + lo, n + 1)
            b = np.minimum(kk + hi + 1, n + 1)
            hit |= ok & (cnt[np.maximum(b, a)] - cnt[a] > 0)
        L += 1
        nodes = np.nonzero(hit)[0]
        if len(nodes) == 0:
            raise InfeasiblePlanError(_diagnose(spec, gr, st))
        layer[nodes] = L
        acc = np.where(prev[None, :], best + np.where(kk[None, :] < n, reg, 0), _INF)
        rmq = _RangeMin(acc)
        cur = np.full((2, len(nodes)), _INF, dtype=np.int64)
        cur_j = np.full((2, len(nodes)), -1, dtype=np.int64)
        cur_e = np.zeros((2, len(nodes)), dtype=np.int64)
        rate_of = gr.rate_idx[nodes]
        for ri in np.unique(rate_of):
            sel = np.nonzero(rate_of == ri)[0]
            ks = nodes[sel]
            for pi in range(4):
                plo = pieces[ks, pi, 0]
                phi = pieces[ks, pi, 1]
                edge = pi % 2
                for rlo, rhi, vials in runs[ri]:
                    lo = np.maximum(plo, rlo)
                    hi = np.minimum(phi, rhi)
                    ok = lo <= hi
                    if not ok.any():
                        continue
                    q = sel[ok]
                    ql, qh = ks[ok] + lo[ok], ks[ok] + hi[ok]
                    for row in (0, 1):
                        j = rmq.argmin(row, ql, qh)
                        val = acc[row, j] + vials * w_vial + edge
                        better = (val < cur[row, q]) | ((val == cur[row, q]) & (j < cur_j[row, q]))
                        better &= val < _INF
                        cur[row, q] = np.where(better, val, cur[row, q])
                        cur_j[row, q] = np.where(better, j, cur_j[row, q])
                        cur_e[row, q] = np.where(better, edge, cur_e[row, q])
        best[:, nodes] = cur
        choice[:, nodes] = cur_j
        edge_of[:, nodes] = cur_e
    pair = 0 if best[0, 0] <= best[1, 0] else 1
    path = [0]
    edges: list[int] = []
    k = 0
    while k < n:
        edges.append(int(edge_of[pair, k]))
        k = int(choice[pair, k])
        path.append(k)
    return pair, path, edges


def _reach_forward(gr: _Grid, st: Settings) -> tuple[np.ndarray, int, int]:
    """Change instants a safe plan can reach from ``T0``, and its furthest bag.

    Returns (reachable nodes, end node of the furthest-reaching bag, its start).
    """
    n = gr.n
    reach = np.zeros(n + 1, dtype=bool)
    reach[0] = True
    far_e, far_k = 0, 0
    for k in range(n):
        if not reach[k] or not gr.valid[k]:
            continue
        for lo, hi, _ in _arc_pieces(k, gr, st):
            reach[k + lo:k + hi + 1] |= gr.valid[k + lo:k + hi + 1]
            if k + hi > far_e:
                far_e, far_k = k + hi, k
        if gr.prep[k] == _NO_PREP and far_e <= k:
            far_e, far_k = k, k
    return reach, far_e, far_k


def _reach_backward(gr: _Grid, st: Settings) -> np.ndarray:
    """Change instants from which a safe plan reaches the end of the cycle."""
    n = gr.n
    ok = np.zeros(n + 1, dtype=bool)
    ok[n] = True
    for k in range(n - 1, -1, -1):
        if gr.valid[k]:
            ok[k] = any(ok[k + lo:k + hi + 1].any() for lo, hi, _ in _arc_pieces(k, gr, st))
    return ok


def _diagnose(spec: CycleSpec, gr: _Grid, st: Settings) -> str:
    """A one-line reason naming the constraint and the instant.

    The shortest bag first: when plans exist without ``min_bag_h``, the
    reason is that floor (:func:`_floor_diagnosis`). Otherwise a forward
    search marks every change instant a safe plan can reach; the reachable
    bag that lasts furthest is where plans stall. What stops it is named: the
    dose change, the longest bag allowed, or stability; for stability, the
    production windows when none opens before the next possible change, the
    change windows otherwise.
    """
    free = st.model_copy(update={"min_bag_h": 0.0})
    why = _floor_diagnosis(spec, gr, st, free)
    if why is not None:
        return why
    st = free
    n = gr.n
    _, far_e, far_k = _reach_forward(gr, st)
    c = f"cycle {spec.number}: "
    s = int(gr.times[far_k])
    p = int(gr.prep[far_k])
    if p == _NO_PREP:
        what = "the first bag" if far_k == 0 else "the bag"
        return (f"{c}no production window before {_fmt(s)} (minus transport) to prepare "
                f"{what} hung at {_fmt(s)}")
    e_max = int(gr.times[far_e])
    later = np.nonzero(gr.valid[far_e + 1:])[0]
    nxt = far_e + 1 + int(later[0])  # node n is always valid: nxt exists
    who = gr.who[min(far_e + 1, n)]
    stab_bound = p + _hours_s(st.stability_h)
    maxbag_bound = s + _hours_s(st.max_bag_h)
    change_k = min(int(gr.next_change[far_k]), n)
    change_bound = int(gr.times[change_k])
    if change_k < n and change_bound <= min(stab_bound, maxbag_bound) and not gr.valid[change_k]:
        return (f"{c}the dose change at {_fmt(change_bound)} needs a bag change then, and "
                f"no {gr.who[change_k]} change window includes it")
    if maxbag_bound < stab_bound and maxbag_bound <= change_bound:
        return (f"{c}bags last at most {st.max_bag_h:g} h and no {who} change window lies "
                f"between {_fmt(e_max)} and {_fmt(maxbag_bound)}")
    fresher = int(gr.prep[nxt]) if nxt < n else int(gr.prep[n])
    target = "the end of the cycle " + _fmt(int(gr.times[n])) if nxt == n \
        else _fmt(int(gr.times[nxt]))
    if fresher != _NO_PREP and fresher > p:
        return (f"{c}no {who} change window between {_fmt(e_max)} and {target}: a bag "
                f"prepared {_fmt(p)} lasts until {_fmt(e_max)} at most (stability "
                f"{st.stability_h:g} h)")
    return (f"{c}no production window can feed a change before {target}: stability "
            f"{st.stability_h:g} h, last window closes {_fmt(p)}")


def _floor_diagnosis(spec: CycleSpec, gr: _Grid, st: Settings, free: Settings) -> str | None:
    """Why ``min_bag_h`` leaves no plan, or None when plans fail without it too.

    With the floor, ``F`` holds the change instants reachable from ``T0`` and
    ``B`` those from which the end is reachable. A bag shorter than the floor
    from ``F`` to ``B`` gives a plan with one short bag: the longest such bag
    is named, with what forces it (the end of the cycle or the dose change
    just after it; the stability of a bag that must start at ``T0`` or at the
    dose change; otherwise stability and change windows), and lowering
    ``min_bag_h`` to its length makes exactly that plan allowed. Without one,
    the best plan without the floor names its short bags.
    """
    n, g = gr.n, gr.g
    dmin = -(-_hours_s(st.min_bag_h) // g)
    if dmin <= 1:
        return None
    fwd, _, _ = _reach_forward(gr, st)
    bwd = _reach_backward(gr, st)
    best: tuple[int, int, int] | None = None  # (steps, start node, end node)
    for k in map(int, np.nonzero(fwd[:n])[0]):
        for lo, hi, _ in _arc_pieces(k, gr, free):
            for d in range(min(hi, dmin - 1), lo - 1, -1):
                if bwd[k + d]:
                    if best is None or d > best[0]:
                        best = (d, k, k + d)
                    break
    c = f"cycle {spec.number}: "
    floor = f"no safe plan keeps every bag at least {st.min_bag_h:g} h long (min_bag_h)"
    if best is None:
        if not _reach_forward(gr, free)[0][n]:
            return None
        _, path, _ = _solve(spec, gr, free)
        short = [(a, b) for a, b in zip(path, path[1:], strict=False) if b - a < dmin]
        longest = max(b - a for a, b in short) * g / 3600
        listed = " and ".join(f"{_fmt(int(gr.times[a]))} to {_fmt(int(gr.times[b]))} "
                              f"({(b - a) * g / 3600:g} h)" for a, b in short[:2])
        return (f"{c}{floor}: at least {len(short)} bags must be shorter, e.g. {listed}; "
                f"lower min_bag_h to {longest:g} h to plan them")
    d, k, j = best
    s, e = int(gr.times[k]), int(gr.times[j])
    hours = d * g / 3600
    stab = f"stability {st.stability_h:g} h"

    def prepared(node: int) -> str:
        p = int(gr.prep[node])
        return "has no production slot before it" if p == _NO_PREP \
            else f"is prepared {_fmt(p)} at the latest"

    if j == n or j == int(gr.next_change[k]):
        # A forced boundary at e: say why the short bag cannot start earlier.
        forced = "the cycle ends then" if j == n else "the dose change then forces a bag boundary"
        before = k - 1
        if before < 0:
            earlier = "it is the first bag"
        elif not gr.valid[before]:
            earlier = f"no {gr.who[before]} change window just before {_fmt(s)}"
        elif not any(lo <= j - before <= hi for lo, hi, _ in _arc_pieces(before, gr, free)):
            earlier = f"a change before {_fmt(s)} {prepared(before)}: {stab}"
        else:
            earlier = (f"no safe plan with bags of at least {st.min_bag_h:g} h reaches a change "
                       f"before {_fmt(s)}")
        why = f"{forced}; {earlier}"
    elif (k == 0 or gr.rate_idx[k] != gr.rate_idx[k - 1]) \
            and max(hi for _, hi, _ in _arc_pieces(k, gr, free)) < dmin:
        # A bag that must start at T0 or at the dose change, and whose
        # preparation cannot be recent enough to last min_bag_h.
        hung = "the first bag, hung by the ward at T0," if k == 0 \
            else "the bag hung at the dose change"
        why = f"{hung} {prepared(k)}: {stab}"
    else:
        why = f"a bag hung at {_fmt(s)} {prepared(k)}: {stab}, and the change windows"
    return (f"{c}{floor}: one bag must be shorter, at best {hours:g} h from {_fmt(s)} to "
            f"{_fmt(e)} ({why}); lower min_bag_h to {hours:g} h to plan it")


def plan_cycle(spec: CycleSpec, calendars: Calendars, settings: Settings,
               drug: Drug | None = None) -> CyclePlan:
    """The optimal plan of one cycle (see the module docstring for the model).

    Raises
    ------
    InfeasiblePlanError
        No safe plan exists; the message names the constraint and the instant.
    """
    drug = drug or load_drug()
    gr = _build_grid(spec, calendars, settings)
    _, path, edges = _solve(spec, gr, settings)
    ov_s = _hours_s(settings.overfill_h)
    ovmax = _hours_s(settings.overfill_max_bag_h)
    stab = _hours_s(settings.stability_h)
    bags: list[Bag] = []
    for i, (a, b) in enumerate(zip(path, path[1:], strict=False)):
        s, e = int(gr.times[a]), int(gr.times[b])
        dur = e - s
        ov = ov_s if dur <= ovmax else 0
        calm = int(gr.prep_calm[a])
        p = calm if (edges[i] == 0 and calm != _NO_PREP and e + ov - calm <= stab) \
            else int(gr.prep[a])
        bags.append(make_bag(
            i + 1, dt.datetime.fromtimestamp(p, PARIS), dt.datetime.fromtimestamp(s, PARIS),
            dt.datetime.fromtimestamp(e, PARIS), ov / 3600, gr.rates[int(gr.rate_idx[a])],
            gr.who[a], settings, drug))
    return CyclePlan(number=spec.number, regimen=spec.regimen, start=spec.t0, end=spec.t_end,
                     inpatient_until=spec.inpatient_end, bags=tuple(bags))


def _baseline(request: Request, drug: Drug, calendars: Calendars,
              specs: list[CycleSpec]) -> Baseline:
    try:
        from hadplanner.schedule import baseline as practice  # another area's module
    except ImportError:
        return Baseline(feasible=False, reason="not computed")
    fn = getattr(practice, "practice_plan", None)
    if fn is None:
        return Baseline(feasible=False, reason="not computed")
    from hadplanner.errors import HadPlannerError

    try:
        return fn(request, drug=drug, calendars=calendars, specs=specs)
    except HadPlannerError as exc:
        return Baseline(feasible=False, reason=str(exc))


def plan_request(request: Request, drug: Drug | None = None, *,
                 with_baseline: bool = True) -> Plan:
    """Plan every cycle of a request, check the plan, and compare with the practice.

    Parameters
    ----------
    request
        The validated request.
    drug
        The drug of the request (read from the catalogue when None).
    with_baseline
        Compute the practice to beat (``schedule.baseline.practice_plan``).

    Returns
    -------
    Plan
        With ``checked=True``: the independent checker found no violation.

    Raises
    ------
    InfeasiblePlanError
        A cycle has no safe plan (the message names the constraint and instant).
    UnsafePlanError
        The checker found a broken invariant (a bug: never shown as a plan).
    """
    from hadplanner.schedule.checker import assert_safe

    drug = drug or load_drug(request.drug)
    calendars = calendars_from_settings(request.settings)
    specs = cycle_specs(request, drug)
    check_bag_volumes(request.settings, drug, max(r for sp in specs for _, r in sp.steps))
    cycles = tuple(plan_cycle(spec, calendars, request.settings, drug) for spec in specs)
    baseline = (_baseline(request, drug, calendars, specs) if with_baseline
                else Baseline(feasible=False, reason="not computed"))
    plan = Plan(
        patient_id=request.patient.id,
        drug=request.drug,
        change_mode=ChangedBy(request.change_mode),
        transport_h=specs[0].transport_h if specs else None,
        transport_hospital_h=request.settings.transport_hospital_h,
        cycles=cycles,
        totals=totals_of(cycles, request.settings.vial_eur),
        baseline=baseline,
    )
    assert_safe(plan, request, transport_h=specs[0].transport_h if specs else None)
    return plan.model_copy(update={"checked": True})
