"""Property-based safety: random requests give checked plans or a justified refusal.

Random start instants on the 15-min grid across 2026-2028 (any UTC offset,
both daylight-saving changes), random change mode, regimen, weight (per-m2
dosing under 45 kg), road time 0.5-3 h, holidays on or off, random closures
of the pharmacy and the day hospital; in the hard ones also the slot grid,
the production opening and the shortest bag. Every bag lasts at least
``min_bag_h`` and is prepared on a slot. Every plan must pass the independent
checker; every refusal must be confirmed by an independent reachability
search (latest-preparation oracle on the same grid, datetime arithmetic).
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hadplanner.errors import InfeasiblePlanError
from hadplanner.models.request import PARIS, UTC, parse_request
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.checker import check_plan
from hadplanner.schedule.planner import plan_request
from hadplanner.schedule.regimen import cycle_specs

from .bruteforce import World, reachable_end

EPOCH = dt.datetime(2026, 1, 1, tzinfo=UTC)
QUARTERS = 3 * 366 * 96  # 15-min steps over 2026-2028

starts = st.integers(0, QUARTERS).map(
    lambda q: (EPOCH + dt.timedelta(minutes=15 * q)).astimezone(PARIS))


@st.composite
def closures(draw, around: dt.datetime, max_n: int = 2):
    out = []
    for _ in range(draw(st.integers(0, max_n))):
        first = around.date() + dt.timedelta(days=draw(st.integers(-3, 30)))
        length = draw(st.integers(0, 3))
        out.append(f"{first}..{first + dt.timedelta(days=length)}")
    return out


@st.composite
def requests(draw, hard: bool = False):
    t0 = draw(starts)
    regimen = draw(st.sampled_from(["rr-induction-c1", "rr-cycle", "mrd"]))
    number = draw(st.integers(1, 2))
    cycles = [{"number": number, "start": t0.isoformat(), "regimen": regimen}]
    if draw(st.booleans()) and not hard:
        t1 = (t0.astimezone(UTC) + dt.timedelta(days=42 + draw(st.integers(0, 10)),
                                                 minutes=15 * draw(st.integers(0, 95))))
        cycles.append({"number": number + 1, "start": t1.astimezone(PARIS).isoformat(),
                       "regimen": draw(st.sampled_from(["rr-cycle", "mrd"]))})
    weight = draw(st.sampled_from([30, 38, 44.9, 45, 60, 72, 95]))
    data = {
        "patient": {"id": "H", "weight_kg": weight, "height_cm": draw(st.integers(120, 195))},
        "change_mode": draw(st.sampled_from(["had_nurse", "day_hospital"])),
        "cycles": cycles,
        "settings": {
            "transport_h": draw(st.integers(2, 12)) / 4,  # 0.5 .. 3 h
            "edge_margin_minutes": draw(st.sampled_from([0, 30, 60])),
            "production": {"closed_on_holidays": draw(st.booleans()),
                           "closed": draw(closures(t0, 3 if hard else 1))},
            "day_hospital": {"closed_on_holidays": draw(st.booleans()),
                             "closed": draw(closures(t0, 3 if hard else 1))},
            "had_nurse": {"closed_on_holidays": draw(st.booleans())},
        },
    }
    if hard:
        data["settings"]["transport_hospital_h"] = draw(st.sampled_from([0.5, 1.0, 1.5]))
        data["settings"]["stability_h"] = draw(st.sampled_from([72, 84, 96]))
        # The pharmacy's slot grid and the shortest bag, away from their defaults too.
        data["settings"]["prep_slot_min"] = draw(st.sampled_from([5, 15, 20, 30, 60]))
        data["settings"]["min_bag_h"] = draw(st.sampled_from([0, 12, 24, 36, 48]))
        data["settings"]["production"]["open"] = draw(st.sampled_from(["09:00", "08:50",
                                                                       "09:10"]))
    return parse_request(data, "hypothesis")


INSTANT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d")


def _check(req) -> None:
    try:
        plan = plan_request(req, with_baseline=False)
    except InfeasiblePlanError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith("cycle ")
        assert INSTANT.search(msg), msg
        number = int(msg.split(":")[0].split()[1])
        spec = next(s for s in cycle_specs(req) if s.number == number)
        w = World(spec=spec, st=req.settings, cal=calendars_from_settings(req.settings),
                  grid_min=req.settings.grid_minutes)
        assert not reachable_end(w), f"planner refused a feasible cycle: {msg}"
        return
    assert plan.checked
    assert check_plan(plan, req) == []
    prod = req.settings.production
    slot = dt.timedelta(minutes=req.settings.prep_slot_min)
    for c in plan.cycles:
        for b in c.bags:
            assert b.start.utcoffset() is not None and b.prepared_at.utcoffset() is not None
            assert b.duration_h >= req.settings.min_bag_h - 1e-9
            # on the slot grid, with wall-clock arithmetic (no DST change inside the window)
            p = b.prepared_at.astimezone(PARIS)
            since_open = dt.datetime.combine(p.date(), p.time()) - dt.datetime.combine(
                p.date(), prod.open)
            assert since_open >= dt.timedelta(0) and since_open % slot == dt.timedelta(0)


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_random_requests_are_safe_or_refused_for_a_reason(req):
    """400 random requests: checked plan, or a refusal that an exhaustive search confirms."""
    _check(req)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(requests(hard=True))
def test_hard_random_requests(req):
    """150 harder requests (closures, slow transport, shorter stability, other slot grids
    and shortest bags)."""
    _check(req)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(requests(hard=True))
def test_random_requests_give_the_reference_dp_plan(req):
    """60 hard requests, every cycle: the planner's search gives the plain DP's plan, or both
    refuse."""
    from hadplanner.schedule import planner as P

    from .reference_dp import reference_solve

    cal = calendars_from_settings(req.settings)
    for spec in cycle_specs(req):
        gr = P._build_grid(spec, cal, req.settings)
        ref = reference_solve(spec, gr, req.settings)
        if ref is None:
            try:
                P._solve(spec, gr, req.settings)
            except InfeasiblePlanError:
                continue
            raise AssertionError("the planner planned a cycle the reference DP refuses")
        assert P._solve(spec, gr, req.settings) == ref
