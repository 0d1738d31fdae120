"""The PUI's view: what to compound on which production day, across patients.

Bags prepared in the same production session (one production day of the PUI)
draw on the same reconstituted vials while they are stable (24 h at 2-8 C by
default), so leftover drug ("reliquats") of one bag serves the next one and
vials are counted per session, not per bag (spec, "Several patients").
This module only *reads* plans that the planner has made and checked; it does
not move any bag (the multi-patient optimisation is a separate model).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

from pydantic import Field

from hadplanner.models.base import Model
from hadplanner.models.plan import ChangedBy, Instant, Plan

_EPS = 1e-9


class Preparation(Model):
    """One bag to compound: for whom, when it must be ready, what goes in."""

    patient_id: str
    cycle: int
    bag: int
    prepared_at: Instant
    """End of compounding (stability counts from here)."""
    hang_at: Instant
    """When the bag is hung (start of its infusion)."""
    expires_at: Instant
    """prepared_at + stability: the bag must be finished by then."""
    duration_h: float
    overfill_h: float
    rate_ug_per_day: float
    dose_ug: float
    vials_alone: int
    """Vials this bag would need on its own (no sharing)."""
    changed_by: ChangedBy
    volume_ml: float
    """What goes in the bag (``data/drugs.yaml``): total volume ..."""
    drug_ml: float
    """... of which reconstituted drug,"""
    nacl_ml: float
    """NaCl 0.9 %,"""
    stabiliser_ml: float
    """and IV solution stabiliser;"""
    pump_rate_ml_h: float
    """the pump's rate (one rate whatever the dose)."""


class ProductionDay(Model):
    """One production session of the PUI and its preparations."""

    day: dt.date
    preparations: tuple[Preparation, ...]
    dose_ug: float
    vials_shared: int
    """Vials opened for the session when reconstituted vials are shared between its bags."""
    vials_alone: int
    """Vials if every bag opened its own."""
    leftover_ug: float
    """Drug left in opened vials at the end of the session (wasted)."""
    over_capacity: bool
    """More preparations than the PUI's capacity for the day."""


class ProductionSheet(Model):
    """All production days over a set of plans."""

    vial_ug: float
    vial_eur: float
    capacity_per_day: int
    days: tuple[ProductionDay, ...]
    vials_shared: int = Field(ge=0)
    vials_alone: int = Field(ge=0)

    @property
    def vials_saved(self) -> int:
        return self.vials_alone - self.vials_shared

    @property
    def euros_saved(self) -> float:
        return self.vials_saved * self.vial_eur


def production_sheet(
    plans: Iterable[Plan],
    *,
    vial_ug: float = 38.5,
    vial_eur: float = 2628.0,
    stability_h: float = 96.0,
    capacity_per_day: int = 6,
) -> ProductionSheet:
    """Group the preparations of ``plans`` by production day and count vials per session.

    Parameters
    ----------
    plans
        Checked plans (one per patient).
    vial_ug, vial_eur
        Content and price of a vial.
    stability_h
        Unused: each bag's expiry is the plan's own (``Bag.expires_at``, real
        hours across a clock change). Kept for callers that pass it.
    capacity_per_day
        Blinatumomab preparations the PUI can make in a day (spec default 6).
    """
    by_day: dict[dt.date, list[Preparation]] = defaultdict(list)
    for plan in plans:
        for cycle in plan.cycles:
            for bag in cycle.bags:
                prep = Preparation(
                    patient_id=plan.patient_id,
                    cycle=cycle.number,
                    bag=bag.index,
                    prepared_at=bag.prepared_at,
                    hang_at=bag.start,
                    expires_at=bag.expires_at,
                    duration_h=bag.duration_h,
                    overfill_h=bag.overfill_h,
                    rate_ug_per_day=bag.rate_ug_per_day,
                    dose_ug=bag.dose_ug,
                    vials_alone=bag.vials,
                    changed_by=bag.changed_by,
                    volume_ml=bag.volume_ml,
                    drug_ml=bag.drug_ml,
                    nacl_ml=bag.nacl_ml,
                    stabiliser_ml=bag.stabiliser_ml,
                    pump_rate_ml_h=bag.pump_rate_ml_h,
                )
                by_day[bag.prepared_at.date()].append(prep)
    days = []
    for day in sorted(by_day):
        preps = tuple(sorted(by_day[day], key=lambda p: (p.prepared_at, p.patient_id)))
        dose = sum(p.dose_ug for p in preps)
        shared = math.ceil(dose / vial_ug - _EPS)
        days.append(
            ProductionDay(
                day=day,
                preparations=preps,
                dose_ug=round(dose, 6),
                vials_shared=shared,
                vials_alone=sum(p.vials_alone for p in preps),
                leftover_ug=round(shared * vial_ug - dose, 6),
                over_capacity=len(preps) > capacity_per_day,
            )
        )
    return ProductionSheet(
        vial_ug=vial_ug,
        vial_eur=vial_eur,
        capacity_per_day=capacity_per_day,
        days=tuple(days),
        vials_shared=sum(d.vials_shared for d in days),
        vials_alone=sum(d.vials_alone for d in days),
    )
