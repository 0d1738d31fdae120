"""The territory: communes, HAD establishments, their chemotherapy authorisations
and intervention zones, and the prescribing centre.

These models hold no geometry and do no I/O: polygons live in a GeoDataFrame
beside them (see :mod:`hadplanner.territory.loading`), keyed by INSEE code.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator, model_validator

from hadplanner.models.base import Clock, Day, Flag, Model, Real, Text, Whole, bounded, show
from hadplanner.models.hours import WEEKDAYS, Weekday, WindowSettings

_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def _check_insee(code: str) -> str:
    if not isinstance(code, str) or not _INSEE.match(code):
        raise ValueError(f"not an INSEE commune code: {code!r} (five characters, e.g. 31555)")
    return code


InseeCode = Annotated[str, BeforeValidator(_check_insee)]
"""An INSEE commune code ("code officiel géographique"): 31555, 2A004..."""

Latitude = Annotated[Real, bounded(-90, 90, "degrees", "a WGS84 latitude")]
Longitude = Annotated[Real, bounded(-180, 180, "degrees", "a WGS84 longitude")]

_DEPARTMENT = re.compile(r"^(0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5]|2A|2B|97[1-6])$")


def _check_department(code: object) -> str:
    if not isinstance(code, str) or not _DEPARTMENT.match(code):
        raise ValueError(
            f"not a French department code: {show(code)} (01-95, 2A, 2B, 971-976, as text)")
    return code


DepartmentCode = Annotated[str, BeforeValidator(_check_department)]
"""A French department code: ``09``, ``31``, ``2A``, ``974`` (99 is no department)."""


class Point(Model):
    """A WGS84 point."""

    lat: Latitude
    lon: Longitude


class Commune(Model):
    """A commune of the territory (its polygon is in the territory's GeoDataFrame)."""

    insee: InseeCode
    name: Text = Field(min_length=1)
    department: DepartmentCode
    population: Annotated[Whole, bounded(0, 3_000_000, "inhabitants",
                                         "Paris, the largest commune, has 2.1 million")]
    centre: Point
    """A representative point: the town hall when known, else a point inside the polygon."""


class LegalStatus(StrEnum):
    """Legal status of an HAD establishment (thesis table 26)."""

    public_hospital = "public_hospital"
    """Attached to a public hospital ("rattaché à un centre hospitalier public")."""
    private_clinic = "private_clinic"
    """Attached to a private for-profit clinic."""
    private_for_profit = "private_for_profit"
    """Autonomous private for-profit establishment."""
    private_non_profit = "private_non_profit"
    """Autonomous private non-profit establishment."""


class SiteKind(StrEnum):
    main = "main"
    annex = "annex"


class Site(Model):
    """A site of an HAD (main site or "site annexe")."""

    kind: SiteKind
    town: Text = Field(min_length=1)
    insee: InseeCode
    location: Point
    source: Text = ""
    """Where the site comes from (annex towns are not in the thesis: say so)."""


class Supply(StrEnum):
    """How an HAD gets its drugs."""

    own_pui = "own_pui"
    """The PUI of the hospital it is attached to."""
    community_pharmacy = "community_pharmacy"
    """Community pharmacies ("officines") and conventions with nearby hospitals."""


class AuthorisationBasis(StrEnum):
    """Why an HAD may give chemotherapy at home (R6123-90-1 CSP)."""

    attached = "attached"
    """Attached to a hospital authorised for chemotherapy."""
    associated = "associated"
    """"Établissement associé" of an authorised holder."""


class ChemoAuthorisation(Model):
    """An authorisation to give anticancer treatment at home, valid on [valid_from, valid_until]."""

    basis: AuthorisationBasis
    holder: Text = Field(min_length=1)
    """The authorised hospital the HAD is attached or associated to."""
    valid_from: Day | None = None
    """None: before any date the territory cares about."""
    valid_until: Day | None = None
    """Last day of validity; None: still valid."""
    source: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> ChemoAuthorisation:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(
                f"authorisation ends ({self.valid_until}) before it starts ({self.valid_from})"
            )
        return self

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class BagSupply(StrEnum):
    """How the bags of the drug reach the patient's home (a per-HAD setting)."""

    courier = "courier"
    """A courier carries each bag from the prescribing centre's PUI to the home."""
    had_fetches = "had_fetches"
    """The HAD fetches the bags at the PUI and takes them from its site to the home."""
    had_pui = "had_pui"
    """The HAD's own PUI supplies the bags, from its site to the home."""


class NurseVisits(WindowSettings):
    """When an HAD's nurses visit a patient's home to change a bag (local time)."""

    days: tuple[Weekday, ...] = Field(default=WEEKDAYS, min_length=1, max_length=7)
    open: Clock = dt.time(8, 0)
    close: Clock = dt.time(20, 0)
    closed_on_holidays: Flag = False
    source: Text = "shared/spec/bag-scheduling.md default (HAD nurse 08:00-20:00 every day)"


class HAD(Model):
    """An HAD establishment ("établissement d'hospitalisation à domicile")."""

    id: Text = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    """A short stable identifier, e.g. ``had-montauban``."""
    name: Text = Field(min_length=1)
    finess: Text | None = Field(default=None, pattern=r"^[0-9AB]{9}$")
    legal_status: LegalStatus
    departments: tuple[DepartmentCode, ...] = Field(min_length=1)
    sites: tuple[Site, ...] = Field(min_length=1)
    supply: Supply
    pui: Text | None = None
    """Name of the PUI (or the supplying hospital) it works with."""
    authorisations: tuple[ChemoAuthorisation, ...] = ()
    patients_treated: Annotated[Whole, bounded(0, 10_000, "patients",
                                               "patients on the drug an HAD has taken")] = 0
    """Patients on the drug it has taken (thesis table 27)."""
    last_patient: Day | None = None
    """Date of its last patient on the drug, when known (training rule)."""
    source: Text = ""
    notes: Text = ""
    """Free text: announced changes (take-over, association), assumptions."""
    nurse_visits: NurseVisits = NurseVisits()
    """Bag-change visit hours (default: the spec's HAD nurse window)."""
    bag_supply: BagSupply = BagSupply.courier
    """How the bags reach the home (default: a courier from the prescribing PUI)."""
    visit_capacity_per_day: Annotated[Whole, bounded(1, 500, "visits",
                                                     "bag-change visits a day")] | None = None
    """Bag-change visits of this drug the HAD can make in a day (None: not known)."""

    @field_validator("sites")
    @classmethod
    def _one_main_site(cls, sites: tuple[Site, ...]) -> tuple[Site, ...]:
        mains = [s for s in sites if s.kind is SiteKind.main]
        if len(mains) != 1:
            raise ValueError(f"an HAD has exactly one main site, found {len(mains)}")
        return sites

    @property
    def main_site(self) -> Site:
        return next(s for s in self.sites if s.kind is SiteKind.main)

    def authorised_on(self, day: dt.date) -> bool:
        """True if a chemotherapy authorisation is valid on ``day``."""
        return any(a.valid_on(day) for a in self.authorisations)


class Zone(Model):
    """An intervention zone ("zone d'intervention", R6123-140 CSP): a set of communes."""

    had_id: Text
    communes: frozenset[InseeCode] = Field(min_length=1)
    source: Text = ""


class OpeningHours(WindowSettings):
    """A service's weekly opening hours (the centre's PUI, its day hospital)."""

    days: tuple[Weekday, ...] = Field(default=WEEKDAYS[:5], min_length=1, max_length=7)
    closed_on_holidays: Flag = True


class Pump(Model):
    """The infusion pump the centre keeps for the drug (every HAD must have it)."""

    model: Text = Field(min_length=1)
    maker: Text = ""
    source: Text = ""


class PrescribingCentre(Model):
    """The prescribing cancer centre (IUCT-Oncopole): its PUI production and day hospital."""

    id: Text
    name: Text
    location: Point
    insee: InseeCode
    pui_production: OpeningHours
    day_hospital: OpeningHours
    prescribing_service: Text = ""
    """The prescribing service: the second-recourse contact of patients at home."""
    pump: Pump | None = None
    source: Text = ""


class Territory(Model):
    """A territory: communes, HADs, zones, the prescribing centre.

    Cross-references are checked: a zone naming an unknown commune or HAD, two
    HADs with one id, two zones for one HAD are errors that say which.
    """

    name: str
    departments: tuple[str, ...]
    communes: dict[InseeCode, Commune]
    hads: tuple[HAD, ...]
    zones: tuple[Zone, ...]
    centre: PrescribingCentre | None = None
    source: str = ""

    @model_validator(mode="after")
    def _cross_references(self) -> Territory:
        for code, commune in self.communes.items():
            if code != commune.insee:
                raise ValueError(f"commune keyed {code} has INSEE code {commune.insee}")
        seen: set[str] = set()
        for had in self.hads:
            if had.id in seen:
                raise ValueError(f"duplicate HAD id {had.id!r}")
            seen.add(had.id)
            for site in had.sites:
                if site.insee not in self.communes:
                    raise ValueError(
                        f"HAD {had.id!r}: site {site.town!r} has unknown INSEE code {site.insee}"
                    )
        zoned: set[str] = set()
        for zone in self.zones:
            if zone.had_id not in seen:
                raise ValueError(f"zone names unknown HAD {zone.had_id!r}")
            if zone.had_id in zoned:
                raise ValueError(f"HAD {zone.had_id!r} has two zones")
            zoned.add(zone.had_id)
            unknown = sorted(zone.communes - self.communes.keys())
            if unknown:
                more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
                raise ValueError(
                    f"zone of HAD {zone.had_id!r} names unknown commune {unknown[0]}{more}"
                )
        return self

    def had(self, had_id: str) -> HAD:
        for h in self.hads:
            if h.id == had_id:
                return h
        raise KeyError(had_id)

    def zone_of(self, had_id: str) -> Zone | None:
        return next((z for z in self.zones if z.had_id == had_id), None)
