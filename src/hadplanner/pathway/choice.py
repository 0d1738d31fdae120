"""Who can care for a patient at home: the coordinator nurse's first question.

From the home (a commune of the territory), the days the patient is at home
on the treatment, and the drug's access status, the answer follows the
thesis's order (part 2; part 3 III.B and IV.V.C):

1. the **access rule** (``data/access_rules.yaml``) says which organisations may
   give the drug at home under this status; where the sources are silent the
   answer is "ask a person", never a guess;
2. when an HAD may: the HADs whose **zone** contains the home, and whether each
   is authorised for home chemotherapy on *every* home day (an authorisation
   that lapses, or starts, inside the treatment is flagged with its date);
3. when none of them is: the **derogation** candidates of the coverage module
   (authorised HADs bordering the zone, ranked by travel time from their
   nearest site), the nearest within the daily-visit limit (45 min);
4. when a candidate exists but none within the limit: a **convention** (the
   HAD admits the patient and works with local liberal nurses under
   convention, validated by the ARS, as the thesis reports for Castres);
5. otherwise (or when no organisation may give it at home): the **day
   hospital** only, with the patient's own travel time to the centre.

The result is data (ids, dates, minutes, the rule that decided); the words are
the export's (French by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hadplanner.errors import InputError
from hadplanner.models.access import AccessRules, AccessStatus, Decision, Organisation
from hadplanner.models.territory import HAD

DAILY_VISIT_LIMIT_MIN = 45.0
"""Travel-time limit for daily HAD visits (the coverage module's default)."""


class CareStatus(StrEnum):
    """How the patient is cared for at home, after discharge."""

    served = "served"
    """An HAD of the home's zone, authorised every home day."""
    derogation = "derogation"
    """A bordering authorised HAD within the daily-visit limit, by ARS derogation."""
    convention = "convention"
    """A bordering authorised HAD beyond the limit, with local nurses under convention."""
    home_care_provider = "home_care_provider"
    """A home-care provider organised by the prescribing centre (ATU, trial)."""
    sponsor_organisation = "sponsor_organisation"
    """The clinical trial sponsor's organisation."""
    day_hospital = "day_hospital"
    """No organisation may or can give it at home: bag changes at the day hospital."""
    ask = "ask"
    """The sources are silent for this status: a person must decide (day hospital meanwhile)."""


@dataclass(frozen=True)
class HadStanding:
    """One HAD considered for the patient: where it is, how far, authorised when."""

    had_id: str
    name: str
    in_zone: bool
    """Its zone contains the home."""
    minutes: float | None
    """Travel time from its nearest site to the home's commune (None: not computed)."""
    site: str
    authorised_every_day: bool
    """Authorised for home chemotherapy on every home day of the treatment."""
    first_unauthorised: dt.date | None
    """First home day it is not authorised (a lapse, or a start after day 1)."""
    authorised_until: dt.date | None
    """Last day of the authorisation covering the first home day, when it ends."""
    within_limit: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "had_id": self.had_id, "name": self.name, "in_zone": self.in_zone,
            "minutes": None if self.minutes is None else round(self.minutes, 1),
            "site": self.site, "authorised_every_day": self.authorised_every_day,
            "first_unauthorised": _iso(self.first_unauthorised),
            "authorised_until": _iso(self.authorised_until),
            "within_limit": self.within_limit,
        }


@dataclass(frozen=True)
class CareChoice:
    """The answer: who cares for the patient at home, and why."""

    insee: str
    commune: str
    department: str
    access_status: AccessStatus
    home_days: tuple[dt.date, ...]
    status: CareStatus
    had_id: str | None
    """The chosen HAD (served, derogation, convention), else None."""
    decisions: tuple[Decision, ...]
    """The access rule's answers that decided (HAD first)."""
    zone_hads: tuple[HadStanding, ...]
    candidates: tuple[HadStanding, ...]
    """Derogation candidates (authorised HADs bordering the zone), nearest first."""
    day_hospital_minutes: float
    """The patient's own travel time from home to the prescribing centre."""
    limit_min: float
    flags: tuple[str, ...] = field(default=())
    """Machine codes of what the coordinator must see: ``lapse:<had>:<date>``..."""

    @property
    def chosen(self) -> HadStanding | None:
        for h in (*self.zone_hads, *self.candidates):
            if h.had_id == self.had_id:
                return h
        return None

    @property
    def at_home(self) -> bool:
        """True when bags are changed at home (by an HAD or another organisation)."""
        return self.status not in (CareStatus.day_hospital, CareStatus.ask)

    def as_dict(self) -> dict[str, Any]:
        return {
            "commune": {"insee": self.insee, "name": self.commune,
                        "department": self.department},
            "access_status": self.access_status.value,
            "first_home_day": _iso(self.home_days[0]) if self.home_days else None,
            "last_home_day": _iso(self.home_days[-1]) if self.home_days else None,
            "status": self.status.value,
            "had_id": self.had_id,
            "rules": [{"organisation": d.organisation.value, "answer": d.answer.value,
                       "allowed": d.allowed, "condition": d.condition,
                       "basis": None if d.basis is None else d.basis.value,
                       "reason": d.reason} for d in self.decisions],
            "zone_hads": [h.as_dict() for h in self.zone_hads],
            "candidates": [h.as_dict() for h in self.candidates],
            "day_hospital_minutes": round(self.day_hospital_minutes, 1),
            "limit_min": self.limit_min,
            "flags": list(self.flags),
        }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def home_days(periods: Sequence[tuple[dt.datetime, dt.datetime]]) -> tuple[dt.date, ...]:
    """Every calendar day with a home part: from discharge to the end of each cycle."""
    days: set[dt.date] = set()
    for start, end in periods:
        d = start.date()
        while d <= end.date():
            days.add(d)
            d += dt.timedelta(days=1)
    return tuple(sorted(days))


