"""Events the coordinator records during a treatment, each with its instant.

An :class:`Event` is what happened (or what is known to be going to happen):
a pump failure or a leaking bag (the bag is lost), an interruption of the
infusion (start and end), an unplanned readmission (admission and discharge),
a day the HAD cannot visit or the hospital pharmacy (PUI) is closed, a rate
ordered by the haematologist, the treatment stopped. :func:`hadplanner.register.
replan.replan` re-plans from it, everything before its instant frozen.

Instants are read like a request's cycle starts (``2027-01-16T10:07``, local
Europe/Paris time, or with an explicit offset; a whole minute). For
``had_unavailable`` and ``pui_closed`` a day range may be given instead:
``at: 2027-01-20`` (the event's instant is then that day's midnight) and
``until: 2027-01-22`` (the last day closed, included). A closure known in
advance is recorded when it becomes known, with its days apart: ``at:
2027-01-18T14:00, days: 2027-01-20..2027-01-22``; the pharmacy can then still
prepare bags before it (a re-plan never prepares a bag before the event's
instant).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from hadplanner.models.base import Model, Real, Text, bounded, parse_day, show
from hadplanner.models.hours import Closure
from hadplanner.models.request import PARIS, UTC, local_instant


class EventKind(StrEnum):
    """What happened."""

    pump_failure = "pump_failure"
    """The pump failed: the running bag is lost, a new one is needed now."""
    bag_leak = "bag_leak"
    """The bag leaks or is damaged: it is lost, a new one is needed now."""
    interruption = "interruption"
    """The infusion was stopped at ``at`` and restarts at ``until``."""
    readmission = "readmission"
    """Unplanned readmission at ``at``, discharge at ``until``."""
    had_unavailable = "had_unavailable"
    """The HAD cannot visit on these days."""
    pui_closed = "pui_closed"
    """The hospital pharmacy does not compound on these days."""
    dose_change = "dose_change"
    """The haematologist orders ``rate_ug_per_day`` from ``at``."""
    stop = "stop"
    """The treatment is stopped."""


DAY_KINDS = frozenset({EventKind.had_unavailable, EventKind.pui_closed})
"""Closures: ``at`` may be a date, ``until`` the last closed day."""
SPAN_KINDS = frozenset({EventKind.interruption, EventKind.readmission})
"""Events with an end (``until``), which must be after ``at``."""


def _instant_or_day(value: Any) -> dt.datetime | dt.date:
    if isinstance(value, dt.datetime):
        return local_instant(value)
    if isinstance(value, dt.date):
        return parse_day(value)
    if isinstance(value, str) and len(value.strip()) == 10:
        return parse_day(value)
    if not isinstance(value, str):
        raise ValueError(f"must be a date-time 'YYYY-MM-DDTHH:MM' or a date, got {show(value)}")
    return local_instant(value)


InstantOrDay = Annotated[dt.datetime | dt.date, BeforeValidator(_instant_or_day)]
"""A local date-time (aware, Europe/Paris) or, for closures, a date."""


def midnight(day: dt.date) -> dt.datetime:
    """The instant local ``day`` begins in Europe/Paris."""
    return dt.datetime.combine(day, dt.time(0)).replace(tzinfo=PARIS).astimezone(
        UTC).astimezone(PARIS)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _when(value: dt.datetime | dt.date) -> str:
    return value.isoformat(timespec="minutes") if isinstance(value, dt.datetime) \
        else value.isoformat()


class Event(Model):
    """One event, validated: each kind has exactly the fields it needs."""

    kind: EventKind
    at: InstantOrDay
    """The event's instant (a day for closures: its midnight): what came before is frozen."""
    until: InstantOrDay | None = None
    """Interruption: the restart; readmission: the discharge; closures: the last day."""
    rate_ug_per_day: Annotated[Real, bounded(0.01, 1000, "ug/day",
                                             "a daily dose (blinatumomab: 9 or 28 ug/day)")
                               ] | None = None
    """dose_change only: the ordered rate."""
    days: Closure | None = None
    """Closures only: the closed days when they are not ``at``'s day to ``until``."""
    note: Text = Field(default="", max_length=500)
    """Free text for the coordinator (no names: the register is pseudonymous)."""

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Event:
        k = self.kind
        if k not in DAY_KINDS:
            if not isinstance(self.at, dt.datetime):
                raise ValueError(f"at: {_a(k)} needs a date and a time of day "
                                 f"'YYYY-MM-DDTHH:MM', got the date {_when(self.at)}")
            if self.until is not None and not isinstance(self.until, dt.datetime):
                raise ValueError(f"until: {_a(k)} ends at a date and a time of day "
                                 f"'YYYY-MM-DDTHH:MM', got the date {_when(self.until)}")
        if k in SPAN_KINDS:
            what = "restart" if k == EventKind.interruption else "discharge"
            if self.until is None:
                raise ValueError(f"until: {_a(k)} needs its end (the {what}), after at")
            if self.until <= self.at:  # type: ignore[operator]
                raise ValueError(f"until: the {what} {_when(self.until)} is not after at "
                                 f"{_when(self.at)}: the {k} would end before it starts")
        elif k in DAY_KINDS:
            if self.days is not None and self.until is not None:
                raise ValueError("days: give either days or until, not both")
            if self.days is not None and self.days[0] < self.instant.astimezone(PARIS).date():
                raise ValueError(f"days: the closure starts {self.days[0]}, before the "
                                 f"event's day {self.instant.astimezone(PARIS).date()}")
            if self.until is not None and self.last_day < self.first_day:
                raise ValueError(f"until: the last closed day {self.last_day} is before the "
                                 f"first {self.first_day}")
            if (self.last_day - self.first_day).days > 366:
                raise ValueError(f"until: a closure of more than a year "
                                 f"({self.first_day}..{self.last_day}): a typing error?")
        elif self.until is not None:
            raise ValueError(f"until: {_a(k)} has no end (until is for interruptions, "
                             "readmissions and closures)")
        if k not in DAY_KINDS and self.days is not None:
            raise ValueError(f"days: only closures have days, not {_a(k)}")
        if k == EventKind.dose_change and self.rate_ug_per_day is None:
            raise ValueError("rate_ug_per_day: a dose_change needs the ordered rate (ug/day)")
        if k != EventKind.dose_change and self.rate_ug_per_day is not None:
            raise ValueError(f"rate_ug_per_day: only a dose_change has a rate, not {_a(k)}")
        return self

    @property
    def instant(self) -> dt.datetime:
        """The event's instant: ``at``, or a closure day's midnight."""
        if isinstance(self.at, dt.datetime):
            return self.at
        return midnight(self.at)

    @property
    def end(self) -> dt.datetime | None:
        """``until`` as an instant (interruption restart, discharge), if any."""
        if self.until is None or not isinstance(self.until, dt.datetime):
            return None
        return self.until

    @property
    def first_day(self) -> dt.date:
        """First local day a closure covers."""
        if self.days is not None:
            return self.days[0]
        return self.at.astimezone(PARIS).date() if isinstance(self.at, dt.datetime) \
            else self.at

    @property
    def last_day(self) -> dt.date:
        """Last local day a closure covers (``at``'s day when no ``until``)."""
        if self.days is not None:
            return self.days[1]
        if self.until is None:
            return self.first_day
        return self.until.astimezone(PARIS).date() if isinstance(self.until, dt.datetime) \
            else self.until


def parse_event(data: Any, source: str = "event") -> Event:
    """An :class:`Event` from parsed data; any problem is one :class:`InputError` line."""
    from hadplanner.errors import InputError
    from hadplanner.io.validation import validate

    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with kind and at")
    return validate(Event, data, source)
