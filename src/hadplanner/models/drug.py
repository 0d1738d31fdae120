"""The drug catalogue (``data/drugs.yaml``): bag rules and regimens as data.

The planner never hard-codes a dose or a hospitalisation length: it reads the
regimen named by the request from this catalogue. Every number of a drug
carries its source (thesis or SmPC) in ``sources``; a test checks none is
missing.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from hadplanner.errors import InputError
from hadplanner.models.base import Model, Real, Text, Whole
from hadplanner.paths import data_dir


class DoseStep(Model):
    """From day ``from_day`` of the cycle on, the daily dose.

    Patients under the drug's ``per_m2_below_kg`` get ``ug_per_m2_per_day``
    times their body surface, capped at ``ug_per_day`` (the SmPC's "max 9 /
    28 ug/day").
    """

    from_day: Whole = Field(ge=1, le=56)
    ug_per_day: Real = Field(gt=0)
    ug_per_m2_per_day: Real = Field(gt=0)


class Regimen(Model):
    """One dosing scheme: dose steps and the inpatient days at the cycle's start."""

    description: Text = ""
    source: Text
    steps: tuple[DoseStep, ...] = Field(min_length=1)
    inpatient_days: Whole = Field(ge=0, le=56)
    """Inpatient days of a cycle: the period ``[T0, T0 + n x 24 h]``."""
    inpatient_days_cycle1: Whole | None = Field(default=None, ge=0, le=56)
    """Inpatient days of cycle 1 when they differ from the later cycles' (MRD)."""

    @model_validator(mode="after")
    def _steps_ordered(self) -> Regimen:
        days = [s.from_day for s in self.steps]
        if days[0] != 1:
            raise ValueError("the first dose step must start on day 1")
        if any(b <= a for a, b in zip(days, days[1:], strict=False)):
            raise ValueError(f"dose steps must start on increasing days, got {days}")
        return self

    def inpatient_days_for(self, cycle_number: int) -> int:
        """Inpatient days of cycle ``cycle_number`` (1-based)."""
        if cycle_number == 1 and self.inpatient_days_cycle1 is not None:
            return self.inpatient_days_cycle1
        return self.inpatient_days


class Drug(Model):
    """A continuous-infusion drug: bag rules, vial, price, cycle, regimens."""

    name: Text
    brand: Text = ""
    stability_h: Real = Field(gt=0)
    stability_max_temp_c: Real
    overfill_h: Real = Field(ge=0)
    overfill_max_bag_h: Real = Field(ge=0)
    max_bag_h: Real = Field(gt=0)
    bag_durations_h: tuple[Real, ...]
    vial_ug: Real = Field(gt=0)
    vial_eur: Real = Field(ge=0)
    reconstituted_vial_h: Real = Field(gt=0)
    reconstituted_vial_temp_c: Text
    per_m2_below_kg: Real = Field(gt=0)
    cycle_days: Whole = Field(ge=1)
    off_days: Whole = Field(ge=0)
    max_cycles: Whole = Field(ge=1)
    pump_rate_ml_h: Real = Field(gt=0)
    """One pump rate for every bag, whatever the dose and the duration (thesis)."""
    reconstituted_ug_per_ml: Real = Field(gt=0)
    """Concentration of a reconstituted vial: drug mL = dose / this."""
    stabiliser_ml: Real = Field(ge=0)
    """IV solution stabiliser added to every bag, whatever its duration."""
    bag_nacl_ml: Real = Field(gt=0)
    """The NaCl 0.9 % bag the preparation is made in: no bag may hold more
    (``schedule.bags.check_bag_volumes`` refuses settings that would need more)."""
    follows: dict[str, Literal["thesis", "SmPC"]] = {}
    """Where the label and the thesis's practice differ: which one the default follows."""
    sources: dict[str, Text]
    regimens: dict[str, Regimen] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_number_has_a_source(self) -> Drug:
        skip = {"name", "brand", "sources", "regimens", "follows"}
        missing = [f for f in type(self).model_fields if f not in skip and f not in self.sources]
        if missing:
            raise ValueError(f"no source given for {', '.join(missing)}")
        unknown = sorted((set(self.sources) | set(self.follows)) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"sources or follows name unknown fields {', '.join(unknown)}")
        return self

    def regimen(self, name: str) -> Regimen:
        """The regimen ``name``; an :class:`InputError` listing the known ones otherwise."""
        try:
            return self.regimens[name]
        except KeyError:
            known = ", ".join(sorted(self.regimens))
            raise InputError(f"unknown regimen {name!r} for {self.name} (known: {known})") from None


def bsa_mosteller(weight_kg: float, height_cm: float) -> float:
    """Body surface area in m2 (Mosteller): sqrt(height_cm x weight_kg / 3600)."""
    return math.sqrt(height_cm * weight_kg / 3600.0)


def catalogue_path() -> Path:
    """The shipped catalogue file."""
    return data_dir() / "drugs.yaml"


@functools.lru_cache(maxsize=8)
def _load_catalogue(path: str) -> dict[str, Drug]:
    from hadplanner.io.reading import load_document
    from hadplanner.io.validation import validate

    doc = load_document(path, "drugs")
    if not isinstance(doc.data, dict):
        raise InputError(f"{doc.path}: expected a mapping of drug names")
    return {str(key): validate(Drug, body, doc.where, prefix=(key,))
            for key, body in doc.data.items()}


def load_drug(name: str = "blinatumomab", path: str | Path | None = None) -> Drug:
    """The drug ``name`` of the catalogue (``data/drugs.yaml`` unless ``path``).

    Raises
    ------
    InputError
        The catalogue is unreadable or malformed, or does not know ``name``.
    """
    drugs = _load_catalogue(str(path or catalogue_path()))
    try:
        return drugs[name]
    except KeyError:
        known = ", ".join(sorted(drugs))
        raise InputError(f"unknown drug {name!r} (catalogue has: {known})") from None
