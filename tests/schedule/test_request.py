"""Request files: defaults, parsing, and one clear line per malformed input."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from hadplanner.errors import InputError
from hadplanner.models.request import PARIS, load_request, parse_request

from .conftest import BASE, make_request


def with_(path: str, value):
    data = copy.deepcopy(BASE)
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node.setdefault(k, {})
    last = keys[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


def test_defaults_are_the_spec_numbers():
    """Every setting defaults to the spec's value."""
    s = make_request(settings={}).settings
    assert (s.stability_h, s.max_bag_h, s.min_bag_h, s.overfill_h, s.overfill_max_bag_h) == (
        96, 96, 24, 4, 72)
    assert (s.vial_ug, s.vial_eur, s.transport_hospital_h, s.grid_minutes) == (38.5, 2628, 0.5, 15)
    assert s.prep_slot_min == 15
    assert s.production.days == ("mon", "tue", "wed", "thu", "fri")
    assert (s.production.open, s.production.close) == (dt.time(9), dt.time(16))
    assert s.production.closed_on_holidays
    assert (s.day_hospital.open, s.day_hospital.close) == (dt.time(8), dt.time(18))
    assert len(s.had_nurse.days) == 7 and not s.had_nurse.closed_on_holidays
    assert (s.had_nurse.open, s.had_nurse.close) == (dt.time(8), dt.time(20))


def test_settings_defaults_match_the_catalogue():
    """The bag rules of the settings and of data/drugs.yaml are the same numbers."""
    from hadplanner.models.drug import load_drug

    d, s = load_drug(), make_request().settings
    assert (d.stability_h, d.overfill_h, d.overfill_max_bag_h, d.max_bag_h, d.vial_ug,
            d.vial_eur, d.cycle_days, d.off_days, d.max_cycles) == (
        s.stability_h, s.overfill_h, s.overfill_max_bag_h, s.max_bag_h, s.vial_ug, s.vial_eur,
        s.cycle_days, s.off_days, s.max_cycles)


def test_partial_window_keeps_its_defaults():
    """A production block with only closures keeps Mon-Fri 09:00-16:00."""
    r = make_request(settings={"production": {"closed": ["2027-01-20..2027-01-22",
                                                         "2027-02-03"]}})
    p = r.settings.production
    assert p.open == dt.time(9) and p.close == dt.time(16)
    assert p.closed == ((dt.date(2027, 1, 20), dt.date(2027, 1, 22)),
                        (dt.date(2027, 2, 3), dt.date(2027, 2, 3)))


def test_start_is_local_paris_time():
    """A naive start is Europe/Paris local time; an offset is kept as the same instant."""
    r = make_request()
    assert r.cycles[0].start == dt.datetime(2027, 1, 4, 10, tzinfo=PARIS)
    assert r.cycles[0].start.utcoffset() == dt.timedelta(hours=1)
    r2 = make_request(cycles=[{"number": 1, "start": "2027-01-04T09:00+00:00",
                               "regimen": "rr-cycle"}])
    assert r2.cycles[0].start.isoformat() == "2027-01-04T10:00:00+01:00"


def test_yaml_file_with_unquoted_times(tmp_path):
    """YAML reads unquoted 16:00 as a number: the loader restores the time."""
    f = tmp_path / "r.yaml"
    f.write_text(
        "patient: {id: P1, weight_kg: 70, height_cm: 170, home: {commune: 31555}}\n"
        "change_mode: had_nurse\n"
        "cycles:\n  - {number: 1, start: '2027-01-04T10:00', regimen: rr-cycle}\n"
        "settings:\n  production: {open: 10:00, close: 15:30, closed: [2027-01-06]}\n")
    r = load_request(f)
    assert r.settings.production.close == dt.time(15, 30)
    assert r.patient.home.commune == "31555"
    assert r.settings.production.closed == ((dt.date(2027, 1, 6), dt.date(2027, 1, 6)),)


def test_json_file(tmp_path):
    """JSON requests load the same."""
    f = tmp_path / "r.json"
    f.write_text(json.dumps(BASE))
    assert load_request(f).patient.id == "P001"


