"""The planner's vectorised searches give what plain node-by-node Python gives.

Full 28-day cycles (the brute-force tests cover short ones): the shortest
path against the pure-Python reference DP (same pair, nodes and edge flags),
the int64 packing against its Python-integer fallback, and the reachability
searches behind the refusal messages against node-by-node scans.
"""

from __future__ import annotations

import pytest

from hadplanner.errors import InfeasiblePlanError
from hadplanner.models.drug import load_drug
from hadplanner.schedule import planner as P
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.regimen import cycle_specs

from .conftest import make_request
from .reference_dp import (
    assert_planner_is_reference,
    longest_short_bag,
    reach_backward,
    reach_forward,
    reference_solve,
)
from .test_bruteforce import floored_world, small_world

CASES = {
    "induction-day-hospital": {},
    "induction-had": {"change_mode": "had_nurse"},
    "rr-cycle-christmas": {"change_mode": "had_nurse", "cycles": [
        {"number": 2, "start": "2027-12-20T14:15", "regimen": "rr-cycle"}]},
    "mrd-march-dst": {"cycles": [{"number": 1, "start": "2027-03-10T08:45", "regimen": "mrd"}]},
    "october-dst-child": {"patient": {"id": "C", "weight_kg": 30, "height_cm": 130},
                          "cycles": [{"number": 1, "start": "2027-10-13T10:00",
                                      "regimen": "rr-induction-c1"}]},
    "no-floor": {"change_mode": "had_nurse", "settings": {"min_bag_h": 0}},
    "floor-12h-slots-20min": {"settings": {"min_bag_h": 12, "prep_slot_min": 20}},
    "grid-5min-72h-stability": {"change_mode": "had_nurse",
                                "settings": {"grid_minutes": 5, "stability_h": 72,
                                             "max_bag_h": 72, "transport_h": 3}},
    "closures": {"settings": {"production": {"closed": ["2027-01-11..2027-01-13"]},
                              "day_hospital": {"closed": ["2027-01-19..2027-01-22"]}}},
    "refused-floor": {"change_mode": "had_nurse",
                      "cycles": [{"number": 1, "start": "2027-04-21T10:00", "regimen": "mrd"}]},
}


def _cycles(changes: dict):
    request = make_request(**changes)
    cal = calendars_from_settings(request.settings)
    for spec in cycle_specs(request, load_drug()):
        yield spec, P._build_grid(spec, cal, request.settings), request.settings


@pytest.mark.parametrize("case", sorted(CASES))
def test_full_cycles_give_the_reference_plan(case: str) -> None:
    """On 28-day cycles the layered search gives the reference DP's plan, or both refuse."""
    for spec, gr, st in _cycles(CASES[case]):
        ref = reference_solve(spec, gr, st)
        if ref is None:
            with pytest.raises(InfeasiblePlanError):
                P._solve(spec, gr, st)
        else:
            assert P._solve(spec, gr, st) == ref


def test_a_refused_case_is_among_the_full_cycles() -> None:
    """The full-cycle cases include a refusal (so the search's failure path is compared)."""
    (spec, gr, st), = _cycles(CASES["refused-floor"])
    assert reference_solve(spec, gr, st) is None


@pytest.mark.parametrize("case", ["induction-had", "no-floor", "refused-floor"])
def test_python_integer_fallback_gives_the_reference_plan(case: str, monkeypatch) -> None:
    """Keys too large for int64 switch to Python integers: the same plan, or the refusal."""
    monkeypatch.setattr(P, "_INT64_LIMIT", 0)
    for spec, gr, st in _cycles(CASES[case]):
        ref = reference_solve(spec, gr, st)
        if ref is None:
            with pytest.raises(InfeasiblePlanError):
                P._solve(spec, gr, st)
        else:
            assert P._solve(spec, gr, st) == ref


def test_python_integer_fallback_on_short_cycles(monkeypatch) -> None:
    """The Python-integer fallback also matches the reference on 40 random short cycles."""
    monkeypatch.setattr(P, "_INT64_LIMIT", 0)
    for seed in range(40):
        w = small_world(seed)
        assert_planner_is_reference(w.spec, w.cal, w.st)


def _worlds():
    for seed in range(150):
        yield small_world(seed)
        floored = floored_world(seed)
        if floored is not None:
            yield floored


def test_reachability_matches_node_by_node_scans() -> None:
    """Forward (with the furthest bag) and backward reachability equal the plain scans."""
    for w in _worlds():
        gr = P._build_grid(w.spec, w.cal, w.st)
        for st in (w.st, w.st.model_copy(update={"min_bag_h": 0.0})):
            reach, far_e, far_k = P._reach_forward(gr, st)
            assert (reach.tolist(), far_e, far_k) == reach_forward(gr, st)
            assert P._reach_backward(gr, st).tolist() == reach_backward(gr, st)


@pytest.mark.parametrize("case", ["refused-floor", "induction-had", "no-floor"])
def test_reachability_on_full_cycles(case: str) -> None:
    """The same on 28-day cycles, a refused one included."""
    for _, gr, st in _cycles(CASES[case]):
        for s in (st, st.model_copy(update={"min_bag_h": 0.0})):
            reach, far_e, far_k = P._reach_forward(gr, s)
            assert (reach.tolist(), far_e, far_k) == reach_forward(gr, s)
            assert P._reach_backward(gr, s).tolist() == reach_backward(gr, s)


def test_longest_short_bag_matches_the_scan() -> None:
    """The short bag a floor refusal names is the one a plain scan finds."""
    seen = 0
    for w in _worlds():
        gr = P._build_grid(w.spec, w.cal, w.st)
        dmin = -(-round(w.st.min_bag_h * 3600) // gr.g)
        if dmin <= 1:
            continue
        free = w.st.model_copy(update={"min_bag_h": 0.0})
        found = P._longest_short_bag(gr, w.st, free, dmin)
        assert found == longest_short_bag(gr, w.st, free, dmin)
        seen += found is not None
    assert seen > 10
