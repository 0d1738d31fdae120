"""The text table of a plan (what ``hadplanner plan`` prints)."""

from __future__ import annotations

import re

import pytest

from hadplanner.errors import InputError
from hadplanner.export import _labels as L
from hadplanner.export.plan_table import plan_table

FRENCH_DATE = re.compile(
    r"(lun|mar|mer|jeu|ven|sam|dim)\. \d\d/\d\d/\d{4} \d\d:\d\d \(\+0[12]:00\)"
)


def test_french_headers_and_totals(two_cycle_plan):
    """The default table is French: column headers, who hangs the bags, the comparison."""
    text = plan_table(two_cycle_plan)
    for header in ("n°", "préparée le", "pose", "fin", "durée (h)", "surremplissage (h)",
                   "débit (µg/j)", "dose (µg)", "flacons", "posée par"):
        assert header in text
    assert "hospitalisation" in text and "infirmier HAD" in text
    assert "Comparaison avec la pratique actuelle" in text
    assert "économie" in text
    assert "Cycle 2 (mrd)" in text
    assert f"Cycle 1 : {len(two_cycle_plan.cycles[0].bags)} poches" in text


def test_one_line_per_bag_with_french_dates(two_cycle_plan):
    """Each bag is one line with three French dates carrying their offset."""
    lines = plan_table(two_cycle_plan).splitlines()
    bag_lines = [ln for ln in lines if re.match(r"^\s*\d+\s+(lun|mar|mer|jeu|ven|sam|dim)\.", ln)]
    assert len(bag_lines) == sum(len(c.bags) for c in two_cycle_plan.cycles)
    assert all(len(FRENCH_DATE.findall(ln)) == 3 for ln in bag_lines)


def test_dates_show_the_offset_across_dst(dst_plan):
    """Across the March change the table shows both +01:00 and +02:00 instants."""
    text = plan_table(dst_plan)
    assert "(+01:00)" in text and "(+02:00)" in text
    assert L.instant(dst_plan.cycles[0].end) == "lun. 12/04/2027 11:00 (+02:00)"


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