BAD = [
    # (path, value, expected fragment of the one-line message)
    ("cycles.0.start", "2027-13-04T10:00", "cycles[0].start: not a date-time"),
    ("cycles.0.start", "2027-03-28T02:30", "does not exist in Europe/Paris"),  # DST gap
    ("cycles.0.start", "2027-10-31T02:30", "happens twice"),  # repeated hour
    ("cycles.0.start", "2027-01-04", "needs a time of day"),
    ("cycles.0.regimen", "rr-unknown", "unknown regimen 'rr-unknown'"),
    ("settings.production", {"days": ["mon", "funday"]}, "unknown weekday 'funday'"),
    ("settings.production", {"open": "17:00"}, "must be after open"),
    ("settings.production", {"closed": ["2027-02-10..2027-02-01"]}, "ends before it starts"),
    ("settings.production", {"closed": ["2027-02-30"]}, "no such date: '2027-02-30'"),
    ("settings.grid_minutes", 7, "must divide 1440"),
    ("settings.prep_slot_min", 7, "settings.prep_slot_min: must divide 60"),
    ("settings.prep_slot_min", 90, "settings.prep_slot_min"),
    ("settings.min_bag_h", 120, "exceeds max_bag_h"),
    ("settings.stability_h", -1, "settings.stability_h"),
    ("settings.colour", "blue", "settings.colour: unknown field"),
    ("patient.weight_kg", 0, "patient.weight_kg"),
    ("patient.home", {"lat": 43.6}, "a point needs both lat and lon"),
    ("drug", "aspirin", "unknown drug 'aspirin'"),
    ("change_mode", "inpatient", "change_mode"),
    ("cycles", [], "cycles"),
]


@pytest.mark.parametrize(("path", "value", "fragment"), BAD)
def test_malformed_requests_give_one_line(path, value, fragment):
    """Each malformed field is one line naming the file, the field and the problem."""
    with pytest.raises(InputError) as exc:
        parse_request(with_(path, value), "req.yaml")
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("req.yaml: ")
    assert fragment in msg


def test_cycles_too_close_name_both():
    """A cycle starting before the previous one's 28 days + 14 days off names both cycles."""
    cycles = [{"number": 1, "start": "2027-01-04T10:00", "regimen": "rr-induction-c1"},
              {"number": 2, "start": "2027-02-10T10:00", "regimen": "rr-cycle"}]
    with pytest.raises(InputError, match=r"cycle 2 .* cycle 1 plus its 14 days off"):
        parse_request(with_("cycles", cycles), "r")
    cycles[1]["start"] = "2027-01-20T10:00"
    with pytest.raises(InputError, match="overlaps cycle 1"):
        parse_request(with_("cycles", cycles), "r")
    cycles[1]["start"] = "2027-02-15T10:00"  # exactly 42 days later: allowed
    assert len(parse_request(with_("cycles", cycles), "r").cycles) == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2027-03-22T10:00", "2027-05-03T10:00"),  # cycle 1 ends 11:00+02:00 after the March change
        ("2027-10-11T10:00", "2027-11-22T09:00"),  # 672 real hours end at 09:00+01:00
    ],
)
def test_days_off_across_a_dst_change(first, second):
    """The 14 days off are calendar days: the earlier of the wall-clock and real-hour bounds."""
    cycles = [{"number": 1, "start": first, "regimen": "rr-cycle"},
              {"number": 2, "start": second, "regimen": "rr-cycle"}]
    assert len(parse_request(with_("cycles", cycles), "r").cycles) == 2
    early = second[:-5] + "08:00"
    cycles[1]["start"] = early
    with pytest.raises(InputError, match="14 days off"):
        parse_request(with_("cycles", cycles), "r")


def test_more_than_five_cycles():
    """Six cycles are refused (2 induction + 3 consolidation at most)."""
    start = dt.datetime(2027, 1, 4, 10)
    cycles = [{"number": i + 1, "start": (start + dt.timedelta(days=42 * i)).isoformat(),
               "regimen": "rr-cycle"} for i in range(6)]
    with pytest.raises(InputError, match="6 cycles requested, at most 5"):
        parse_request(with_("cycles", cycles), "r")


def test_missing_file_and_bad_yaml(tmp_path):
    """Unreadable or broken files are one line too."""
    with pytest.raises(InputError, match="nope.yaml: file not found"):
        load_request(tmp_path / "nope.yaml")
    f = tmp_path / "bad.yaml"
    f.write_text("patient: {id: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_request(f)


@pytest.mark.parametrize(("regimen", "cycle_days", "what"), [
    ("rr-induction-c1", 1, "9 inpatient days"),
    ("rr-induction-c1", 8, "9 inpatient days"),
    ("rr-cycle", 1, "2 inpatient days"),
])
def test_a_setting_cannot_cut_the_regimen_out_of_the_cycle(regimen, cycle_days, what):
    """cycle_days shorter than the inpatient period or the dose step is refused, not obeyed."""
    cycles = [{"number": 1, "start": "2027-01-04T10:00", "regimen": regimen}]
    data = with_("cycles", cycles)
    data["settings"] = {"cycle_days": cycle_days}
    with pytest.raises(InputError, match=f"would cut cycle 1's {what}"):
        parse_request(data, "r")


def test_cycle_days_keeping_the_step_up_is_accepted():
    """A cycle of 9 days still holds rr-induction-c1's 9 inpatient days and its day-8 step."""
    data = with_("cycles", [{"number": 1, "start": "2027-01-04T10:00",
                             "regimen": "rr-induction-c1"}])
    data["settings"] = {"cycle_days": 9}
    assert parse_request(data, "r").settings.cycle_days == 9
