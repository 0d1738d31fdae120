"""Slots inside a production day: each bag finishes on one slot, at most N per slot.

The joint model decides the part of the day of each bag and guarantees Hall's
condition on the intervals it checks; here each bag gets its slot. Bags are
unit jobs with a set of allowed slots; filling slots from the latest to the
earliest, each slot takes the bags whose earliest allowed slot is latest (the
reverse of "earliest deadline first"), which finds a schedule whenever one
exists for interval-shaped sets. So bags finish as late as they can (the
freshest bag, as the single-patient planner does), away from the window's
edges when every bag of the day can be.

When no schedule exists, :func:`assign_day` names a slot interval that holds
more bags than it has room for: the joint model adds it (a cut) and solves
again.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """A bag to place: its allowed slots (sorted indices), or one fixed slot if frozen."""

    key: Hashable
    slots: tuple[int, ...]
    fixed: bool = False


def _reverse_edf(jobs: Sequence[Job], allowed: dict[Hashable, tuple[int, ...]],
                 capacity: int, load: dict[int, int]) -> dict[Hashable, int] | None:
    pending = {j.key: j for j in jobs}
    if not pending:
        return {}
    out: dict[Hashable, int] = {}
    order = {j.key: i for i, j in enumerate(jobs)}
    all_slots = sorted({s for j in jobs for s in allowed[j.key]}, reverse=True)
    for t in all_slots:
        room = capacity - load.get(t, 0)
        if room <= 0:
            continue
        ready = [k for k in pending if t in allowed[k]]
        ready.sort(key=lambda k: (-allowed[k][0], order[k]))
        for k in ready[:room]:
            out[k] = t
            del pending[k]
    return None if pending else out


def _violated(jobs: Sequence[Job], capacity: int, load: dict[int, int],
              day_slots: Sequence[int]) -> tuple[int, int]:
    """The slot interval whose bags exceed its room the most (Hall's condition)."""
    best, worst = (day_slots[0], day_slots[-1]), -1
    spans = [(j.slots[0], j.slots[-1]) for j in jobs]
    for ia, a in enumerate(day_slots):
        for b in day_slots[ia:]:
            need = sum(1 for lo, hi in spans if a <= lo and hi <= b)
            room = sum(capacity - load.get(s, 0) for s in day_slots if a <= s <= b)
            if need - room > worst:
                best, worst = (a, b), need - room
    return best


def assign_day(jobs: Sequence[Job], capacity: int, day_slots: Sequence[int],
               calm: Sequence[bool] | None = None,
               prefer: dict[Hashable, int] | None = None
               ) -> tuple[dict[Hashable, int], tuple[int, int] | None]:
    """Slots for one production day's bags.

    Parameters
    ----------
    jobs
        The day's bags; a fixed job keeps its one slot.
    capacity
        Preparations that may finish in one slot.
    day_slots
        The day's slot indices, increasing.
    calm
        Per slot index of the whole problem: away from the window's edges.
    prefer
        A slot per job to keep when every job still gets one (a re-plan keeps
        the previous plan's slots).

    Returns
    -------
    (assignment, violated)
        ``violated`` is None when every bag has a slot; otherwise the
        assignment is partial and ``violated`` is an overfull slot interval.
    """
    if prefer:
        # Pin a preferred slot only while it has room: pinned jobs are fixed, and
        # fixed jobs are placed whatever the capacity.
        taken: dict[int, int] = {}
        for j in jobs:
            if j.fixed:
                taken[j.slots[0]] = taken.get(j.slots[0], 0) + 1
        pinned = []
        for j in jobs:
            want = prefer.get(j.key)
            if not j.fixed and want in j.slots and taken.get(want, 0) < capacity:
                taken[want] = taken.get(want, 0) + 1
                pinned.append(Job(j.key, (want,), True))
            else:
                pinned.append(j)
        if any(p is not j for p, j in zip(pinned, jobs, strict=True)):
            got, bad = assign_day(pinned, capacity, day_slots, calm)
            if bad is None:
                return got, None
    load: dict[int, int] = {}
    out: dict[Hashable, int] = {}
    for j in jobs:
        if j.fixed:
            out[j.key] = j.slots[0]
            load[j.slots[0]] = load.get(j.slots[0], 0) + 1
    full = [s for s, n in load.items() if n > capacity]
    if full:  # frozen bags alone overfill a slot: no assignment can mend it
        return out, (min(full), min(full))
    free = [j for j in jobs if not j.fixed]
    if calm is not None:
        quiet = {j.key: tuple(s for s in j.slots if calm[s]) or j.slots for j in free}
        found = _reverse_edf(free, quiet, capacity, load)
        if found is not None:
            return {**out, **found}, None
    found = _reverse_edf(free, {j.key: j.slots for j in free}, capacity, load)
    if found is not None:
        return {**out, **found}, None
    return out, _violated(free, capacity, load, day_slots)
