"""A bag-change plan: the JSON contract of ``../shared/spec/bag-scheduling.md``.

``hadplanner plan REQUEST --json`` prints ``Plan.model_dump_json()``. Every
datetime is timezone-aware (Europe/Paris) and is written with its UTC offset.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, PlainSerializer

from hadplanner.models.base import Model


def _iso(value: dt.datetime) -> str:
    # Seconds always written, as in the spec's example: strict RFC 3339 readers need them.
    return value.isoformat(timespec="seconds")


Instant = Annotated[AwareDatetime, PlainSerializer(_iso, return_type=str)]
"""An aware datetime written ``2027-01-04T10:00:00+01:00`` with its offset."""


class ChangedBy(StrEnum):
    """Who hangs a bag."""

    inpatient = "inpatient"
    day_hospital = "day_hospital"
    had_nurse = "had_nurse"


class Bag(Model):
    """One bag: when it is made and hung, and what the pharmacy puts in it.

    Volumes (mL, to 0.01 mL) follow ``data/drugs.yaml``: the bag holds
    ``pump_rate_ml_h x (duration_h + overfill_h)``, of which ``drug_ml =
    dose_ug / reconstituted concentration``, ``stabiliser_ml`` and NaCl 0.9 %
    for the rest.
    """

    index: int = Field(ge=1)
    prepared_at: Instant
    start: Instant
    end: Instant
    duration_h: float = Field(gt=0)
    overfill_h: float = Field(ge=0)
    rate_ug_per_day: float = Field(gt=0)
    dose_ug: float = Field(gt=0)
    vials: int = Field(ge=1)
    changed_by: ChangedBy
    expires_at: Instant
    """prepared_at + stability: the bag must be finished (overfill included) by then."""
    pump_rate_ml_h: float = Field(gt=0)
    volume_ml: float = Field(gt=0)
    drug_ml: float = Field(ge=0)
    """Reconstituted drug drawn from the vials."""
    nacl_ml: float
    """NaCl 0.9 % left in the bag (the checker refuses a negative one)."""
    stabiliser_ml: float = Field(ge=0)
    """IV solution stabiliser, added before the drug."""
    planned_end: Instant | None = None
    """Set when the infusion of this bag stopped at ``end``, before the end it was
    compounded for (pump failure, leak, interruption, treatment stopped; or a last bag
    made for ``min_bag_h`` and stopped at the cycle's end): the volumes, dose, vials and
    overfill are those of ``start`` -> ``planned_end``, the rest is discarded.
    ``duration_h`` is the real infusion, ``start`` -> ``end``."""


class Period(Model):
    """A closed interval of real time, ``[start, end]``."""

    start: Instant
    end: Instant


class CyclePlan(Model):
    number: int = Field(ge=1)
    regimen: str
    start: Instant
    end: Instant
    """The end of the infusion: ``start`` + 28 days + the interruptions, or ``stopped_at``."""
    inpatient_until: Instant
    """End of the inpatient period, moved by the interruptions before it (infusion time)."""
    bags: tuple[Bag, ...] = Field(min_length=1)
    interruptions: tuple[Period, ...] = ()
    """Declared gaps when no drug flows (the cycle's end moves by their total; the first
    bag after one of ``hospital_restart_h`` or more is hung in hospital)."""
    ward_periods: tuple[Period, ...] = ()
    """Readmissions meeting the cycle: every bag change in one is done by the ward."""
    stopped_at: Instant | None = None
    """The infusion ended for good at this instant, before 28 days of infusion: the
    treatment was stopped, or an interruption of more than 7 days started a new cycle."""


class PlanTotals(Model):
    """What a plan costs and asks of people: compared against the practice."""

    bags: int
    vials: int
    euros: float
    day_hospital_trips: int
    """Patient trips to the day hospital for a bag change."""
    nurse_visits: int
    """HAD nurse visits for a bag change."""


class PracticeDeviation(Model):
    """A fixed change day the practice could not keep, or a change it added.

    Written by :func:`hadplanner.schedule.baseline.practice_deviations`; the
    plan table prints one line for each.
    """

    cycle: int = Field(ge=1)
    fixed_day: dt.date | None = None
    """The fixed weekday the practice could not use (None for an extra change)."""
    changes: tuple[Instant, ...] = ()
    """The practice's changes made instead, in time order (none: the day was skipped)."""
    reasons: tuple[str, ...] = ()
    """Why, as codes: ``public_holiday``, ``production_closed``, ``day_hospital_closed``,
    ``had_nurse_closed``, ``bag_limit``, ``early_preparation``, ``too_close``,
    ``reaches_dose_change``, ``reaches_end``, ``before_boundary``."""
    holiday: str | None = None
    """The public holiday's name (English, from the ``holidays`` package) on `fixed_day`."""


class Baseline(Model):
    """The practice to beat on the same request (fixed weekday pairs, 3/4-day bags)."""

    feasible: bool
    reason: str | None = None
    """Why the practice cannot plan this request safely, when it cannot."""
    weekdays: tuple[str, str] | None = None
    """The weekday pair chosen, e.g. ("mon", "thu")."""
    bags: int | None = None
    vials: int | None = None
    euros: float | None = None
    day_hospital_trips: int | None = None
    nurse_visits: int | None = None
    cycles: tuple[CyclePlan, ...] = ()
    deviations: tuple[PracticeDeviation, ...] = ()
    """Each fixed day the practice could not keep and what it did instead."""


class Plan(Model):
    patient_id: str
    drug: str
    change_mode: ChangedBy
    transport_h: float | None = None
    """PUI -> home road time used for HAD changes (setting, travel model or 2.0 h default)."""
    transport_hospital_h: float | None = None
    """PUI -> ward / day hospital time used for bags hung in the hospital."""
    cycles: tuple[CyclePlan, ...]
    totals: PlanTotals
    baseline: Baseline
    checked: bool = False
    """True once the independent checker has passed every invariant on this plan."""
    warnings: tuple[str, ...] = ()
    """What the request asked differently from the drug's label, repeated in every output."""
    frozen_until: Instant | None = None
    """The instant of the last event this plan was re-planned from: what happened before
    it is history (the bags hung before it are those of the previous version, to the
    second); None for a plan made from the request alone."""
