"""What changed between two versions of a plan, in French (default) or English.

Bags are matched by cycle number and index: a bag of both versions whose
preparation, start, end or changer differs has *moved* (or *stopped early*
when it had started before the event: only its end can differ); a bag of the
new version only is *added*, of the old only *removed*. Removed bags already
prepared before the event (and not hung as made) are lost drug: their vials
are counted apart. The
totals compare vials, HAD nurse visits and day-hospital trips.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from hadplanner.errors import InputError
from hadplanner.models.base import Model
from hadplanner.models.plan import Bag, ChangedBy, Instant, Plan
from hadplanner.models.request import PARIS, UTC

Lang = Literal["fr", "en"]

_WEEKDAYS = {"fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_WHO = {"fr": {"inpatient": "le service", "day_hospital": "l'hôpital de jour",
               "had_nurse": "l'infirmière HAD"},
        "en": {"inpatient": "the ward", "day_hospital": "the day hospital",
               "had_nurse": "the HAD nurse"}}


def check_lang(lang: str) -> Lang:
    """``fr`` or ``en``; an :class:`InputError` otherwise."""
    if lang not in ("fr", "en"):
        raise InputError(f"lang: 'fr' or 'en', got {lang!r}")
    return lang  # type: ignore[return-value]


def when(t: dt.datetime, lang: str) -> str:
    """An instant as a coordinator reads it: ``mar. 19/01/2027 08:00``, ``Tue 2027-01-19 08:00``."""
    local = t.astimezone(PARIS)
    wd = _WEEKDAYS[lang][local.weekday()]
    if lang == "fr":
        return f"{wd} {local:%d/%m/%Y %H:%M}"
    return f"{wd} {local:%Y-%m-%d %H:%M}"


def who(changed_by: str, lang: str) -> str:
    """Who hangs a bag, in words."""
    return _WHO[lang][str(changed_by)]


def hours(a: dt.datetime, b: dt.datetime) -> float:
    """Real hours from ``a`` to ``b``."""
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() / 3600


class BagTimes(Model):
    """A bag's instants and changer, as one version of the plan states them."""

    prepared_at: Instant
    start: Instant
    end: Instant
    changed_by: ChangedBy
    vials: int

    @classmethod
    def of(cls, bag: Bag) -> BagTimes:
        return cls(prepared_at=bag.prepared_at, start=bag.start, end=bag.end,
                   changed_by=bag.changed_by, vials=bag.vials)


class BagChange(Model):
    """One bag that differs: its cycle and index, before (None: added) and after (None:
    removed)."""

    cycle: int
    index: int
    old: BagTimes | None = None
    new: BagTimes | None = None


