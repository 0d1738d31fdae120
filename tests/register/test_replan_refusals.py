"""Bad events get one clear line (an InputError naming the field and the instant), no result."""

from __future__ import annotations

import pytest

from hadplanner.errors import InputError
from hadplanner.register.events import Event, EventKind, parse_event
from hadplanner.register.replan import replan

from .replan_support import example


def refused(data: dict, *, after: dict | None = None) -> str:
    """The one line refusing ``data`` (re-planned after ``after`` first, when given)."""
    request, plan = example("P001")
    if after is not None:
        res = replan(request, plan, parse_event(after))
        request, plan = res.request, res.plan
    with pytest.raises(InputError) as info:
        replan(request, plan, parse_event(data))
    text = str(info.value)
    assert "\n" not in text and text
    return text


def test_event_before_the_treatment_start() -> None:
    """An event before T0 of the first cycle."""
    text = refused({"kind": "pump_failure", "at": "2027-01-03T10:00"})
    assert text.startswith("event.at:") and "before the treatment's start" in text
    assert "2027-01-03T10:00" in text


def test_event_in_the_frozen_past_of_another() -> None:
    """An event before the previous event's instant (the plan's frozen_until)."""
    text = refused({"kind": "bag_leak", "at": "2027-01-14T09:00"},
                   after={"kind": "pump_failure", "at": "2027-01-15T14:07"})
    assert "frozen past" in text and "2027-01-15T14:07" in text


def test_event_after_the_treatment_end() -> None:
    """An event after the last cycle's end."""
    text = refused({"kind": "readmission", "at": "2027-04-01T10:00",
                    "until": "2027-04-02T10:00"})
    assert "after the treatment's end" in text


def test_interruption_ending_before_it_starts() -> None:
    """until before at: refused when the event is read."""
    with pytest.raises(InputError, match=r"^event: until: the restart .* is not after at"):
        parse_event({"kind": "interruption", "at": "2027-01-19T10:07",
                     "until": "2027-01-19T09:00"})


def test_readmission_discharge_before_admission() -> None:
    """A discharge before the admission."""
    with pytest.raises(InputError, match=r"until: the discharge .* is not after at"):
        parse_event({"kind": "readmission", "at": "2027-01-23T11:13",
                     "until": "2027-01-22T11:13"})


def test_unknown_event_kind() -> None:
    """A kind that is not an EventKind: the line lists the known ones."""
    with pytest.raises(InputError) as info:
        parse_event({"kind": "earthquake", "at": "2027-01-19T10:07"})
    text = str(info.value)
    assert "kind" in text and "pump_failure" in text and "\n" not in text


def test_fields_of_the_wrong_kind() -> None:
    """A rate on a failure, no rate on a dose change, a date for an interruption."""
    for data, field in [({"kind": "pump_failure", "at": "2027-01-19T10:07",
                          "rate_ug_per_day": 9}, "rate_ug_per_day"),
                        ({"kind": "dose_change", "at": "2027-01-19T10:07"}, "rate_ug_per_day"),
                        ({"kind": "interruption", "at": "2027-01-19",
                          "until": "2027-01-20T10:00"}, "at"),
                        ({"kind": "stop", "at": "2027-01-19T10:07",
                          "until": "2027-01-20T10:00"}, "until")]:
        with pytest.raises(InputError, match=field):
            parse_event(data)


def test_no_infusion_to_lose_or_interrupt_between_cycles() -> None:
    """A failure or an interruption in the days off: nothing runs."""
    text = refused({"kind": "pump_failure", "at": "2027-02-05T10:00"})
    assert "no infusion runs" in text
    text = refused({"kind": "interruption", "at": "2027-02-05T10:00",
                    "until": "2027-02-05T12:00"})
    assert "no infusion runs" in text


def test_no_bag_to_lose_during_an_interruption() -> None:
    """A failure while the infusion is interrupted."""
    text = refused({"kind": "pump_failure", "at": "2027-01-20T09:00"},
                   after={"kind": "interruption", "at": "2027-01-19T10:07",
                          "until": "2027-01-20T16:07"})
    assert "interrupted" in text


def test_unknown_language() -> None:
    """Only fr and en."""
    event = Event(kind=EventKind.stop, at="2027-01-19T10:07")  # type: ignore[arg-type]
    request, plan = example("P001")
    with pytest.raises(InputError, match="lang"):
        replan(request, plan, event, lang="de")


def test_event_json_round_trip() -> None:
    """An event written as JSON (the register stores it) reads back the same."""
    for data in ({"kind": "pui_closed", "at": "2027-01-20", "until": "2027-01-22"},
                 {"kind": "had_unavailable", "at": "2027-01-18T14:00",
                  "days": "2027-01-20..2027-01-21"},
                 {"kind": "dose_change", "at": "2027-01-19T10:07", "rate_ug_per_day": 9,
                  "note": "CRS grade 2"}):
        event = parse_event(data)
        assert Event.model_validate_json(event.model_dump_json()) == event
