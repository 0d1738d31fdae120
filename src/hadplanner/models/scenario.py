"""What-if scenarios: changes of authorisations or zones an ARS is considering.

A scenario file (YAML) lists changes applied in order::

    name: Croix Rouge (Gers) reprise par la Clinique Pasteur
    source: thesis 004, part 3 IV.V.C
    changes:
      - kind: takeover
        had: had-croix-rouge-gers
        by: had-clinique-pasteur

Kinds of change:

``takeover``
    HAD ``had`` is taken over by HAD ``by``. ``mode: absorb`` (default): its
    zone joins the taker's zone, its sites become annex sites of the taker and
    it disappears as a separate establishment. ``mode: attach``: it stays, with
    its own zone and sites, and becomes attached to the taker's authorised
    hospital (it gains an authorisation, basis ``attached``).
``associate``
    HAD ``had`` becomes "établissement associé" of the authorised hospital
    ``holder`` (optionally naming the HAD ``partner`` of that hospital) from
    ``since``.
``authorise`` / ``revoke``
    Add an authorisation / end every authorisation from ``since``.
``zone_add`` / ``zone_remove``
    Add communes to / remove communes from HAD ``had``'s zone.
``new_zone``
    Give HAD ``had`` exactly the zone ``communes`` (replacing any former zone).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from hadplanner.models.base import Model
from hadplanner.models.territory import AuthorisationBasis, InseeCode


class Takeover(Model):
    """An HAD taken over by another (thesis: Croix Rouge by Clinique Pasteur)."""

    kind: Literal["takeover"]
    had: str
    by: str
    mode: Literal["absorb", "attach"] = "absorb"
    since: dt.date | None = None
    """For ``attach``: first day of the gained authorisation (None: at once)."""


class Associate(Model):
    """An HAD becomes "établissement associé" of an authorised hospital (R6123-90-1 CSP)."""

    kind: Literal["associate"]
    had: str
    holder: str = Field(min_length=1)
    """The authorised hospital, e.g. "CH de Montauban"."""
    partner: str | None = None
    """HAD id of that hospital's own HAD, when it has one (checked to exist)."""
    since: dt.date | None = None


class Authorise(Model):
    """An HAD gains an authorisation."""

    kind: Literal["authorise"]
    had: str
    basis: AuthorisationBasis = AuthorisationBasis.associated
    holder: str = Field(min_length=1)
    since: dt.date | None = None
    until: dt.date | None = None


class Revoke(Model):
    """Every authorisation of an HAD ends the day before ``since`` (None: all removed)."""

    kind: Literal["revoke"]
    had: str
    since: dt.date | None = None


class ZoneAdd(Model):
    """Communes added to an HAD's zone."""

    kind: Literal["zone_add"]
    had: str
    communes: tuple[InseeCode, ...] = Field(min_length=1)


class ZoneRemove(Model):
    """Communes removed from an HAD's zone."""

    kind: Literal["zone_remove"]
    had: str
    communes: tuple[InseeCode, ...] = Field(min_length=1)


class NewZone(Model):
    """An HAD's zone replaced (or created) with exactly these communes."""

    kind: Literal["new_zone"]
    had: str
    communes: tuple[InseeCode, ...] = Field(min_length=1)


Change = Annotated[
    Takeover | Associate | Authorise | Revoke | ZoneAdd | ZoneRemove | NewZone,
    Field(discriminator="kind"),
]


class Scenario(Model):
    """A named list of changes to a territory's HADs and zones."""

    name: str = Field(min_length=1)
    description: str = ""
    source: str = ""
    changes: tuple[Change, ...] = Field(min_length=1)
