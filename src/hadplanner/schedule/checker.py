"""The independent checker of a plan: every invariant of the spec, from the request.

It shares no feasibility code with the planner: it recomputes ``T0``,
``T_end``, the inpatient period and the patient's rates from the request and
the drug catalogue, asks the calendars instant by instant (the planner uses
vectorised window searches on a grid), and checks each bag with plain
datetime arithmetic in UTC. Tolerances are 1e-6 h for times and 1e-6 ug for
doses, well under the one-minute resolution of any plan; volumes are written
to 0.01 mL, hence 0.006 mL.

What is in a bag is recomputed from the drug catalogue: volume = pump rate x
(duration + overfill), reconstituted drug = dose / concentration, the
catalogue's stabiliser volume, NaCl the rest (never negative), the whole no
more than the NaCl bag; the expiry is preparation + stability.

Events (interruptions, readmissions, stops, ordered rates; ``register.replan``)
are read from the request too:

- the bags follow each other without a gap except exactly the cycle's declared
  interruptions (the plan's list must be the request's); the cycle ends after
  ``cycle_days`` x 24 h of *infusion* (T0 + 672 h + the interruptions), or at
  its stop; the bags' infusion adds up to that;
- the dose steps and the end of the inpatient period are infusion times: they
  move by the interruptions before them; an ordered rate applies from its
  instant to the cycle's end;
- during a readmission the ward hangs every bag; the first bag after an
  interruption of ``hospital_restart_h`` or more is hung in hospital (the
  ward, or the day hospital in its hours); after a shorter one, and at the
  cycle's declared ``hospital_changes``, the hospital may hang it too (the
  patient comes in when the change mode cannot);
- a bag stopped before the end it was made for (``planned_end``) is checked as
  made (volumes, dose, stability, shortest bag) and infuses until ``end``: it
  started before the plan's ``frozen_until`` (history), or it stops at a dose
  step or at the cycle's end (a bag made for ``min_bag_h`` where less is left);
- instants before ``frozen_until`` are history: the calendars are asked
  without the exceptional closures there (events add closures from their
  instant on; what happened before was checked by the previous version).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from hadplanner.errors import UnsafePlanError
from hadplanner.models.drug import Drug, load_drug
from hadplanner.models.plan import Bag, Plan
from hadplanner.models.request import UTC, Request
from hadplanner.schedule.calendars import calendars_from_settings

_EPS_H = 1e-6
_EPS_UG = 1e-6
_EPS_ML = 0.006


@dataclass(frozen=True)
class Violation:
    """One broken invariant: where (cycle, bag) and which rule, in one sentence."""

    cycle: int | None
    bag: int | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.cycle is not None:
            where.append(f"cycle {self.cycle}")
        if self.bag is not None:
            where.append(f"bag {self.bag}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.rule}: {self.message}" if prefix else \
            f"{self.rule}: {self.message}"


def _u(t: dt.datetime) -> dt.datetime:
    return t.astimezone(UTC)


def _h(a: dt.datetime, b: dt.datetime) -> float:
    """Real hours from a to b."""
    return (_u(b) - _u(a)).total_seconds() / 3600.0


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="minutes")


def _rates(request: Request, regimen_name: str, t0: dt.datetime, cycle_days: int):
    """(instant, ug/day) steps recomputed from the catalogue (Mosteller under the threshold)."""
    drug = load_drug(request.drug)
    reg = drug.regimens[regimen_name]
    w, h = request.patient.weight_kg, request.patient.height_cm
    out = []
    for step in reg.steps:
        if step.from_day > cycle_days:
            continue
        if w < drug.per_m2_below_kg:
            bsa = math.sqrt(w * h / 3600.0)
            rate = min(step.ug_per_m2_per_day * bsa, step.ug_per_day)
        else:
            rate = step.ug_per_day
        out.append((_u(t0) + dt.timedelta(days=step.from_day - 1), rate))
    return out, reg


def _contents(bag: Bag, dur: float, ov: float, dose: float, drug: Drug) -> list[str]:
    """What is wrong with the bag's volumes, one sentence each (empty: right)."""
    out = []
    if abs(bag.pump_rate_ml_h - drug.pump_rate_ml_h) > 1e-9:
        out.append(f"pump at {bag.pump_rate_ml_h:g} mL/h, the drug's one rate is "
                   f"{drug.pump_rate_ml_h:g} mL/h")
    volume = drug.pump_rate_ml_h * (dur + ov)
    if abs(bag.volume_ml - volume) > _EPS_ML:
        out.append(f"{bag.volume_ml:g} mL, expected {volume:.2f} mL ({drug.pump_rate_ml_h:g} "
                   f"mL/h x {dur + ov:g} h)")
    drug_ml = dose / drug.reconstituted_ug_per_ml
    if abs(bag.drug_ml - drug_ml) > _EPS_ML:
        out.append(f"{bag.drug_ml:g} mL of drug, expected {drug_ml:.2f} mL ({dose:.3f} ug at "
                   f"{drug.reconstituted_ug_per_ml:g} ug/mL)")
    if abs(bag.stabiliser_ml - drug.stabiliser_ml) > 1e-9:
        out.append(f"{bag.stabiliser_ml:g} mL of stabiliser, expected {drug.stabiliser_ml:g} mL")
    if abs(bag.nacl_ml + bag.drug_ml + bag.stabiliser_ml - bag.volume_ml) > _EPS_ML:
        out.append(f"NaCl {bag.nacl_ml:g} + drug {bag.drug_ml:g} + stabiliser "
                   f"{bag.stabiliser_ml:g} mL do not make the {bag.volume_ml:g} mL bag")
    if bag.nacl_ml < -_EPS_ML:
        out.append(f"{bag.volume_ml:g} mL cannot hold its drug and stabiliser")
    if bag.volume_ml > drug.bag_nacl_ml + _EPS_ML:
        out.append(f"{bag.volume_ml:g} mL, more than the {drug.bag_nacl_ml:g} mL bag")
    return out


