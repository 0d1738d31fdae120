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

from typing import Annotated, Literal

from pydantic import Field, model_validator

from hadplanner.models.base import Day, Model, Text
from hadplanner.models.territory import AuthorisationBasis, InseeCode


class Takeover(Model):
    """An HAD taken over by another (thesis: Croix Rouge by Clinique Pasteur)."""

    kind: Literal["takeover"]
    had: Text
    by: Text
    mode: Literal["absorb", "attach"] = "absorb"
    since: Day | None = None
    """For ``attach``: first day of the gained authorisation (None: at once)."""

    @model_validator(mode="after")
    def _two_hads(self) -> Takeover:
        if self.had == self.by:
            raise ValueError(f"HAD {self.had!r} cannot take itself over (had and by are equal)")
        return self


class Associate(Model):
    """An HAD becomes "établissement associé" of an authorised hospital (R6123-90-1 CSP)."""

    kind: Literal["associate"]
    had: Text
    holder: Text = Field(min_length=1)
    """The authorised hospital, e.g. "CH de Montauban"."""
    partner: Text | None = None
    """HAD id of that hospital's own HAD, when it has one (checked to exist)."""
    since: Day | None = None

    @model_validator(mode="after")
    def _partner_is_another(self) -> Associate:
        if self.partner is not None and self.partner == self.had:
            raise ValueError(f"HAD {self.had!r} cannot be its own partner")
        return self


class Authorise(Model):
    """An HAD gains an authorisation."""

    kind: Literal["authorise"]
    had: Text
    basis: AuthorisationBasis = AuthorisationBasis.associated
    holder: Text = Field(min_length=1)
    since: Day | None = None
    until: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Authorise:
        if self.since and self.until and self.until < self.since:
            raise ValueError(f"until {self.until} is before since {self.since}")
        return self


class Revoke(Model):
    """Every authorisation of an HAD ends the day before ``since`` (None: all removed)."""

    kind: Literal["revoke"]
    had: Text
    since: Day | None = None


class ZoneAdd(Model):
    """Communes added to an HAD's zone."""

    kind: Literal["zone_add"]
    had: Text
    communes: tuple[InseeCode, ...] = Field(min_length=1, max_length=40_000)


class ZoneRemove(Model):
    """Communes removed from an HAD's zone."""

    kind: Literal["zone_remove"]
    had: Text
    communes: tuple[InseeCode, ...] = Field(min_length=1, max_length=40_000)


class NewZone(Model):
    """An HAD's zone replaced (or created) with exactly these communes."""

    kind: Literal["new_zone"]
    had: Text
    communes: tuple[InseeCode, ...] = Field(min_length=1, max_length=40_000)


Change = Annotated[
    Takeover | Associate | Authorise | Revoke | ZoneAdd | ZoneRemove | NewZone,
    Field(discriminator="kind"),
]


class Scenario(Model):
    """A named list of changes to a territory's HADs and zones."""

    name: Text = Field(min_length=1)
    description: Text = ""
    source: Text = ""
    changes: tuple[Change, ...] = Field(min_length=1, max_length=1000)
