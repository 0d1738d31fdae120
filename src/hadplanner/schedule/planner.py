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

Segments (re-planning from an event, ``register.replan``). A cycle with
interruptions is planned piece by piece between them (:func:`segments_of`),
and a re-plan plans the rest of a cycle from a restart instant ``S`` (a
:class:`Segment`): node 0 is ``S``, its bag hung by a given changer (the ward,
the day hospital after a restart of 4 h or more, the change mode otherwise:
:func:`first_changer`); readmissions make the ward the changer at the nodes
they cover; the dose steps and the end are the spec's, already moved by the
interruptions (infusion time). Event instants are real (10:07), so the
segment's grid is the gcd of ``grid_minutes`` and the offsets from ``T0`` of
``S``, the end, the steps, the inpatient end and the readmissions inside
(:func:`_segment_grid`): every instant that matters is a node, and so is every
node of the ``T0`` grid; a whole-minute event gives a 1-minute grid at worst
(some 40,000 nodes, tens of milliseconds). A plan of an ordinary cycle keeps
its grid and its plan.

No bag of a segment may be prepared before ``prep_from`` (the event's
instant: nothing is compounded in the past). The argument above still holds:
the feasible ``p`` are the slots in ``[max(prep_from, e + ov - stability),
s - transport]``, non-empty iff the latest slot ``P(s) <= s - transport``
satisfies both ``P(s) >= prep_from`` and ``P(s) >= e + ov - stability``. The
first condition depends on ``s`` alone, so a start with ``P(s) < prep_from``
is simply no start (its ``P`` becomes "no slot") and the rest is unchanged;
the choice away from the edges takes the calm slot only when it is not before
``prep_from`` either. ``tests/schedule/test_segments.py`` checks this against
the brute force with a lower bound.

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
bounded by the number of arcs of a path (checked; a fallback on Python
integers keeps exactness otherwise). Ties go to the shorter bag.

Speed, and why numpy
--------------------
A 28-day cycle on the 15-minute grid has 2,689 nodes and about a million
arcs per weekday pair. :func:`_solve` never visits arcs one by one: it finds
the layers of equal bag count (a breadth-first search backwards), then, layer
after layer, answers every node's "least cost over a range of end nodes" with
a sparse table of the previous layer's costs, built in place over that
layer's band of nodes (one ``np.minimum`` per level). The arcs of a node
split into a few segments of bag lengths (constant vials and edge flag),
computed once for the whole cycle, so a layer costs some thirty numpy calls.
``benchmarks/plan.py`` times it at about 1.5 ms per cycle (median), some 30
times faster than the plain pure-Python DP over the same arcs kept in the
tests (``tests/schedule/reference_dp.py``), which must give the same plan on
every cycle there and in the tests; issue 9 timed a compiled C programme of
that DP at 2.3-3.9 ms.

