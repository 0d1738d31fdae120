"""Who may give the drug, under each access status ("statut d'accès au médicament").

A patient receives the drug under one access status: a clinical trial, a
temporary authorisation (ATU), early access (AAP), the compassionate framework
(CPC, off-label code I999999), the marketing authorisation (AMM, with the
hospital-reserve status "réserve hospitalière") or the post-early-access
continuity of treatment. The status decides which organisations may give the
drug at home (an HAD, a home-care provider, a community nurse, the trial
sponsor's organisation) or only in hospital.

The rules are data (``data/access_rules.yaml``), each with its source in the
seed documents; where the sources are silent a rule says so
(:attr:`May.not_stated`) rather than guessing. :meth:`AccessRules.decide`
answers "may organisation X give it under status S on day D, and which rule
decides". These models hold no I/O (see :mod:`hadplanner.pathway.access`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field, model_validator

from hadplanner.models.base import Day, Flag, Model, Text


class AccessStatus(StrEnum):
    """The access status under which a patient receives the drug."""

    amm = "amm"
    """Marketing authorisation ("autorisation de mise sur le marché"); for the
    drug, with the hospital-reserve status ("réserve hospitalière")."""
    trial = "trial"
    """Clinical trial ("essai clinique"), organised by its sponsor."""
    atu = "atu"
    """Temporary authorisation for use ("autorisation temporaire d'utilisation")."""
    aap = "aap"
    """Early access authorisation ("autorisation d'accès précoce")."""
    cpc = "cpc"
    """Compassionate prescription framework ("cadre de prescription compassionnelle");
    off-label use, indication code I999999."""
    continuity = "continuity"
    """Continuity of treatment after the end of an early access ("continuité de
    traitement"): free supply by the laboratory until a date."""


class Organisation(StrEnum):
    """Who may give (administer, or organise the administration of) the drug."""

    had = "had"
    """An HAD establishment ("hospitalisation à domicile")."""
    home_care_provider = "home_care_provider"
    """A home-care provider ("prestataire de santé à domicile")."""
    community_nurse = "community_nurse"
    """A community nurse ("infirmière libérale")."""
    sponsor_organisation = "sponsor_organisation"
    """The organisation set up and financed by a trial's sponsor (its provider and doctor)."""
    day_hospital = "day_hospital"
    """A hospital's day unit ("hospitalisation de jour"), e.g. for bag changes."""
    hospital = "hospital"
    """An inpatient stay ("hospitalisation conventionnelle")."""


class May(StrEnum):
    """The answer of a rule for one organisation."""

    yes = "yes"
    no = "no"
    conditional = "conditional"
    """Yes, under the condition the rule states."""
    not_stated = "not_stated"
    """The sources are silent: hadplanner does not guess."""


class Basis(StrEnum):
    """How the answer follows from its sources."""

    stated = "stated"
    """The source says it."""
    practice = "practice"
    """The source reports that it was done (the thesis's patients)."""
    inferred = "inferred"
    """Reasoned from a stated rule; the reasoning is in ``why_en``/``why_fr``."""
    silent = "silent"
    """The sources say nothing (only with ``may: not_stated``)."""


_SEED = r"^\d{3}_[0-9a-f]{16}\.txt$"
_LINES = re.compile(r"^\d+(-\d+)?(, ?\d+(-\d+)?)*$")


class SeedRef(Model):
    """A place in a seed document (``/work/shared/seeds``): file, lines, section."""

    seed: Text = Field(pattern=_SEED)
    """The seed's file name, e.g. ``004_f74a96c90217015e.txt``."""
    lines: Text
    """Line numbers in the file: ``1028-1034`` or ``1158-1166, 4952-4956``."""
    section: Text = ""
    quote: Text = ""
    """A few words of the French original, verbatim but for spaces, found in ``lines``."""

    @model_validator(mode="after")
    def _ranges(self) -> SeedRef:
        if not _LINES.match(self.lines):
            raise ValueError(f"lines {self.lines!r}: expected '12' or '12-30' or '12-30, 45'")
        for low, high in self.line_ranges():
            if not 1 <= low <= high:
                raise ValueError(f"lines {self.lines!r}: a range must go up from line 1")
        return self

    def line_ranges(self) -> tuple[tuple[int, int], ...]:
        out = []
        for part in self.lines.split(","):
            low, _, high = part.strip().partition("-")
            out.append((int(low), int(high or low)))
        return tuple(out)

    def __str__(self) -> str:
        section = f" ({self.section})" if self.section else ""
        return f"seeds/{self.seed} l. {self.lines}{section}"


class Permission(Model):
    """What one rule says of one organisation."""

    may: May
    basis: Basis
    condition: Text = ""
    """When ``may`` is ``conditional``: the condition, in English."""
    why_en: Text = Field(min_length=1)
    why_fr: Text = Field(min_length=1)
    sources: tuple[SeedRef, ...] = ()
    """Where it is said; for ``not_stated``, where one would have looked (may be empty)."""

    @model_validator(mode="after")
    def _coherent(self) -> Permission:
        if (self.may is May.not_stated) != (self.basis is Basis.silent):
            raise ValueError("may: not_stated goes with basis: silent, and only with it")
        if self.may is May.conditional and not self.condition:
            raise ValueError("may: conditional needs a condition")
        if self.may is not May.conditional and self.condition:
            raise ValueError(f"a condition is only for may: conditional (here may: {self.may})")
        if self.may is not May.not_stated and not self.sources:
            raise ValueError(f"may: {self.may} needs at least one source")
        return self


class AccessRule(Model):
    """The rule of one access status: who may give the drug, and from/until when."""

    status: AccessStatus
    name_fr: Text = Field(min_length=1)
    name_en: Text = Field(min_length=1)
    summary_fr: Text = Field(min_length=1)
    summary_en: Text = Field(min_length=1)
    valid_from: Day | None = None
    """First day the status exists for the drug (None: not dated by the sources)."""
    valid_until: Day | None = None
    """Last day (None: not dated, or still in force)."""
    needs_end_date: Flag = False
    """True: the last day depends on the drug's own decision (the end of the free
    supply of a continuity of treatment), given to :meth:`AccessRules.decide`."""
    sources: tuple[SeedRef, ...] = Field(min_length=1)
    who: dict[Organisation, Permission]
    """One entry for every :class:`Organisation` (``not_stated`` where silent)."""

    @model_validator(mode="after")
    def _complete(self) -> AccessRule:
        missing = [o.value for o in Organisation if o not in self.who]
        if missing:
            raise ValueError(
                f"who: no entry for {', '.join(missing)} (every rule names all of "
                f"{', '.join(o.value for o in Organisation)}; write may: not_stated where the "
                "sources are silent)"
            )
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(
                f"valid_until {self.valid_until} is before valid_from {self.valid_from}")
        return self


@dataclass(frozen=True)
class Decision:
    """The answer to "may ``organisation`` give the drug under ``status`` on ``day``"."""

    status: AccessStatus
    organisation: Organisation
    day: dt.date
    answer: May
    allowed: bool | None
    """True (yes, or yes under ``condition``), False, or None when the sources are
    silent or the rule needs a date it was not given."""
    condition: str
    basis: Basis | None
    """None when the answer comes from the rule's dates, not from its ``who``."""
    rule: AccessRule
    reason: str
    """One line, in English, with the sources."""

    def __str__(self) -> str:
        return self.reason


class AccessRules(Model):
    """The rules of every access status for one drug (``data/access_rules.yaml``)."""

    drug: Text = Field(min_length=1)
    reviewed: Day
    """The day the rules were last checked against their sources."""
    sources: Text = Field(min_length=1)
    """The seed documents, what each is, and where they are."""
    rules: tuple[AccessRule, ...]

    @model_validator(mode="after")
    def _one_per_status(self) -> AccessRules:
        seen = [r.status for r in self.rules]
        twice = sorted({s.value for s in seen if seen.count(s) > 1})
        if twice:
            raise ValueError(f"status {twice[0]!r} has two rules: keep one")
        missing = [s.value for s in AccessStatus if s not in seen]
        if missing:
            raise ValueError(f"no rule for status {', '.join(missing)} (one rule per status)")
        return self

    def rule(self, status: AccessStatus | str) -> AccessRule:
        """The rule of ``status``."""
        status = AccessStatus(status)
        return next(r for r in self.rules if r.status is status)

    def decide(
        self,
        organisation: Organisation | str,
        status: AccessStatus | str,
        day: dt.date,
        supply_until: dt.date | None = None,
    ) -> Decision:
        """May ``organisation`` give the drug under ``status`` on ``day``, and which rule decides.

        Parameters
        ----------
        organisation, status
            Members of :class:`Organisation` and :class:`AccessStatus` (or their values).
        day
            The day of the administration.
        supply_until
            For a rule that ``needs_end_date`` (continuity of treatment): the last
            day of the laboratory's free supply, from the decision about the drug.

        Raises
        ------
        ValueError
            An unknown organisation or status (the message lists the known ones).
        """
        try:
            org = Organisation(organisation)
        except ValueError:
            raise ValueError(
                f"unknown organisation {organisation!r} "
                f"(known: {', '.join(o.value for o in Organisation)})") from None
        try:
            stat = AccessStatus(status)
        except ValueError:
            raise ValueError(
                f"unknown access status {status!r} "
                f"(known: {', '.join(s.value for s in AccessStatus)})") from None
        rule = self.rule(stat)
        where = "; ".join(str(s) for s in rule.sources)

        def dated(answer: May, allowed: bool | None, why: str) -> Decision:
            return Decision(stat, org, day, answer, allowed, "", None, rule,
                            f"{org.value} under {stat.value} on {day}: {why} [{where}]")

        if rule.valid_from is not None and day < rule.valid_from:
            return dated(May.no, False, f"no: the status starts on {rule.valid_from} "
                                        f"({rule.name_en})")
        end = rule.valid_until
        if rule.needs_end_date:
            if supply_until is None and end is None:
                return dated(May.not_stated, None,
                             "unknown: give the last day of the laboratory's free supply "
                             "(the decision about this drug dates it)")
            end = supply_until or end
        if end is not None and day > end:
            return dated(May.no, False, f"no: the status ended on {end} ({rule.name_en})")
        p = rule.who[org]
        allowed = {May.yes: True, May.conditional: True, May.no: False}.get(p.may)
        cited = "; ".join(str(s) for s in p.sources) or where
        word = {May.yes: "yes", May.no: "no", May.conditional: f"yes, if {p.condition}",
                May.not_stated: "unknown"}[p.may]
        return Decision(stat, org, day, p.may, allowed, p.condition, p.basis, rule,
                        f"{org.value} under {stat.value} on {day}: {word} ({p.basis.value}): "
                        f"{p.why_en} [{cited}]")
