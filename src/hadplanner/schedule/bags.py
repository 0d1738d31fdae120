"""One bag as the plan states it: dose and vials, and what the pharmacy puts in it.

The planner and the practice build their bags here, so both count drug and
volumes the same way; the checker recomputes every number on its own.

What is in a bag (numbers from ``data/drugs.yaml``, each with its source):
the pump runs at one rate whatever the dose (thesis III.B.1), so the bag
holds ``volume = pump_rate_ml_h x (duration + overfill)``; the drug comes
from reconstituted vials, ``drug_ml = dose / reconstituted_ug_per_ml``; the
stabiliser is a fixed volume; NaCl 0.9 % makes up the rest. Volumes are
written to 0.01 mL.
"""

from __future__ import annotations

import datetime as dt
import math

from hadplanner.errors import InputError
from hadplanner.models.drug import Drug
from hadplanner.models.plan import Bag, ChangedBy
from hadplanner.models.request import PARIS, UTC, Settings


def dose_ug(rate_ug_per_day: float, duration_h: float, overfill_h: float) -> float:
    """Drug in a bag: the daily rate over its duration plus overfill (to 1e-9 ug)."""
    return round(rate_ug_per_day * (duration_h + overfill_h) / 24.0, 9)


def vials_for(dose: float, vial_ug: float) -> int:
    """Vials opened for one bag without sharing."""
    # Round before ceil: 3 x 38.5 must not become 4 vials through float noise.
    return max(1, math.ceil(round(dose / vial_ug, 9)))


def make_bag(index: int, prepared_at: dt.datetime, start: dt.datetime, end: dt.datetime,
             overfill_h: float, rate_ug_per_day: float, changed_by: str, settings: Settings,
             drug: Drug) -> Bag:
    """The :class:`Bag` hung at ``start`` until ``end``, prepared at ``prepared_at``."""
    duration_h = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600.0
    dose = dose_ug(rate_ug_per_day, duration_h, overfill_h)
    volume = round(drug.pump_rate_ml_h * (duration_h + overfill_h), 2)
    drug_ml = round(dose / drug.reconstituted_ug_per_ml, 2)
    return Bag(
        index=index,
        prepared_at=prepared_at.astimezone(PARIS),
        start=start.astimezone(PARIS),
        end=end.astimezone(PARIS),
        duration_h=duration_h,
        overfill_h=overfill_h,
        rate_ug_per_day=rate_ug_per_day,
        dose_ug=dose,
        vials=vials_for(dose, settings.vial_ug),
        changed_by=ChangedBy(changed_by),
        expires_at=(prepared_at.astimezone(UTC)
                    + dt.timedelta(hours=settings.stability_h)).astimezone(PARIS),
        pump_rate_ml_h=drug.pump_rate_ml_h,
        volume_ml=volume,
        drug_ml=drug_ml,
        nacl_ml=round(volume - drug_ml - drug.stabiliser_ml, 2),
        stabiliser_ml=drug.stabiliser_ml,
    )


def check_bag_volumes(settings: Settings, drug: Drug, max_rate_ug_per_day: float) -> None:
    """Refuse settings whose bags cannot be made: too small for the stabiliser, too large.

    Raises
    ------
    InputError
        The shortest bag the settings allow cannot hold the stabiliser and the
        drug, or the longest one holds more than the NaCl bag.
    """
    def filled_h(d: float) -> float:
        return d + (settings.overfill_h if d <= settings.overfill_max_bag_h else 0.0)

    shortest = max(settings.min_bag_h, settings.grid_minutes / 60)
    h = filled_h(shortest)
    need = drug.stabiliser_ml + max_rate_ug_per_day * h / 24 / drug.reconstituted_ug_per_ml
    if drug.pump_rate_ml_h * h < need:
        raise InputError(
            f"a {shortest:g} h bag (min_bag_h) holds {drug.pump_rate_ml_h * h:.2f} mL at "
            f"{drug.pump_rate_ml_h:g} mL/h, less than its stabiliser and drug ({need:.2f} mL): "
            "raise min_bag_h or overfill_h")
    longest = max(filled_h(settings.max_bag_h),
                  filled_h(min(settings.max_bag_h, settings.overfill_max_bag_h)))
    if drug.pump_rate_ml_h * longest > drug.bag_nacl_ml:
        raise InputError(
            f"a {longest:g} h bag (max_bag_h, overfill) holds {drug.pump_rate_ml_h * longest:g} mL "
            f"at {drug.pump_rate_ml_h:g} mL/h, more than the {drug.bag_nacl_ml:g} mL bag")
