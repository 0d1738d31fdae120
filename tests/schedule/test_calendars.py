"""Calendars: closed windows, French holidays, closures, daylight saving."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from hadplanner.models.request import PARIS
from hadplanner.schedule.calendars import (
    Calendar,
    add_hours,
    calendars_from_settings,
    hours_between,
    is_public_holiday,
)

from .conftest import make_request


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=PARIS)


def cals(**settings):
    return calendars_from_settings(make_request(settings=settings).settings)


def test_windows_are_closed_intervals():
    """16:00 sharp is inside the 09:00-16:00 production window, 16:01 is not."""
    prod = cals().production
    assert prod.contains(at(2027, 1, 5, 16))
    assert prod.contains(at(2027, 1, 5, 9))
    assert not prod.contains(at(2027, 1, 5, 16, 1))
    assert not prod.contains(at(2027, 1, 5, 8, 59))
    assert not prod.contains(at(2027, 1, 9, 12))  # Saturday


def test_french_public_holidays():
    """Metropolitan holidays close production and day hospital, not the HAD nurses."""
    c = cals()
    for day in (dt.date(2027, 1, 1), dt.date(2027, 5, 1), dt.date(2027, 5, 6),
                dt.date(2027, 5, 8), dt.date(2027, 12, 25), dt.date(2027, 11, 11)):
        assert is_public_holiday(day)
    assert not is_public_holiday(dt.date(2027, 12, 26))  # Alsace-Moselle only
    assert not c.production.contains(at(2027, 5, 6, 12))  # Ascension Thursday
    assert not c.day_hospital.contains(at(2027, 5, 6, 12))
    assert c.had_nurse.contains(at(2027, 5, 6, 12))
    assert c.production.contains(at(2027, 5, 7, 12))  # the bridge Friday is a working day


def test_exceptional_closures():
    """A pharmacy closed for a week: no window from Monday to Sunday."""
    c = cals(production={"closed": ["2027-01-18..2027-01-24"]})
    ws = c.production.windows(at(2027, 1, 15), at(2027, 1, 26, 23))
    assert [w[0].date() for w in ws] == [dt.date(2027, 1, 15), dt.date(2027, 1, 25),
                                         dt.date(2027, 1, 26)]


def test_windows_listing_and_clipping():
    """Windows meeting [a, b], optionally clipped; ends included."""
    prod = cals().production
    ws = prod.windows(at(2027, 1, 5, 16), at(2027, 1, 6, 9))
    assert ws == [(at(2027, 1, 5, 9), at(2027, 1, 5, 16)), (at(2027, 1, 6, 9), at(2027, 1, 6, 16))]
    clipped = prod.windows(at(2027, 1, 5, 12), at(2027, 1, 5, 13), clip=True)
    assert clipped == [(at(2027, 1, 5, 12), at(2027, 1, 5, 13))]


def test_latest_slot_before():
    """Slots count from the window's opening: 09:10, 09:25, ... with a 09:10 opening."""
    prod = cals().production
    assert prod.latest_slot_at_or_before(at(2027, 1, 8, 12, 33), 15) == at(2027, 1, 8, 12, 30)
    assert prod.latest_slot_at_or_before(at(2027, 1, 9, 12), 15) == at(2027, 1, 8, 16)
    assert prod.latest_slot_at_or_before(at(2027, 1, 8, 9, 9), 15) == at(2027, 1, 8, 9)
    assert prod.latest_slot_at_or_before(at(2027, 1, 8, 8, 59), 15) == at(2027, 1, 7, 16)
    m = dt.timedelta(minutes=30)
    assert prod.latest_slot_at_or_before(at(2027, 1, 8, 9, 40), 20, m) == at(2027, 1, 8, 9, 40)
    assert prod.latest_slot_at_or_before(at(2027, 1, 8, 9, 35), 20, m) == at(2027, 1, 7, 15, 20)
    late = cals(production={"open": "09:10", "close": "16:00"}).production
    assert late.latest_slot_at_or_before(at(2027, 1, 8, 12, 33), 15) == at(2027, 1, 8, 12, 25)
    assert late.latest_slot_at_or_before(at(2027, 1, 8, 17), 15) == at(2027, 1, 8, 15, 55)
    assert late.on_slot(at(2027, 1, 8, 9, 25), 15)
    assert not late.on_slot(at(2027, 1, 8, 9, 30), 15)
    assert not late.on_slot(at(2027, 1, 9, 9, 25), 15)  # Saturday


