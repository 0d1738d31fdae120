"""From a request and the drug catalogue to cycle specifications.

A :class:`CycleSpec` is everything the planner needs about one cycle, in real
instants: ``T0``, ``T_end = T0 + cycle_days x 24 h`` (672 real hours by
default, so a cycle crossing the March change ends at 11:00+02:00 for a
10:00+01:00 start), the end of the inpatient period ``T0 + n x 24 h`` and the
dose steps (the day-8 step-up at ``T0 + 7 x 24 h``), with the patient's rate
(per m2 of body surface under the drug's weight threshold, capped at the
flat dose).

Events (``register.replan``) add to a cycle interruptions, a stop and ordered
rates. Times of the regimen are then *infusion* times: the dose step of day 8
comes after 7 x 24 h of infusion, the inpatient period lasts n x 24 h of
infusion and the cycle ends after 28 x 24 h of it, so each moves by the
interruptions before it (:func:`infusion_instant`); an ordered rate replaces
the regimen's from its instant to the cycle's end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hadplanner.models.drug import Drug, Regimen, bsa_mosteller, load_drug
from hadplanner.models.request import PARIS, UTC, Patient, Request
from hadplanner.schedule.calendars import add_hours


@dataclass(frozen=True)
class CycleSpec:
    """One cycle to plan.

    Attributes
    ----------
    number, regimen
        Cycle number (1-based) and regimen name.
    t0, t_end
        Start and end of the continuous infusion (aware, Europe/Paris).
    inpatient_end
        End of the inpatient period, included: ``t0 + inpatient_days x 24 h``.
    steps
        ``(from_instant, rate_ug_per_day)`` in time order, the first at ``t0``.
    change_mode
        Who changes bags after discharge: ``had_nurse`` or ``day_hospital``.
    transport_h
        PUI -> home road time (HAD changes).
    """

    number: int
    regimen: str
    t0: dt.datetime
    t_end: dt.datetime
    inpatient_days: int
    inpatient_end: dt.datetime
    steps: tuple[tuple[dt.datetime, float], ...]
    change_mode: str
    transport_h: float
    interruptions: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    """Declared gaps ``(start, end)`` in time order: no drug flows then."""
    ward: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    """Readmissions ``(admission, discharge)``: the ward changes the bags then."""
    stopped_at: dt.datetime | None = None
    """The infusion ends here for good (then ``t_end`` is this instant)."""

    @property
    def cycle_h(self) -> float:
        """Real hours from T0 to the end of the cycle (interruptions included)."""
        return (self.t_end.astimezone(UTC) - self.t0.astimezone(UTC)).total_seconds() / 3600

    @property
    def dose_changes(self) -> tuple[dt.datetime, ...]:
        """Instants where the rate changes (a bag boundary is forced there)."""
        return tuple(t for t, _ in self.steps[1:])

    def rate_at(self, t: dt.datetime) -> float:
        """The regimen's rate (ug/day) at instant ``t`` (a step applies from its instant on)."""
        rate = self.steps[0][1]
        for start, r in self.steps:
            if start.timestamp() <= t.timestamp():
                rate = r
        return rate


def patient_rate(step_ug_per_day: float, step_ug_per_m2: float, patient: Patient,
                 drug: Drug) -> float:
    """The patient's daily dose for one dose step.

    At or above ``drug.per_m2_below_kg`` the flat dose; below, the per-m2 dose
    times the Mosteller body surface, never more than the flat dose (SmPC:
    "max 9 / 28 ug/day"). Rounded to 1e-6 ug/day so that the planner and the
    checker agree on the same number.
    """
    if patient.weight_kg >= drug.per_m2_below_kg:
        return float(step_ug_per_day)
    bsa = bsa_mosteller(patient.weight_kg, patient.height_cm)
    return round(min(step_ug_per_m2 * bsa, step_ug_per_day), 6)