class PlanDiff(Model):
    """What a new version of a plan changes against the previous one."""

    moved: tuple[BagChange, ...] = ()
    stopped: tuple[BagChange, ...] = ()
    """Bags hung before the event whose infusion now ends earlier."""
    added: tuple[BagChange, ...] = ()
    removed: tuple[BagChange, ...] = ()
    vials_lost: int = 0
    """Vials of bags prepared before the event, not hung yet, and not used as made."""
    bags_before: int
    bags_after: int
    vials_before: int
    vials_after: int
    nurse_visits_before: int
    nurse_visits_after: int
    day_hospital_trips_before: int
    day_hospital_trips_after: int

    def lines(self, lang: str = "fr") -> list[str]:
        """The changes, one sentence a line, in French (``fr``) or English (``en``)."""
        lang = check_lang(lang)
        fr = lang == "fr"
        out: list[str] = []

        def bag(c: BagChange) -> str:
            return f"poche {c.index} du cycle {c.cycle}" if fr \
                else f"bag {c.index} of cycle {c.cycle}"

        for c in self.stopped:
            assert c.old is not None and c.new is not None
            out.append(
                f"{bag(c).capitalize()} arrêtée le {when(c.new.end, lang)} au lieu du "
                f"{when(c.old.end, lang)}." if fr else
                f"{bag(c).capitalize()} stopped {when(c.new.end, lang)} instead of "
                f"{when(c.old.end, lang)}.")
        for c in self.moved:
            assert c.old is not None and c.new is not None
            o, n = c.old, c.new
            if (o.prepared_at, o.start, o.end) == (n.prepared_at, n.start, n.end):
                out.append(
                    f"{bag(c).capitalize()} posée par {who(n.changed_by, lang)} au lieu de "
                    f"{who(o.changed_by, lang)} (le {when(n.start, lang)})." if fr else
                    f"{bag(c).capitalize()} hung by {who(n.changed_by, lang)} instead of "
                    f"{who(o.changed_by, lang)} ({when(n.start, lang)}).")
                continue
            out.append(
                f"{bag(c).capitalize()} déplacée : posée le {when(n.start, lang)} par "
                f"{who(n.changed_by, lang)} (au lieu du {when(o.start, lang)}), jusqu'au "
                f"{when(n.end, lang)} ; préparée le {when(n.prepared_at, lang)}." if fr else
                f"{bag(c).capitalize()} moved: hung {when(n.start, lang)} by "
                f"{who(n.changed_by, lang)} (was {when(o.start, lang)}), until "
                f"{when(n.end, lang)}; prepared {when(n.prepared_at, lang)}.")
        for c in self.added:
            assert c.new is not None
            n = c.new
            out.append(
                f"{bag(c).capitalize()} ajoutée : préparée le {when(n.prepared_at, lang)}, "
                f"posée le {when(n.start, lang)} par {who(n.changed_by, lang)}, jusqu'au "
                f"{when(n.end, lang)}." if fr else
                f"{bag(c).capitalize()} added: prepared {when(n.prepared_at, lang)}, hung "
                f"{when(n.start, lang)} by {who(n.changed_by, lang)}, until "
                f"{when(n.end, lang)}.")
        for c in self.removed:
            assert c.old is not None
            o = c.old
            out.append(
                f"{bag(c).capitalize()} supprimée (elle devait être posée le "
                f"{when(o.start, lang)})." if fr else
                f"{bag(c).capitalize()} removed (it was to be hung {when(o.start, lang)}).")
        if not out:
            out.append("Aucune poche ne change." if fr else "No bag changes.")

        def delta(a: int, b: int) -> str:
            return f"{a} → {b}" + (f" ({b - a:+d})" if a != b else "")

        out.append(f"Poches : {delta(self.bags_before, self.bags_after)}." if fr
                   else f"Bags: {delta(self.bags_before, self.bags_after)}.")
        out.append(f"Flacons : {delta(self.vials_before, self.vials_after)}." if fr
                   else f"Vials: {delta(self.vials_before, self.vials_after)}.")
        if self.vials_lost:
            out.append(f"Flacons perdus (poches déjà préparées, non posées) : {self.vials_lost}."
                       if fr else
                       f"Vials lost (bags already prepared, not hung): {self.vials_lost}.")
        out.append(
            f"Visites HAD : {delta(self.nurse_visits_before, self.nurse_visits_after)} ; "
            f"venues en hôpital de jour : "
            f"{delta(self.day_hospital_trips_before, self.day_hospital_trips_after)}." if fr else
            f"HAD visits: {delta(self.nurse_visits_before, self.nurse_visits_after)}; "
            f"day-hospital trips: "
            f"{delta(self.day_hospital_trips_before, self.day_hospital_trips_after)}.")
        return out


def _same(a: Bag, b: Bag) -> bool:
    return (a.prepared_at == b.prepared_at and a.start == b.start and a.end == b.end
            and a.changed_by == b.changed_by)


def plan_diff(old: Plan, new: Plan, at: dt.datetime) -> PlanDiff:
    """The changes from ``old`` to ``new``, re-planned from an event at ``at``."""
    olds = {(c.number, b.index): b for c in old.cycles for b in c.bags}
    news = {(c.number, b.index): b for c in new.cycles for b in c.bags}
    moved: list[BagChange] = []
    stopped: list[BagChange] = []
    added: list[BagChange] = []
    removed: list[BagChange] = []
    lost = 0
    for key in sorted(olds.keys() | news.keys()):
        o, n = olds.get(key), news.get(key)
        change = BagChange(cycle=key[0], index=key[1],
                           old=BagTimes.of(o) if o is not None else None,
                           new=BagTimes.of(n) if n is not None else None)
        if o is not None and o.prepared_at < at <= o.start and (
                n is None or n.prepared_at != o.prepared_at or n.start != o.start):
            lost += o.vials  # compounded before the event, and not hung as it was made
        if o is not None and n is not None:
            if _same(o, n):
                continue
            (stopped if o.start == n.start and o.start < at else moved).append(change)
        elif n is not None:
            added.append(change)
        else:
            removed.append(change)
    ot, nt = old.totals, new.totals
    return PlanDiff(
        moved=tuple(moved), stopped=tuple(stopped), added=tuple(added), removed=tuple(removed),
        vials_lost=lost, bags_before=ot.bags, bags_after=nt.bags, vials_before=ot.vials,
        vials_after=nt.vials, nurse_visits_before=ot.nurse_visits,
        nurse_visits_after=nt.nurse_visits, day_hospital_trips_before=ot.day_hospital_trips,
        day_hospital_trips_after=nt.day_hospital_trips)
