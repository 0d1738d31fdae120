"""Segments (re-planning): a restart, readmissions and a lower bound on preparations.

The planner's exactness argument with a lower bound on preparations is
checked against the brute force (every slot tried), the segment's plan against
the exhaustive search and the pure-Python reference DP, and a cycle with
interruptions, readmissions and a stop planned from a request passes the
independent checker.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from hadplanner.errors import InfeasiblePlanError
from hadplanner.models.drug import load_drug
from hadplanner.models.request import PARIS, parse_request
from hadplanner.paths import examples_dir
from hadplanner.schedule import planner as P
from hadplanner.schedule.calendars import calendars_from_settings
from hadplanner.schedule.checker import check_plan
from hadplanner.schedule.planner import plan_request
from hadplanner.schedule.regimen import cycle_specs

from .bruteforce import World, assert_latest_instant_decides, enumerate_best, hours, plus
from .reference_dp import reference_solve
from .test_bruteforce import planner_cost, small_world


@dataclasses.dataclass
class SegmentWorld(World):
    """A world planned from ``start`` (hung by ``first_by``), no preparation before
    ``prep_from``, the ward changing the bags in ``spec.ward``."""

    start: dt.datetime | None = None
    first_by: str = "inpatient"
    prep_from: dt.datetime | None = None

    @property
    def nodes(self) -> list[dt.datetime]:
        assert self.start is not None
        n = int(round(hours(self.start, self.spec.t_end) * 60 / self.grid_min))
        return [plus(self.start, k * self.grid_min) for k in range(n + 1)]

    def who(self, s: dt.datetime, first: bool) -> str:
        if first:
            return self.first_by
        if any(hours(a, s) >= 0 and hours(s, b) >= 0 for a, b in self.spec.ward):
            return "inpatient"
        return super().who(s, False)

    def can_change(self, s: dt.datetime, first: bool) -> bool:
        return True if first else super().can_change(s, False)

    def preparations(self, s: dt.datetime, e: dt.datetime, first: bool) -> Iterator[dt.datetime]:
        for p in super().preparations(s, e, first):
            if self.prep_from is None or hours(self.prep_from, p) >= 0:
                yield p

    def arc_latest(self, s: dt.datetime, e: dt.datetime, first: bool) -> bool:
        if not self.bag_ok_shape(s, e):
            return False
        p = self.latest_slot(plus(s, -60 * self.transport(self.who(s, first))))
        if p is None or (self.prep_from is not None and hours(self.prep_from, p) < 0):
            return False
        return hours(p, e) + self.overfill(hours(s, e)) <= self.st.stability_h + 1e-9


def segment_world(seed: int) -> SegmentWorld:
    """small_world(seed) planned from a later node, maybe a readmission on the grid, a
    lower bound on preparations at any minute from two days before the start."""
    w = small_world(seed)
    rnd = random.Random(1000 + seed)
    n = int(round(hours(w.spec.t0, w.spec.t_end) * 60 / w.grid_min))
    start = plus(w.spec.t0, w.grid_min * rnd.randrange(0, max(1, n // 2)))
    ward: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    if rnd.random() < 0.5:
        a = rnd.randrange(0, n)
        b = rnd.randrange(a + 1, n + 1)
        ward = ((plus(w.spec.t0, a * w.grid_min), plus(w.spec.t0, b * w.grid_min)),)
    spec = dataclasses.replace(w.spec, ward=ward)
    prep_from = None if rnd.random() < 0.2 else plus(start, -rnd.randrange(0, 72 * 60))
    sw = SegmentWorld(spec=spec, st=w.st, cal=w.cal, grid_min=w.grid_min, start=start,
                      prep_from=prep_from)
    mode = spec.change_mode
    if SegmentWorld.who(sw, start, False) == mode and w.cal.of(mode).contains(start) \
            and rnd.random() < 0.7:
        sw.first_by = mode
    elif rnd.random() < 0.3 and w.cal.day_hospital.contains(start):
        sw.first_by = "day_hospital"
    return sw


def segment_of(w: SegmentWorld) -> P.Segment:
    assert w.start is not None
    return P.Segment(w.start, w.spec.t_end, w.first_by, w.prep_from)


SEEDS = list(range(100))


@pytest.mark.parametrize("seed", SEEDS[:60])
def test_latest_preparation_is_enough_with_a_lower_bound(seed: int) -> None:
    """With no preparation before prep_from, the latest slot still decides every bag."""
    w = segment_world(seed)
    assert_latest_instant_decides(w, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_segment_matches_exhaustive_search(seed: int) -> None:
    """A segment's plan has the exhaustive search's optimum, or both find none."""
    w = segment_world(seed)
    drug = load_drug()
    assert w.start is not None
    if hours(w.start, w.spec.t_end) < w.st.min_bag_h:
        # Less than the shortest bag is left: one bag made for min_bag_h, stopped at the end.
        try:
            (bag,) = P.plan_segment(w.spec, w.cal, w.st, drug, segment_of(w))
        except InfeasiblePlanError:
            return
        assert bag.planned_end is not None and bag.end == w.spec.t_end
        assert hours(bag.start, bag.planned_end) == pytest.approx(w.st.min_bag_h)
        return
    best = enumerate_best(w)
    if best is None:
        with pytest.raises(InfeasiblePlanError):
            P.plan_segment(w.spec, w.cal, w.st, drug, segment_of(w))
        return
    bags = P.plan_segment(w.spec, w.cal, w.st, drug, segment_of(w))
    assert w.prep_from is None or all(b.prepared_at >= w.prep_from for b in bags)
    assert bags[0].changed_by == w.first_by
    assert planner_cost(w, SimpleNamespace(bags=bags)) == best


@pytest.mark.parametrize("seed", SEEDS)
def test_segment_search_gives_the_reference_plan(seed: int) -> None:
    """The layered search and the pure-Python DP agree on segments too."""
    w = segment_world(seed)
    gr = P._build_grid(w.spec, w.cal, w.st, segment_of(w))
    ref = reference_solve(w.spec, gr, w.st)
    if ref is None:
        with pytest.raises(InfeasiblePlanError):
            P._solve(w.spec, gr, w.st)
        return
    assert P._solve(w.spec, gr, w.st) == ref


def _p001():
    return parse_request({**__import__("yaml").safe_load(
        (examples_dir() / "P001-rr-had-toulouse.yaml").read_text()), "cycles": [
            {"number": 1, "start": "2027-01-04T10:00", "regimen": "rr-induction-c1"}]})


@pytest.mark.parametrize(("start", "grid_min"), [("2027-01-22T10:05", 5),
                                                ("2027-01-25T14:35", 5),
                                                ("2027-01-27T09:07", 1)])
def test_off_grid_restart_uses_a_finer_grid_and_the_reference_agrees(start: str,
                                                                     grid_min: int) -> None:
    """A restart off the 15-min grid gives the gcd grid; the reference DP finds the same plan."""
    req = _p001()
    spec = cycle_specs(req)[0]
    cal = calendars_from_settings(req.settings)
    t = dt.datetime.fromisoformat(start).replace(tzinfo=PARIS)
    seg = P.Segment(t, spec.t_end, "had_nurse", plus(t, -24 * 60))
    gr = P._build_grid(spec, cal, req.settings, seg)
    assert gr.g == 60 * grid_min
    assert P._solve(spec, gr, req.settings) == reference_solve(spec, gr, req.settings)


def test_ordinary_cycle_keeps_its_grid() -> None:
    """A whole cycle planned as a segment from T0 by the ward: the same grid and plan."""
    req = _p001()
    spec = cycle_specs(req)[0]
    cal = calendars_from_settings(req.settings)
    seg = P.Segment(spec.t0, spec.t_end, "inpatient", None)
    assert P._build_grid(spec, cal, req.settings, seg).g == req.settings.grid_minutes * 60
    drug = load_drug()
    assert P.plan_segment(spec, cal, req.settings, drug, seg) == \
        P.plan_segment(spec, cal, req.settings, drug)


def test_request_with_interruptions_readmission_and_stop_is_checked() -> None:
    """A request carrying events plans piece by piece and passes the checker."""
    data = __import__("yaml").safe_load(
        (examples_dir() / "P001-rr-had-toulouse.yaml").read_text())
    data["cycles"][0]["interruptions"] = [
        {"start": "2027-01-08T10:07", "end": "2027-01-08T12:30"},   # inpatient, short
        {"start": "2027-01-20T10:07", "end": "2027-01-21T16:07"}]   # 30 h at home
    data["cycles"][1]["start"] = "2027-02-18T10:00"
    data["cycles"][1]["stopped_at"] = "2027-03-10T17:40"
    data["ward_periods"] = [{"start": "2027-02-25T11:13", "end": "2027-02-27T09:00"}]
    req = parse_request(data)
    plan = plan_request(req)
    assert check_plan(plan, req) == []
    c1, c2 = plan.cycles
    # the end and the day-8 step move by the interruptions before them (2 h 23 + 30 h)
    moved = dt.timedelta(hours=32, minutes=23)
    assert c1.end == dt.datetime(2027, 2, 1, 10, tzinfo=PARIS) + moved
    step = dt.datetime(2027, 1, 11, 10, tzinfo=PARIS) + dt.timedelta(hours=2, minutes=23)
    assert any(b.start == step and b.rate_ug_per_day == 28 for b in c1.bags)
    after = next(b for b in c1.bags if b.start == dt.datetime(2027, 1, 21, 16, 7, tzinfo=PARIS))
    assert after.changed_by in ("day_hospital", "inpatient")  # restart after 30 h: hospital
    assert c2.stopped_at == c2.end == c2.bags[-1].end
    ward = [b for b in c2.bags
            if dt.datetime(2027, 2, 25, 11, 13, tzinfo=PARIS) <= b.start
            <= dt.datetime(2027, 2, 27, 9, tzinfo=PARIS)]
    assert ward and all(b.changed_by == "inpatient" for b in ward)
    assert plan.baseline.feasible is False and "interruptions" in (plan.baseline.reason or "")
