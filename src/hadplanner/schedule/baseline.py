"""The practice to beat: the thesis's bag changes on fixed weekday pairs.

What the practice is (thesis, part 3 III.B.1 and III.B.2)
---------------------------------------------------------
"afin d'avoir des jours fixes pour le changement [...] une poche pour une
durée de 3 jours de traitement et une pour une durée de 4 jours [...] les
changements ont été effectués en semaine soit les Lundi et Jeudi soit les
Mardi et Vendredi pendant les horaires de production de la PUI obligeant
parfois à effectuer des poches pour des durées de 24h à 48h."

This module computes that practice on the same request, the same calendars
and the same safety rules as the planner, with these decisions (each a
reading of the thesis where it says nothing precise):

* **Weekday pair.** Mon/Thu and Tue/Fri are both tried on the whole
  treatment (a patient keeps one pair); the better is kept (feasible first,
  then fewest bags, vials, trips and visits; Mon/Thu on a tie) and reported.
* **Slot.** Changes happen at one time of day, the slot: 14:00 (an early
  afternoon day-hospital appointment, inside the production hours as the
  thesis says, with room to move a change earlier in the day and still
  prepare its bag that day). When 14:00 cannot be fed by a same-day
  preparation (a road over 5 h) or gives no safe cycle, ``T0``'s time of day
  is tried, then the earliest time that leaves room to move a change
  earlier by the road time and still prepare it that day (a late-afternoon
  visit for a long road), then the earliest time a same-day preparation can
  reach; the first slot giving a safe cycle is kept. A slot near the
  opening of production (10:00 for a 09:00 opening) was rejected as the
  default: after a 4-day bag the change must move earlier
  by the transport time, and its own preparation then falls before the
  opening, which breaks the weekday rhythm.
* **Counts.** Bags, vials (no sharing between bags: the spec's per-bag
  count, as for the planner), euros (vials x ``settings.vial_eur``),
  day-hospital trips and HAD nurse visits (one per change the day hospital
  or the nurse makes; the ward's changes count neither).
* **Who changes.** The ward during the inpatient period; after it, whoever
  the request's ``change_mode`` names. The thesis's patients came to the
  day hospital; under ``had_nurse`` the practice keeps the thesis's fixed
  days, slot and same-day preparation but the HAD nurse changes the bag at
  home, so the bag travels the road (``transport_h``). This compares like
  with like (the planner also uses the request's change mode), and it is
  where the practice can fail while the planner does not: a long road and a
  same-day preparation leave no room for a 4-day bag.
* **Same-day preparation.** A bag hung on a change day is prepared that day
  on the pharmacy's slot grid (``prep_slot_min`` from the window's opening),
  at the latest slot the transport allows (the latest preparation maximises
  stability); the first bag of a cycle and a bag starting at a dose change
  are prepared at the latest slot that can reach them (possibly an earlier
  day).
* **Shortest bag.** No bag is shorter than ``min_bag_h`` (24 h by default,
  the thesis's shortest practice bags). A fixed day closer than that to the
  bag's start is skipped; a fixed day that would leave less than that before
  a forced boundary (the day-8 step-up, the end of the cycle) moves earlier
  that day, or to the day before. A Friday start before a bank holiday
  Monday has no practice plan: its first bag would end the same afternoon.
* **Joining the fixed days.** A bag ends at the next forced boundary (the
  day-8 step-up, the end of the cycle) when it can reach it in one safe bag;
  otherwise at the next fixed change day, or the one after when the next is
  less than 24 h away (the thesis's shortest bags last 24 h) and one bag
  can reach the later one.
* **Holidays and closures.** When a fixed day cannot take a change (the day
  hospital or the production is closed, or no same-day preparation fits
  before the slot), the change moves to the day before, and further back if
  needed: the thesis's 24-48 h bags. The same happens when a bag could not
  reach the next fixed day within the 96 h maximum (after such a shift, or
  before a dose change that cannot move). When no earlier day works (the bag
  started that very morning), the day after, if the bag can reach it.
* **Early preparation.** A bag that a closure forced to be prepared on an
  earlier day than it is hung (the first bag after a bank holiday weekend)
  may end on the day before its fixed day, like a bag before a closure.
* **Stability.** The literal "Thu 14:00 -> Mon 14:00" 4-day bag breaks
  stability once preparation and transport time are counted (spec,
  constraint 4). The practice then moves that change earlier in the day, to
  the latest quarter hour the bag's stability allows, as long as the changer
  is open and a same-day preparation still fits; if it cannot, the practice
  is infeasible for the request and :class:`Baseline` says why.

The practice's cycles then go through the independent checker
(:func:`hadplanner.schedule.checker.check_plan`), exactly like the planner's:
a practice plan that breaks an invariant is reported infeasible with the
violation as the reason, never shown as a comparison.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hadplanner.models.drug import Drug, load_drug
from hadplanner.models.plan import (
    Bag,
    Baseline,
    ChangedBy,
    CyclePlan,
    Plan,
    PlanTotals,
    PracticeDeviation,
)
from hadplanner.models.request import PARIS, UTC, Request, Settings
from hadplanner.schedule.bags import make_bag
from hadplanner.schedule.calendars import (
    Calendars,
    calendars_from_settings,
    is_public_holiday,
    public_holiday_name,
    wall,
)
from hadplanner.schedule.regimen import CycleSpec, cycle_specs
from hadplanner.schedule.totals import totals_of

PAIRS: tuple[tuple[str, str], ...] = (("mon", "thu"), ("tue", "fri"))
"""The practice's fixed change-day pairs (thesis III.B.1), in order of preference on ties."""

_WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}

DEFAULT_SLOT = dt.time(14, 0)
"""The practice's change time of day (see the module docstring, "Slot")."""

SHORTEST_BAG_H = 24.0
"""The thesis's shortest practice bag: a fixed day closer than this is skipped when
one bag can reach the next fixed day."""

_QUARTER = 15 * 60


class PracticeInfeasible(Exception):
    """The practice cannot plan a cycle safely (internal: becomes ``Baseline.reason``)."""


def _u(t: dt.datetime) -> dt.datetime:
    return t.astimezone(UTC)


def _plus(t: dt.datetime, hours: float) -> dt.datetime:
    """``t`` plus real hours, in Europe/Paris."""
    return (_u(t) + dt.timedelta(hours=hours)).astimezone(PARIS)


def _hours(a: dt.datetime, b: dt.datetime) -> float:
    """Real hours from a to b."""
    return (_u(b) - _u(a)).total_seconds() / 3600.0


def _floor_quarter(t: dt.datetime) -> dt.datetime:
    """``t`` floored to a quarter hour of real time (wall quarters for whole-hour offsets)."""
    ts = int(math.floor(_u(t).timestamp() + 1e-6))
    return dt.datetime.fromtimestamp(ts - ts % _QUARTER, PARIS)


def _ceil_quarter(clock: dt.time) -> dt.time:
    minutes = clock.hour * 60 + clock.minute + (1 if clock.second or clock.microsecond else 0)
    minutes = -(-minutes // 15) * 15
    return dt.time(min(minutes, 23 * 60 + 45) // 60, min(minutes, 23 * 60 + 45) % 60)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(PARIS).isoformat(timespec="minutes")


@dataclass(frozen=True)
class _Rules:
    """The numbers and calendars one practice cycle is computed with."""

    spec: CycleSpec
    cal: Calendars
    st: Settings
    pair: tuple[int, int]
    slot: dt.time
    drug: Drug

    def who(self, s: dt.datetime, first: bool = False) -> str:
        """Who hangs a bag starting at ``s`` (the ward up to discharge, included)."""
        if first or _u(s) <= _u(self.spec.inpatient_end):
            return "inpatient"
        return self.spec.change_mode

    def transport_h(self, who: str) -> float:
        return self.spec.transport_h if who == "had_nurse" else self.st.transport_hospital_h

    def overfill(self, duration_h: float) -> float:
        return self.st.overfill_h if duration_h <= self.st.overfill_max_bag_h + 1e-9 else 0.0

    def prep_for(self, s: dt.datetime, who: str) -> dt.datetime | None:
        """The latest production slot that can feed a bag hung at ``s`` by ``who``."""
        return self.cal.production.latest_slot_at_or_before(
            _plus(s, -self.transport_h(who)), self.st.prep_slot_min)

    def bag_ok(self, s: dt.datetime, p: dt.datetime, e: dt.datetime) -> bool:
        """Length within [min, max] and stability (with overfill) from preparation ``p``."""
        d = _hours(s, e)
        if d <= 0 or d > self.st.max_bag_h + 1e-9 or d < self.st.min_bag_h - 1e-9:
            return False
        return _hours(p, e) + self.overfill(d) <= self.st.stability_h + 1e-9

    def latest_end(self, s: dt.datetime, p: dt.datetime) -> dt.datetime:
        """The latest safe end of a bag hung at ``s`` prepared at ``p`` (on the quarter hour)."""
        st = self.st
        # Without overfill (bags over overfill_max_bag_h), else with it.
        long_end = min(_plus(p, st.stability_h), _plus(s, st.max_bag_h), key=_u)
        if _hours(s, long_end) > st.overfill_max_bag_h + 1e-9:
            return _floor_quarter(long_end)
        short_end = min(_plus(p, st.stability_h - st.overfill_h),
                        _plus(s, st.overfill_max_bag_h), key=_u)
        return _floor_quarter(short_end)

    def cap(self, s: dt.datetime) -> dt.datetime:
        """The latest change after ``s`` that leaves ``min_bag_h`` to the next forced boundary."""
        hard = min((b for b in (*self.spec.dose_changes, self.spec.t_end) if _u(b) > _u(s)),
                   key=_u)
        return _plus(hard, -self.st.min_bag_h)

    def change_day_ok(self, t: dt.datetime) -> bool:
        """A practice change at ``t``: the changer is there and a same-day preparation fits."""
        who = self.who(t)
        if who != "inpatient" and not self.cal.of(who).contains(t):
            return False
        day = t.astimezone(PARIS).date()
        window = self.cal.production.day_window(day)
        if window is None:
            return False
        return _u(window[0]) <= _u(_plus(t, -self.transport_h(who)))


def _fixed_days(r: _Rules, s: dt.datetime, before: dt.datetime) -> list[dt.datetime]:
    """The practice's fixed change instants strictly between ``s`` and ``before``."""
    out = []
    day = s.astimezone(PARIS).date()
    last = before.astimezone(PARIS).date()
    while day <= last:
        if day.weekday() in r.pair:
            t = wall(day, r.slot)
            if _u(s) < _u(t) < _u(before):
                out.append(t)
        day += dt.timedelta(days=1)
    return out


def _on_day(r: _Rules, s: dt.datetime, p: dt.datetime, day: dt.date) -> dt.datetime | None:
    """The practice's change on ``day``: at the slot, or earlier that day if stability asks,
    or if the next bag would otherwise be shorter than ``min_bag_h`` before a forced boundary."""
    t = wall(day, r.slot)
    if _u(t) <= _u(s):
        return None
    cap = r.cap(s)
    if _u(t) <= _u(cap) and r.change_day_ok(t) and r.bag_ok(s, p, t):
        return t
    # Earlier in the day: the latest quarter hour the bag and the next bag
    # allow, if the changer is still there and a same-day preparation still fits.
    e = min(r.latest_end(s, p), _floor_quarter(cap), key=_u)
    if _u(e) < _u(t) and e.astimezone(PARIS).date() == day and _u(e) > _u(s) \
            and r.change_day_ok(e) and r.bag_ok(s, p, e):
        return e
    return None


def _walk_back(r: _Rules, s: dt.datetime, p: dt.datetime, day: dt.date) -> dt.datetime | None:
    """The latest practice change on ``day`` or before it, after ``s`` (holiday rule)."""
    first = s.astimezone(PARIS).date()
    while day >= first:
        t = _on_day(r, s, p, day)
        if t is not None:
            return t
        day -= dt.timedelta(days=1)
    return None


def _blocked(r: _Rules, t: dt.datetime) -> bool:
    """True when no practice change can happen on ``t``'s day at the slot (closure)."""
    return not r.change_day_ok(t)


def _aim(r: _Rules, s: dt.datetime, p: dt.datetime, k: dt.datetime) -> dt.datetime | None:
    """The practice's change aimed at fixed instant ``k``, or None if it cannot be made."""
    day = k.astimezone(PARIS).date()
    early_prep = p.astimezone(PARIS).date() != s.astimezone(PARIS).date()
    if _blocked(r, k) or _hours(s, k) > r.st.max_bag_h + 1e-9 or early_prep \
            or _u(k) > _u(r.cap(s)):
        # Closed day, too far after a shifted change, a bag that a closure
        # forced to prepare on an earlier day, or too close to a forced
        # boundary for the next bag's min_bag_h: the day before if need be.
        return _walk_back(r, s, p, day)
    return _on_day(r, s, p, day)


def _next_change(r: _Rules, s: dt.datetime, p: dt.datetime, hard: dt.datetime) -> dt.datetime:
    """Where the practice ends a bag hung at ``s`` (prepared ``p``) before boundary ``hard``."""
    fixed = _fixed_days(r, s, hard)
    if not fixed:
        # No fixed day before a boundary the bag cannot reach: an extra change
        # on the latest day before it (the thesis's short bags).
        t = _walk_back(r, s, p, (hard.astimezone(PARIS) - dt.timedelta(days=1)).date())
        if t is None:
            raise PracticeInfeasible(
                f"no practice change day between {_iso(s)} and the forced change at "
                f"{_iso(hard)} keeps the bag within {r.st.max_bag_h:g} h and its "
                f"{r.st.stability_h:g} h stability")
        return t
    k1 = fixed[0]
    if len(fixed) > 1 and _hours(s, k1) < max(SHORTEST_BAG_H, r.st.min_bag_h):
        # The thesis's shortest practice bags last 24 h (or min_bag_h): a
        # closer fixed day is skipped when one bag reaches the next one.
        t = _aim(r, s, p, fixed[1])
        if t is not None and _u(t) > _u(k1):
            return t
    t = _aim(r, s, p, k1)
    if t is not None:
        return t
    if _blocked(r, k1):
        # Closed from the start of the bag to the fixed day: the day after.
        limit = (fixed[1] if len(fixed) > 1 else hard).astimezone(PARIS).date()
        day = k1.astimezone(PARIS).date() + dt.timedelta(days=1)
        while day < limit:
            t = _on_day(r, s, p, day)
            if t is not None:
                return t
            day += dt.timedelta(days=1)
    # Say why with the first fixed day (the one the practice aims at).
    who = r.who(k1)
    if _blocked(r, k1):
        raise PracticeInfeasible(
            f"no open practice change day around the fixed day {_iso(k1)} after {_iso(s)}")
    dur = _hours(s, k1)
    ov = r.overfill(dur)
    limit = _plus(p, r.st.stability_h - ov)
    raise PracticeInfeasible(
        f"the fixed-day change at {_iso(k1)} ends a {dur:g} h bag prepared at {_iso(p)}: "
        f"stability {r.st.stability_h:g} h (overfill {ov:g} h) ends at {_iso(limit)}, and the "
        f"change cannot move earlier that day ({who} hours, same-day preparation "
        f"{r.transport_h(who):g} h ahead)")


def _bag(index: int, p: dt.datetime, s: dt.datetime, e: dt.datetime, who: str,
         r: _Rules) -> Bag:
    return make_bag(index, p, s, e, r.overfill(_hours(s, e)), r.spec.rate_at(s), who, r.st,
                    r.drug)


def _practice_cycle(r: _Rules) -> CyclePlan:
    spec = r.spec
    bounds = sorted([*spec.dose_changes, spec.t_end], key=_u)
    s = spec.t0
    who = "inpatient"
    p = r.prep_for(s, who)
    if p is None:
        raise PracticeInfeasible(f"no production window to prepare the first bag hung at "
                                 f"{_iso(s)}")
    bags: list[Bag] = []
    while _u(s) < _u(spec.t_end):
        hard = next(b for b in bounds if _u(b) > _u(s))
        e = hard if r.bag_ok(s, p, hard) else _next_change(r, s, p, hard)
        bags.append(_bag(len(bags) + 1, p, s, e, who, r))
        s = e
        if _u(s) >= _u(spec.t_end):
            break
        who = r.who(s)
        p = r.prep_for(s, who)
        if p is None:
            raise PracticeInfeasible(f"no production window to prepare the bag hung at "
                                     f"{_iso(s)}")
    return CyclePlan(number=spec.number, regimen=spec.regimen, start=spec.t0, end=spec.t_end,
                     inpatient_until=spec.inpatient_end, bags=tuple(bags))


def _slots(spec: CycleSpec, cal: Calendars, st: Settings) -> list[dt.time]:
    """The practice's candidate change times for a cycle, in order of preference."""
    t0 = spec.t0.astimezone(PARIS)
    mode_tr = spec.transport_h if spec.change_mode == "had_nurse" else st.transport_hospital_h
    prod = st.production
    changer = st.day_hospital if spec.change_mode == "day_hospital" else st.had_nurse
    def after_open(hours: float) -> dt.time:
        if hours >= 24:
            return changer.close
        return (dt.datetime.combine(t0.date(), prod.open) + dt.timedelta(hours=hours)).time()

    # After the defaults, the earliest slot that leaves room to move a change
    # earlier by the road time and still prepare it that day (long roads:
    # a late-afternoon visit; half an hour more for the quarter-hour
    # rounding of two preparations), then the earliest a same-day bag can reach.
    candidates = (DEFAULT_SLOT, t0.time().replace(second=0, microsecond=0),
                  _ceil_quarter(after_open(2 * mode_tr + 0.5)), _ceil_quarter(after_open(mode_tr)))
    out: list[dt.time] = []
    for c in candidates:
        c_dt = dt.datetime.combine(t0.date(), c)
        prep = c_dt - dt.timedelta(hours=mode_tr)
        same_day = prep.date() == t0.date() and prep.time() >= prod.open
        if same_day and changer.open <= c <= changer.close and c not in out:
            out.append(c)
    return out


def _check(cycles: tuple[CyclePlan, ...], request: Request, transport_h: float) -> str | None:
    """The first invariant the practice breaks (independent checker), or None."""
    try:
        from hadplanner.schedule.checker import check_plan
    except ImportError:  # pragma: no cover - the checker ships with the planner
        return None
    plan = Plan(
        patient_id=request.patient.id, drug=request.drug,
        change_mode=ChangedBy(request.change_mode), cycles=cycles,
        totals=totals_of(cycles, request.settings.vial_eur),
        baseline=Baseline(feasible=False, reason="this plan is the practice"),
    )
    violations = check_plan(plan, request, transport_h=transport_h)
    return str(violations[0]) if violations else None


def practice_cycles(request: Request, pair: tuple[str, str], *, drug: Drug | None = None,
                    calendars: Calendars | None = None,
                    specs: Sequence[CycleSpec] | None = None) -> tuple[CyclePlan, ...]:
    """The practice's cycles on one weekday pair.

    Raises
    ------
    PracticeInfeasible
        A cycle cannot be planned safely by the practice (the message says
        which cycle, which constraint and which instant).
    """
    drug = drug or load_drug(request.drug)
    cal = calendars or calendars_from_settings(request.settings)
    specs = list(specs) if specs is not None else cycle_specs(request, drug)
    st = request.settings
    days = (_WEEKDAY_INDEX[pair[0]], _WEEKDAY_INDEX[pair[1]])
    out = []
    for spec in specs:
        reasons = []
        slots = _slots(spec, cal, st)
        if not slots:
            raise PracticeInfeasible(
                f"cycle {spec.number}: no change time lets a same-day preparation reach the "
                f"{spec.change_mode} change ({spec.transport_h:g} h road)")
        for slot in slots:
            try:
                out.append(_practice_cycle(_Rules(spec, cal, st, days, slot, drug)))
                break
            except PracticeInfeasible as exc:
                reasons.append(f"{slot:%H:%M}: {exc}")
        else:
            raise PracticeInfeasible(f"cycle {spec.number}: {reasons[0]}")
    return tuple(out)


def _rank(totals: PlanTotals) -> tuple[int, int, int]:
    return (totals.bags, totals.vials, totals.day_hospital_trips + totals.nurse_visits)


def practice_plan(request: Request, drug: Drug | None = None, *,
                  calendars: Calendars | None = None,
                  specs: Sequence[CycleSpec] | None = None) -> Baseline:
    """The thesis's practice on the same request (see the module docstring).

    Parameters
    ----------
    request
        The validated request.
    drug
        Its drug (read from the catalogue when None).
    calendars, specs
        The planner's calendars and cycle specifications, when it has them
        (same windows, same transport); computed from the request otherwise.

    Returns
    -------
    Baseline
        Feasible with the better weekday pair, its cycles and totals; or
        ``feasible=False`` with the reason (constraint and instant) for each
        pair.
    """
    drug = drug or load_drug(request.drug)
    cal = calendars or calendars_from_settings(request.settings)
    specs = list(specs) if specs is not None else cycle_specs(request, drug)
    transport_h = specs[0].transport_h if specs else request.settings.default_transport_h
    best: tuple[tuple[int, int, int], tuple[str, str], tuple[CyclePlan, ...], PlanTotals] | None
    best = None
    reasons: list[str] = []
    for pair in PAIRS:
        label = "/".join(pair)
        try:
            cycles = practice_cycles(request, pair, drug=drug, calendars=cal, specs=specs)
        except PracticeInfeasible as exc:
            reasons.append(f"{label}: {exc}")
            continue
        broken = _check(cycles, request, transport_h)
        if broken is not None:
            reasons.append(f"{label}: breaks {broken}")
            continue
        totals = totals_of(cycles, request.settings.vial_eur)
        if best is None or _rank(totals) < best[0]:
            best = (_rank(totals), pair, cycles, totals)
    if best is None:
        return Baseline(feasible=False, reason="; ".join(reasons))
    _, pair, cycles, totals = best
    return Baseline(
        feasible=True, weekdays=pair, bags=totals.bags, vials=totals.vials, euros=totals.euros,
        day_hospital_trips=totals.day_hospital_trips, nurse_visits=totals.nurse_visits,
        cycles=cycles,
        deviations=practice_deviations(cycles, request, pair, calendars=cal, specs=specs),
    )


# --- Explaining the practice's moves (read after the fact, for the plan table) ---
#
# The practice's cycles are read back rather than instrumented: whatever the
# rules above decide, a fixed weekday with no change on it is a deviation,
# explained by the calendars (holiday, closures) or, when the day itself was
# open, by the bag rules (96 h, stability, 24 h shortest bag).


def _local_day(t: dt.datetime) -> dt.date:
    return t.astimezone(PARIS).date()


def _day_reasons(day: dt.date, who: str, cal: Calendars) -> list[str]:
    """Why no practice change can happen on ``day`` by ``who`` (calendar reasons only)."""
    reasons = []
    changer = cal.of(who) if who != "inpatient" else None
    if is_public_holiday(day) and (cal.production.closed_on_holidays
                                   or (changer is not None and changer.closed_on_holidays)):
        reasons.append("public_holiday")
    if not cal.production.is_open_day(day):
        reasons.append("production_closed")
    if changer is not None and not changer.is_open_day(day):
        reasons.append(f"{who}_closed")
    return reasons


def _cycle_deviations(cycle: CyclePlan, spec: CycleSpec, fixed: set[int],
                      cal: Calendars) -> list[PracticeDeviation]:
    """The deviations of one practice cycle from its fixed weekdays."""
    # Instants are compared in UTC: same-zone datetimes compare by wall clock.
    forced = {_u(t) for t in spec.dose_changes} | {_u(spec.t0), _u(spec.t_end)}
    changes = [_u(b.start) for b in cycle.bags[1:]]
    on_fixed = {c for c in changes if _local_day(c).weekday() in fixed and c not in forced}
    # The slot is the latest time of day of the changes kept on fixed days
    # (others were moved earlier that day for stability).
    slot = max((c.astimezone(PARIS).time() for c in on_fixed), default=DEFAULT_SLOT)
    anchors = sorted({_u(spec.t0), _u(spec.t_end), *(c for c in changes
                                                     if c in forced or c in on_fixed)})
    moved = [c for c in changes if c not in forced and c not in on_fixed]
    covered = {_local_day(spec.t0), _local_day(spec.t_end), *(_local_day(c) for c in changes)}
    uncovered = []
    day = _local_day(spec.t0)
    while day <= _local_day(spec.t_end):
        if day.weekday() in fixed and day not in covered:
            uncovered.append(day)
        day += dt.timedelta(days=1)
    bag_ending = {_u(b.end): b for b in cycle.bags}

    def who_on(day: dt.date) -> str:
        return "inpatient" if _u(wall(day, slot)) <= _u(spec.inpatient_end) else spec.change_mode

    out = []
    for a, b in zip(anchors, anchors[1:], strict=False):
        days = [d for d in uncovered if _local_day(a) < d < _local_day(b)]
        extra = [c for c in moved if a < c < b]
        if not days:
            for c in extra:
                why = "before_boundary" if b in forced else "bag_limit"
                out.append(PracticeDeviation(cycle=cycle.number, changes=(c.astimezone(PARIS),),
                                             reasons=(why,)))
            continue
        assigned: dict[dt.date, list[dt.datetime]] = {d: [] for d in days}
        for c in extra:
            # The nearest fixed day; on a tie, the later one (a change brought forward).
            d = min(days, key=lambda d: (abs((d - _local_day(c)).days), -d.toordinal()))
            assigned[d].append(c)
        for d in days:
            reasons = _day_reasons(d, who_on(d), cal)
            instead = assigned[d]
            if not reasons:
                if instead:
                    # The bag that ends at the first change made instead.
                    first = bag_ending[instead[0]]
                    early = _local_day(first.prepared_at) != _local_day(first.start)
                    reasons = ["early_preparation" if early else "bag_limit"]
                else:
                    k = _u(wall(d, slot))
                    before = max((c for c in [a, *changes] if c < k), default=a)
                    short = _hours(before, k) < SHORTEST_BAG_H
                    reasons = ["too_close" if short else
                               "reaches_end" if b == _u(spec.t_end) else
                               "reaches_dose_change" if b in forced else "bag_limit"]
            out.append(PracticeDeviation(
                cycle=cycle.number, fixed_day=d,
                changes=tuple(c.astimezone(PARIS) for c in instead), reasons=tuple(reasons),
                holiday=public_holiday_name(d) if "public_holiday" in reasons else None,
            ))
    return out


def practice_deviations(cycles: Sequence[CyclePlan], request: Request, pair: tuple[str, str],
                        *, calendars: Calendars | None = None,
                        specs: Sequence[CycleSpec] | None = None,
                        ) -> tuple[PracticeDeviation, ...]:
    """Where the practice's `cycles` leave the fixed weekdays `pair`, and why.

    A fixed weekday of a cycle with no change on it is one deviation; the
    changes made instead (on other days, between the same kept changes) are
    attached to the nearest such day. The reasons are the calendar's (public
    holiday, PUI or changer closed) when that day is closed, else the bag
    rules' (96 h maximum and stability, the 24 h shortest bag, a prescribed
    change reached). A change between kept days with no fixed day to replace
    is an extra change (``fixed_day`` None).

    Returns
    -------
    tuple of PracticeDeviation
        In cycle and time order; empty when the practice kept every fixed day.
    """
    cal = calendars or calendars_from_settings(request.settings)
    if specs is None:
        specs = cycle_specs(request, load_drug(request.drug))
    by_number = {s.number: s for s in specs}
    fixed = {_WEEKDAY_INDEX[d] for d in pair}
    out: list[PracticeDeviation] = []
    for cycle in cycles:
        spec = by_number.get(cycle.number)
        if spec is not None:
            out += _cycle_deviations(cycle, spec, fixed, cal)
    return tuple(out)
