"""From a request and the drug catalogue to cycle specifications.

A :class:`CycleSpec` is everything the planner needs about one cycle, in real
instants: ``T0``, ``T_end = T0 + cycle_days x 24 h`` (672 real hours by
default, so a cycle crossing the March change ends at 11:00+02:00 for a
10:00+01:00 start), the end of the inpatient period ``T0 + n x 24 h`` and the
dose steps (the day-8 step-up at ``T0 + 7 x 24 h``), with the patient's rate
(per m2 of body surface under the drug's weight threshold, capped at the
flat dose).
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

    @property
    def cycle_h(self) -> float:
        """Real hours of infusion in the cycle."""
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


def cycle_spec(number: int, start: dt.datetime, regimen_name: str, regimen: Regimen,
               patient: Patient, drug: Drug, cycle_days: int, change_mode: str,
               transport_h: float) -> CycleSpec:
    """The :class:`CycleSpec` of one cycle."""
    t0 = start.astimezone(PARIS)
    t_end = add_hours(t0, 24 * cycle_days)
    n = min(regimen.inpatient_days_for(number), cycle_days)
    steps: list[tuple[dt.datetime, float]] = []
    for step in regimen.steps:
        if step.from_day > cycle_days:
            break
        rate = patient_rate(step.ug_per_day, step.ug_per_m2_per_day, patient, drug)
        steps.append((add_hours(t0, 24 * (step.from_day - 1)), rate))
    return CycleSpec(
        number=number, regimen=regimen_name, t0=t0, t_end=t_end, inpatient_days=n,
        inpatient_end=add_hours(t0, 24 * n), steps=tuple(steps), change_mode=change_mode,
        transport_h=transport_h,
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
    return [
        cycle_spec(c.number, c.start, c.regimen, drug.regimen(c.regimen), request.patient, drug,
                   request.settings.cycle_days, request.change_mode, tr)
        for c in request.cycles
    ]
