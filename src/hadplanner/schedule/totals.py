"""What a set of planned cycles costs and asks of people (planner and practice alike)."""

from __future__ import annotations

from collections.abc import Sequence

from hadplanner.models.plan import ChangedBy, CyclePlan, PlanTotals


def totals_of(cycles: Sequence[CyclePlan], vial_eur: float) -> PlanTotals:
    """Bags, vials, euros, day-hospital trips and HAD nurse visits of cycles.

    Trips and visits count the bags hung by the day hospital or the nurse:
    one trip or visit per change.
    """
    bags = [b for c in cycles for b in c.bags]
    vials = sum(b.vials for b in bags)
    return PlanTotals(
        bags=len(bags),
        vials=vials,
        euros=round(vials * vial_eur, 2),
        day_hospital_trips=sum(b.changed_by == ChangedBy.day_hospital for b in bags),
        nurse_visits=sum(b.changed_by == ChangedBy.had_nurse for b in bags),
    )
