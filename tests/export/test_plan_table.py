"""The text table of a plan (what ``hadplanner plan`` prints)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hadplanner.errors import InputError
from hadplanner.export import _labels as L
from hadplanner.export.plan_table import plan_table

FRENCH_TIME = re.compile(r"(lun|mar|mer|jeu|ven|sam|dim)\. \d\d/\d\d \d\d:\d\d")
OFFSET = re.compile(r"\(\+0[12]:00\)")


def _bag_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines()
            if re.match(r"^\s*\d+\s+(lun|mar|mer|jeu|ven|sam|dim|Mon|Tue|Wed|Thu|Fri|Sat|Sun)",
                        ln)]


@pytest.fixture(scope="module")
def october_plan():
    """A day-hospital cycle across the autumn change (Sunday 31 October 2027)."""
    from hadplanner.models.request import parse_request
    from hadplanner.schedule.planner import plan_request

    return plan_request(parse_request({
        "patient": {"id": "OCT", "weight_kg": 70, "height_cm": 170},
        "change_mode": "day_hospital",
        "cycles": [{"number": 1, "start": "2027-10-18T10:00", "regimen": "rr-cycle"}],
    }))


def test_french_headers_and_totals(two_cycle_plan):
    """The default table is French: column headers, who hangs the bags, the comparison."""
    text = plan_table(two_cycle_plan)
    for header in ("n°", "préparée le", "pose", "fin", "durée (h)", "surremplissage (h)",
                   "débit (µg/j)", "dose (µg)", "flacons", "volume (mL)", "pompe (mL/h)",
                   "périmée le", "posée par"):
        assert header in text
    assert "hospitalisation" in text and "infirmier HAD" in text
    assert "Comparaison avec la pratique actuelle" in text
    assert "économie" in text
    assert "Cycle 2 (mrd)" in text
    assert f"Cycle 1 : {len(two_cycle_plan.cycles[0].bags)} poches" in text


def test_one_line_per_bag_with_french_times_without_offset(two_cycle_plan):
    """Each bag is one line with four French times (prepared, hung, ends, expires), no offset."""
    text = plan_table(two_cycle_plan)
    bag_lines = _bag_lines(text)
    assert len(bag_lines) == sum(len(c.bags) for c in two_cycle_plan.cycles)
    assert all(len(FRENCH_TIME.findall(ln)) == 4 for ln in bag_lines)
    assert not OFFSET.search(text)
    assert "Heure légale" not in text  # May to July: no legal-time change


def test_march_change_is_said_once_and_rows_carry_no_offset(dst_plan):
    """P005 crosses the spring change: one note says so, and no row or header shows an offset."""
    text = plan_table(dst_plan)
    note = ("Heure légale : passage à l'heure d'été le dim. 28/03/2027 à 02:00 "
            "(UTC+1 -> UTC+2) ; les heures sont locales, les durées en heures réelles.")
    assert text.count("Heure légale") == 1 and note in text.splitlines()
    assert not OFFSET.search(text)
    assert "au lun. 12/04/2027 11:00" in text  # the cycle ends 672 real hours after 10:00+01:00
    bag5 = next(ln for ln in _bag_lines(text) if ln.split()[0] == "5")
    assert "ven. 26/03 11:00  mar. 30/03 10:45" in bag5 and "94,75" in bag5


def test_march_change_note_in_english(dst_plan):
    """The English table says the same once, in English."""
    text = plan_table(dst_plan, "en")
    assert text.count("Legal time: summer time starts on Sun 2027-03-28 at 02:00 "
                      "(UTC+1 -> UTC+2)") == 1
    assert not OFFSET.search(text) and "Heure" not in text


def test_october_change_is_said_once(october_plan):
    """Across the autumn change the note names winter time and 03:00, once; rows have no offset."""
    text = plan_table(october_plan)
    assert text.count("Heure légale : passage à l'heure d'hiver le dim. 31/10/2027 à 03:00 "
                      "(UTC+2 -> UTC+1)") == 1
    assert not OFFSET.search(text)


def test_times_that_happen_twice_carry_their_offset(october_plan):
    """A row at 02:30 on the October night (it happens twice) shows its offset, other rows don't."""
    first = dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC)  # 02:30+02:00
    second = first + dt.timedelta(hours=1)  # 02:30+01:00
    assert L.when(first) == "dim. 31/10 02:30 (+02:00)"
    assert L.when(second) == "dim. 31/10 02:30 (+01:00)"
    assert L.when(second + dt.timedelta(hours=1)) == "dim. 31/10 03:30"
    cycle = october_plan.cycles[0]
    bags = list(cycle.bags)
    bags[1] = bags[1].model_copy(update={"prepared_at": first.astimezone(L.PARIS)})
    plan = october_plan.model_copy(
        update={"cycles": (cycle.model_copy(update={"bags": tuple(bags)}),)})
    rows = _bag_lines(plan_table(plan))
    assert "dim. 31/10 02:30 (+02:00)" in rows[1]
    assert [r for r in rows if OFFSET.search(r)] == [rows[1]]