Why not compiled code: numba installs from wheels but costs every command
its import and a just-in-time compilation (about 0.5 s measured here, against
a 1 s budget for ``hadplanner plan``), or a writable cache; it also lags new
numpy releases. A C or Cython extension needs a compiler at ``pip install -e
.``, which the project's hatchling build does not run and a fresh machine may
lack. numpy is already a dependency, and the layered search needs nothing else.
"""

from __future__ import annotations

import datetime as dt
import functools
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
    Period,
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

_NO_PREP = -(1 << 60)
"""Sentinel "no production window before this instant"."""
_INT64_LIMIT = 1 << 61
"""Packed keys of the shortest path stay under this to use int64 (else Python integers)."""


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


@functools.lru_cache(maxsize=512)
def _month_windows(cal: Calendar, year: int, month: int) -> tuple[tuple[int, int, int], ...]:
    """(date ordinal, open, close) in epoch seconds of each open day of a month.

    Cached: cycles planned in one process share their calendars' months (a
    calendar is a frozen value, equal for equal settings).
    """
    out = []
    day = dt.date(year, month, 1)
    while day.month == month:
        w = cal.day_window(day)
        if w is not None:
            out.append((day.toordinal(), int(w[0].timestamp()), int(w[1].timestamp())))
        day += dt.timedelta(days=1)
    return tuple(out)


def _epoch_windows(cal: Calendar, a: dt.datetime, b: dt.datetime) -> list[tuple[int, int]]:
    """:meth:`Calendar.epoch_windows` (the windows meeting ``[a, b]``), from cached months."""
    if cal.always_open or b < a:
        return cal.epoch_windows(a, b)
    a, b = a.astimezone(PARIS), b.astimezone(PARIS)
    ta, tb = a.timestamp(), b.timestamp()
    first = (a.date() - dt.timedelta(days=1)).toordinal()
    last = b.date().toordinal()
    out = []
    y, mo = dt.date.fromordinal(first).year, dt.date.fromordinal(first).month
    while (y, mo) <= (b.year, b.month):
        for day, o, c in _month_windows(cal, y, mo):
            if first <= day <= last and c >= ta and o <= tb:
                out.append((o, c))
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return out


def _window_arrays(cal: Calendar, a: dt.datetime, b: dt.datetime) -> tuple[np.ndarray, np.ndarray]:
    pairs = _epoch_windows(cal, a, b)
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    arr = np.array(pairs, dtype=np.int64)
    return arr[:, 0].copy(), arr[:, 1].copy()


def _slot_arrays(cal: Calendar, a: dt.datetime, b: dt.datetime, step: int,
                 margin_s: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first slot, last slot, opening) of each window, slots at least ``margin_s`` inside."""
    rows = []
    for o, c in _epoch_windows(cal, a, b):
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
class _Who:
    """Who hangs a bag at each node: the ward in the inpatient period (and readmissions),
    then the change mode; node 0 by ``first`` when given (a segment's first bag)."""

    inpatient: np.ndarray
    mode: str
    first: str | None = None

    def __getitem__(self, k: int) -> str:
        if k == 0 and self.first is not None:
            return self.first
        return "inpatient" if self.inpatient[k] else self.mode

    def __len__(self) -> int:
        return len(self.inpatient)


@dataclass(frozen=True)
class _Grid:
    """Per-node data of one cycle, in integer UTC epoch seconds."""

    g: int
    n: int
    times: np.ndarray
    who: _Who
    valid: np.ndarray
    prep: np.ndarray
    prep_calm: np.ndarray
    rate_idx: np.ndarray
    rates: list[float]
    next_change: np.ndarray


@dataclass(frozen=True)
class Segment:
    """A piece of a cycle planned on its own: ``start`` to ``end`` without a gap.

    The first bag is hung at ``start`` by ``first_by`` (the ward, the day hospital
    or the change mode: :func:`first_changer`); no bag of the segment is prepared
    before ``prep_from`` (the instant of the event re-planned from: a bag cannot
    have been compounded in the past).
    """

    start: dt.datetime
    end: dt.datetime
    first_by: str = "inpatient"
    prep_from: dt.datetime | None = None


def _hours_s(h: float) -> int:
    return int(round(h * 3600))


def _ceil_s(h: float) -> int:
    return math.ceil(h * 3600 - 1e-6)


def _epoch(t: dt.datetime) -> int:
    return int(t.astimezone(UTC).timestamp())


def _segment_grid(g: int, spec: CycleSpec, seg: Segment) -> int:
    """The grid of a segment: the gcd of the request's grid and every instant's offset from T0.

    The segment's start and end, the dose steps and the end of the inpatient
    period inside it, the admissions and discharges meeting it: all are nodes,
    and so is every node of the grid anchored at T0 (``g`` divides itself). A
    plan on this grid is optimal over those instants; event instants are whole
    minutes, so the grid is one minute at the finest.
    """
    ref = _epoch(spec.t0)
    a, b = _epoch(seg.start), _epoch(seg.end)
    offsets = [a, b, _epoch(spec.inpatient_end)]
    offsets += [_epoch(t) for t, _ in spec.steps if a < _epoch(t) < b]
    offsets += [_epoch(x) for w in spec.ward for x in w if a < _epoch(x) < b]
    for x in offsets:
        g = math.gcd(g, x - ref)
    return g


