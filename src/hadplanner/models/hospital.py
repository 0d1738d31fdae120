"""Hospitals with an emergency department: the patient's first-recourse hospital.

The thesis (seeds/004_f74a96c90217015e.txt l. 1606-1616) recommends that the
hospital nearest to the patient be informed of the home treatment and of what
to do in case of a problem, as first recourse; the prescribing service names a
contact as second recourse. hadplanner takes as first recourse the nearest
hospital with an emergency department ("structure des urgences" authorised by
the ARS), from a list of hospitals such as ``territories/occitanie/hospitals.yaml``.

These models hold no I/O (see :mod:`hadplanner.pathway.hospitals`).
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from hadplanner.models.base import Day, Flag, Model, Text
from hadplanner.models.territory import InseeCode, Point

_FINESS = r"^(\d{2}|2[AB])\d{7}$"

FRANCE_BOXES: tuple[tuple[str, float, float, float, float], ...] = (
    # name, south, north, west, east (WGS84 degrees, a margin of ~10 km)
    ("metropolitan France", 41.2, 51.2, -5.3, 9.7),
    ("Guadeloupe", 15.8, 16.6, -61.9, -60.9),
    ("Martinique", 14.3, 15.0, -61.3, -60.7),
    ("French Guiana", 2.0, 5.9, -54.7, -51.5),
    ("La Réunion", -21.5, -20.8, 55.1, 55.9),
    ("Mayotte", -13.1, -12.5, 44.9, 45.4),
)
"""Boxes around the parts of France with departments: a hospital point outside
every box is a typing error (latitude and longitude swapped, a sign lost)."""


def in_france(point: Point) -> bool:
    """True if the point lies in one of :data:`FRANCE_BOXES`."""
    return any(s <= point.lat <= n and w <= point.lon <= e for _, s, n, w, e in FRANCE_BOXES)


def department_of(insee: str) -> str:
    """The department of an INSEE commune code: ``31`` for 31555, ``974`` for 97411."""
    return insee[:3] if insee.startswith("97") else insee[:2]


class Hospital(Model):
    """A hospital site, with or without an emergency department."""

    id: Text = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    """A short stable identifier, e.g. ``ch-albi``."""
    name: Text = Field(min_length=1)
    town: Text = Field(min_length=1)
    """The town as people name it (for messages); the commune is ``insee``."""
    insee: InseeCode
    """INSEE code of the commune where the site is."""
    location: Point
    """The site (WGS84)."""
    emergency: Flag
    """True: the site has an emergency department ("structure des urgences")."""
    paediatric_only: Flag = False
    """True: the emergency department takes children only ("urgences pédiatriques")."""
    finess: Text | None = Field(default=None, pattern=_FINESS)
    """FINESS number of the site ("entité géographique"), 9 characters."""
    source: Text = Field(min_length=1)
    """Where the entry comes from: document, date, and how the point was taken."""
    notes: Text = ""
    """What a user should know: night closures, moves, assumptions."""

    @field_validator("location")
    @classmethod
    def _in_france(cls, location: Point) -> Point:
        if not in_france(location):
            raise ValueError(
                f"({location.lat:g}, {location.lon:g}) is outside France (metropolitan France "
                "and the overseas departments): latitude and longitude swapped, or a sign lost?"
            )
        return location

    @field_validator("finess")
    @classmethod
    def _finess_of_the_department(cls, finess: str | None, info: ValidationInfo) -> str | None:
        insee = info.data.get("insee")
        if finess and insee:
            dept = department_of(insee)
            if not dept.startswith("97") and finess[:2] != dept:
                raise ValueError(
                    f"FINESS {finess} is of department {finess[:2]} but INSEE code {insee} is "
                    f"a commune of department {dept}"
                )
        return finess

    @model_validator(mode="after")
    def _paediatric_has_emergency(self) -> Hospital:
        if self.paediatric_only and not self.emergency:
            raise ValueError("paediatric_only is true but emergency is false")
        return self

    @property
    def department(self) -> str:
        return department_of(self.insee)


class HospitalList(Model):
    """A list of hospitals and where it comes from (``hospitals.yaml``)."""

    source: Text = Field(min_length=1)
    """The documents the list was drawn from, with their dates."""
    date: Day
    """The day the list describes (the date of its main source)."""
    coverage: Text = ""
    """What the list covers, and what may be missing from it."""
    hospitals: tuple[Hospital, ...] = Field(min_length=1)