def infusion_instant(t0: dt.datetime, hours: float,
                     interruptions: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
                     ) -> dt.datetime:
    """The instant ``hours`` of infusion after ``t0``, the interruptions (in time order) skipped.

    An interruption starting at or before the instant reached so far pushes it by
    its length; one starting exactly then pushes it to the restart (no drug flows
    during the interruption, so what happens "at" that infusion time happens when
    the drug flows again).
    """
    t = t0.astimezone(UTC) + dt.timedelta(hours=hours)
    for a, b in interruptions:
        if a.astimezone(UTC) <= t:
            t += b.astimezone(UTC) - a.astimezone(UTC)
    return t.astimezone(PARIS)


def cycle_spec(number: int, start: dt.datetime, regimen_name: str, regimen: Regimen,
               patient: Patient, drug: Drug, cycle_days: int, change_mode: str,
               transport_h: float, *,
               interruptions: tuple[tuple[dt.datetime, dt.datetime], ...] = (),
               stopped_at: dt.datetime | None = None,
               dose_orders: tuple[tuple[dt.datetime, float], ...] = (),
               ward: tuple[tuple[dt.datetime, dt.datetime], ...] = ()) -> CycleSpec:
    """The :class:`CycleSpec` of one cycle (with its events: see the module docstring)."""
    t0 = start.astimezone(PARIS)
    n = min(regimen.inpatient_days_for(number), cycle_days)
    steps: list[tuple[dt.datetime, float]] = []
    for step in regimen.steps:
        if step.from_day > cycle_days:
            break
        rate = patient_rate(step.ug_per_day, step.ug_per_m2_per_day, patient, drug)
        if interruptions:
            steps.append((infusion_instant(t0, 24 * (step.from_day - 1), interruptions), rate))
        else:
            steps.append((add_hours(t0, 24 * (step.from_day - 1)), rate))
    for t, rate in dose_orders:  # an order replaces the regimen's rate and later steps
        steps = [x for x in steps if x[0].timestamp() < t.timestamp()] + [(t.astimezone(PARIS),
                                                                           rate)]
    if interruptions:
        t_end = infusion_instant(t0, 24 * cycle_days, interruptions)
        inpatient_end = infusion_instant(t0, 24 * n, interruptions)
    else:
        t_end = add_hours(t0, 24 * cycle_days)
        inpatient_end = add_hours(t0, 24 * n)
    if stopped_at is not None:
        t_end = stopped_at.astimezone(PARIS)
        steps = [x for x in steps if x[0].timestamp() < t_end.timestamp()]
    return CycleSpec(
        number=number, regimen=regimen_name, t0=t0, t_end=t_end, inpatient_days=n,
        inpatient_end=inpatient_end, steps=tuple(steps), change_mode=change_mode,
        transport_h=transport_h, interruptions=tuple(interruptions), ward=tuple(ward),
        stopped_at=stopped_at.astimezone(PARIS) if stopped_at is not None else None,
    )


def resolve_transport_h(request: Request, territory: str = "occitanie") -> float:
    """PUI -> home road time for HAD changes, in hours.

    The one rule lives in :func:`hadplanner.pathway.transport.resolve_transport`
    (setting, else the territory's travel model to the home, else 2.0 h).
    """
    from hadplanner.pathway.transport import resolve_transport

    return resolve_transport(request, territory).hours


def cycle_specs(request: Request, drug: Drug | None = None,
                transport_h: float | None = None) -> list[CycleSpec]:
    """The cycle specifications of a request, in order."""
    drug = drug or load_drug(request.drug)
    tr = resolve_transport_h(request) if transport_h is None else transport_h
    ward = tuple((w.start, w.end) for w in request.ward_periods)
    return [
        cycle_spec(c.number, c.start, c.regimen, drug.regimen(c.regimen), request.patient, drug,
                   request.settings.cycle_days, request.change_mode, tr,
                   interruptions=tuple((i.start, i.end) for i in c.interruptions),
                   stopped_at=c.stopped_at,
                   dose_orders=tuple((o.start, o.rate_ug_per_day) for o in c.dose_changes),
                   ward=ward)
        for c in request.cycles
    ]
