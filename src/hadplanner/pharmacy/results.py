"""The pharmacy's joint plan as data: what ``hadplanner pharmacy --json`` prints.

Each patient's plan is the spec's contract (:class:`hadplanner.models.plan.Plan`,
checked); the sessions say, per production day, which bag finishes on which
slot, from which lots it draws, the vials opened and the drug wasted. The
whole object reads back (``--previous``) to make the plan again without
moving what is frozen.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from hadplanner.models.base import Model
from hadplanner.models.plan import ChangedBy, Instant, Plan
from hadplanner.pharmacy.settings import PharmacySettings


class LotDraw(Model):
    """Drug a bag takes from a lot; ``reused``: a leftover of a lot opened for an earlier bag."""

    lot: str
    ug: float
    reused: bool


class SessionBag(Model):
    """One preparation of a session: the slot it finishes on, the bag, and its drug."""

    slot: Instant
    patient_id: str
    cycle: int
    bag: int
    hang_at: Instant
    changed_by: ChangedBy
    dose_ug: float
    courier_departure: Instant
    """Latest departure from the PUI: the bag's start minus its transport."""
    draws: tuple[LotDraw, ...]


class LotReport(Model):
    """Vials reconstituted together: when, until when, for whom, what was left."""

    id: str
    reconstituted_at: Instant
    expires_at: Instant
    vials: int
    opened_for: str
    """``patient/cycle/bag`` of the bag that opened it."""
    served: tuple[str, ...]
    """``patient/cycle/bag`` of every bag that drew from it, in order."""
    waste_ug: float
    waste_eur: float


class Session(Model):
    """A production day of the PUI: its preparations, the lots it opened, what it reused."""

    day: dt.date
    preparations: tuple[SessionBag, ...]
    lots_opened: tuple[str, ...]
    vials_opened: int
    reused_ug: float
    """Drug drawn from leftovers of lots opened for earlier bags."""
    waste_ug: float
    """Drug left to expire in the lots this session opened."""
    waste_eur: float
    over_capacity: bool = False


class PatientResult(Model):
    """A patient in the joint plan: the plan (spec contract) and who receives the bags."""

    patient_id: str
    had_id: str | None = None
    had_name: str | None = None
    commune: str | None = None
    centre: str = ""
    transport_h: float
    plan: Plan
    own_bags: int
    """Bags of the patient's own optimal plan over the same cycles."""
    own_vials: int


class Move(Model):
    """A bag that moved since the previous plan (or appeared, or went)."""

    patient_id: str
    cycle: int
    bag: int
    before: tuple[Instant, Instant, Instant] | None
    """(prepared, start, end) in the previous plan; None: a new bag."""
    after: tuple[Instant, Instant, Instant] | None
    """(prepared, start, end) now; None: the bag is gone."""


class Figures(Model):
    """What a set of plans costs and asks of the PUI and the HADs, over the planned cycles."""

    bags: int
    vials_per_bag: int
    """Vials if every bag opened its own."""
    vials: int
    """Vials with lots shared while they keep (counted bag by bag)."""
    euros: float
    waste_ug: float
    preparations_peak: int
    preparations_mean: float
    preparations_std: float
    """Over the PUI's production days of the horizon (days without a preparation count)."""
    days_over_capacity: int
    slots_over_capacity: int
    """Slots where more preparations finish than the PUI's capacity a slot."""
    visits_peak: int
    """The most bag-change visits one HAD makes in one day."""
    visits_mean: float
    """Mean visits a day of an HAD, over the days it makes at least one."""
    days_over_had_capacity: int
    day_hospital_trips: int


class Comparison(Model):
    """The joint plan against the single-patient plans and the practice, on the same cycles."""

    joint: Figures
    single: Figures
    practice: Figures | None = None
    practice_note: str | None = None
    """Why the practice is missing or partial (a patient it cannot plan)."""


class SolverReport(Model):
    """What the solver found and proved (see :mod:`hadplanner.pharmacy.model`)."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    weights: tuple[int, int, int, int]
    """(vial, cycle moved off its previous plan, peak preparations, peak visits) as used
    (each raised above the terms after it: lexicographic)."""
    rounds: int
    """Solves: one, plus one per slot-capacity cut added."""
    size: dict[str, int]
    model_vials: int
    """Vials in the model's count (per part of day); the lots' count is never more."""
    vial_bound: int
    """Vials no plan of any kind can go below: the least drug of every cycle / a vial."""


class PharmacyPlan(Model):
    """The PUI's joint plan over a horizon (see the module docstring)."""

    start: dt.date
    end: dt.date
    """First day after the horizon."""
    weeks: int
    now: Instant | None = None
    frozen_until: Instant | None = None
    settings: PharmacySettings
    vial_ug: float
    vial_eur: float
    prep_slot_min: int = 15
    """The PUI's slot grid (minutes)."""
    solver: SolverReport
    patients: tuple[PatientResult, ...]
    sessions: tuple[Session, ...]
    lots: tuple[LotReport, ...]
    comparison: Comparison
    moved: tuple[Move, ...] = ()
    frozen_bags: int = 0
    skipped: tuple[str, ...] = Field(default=())
    """Patients with no cycle in the horizon."""
