"""Opening hours as data: production (PUI), day hospital, HAD nurse visits.

A :class:`Calendar` answers two questions on real, aware instants in
Europe/Paris: is instant ``t`` inside one of its windows, and which windows
meet ``[a, b]``. Windows are closed intervals ``[open, close]`` of local wall
time on each open day (a bag finished at 16:00 sharp is in a 09:00-16:00
window). A day is closed when its weekday is not listed, when it is a French
public holiday (metropolitan calendar of the ``holidays`` package) and the
service closes on holidays, or when it falls in an exceptional closure.

Daylight saving: a window is built from local wall times of its own day, so
09:00-16:00 is 09:00+01:00-16:00+01:00 in winter and 09:00+02:00-16:00+02:00
in summer; durations elsewhere are added in UTC (real hours).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

import holidays

from hadplanner.models.request import PARIS, UTC, WEEKDAYS, Settings, WindowSettings

Window = tuple[dt.datetime, dt.datetime]
"""A closed interval ``[open, close]`` of aware datetimes (Europe/Paris)."""

_SEARCH_DAYS = 400
"""How far back :meth:`Calendar.latest_slot_at_or_before` looks before giving up."""


@functools.lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[dt.date]:
    # No subdivision: the metropolitan calendar (Alsace-Moselle's Good Friday
    # and 26 December are not in it).
    return frozenset(holidays.France(years=year).keys())


def is_public_holiday(day: dt.date) -> bool:
    """True on a French (metropolitan) public holiday."""
    return day in _french_holidays(day.year)


def public_holiday_name(day: dt.date) -> str | None:
    """The holiday's name (English, as the ``holidays`` package gives it), or None."""
    return holidays.France(years=day.year).get(day)


def wall(day: dt.date, clock: dt.time) -> dt.datetime:
    """The aware instant of local wall time ``clock`` on ``day`` in Europe/Paris.

    A wall time skipped by the spring change (02:30 on the last Sunday of
    March) is read with the winter offset and normalised, i.e. 03:30+02:00.
    """
    naive = dt.datetime.combine(day, clock)
    return naive.replace(tzinfo=PARIS).astimezone(UTC).astimezone(PARIS)


def _ts(t: dt.datetime) -> float:
    return t.timestamp()


