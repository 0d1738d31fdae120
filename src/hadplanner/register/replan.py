"""Re-planning from an event, everything before its instant frozen.

:func:`replan` takes the patient's request as in force, its current checked
plan and a new :class:`~hadplanner.register.events.Event`; it returns the new
request (the event's facts added), the new plan (checked by the independent
checker), notices for the coordinator and what changed (:class:`PlanDiff`).

What is frozen
--------------
Every bag hung before the event's instant ``at`` keeps its preparation, start,
changer and contents to the second; only the end of the bag running at ``at``
may change, and only as the table says. Bags hung at or after ``at`` are
planned again, and no new bag is prepared before ``at`` (it cannot have been
compounded in the past). A bag prepared before ``at`` but not hung yet (the
next bag, often delivered the day before) is physically there: it is *pending*.
The new plan's ``frozen_until`` is ``at``; a later event before it is refused.

Event semantics
---------------
=================  ==========================  =====================================
kind               the bag running at ``at``   then
=================  ==========================  =====================================
pump_failure,      lost: stopped at ``at``     a new bag now: prepared at the first
bag_leak                                       production slot at or after ``at``,
                                               hung at home (the change mode) if that
                                               is within ``hospital_restart_h`` (4 h)
                                               of ``at``, else the patient comes to
                                               the hospital (the day hospital if
                                               open, else the ward) at the earliest
                                               instant a bag reaches it; the gap is
                                               an interruption (the end moves by it)
interruption       stopped at ``at``           restart at ``until``, or as soon after
                                               as a bag prepared after ``at`` can be
                                               hung (said); from 4 h the restart is in
                                               hospital; up to 7 days the cycle goes
                                               on to 28 days of infusion (its end,
                                               the day-8 step and the inpatient end
                                               move by infusion time); more than 7
                                               days ends the cycle at ``at`` and
                                               starts a new one at the restart
readmission        kept (the ward goes on      every change from admission to
                   with it)                    discharge (included) by the ward
had_unavailable,   kept                        the days added to the HAD's / PUI's
pui_closed                                     closures, the rest re-planned
dose_change        kept: it was compounded at  the ordered rate from the next bag
                   the old rate                (its start is the order's instant in
                                               the request); pending bags (old rate)
                                               are dropped when the plan allows
stop               stopped at ``at``           the cycle ends there; later cycles are
                                               removed
=================  ==========================  =====================================

Why: a lost bag or an interruption stops the drug at ``at`` (the pump is
stopped, the rest of the bag discarded), so the bag's infusion ends there
(``planned_end`` keeps what it was made for). A readmission, a closure or a
dose order changes nothing about the bag in the pump: it runs until its
planned end; pending bags are kept when still valid (who hangs them is
updated: the ward during a readmission). When the change mode cannot change
the bag where the kept bags end (the HAD cannot come that day), the patient
comes to the hospital for that change (the day hospital when open, else the
ward; recorded in the cycle's ``hospital_changes``, said). When the kept
running bag still leaves no safe plan, it is changed at the latest instant
before its end from which the rest can be planned (said); when no bag
prepared after ``at`` can be there even then (a readmission on Saturday, the
bag ending on Monday before the pharmacy's first bag can reach the ward), the
infusion stops when the kept bags run out and restarts as soon as a bag can
be hung: a declared interruption, with its rules (said).
An event of the same kind inside an ongoing interruption or readmission
revises its end (the restart, the discharge); any other event inside an
interruption re-plans its restart, keeping the restart bag already prepared
when it still fits.

A restart (after a lost bag or an interruption) is the earliest instant at or
after the one asked where a bag prepared after ``at``, fresh enough to last
``min_bag_h`` (stability), can be hung by whoever restarts, and from which the
rest of the cycle has a safe plan (later instants are tried, a grid step
apart, up to 24: a failure on Christmas Eve morning restarts when the bag
can last until the pharmacy reopens). When less than
``min_bag_h`` of infusion is left, or no plan keeps every bag that long before
a dose step, the short bag is made for ``min_bag_h`` and stopped at the end or
at the step (``planned_end``; said). Orders not in effect yet follow the
restart (or the new cycle); at a stop they lapse. Hospital changes not made
yet, and gaps foreseen after the event's instant, are decided again.

Cycles, numbers and the days off
--------------------------------
An interruption of up to ``max_interruption_days`` (7) moves the cycle's end
by its length; the next cycles keep ``off_days`` (14) after the moved end: each
is moved later by whole days when needed, at the same time of day (the ward's
admission hour). An interruption of more than 7 days ends the cycle at ``at``
(``stopped_at``: fewer than 28 days of infusion) and starts a new cycle at the
restart, hung by the ward: the label says to start a new cycle, so the
interruption takes the place of the days off. The new cycle is numbered one
more than the interrupted one, later cycles are renumbered one up (and moved
to keep their 14 days off); a cycle whose number would pass
``settings.max_cycles`` is dropped (said: the haematologist decides). It
keeps the interrupted cycle's regimen, with the inpatient days that regimen
gives a later cycle (``inpatient_days_for``): the haematologist chose it for
this patient, and a step-up regimen then steps up again from a low dose, the
cautious side after days without drug (secondary copies of the label restart
at 9 ug/day after an interruption for toxicity; check before relying); a
``dose_change`` event can order another rate (an order made during the
interruption and not in effect yet applies to the new cycle from its start).

Events between cycles: a readmission, a closure are recorded and the next
cycles re-planned; a dose order applies to the next cycle from its start; a
stop removes the next cycles; a failure, leak or interruption is refused (no
infusion runs). Refused with one :class:`InputError` line naming the field
and the instant: an event before the treatment's start, before the plan's
``frozen_until``, at or after the treatment's end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hadplanner.errors import InfeasiblePlanError, InputError, UnsafePlanError
from hadplanner.io.validation import validate
from hadplanner.models.drug import Drug, load_drug
from hadplanner.models.plan import Bag, Baseline, ChangedBy, CyclePlan, Plan
from hadplanner.models.request import PARIS, UTC, Request
from hadplanner.register.diff import PlanDiff, check_lang, hours, plan_diff, when, who
from hadplanner.register.events import Event, EventKind, parse_event
from hadplanner.schedule.bags import check_bag_volumes, make_bag
from hadplanner.schedule.calendars import Calendar, Calendars, calendars_from_settings, wall
from hadplanner.schedule.checker import assert_safe
from hadplanner.schedule.planner import (
    Segment,
    cycle_plan,
    first_changer,
    plan_segment,
)
from hadplanner.schedule.regimen import CycleSpec, cycle_specs, resolve_transport_h
from hadplanner.schedule.totals import totals_of

_TRUNCATION_TRIES = 8
"""Plans tried when the kept running bag must be changed earlier (latest first)."""
_RESTART_TRIES = 24
"""Restart instants tried, earliest first, until the rest of the cycle has a safe plan."""


@dataclass(frozen=True)
class Replanned:
    """The result of :func:`replan`."""

    request: Request
    """The request now in force: the event's facts added."""
    plan: Plan
    """The new plan, checked, ``frozen_until`` the event's instant."""
    notices: tuple[str, ...]
    """What the coordinator must know or do, in the language asked."""
    diff: PlanDiff
    """What changed against the previous plan (``diff.lines(lang)``)."""