def _build_grid(spec: CycleSpec, cal: Calendars, settings: Settings,
                seg: Segment | None = None) -> _Grid:
    """The nodes of a cycle (``seg`` None) or of a segment of it, and what each allows.

    With a segment: nodes from its start to its end on :func:`_segment_grid`,
    node 0 hung by ``seg.first_by``, readmissions hung by the ward, and a
    production slot before ``seg.prep_from`` is no slot (see the module
    docstring: the latest slot still decides).
    """
    g = settings.grid_minutes * 60
    start, end = (spec.t0, spec.t_end) if seg is None else (seg.start, seg.end)
    if seg is not None:
        g = _segment_grid(g, spec, seg)
    t0 = _epoch(start)
    total = _epoch(end) - t0
    if total % g:
        raise ValueError(f"cycle length {total} s is not a multiple of the grid {g} s")
    n = total // g
    times = t0 + g * np.arange(n + 1, dtype=np.int64)
    inp_end = _epoch(spec.inpatient_end)

    mode = spec.change_mode
    k_inp = times <= inp_end
    for adm, dis in spec.ward:  # readmissions: the ward changes the bags, discharge included
        k_inp |= (times >= _epoch(adm)) & (times <= _epoch(dis))
    first = None if seg is None else seg.first_by
    k_inp[0] = first in (None, "inpatient")
    lo_t = start - dt.timedelta(days=2)
    hi_t = end + dt.timedelta(days=1)
    co, cc = _window_arrays(cal.of(mode), lo_t, hi_t)
    valid = _inside(co, cc, times)
    valid |= k_inp
    valid[0] = True  # T0 (the ward), or a segment's start (its caller checked first_by)
    valid[n] = True

    # Transport rounds up to the second (a plan never relies on a fraction of a
    # second); preparations are slots of the pharmacy's grid (whole minutes).
    hosp = _ceil_s(settings.transport_hospital_h)
    home = _ceil_s(spec.transport_h)
    tr = np.where(k_inp | (mode == "day_hospital"), hosp, home).astype(np.int64)
    if first is not None:
        tr[0] = hosp if first in ("inpatient", "day_hospital") else home
    q = times - tr
    back = dt.timedelta(hours=settings.stability_h + max(settings.transport_hospital_h,
                                                         spec.transport_h) + 48)
    step = settings.prep_slot_min * 60
    prep = _latest_slot(_slot_arrays(cal.production, start - back, end, step), step, q)
    m = settings.edge_margin_minutes * 60
    prep_calm = _latest_slot(_slot_arrays(cal.production, start - back, end, step, m),
                             step, q)
    if seg is not None and seg.prep_from is not None:
        lowest = _epoch(seg.prep_from)
        prep[prep < lowest] = _NO_PREP
        prep_calm[prep_calm < lowest] = _NO_PREP

    # The rate in force at the start, then the dose steps strictly inside.
    cur = max([i for i, (t, _) in enumerate(spec.steps) if _epoch(t) <= t0], default=0)
    inside = [(_epoch(t), r) for t, r in spec.steps[cur + 1:] if _epoch(t) < _epoch(end)]
    rates = [spec.steps[cur][1]] + [r for _, r in inside]
    change_s = [c for c, _ in inside]
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
    return _Grid(g, n, times, _Who(k_inp, mode, first), valid, prep, prep_calm, rate_idx,
                 rates, next_change)


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
    days = local // 86400
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    tod = local - days * 86400
    # T0's time of day (node 0's, except in a segment starting later)
    tod0 = int(_local_seconds(np.array([_epoch(spec.t0)], dtype=np.int64))[0]) % 86400
    after = ~gr.who.inpatient
    after[gr.n] = False
    offpair = np.empty((len(_PAIR_DAYS), gr.n + 1), dtype=np.int64)
    for r, (a, b) in enumerate(_PAIR_DAYS):
        offpair[r] = after & (weekday != a) & (weekday != b)
    offtime = (after & (tod != tod0)).astype(np.int64)
    return offpair, offtime


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


def _runs(vt_row: np.ndarray, split: int) -> list[tuple[int, int, int]]:
    """Runs ``(d_lo, d_hi, vials)`` of constant vial count along bag lengths ``d >= 1``.

    A run never straddles ``split`` (bags of up to ``split`` steps carry the
    overfill, longer ones do not), so each run lies in one overfill regime.
    """
    cut = np.flatnonzero(vt_row[2:] != vt_row[1:-1]) + 2  # first length of a new count
    starts = sorted({1, *cut.tolist(), *([split + 1] if 1 < split + 1 < len(vt_row) else [])})
    ends = [*(x - 1 for x in starts[1:]), len(vt_row) - 1]
    return [(a, b, int(vt_row[a])) for a, b in zip(starts, ends, strict=True)]


