"""Slots inside a production day: at most N bags finish in a slot, each in its window."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hadplanner.pharmacy.slots import Job, assign_day

SLOTS = list(range(10))


def _hall_holds(jobs, capacity):
    for a in SLOTS:
        for b in SLOTS[a:]:
            need = sum(1 for j in jobs if a <= j.slots[0] and j.slots[-1] <= b)
            if need > capacity * (b - a + 1):
                return False
    return True


windows = st.tuples(st.integers(0, 9), st.integers(0, 4)).map(
    lambda t: tuple(range(t[0], min(9, t[0] + t[1]) + 1)))


@settings(max_examples=300, deadline=None)
@given(st.lists(windows, min_size=0, max_size=14), st.integers(1, 2))
def test_assignment_or_a_true_overfull_interval(spans, capacity):
    """Either every bag gets a slot of its window within capacity, or Hall's condition fails."""
    jobs = [Job(i, s) for i, s in enumerate(spans)]
    got, bad = assign_day(jobs, capacity, SLOTS)
    if bad is None:
        assert sorted(got) == list(range(len(jobs)))
        for j in jobs:
            assert got[j.key] in j.slots
        for s in SLOTS:
            assert sum(1 for v in got.values() if v == s) <= capacity
    else:
        a, b = bad
        need = sum(1 for j in jobs if a <= j.slots[0] and j.slots[-1] <= b)
        assert need > capacity * (b - a + 1)
    assert (bad is None) == _hall_holds(jobs, capacity)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(windows, st.integers(0, 9) | st.none()), min_size=0, max_size=14),
       st.integers(1, 2))
def test_preferred_slots_never_overfill_a_slot(spans, capacity):
    """A re-plan's preferred slots are kept only within capacity (three bags that all
    prefer one slot of capacity two once got it: found by a random joint plan)."""
    jobs = [Job(i, s) for i, (s, _) in enumerate(spans)]
    prefer = {i: p for i, (_, p) in enumerate(spans) if p is not None}
    got, bad = assign_day(jobs, capacity, SLOTS, prefer=prefer)
    assert (bad is None) == _hall_holds(jobs, capacity)
    if bad is None:
        assert all(got[j.key] in j.slots for j in jobs)
        assert all(sum(1 for v in got.values() if v == s) <= capacity for s in SLOTS)


def test_three_bags_preferring_one_slot_of_two():
    got, bad = assign_day([Job(k, (3, 4, 5)) for k in "abc"], 2, SLOTS,
                          prefer={k: 4 for k in "abc"})
    assert bad is None and sorted(got.values()).count(4) == 2


def test_bags_finish_as_late_as_they_can():
    """Free slots go to the latest slot of each window (the freshest bag)."""
    got, bad = assign_day([Job("a", (0, 1, 2)), Job("b", (0, 1, 2))], 1, SLOTS)
    assert bad is None and sorted(got.values()) == [1, 2]


def test_frozen_bags_keep_their_slot_and_preferred_slots_are_kept():
    """A frozen bag keeps its slot; a re-planned bag keeps its previous slot when it fits."""
    jobs = [Job("frozen", (1,), fixed=True), Job("a", (0, 1, 2, 3))]
    got, bad = assign_day(jobs, 1, SLOTS, prefer={"a": 0})
    assert bad is None and got == {"frozen": 1, "a": 0}


def test_calm_slots_are_preferred_when_all_fit():
    """Away from the window's edges when every bag of the day can be."""
    calm = [s not in (0, 9) for s in SLOTS]
    got, _ = assign_day([Job("a", (7, 8, 9))], 1, SLOTS, calm)
    assert got["a"] == 8