@settings(max_examples=200, deadline=None, derandomize=True)
@given(minute=st.integers(0, 60 * 24 * 30), slot=st.sampled_from([1, 5, 15, 20, 30, 60]),
       margin=st.sampled_from([0, 10, 30]), opening=st.sampled_from(["09:00", "08:50", "09:10"]))
def test_latest_slot_is_the_last_slot_before(minute, slot, margin, opening):
    """The latest slot is a slot inside the margins, and no later slot lies before t."""
    prod = cals(production={"open": opening}).production
    t = at(2027, 3, 15) + dt.timedelta(minutes=minute)
    m = dt.timedelta(minutes=margin)
    p = prod.latest_slot_at_or_before(t, slot, m)
    assert p is not None and p <= t and prod.on_slot(p, slot)
    assert prod.contains(p - m) and prod.contains(p + m)
    q = p + dt.timedelta(minutes=slot)
    while q <= t:  # every later instant on the grid is off the slots or too near an edge
        assert not (prod.on_slot(q, slot) and prod.contains(q - m) and prod.contains(q + m))
        q += dt.timedelta(minutes=1)


def test_dst_real_hours():
    """672 real hours from 10:00+01:00 before the March change end at 11:00+02:00."""
    t0 = at(2027, 3, 22, 10)
    end = add_hours(t0, 672)
    assert end.isoformat() == "2027-04-19T11:00:00+02:00"
    assert hours_between(t0, end) == 672
    # windows keep their wall-clock hours on both sides of the change
    prod = cals().production
    assert not prod.contains(at(2027, 3, 29, 12))  # Easter Monday
    assert prod.contains(at(2027, 3, 30, 16)) and prod.contains(at(2027, 3, 26, 16))
    assert prod.windows(at(2027, 3, 30), at(2027, 3, 30, 23))[0][0].utcoffset() == \
        dt.timedelta(hours=2)


def test_dst_october_and_always_open():
    """The autumn change: real hours are counted once; the ward is always open."""
    t0 = at(2027, 11, 1, 10)  # the clocks went back on Sunday 31 October 2027
    assert add_hours(t0, -24 * 2).isoformat() == "2027-10-30T11:00:00+02:00"
    ward = Calendar.always()
    assert ward.contains(at(2027, 10, 31, 2, 30))
    assert ward.windows(at(2027, 1, 1), at(2027, 1, 2)) == [(at(2027, 1, 1), at(2027, 1, 2))]


def test_holidays_can_be_ignored():
    """closed_on_holidays: false opens production on Christmas if it is a listed weekday."""
    c = cals(production={"closed_on_holidays": False})
    assert c.production.contains(at(2026, 12, 25, 10))  # a Friday


@settings(max_examples=200, deadline=None, derandomize=True)
@given(start=st.integers(0, 3 * 365 * 96), length=st.integers(0, 60 * 96),
       closed=st.integers(-5, 40), holidays=st.booleans(),
       which=st.sampled_from(["production", "day_hospital", "had_nurse"]))
def test_planner_month_cache_gives_the_calendars_windows(start, length, closed, holidays,
                                                         which):
    """The planner's cached month windows are Calendar.epoch_windows over any range."""
    from hadplanner.schedule.planner import _epoch_windows

    a = (dt.datetime(2026, 1, 1, tzinfo=PARIS).astimezone(dt.UTC)
         + dt.timedelta(minutes=15 * start)).astimezone(PARIS)
    b = add_hours(a, length / 4)
    first = a.date() + dt.timedelta(days=closed)
    cal = cals(**{which: {"closed_on_holidays": holidays,
                          "closed": [f"{first}..{first + dt.timedelta(days=2)}"]}}).of(which)
    assert _epoch_windows(cal, a, b) == cal.epoch_windows(a, b)