def _layers(gr: _Grid, pieces: np.ndarray, dmin: int, dmax: int,
            to_start: bool = True) -> list[np.ndarray]:
    """Nodes by fewest bags to ``T_end``: ``out[L]`` needs ``L`` bags, up to node 0's layer
    (``to_start``) or every node that reaches ``T_end``.

    A breadth-first search backwards from ``T_end``, vectorised: node ``k``
    joins layer ``L`` when one of its arc intervals holds a node of layer
    ``L - 1`` (prefix counts over the nodes of that layer); only nodes between
    ``dmax`` and ``dmin`` steps before that layer are looked at.

    Raises
    ------
    InfeasiblePlanError
        With ``to_start``: ``T_end`` cannot be reached from ``T0`` (without a
        message: the caller diagnoses).
    """
    n = gr.n
    m = n + 1
    kk = np.arange(m, dtype=np.int64)
    nonempty = pieces[:, :, 0] <= pieces[:, :, 1]
    free = gr.valid.copy()
    free[n] = False
    spans = []
    for i in (0, 2):  # per overfill regime: [lo, hi] whatever the edge split
        lo = np.where(nonempty[:, i], pieces[:, i, 0], pieces[:, i + 1, 0])
        hi = np.where(nonempty[:, i + 1], pieces[:, i + 1, 1], pieces[:, i, 1])
        a = np.minimum(kk + lo, m)
        b = np.maximum(np.minimum(kk + hi + 1, m), a)
        spans.append((a, b, lo <= hi))
    prev = np.zeros(m, dtype=bool)
    prev[n] = True
    out = [np.array([n], dtype=np.int64)]
    cnt = np.zeros(m + 1, dtype=np.int64)
    while free[0] or not to_start:
        np.cumsum(prev, out=cnt[1:])
        lo_k = max(0, int(out[-1][0]) - dmax)
        hi_k = max(lo_k, int(out[-1][-1]) - dmin + 1)
        band = slice(lo_k, hi_k)
        hit = np.zeros(hi_k - lo_k, dtype=bool)
        for a, b, ok in spans:
            hit |= ok[band] & (cnt[b[band]] > cnt[a[band]])
        hit &= free[band]
        nodes = np.flatnonzero(hit) + lo_k
        if len(nodes) == 0:
            if not to_start:
                return out
            raise InfeasiblePlanError("")
        free[nodes] = False
        out.append(nodes)
        prev[:] = False
        prev[nodes] = True
    return out


