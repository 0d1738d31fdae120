"""Candidate plans of a cycle: paths of the exact planner's graph, all with the fewest bags."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from hadplanner.models.drug import load_drug
from hadplanner.models.plan import Plan
from hadplanner.models.request import PARIS, load_request, parse_request
from hadplanner.paths import examples_dir
from hadplanner.pharmacy.candidates import candidates, cycle_graph, own_path, path_dose_ug
from hadplanner.schedule.bags import make_bag
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.checker import check_plan
from hadplanner.schedule.planner import plan_request
from hadplanner.schedule.regimen import cycle_specs
from hadplanner.schedule.totals import totals_of


def _graphs(request, plan):
    cal = calendars_from_settings(request.settings)
    for spec, cp in zip(cycle_specs(request), plan.cycles, strict=True):
        graph = cycle_graph(spec, cal, request.settings)
        yield graph, candidates(graph, own=own_path(graph, cp), random_plans=3), cp


def _as_plan(request, plan, graph, path):
    """A checkable plan from a candidate path: each bag made at the latest slot it allows."""
    cal = calendars_from_settings(request.settings)
    bags = []
    for i, (k, j) in enumerate(zip(path, path[1:], strict=False), start=1):
        shape = graph.shape(k, j)
        p = cal.production.latest_slot_at_or_before(
            dt.datetime.fromtimestamp(shape.prep_hi, PARIS), request.settings.prep_slot_min)
        assert p is not None and p.timestamp() >= shape.prep_lo
        bags.append(make_bag(i, p, dt.datetime.fromtimestamp(shape.start, PARIS),
                             dt.datetime.fromtimestamp(shape.end, PARIS),
                             shape.overfill_s / 3600, shape.rate, shape.who, request.settings,
                             load_drug(request.drug)))
    cycle = plan.cycles[0].model_copy(update={"bags": tuple(bags)})
    return plan.model_copy(update={"cycles": (cycle,), "totals": totals_of((cycle,), 2628)})


def test_example_candidates_have_the_fewest_bags_and_start_with_the_own_plan():
    """Example candidates: the planner's bag count, own plan first, least drug no more than it."""
    for path in sorted(examples_dir().glob("P00[1357]*.yaml")):
        request = load_request(path)
        request = request.model_copy(update={"settings": request.settings.model_copy(
            update={"transport_h": 1.0})})
        plan = plan_request(request, with_baseline=False)
        for graph, cs, cp in _graphs(request, plan):
            assert cs.own == 0 and cs.paths[0] == own_path(graph, cp)
            assert cs.fewest_bags == len(cp.bags)
            for p in cs.paths:
                assert len(p) - 1 == len(cp.bags)
                assert all(graph.arc_ok(a, b) for a, b in zip(p, p[1:], strict=False))
            least = min(path_dose_ug(graph, p) for p in cs.paths)
            assert least <= path_dose_ug(graph, cs.paths[0]) + 1e-9


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 364), st.sampled_from(["rr-induction-c1", "rr-cycle", "mrd"]),
       st.sampled_from(["had_nurse", "day_hospital"]))
def test_every_candidate_is_a_safe_plan(day, regimen, mode):
    """Whatever the start, every candidate made at its latest slots passes the checker."""
    start = dt.date(2027, 1, 1) + dt.timedelta(days=day)
    request = parse_request({
        "patient": {"id": "H1", "weight_kg": 70, "height_cm": 170},
        "change_mode": mode, "settings": {"transport_h": 1.0},
        "cycles": [{"number": 1, "start": f"{start.isoformat()}T10:00", "regimen": regimen}]})
    try:
        plan = plan_request(request, with_baseline=False)
    except Exception:  # a start no safe plan covers (a bridge day): nothing to check
        return
    for graph, cs, _cp in _graphs(request, plan):
        for p in cs.paths:
            candidate = _as_plan(request, plan, graph, p)
            assert check_plan(candidate, request, transport_h=1.0) == []
            assert candidate.totals.bags == plan.totals.bags


def test_frozen_prefix_starts_every_candidate():
    """With frozen bags, every candidate begins with them and counts them in its bags."""
    request = load_request(examples_dir() / "P001-rr-had-toulouse.yaml")
    plan: Plan = plan_request(request, with_baseline=False)
    spec = cycle_specs(request)[0]
    graph = cycle_graph(spec, calendars_from_settings(request.settings), request.settings)
    own = own_path(graph, plan.cycles[0])
    cs = candidates(graph, own=own, prefix=own[:3], random_plans=2)
    assert all(p[:3] == own[:3] for p in cs.paths)
    assert cs.fewest_bags == len(plan.cycles[0].bags)