def paris(t: dt.datetime) -> dt.datetime:
    """``t`` (aware) expressed in Europe/Paris; naive datetimes are refused."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: every instant must carry its zone")
    return t.astimezone(PARIS)


@dataclass(frozen=True)
class Calendar:
    """The windows of one service (or ``always_open`` for the ward).

    Parameters
    ----------
    name
        ``production``, ``day_hospital``, ``had_nurse`` or ``inpatient``.
    weekdays
        Open weekdays, 0 = Monday.
    open, close
        Local wall times of each open day's window, ``open < close``.
    closed_on_holidays
        Closed on French public holidays.
    closed
        Exceptional closures, inclusive date ranges.
    always_open
        Every instant is inside (the ward during the inpatient days).
    """

    name: str
    weekdays: frozenset[int] = frozenset(range(7))
    open: dt.time = dt.time(0, 0)
    close: dt.time = dt.time(23, 59)
    closed_on_holidays: bool = False
    closed: tuple[tuple[dt.date, dt.date], ...] = ()
    always_open: bool = False

    @classmethod
    def from_settings(cls, name: str, window: WindowSettings) -> Calendar:
        """The calendar of a request's window settings."""
        return cls(
            name=name,
            weekdays=frozenset(WEEKDAYS.index(d) for d in window.days),
            open=window.open,
            close=window.close,
            closed_on_holidays=window.closed_on_holidays,
            closed=tuple(window.closed),
        )

    @classmethod
    def always(cls, name: str = "inpatient") -> Calendar:
        """A calendar open at every instant."""
        return cls(name=name, always_open=True)

    def is_open_day(self, day: dt.date) -> bool:
        """True if the service opens on local date ``day``."""
        if self.always_open:
            return True
        if day.weekday() not in self.weekdays:
            return False
        if self.closed_on_holidays and is_public_holiday(day):
            return False
        return not any(a <= day <= b for a, b in self.closed)

    def day_window(self, day: dt.date) -> Window | None:
        """The window of local date ``day``, or None when closed that day."""
        if self.always_open:
            raise ValueError(f"{self.name} is always open: it has no daily window")
        if not self.is_open_day(day):
            return None
        return (wall(day, self.open), wall(day, self.close))

    def contains(self, t: dt.datetime) -> bool:
        """True if instant ``t`` (aware) lies in a window, ends included."""
        if self.always_open:
            return True
        t = paris(t)
        w = self.day_window(t.date())
        # Compare as timestamps: same-tzinfo comparisons are wall-clock in Python.
        return w is not None and w[0].timestamp() <= t.timestamp() <= w[1].timestamp()

    def windows(self, a: dt.datetime, b: dt.datetime, clip: bool = False) -> list[Window]:
        """The windows meeting the closed interval ``[a, b]``, in time order.

        With ``clip`` the windows are cut to ``[a, b]``.
        """
        a, b = paris(a), paris(b)
        if b < a:
            return []
        if self.always_open:
            return [(a, b)]
        out: list[Window] = []
        day = a.date() - dt.timedelta(days=1)
        while day <= b.date():
            w = self.day_window(day)
            if w is not None and _ts(w[1]) >= _ts(a) and _ts(w[0]) <= _ts(b):
                if clip:
                    w = (max(w[0], a, key=_ts), min(w[1], b, key=_ts))
                out.append(w)
            day += dt.timedelta(days=1)
        return out

    def on_slot(self, t: dt.datetime, slot_min: int) -> bool:
        """True if ``t`` is a slot: inside its day's window, whole slots after the opening."""
        if self.always_open:
            return True
        t = paris(t)
        w = self.day_window(t.date())
        if w is None or not _ts(w[0]) <= _ts(t) <= _ts(w[1]):
            return False
        return (t.astimezone(UTC) - w[0].astimezone(UTC)) % dt.timedelta(minutes=slot_min) \
            == dt.timedelta(0)

    def latest_slot_at_or_before(
        self, t: dt.datetime, slot_min: int, margin: dt.timedelta = dt.timedelta(0)
    ) -> dt.datetime | None:
        """The latest slot ``<= t`` inside a window shrunk by ``margin`` at both ends.

        Slots are the instants ``open + k x slot_min`` (real minutes from each
        window's opening) that lie in the window. None when there is no such
        slot within 400 days before ``t``.
        """
        t = paris(t)
        step = dt.timedelta(minutes=slot_min)
        day = t.date()
        for _ in range(_SEARCH_DAYS):
            w = self.day_window(day)
            if w is not None:
                o = w[0].astimezone(UTC)
                hi = min(t.astimezone(UTC), w[1].astimezone(UTC) - margin)
                first = -((-margin) // step)  # slots before o + margin are at the edge
                k = (hi - o) // step if hi >= o else -1
                if k >= first:
                    return (o + k * step).astimezone(PARIS)
            day -= dt.timedelta(days=1)
        return None

    def epoch_windows(self, a: dt.datetime, b: dt.datetime) -> list[tuple[int, int]]:
        """The windows meeting ``[a, b]`` as UTC epoch seconds (for vectorised search)."""
        return [(int(o.timestamp()), int(c.timestamp())) for o, c in self.windows(a, b)]


@dataclass(frozen=True)
class Calendars:
    """The three services of a request, plus the ward (always open)."""

    production: Calendar
    day_hospital: Calendar
    had_nurse: Calendar
    inpatient: Calendar = Calendar.always("inpatient")

    def of(self, who: str) -> Calendar:
        """The calendar of ``inpatient``, ``day_hospital``, ``had_nurse`` or ``production``."""
        return getattr(self, str(who))


def calendars_from_settings(settings: Settings) -> Calendars:
    """Production, day hospital and HAD nurse calendars of a request's settings."""
    return Calendars(
        production=Calendar.from_settings("production", settings.production),
        day_hospital=Calendar.from_settings("day_hospital", settings.day_hospital),
        had_nurse=Calendar.from_settings("had_nurse", settings.had_nurse),
    )


def add_hours(t: dt.datetime, hours: float) -> dt.datetime:
    """``t`` plus ``hours`` real hours (added in UTC), rendered in Europe/Paris."""
    return (paris(t).astimezone(UTC) + dt.timedelta(hours=hours)).astimezone(PARIS)


def hours_between(a: dt.datetime, b: dt.datetime) -> float:
    """Real hours from ``a`` to ``b`` (negative if ``b`` is earlier)."""
    # Same-tzinfo subtraction in Python is wall-clock: go through UTC for real hours.
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() / 3600.0


def iter_days(a: dt.date, b: dt.date) -> Iterable[dt.date]:
    """Local dates from ``a`` to ``b`` inclusive."""
    day = a
    while day <= b:
        yield day
        day += dt.timedelta(days=1)
