"""The independent checker catches broken interruption, readmission and dose-step rules."""

from __future__ import annotations

import datetime as dt

import pytest

from hadplanner.models.plan import ChangedBy, Plan
from hadplanner.models.request import Request
from hadplanner.register.events import parse_event
from hadplanner.register.replan import replan
from hadplanner.schedule.checker import check_plan

from .replan_support import at, example


def rules(plan: Plan, request: Request) -> set[str]:
    return {v.rule for v in check_plan(plan, request, transport_h=plan.transport_h)}


@pytest.fixture(scope="module")
def interrupted():
    """P001 after a 30 h interruption on day 16 (restart in hospital)."""
    request, plan = example("P001")
    res = replan(request, plan, parse_event({"kind": "interruption", "at": "2027-01-19T10:07",
                                             "until": "2027-01-20T16:07"}))
    assert rules(res.plan, res.request) == set()
    return res


def _cycle(plan: Plan, i: int, **update) -> Plan:
    cycles = list(plan.cycles)
    cycles[i] = cycles[i].model_copy(update=update)
    return plan.model_copy(update={"cycles": tuple(cycles)})


def _request_cycle(request: Request, i: int, **update) -> Request:
    cycles = list(request.cycles)
    cycles[i] = cycles[i].model_copy(update=update)
    return request.model_copy(update={"cycles": tuple(cycles)})


def test_a_gap_not_declared(interrupted) -> None:
    """The bags stop for 30 h but neither the plan nor the request declares it."""
    plan = _cycle(interrupted.plan, 0, interruptions=())
    request = _request_cycle(interrupted.request, 0, interruptions=())
    assert {"continuity", "cycle"} <= rules(plan, request)


def test_an_undeclared_end_move(interrupted) -> None:
    """The plan declares the gap, the request does not: the end moved for nothing."""
    request = _request_cycle(interrupted.request, 0, interruptions=())
    assert {"cycle", "interruption"} <= rules(interrupted.plan, request)


def test_a_declared_gap_the_bags_do_not_make(interrupted) -> None:
    """A declared interruption the bags run through."""
    c = interrupted.plan.cycles[0]
    gap = c.interruptions[0]
    bags = list(c.bags)
    k = next(i for i, b in enumerate(bags) if b.end == gap.start)
    bags[k + 1] = bags[k + 1].model_copy(update={"start": gap.start})
    plan = _cycle(interrupted.plan, 0, bags=tuple(bags))
    assert "interruption" in rules(plan, interrupted.request)


def test_restart_after_four_hours_hung_at_home(interrupted) -> None:
    """The first bag after a 30 h interruption hung by the HAD nurse."""
    c = interrupted.plan.cycles[0]
    gap = c.interruptions[0]
    bags = [b.model_copy(update={"changed_by": ChangedBy.had_nurse}) if b.start == gap.end
            else b for b in c.bags]
    assert "who" in rules(_cycle(interrupted.plan, 0, bags=tuple(bags)), interrupted.request)


def test_a_stopped_bag_in_the_middle(interrupted) -> None:
    """A new bag (not history) marked as stopped early, not at a dose step or the end."""
    c = interrupted.plan.cycles[0]
    bags = list(c.bags)
    bags[-2] = bags[-2].model_copy(update={"planned_end": bags[-2].end + dt.timedelta(hours=1)})
    assert "stopped bag" in rules(_cycle(interrupted.plan, 0, bags=tuple(bags)),
                                  interrupted.request)


def test_a_bag_of_a_readmission_hung_at_home() -> None:
    """During a readmission the ward hangs the bags: the HAD nurse there is refused."""
    request, plan = example("P001")
    res = replan(request, plan, parse_event({"kind": "readmission", "at": "2027-01-23T11:13",
                                             "until": "2027-01-26T11:13"}))
    c = res.plan.cycles[0]
    adm, dis = at("2027-01-23T11:13"), at("2027-01-26T11:13")
    bags = [b.model_copy(update={"changed_by": ChangedBy.had_nurse})
            if adm <= b.start <= dis else b for b in c.bags]
    assert bags != list(c.bags)
    assert "who" in rules(_cycle(res.plan, 0, bags=tuple(bags)), res.request)


def test_dose_step_at_infusion_time() -> None:
    """A 6 h interruption on day 5 moves the day-8 step: the same plan checked against the
    interruption placed after day 8 (same length) crosses the unmoved step."""
    request, plan = example("P001")
    res = replan(request, plan, parse_event({"kind": "interruption", "at": "2027-01-08T10:07",
                                             "until": "2027-01-08T16:07"}))
    assert rules(res.plan, res.request) == set()
    cycles = list(res.request.cycles)
    moved = cycles[0].interruptions[0].model_copy(update={
        "start": at("2027-01-12T10:07"), "end": at("2027-01-12T16:07")})
    request2 = _request_cycle(res.request, 0, interruptions=(moved,))
    assert {"dose change", "interruption"} <= rules(res.plan, request2)


def test_infusion_of_28_days(interrupted) -> None:
    """A cycle ending an hour early (plan and bags) infuses less than 28 days."""
    c = interrupted.plan.cycles[0]
    last = c.bags[-1]
    early = last.end - dt.timedelta(hours=1)
    bags = (*c.bags[:-1], last.model_copy(update={"end": early, "duration_h":
                                                  last.duration_h - 1}))
    plan = _cycle(interrupted.plan, 0, bags=bags, end=early)
    assert "infusion" in rules(plan, interrupted.request)