def _u(t: dt.datetime) -> dt.datetime:
    return t.astimezone(UTC)


def _ceil_minute(t: dt.datetime) -> dt.datetime:
    u = _u(t)
    if u.second or u.microsecond:
        u = u.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return u.astimezone(PARIS)


def _plus_h(t: dt.datetime, h: float) -> dt.datetime:
    return (_u(t) + dt.timedelta(seconds=round(h * 3600))).astimezone(PARIS)


def first_slot_from(production: Calendar, t: dt.datetime, slot_min: int,
                    days: int = 400) -> dt.datetime | None:
    """The earliest production slot at or after ``t`` (None within ``days``)."""
    step = dt.timedelta(minutes=slot_min)
    day = t.astimezone(PARIS).date()
    for _ in range(days):
        w = production.day_window(day)
        if w is not None and _u(w[1]) >= _u(t):
            o = _u(w[0])
            k = max(0, -((o - _u(t)) // step))  # ceil((t - o) / step), at least 0
            slot = o + k * step
            if slot <= _u(w[1]):
                return slot.astimezone(PARIS)
        day += dt.timedelta(days=1)
    return None


def _next_open(cal: Calendar, t: dt.datetime, days: int = 30) -> dt.datetime | None:
    """The earliest instant at or after ``t`` inside one of ``cal``'s windows."""
    if cal.always_open:
        return t
    for o, c in cal.windows(t, _plus_h(t, 24 * days)):
        if _u(c) >= _u(t):
            return max(o, t, key=_u)
    return None


@dataclass
class _Ctx:
    """One re-plan: the inputs, the event's instant, and the notices gathered."""

    request: Request
    plan: Plan
    event: Event
    at: dt.datetime
    drug: Drug
    transport_h: float
    lang: str
    notices: list[str] = dataclasses.field(default_factory=list)

    def say(self, fr: str, en: str) -> None:
        self.notices.append(fr if self.lang == "fr" else en)

    def when(self, t: dt.datetime) -> str:
        return when(t, self.lang)

    def who(self, w: str) -> str:
        return who(w, self.lang)

    def specs(self, req: Request) -> list[CycleSpec]:
        return cycle_specs(req, self.drug, transport_h=self.transport_h)


def _revalidate(data: dict[str, Any]) -> Request:
    return validate(Request, data, "re-planned request")


def _mutable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mutable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mutable(v) for v in value]
    return value


def _data(request: Request) -> dict[str, Any]:
    """The request as nested dicts and lists, to edit and validate again."""
    out: dict[str, Any] = _mutable(request.model_dump())
    return out


def _duration(h: float, lang: str) -> str:
    minutes = round(h * 60)
    if minutes < 60:
        return f"{minutes} min"
    hh, mm = divmod(minutes, 60)
    return f"{hh} h" + (f" {mm:02d}" if lang == "fr" and mm else f" {mm} min" if mm else "")


def _bag_until(bag: Bag, end: dt.datetime) -> Bag:
    """The bag stopped at ``end`` (before the end it was made for)."""
    if _u(end) >= _u(bag.end):
        return bag
    return bag.model_copy(update={
        "end": end.astimezone(PARIS), "duration_h": hours(bag.start, end),
        "planned_end": bag.planned_end if bag.planned_end is not None else bag.end})


# ----------------------------------------------------------------------------- restarts


def _restart(ctx: _Ctx, spec: CycleSpec, cal: Calendars, req: Request, stop: dt.datetime,
             desired: dt.datetime) -> tuple[dt.datetime, str, dt.datetime]:
    """When and by whom the infusion restarts after stopping at ``stop``, at ``desired`` at
    the earliest, with a bag prepared at or after the event: (instant, changer, first slot).

    ``spec`` is the cycle without this interruption. The ward restarts at once
    during the inpatient period or a readmission; otherwise the change mode
    when it can within ``hospital_restart_h`` of the stop; otherwise the
    hospital (the day hospital when open, else the ward) at the earliest.
    """
    st = req.settings
    p0 = first_slot_from(cal.production, ctx.at, st.prep_slot_min)
    if p0 is None:
        raise InfeasiblePlanError(f"no production window after {ctx.when(ctx.at)}: no bag "
                                  "can restart the infusion")
    least = _plus_h(stop, 1 / 60)  # a new bag is fetched and hung: at least a minute
    made = st.min_bag_h + (st.overfill_h if st.min_bag_h <= st.overfill_max_bag_h else 0.0)

    def earliest(t: dt.datetime, tr: float, window: Calendar | None) -> dt.datetime | None:
        """The first instant from ``t`` where a bag prepared after the event, fresh enough
        to last ``min_bag_h``, is there (in ``window`` when given)."""
        for _ in range(60):
            if window is not None:
                opened = _next_open(window, t)
                if opened is None:
                    return None
                t = opened
            p = cal.production.latest_slot_at_or_before(_plus_h(t, -tr), st.prep_slot_min)
            if p is not None and _u(p) >= _u(ctx.at) and hours(p, t) + made <= st.stability_h:
                return t
            nxt = first_slot_from(cal.production, _plus_h(t, -tr + 1 / 60), st.prep_slot_min)
            if nxt is None:
                return None
            t = max(t, _ceil_minute(_plus_h(nxt, tr)), key=_u)
        return None

    start = max(desired, least, key=_u)
    hosp = earliest(max(start, _ceil_minute(_plus_h(p0, st.transport_hospital_h)), key=_u),
                    st.transport_hospital_h, None)
    if hosp is None:
        raise InfeasiblePlanError(f"no production window after {ctx.when(ctx.at)} can feed "
                                  "a restart of the infusion")
    inward = any(_u(a) <= _u(hosp) <= _u(b) for a, b in spec.ward)
    if _u(stop) <= _u(spec.inpatient_end) or inward:
        return hosp, "inpatient", p0
    mode = spec.change_mode
    tr = st.transport_hospital_h if mode == "day_hospital" else spec.transport_h
    home = earliest(max(start, _ceil_minute(_plus_h(p0, tr)), key=_u), tr, cal.of(mode))
    if home is not None and hours(stop, home) < st.hospital_restart_h and not any(
            _u(a) <= _u(home) <= _u(b) for a, b in spec.ward):
        return home, mode, p0
    return hosp, ("day_hospital" if cal.day_hospital.contains(hosp) else "inpatient"), p0


def _shift_later(ctx: _Ctx, cycles: list[dict[str, Any]], first: int, end: dt.datetime,
                 st_days: tuple[int, int]) -> list[tuple[str, str]]:
    """Move the cycles from index ``first`` later by whole days, the fewest that keep the
    days off after the previous cycle's end (``end``); in place. Returns the notices."""
    cycle_days, off_days = st_days
    said = []
    for c in cycles[first:]:
        bound = _u(end) + dt.timedelta(days=off_days)
        start = c["start"].astimezone(PARIS)
        new = start
        k = 0
        while _u(new) < bound:
            k += 1
            new = wall(start.date() + dt.timedelta(days=k), start.timetz().replace(tzinfo=None))
        if k:
            c["start"] = new
            said.append((f"Cycle {c['number']} décalé de {k} jour(s) : début le {ctx.when(new)} "
                    f"(au lieu du {ctx.when(start)}), pour garder {off_days} jours sans "
                    "traitement.",
                    f"Cycle {c['number']} moved {k} day(s) later: starts {ctx.when(new)} "
                    f"(was {ctx.when(start)}), to keep {off_days} days off."))
        end = _u(c["start"]) + dt.timedelta(days=cycle_days)
    return said


# ----------------------------------------------------------------------------- pending bags


def _pending_chain(ctx: _Ctx, spec: CycleSpec, cal: Calendars, req: Request,
                   old_bags: Sequence[Bag], start: dt.datetime, at_t0: bool,
                   gap_from: dt.datetime | None = None) -> list[Bag]:
    """The bags prepared before the event, not hung yet, that still fit from ``start`` on:
    in order, each starting where the last ends, valid under the new request (who
    hangs it, that changer's window, transport, rate, the dose steps, the end).
    ``gap_from``: the infusion stopped then, ``start`` is its restart."""
    st = req.settings
    out: list[Bag] = []
    t = start
    for x in old_bags:
        if _u(x.start) < _u(ctx.at) or _u(x.prepared_at) >= _u(ctx.at):
            continue
        if _u(x.start) != _u(t) or _u(x.end) > _u(spec.t_end) or x.planned_end is not None:
            break
        w = "inpatient" if at_t0 and not out else first_changer(spec, x.start, cal, st)
        if gap_from is not None and not out and w != "inpatient":
            # a restart: the hospital after hospital_restart_h, the hospital or home before
            allowed = {"inpatient", "day_hospital"}
            if hours(gap_from, x.start) < st.hospital_restart_h:
                allowed.add(spec.change_mode)
            w = str(x.changed_by) if str(x.changed_by) in allowed else \
                first_changer(spec, x.start, cal, st, gap_from)
        if w != "inpatient" and not cal.of(w).contains(x.start):
            # the change mode cannot hang it then: the patient brings it to the hospital
            w = "day_hospital" if cal.day_hospital.contains(x.start) else "inpatient"
        tr = st.transport_hospital_h if w in ("inpatient", "day_hospital") else spec.transport_h
        if hours(x.prepared_at, x.start) < tr - 1e-9:
            break
        if abs(spec.rate_at(x.start) - x.rate_ug_per_day) > 1e-9 or any(
                _u(x.start) < _u(c) < _u(x.end) for c in spec.dose_changes):
            break
        out.append(x.model_copy(update={"changed_by": ChangedBy(w)}))
        t = x.end
    return out


def _lost_notice(ctx: _Ctx, number: int, old_bags: Sequence[Bag], kept: Sequence[Bag]) -> None:
    kept_keys = {(_u(b.prepared_at), _u(b.start)) for b in kept}
    for x in old_bags:
        if _u(x.prepared_at) < _u(ctx.at) <= _u(x.start) and \
                (_u(x.prepared_at), _u(x.start)) not in kept_keys:
            ctx.say(f"Poche {x.index} du cycle {number}, déjà préparée le "
                    f"{ctx.when(x.prepared_at)}, n'est pas posée : {x.vials} flacon(s) perdu(s).",
                    f"Bag {x.index} of cycle {number}, already prepared "
                    f"{ctx.when(x.prepared_at)}, is not hung: {x.vials} vial(s) lost.")


# ----------------------------------------------------------------------------- planning


def _finish(ctx: _Ctx, spec: CycleSpec, cal: Calendars, req: Request, kept: list[Bag],
            resume: dt.datetime, first_by: str) -> CyclePlan:
    """The cycle: the kept bags, then the rest planned from ``resume`` (no bag before the
    event)."""
    if _u(resume) >= _u(spec.t_end):
        return cycle_plan(spec, tuple(kept))
    seg = Segment(resume, spec.t_end, first_by, ctx.at)
    try:
        new = plan_segment(spec, cal, req.settings, ctx.drug, seg, len(kept) + 1)
    except InfeasiblePlanError as exc:
        new = _short_bags(ctx, spec, cal, req, seg, len(kept) + 1, exc)
    return cycle_plan(spec, (*kept, *new))


def _short_bags(ctx: _Ctx, spec: CycleSpec, cal: Calendars, req: Request, seg: Segment,
                first_index: int, why: InfeasiblePlanError) -> tuple[Bag, ...]:
    """When no plan keeps every bag ``min_bag_h`` long after the event: the best plan
    without the floor, each shorter bag made for ``min_bag_h`` and stopped at the dose
    step or the cycle's end it reaches (the rest discarded, as the ward does when it
    hangs a 24-h bag a few hours before the step-up). Raises ``why`` when that plan needs
    a short bag elsewhere, or one that cannot be made so long."""
    st = req.settings
    if st.min_bag_h <= 0:
        raise why
    try:
        free = plan_segment(spec, cal, st.model_copy(update={"min_bag_h": 0.0}), ctx.drug, seg,
                            first_index)
    except InfeasiblePlanError:
        raise why from None
    bounds = {_u(t) for t in (*spec.dose_changes, spec.t_end)}
    made = st.min_bag_h
    ov = st.overfill_h if made <= st.overfill_max_bag_h else 0.0
    out = []
    for b in free:
        if b.duration_h >= made - 1e-9:
            out.append(b)
            continue
        if _u(b.end) not in bounds:
            raise why
        tr = st.transport_hospital_h if b.changed_by in ("inpatient", "day_hospital") \
            else spec.transport_h
        p = cal.production.latest_slot_at_or_before(_plus_h(b.start, -tr), st.prep_slot_min)
        end = _plus_h(b.start, made)
        if p is None or _u(p) < _u(ctx.at) or hours(p, end) + ov > st.stability_h + 1e-9:
            raise why
        full = make_bag(b.index, p, b.start, end, ov, b.rate_ug_per_day, str(b.changed_by), st,
                        ctx.drug)
        out.append(full.model_copy(update={"end": b.end, "duration_h": b.duration_h,
                                           "planned_end": full.end}))
        ctx.say(f"Poche {b.index} du cycle {spec.number} préparée pour {made:g} h mais arrêtée "
                f"le {ctx.when(b.end)} ({b.duration_h:.1f} h, changement de dose ou fin du "
                "cycle) : le reste est jeté.",
                f"Bag {b.index} of cycle {spec.number} is made for {made:g} h but stopped "
                f"{ctx.when(b.end)} ({b.duration_h:.1f} h: a dose step or the cycle's end): "
                "the rest is discarded.")
    return tuple(out)


def _plan_rest(ctx: _Ctx, req: Request, first: int) -> tuple[Request, list[CyclePlan]]:
    """The cycles from index ``first`` on, planned again (the request gains the hospital
    changes their pending bags need)."""
    out = []
    for j in range(first, len(req.cycles)):
        req, cycle = _plan_later(ctx, req, j)
        out.append(cycle)
    return req, out


def _plan_later(ctx: _Ctx, req: Request, index: int) -> tuple[Request, CyclePlan]:
    """A cycle wholly at or after the event, planned again (its pending bags kept if valid)."""
    spec = ctx.specs(req)[index]
    cal = calendars_from_settings(req.settings)
    old = next((c for c in ctx.plan.cycles if _u(c.start) == _u(spec.t0)), None)
    kept = _pending_chain(ctx, spec, cal, req, old.bags, spec.t0, True) if old else []
    while True:
        resume = kept[-1].end if kept else spec.t0
        first = first_changer(spec, resume, cal, req.settings) if kept else "inpatient"
        try:
            said = len(ctx.notices)
            req_k = _with_hospital_bags(ctx, req, index, spec, cal, kept)
            done = _finish(ctx, spec, cal, req_k, kept, resume, first)
            break
        except InfeasiblePlanError:
            del ctx.notices[said:]
            if not kept:
                raise
            kept.pop()
    if old is not None:
        _lost_notice(ctx, spec.number, old.bags, done.bags)
    return req_k, done


def _assemble(ctx: _Ctx, req: Request, cycles: list[CyclePlan]) -> Plan:
    """The new plan, checked, the past compared with the previous version's."""
    cycles = sorted(cycles, key=lambda c: c.number)
    plan = Plan(
        patient_id=ctx.plan.patient_id, drug=ctx.plan.drug, change_mode=ctx.plan.change_mode,
        transport_h=ctx.plan.transport_h,
        transport_hospital_h=req.settings.transport_hospital_h, cycles=tuple(cycles),
        totals=totals_of(cycles, req.settings.vial_eur),
        baseline=Baseline(feasible=False, reason="not computed: re-planned from an event "
                          "(the practice is not modelled with interruptions)"),
        warnings=ctx.plan.warnings, frozen_until=ctx.at)
    assert_safe(plan, req, transport_h=ctx.transport_h)
    _assert_past_kept(ctx.plan, plan, ctx.at)
    return plan.model_copy(update={"checked": True})


def _assert_past_kept(old: Plan, new: Plan, at: dt.datetime) -> None:
    """Every bag hung before ``at`` is in the new plan, the same to the second but its end."""
    news = {(c.number, b.index): b for c in new.cycles for b in c.bags}
    for c in old.cycles:
        for b in c.bags:
            if _u(b.start) >= _u(at):
                continue
            n = news.get((c.number, b.index))
            same = n is not None and n.model_dump(exclude={"end", "duration_h", "planned_end"}) \
                == b.model_dump(exclude={"end", "duration_h", "planned_end"})
            if same and n is not None and _u(n.end) != _u(b.end):
                same = _u(n.end) >= _u(at) and _u(n.end) < _u(b.end) and \
                    n.planned_end == (b.planned_end or b.end)
            if not same:
                raise UnsafePlanError(f"re-plan changed bag {b.index} of cycle {c.number}, "
                                      f"hung {b.start.isoformat()} before the event")


# ----------------------------------------------------------------------------- the event


@dataclass(frozen=True)
class _Where:
    """Where the event falls: the cycle running (index) or none, the ongoing gap."""

    index: int | None
    later: int
    """Index of the first cycle starting at or after the event."""
    gap: tuple[dt.datetime, dt.datetime] | None
    """The declared interruption the event falls in, if any."""


def _where(plan: Plan, at: dt.datetime) -> _Where:
    index = None
    for i, c in enumerate(plan.cycles):
        if _u(c.start) < _u(at) < _u(c.end):
            index = i
    later = next((i for i, c in enumerate(plan.cycles) if _u(c.start) >= _u(at)),
                 len(plan.cycles))
    gap = None
    if index is not None:
        for p in plan.cycles[index].interruptions:
            if _u(p.start) <= _u(at) <= _u(p.end):  # its restart included: not hung yet
                gap = (p.start, p.end)
    return _Where(index, later, gap)


def _refuse(ctx: _Ctx) -> None:
    at, plan = ctx.at, ctx.plan
    fmt = at.isoformat(timespec="minutes")
    start = plan.cycles[0].start
    if _u(at) < _u(start):
        raise InputError(f"event.at: {fmt} is before the treatment's start "
                         f"({start.isoformat(timespec='minutes')})")
    if plan.frozen_until is not None and _u(at) < _u(plan.frozen_until):
        raise InputError(f"event.at: {fmt} is in the frozen past: the plan was re-planned "
                         f"from an event at {plan.frozen_until.isoformat(timespec='minutes')}")
    end = plan.cycles[-1].end
    if _u(at) >= _u(end):
        raise InputError(f"event.at: {fmt} is at or after the treatment's end "
                         f"({end.isoformat(timespec='minutes')})")


def replan(request: Request, plan: Plan, event: Event | dict[str, Any], *, lang: str = "fr",
           drug: Drug | None = None) -> Replanned:
    """Re-plan from ``event``, the past frozen (see the module docstring).

    Parameters
    ----------
    request
        The patient's request as currently in force (the one ``plan`` was made for).
    plan
        The current plan, checked (``plan.checked``).
    event
        The new event (or its fields, validated here).
    lang
        ``fr`` (default) or ``en``: the notices' language (``diff.lines(lang)`` too).

    Raises
    ------
    InputError
        A bad event (before the treatment's start or the plan's ``frozen_until``, at
        or after its end; a failure or interruption when no infusion runs...), in
        one line naming the field and the instant.
    InfeasiblePlanError
        No safe plan follows the event (the line names the constraint and the instant).
    """
    lang = check_lang(lang)
    if not isinstance(event, Event):
        event = parse_event(event)
    if not plan.checked:
        raise InputError("plan: not a checked plan (re-plan from the plan in force)")
    if len(plan.cycles) != len(request.cycles):
        raise InputError(f"plan: {len(plan.cycles)} cycles, the request {len(request.cycles)}: "
                         "not the plan of this request")
    tr = plan.transport_h if plan.transport_h is not None else resolve_transport_h(request)
    ctx = _Ctx(request, plan, event, event.instant, drug or load_drug(request.drug), tr, lang)
    _refuse(ctx)
    if any(_u(t) >= _u(ctx.at) for c in request.cycles for t in c.hospital_changes) or any(
            _u(g.start) > _u(ctx.at) for c in request.cycles for g in c.interruptions):
        # what was only planned is decided again: changes in hospital not made yet, and
        # gaps foreseen when a bag was to run out (they start after the event)
        data = _data(request)
        for c in data["cycles"]:
            c["hospital_changes"] = [t for t in c["hospital_changes"] if _u(t) < _u(ctx.at)]
            c["interruptions"] = [g for g in c["interruptions"] if _u(g["start"]) <= _u(ctx.at)]
        ctx.request = _revalidate(data)
    handler: Callable[[_Ctx], tuple[Request, list[CyclePlan]]] = {
        EventKind.pump_failure: _lost_bag, EventKind.bag_leak: _lost_bag,
        EventKind.interruption: _interruption, EventKind.stop: _stop,
        EventKind.readmission: _readmission, EventKind.had_unavailable: _closure,
        EventKind.pui_closed: _closure, EventKind.dose_change: _dose_change,
    }[event.kind]
    new_request, cycles = handler(ctx)
    new_plan = _assemble(ctx, new_request, cycles)
    return Replanned(new_request, new_plan, tuple(ctx.notices), plan_diff(plan, new_plan, ctx.at))


def _kept_before(ctx: _Ctx, index: int) -> list[CyclePlan]:
    """The cycles ended before the event, unchanged."""
    return list(ctx.plan.cycles[:index])


def _prefix(ctx: _Ctx, index: int) -> list[Bag]:
    """The bags of cycle ``index`` hung before the event, unchanged."""
    return [b for b in ctx.plan.cycles[index].bags if _u(b.start) < _u(ctx.at)]


def _need_infusion(ctx: _Ctx, where: _Where) -> int:
    if where.index is None:
        raise InputError(f"event.at: no infusion runs at {ctx.at.isoformat(timespec='minutes')}"
                         f" (between cycles, or at a cycle's start): nothing to "
                         f"{'interrupt' if ctx.event.kind == EventKind.interruption else 'lose'}")
    return where.index


def _lost_bag(ctx: _Ctx) -> tuple[Request, list[CyclePlan]]:
    where = _where(ctx.plan, ctx.at)
    i = _need_infusion(ctx, where)
    if where.gap is not None and _u(ctx.at) < _u(where.gap[1]):
        raise InputError(f"event.at: no bag runs at {ctx.at.isoformat(timespec='minutes')}: "
                         f"the infusion is interrupted from "
                         f"{where.gap[0].isoformat(timespec='minutes')} to "
                         f"{where.gap[1].isoformat(timespec='minutes')}")
    kept = [_bag_until(b, ctx.at) for b in _prefix(ctx, i)]
    lost = kept[-1]
    failure = ctx.event.kind == EventKind.pump_failure
    why_fr = "panne de pompe" if failure else "fuite ou poche endommagée"
    why_en = "pump failure" if failure else "leak or damaged bag"
    ctx.say(f"Poche {lost.index} du cycle {ctx.plan.cycles[i].number} perdue le "
            f"{ctx.when(ctx.at)} ({why_fr}) : une nouvelle poche est nécessaire.",
            f"Bag {lost.index} of cycle {ctx.plan.cycles[i].number} lost {ctx.when(ctx.at)} "
            f"({why_en}): a new bag is needed now.")
    stop = where.gap[0] if where.gap is not None else ctx.at  # lost as the restart was hung
    return _after_stop(ctx, ctx.request, i, kept, stop, ctx.at, lost_bag=True)


def _interruption(ctx: _Ctx) -> tuple[Request, list[CyclePlan]]:
    where = _where(ctx.plan, ctx.at)
    i = _need_infusion(ctx, where)
    until = ctx.event.end
    assert until is not None
    if where.gap is not None:  # a new end for the ongoing interruption
        stop = where.gap[0]
        kept = _prefix(ctx, i)
        ctx.say(f"Interruption en cours depuis le {ctx.when(stop)} : reprise prévue le "
                f"{ctx.when(until)} (au lieu du {ctx.when(where.gap[1])}).",
                f"Ongoing interruption since {ctx.when(stop)}: restart now expected "
                f"{ctx.when(until)} (was {ctx.when(where.gap[1])}).")
    else:
        stop = ctx.at
        kept = [_bag_until(b, ctx.at) for b in _prefix(ctx, i)]
    return _after_stop(ctx, ctx.request, i, kept, stop, until)


def _without_gap(data: dict[str, Any], i: int, stop: dt.datetime) -> None:
    """Drop from cycle ``i`` the interruption starting at ``stop`` (revised or ended)."""
    c = data["cycles"][i]
    c["interruptions"] = [g for g in c["interruptions"] if _u(g["start"]) < _u(stop)]


def _gap_request(ctx: _Ctx, before: Request, i: int, stop: dt.datetime,
                 restart: dt.datetime,
                 order: float | None) -> tuple[Request, list[tuple[str, str]]]:
    """``before`` with the interruption ``[stop, restart]`` in cycle ``i`` (and the order
    from the restart), the later cycles moved to keep their days off."""
    st = before.settings
    data = _data(before)
    c = data["cycles"][i]
    c["interruptions"] = [*c["interruptions"], {"start": stop, "end": restart}]
    waiting = [o for o in c["dose_changes"] if _u(o["start"]) >= _u(stop)]
    c["dose_changes"] = [o for o in c["dose_changes"] if _u(o["start"]) < _u(stop)]
    if order is not None:
        waiting.append({"start": restart, "rate_ug_per_day": order, "ordered_at": ctx.at})
    if waiting:  # orders not in effect yet: from the restart (the latest one)
        c["dose_changes"].append({**waiting[-1], "start": restart})
    new_end = (_u(c["start"]) + dt.timedelta(days=st.cycle_days)
               + sum((_u(g["end"]) - _u(g["start"]) for g in c["interruptions"]),
                     dt.timedelta(0)))
    shifts = _shift_later(ctx, data["cycles"], i + 1, new_end, (st.cycle_days, st.off_days))
    req2 = _revalidate(data)
    check_bag_volumes(st, ctx.drug, max(r for sp in ctx.specs(req2) for _, r in sp.steps))
    return req2, shifts


def _after_stop(ctx: _Ctx, req: Request, i: int, kept: list[Bag], stop: dt.datetime,
                desired: dt.datetime, lost_bag: bool = False, order: float | None = None,
                keep_pending: bool = False,
                ran_out: bool = False) -> tuple[Request, list[CyclePlan]]:
    """The infusion of cycle ``i`` stopped at ``stop`` (``kept`` ends there): restart at
    ``desired`` at the earliest, in the same cycle up to ``max_interruption_days``, else
    in a new one. ``order``: a rate ordered meanwhile, from the restart.
    ``keep_pending``: first try the restart at ``desired`` with the bags already prepared
    for it (an event during an interruption that changes nothing about the restart).
    ``ran_out``: the kept bags end without a successor (said by the caller)."""
    st = req.settings
    base = _data(req)
    _without_gap(base, i, stop)
    before = _revalidate(base)
    spec0 = ctx.specs(before)[i]
    cal = calendars_from_settings(st)
    number = ctx.plan.cycles[i].number
    old_bags = ctx.plan.cycles[i].bags
    restart, first_by, p0 = _restart(ctx, spec0, cal, before, stop, desired)
    current: CyclePlan | None = None
    first_error: InfeasiblePlanError | None = None
    if keep_pending and order is None and \
            hours(stop, desired) <= 24 * st.max_interruption_days:
        req2, shifts = _gap_request(ctx, before, i, stop, desired, order)
        spec = ctx.specs(req2)[i]
        chain = _pending_chain(ctx, spec, cal, req2, old_bags, desired, False, stop)
        if chain:
            end = chain[-1].end
            try:
                current = _finish(ctx, spec, cal, req2, [*kept, *chain], end,
                                  first_changer(spec, end, cal, st))
                restart, first_by = desired, str(chain[0].changed_by)
            except InfeasiblePlanError:
                current = None
    tries = 0
    while current is None:
        # the earliest restart from which the rest of the cycle has a safe plan
        if hours(stop, restart) > 24 * st.max_interruption_days:
            return _new_cycle(ctx, before, i, kept, stop, restart, order)
        req2, shifts = _gap_request(ctx, before, i, stop, restart, order)
        spec = ctx.specs(req2)[i]
        try:
            current = _finish(ctx, spec, cal, req2, kept, restart, first_by)
        except InfeasiblePlanError as exc:
            tries += 1
            first_error = first_error or exc
            if tries >= _RESTART_TRIES:
                raise first_error from None
            later = _plus_h(restart, st.grid_minutes / 60)
            restart, first_by, p0 = _restart(ctx, spec0, cal, before, stop, later)
    gap_h = hours(stop, restart)
    new_bag = next(b for b in current.bags if _u(b.start) == _u(restart))
    if _u(restart) > _u(desired) and not (lost_bag or ran_out):
        ctx.say(f"Reprise repoussée au {ctx.when(restart)} (demandée le {ctx.when(desired)}) : "
                f"pas de poche préparée après le {ctx.when(ctx.at)} avant.",
                f"Restart moved to {ctx.when(restart)} (asked {ctx.when(desired)}): no bag "
                f"prepared after {ctx.when(ctx.at)} can be there earlier.")
    in_hospital = _u(stop) <= _u(spec0.inpatient_end) or any(
        _u(a) <= _u(restart) <= _u(b) for a, b in spec0.ward)
    ctx.say(f"Cycle {number} : interruption du {ctx.when(stop)} au {ctx.when(restart)} "
            f"({_duration(gap_h, 'fr')}) ; nouvelle poche {new_bag.index} préparée le "
            f"{ctx.when(new_bag.prepared_at)}, posée le {ctx.when(restart)} par "
            f"{ctx.who(first_by)} ; fin du cycle le {ctx.when(spec.t_end)} (au lieu du "
            f"{ctx.when(ctx.plan.cycles[i].end)}).",
            f"Cycle {number}: interruption from {ctx.when(stop)} to {ctx.when(restart)} "
            f"({_duration(gap_h, 'en')}); new bag {new_bag.index} prepared "
            f"{ctx.when(new_bag.prepared_at)}, hung {ctx.when(restart)} by "
            f"{ctx.who(first_by)}; the cycle ends {ctx.when(spec.t_end)} "
            f"(was {ctx.when(ctx.plan.cycles[i].end)}).")
    if first_by in ("inpatient", "day_hospital"):
        if not in_hospital and spec0.change_mode == "had_nurse" and (
                lost_bag or gap_h < st.hospital_restart_h):
            limit = _plus_h(stop, st.hospital_restart_h)
            ctx.say(f"Le patient doit venir à l'hôpital le {ctx.when(restart)} : aucune fenêtre "
                    f"de production ne permet une pose à domicile avant le {ctx.when(limit)} "
                    f"(première préparation possible le {ctx.when(p0)}).",
                    f"The patient must come to the hospital at {ctx.when(restart)}: no "
                    f"production window can feed a home change before {ctx.when(limit)} "
                    f"(first preparation possible {ctx.when(p0)}).")
        if gap_h >= st.hospital_restart_h:
            ctx.say(f"Reprise à l'hôpital ({ctx.who(first_by)}) avec prémédication : "
                    f"interruption de {st.hospital_restart_h:g} h ou plus.",
                    f"Restart in hospital ({ctx.who(first_by)}) with premedication: "
                    f"interruption of {st.hospital_restart_h:g} h or more.")
    _lost_notice(ctx, number, old_bags, current.bags)
    for fr, en in shifts:
        ctx.say(fr, en)
    req2, rest = _plan_rest(ctx, req2, i + 1)
    return req2, [*_kept_before(ctx, i), current, *rest]


def _new_cycle(ctx: _Ctx, req: Request, i: int, kept: list[Bag], stop: dt.datetime,
               t0: dt.datetime, order: float | None) -> tuple[Request, list[CyclePlan]]:
    """Cycle ``i`` ends at ``stop``; a new cycle starts at ``t0``, the earliest hospital
    restart (the ward hangs its first bag)."""
    st = req.settings
    data = _data(req)
    c = data["cycles"][i]
    c["stopped_at"] = stop
    new = {"number": c["number"] + 1, "start": t0, "regimen": c["regimen"]}
    waiting = [o for o in c["dose_changes"] if _u(o["start"]) >= _u(stop)]
    c["dose_changes"] = [o for o in c["dose_changes"] if _u(o["start"]) < _u(stop)]
    if order is not None:
        waiting.append({"start": t0, "rate_ug_per_day": order, "ordered_at": ctx.at})
    if waiting:  # an order not in effect yet applies to the new cycle from its start
        new["dose_changes"] = [{**waiting[-1], "start": t0}]
        ctx.say(f"Le débit prescrit ({waiting[-1]['rate_ug_per_day']:g} µg/j) s'applique au "
                "nouveau cycle dès son début.",
                f"The ordered rate ({waiting[-1]['rate_ug_per_day']:g} ug/day) applies to the "
                "new cycle from its start.")
    later = data["cycles"][i + 1:]
    for x in later:
        x["number"] += 1
    cycles = [*data["cycles"][:i + 1], new, *later]
    shifts = _shift_later(ctx, cycles, i + 2, _u(t0) + dt.timedelta(days=st.cycle_days),
                          (st.cycle_days, st.off_days))
    dropped = [x for x in cycles if x["number"] > st.max_cycles]
    data["cycles"] = [x for x in cycles if x["number"] <= st.max_cycles]
    req2 = _revalidate(data)
    drug_reg = ctx.drug.regimen(c["regimen"])
    number = c["number"]
    ctx.say(f"Interruption de plus de {st.max_interruption_days} jours : le cycle {number} "
            f"s'arrête le {ctx.when(stop)} ; le cycle {number + 1} commence le "
            f"{ctx.when(t0)} (même schéma {c['regimen']}, hospitalisation de "
            f"{drug_reg.inpatient_days_for(number + 1)} jours).",
            f"Interruption of more than {st.max_interruption_days} days: cycle {number} ends "
            f"{ctx.when(stop)}; cycle {number + 1} starts {ctx.when(t0)} (same regimen "
            f"{c['regimen']}, {drug_reg.inpatient_days_for(number + 1)} inpatient days).")
    for fr, en in shifts:
        ctx.say(fr, en)
    for x in dropped:
        ctx.say(f"Le cycle {x['number'] - 1} prévu devient le cycle {x['number']}, au-delà de "
                f"{st.max_cycles} cycles : retiré (à décider par l'hématologue).",
                f"Planned cycle {x['number'] - 1} would be cycle {x['number']}, beyond "
                f"{st.max_cycles} cycles: removed (the haematologist decides).")
    check_bag_volumes(st, ctx.drug, max(r for sp in ctx.specs(req2) for _, r in sp.steps))
    spec = ctx.specs(req2)[i]
    _lost_notice(ctx, number, ctx.plan.cycles[i].bags, kept)
    req2, rest = _plan_rest(ctx, req2, i + 1)
    return req2, [*_kept_before(ctx, i), cycle_plan(spec, tuple(kept)), *rest]


def _stop(ctx: _Ctx) -> tuple[Request, list[CyclePlan]]:
    where = _where(ctx.plan, ctx.at)
    data = _data(ctx.request)
    if where.index is None:
        keep = where.later
        if keep == 0:
            raise InputError(f"event.at: {ctx.at.isoformat(timespec='minutes')} is the "
                             "treatment's start: nothing was infused (withdraw the request)")
        data["cycles"] = data["cycles"][:keep]
        ctx.say(f"Traitement arrêté le {ctx.when(ctx.at)}.",
                f"Treatment stopped {ctx.when(ctx.at)}.")
        for c in ctx.plan.cycles[keep:]:
            ctx.say(f"Cycle {c.number} (prévu le {ctx.when(c.start)}) retiré.",
                    f"Cycle {c.number} (planned {ctx.when(c.start)}) removed.")
            _lost_notice(ctx, c.number, c.bags, [])
        return _revalidate(data), list(ctx.plan.cycles[:keep])
    i = where.index
    if where.gap is not None:
        stop = where.gap[0]
        _without_gap(data, i, stop)
        kept = _prefix(ctx, i)
    else:
        stop = ctx.at
        kept = [_bag_until(b, ctx.at) for b in _prefix(ctx, i)]
    data["cycles"][i]["stopped_at"] = stop
    data["cycles"][i]["dose_changes"] = [o for o in data["cycles"][i]["dose_changes"]
                                         if _u(o["start"]) < _u(stop)]
    data["cycles"] = data["cycles"][:i + 1]
    req2 = _revalidate(data)
    number = ctx.plan.cycles[i].number
    ctx.say(f"Traitement arrêté le {ctx.when(ctx.at)} : le cycle {number} s'arrête le "
            f"{ctx.when(stop)}.",
            f"Treatment stopped {ctx.when(ctx.at)}: cycle {number} ends {ctx.when(stop)}.")
    _lost_notice(ctx, number, ctx.plan.cycles[i].bags, kept)
    for c in ctx.plan.cycles[i + 1:]:
        ctx.say(f"Cycle {c.number} (prévu le {ctx.when(c.start)}) retiré.",
                f"Cycle {c.number} (planned {ctx.when(c.start)}) removed.")
        _lost_notice(ctx, c.number, c.bags, [])
    spec = ctx.specs(req2)[i]
    return req2, [*_kept_before(ctx, i), cycle_plan(spec, tuple(kept))]


# ----------------------------------------------------------------------------- soft events


def _readmission(ctx: _Ctx) -> tuple[Request, list[CyclePlan]]:
    until = ctx.event.end
    assert until is not None
    data = _data(ctx.request)
    periods = data["ward_periods"]
    ongoing = [p for p in periods if _u(p["start"]) <= _u(ctx.at) <= _u(p["end"])]
    if ongoing:
        old_end = ongoing[0]["end"]
        ongoing[0]["end"] = until
        ctx.say(f"Réhospitalisation en cours depuis le {ctx.when(ongoing[0]['start'])} : "
                f"sortie prévue le {ctx.when(until)} (au lieu du {ctx.when(old_end)}).",
                f"Ongoing readmission since {ctx.when(ongoing[0]['start'])}: discharge now "
                f"expected {ctx.when(until)} (was {ctx.when(old_end)}).")
    else:
        periods.append({"start": ctx.at, "end": until})
        ctx.say(f"Réhospitalisation du {ctx.when(ctx.at)} au {ctx.when(until)} : les poches "
                "posées pendant le séjour le sont par le service.",
                f"Readmission from {ctx.when(ctx.at)} to {ctx.when(until)}: the ward hangs the "
                "bags during the stay.")
    data["ward_periods"] = [p for p in periods if _u(p["start"]) < _u(p["end"])]
    return _soft(ctx, _revalidate(data))


def _closure(ctx: _Ctx) -> tuple[Request, list[CyclePlan]]:
    e = ctx.event
    data = _data(ctx.request)
    service = "production" if e.kind == EventKind.pui_closed else "had_nurse"
    closed = data["settings"][service]["closed"]
    data["settings"][service]["closed"] = [*closed, (e.first_day, e.last_day)]
    days = (f"{e.first_day:%d/%m/%Y}" if e.first_day == e.last_day
            else f"{e.first_day:%d/%m/%Y} au {e.last_day:%d/%m/%Y}")
    days_en = (f"{e.first_day}" if e.first_day == e.last_day
               else f"{e.first_day} to {e.last_day}")
    if service == "production":
        ctx.say(f"PUI fermée le {days} : aucune préparation ces jours-là.",
                f"Pharmacy (PUI) closed {days_en}: no preparation on those days.")
    else:
        ctx.say(f"HAD indisponible le {days} : aucune pose à domicile ces jours-là.",
                f"HAD unavailable {days_en}: no home change on those days.")
    return _soft(ctx, _revalidate(data))


def _dose_change(ctx: _Ctx) -> tuple[Request, list[CyclePlan]]:
    rate = ctx.event.rate_ug_per_day
    assert rate is not None
    where = _where(ctx.plan, ctx.at)
    if where.index is None:  # between cycles: the next cycle from its start
        j = where.later
        data = _data(ctx.request)
        c = data["cycles"][j]
        c["dose_changes"] = [{"start": c["start"], "rate_ug_per_day": rate,
                              "ordered_at": ctx.at}]
        ctx.say(f"Nouveau débit {rate:g} µg/j pour tout le cycle {c['number']} (début le "
                f"{ctx.when(c['start'])}).",
                f"New rate {rate:g} ug/day for the whole of cycle {c['number']} (starts "
                f"{ctx.when(c['start'])}).")
        req2 = _revalidate(data)
        check_bag_volumes(req2.settings, ctx.drug,
                          max(r for sp in ctx.specs(req2) for _, r in sp.steps))
        return _soft(ctx, req2)
    return _soft(ctx, ctx.request, order=rate)


def _soft(ctx: _Ctx, req: Request, order: float | None = None) -> tuple[Request, list[CyclePlan]]:
    """Re-plan after an event that stops no drug: the running bag kept (changed earlier only
    when nothing else is safe), pending bags kept when valid (for a dose order: dropped
    first, the new rate as soon as possible)."""
    where = _where(ctx.plan, ctx.at)
    if where.index is None:
        req, rest = _plan_rest(ctx, req, where.later)
        return req, [*_kept_before(ctx, where.later), *rest]
    i = where.index
    kept = _prefix(ctx, i)
    if where.gap is not None:  # during an interruption: the restart, again
        return _after_stop(ctx, req, i, kept, where.gap[0], where.gap[1], order=order,
                           keep_pending=True)
    st = req.settings
    cal = calendars_from_settings(st)
    number = ctx.plan.cycles[i].number
    old_bags = ctx.plan.cycles[i].bags
    spec = ctx.specs(req)[i]
    chain = _pending_chain(ctx, spec, cal, req, old_bags, kept[-1].end, False)
    options = [chain[:k] for k in range(len(chain), -1, -1)]
    if order is not None:
        options.reverse()  # the new rate as soon as possible
    errors: list[str] = []
    for pend in options:
        resume = (pend[-1] if pend else kept[-1]).end
        said = len(ctx.notices)
        try:
            req2, spec2 = _with_order(ctx, _with_hospital_bags(ctx, req, i, spec, cal, pend),
                                      i, resume, order)
            first = first_changer(spec2, resume, cal, st)
            if first != "inpatient" and _u(resume) < _u(spec2.t_end) and \
                    not cal.of(first).contains(resume):
                # the change mode cannot change the bag then: the patient comes in for it
                first = "day_hospital" if cal.day_hospital.contains(resume) else "inpatient"
                req2 = _with_hospital_change(req2, i, resume)
                spec2 = ctx.specs(req2)[i]
                current = _finish(ctx, spec2, cal, req2, [*kept, *pend], resume, first)
                ctx.say(f"Le patient doit venir à l'hôpital le {ctx.when(resume)} pour le "
                        f"changement de poche ({ctx.who(first)}) : "
                        f"{ctx.who(spec2.change_mode)} ne peut pas le faire.",
                        f"The patient must come to the hospital at {ctx.when(resume)} for the "
                        f"bag change ({ctx.who(first)}): {ctx.who(spec2.change_mode)} cannot "
                        "do it.")
            else:
                current = _finish(ctx, spec2, cal, req2, [*kept, *pend], resume, first)
        except (InfeasiblePlanError, InputError) as exc:
            del ctx.notices[said:]
            errors.append(str(exc))
            continue
        _order_notice(ctx, number, resume, order, spec2)
        return _soft_done(ctx, req2, i, current)
    # The running bag cannot end as planned: change it earlier, the latest instant that works.
    running = kept[-1]
    g = dt.timedelta(minutes=st.grid_minutes)
    t0 = _u(ctx.plan.cycles[i].start)
    k = (_u(running.end) - t0) // g
    tries = 0
    while tries < _TRUNCATION_TRIES:
        t = t0 + k * g
        k -= 1
        if t >= _u(running.end):
            continue
        if t <= _u(ctx.at):
            break
        tp = t.astimezone(PARIS)
        try:
            req2, spec2 = _with_order(ctx, req, i, tp, order)
        except InputError:
            continue
        w = first_changer(spec2, tp, cal, st)
        if w != "inpatient" and not cal.of(w).contains(tp):
            continue
        tr = st.transport_hospital_h if w in ("inpatient", "day_hospital") else spec2.transport_h
        p = cal.production.latest_slot_at_or_before(_plus_h(tp, -tr), st.prep_slot_min)
        if p is None or _u(p) < _u(ctx.at):
            continue
        tries += 1
        cut = [*kept[:-1], _bag_until(running, tp)]
        try:
            current = _finish(ctx, spec2, cal, req2, cut, tp, w)
        except InfeasiblePlanError as exc:
            errors.append(str(exc))
            continue
        ctx.say(f"La poche {running.index} en cours est changée plus tôt, le {ctx.when(tp)} "
                f"(au lieu du {ctx.when(running.end)}) : c'est le dernier changement qui "
                "permet un plan sûr.",
                f"The running bag {running.index} is changed earlier, {ctx.when(tp)} (was "
                f"{ctx.when(running.end)}): the last change that leaves a safe plan.")
        _order_notice(ctx, number, tp, order, spec2)
        return _soft_done(ctx, req2, i, current)
    # No bag can be there when the kept bags run out: the infusion stops then, until one can.
    pend = [] if order is not None else chain
    end = (pend[-1] if pend else kept[-1]).end
    if _u(end) < _u(ctx.plan.cycles[i].end):
        said = len(ctx.notices)
        try:
            req_p = _with_hospital_bags(ctx, req, i, spec, cal, pend)
            ctx.say(f"La poche en cours se termine le {ctx.when(end)} et aucune poche préparée "
                    f"après le {ctx.when(ctx.at)} ne peut être posée à temps : la perfusion "
                    "s'interrompt.",
                    f"The bag in place runs out {ctx.when(end)} and no bag prepared after "
                    f"{ctx.when(ctx.at)} can be hung in time: the infusion stops.")
            return _after_stop(ctx, req_p, i, [*kept, *pend], end, end, order=order,
                               ran_out=True)
        except (InfeasiblePlanError, InputError) as exc:
            del ctx.notices[said:]
            errors.append(str(exc))
    hint = {EventKind.had_unavailable: "; if the patient can come to the hospital for that "
            "change, record it as a readmission around it (the ward hangs the bag)",
            EventKind.pui_closed: "; record a closure as soon as it is known (at: that "
            "instant, days: the closed days) so that the pharmacy prepares the bags before it"
            }.get(ctx.event.kind, "")
    raise InfeasiblePlanError(f"re-planning from {ctx.at.isoformat(timespec='minutes')} "
                              f"({ctx.event.kind}): {errors[0] if errors else 'no safe plan'}"
                              f"{hint}")


def _with_hospital_bags(ctx: _Ctx, req: Request, i: int, spec: CycleSpec, cal: Calendars,
                        bags: Sequence[Bag]) -> Request:
    """The request with a hospital change at each of ``bags`` that the hospital hangs
    where the change mode should (said)."""
    for b in bags:
        if str(b.changed_by) != spec.change_mode and \
                first_changer(spec, b.start, cal, req.settings) == spec.change_mode:
            req = _with_hospital_change(req, i, b.start)
            ctx.say(f"Le patient doit venir à l'hôpital le {ctx.when(b.start)} pour la poche "
                    f"{b.index} déjà préparée ({ctx.who(str(b.changed_by))}) : "
                    f"{ctx.who(spec.change_mode)} ne peut pas la poser.",
                    f"The patient must come to the hospital at {ctx.when(b.start)} for bag "
                    f"{b.index}, already prepared ({ctx.who(str(b.changed_by))}): "
                    f"{ctx.who(spec.change_mode)} cannot hang it.")
    return req


def _with_hospital_change(req: Request, i: int, t: dt.datetime) -> Request:
    """The request with a bag change at ``t`` done in hospital in cycle ``i``."""
    data = _data(req)
    c = data["cycles"][i]
    c["hospital_changes"] = sorted([*c["hospital_changes"], t], key=_u)
    return _revalidate(data)


def _with_order(ctx: _Ctx, req: Request, i: int, resume: dt.datetime,
                order: float | None) -> tuple[Request, CycleSpec]:
    """The request with the ordered rate from ``resume`` in cycle ``i`` (when one is ordered)."""
    if order is not None and _u(resume) < _u(ctx.plan.cycles[i].end):
        data = _data(req)
        c = data["cycles"][i]
        c["dose_changes"] = [*(o for o in c["dose_changes"] if _u(o["start"]) < _u(resume)),
                             {"start": resume, "rate_ug_per_day": order, "ordered_at": ctx.at}]
        req = _revalidate(data)
        check_bag_volumes(req.settings, ctx.drug,
                          max(r for sp in ctx.specs(req) for _, r in sp.steps))
    return req, ctx.specs(req)[i]


def _order_notice(ctx: _Ctx, number: int, resume: dt.datetime, order: float | None,
                  spec: CycleSpec) -> None:
    if order is None:
        return
    if _u(resume) >= _u(spec.t_end):
        ctx.say(f"Le débit prescrit ({order:g} µg/j) ne s'applique à aucune poche du cycle "
                f"{number} : la poche en cours va jusqu'à la fin du cycle ; les cycles suivants "
                "suivent leur schéma.",
                f"The ordered rate ({order:g} ug/day) applies to no bag of cycle {number}: the "
                "running bag lasts to the cycle's end; later cycles follow their regimen.")
    else:
        ctx.say(f"Nouveau débit {order:g} µg/j à partir de la poche posée le "
                f"{ctx.when(resume)} (cycle {number}).",
                f"New rate {order:g} ug/day from the bag hung {ctx.when(resume)} "
                f"(cycle {number}).")


def _soft_done(ctx: _Ctx, req: Request, i: int,
               current: CyclePlan) -> tuple[Request, list[CyclePlan]]:
    _lost_notice(ctx, current.number, ctx.plan.cycles[i].bags, current.bags)
    req, rest = _plan_rest(ctx, req, i + 1)
    return req, [*_kept_before(ctx, i), current, *rest]
