"""Brute-force oracles for the planner's tests (independent of the planner's code).

Everything here works on aware datetimes and the :class:`Calendar` API, one
instant at a time, with the spec's rules written out again: it shares no
code with ``schedule/planner.py`` (which works on epoch arrays).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

from hadplanner.models.request import PARIS, UTC, Settings
from hadplanner.schedule.calendars import Calendars
from hadplanner.schedule.regimen import CycleSpec

PAIRS = ((0, 3), (1, 4))


def plus(t: dt.datetime, minutes: float) -> dt.datetime:
    return (t.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(PARIS)


def hours(a: dt.datetime, b: dt.datetime) -> float:
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() / 3600


@dataclass
class World:
    """One cycle's inputs for the oracles."""

    spec: CycleSpec
    st: Settings
    cal: Calendars
    grid_min: int

    @property
    def nodes(self) -> list[dt.datetime]:
        n = int(round(hours(self.spec.t0, self.spec.t_end) * 60 / self.grid_min))
        return [plus(self.spec.t0, k * self.grid_min) for k in range(n + 1)]

    def who(self, s: dt.datetime, first: bool) -> str:
        if first or hours(s, self.spec.inpatient_end) >= 0:
            return "inpatient"
        return self.spec.change_mode

    def can_change(self, s: dt.datetime, first: bool) -> bool:
        w = self.who(s, first)
        return w == "inpatient" or self.cal.of(w).contains(s)

    def transport(self, who: str) -> float:
        return self.st.transport_hospital_h if who in ("inpatient", "day_hospital") \
            else self.spec.transport_h

    def rate(self, s: dt.datetime) -> float:
        r = self.spec.steps[0][1]
        for t, v in self.spec.steps:
            if hours(t, s) >= 0:
                r = v
        return r

    def overfill(self, dur: float) -> float:
        return self.st.overfill_h if dur <= self.st.overfill_max_bag_h + 1e-9 else 0.0

    def __post_init__(self) -> None:
        self._edge: dict[dt.datetime, bool] = {}
        self._slots: dict[dt.date, list[dt.datetime]] = {}

    def is_edge(self, p: dt.datetime) -> bool:
        key = p.astimezone(UTC)
        if key not in self._edge:
            self._edge[key] = self._is_edge(p)
        return self._edge[key]

    def _is_edge(self, p: dt.datetime) -> bool:
        m = self.st.edge_margin_minutes
        return not (self.cal.production.contains(plus(p, -m))
                    and self.cal.production.contains(plus(p, m))
                    and self.cal.production.windows(plus(p, -m), plus(p, m)).__len__() == 1)

    def bag_ok_shape(self, s: dt.datetime, e: dt.datetime) -> bool:
        dur = hours(s, e)
        if dur <= 0 or dur > self.st.max_bag_h + 1e-9 or dur < self.st.min_bag_h - 1e-9:
            return False
        return not any(hours(s, c) > 0 and hours(c, e) > 0 for c in self.spec.dose_changes)

    def slots(self, day: dt.date) -> list[dt.datetime]:
        """The pharmacy's slots of ``day``: opening, opening + slot, ... up to the closing."""
        if day not in self._slots:
            out = []
            w = self.cal.production.day_window(day)
            if w is not None:
                t = w[0]
                while hours(t, w[1]) >= 0:
                    out.append(t)
                    t = plus(t, self.st.prep_slot_min)
            self._slots[day] = out
        return self._slots[day]

    def latest_slot(self, q: dt.datetime) -> dt.datetime | None:
        """The latest slot at or before ``q`` (None within 30 days)."""
        day = q.astimezone(PARIS).date()
        for _ in range(30):
            before = [t for t in self.slots(day) if hours(t, q) >= 0]
            if before:
                return before[-1]
            day -= dt.timedelta(days=1)
        return None

    def preparations(self, s: dt.datetime, e: dt.datetime, first: bool) -> Iterator[dt.datetime]:
        """Every production slot that can feed the bag (transport before, stability after)."""
        dur = hours(s, e)
        ov = self.overfill(dur)
        latest = plus(s, -60 * self.transport(self.who(s, first)))
        earliest = plus(e, 60 * (ov - self.st.stability_h))
        day = earliest.astimezone(PARIS).date() - dt.timedelta(days=1)
        while day <= latest.astimezone(PARIS).date():
            for t in self.slots(day):
                if hours(earliest, t) >= 0 and hours(t, latest) >= 0:
                    yield t
            day += dt.timedelta(days=1)

    def arc_enumerated(self, s: dt.datetime, e: dt.datetime, first: bool) -> tuple[bool, bool]:
        """(feasible, feasible with a preparation away from the edges), trying every p."""
        if not self.bag_ok_shape(s, e):
            return (False, False)
        feas = calm = False
        for p in self.preparations(s, e, first):
            feas = True
            if not self.is_edge(p):
                calm = True
                break
        return feas, calm

    def arc_latest(self, s: dt.datetime, e: dt.datetime, first: bool) -> bool:
        """Feasibility with the latest production slot (the planner's shortcut)."""
        if not self.bag_ok_shape(s, e):
            return False
        dur = hours(s, e)
        p = self.latest_slot(plus(s, -60 * self.transport(self.who(s, first))))
        return p is not None and hours(p, e) + self.overfill(dur) <= self.st.stability_h + 1e-9

    def vials(self, s: dt.datetime, e: dt.datetime) -> int:
        dur = hours(s, e)
        dose = self.rate(s) * (dur + self.overfill(dur)) / 24
        return max(1, math.ceil(round(dose / self.st.vial_ug, 9)))

    def regularity(self, changes: list[dt.datetime], pair: tuple[int, int]) -> tuple[int, int]:
        tod0 = self.spec.t0.astimezone(PARIS).time()
        off_pair = off_time = 0
        for c in changes:
            if self.who(c, False) == "inpatient":
                continue
            lc = c.astimezone(PARIS)
            off_pair += lc.weekday() not in pair
            off_time += lc.time() != tod0
        return off_pair, off_time


