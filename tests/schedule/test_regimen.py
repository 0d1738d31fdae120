"""Regimens from the catalogue: instants, inpatient periods, rates per m2."""

from __future__ import annotations

import pytest

from hadplanner.errors import InputError
from hadplanner.models.drug import bsa_mosteller, load_drug
from hadplanner.schedule.regimen import cycle_specs, resolve_transport_h

from .conftest import make_request


def test_catalogue_numbers_and_sources():
    """Every number of the drug is there with its source."""
    d = load_drug("blinatumomab")
    assert (d.stability_h, d.overfill_h, d.overfill_max_bag_h, d.vial_ug, d.vial_eur) == (
        96, 4, 72, 38.5, 2628)
    assert d.reconstituted_vial_h == 24 and d.per_m2_below_kg == 45
    assert (d.cycle_days, d.off_days, d.max_cycles) == (28, 14, 5)
    assert "38 ug" in d.sources["vial_ug"] and "thesis" in d.sources["stability_h"]
    ind = d.regimens["rr-induction-c1"]
    assert [(s.from_day, s.ug_per_day, s.ug_per_m2_per_day) for s in ind.steps] == [
        (1, 9, 5), (8, 28, 15)]
    assert ind.inpatient_days == 9
    assert d.regimens["rr-cycle"].inpatient_days == 2
    mrd = d.regimens["mrd"]
    assert (mrd.inpatient_days_for(1), mrd.inpatient_days_for(2)) == (3, 2)
    with pytest.raises(InputError, match="unknown drug"):
        load_drug("aspirin")


def test_catalogue_says_what_is_in_a_bag_and_whom_it_follows():
    """Pump rate, concentration, stabiliser and bag, each sourced; label vs thesis choices."""
    d = load_drug("blinatumomab")
    assert (d.pump_rate_ml_h, d.reconstituted_ug_per_ml, d.stabiliser_ml, d.bag_nacl_ml) == (
        2.5, 12.5, 5.5, 250)
    assert "one" in d.sources["pump_rate_ml_h"] and "thesis" in d.sources["pump_rate_ml_h"]
    assert d.follows == {"pump_rate_ml_h": "thesis", "overfill_h": "thesis",
                         "stability_h": "thesis", "vial_ug": "SmPC"}
    # the longest bag (96 h, no overfill) fits the 250 mL bag at the one rate
    assert d.pump_rate_ml_h * d.max_bag_h <= d.bag_nacl_ml


def test_induction_cycle_instants():
    """Step-up at T0 + 168 h, discharge at T0 + 216 h, end at T0 + 672 h."""
    spec = cycle_specs(make_request())[0]
    assert spec.t0.isoformat() == "2027-01-04T10:00:00+01:00"
    assert spec.dose_changes[0].isoformat() == "2027-01-11T10:00:00+01:00"
    assert spec.inpatient_end.isoformat() == "2027-01-13T10:00:00+01:00"
    assert spec.t_end.isoformat() == "2027-02-01T10:00:00+01:00"
    assert spec.rate_at(spec.t0) == 9 and spec.rate_at(spec.dose_changes[0]) == 28


def test_dst_cycle_ends_one_hour_later_on_the_clock():
    """A 10:00+01:00 start before the last Sunday of March ends at 11:00+02:00."""
    r = make_request(cycles=[{"number": 1, "start": "2027-03-22T10:00", "regimen": "rr-cycle"}])
    spec = cycle_specs(r)[0]
    assert spec.t_end.isoformat() == "2027-04-19T11:00:00+02:00"
    assert spec.cycle_h == 672


def test_per_m2_dosing_under_45_kg():
    """Under 45 kg: 5 then 15 ug/m2/day by Mosteller BSA, capped at 9 and 28."""
    r = make_request(patient={"id": "C1", "weight_kg": 30, "height_cm": 135})
    spec = cycle_specs(r)[0]
    bsa = bsa_mosteller(30, 135)
    assert bsa == pytest.approx(1.0607, abs=1e-4)
    assert spec.steps[0][1] == pytest.approx(5 * bsa, abs=1e-6)
    assert spec.steps[1][1] == pytest.approx(15 * bsa, abs=1e-6)
    # the cap: a catalogue with a higher threshold and a large patient
    from hadplanner.models.request import Patient
    from hadplanner.schedule.regimen import patient_rate

    drug = load_drug().model_copy(update={"per_m2_below_kg": 200})
    big = Patient(id="A", weight_kg=100, height_cm=190)
    assert patient_rate(9, 5, big, drug) == 9 and patient_rate(28, 15, big, drug) == 28


def test_mrd_inpatient_days_per_cycle():
    """MRD: 3 inpatient days in cycle 1, 2 afterwards; no step-up."""
    r = make_request(cycles=[
        {"number": 1, "start": "2027-01-04T10:00", "regimen": "mrd"},
        {"number": 2, "start": "2027-02-15T10:00", "regimen": "mrd"}])
    s1, s2 = cycle_specs(r)
    assert s1.inpatient_days == 3 and s2.inpatient_days == 2
    assert s1.dose_changes == () and s1.steps[0][1] == 28


def test_transport_resolution():
    """Setting first; without home the spec's 2.0 h default."""
    assert resolve_transport_h(make_request(settings={"transport_h": 1.25})) == 1.25
    r = make_request(settings={"transport_h": None})
    assert resolve_transport_h(r) == 2.0


def test_catalogue_refuses_a_number_without_source(tmp_path):
    """A drug whose number has no source is an error naming the field."""
    import yaml

    from hadplanner.models.drug import catalogue_path

    data = yaml.safe_load(catalogue_path().read_text(encoding="utf-8"))
    del data["blinatumomab"]["sources"]["vial_eur"]
    f = tmp_path / "drugs.yaml"
    f.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="no source given for vial_eur"):
        load_drug("blinatumomab", f)


@pytest.mark.parametrize(("change", "fragment"), [
    ({"follows": {"colour": "thesis"}}, "unknown fields colour"),
    ({"follows": {"vial_ug": "hearsay"}}, "follows.vial_ug"),
    ({"pump_rate_ml_h": None}, "pump_rate_ml_h"),
])
def test_catalogue_rejects_unsourced_or_unknown_choices(change, fragment):
    """A 'follows' entry names a known field and thesis or SmPC; a bag number is required."""
    import yaml
    from pydantic import ValidationError

    from hadplanner.models.drug import Drug, catalogue_path

    raw = yaml.safe_load(catalogue_path().read_text(encoding="utf-8"))["blinatumomab"]
    raw.update(change)
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(ValidationError, match=fragment):
        Drug.model_validate(raw)
