"""The PUI production sheet built from checked plans."""

from __future__ import annotations

import csv
import io
import math

import pytest
from openpyxl import load_workbook

from hadplanner.export.production_sheet import (
    production_sheet_csv,
    production_sheet_text,
    write_production_xlsx,
)
from hadplanner.models.request import load_request
from hadplanner.paths import examples_dir
from hadplanner.pharmacy.production import production_sheet
from hadplanner.schedule.planner import plan_request


def _plan(name: str):
    request = load_request(examples_dir() / name)
    settings = request.settings.model_copy(update={"transport_h": 1.0})
    return plan_request(request.model_copy(update={"settings": settings}), with_baseline=False)


@pytest.fixture(scope="module")
def plans():
    # P001 and P004 both start a cycle on Monday 2027-01-04: their bags share a session.
    return [_plan("P001-rr-had-toulouse.yaml"), _plan("P004-christmas-new-year.yaml")]


def test_every_bag_is_on_the_sheet_once(plans):
    """Each bag of each plan appears once, on the day it is compounded."""
    sheet = production_sheet(plans)
    rows = [(p.patient_id, p.cycle, p.bag) for d in sheet.days for p in d.preparations]
    expected = [
        (pl.patient_id, c.number, b.index) for pl in plans for c in pl.cycles for b in c.bags
    ]
    assert sorted(rows) == sorted(expected)
    for day in sheet.days:
        assert all(p.prepared_at.date() == day.day for p in day.preparations)


def test_vials_per_session_share_leftovers(plans):
    """A session opens ceil(total dose / vial) vials, never more than bags alone would."""
    sheet = production_sheet(plans, vial_ug=38.5)
    for day in sheet.days:
        assert day.vials_shared == math.ceil(day.dose_ug / 38.5 - 1e-9)
        assert day.vials_shared <= day.vials_alone
        assert 0 <= day.leftover_ug < 38.5
    shared_days = [d for d in sheet.days if len({p.patient_id for p in d.preparations}) > 1]
    assert shared_days, "the two example patients share at least one production day"
    assert sheet.vials_saved >= 1
    assert sheet.euros_saved == sheet.vials_saved * 2628


def test_capacity_flag(plans):
    """A day with more preparations than the PUI's capacity is flagged."""
    sheet = production_sheet(plans, capacity_per_day=1)
    assert any(d.over_capacity for d in sheet.days)
    assert all(d.over_capacity == (len(d.preparations) > 1) for d in sheet.days)


def test_exports_in_french_and_english(plans, tmp_path):
    """CSV, text and XLSX carry French headers by default, English on request."""
    sheet = production_sheet(plans)
    fr = list(csv.reader(io.StringIO(production_sheet_csv(sheet).removeprefix("\ufeff")),
                         delimiter=";"))
    assert fr[0][0] == "jour de production"
    assert len(fr) - 1 == sum(len(d.preparations) for d in sheet.days)
    en = list(csv.reader(io.StringIO(production_sheet_csv(sheet, lang="en", dialect="plain"))))
    assert en[0][0] == "production day"
    assert "Fiche de production PUI" in production_sheet_text(sheet)
    path = write_production_xlsx(sheet, tmp_path / "fiche.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["préparations", "jours", "synthèse"]
    assert wb["jours"].max_row == len(sheet.days) + 1


def test_sheet_says_what_goes_in_each_bag_and_its_real_expiry():
    """Volumes, pump rate and expiry come from the plan; expiry is 96 real hours across DST."""
    import datetime as dt

    plan = _plan("P005-march-dst.yaml")
    sheet = production_sheet([plan])
    bags = {(c.number, b.index): b for c in plan.cycles for b in c.bags}
    for day in sheet.days:
        for p in day.preparations:
            bag = bags[(p.cycle, p.bag)]
            assert (p.volume_ml, p.drug_ml, p.nacl_ml, p.stabiliser_ml, p.pump_rate_ml_h) == (
                bag.volume_ml, bag.drug_ml, bag.nacl_ml, bag.stabiliser_ml, bag.pump_rate_ml_h)
            assert p.volume_ml == pytest.approx(p.drug_ml + p.nacl_ml + p.stabiliser_ml,
                                                abs=0.02)
            real = p.expires_at.astimezone(dt.UTC) - p.prepared_at.astimezone(dt.UTC)
            assert real == dt.timedelta(hours=96)
    crossing = [p for d in sheet.days for p in d.preparations
                if p.prepared_at.utcoffset() != p.expires_at.utcoffset()]
    assert crossing, "P005 has a bag whose stability spans the March change"
    text = production_sheet_text(sheet)
    assert "mL blinatumomab reconstitué" in text and "pompe 2,50 mL/h" in text