def cost_of_path(w: World, path: list[dt.datetime], edges: list[int]) -> tuple[int, ...]:
    """The planner's lexicographic objective, best weekday pair."""
    vials = sum(w.vials(a, b) for a, b in zip(path, path[1:], strict=False))
    changes = path[1:-1]
    return min((len(path) - 1, vials, *w.regularity(changes, pair), sum(edges))
               for pair in PAIRS)


def enumerate_best(w: World) -> tuple[int, ...] | None:
    """The optimum over every bag sequence on the grid (depth-first, bound on bag count only).

    Exhaustive: every sequence of change instants whose bags are feasible
    (tried with every preparation instant) and with at most as many bags as
    the best found so far is costed in full.
    """
    nodes = w.nodes
    n = len(nodes) - 1
    arcs: dict[int, list[tuple[int, int]]] = {}
    for i in range(n):
        first = i == 0
        if not w.can_change(nodes[i], first):
            continue
        out = []
        for j in range(i + 1, n + 1):
            if hours(nodes[i], nodes[j]) > w.st.max_bag_h + 1e-9:
                break
            if j < n and not w.can_change(nodes[j], False):
                continue
            feas, calm = w.arc_enumerated(nodes[i], nodes[j], first)
            if feas:
                out.append((j, 0 if calm else 1))
        arcs[i] = out
    # Drop arcs into nodes that cannot reach the end: this loses no sequence.
    alive = {n}
    for i in range(n - 1, -1, -1):
        arcs[i] = [(j, e) for j, e in arcs.get(i, ()) if j in alive]
        if arcs[i]:
            alive.add(i)
    for out in arcs.values():
        out.sort(key=lambda a: -a[0])  # long bags first: a good bound early
    best: list[tuple[int, ...] | None] = [None]

    def dfs(i: int, path: list[int], edges: list[int], vials: int) -> None:
        if best[0] is not None:
            # more bags, or as many bags and more vials, is worse whatever the rest
            left = hours(nodes[i], nodes[n])
            more = math.ceil(left / w.st.max_bag_h - 1e-9) if left > 0 else 0
            if (len(path) - 1 + more, vials + more) > best[0][:2]:
                return
        if i == n:
            c = cost_of_path(w, [nodes[k] for k in path], edges)
            if best[0] is None or c < best[0]:
                best[0] = c
            return
        for j, edge in arcs.get(i, ()):
            dfs(j, path + [j], edges + [edge], vials + w.vials(nodes[i], nodes[j]))

    if 0 in alive:
        dfs(0, [0], [], 0)
    return best[0]


def end_offsets(w: World, s: dt.datetime, first: bool) -> list[tuple[float, float]]:
    """Feasible bag lengths (hours, closed ranges) from ``s`` with the latest preparation.

    Written from the spec with datetimes: the preparation is the latest
    production slot before ``s - transport``; a bag up to
    ``overfill_max_bag_h`` long carries the overfill.
    """
    p = w.latest_slot(plus(s, -60 * w.transport(w.who(s, first))))
    if p is None:
        return []
    since = hours(p, s)
    cap = min([hours(s, c) for c in w.spec.dose_changes if hours(s, c) > 0]
              + [hours(s, w.spec.t_end)])
    st = w.st
    out = []
    hi_a = min(st.overfill_max_bag_h, st.max_bag_h, st.stability_h - st.overfill_h - since, cap)
    if hi_a >= max(st.min_bag_h, 1e-9):
        out.append((st.min_bag_h, hi_a))
    hi_b = min(st.max_bag_h, st.stability_h - since, cap)
    lo_b = max(st.min_bag_h, st.overfill_max_bag_h + 1e-6)
    if hi_b >= lo_b:
        out.append((lo_b, hi_b))
    return out


def exhaustive_min_bags(w: World) -> int | None:
    """Fewest bags by breadth-first search over every grid instant (None: no plan)."""
    nodes = w.nodes
    n = len(nodes) - 1
    g = w.grid_min / 60
    ok = [i == n or w.can_change(nodes[i], False) for i in range(n + 1)]
    dist: dict[int, int] = {0: 0}
    frontier = [0]
    while frontier:
        nxt = []
        for i in frontier:
            for lo, hi in end_offsets(w, nodes[i], i == 0):
                a = max(i + 1, i + math.ceil(lo / g - 1e-9))
                b = min(n, i + math.floor(hi / g + 1e-9))
                for j in range(a, b + 1):
                    if j not in dist and ok[j]:
                        dist[j] = dist[i] + 1
                        nxt.append(j)
        if n in dist:
            return dist[n]
        frontier = nxt
    return None


def reachable_end(w: World) -> bool:
    """Whether any safe plan exists on the grid (forward search, latest-p oracle)."""
    return exhaustive_min_bags(w) is not None


def assert_latest_instant_decides(w: World, seed: int, arcs: int = 60) -> None:
    """On ``arcs`` random arcs of ``w``: trying every production instant decides a bag as
    the latest instant alone does (the planner's WLOG rule)."""
    import random

    nodes = w.nodes
    rnd = random.Random(seed)
    for _ in range(arcs):
        i = rnd.randrange(len(nodes) - 1)
        j = rnd.randrange(i + 1, len(nodes))
        feas, _ = w.arc_enumerated(nodes[i], nodes[j], i == 0)
        assert feas == w.arc_latest(nodes[i], nodes[j], i == 0)