def standing(had: HAD, days: Sequence[dt.date]) -> tuple[bool, dt.date | None, dt.date | None]:
    """(authorised every day, first unauthorised day, end of the authorisation of day 1)."""
    missing = next((d for d in days if not had.authorised_on(d)), None)
    until = None
    if days:
        covering = [a for a in had.authorisations if a.valid_on(days[0])]
        ends = [a.valid_until for a in covering]
        until = None if not ends or None in ends else max(e for e in ends if e is not None)
    return missing is None, missing, until


def choose_care(
    index: Any,
    insee: str,
    days: Sequence[dt.date],
    status: AccessStatus | str,
    rules: AccessRules,
    *,
    day_hospital_minutes: float,
    limit_min: float = DAILY_VISIT_LIMIT_MIN,
    supply_until: dt.date | None = None,
) -> CareChoice:
    """Who cares for a patient of commune ``insee`` at home on ``days`` under ``status``.

    Parameters
    ----------
    index
        The territory's :class:`~hadplanner.territory.coverage.TerritoryIndex`.
    insee
        The home's commune (in the territory).
    days
        The home days of the treatment (:func:`home_days`); empty when the
        patient is never at home (day-hospital changes).
    status
        The drug's access status for this patient.
    rules
        The access rules (``data/access_rules.yaml``).
    day_hospital_minutes
        The patient's travel time to the prescribing centre.
    limit_min
        Daily-visit limit for a derogation.
    supply_until
        End of the laboratory's free supply (continuity of treatment).

    Raises
    ------
    InputError
        The commune is not in the territory, or the status is unknown.
    """
    from hadplanner.territory.coverage import Rule
    from hadplanner.territory.derogations import derogation_candidates

    try:
        status = AccessStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in AccessStatus)
        raise InputError(f"access_status: unknown status {status!r} (known: {known})") from None
    days = tuple(sorted(days))
    first = days[0] if days else None
    answer = derogation_candidates(index, insee, first or dt.date.today(), Rule.bordering,
                                   limit_min)
    row = index.position(insee)
    hads = {h.id: h for h in index.territory.hads}

    import numpy as np

    def standing_of(had_id: str, in_zone: bool) -> HadStanding:
        h = index.had_ids.index(had_id)
        every, missing, until = standing(hads[had_id], days)
        times, sites = index.travel_times(np.array([row]), np.array([h]))
        minutes = float(times[0])
        return HadStanding(had_id, hads[had_id].name, in_zone, minutes,
                           index.site_town(h, row, int(sites[0])), every, missing, until,
                           within_limit=minutes <= limit_min)

    zone = tuple(sorted((standing_of(h, True) for h in answer.covering),
                        key=lambda s: (not s.authorised_every_day, s.minutes or 0, s.had_id)))
    # Candidates: authorised HADs bordering the zone; those of the zone are not candidates.
    cands = tuple(standing_of(c.had_id, False) for c in answer.candidates
                  if c.had_id not in answer.covering)
    cands = tuple(sorted(cands, key=lambda s: (not s.authorised_every_day,
                                               s.minutes or 0, s.had_id)))
    flags = []
    for s in (*zone, *cands):
        if s.first_unauthorised is not None and any(
                hads[s.had_id].authorised_on(d) for d in days):
            flags.append(f"lapse:{s.had_id}:{s.first_unauthorised.isoformat()}")

    on_day = first or dt.date.today()
    decide = rules.decide
    had_rule = decide(Organisation.had, status, on_day, supply_until)
    decisions = [had_rule]

    def result(care: CareStatus, had_id: str | None, extra: Sequence[Decision] = ()
               ) -> CareChoice:
        return CareChoice(
            insee=insee, commune=answer.name, department=answer.department,
            access_status=status, home_days=days, status=care, had_id=had_id,
            decisions=(*decisions, *extra), zone_hads=zone, candidates=cands,
            day_hospital_minutes=day_hospital_minutes, limit_min=limit_min,
            flags=tuple(flags))

    if not days:
        return result(CareStatus.day_hospital, None)
    if had_rule.allowed:
        served = [s for s in zone if s.authorised_every_day]
        if served:
            return result(CareStatus.served, served[0].had_id)
        usable = [s for s in cands if s.authorised_every_day]
        near = [s for s in usable if s.within_limit]
        if near:
            return result(CareStatus.derogation, near[0].had_id)
        if usable:
            return result(CareStatus.convention, usable[0].had_id)
    # No HAD (not allowed, or none can): the other organisations, in the rule's terms.
    for org, care in ((Organisation.sponsor_organisation, CareStatus.sponsor_organisation),
                      (Organisation.home_care_provider, CareStatus.home_care_provider)):
        d = decide(org, status, on_day, supply_until)
        if d.allowed:
            return result(care, None, (d,))
    if had_rule.allowed is None:
        return result(CareStatus.ask, None)
    return result(CareStatus.day_hospital, None,
                  (decide(Organisation.day_hospital, status, on_day, supply_until),))
