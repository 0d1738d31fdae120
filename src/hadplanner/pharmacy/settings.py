"""The PUI's settings for the joint production plan: capacities, vial sharing, freezing.

Every number is a setting with a stated default and bounds, as for a request
(:class:`hadplanner.models.request.Settings`); a ``pharmacie.yaml`` beside the
request files, or the command line, overrides them.

Defaults and where they come from:

- ``capacity_per_day`` 6: the spec ("Several patients": at most N
  blinatumomab preparations per production day, default 6);
- ``capacity_per_slot`` 2: at most two preparations finish in one slot of
  the pharmacy's grid (``prep_slot_min``, 15 min): two operators at the
  cytotoxic unit's isolators (an assumption of this tool, not of the
  thesis; the single-patient plans of the examples put two bags on one
  slot twice); 1 models a single operator;
- ``vial_stability_h`` 24: a reconstituted vial keeps 24 h at 2-8 C (label);
- ``reconstitution_lead_min`` 15: a vial is reconstituted at most 15 min
  (one slot: one bag is compounded per slot) before the end of compounding
  of the first bag drawn from it, so its 24 h count from ``prepared_at -
  15 min``; a later bag may draw from it only if it is *finished* within
  those 24 h (on the safe side: its drug is drawn before it is finished);
- ``period_min`` 60: the solver counts lots per part of a production day
  of this length (09:00-09:45, 10:00-10:45, ...): a vial opened in a part
  serves the same day's later parts and the next day's parts that end 24 h
  after that part's start less the lead (a vial opened at 14:00-14:45
  serves the next day's bags up to 13:45); the exact lots are counted
  afterwards bag by bag (:mod:`hadplanner.pharmacy.lots`), never more;
- ``prep_days`` 2: a bag is compounded on one of the last two production
  days before it is hung (stability allowing): fresh bags, and a model of
  the right size;
- ``freeze_h`` 48: bags prepared or hung within 48 h of ``now`` do not move
  when the plan is made again (the past never moves).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hadplanner.models.base import Model, Real, Text, Whole, bounded
from hadplanner.models.hours import Closure


class Weights(Model):
    """The objective's weights below the bag count (which is fixed per patient).

    The objective is ``vials x vial + peak_preparations x preparations +
    sum over HADs of peak_visits x visits``; ``vial`` is raised, when needed,
    above the largest possible sum of the peaks so that one vial always
    outweighs any workload (lexicographic order: vials, then peaks).
    """

    vial: Annotated[Whole, bounded(1, 1_000_000, "", "weight of one vial")] = 1000
    preparations: Annotated[Whole, bounded(0, 1000, "", "weight of the peak of "
                                           "preparations per day")] = 1
    visits: Annotated[Whole, bounded(0, 1000, "", "weight of each HAD's peak of "
                                     "bag-change visits per day")] = 1


class PharmacySettings(Model):
    """The PUI's capacities and the rules of vial sharing (see the module docstring)."""

    capacity_per_day: Annotated[Whole, bounded(1, 500, "preparations",
                                               "blinatumomab preparations a production day")] = 6
    capacity_per_slot: Annotated[Whole, bounded(1, 500, "preparations",
                                                "preparations finished in one slot")] = 2
    had_capacity: dict[Text, Annotated[Whole, bounded(1, 500, "visits",
                                                      "bag-change visits a day")]] = Field(
        default_factory=dict)
    """Bag-change visits a day per HAD id; overrides the territory's ``visit_capacity_per_day``."""
    default_had_capacity: Annotated[Whole, bounded(1, 500, "visits",
                                                   "bag-change visits a day")] | None = None
    """Visits a day of an HAD that neither the territory nor ``had_capacity`` caps (None:
    unbounded)."""
    vial_stability_h: Annotated[Real, bounded(0.5, 168, "h", "a reconstituted vial at 2-8 C "
                                              "(label: 24 h)")] = 24.0
    reconstitution_lead_min: Annotated[Whole, bounded(0, 240, "min",
                                                      "reconstitution before the end of "
                                                      "compounding")] = 15
    period_min: Annotated[Whole, bounded(15, 24 * 60, "min",
                                         "parts of a production day for the lots")] = 60
    prep_days: Annotated[Whole, bounded(1, 7, "days", "production days a bag may be "
                                        "compounded on, latest first")] = 2
    freeze_h: Annotated[Real, bounded(0, 24 * 28, "h", "frozen near future")] = 48.0
    closed: tuple[Closure, ...] = ()
    """Exceptional closures of the PUI (``YYYY-MM-DD`` or ranges), for every patient."""
    weights: Weights = Field(default_factory=Weights)
    time_limit_s: Annotated[Real, bounded(0.1, 36_000, "s", "solver time")] = 20.0
    relative_gap: Annotated[Real, bounded(0, 1, "", "stop within this gap of the "
                                          "bound")] = 0.005
    """Stop as soon as the plan is within this fraction of the bound (0: prove optimality;
    0.005: half a percent, about one vial in two hundred)."""
    workers: Annotated[Whole, bounded(1, 64, "", "solver threads")] = 2
    random_plans: Annotated[Whole, bounded(0, 50, "", "diversified candidate plans "
                                           "per cycle")] = 4
    """Candidate plans per cycle besides the patient's own, the least drug and the weekday
    pairs (see :mod:`hadplanner.pharmacy.candidates`)."""
    seed: Whole = 0

    def had_capacity_of(self, had_id: str | None, territory_value: int | None) -> int | None:
        """Visits a day of an HAD: this file's value, else the territory's, else the default."""
        if had_id is None:
            return None
        if had_id in self.had_capacity:
            return self.had_capacity[had_id]
        if territory_value is not None:
            return territory_value
        return self.default_had_capacity