def test_english_table(two_cycle_plan):
    """lang='en' gives English headers and words."""
    text = plan_table(two_cycle_plan, "en")
    assert "prepared" in text and "hung by" in text and "HAD nurse" in text
    assert "Compared with the current practice" in text
    assert "préparée" not in text


def test_savings_are_practice_minus_plan(two_cycle_plan):
    """The comparison's saving column is the practice minus the plan."""
    base, tot = two_cycle_plan.baseline, two_cycle_plan.totals
    assert base.feasible
    row = next(ln for ln in plan_table(two_cycle_plan, "en").splitlines()
               if ln.startswith("vials"))
    assert row.split() == ["vials", str(tot.vials), str(base.vials), str(base.vials - tot.vials)]


def test_unknown_language_is_an_input_error(two_cycle_plan):
    """Only fr and en are offered."""
    with pytest.raises(InputError, match="unknown language"):
        plan_table(two_cycle_plan, "de")


def test_infeasible_practice_is_said_not_compared():
    """When the practice cannot plan the request, the table says why and shows dashes."""
    from hadplanner.models.request import parse_request
    from hadplanner.schedule.planner import plan_request

    request = parse_request({
        "patient": {"id": "FAR", "weight_kg": 70, "height_cm": 170},
        "change_mode": "had_nurse",
        "cycles": [{"number": 1, "start": "2027-01-11T10:00", "regimen": "rr-cycle"}],
        "settings": {"transport_h": 6.5},
    })
    text = plan_table(plan_request(request))
    assert "Pratique actuelle infaisable sur cette demande : mon/thu" in text
    assert all(len(line) <= 100 for line in text.splitlines() if "infaisable" in line)
    row = next(ln for ln in text.splitlines() if ln.startswith("poches"))
    assert row.split()[2] == "—"


def test_practice_deviations_one_line_each(two_cycle_plan):
    """P003's practice leaves Thu 6 May (Ascension) and Mon 17 May (Whit Monday): a line each."""
    lines = plan_table(two_cycle_plan).splitlines()
    assert "Écarts de la pratique à ses jours fixes :" in lines
    assert ("  Cycle 1 : changement du jeu. 06/05 remplacé par ceux du mer. 05/05 et du ven. 07/05 "
            "(Ascension, PUI fermée)") in lines
    assert ("  Cycle 1 : changement du lun. 17/05 remplacé par ceux du ven. 14/05 et du mar. 18/05 "
            "(Lundi de Pentecôte, PUI fermée)") in lines
    assert sum(ln.startswith("  Cycle ") for ln in lines) == len(two_cycle_plan.baseline.deviations)


def test_practice_deviations_in_english(dst_plan):
    """In English the Easter Monday move reads as English, holiday name included."""
    text = plan_table(dst_plan, "en")
    assert ("  Cycle 1: the change of Mon 29 Mar replaced by changes on Fri 26 Mar and Tue 30 Mar "
            "(Easter Monday, PUI closed)") in text.splitlines()


def test_practice_deviation_single_move_line():
    """A change moved to one other day reads 'avancé au', then the holiday and closed services."""
    from hadplanner.export.plan_table import _deviation_line
    from hadplanner.models.plan import PracticeDeviation

    dev = PracticeDeviation(
        cycle=1, fixed_day=dt.date(2026, 12, 25),
        changes=(dt.datetime(2026, 12, 24, 14, 0, tzinfo=L.PARIS),),
        reasons=("public_holiday", "production_closed", "day_hospital_closed"),
        holiday="Christmas Day",
    )
    assert _deviation_line(dev, "fr") == ("Cycle 1 : changement du ven. 25/12 avancé au jeu. 24/12 "
                                          "(Noël, PUI fermée, hôpital de jour fermé)")
    assert _deviation_line(dev, "en") == (
        "Cycle 1: the change of Fri 25 Dec brought forward to "
        "Thu 24 Dec (Christmas Day, PUI closed, day hospital closed)")


def test_practice_without_deviation_says_so(example_plans):
    """P004's Mon/Thu practice misses no holiday: the table says it kept its fixed days."""
    plan = example_plans["P004-christmas-new-year"][1]
    assert plan.baseline.weekdays == ("mon", "thu") and plan.baseline.deviations == ()
    assert "La pratique tient ses jours fixes sur toute la demande." in plan_table(plan)
