"""Vials counted lot by lot: what the PUI opens, bag by bag, within the 24 h of a lot."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hadplanner.models.request import PARIS
from hadplanner.pharmacy.lots import Preparation, count_lots, micro, vials_of

T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=PARIS)
VIAL = 38.5


def _prep(key, minutes, dose):
    return Preparation(key, T0 + dt.timedelta(minutes=minutes), dose)


def test_a_leftover_serves_a_bag_within_24_hours():
    """The next day's bag, finished before the lot's 24 h are up, takes the leftover."""
    lots, draws = count_lots([_prep("a", 0, 30.0), _prep("b", 23 * 60, 8.0)], vial_ug=VIAL)
    assert vials_of(lots) == 1
    assert draws["b"][0].reused and draws["b"][0].lot == draws["a"][0].lot


def test_an_expired_leftover_is_wasted():
    """A bag finished more than 24 h after the reconstitution opens a new vial."""
    lots, _ = count_lots([_prep("a", 0, 30.0), _prep("b", 24 * 60, 8.0)], vial_ug=VIAL)
    assert vials_of(lots) == 2
    assert math.isclose(lots[0].waste_ug, 8.5)


def test_reconstitution_lead_counts_against_the_24_hours():
    """A lot's 24 h count from its reconstitution, 15 min before its first bag is finished."""
    preps = [_prep("a", 0, 30.0), _prep("b", 24 * 60 - 10, 8.0)]
    assert vials_of(count_lots(preps, vial_ug=VIAL, lead_min=0)[0]) == 1
    assert vials_of(count_lots(preps, vial_ug=VIAL, lead_min=15)[0]) == 2


def test_three_vials_hold_exactly_three_vials_of_drug():
    """115.5 ug is three vials, not four (no float noise)."""
    lots, _ = count_lots([_prep("a", 0, 3 * VIAL)], vial_ug=VIAL)
    assert vials_of(lots) == 3 and lots[0].waste_ug == 0


preps_strategy = st.lists(
    st.tuples(st.integers(0, 5 * 24 * 60 // 15), st.floats(1.0, 130.0)), min_size=1,
    max_size=12)


@settings(max_examples=150, deadline=None)
@given(preps_strategy)
def test_lot_invariants(items):
    """Each bag gets its dose from lots good at its instant; vials between the floor and per bag."""
    preps = [_prep(i, 15 * q, round(d, 3)) for i, (q, d) in enumerate(items)]
    lots, draws = count_lots(preps, vial_ug=VIAL)
    by_id = {lot.id: lot for lot in lots}
    for p in preps:
        got = sum(micro(d.ug) for d in draws[p.key])
        assert abs(got - micro(p.dose_ug)) <= len(draws[p.key])
        for d in draws[p.key]:
            lot = by_id[d.lot]
            assert lot.reconstituted_at <= p.prepared_at <= lot.expires_at
    total = sum(p.dose_ug for p in preps)
    assert math.ceil(round(total / VIAL, 6)) <= vials_of(lots)
    assert vials_of(lots) <= sum(math.ceil(round(p.dose_ug / VIAL, 9)) for p in preps)
    drug = sum(lot.vials for lot in lots) * VIAL
    assert math.isclose(drug, total + sum(lot.waste_ug for lot in lots), abs_tol=1e-3)


@settings(max_examples=60, deadline=None)
@given(preps_strategy, st.randoms(use_true_random=False))
def test_order_given_does_not_matter(items, rnd):
    """The lots follow the instants, not the order the bags are listed in."""
    preps = [_prep(i, 15 * q, round(d, 3)) for i, (q, d) in enumerate(items)]
    shuffled = list(preps)
    rnd.shuffle(shuffled)
    assert vials_of(count_lots(preps, vial_ug=VIAL)[0]) == \
        vials_of(count_lots(shuffled, vial_ug=VIAL)[0])


def _best(preps, life_min=24 * 60, lead=30):
    """The fewest vials by brute force: each bag either draws from the open lots or opens
    one, lots ordered by expiry (exhaustive over which lots a bag uses first). ``lead`` is
    count_lots's default: the vial is reconstituted 30 min before compounding ends."""
    order = sorted(preps, key=lambda p: p.prepared_at)
    v = micro(VIAL)

    def go(i, lots):
        if i == len(order):
            return 0
        p = order[i]
        t = p.prepared_at
        good = [(exp, left) for exp, left in lots if exp >= t and left > 0]
        need = micro(p.dose_ug)
        best = None
        # draw greedily from any ordering of the good lots (few lots: all orders)
        import itertools

        for perm in set(itertools.permutations(range(len(good)))):
            rest = need
            left = [g[1] for g in good]
            for j in perm:
                take = min(rest, left[j])
                left[j] -= take
                rest -= take
            new = [(good[j][0], left[j]) for j in range(len(good))]
            opened = 0
            if rest:
                opened = -(-rest // v)
                new.append((t - dt.timedelta(minutes=lead) + dt.timedelta(minutes=life_min),
                            opened * v - rest))
            cost = opened + go(i + 1, new)
            best = cost if best is None else min(best, cost)
        return best

    return go(0, [])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3 * 24 * 60 // 15), st.floats(1.0, 60.0)),
                min_size=1, max_size=5))
@example(items=[(0, 1.0), (95, 1.0)])  # the second bag 15 min after the lot's 24 h
def test_the_greedy_opens_the_fewest_vials(items):
    """Oldest lot first, new vials only when needed: no other order of draws opens fewer."""
    preps = [_prep(i, 15 * q, round(d, 3)) for i, (q, d) in enumerate(items)]
    assert vials_of(count_lots(preps, vial_ug=VIAL)[0]) == _best(preps)
