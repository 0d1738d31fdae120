"""Property tests: random events on the example plans.

Each drawn sequence applies one to three events of any kind at random instants
(whole minutes) between the plan's frozen past and its end. Every re-planned plan
must pass the independent checker and keep the past to the second; a refusal must
be one line (an InputError for an event that cannot apply, an InfeasiblePlanError
naming the cycle or instant). Events before the start, in the frozen past or after
the end are always refused with one line.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hadplanner.errors import InfeasiblePlanError, InputError
from hadplanner.models.request import PARIS, UTC
from hadplanner.register.events import EventKind, parse_event
from hadplanner.register.replan import replan
from hadplanner.schedule.checker import check_plan

from .replan_support import example, past_problems

STEMS = ["P001", "P002", "P003", "P004", "P006"]
"""HAD and day-hospital changes, a child dosed per m2, MRD, Christmas, a PUI closure."""

OUTCOMES: Counter[str] = Counter()


@st.composite
def events(draw, lo: dt.datetime, hi: dt.datetime) -> dict:
    """One event of any kind at a whole minute of [lo, hi)."""
    span = int((hi.astimezone(UTC) - lo.astimezone(UTC)).total_seconds() // 60)
    t = (lo.astimezone(UTC) + dt.timedelta(minutes=draw(st.integers(0, max(0, span - 1)))))
    t = t.replace(second=0, microsecond=0)
    if t < lo.astimezone(UTC):
        t += dt.timedelta(minutes=1)
    at = t.astimezone(PARIS)
    kind = draw(st.sampled_from(list(EventKind)))
    data: dict = {"kind": str(kind), "at": at.isoformat(timespec="minutes")}
    if kind in (EventKind.interruption, EventKind.readmission):
        minutes = draw(st.sampled_from([20, 150, 300, 1800, 4000, 9000, 12000]))
        data["until"] = (t + dt.timedelta(minutes=minutes)).astimezone(PARIS).isoformat(
            timespec="minutes")
    elif kind in (EventKind.had_unavailable, EventKind.pui_closed):
        first = at.date() + dt.timedelta(days=draw(st.integers(0, 2)))
        last = first + dt.timedelta(days=draw(st.integers(0, 2)))
        if first == at.date() and draw(st.booleans()):
            data.update(at=str(first), until=str(last))
        else:
            data["days"] = f"{max(first, at.date())}..{last}"
    elif kind == EventKind.dose_change:
        data["rate_ug_per_day"] = draw(st.sampled_from([5.0, 9.0, 15.0, 28.0]))
    return data


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stem=st.sampled_from(STEMS), data=st.data(), n=st.integers(1, 3))
def test_random_events_give_checked_plans_that_keep_the_past(stem: str, data, n: int) -> None:
    """Every re-plan passes the checker and keeps the past, or is refused in one line."""
    request, plan = example(stem)
    for _ in range(n):
        lo = plan.frozen_until or plan.cycles[0].start
        hi = plan.cycles[-1].end
        if (hi.astimezone(UTC) - lo.astimezone(UTC)) < dt.timedelta(minutes=2):
            break
        e = data.draw(events(lo, hi))
        event = parse_event(e)
        try:
            res = replan(request, plan, event)
        except (InputError, InfeasiblePlanError) as exc:
            assert "\n" not in str(exc) and str(exc)
            OUTCOMES[f"refused {type(exc).__name__}"] += 1
            if isinstance(exc, InputError):
                # only events with nothing to act on are refused once valid
                assert any(w in str(exc) for w in ("no infusion runs", "no bag runs",
                                                   "frozen past", "treatment's start"))
            break
        OUTCOMES[f"planned {e['kind']}"] += 1
        assert res.plan.checked and res.plan.frozen_until == event.instant
        assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []
        assert past_problems(plan, res.plan, event.instant) == []
        # bags hung after the event: prepared after it, or already prepared (pending, kept)
        pending = {(x.prepared_at, x.start) for c in plan.cycles for x in c.bags
                   if x.prepared_at < event.instant <= x.start}
        assert all(b.prepared_at >= event.instant or (b.prepared_at, b.start) in pending
                   for c in res.plan.cycles for b in c.bags if b.start >= event.instant)
        request, plan = res.request, res.plan


@settings(max_examples=30, deadline=None)
@given(stem=st.sampled_from(STEMS), data=st.data())
def test_events_outside_the_treatment_are_refused(stem: str, data) -> None:
    """Before the start, in the frozen past of an event, at or after the end: one line."""
    request, plan = example(stem)
    start, end = plan.cycles[0].start, plan.cycles[-1].end
    where = data.draw(st.sampled_from(["before", "after", "frozen"]))
    if where == "frozen":
        mid = (start.astimezone(UTC) + (end - start) / 3).replace(second=0, microsecond=0)
        first = replan(request, plan, parse_event({"kind": "readmission",
                                                   "at": mid.isoformat(timespec="minutes"),
                                                   "until": (mid + dt.timedelta(hours=5))
                                                   .isoformat(timespec="minutes")}))
        request, plan = first.request, first.plan
        e = data.draw(events(start, mid.astimezone(PARIS)))
        message = "frozen past"
    elif where == "before":
        e = data.draw(events(start - dt.timedelta(days=30), start - dt.timedelta(minutes=1)))
        message = "before the treatment's start"
    else:
        e = data.draw(events(end, end + dt.timedelta(days=30)))
        message = "after the treatment's end"
    event = parse_event(e)
    t = event.instant.astimezone(UTC)
    frozen = (plan.frozen_until or start).astimezone(UTC)
    if (where == "after" and t < end.astimezone(UTC)) or (where == "frozen" and t >= frozen):
        return  # a closure's day begins at midnight: inside after all
    if t < start.astimezone(UTC):  # the same: a closure's midnight before the start
        message = "before the treatment's start"
    try:
        replan(request, plan, event)
    except InputError as exc:
        assert message in str(exc) and "\n" not in str(exc)
    else:
        raise AssertionError(f"accepted {e}")


def test_outcomes_were_varied() -> None:
    """The random sequences planned every kind of event (printed with -s)."""
    print(dict(sorted(OUTCOMES.items())))
    if OUTCOMES:
        assert sum(v for k, v in OUTCOMES.items() if k.startswith("planned")) >= 10


def test_a_readmission_from_the_discharge_instant_at_the_cycle_end() -> None:
    """Found by the property test: a readmission up to the cycle's end, then another from
    that very instant (the stay goes on). The first cycle keeps the stay as it was planned;
    the request extends it; both plans pass the checker and keep the past."""
    request, plan = example("P001")
    end = plan.cycles[0].end
    first = parse_event({"kind": "readmission", "at": (end - dt.timedelta(hours=150)).isoformat(),
                         "until": end.isoformat()})
    res = replan(request, plan, first)
    assert check_plan(res.plan, res.request, transport_h=res.plan.transport_h) == []
    second = parse_event({"kind": "readmission", "at": end.isoformat(),
                          "until": (end + dt.timedelta(minutes=20)).isoformat()})
    again = replan(res.request, res.plan, second)
    assert check_plan(again.plan, again.request, transport_h=again.plan.transport_h) == []
    assert past_problems(res.plan, again.plan, second.instant) == []
    assert again.request.ward_periods[-1].end == end + dt.timedelta(minutes=20)