def _infused_at(t0: dt.datetime, hours: float,
                gaps: list[tuple[dt.datetime, dt.datetime]]) -> dt.datetime:
    """The instant ``hours`` of infusion after T0: each gap starting at or before the
    instant reached so far pushes it by the gap's length."""
    t = _u(t0) + dt.timedelta(hours=hours)
    for a, b in gaps:
        if _u(a) <= t:
            t += _u(b) - _u(a)
    return t


def _plain(settings_window: object) -> object:
    return settings_window.model_copy(update={"closed": ()})  # type: ignore[attr-defined]


def check_plan(plan: Plan, request: Request, transport_h: float | None = None) -> list[Violation]:
    """Every violation of the spec's invariants by ``plan`` for ``request`` (empty: safe).

    Parameters
    ----------
    transport_h
        PUI -> home road time used for HAD changes; when None it is resolved
        like the planner does (setting, territory model, default).
    """
    from hadplanner.schedule.regimen import resolve_transport_h

    st = request.settings
    drug = load_drug(request.drug)
    cal = calendars_from_settings(st)
    # The calendars of history: the same hours and holidays, no exceptional closure.
    past_cal = calendars_from_settings(st.model_copy(update={
        "production": _plain(st.production), "day_hospital": _plain(st.day_hospital),
        "had_nurse": _plain(st.had_nurse)}))
    frozen = _u(plan.frozen_until) if plan.frozen_until is not None else None

    def cal_at(t: dt.datetime):  # noqa: ANN202
        return past_cal if frozen is not None and _u(t) < frozen else cal

    home_tr = resolve_transport_h(request) if transport_h is None else transport_h
    restart_h = st.hospital_restart_h
    wards = [(_u(w.start), _u(w.end)) for w in request.ward_periods]
    out: list[Violation] = []

    def bad(c: int | None, b: int | None, rule: str, msg: str) -> None:
        out.append(Violation(c, b, rule, msg))

    if len(plan.cycles) != len(request.cycles):
        bad(None, None, "cycles", f"{len(plan.cycles)} planned, {len(request.cycles)} requested")
    if plan.patient_id != request.patient.id:
        bad(None, None, "patient", f"plan for {plan.patient_id}, request for {request.patient.id}")
    for cp, cr in zip(plan.cycles, request.cycles, strict=False):
        n = cp.number
        t0 = cr.start
        gaps = [(i.start, i.end) for i in cr.interruptions]
        full_end = _infused_at(t0, 24 * st.cycle_days, gaps)
        t_end = _u(cr.stopped_at) if cr.stopped_at is not None else full_end
        steps, reg = _rates(request, cr.regimen, t0, st.cycle_days)
        steps = [(_infused_at(t0, _h(t0, t), gaps), r) for t, r in steps]
        for order in cr.dose_changes:  # an ordered rate replaces the regimen's from then on
            steps = [(t, r) for t, r in steps if t < _u(order.start)]
            steps.append((_u(order.start), order.rate_ug_per_day))
        ndays = min(reg.inpatient_days_for(cr.number), st.cycle_days)
        inp_end = _infused_at(t0, 24 * ndays, gaps)
        if cp.number != cr.number or cp.regimen != cr.regimen:
            bad(n, None, "cycle", f"planned cycle {cp.number}/{cp.regimen}, requested "
                f"{cr.number}/{cr.regimen}")
        if _u(cp.start) != _u(t0) or _u(cp.end) != t_end:
            what = f"stopped at {_iso(cr.stopped_at)}" if cr.stopped_at is not None else \
                f"{_iso(t0)} + {st.cycle_days * 24} h" + (" + interruptions" if gaps else "")
            bad(n, None, "cycle", f"cycle runs {_iso(cp.start)} - {_iso(cp.end)}, expected {what}")
        if _u(cp.inpatient_until) != inp_end:
            bad(n, None, "inpatient", f"inpatient until {_iso(cp.inpatient_until)}, expected "
                f"{ndays} days of infusion after T0")
        declared = [(_u(p.start), _u(p.end)) for p in cp.interruptions]
        if declared != [(_u(a), _u(b)) for a, b in gaps]:
            bad(n, None, "interruption", f"the plan declares {len(declared)} interruptions, "
                f"the request {len(gaps)} (or other instants)")
        if (cp.stopped_at is None) != (cr.stopped_at is None) or (
                cp.stopped_at is not None and cr.stopped_at is not None
                and _u(cp.stopped_at) != _u(cr.stopped_at)):
            bad(n, None, "stop", f"the plan says stopped at {cp.stopped_at}, the request "
                f"{cr.stopped_at}")
        # Readmissions compared within the cycle: a stay recorded while the cycle ran and
        # extended after its end (a new readmission from the discharge instant) is the same
        # stay for this cycle.
        c0, c1 = _u(cp.start), _u(cp.end)
        within = {(max(a, c0), min(b, c1)) for a, b in wards if a <= c1 and b >= c0}
        for period in cp.ward_periods:
            a, b = _u(period.start), _u(period.end)
            if (max(a, c0), min(b, c1)) not in within:
                bad(n, None, "ward", f"readmission {_iso(period.start)} - {_iso(period.end)} is "
                    "not in the request")
        if not cp.bags:
            bad(n, None, "continuity", "no bags")
            continue
        # continuity: no gap but the declared interruptions, each used once
        if _u(cp.bags[0].start) != _u(t0):
            bad(n, 1, "continuity", f"first bag starts {_iso(cp.bags[0].start)}, not T0 "
                f"{_iso(t0)}")
        if _u(cp.bags[-1].end) != t_end:
            bad(n, len(cp.bags), "continuity", f"last bag ends {_iso(cp.bags[-1].end)}, not "
                "T0 + cycle" + (" + interruptions" if gaps else "")
                + (" (its stop)" if cr.stopped_at is not None else ""))
        gap_set = {(_u(a), _u(b)) for a, b in gaps}
        used: set[tuple[dt.datetime, dt.datetime]] = set()
        after_gap: dict[int, dt.datetime] = {}  # bag index -> start of the gap just before it
        for x, y in zip(cp.bags, cp.bags[1:], strict=False):
            if _u(y.start) == _u(x.end):
                continue
            if (_u(x.end), _u(y.start)) in gap_set:
                used.add((_u(x.end), _u(y.start)))
                after_gap[y.index] = _u(x.end)
            else:
                bad(n, y.index, "continuity", f"starts {_iso(y.start)}, previous bag ends "
                    f"{_iso(x.end)}" + (" and no interruption is declared between"
                                        if _u(y.start) > _u(x.end) else ""))
        for g0, g1 in sorted(gap_set - used):
            bad(n, None, "interruption", f"declared {_iso(g0)} - {_iso(g1)}, but the bags do not "
                "stop then")
        infused = sum(_h(x.start, x.end) for x in cp.bags)
        expected_h = _h(t0, t_end) - sum(_h(g0, g1) for g0, g1 in gaps)
        if abs(infused - expected_h) > _EPS_H or (cr.stopped_at is None and abs(
                infused - 24 * st.cycle_days) > _EPS_H):
            bad(n, None, "infusion", f"the bags infuse {infused:g} h, expected "
                f"{24 * st.cycle_days} h" + (" until the stop" if cr.stopped_at else ""))
        for i, bag in enumerate(cp.bags, start=1):
            for t in (bag.prepared_at, bag.start, bag.end):
                if t.tzinfo is None:
                    bad(n, i, "time", "naive datetime")
            if bag.index != i:
                bad(n, i, "index", f"numbered {bag.index}")
            s, e, p = _u(bag.start), _u(bag.end), _u(bag.prepared_at)
            made_e = _u(bag.planned_end) if bag.planned_end is not None else e
            dur = _h(s, e)
            if dur <= 0:
                bad(n, i, "duration", f"ends {_iso(bag.end)} before it starts")
                continue
            if abs(dur - bag.duration_h) > _EPS_H:
                bad(n, i, "duration", f"says {bag.duration_h} h, lasts {dur} h")
            if bag.planned_end is not None:
                if made_e <= e:
                    bad(n, i, "stopped bag", f"made until {_iso(bag.planned_end)}, not after "
                        f"its end {_iso(bag.end)}")
                if not ((frozen is not None and s < frozen) or e == t_end
                        or any(e == c for c, _ in steps[1:])):
                    bad(n, i, "stopped bag", "stopped before the end it was made for, but "
                        "neither history nor stopped at a dose step or the cycle's end")
            made = _h(s, made_e)  # what the pharmacy compounded
            if made > st.max_bag_h + _EPS_H:
                bad(n, i, "max bag", f"{made:g} h > {st.max_bag_h:g} h")
            if made < st.min_bag_h - _EPS_H:
                bad(n, i, "min bag", f"{made:g} h < {st.min_bag_h:g} h")
            ov = st.overfill_h if made <= st.overfill_max_bag_h + _EPS_H else 0.0
            if abs(bag.overfill_h - ov) > _EPS_H:
                bad(n, i, "overfill", f"{bag.overfill_h:g} h for a {made:g} h bag, expected "
                    f"{ov:g} h")
            age = _h(p, made_e) + ov
            if age > st.stability_h + _EPS_H:
                bad(n, i, "stability", f"prepared {_iso(bag.prepared_at)}, made to end "
                    f"{_iso(made_e.astimezone(bag.start.tzinfo))} (+{ov:g} h overfill): "
                    f"{age:g} h > {st.stability_h:g} h")
            production = cal_at(bag.prepared_at).production
            if not production.contains(bag.prepared_at):
                bad(n, i, "production", f"prepared {_iso(bag.prepared_at)} outside production "
                    "windows")
            elif not production.on_slot(bag.prepared_at, st.prep_slot_min):
                bad(n, i, "prep slot", f"prepared {_iso(bag.prepared_at)}, not on the "
                    f"{st.prep_slot_min} min slot grid from the window's opening")
            expiry = p + dt.timedelta(hours=st.stability_h)
            if abs(_h(expiry, bag.expires_at)) > _EPS_H:
                bad(n, i, "expiry", f"expires {_iso(bag.expires_at)}, prepared "
                    f"{_iso(bag.prepared_at)} + {st.stability_h:g} h is {_iso(expiry)}")
            # who hangs it
            if i == 1 or s <= inp_end or any(a <= s <= b for a, b in wards):
                allowed = {"inpatient"}
            elif i in after_gap and _h(after_gap[i], s) >= restart_h - _EPS_H:
                allowed = {"inpatient", "day_hospital"}  # a supervised restart, in hospital
            elif i in after_gap or any(_u(h) == s for h in cr.hospital_changes):
                allowed = {request.change_mode, "inpatient", "day_hospital"}
            else:
                allowed = {request.change_mode}
            who = str(bag.changed_by)
            if who not in allowed:
                bad(n, i, "who", f"changed by {bag.changed_by}, expected "
                    f"{' or '.join(sorted(allowed))} at {_iso(bag.start)}")
            if i > 1 and who != "inpatient" and not cal_at(bag.start).of(who).contains(
                    bag.start):
                bad(n, i, "change window", f"{who} cannot change a bag at {_iso(bag.start)}")
            tr = st.transport_hospital_h if who in ("inpatient", "day_hospital") else home_tr
            if _h(p, s) < tr - _EPS_H:
                bad(n, i, "transport", f"prepared {_iso(bag.prepared_at)}, hung "
                    f"{_iso(bag.start)}: less than {tr:g} h transport")
            # dose steps
            for change, _ in steps[1:]:
                if s < change < e:
                    bad(n, i, "dose change", f"bag crosses the dose change at "
                        f"{_iso(change.astimezone(cp.start.tzinfo))}")
            rate = [r for t, r in steps if t <= s][-1]
            if abs(bag.rate_ug_per_day - rate) > _EPS_UG:
                bad(n, i, "rate", f"{bag.rate_ug_per_day} ug/day, regimen gives {rate} at start")
            dose = bag.rate_ug_per_day * (made + ov) / 24.0
            if abs(bag.dose_ug - dose) > _EPS_UG:
                bad(n, i, "dose", f"{bag.dose_ug} ug, expected {dose}")
            vials = math.ceil(dose / st.vial_ug - 1e-9)
            if bag.vials != vials:
                bad(n, i, "vials", f"{bag.vials} vials for {dose:.3f} ug, expected {vials}")
            for v in _contents(bag, made, ov, dose, drug):
                bad(n, i, "contents", v)
    allbags = [b for c in plan.cycles for b in c.bags]
    if plan.totals.bags != len(allbags) or plan.totals.vials != sum(b.vials for b in allbags):
        bad(None, None, "totals", "bags or vials do not add up")
    return out


def assert_safe(plan: Plan, request: Request, transport_h: float | None = None) -> None:
    """Raise :class:`UnsafePlanError` with the first violation, if any."""
    violations = check_plan(plan, request, transport_h)
    if violations:
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise UnsafePlanError(f"unsafe plan for {plan.patient_id}: {violations[0]}{more}")