def _solve(spec: CycleSpec, gr: _Grid, st: Settings) -> tuple[int, list[int], list[int]]:
    """Exact lexicographic shortest path: layers of equal bag count, range minima within.

    Layer ``L`` (:func:`_layers`) holds the nodes from which ``T_end`` is
    reached with ``L`` bags at the fewest, and an optimal path from there
    goes to layer ``L - 1``. Within a layer the rest of the cost (vials, then
    regularity, then edges) is a minimum over the previous layer: for node
    ``k``, over each segment of bag lengths where the vial count and the edge
    flag are constant (at most ``2 x runs`` segments, fixed before the
    search), the minimum of ``acc[j]`` on ``j in [k + lo, k + hi]`` (a sparse
    table query, two lookups) plus the segment's constant cost.

    Speed (numpy, no Python loop over nodes or arcs): everything per node is
    computed once for the whole cycle (segments, the two table positions of
    each query); per layer the work is a prefix count for the search, one
    ``np.minimum`` per table level (about 9) over the band of the previous
    layer's nodes (entries outside it stay inf: the band the layer before
    wrote is reset), two gathers and a minimum over segments for the layer's
    nodes. A layer costs some 30 numpy calls and a cycle has about 10 layers.

    Ties: the node's index is packed under the cost (``key = cost x (n+1) +
    j``), so one ``min`` gives the least cost and, among equal costs, the
    shortest bag: the rule of the pure-Python reference DP in the tests
    (``tests/schedule/reference_dp.py``), which must give the same plan.
    Packing is exact in int64 when ``costs x (n+1)`` stays under 2^61 (each
    level is bounded by the bag count of node 0's layer, the largest count
    ever compared); otherwise the same code runs on Python integers (object
    arrays), slower and just as exact. Returns (pair index, path of nodes,
    edge flags per bag).
    """
    n, g = gr.n, gr.g
    m = n + 1
    pieces = _all_pieces(gr, st)
    dmin = max(1, -(-_hours_s(st.min_bag_h) // g))
    dmax = max(1, min(n, _hours_s(st.max_bag_h) // g))
    try:
        layers = _layers(gr, pieces, dmin, dmax)
    except InfeasiblePlanError:
        raise InfeasiblePlanError(_diagnose(spec, gr, st)) from None
    vt = _vial_table(gr, st, dmax)
    offpair, offtime = _regularity(gr, spec)

    # Weights of the objective's levels below the bag count (which the layers
    # fix): each sum along a compared path is at most `bound` per bag.
    bound = len(layers) - 1
    vmax = int(vt[:, 1:].max())
    w_time = bound + 1
    w_pair = w_time * (bound + 1)
    w_vial = w_pair * (bound + 1)
    top = w_vial * (bound * vmax + 1) * m
    exact_int64 = 2 * top < _INT64_LIMIT
    dtype: type = np.int64 if exact_int64 else object
    inf: int = 1 << 62 if exact_int64 else 1 << (2 * top.bit_length() + 2)

    # Segments of bag lengths with constant vials and edge flag: arrays
    # (segment, node) over the nodes of every layer in layer order, so that
    # layer L is a slice of columns.
    split = min(dmax, _hours_s(st.overfill_max_bag_h) // g)
    runs = [[r for r in _runs(vt[ri], split) if r[1] >= dmin] for ri in range(len(gr.rates))]
    nruns = max(1, max(len(r) for r in runs))
    run_tab = np.zeros((4, nruns, len(runs)), dtype=np.int64)  # (lo, hi, vials, regime)
    run_tab[0] = 1  # padding: empty runs [1, 0]
    for ri, rs in enumerate(runs):
        for i, (lo, hi, v) in enumerate(rs):
            run_tab[:, i, ri] = (lo, hi, v, 0 if hi <= split else 1)
    order = np.concatenate(layers[1:])
    starts = np.cumsum([0] + [len(x) for x in layers[1:]])
    rt = run_tab[:, :, gr.rate_idx[order]]  # (4, runs, nodes)
    order_i = np.arange(len(order))
    pc = pieces[order]  # (nodes, 4 pieces, lo/hi/edge)
    seg_lo, seg_hi, seg_add = [], [], []
    for edge in (0, 1):
        piece = 2 * rt[3] + edge  # the node's piece of this regime and edge flag
        seg_lo.append(np.maximum(rt[0], pc[order_i, piece, 0]))
        seg_hi.append(np.minimum(rt[1], pc[order_i, piece, 1]))
        seg_add.append(rt[2].astype(dtype) * w_vial + edge)
    d_lo = np.concatenate(seg_lo)
    d_hi = np.concatenate(seg_hi)
    add = np.concatenate(seg_add) * m
    ok = d_lo <= d_hi
    length = np.where(ok, d_hi - d_lo + 1, 1)
    levels = max(1, int(length.max()).bit_length())
    log2 = np.zeros(1 << levels, dtype=np.int64)
    for i in range(1, levels):
        log2[1 << i:] += 1
    lev = log2[length]
    # The sparse table: tab[level, pos] holds the least key of positions
    # pos .. pos + 2^level - 1, a pair of keys (one per weekday pair); the
    # queries read its rows flattened to (levels x width, 2). An empty
    # segment reads position m of level 0, always inf.
    width = m + (1 << levels)
    base = lev * width + order
    ia = np.where(ok, base + d_lo, m)
    ib = np.where(ok, base + d_hi - (1 << lev) + 1, m)

    reg = (offpair * w_pair + offtime[None, :] * w_time).T.astype(dtype)
    reg[n] = 0
    tab: np.ndarray = np.full((levels, width, 2), inf, dtype=dtype)
    rows = tab.reshape(-1, 2)
    # acc[j]: the best from j plus the regularity of the change at j
    acc: np.ndarray = np.full((m, 2), inf, dtype=dtype)
    best: np.ndarray = np.full((m, 2), inf, dtype=dtype)
    choice = np.full((m, 2), -1, dtype=np.int64)
    acc[n] = 0
    best[n] = 0
    dirty = slice(0, 0)  # positions the previous layer wrote in any level
    for L in range(1, len(layers)):
        prev, nodes = layers[L - 1], layers[L]
        sl = slice(starts[L - 1], starts[L])
        tab[:, dirty] = inf
        tab[0][prev] = acc[prev] * m + prev[:, None]
        top_pos = int(prev[-1]) + 1
        for i in range(1, levels):
            h = 1 << (i - 1)
            a = max(0, int(prev[0]) - 2 * h + 1)  # below a, level i sees only inf
            np.minimum(tab[i - 1, a:top_pos], tab[i - 1, a + h:top_pos + h],
                       out=tab[i, a:top_pos])
        dirty = slice(max(0, int(prev[0]) - (1 << levels)), top_pos)
        val = rows[ia[:, sl]]  # (segments, nodes, 2)
        np.minimum(val, rows[ib[:, sl]], out=val)
        val += add[:, sl, None]
        key = val.min(axis=0)
        cost = key // m
        best[nodes] = cost
        choice[nodes] = key - cost * m
        acc[nodes] = cost + reg[nodes]
    pair = 0 if best[0, 0] <= best[0, 1] else 1
    path = [0]
    while path[-1] < n:
        path.append(int(choice[path[-1], pair]))
    ks = np.array(path[:-1])
    d = np.diff(path)[:, None]
    inside = (pieces[ks, :, 0] <= d) & (d <= pieces[ks, :, 1])  # one piece per bag
    edges = [int(e) for e in (inside * pieces[ks, :, 2]).sum(axis=1)]
    return pair, path, edges


def _reach_forward(gr: _Grid, st: Settings) -> tuple[np.ndarray, int, int]:
    """Change instants a safe plan can reach from ``T0``, and its furthest bag.

    A breadth-first search forwards, vectorised: each round covers the arc
    intervals of the nodes reached in the round before (counts of interval
    starts and ends). The furthest bag is the one ending last, the earliest
    start among equals; a reached node with no production slot before it
    (where plans stall) counts as a bag ending there, and wins a tie.
    ``tests/schedule/reference_dp.py`` checks both against a node-by-node
    scan. Returns (reachable nodes, end node of the furthest bag, its start).
    """
    n = gr.n
    m = n + 1
    pieces = _all_pieces(gr, st)
    nonempty = pieces[:, :, 0] <= pieces[:, :, 1]
    reach = np.zeros(m, dtype=bool)
    reach[0] = True
    frontier = np.array([0], dtype=np.int64)
    while len(frontier):
        f = frontier[gr.valid[frontier] & (frontier < n)]
        ne = nonempty[f]
        starts = (f[:, None] + pieces[f, :, 0])[ne]
        ends = (f[:, None] + pieces[f, :, 1] + 1)[ne]
        cover = np.cumsum(np.bincount(starts, minlength=m + 1)
                          - np.bincount(ends, minlength=m + 1))[:m] > 0
        new = cover & gr.valid & ~reach
        reach |= new
        frontier = np.flatnonzero(new)
    ks = np.flatnonzero(reach[:n] & gr.valid[:n])
    ne = nonempty[ks]
    has = ne.any(axis=1)
    ends = ks[has] + np.where(ne[has], pieces[ks[has], :, 1], -1).max(axis=1)
    stalls = ks[gr.prep[ks] == _NO_PREP]
    far_e = max(0, int(ends.max()) if len(ends) else 0,
                int(stalls.max()) if len(stalls) else 0)
    if far_e in stalls:
        return reach, far_e, far_e
    if len(ends) and ends.max() == far_e:
        return reach, far_e, int(ks[has][np.argmax(ends == far_e)])
    return reach, 0, 0


def _reach_backward(gr: _Grid, st: Settings) -> np.ndarray:
    """Change instants from which a safe plan reaches the end of the cycle."""
    g = gr.g
    dmin = max(1, -(-_hours_s(st.min_bag_h) // g))
    dmax = max(1, min(gr.n, _hours_s(st.max_bag_h) // g))
    ok = np.zeros(gr.n + 1, dtype=bool)
    for nodes in _layers(gr, _all_pieces(gr, st), dmin, dmax, to_start=False):
        ok[nodes] = True
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


def _longest_short_bag(gr: _Grid, st: Settings, free: Settings,
                       dmin: int) -> tuple[int, int, int] | None:
    """The longest bag under ``dmin`` steps from a node reached from ``T0`` under ``st`` to a
    node that reaches ``T_end`` under ``st``: (steps, start, end), the earliest start among
    equals; None when there is none.

    For each start and each of its arc pieces (without the floor: ``free``),
    the last node reaching the end at or before the piece's end under the
    floor (a running maximum of positions) gives the longest such bag.
    """
    n = gr.n
    fwd, _, _ = _reach_forward(gr, st)
    bwd = _reach_backward(gr, st)
    ks = np.flatnonzero(fwd[:n])
    if not len(ks):
        return None
    pf = _all_pieces(gr, free)[ks]
    last = np.maximum.accumulate(np.where(bwd, np.arange(n + 1), -1))
    top = np.minimum(pf[:, :, 1], dmin - 1)
    t = last[np.clip(ks[:, None] + top, 0, n)]
    steps = np.where((top >= pf[:, :, 0]) & (t >= ks[:, None] + pf[:, :, 0]),
                     t - ks[:, None], -1)
    i = int(np.argmax(steps))  # the first start (then piece) among the longest
    if steps.flat[i] <= 0:
        return None
    k = int(ks[i // steps.shape[1]])
    return int(steps.flat[i]), k, k + int(steps.flat[i])


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
    best = _longest_short_bag(gr, st, free, dmin)  # (steps, start node, end node)
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


def first_changer(spec: CycleSpec, t: dt.datetime, calendars: Calendars, settings: Settings,
                  stopped_since: dt.datetime | None = None) -> str:
    """Who hangs the first bag of a segment at ``t`` (the rule the checker checks on its own).

    The ward in the inpatient period and during a readmission; after an
    interruption of ``hospital_restart_h`` or more (``stopped_since`` is its
    start), the hospital: the day hospital when open at ``t``, else the ward;
    otherwise the change mode.
    """
    u = _epoch(t)
    if u <= _epoch(spec.inpatient_end) or any(_epoch(a) <= u <= _epoch(b) for a, b in spec.ward):
        return "inpatient"
    if stopped_since is not None and \
            u - _epoch(stopped_since) >= _hours_s(settings.hospital_restart_h):
        return "day_hospital" if calendars.day_hospital.contains(t) else "inpatient"
    return spec.change_mode


def segments_of(spec: CycleSpec, calendars: Calendars, settings: Settings) -> list[Segment]:
    """The pieces of a cycle between its interruptions, each with who hangs its first bag."""
    out = []
    start, first = spec.t0, "inpatient"
    for a, b in spec.interruptions:
        out.append(Segment(start, a, first))
        start, first = b, first_changer(spec, b, calendars, settings, a)
    out.append(Segment(start, spec.t_end, first))
    return out


def _short_last_bag(spec: CycleSpec, calendars: Calendars, settings: Settings, drug: Drug,
                    seg: Segment, index: int) -> Bag:
    """The one bag of a last segment shorter than ``min_bag_h``: made for ``min_bag_h``,
    stopped at the cycle's end (``planned_end``); prepared at the latest slot that
    reaches it (the spec's shortest bag is a floor on what the pharmacy makes).
    """
    who = seg.first_by
    s, e = _epoch(seg.start), _epoch(seg.end)
    made = _hours_s(max(settings.min_bag_h, 0.0))
    ov = _hours_s(settings.overfill_h) if made <= _hours_s(settings.overfill_max_bag_h) else 0
    tr = _ceil_s(settings.transport_hospital_h if who in ("inpatient", "day_hospital")
                 else spec.transport_h)
    found = calendars.production.latest_slot_at_or_before(
        dt.datetime.fromtimestamp(s - tr, PARIS), settings.prep_slot_min)
    p = _epoch(found) if found is not None else _NO_PREP
    lowest = _epoch(seg.prep_from) if seg.prep_from is not None else _NO_PREP
    c = f"cycle {spec.number}: "
    if p == _NO_PREP or p < lowest or s + made + ov - p > _hours_s(settings.stability_h):
        raise InfeasiblePlanError(
            f"{c}no production window can feed the last bag hung at {_fmt(s)}: a bag of "
            f"{settings.min_bag_h:g} h (min_bag_h) must be prepared between "
            f"{_fmt(max(lowest, s + made + ov - _hours_s(settings.stability_h)))} and "
            f"{_fmt(s - tr)}")
    if any(s < _epoch(t) < e for t, _ in spec.steps):
        raise InfeasiblePlanError(f"{c}a dose change falls in the last {(e - s) / 3600:g} h, "
                                  "shorter than min_bag_h")
    rate = [r for t, r in spec.steps if _epoch(t) <= s][-1] if any(
        _epoch(t) <= s for t, _ in spec.steps) else spec.steps[0][1]
    bag = make_bag(index, dt.datetime.fromtimestamp(p, PARIS), seg.start,
                   dt.datetime.fromtimestamp(s + made, PARIS), ov / 3600, rate, who, settings,
                   drug)
    return bag.model_copy(update={"end": seg.end.astimezone(PARIS), "duration_h": (e - s) / 3600,
                                  "planned_end": bag.end})


def plan_segment(spec: CycleSpec, calendars: Calendars, settings: Settings, drug: Drug,
                 seg: Segment | None = None, first_index: int = 1) -> tuple[Bag, ...]:
    """The optimal bags of a cycle (``seg`` None) or of one segment of it, numbered from
    ``first_index``.

    Raises
    ------
    InfeasiblePlanError
        No safe plan exists; the message names the constraint and the instant.
    """
    if seg is not None:
        who = seg.first_by
        if who != "inpatient" and not calendars.of(who).contains(seg.start):
            raise InfeasiblePlanError(f"cycle {spec.number}: no {who} change window includes "
                                      f"the restart at {_fmt(_epoch(seg.start))}")
        length = _epoch(seg.end) - _epoch(seg.start)
        if seg.end == spec.t_end and 0 < length < _hours_s(settings.min_bag_h):
            return (_short_last_bag(spec, calendars, settings, drug, seg, first_index),)
    gr = _build_grid(spec, calendars, settings, seg)
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
            first_index + i, dt.datetime.fromtimestamp(p, PARIS),
            dt.datetime.fromtimestamp(s, PARIS), dt.datetime.fromtimestamp(e, PARIS),
            ov / 3600, gr.rates[int(gr.rate_idx[a])], gr.who[a], settings, drug))
    return tuple(bags)


def _has_events(spec: CycleSpec) -> bool:
    return bool(spec.interruptions or spec.stopped_at is not None or any(
        _epoch(a) <= _epoch(spec.t_end) and _epoch(b) >= _epoch(spec.t0) for a, b in spec.ward))


def cycle_plan(spec: CycleSpec, bags: tuple[Bag, ...]) -> CyclePlan:
    """The :class:`CyclePlan` of a spec's bags, with its interruptions, readmissions and stop."""
    t0, te = _epoch(spec.t0), _epoch(spec.t_end)
    return CyclePlan(
        number=spec.number, regimen=spec.regimen, start=spec.t0, end=spec.t_end,
        inpatient_until=spec.inpatient_end, bags=bags,
        interruptions=tuple(Period(start=a, end=b) for a, b in spec.interruptions),
        ward_periods=tuple(Period(start=a, end=b) for a, b in spec.ward
                           if _epoch(a) <= te and _epoch(b) >= t0),
        stopped_at=spec.stopped_at)


def plan_cycle(spec: CycleSpec, calendars: Calendars, settings: Settings,
               drug: Drug | None = None) -> CyclePlan:
    """The optimal plan of one cycle (see the module docstring for the model).

    A cycle with interruptions, readmissions or a stop is planned piece by piece
    (:func:`segments_of`): the pieces are independent, since no bag crosses an
    interruption and each piece's ends are fixed.

    Raises
    ------
    InfeasiblePlanError
        No safe plan exists; the message names the constraint and the instant.
    """
    drug = drug or load_drug()
    if not _has_events(spec):
        return cycle_plan(spec, plan_segment(spec, calendars, settings, drug))
    bags: list[Bag] = []
    for seg in segments_of(spec, calendars, settings):
        bags += plan_segment(spec, calendars, settings, drug, seg, len(bags) + 1)
    return cycle_plan(spec, tuple(bags))


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
    if any(_has_events(sp) for sp in specs):
        baseline = Baseline(feasible=False, reason="not computed: the practice is not modelled "
                            "with interruptions, stops or readmissions")
    else:
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
