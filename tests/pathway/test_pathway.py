"""The care pathway: who cares for the patient at home, checked against the territory's data."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import re
from pathlib import Path

import pytest
import shapely
import yaml

from hadplanner.cli import app
from hadplanner.cli.boundary import run_cli
from hadplanner.models.request import load_request, parse_request
from hadplanner.paths import examples_dir
from hadplanner.pathway.choice import CareStatus
from hadplanner.pathway.coordinator import build_pathway
from hadplanner.schedule.checker import check_plan
from hadplanner.territory.coverage import TerritoryIndex
from hadplanner.travel import DEFAULT_TRAVEL_MODEL, haversine_km

DAY = dt.date(2018, 6, 1)


@pytest.fixture(scope="module")
def index(occitanie):
    """The territory's coverage index, built once."""
    return TerritoryIndex.from_loaded(occitanie)


@pytest.fixture(scope="module")
def pathways(index):
    """The pathway of every example request (all have a home)."""
    out = {}
    for path in sorted(examples_dir().glob("*.yaml")):
        request = load_request(path)
        out[path.stem.split("-")[0]] = build_pathway(request, decided_on=DAY, index=index)
    return out


def _zone_shape(loaded, had_id):
    zone = loaded.territory.zone_of(had_id)
    return shapely.union_all(loaded.communes_gdf.loc[sorted(zone.communes)].geometry.to_numpy())


def _minutes_from_nearest_site(had, centre):
    return min(DEFAULT_TRAVEL_MODEL.minutes(s.location, centre) for s in had.sites)


def _expected(loaded, insee, days, limit=45.0):
    """(status, HAD id, minutes) recomputed from zones, authorisations, polygons and roads."""
    t = loaded.territory
    centre = t.communes[insee].centre
    zone_hads = [z.had_id for z in t.zones if insee in z.communes]
    every = {h.id: all(h.authorised_on(d) for d in days) for h in t.hads}
    served = [h for h in zone_hads if every[h]]
    if served:
        best = min(served, key=lambda h: (_minutes_from_nearest_site(t.had(h), centre), h))
        return "served", best, None
    home_zones = [_zone_shape(loaded, h) for h in zone_hads]
    bordering = [h.id for h in t.hads if h.id not in zone_hads and every[h.id]
                 and t.zone_of(h.id) is not None
                 and any(_zone_shape(loaded, h.id).intersects(z) for z in home_zones)]
    if not bordering:
        return "day_hospital", None, None
    best = min(bordering, key=lambda h: (_minutes_from_nearest_site(t.had(h), centre), h))
    minutes = _minutes_from_nearest_site(t.had(best), centre)
    return ("derogation" if minutes <= limit else "convention"), best, minutes


@pytest.mark.parametrize(("patient", "insee", "status"), [
    ("P001", "31555", "served"), ("P007", "81139", "derogation"), ("P003", "81065", "convention"),
])
def test_example_pathways_match_the_territory(pathways, occitanie, patient, insee, status):
    """Served (Toulouse), derogation (Lautrec) and convention (Castres) are what the data say."""
    p = pathways[patient]
    c = p.choice
    assert c.insee == insee and c.status.value == status
    exp_status, exp_had, exp_minutes = _expected(occitanie, insee, c.home_days)
    assert (c.status.value, c.had_id) == (exp_status, exp_had)
    if exp_minutes is not None:
        assert c.chosen.minutes == pytest.approx(exp_minutes, abs=0.05)
    zone = {z.had_id for z in occitanie.territory.zones if insee in z.communes}
    assert {s.had_id for s in c.zone_hads} == zone
    for s in c.candidates:  # every candidate authorised on the first home day, outside the zone
        assert s.had_id not in zone
        assert occitanie.territory.had(s.had_id).authorised_on(c.home_days[0])
    assert [s.minutes for s in c.candidates if s.authorised_every_day] == sorted(
        s.minutes for s in c.candidates if s.authorised_every_day)


def test_first_recourse_is_the_nearest_emergency_department(pathways, hospital_list):
    """For each example, no adult emergency department is nearer the home than the one named."""
    for p in pathways.values():
        child = p.request.patient.weight_kg < 45
        eligible = [h for h in hospital_list.hospitals
                    if h.emergency and (child or not h.paediatric_only)]
        km = [float(haversine_km(p.home.lat, p.home.lon, h.location.lat, h.location.lon))
              for h in eligible]
        assert p.recourse.km == pytest.approx(min(km), abs=1e-6)
        assert p.recourse.hospital.emergency
        assert p.recourse.second.startswith("Service d'hématologie")


def test_every_pathway_plan_passes_the_independent_checker(pathways):
    """The plan made for the chosen care is checked, and re-checking finds nothing."""
    for p in pathways.values():
        assert p.plan.checked
        assert check_plan(p.plan, p.request, transport_h=p.request.settings.transport_h) == []
        mode = "had_nurse" if p.had is not None and p.request.change_mode == "had_nurse" \
            else "day_hospital"
        assert p.plan.change_mode.value == mode


def test_plan_uses_the_chosen_had_visit_hours_and_bag_route(pathways, occitanie):
    """HAD changes happen within the chosen HAD's visit hours; the road is its supply route."""
    p = pathways["P007"]
    visits = p.had.nurse_visits
    assert p.request.settings.had_nurse.open == visits.open
    assert p.request.settings.had_nurse.close == visits.close
    centre = occitanie.territory.centre.location
    road = DEFAULT_TRAVEL_MODEL.minutes(centre, p.home)
    assert p.transport_route == "courier"
    assert p.transport_h == pytest.approx(math.ceil(road) / 60, abs=1 / 60)


def _request(insee: str, start: str, status: str = "amm", **extra):
    data = {"patient": {"id": "T1", "weight_kg": 70, "height_cm": 170,
                        "home": {"commune": insee}},
            "access_status": status, "change_mode": "had_nurse",
            "cycles": [{"number": 1, "start": start, "regimen": "rr-cycle"}], **extra}
    return parse_request(data, "test")


@pytest.mark.parametrize(("status", "expected"), [
    ("amm", {"served", "derogation", "convention", "day_hospital"}),
    ("atu", {"home_care_provider"}),
    ("trial", {"sponsor_organisation"}),
    ("aap", {"ask"}),
    ("cpc", {"served", "derogation", "convention", "day_hospital"}),
])
def test_each_access_rule_decides(index, rules, status, expected):
    """Castres: AMM never gets a home-care provider; ATU may; each status's rule decides."""
    p = build_pathway(_request("81065", "2027-03-01T10:00", status), decided_on=DAY, index=index)
    assert p.choice.status.value in expected
    assert p.choice.decisions[0].rule.status.value == status
    if status == "amm":
        assert p.choice.status is not CareStatus.home_care_provider
        decision = rules.decide("home_care_provider", "amm", p.choice.home_days[0])
        assert decision.allowed is False


def test_amm_with_no_authorised_had_anywhere_goes_to_the_day_hospital(index, occitanie, rules):
    """With every HAD's authorisation revoked, AMM gives the day hospital, never a provider."""
    from hadplanner.pathway.choice import choose_care

    revoked = occitanie.territory.model_copy(update={"hads": tuple(
        h.model_copy(update={"authorisations": ()}) for h in occitanie.territory.hads)})
    bare = index.with_territory(revoked)
    days = [dt.date(2027, 3, 3) + dt.timedelta(days=i) for i in range(20)]
    amm = choose_care(bare, "81065", days, "amm", rules, day_hospital_minutes=60)
    atu = choose_care(bare, "81065", days, "atu", rules, day_hospital_minutes=60)
    assert amm.status is CareStatus.day_hospital and amm.had_id is None
    assert atu.status is CareStatus.home_care_provider


def test_an_authorisation_lapsing_mid_treatment_is_flagged(index, occitanie):
    """UDSMA (Rodez) loses its authorisation after 2017-06-30: flagged with 2017-07-01."""
    p = build_pathway(_request("12202", "2017-06-12T10:00"), decided_on=DAY, index=index)
    udsma = next(s for s in p.choice.zone_hads if s.had_id == "udsma")
    assert not udsma.authorised_every_day
    assert udsma.first_unauthorised == dt.date(2017, 7, 1)
    assert udsma.authorised_until == occitanie.territory.had("udsma").authorisations[0].valid_until
    assert "lapse:udsma:2017-07-01" in p.choice.flags
    assert p.choice.had_id != "udsma"


def test_training_need_follows_patients_treated_and_last_patient(index, occitanie):
    """An HAD that never treated a patient on the drug needs training; a recent one does not."""
    p = build_pathway(_request("81139", "2027-03-01T10:00"), decided_on=DAY, index=index)
    assert occitanie.territory.had(p.had.id).patients_treated == 0
    assert p.readiness.training == "needed"
    from hadplanner.pathway.coordinator import _readiness

    had = occitanie.territory.had("had-montauban").model_copy(
        update={"last_patient": dt.date(2027, 1, 10)})
    assert _readiness(had, dt.date(2027, 3, 1), "pump").training == "not_needed"
    old = had.model_copy(update={"last_patient": dt.date(2025, 1, 10)})
    assert _readiness(old, dt.date(2027, 3, 1), "pump").training == "needed"


def test_json_names_hads_by_id_with_status_and_minutes(pathways, occitanie):
    """The JSON gives the chosen HAD's id of hads.yaml, and every candidate's status and minutes."""
    from hadplanner.export.pathway_file import pathway_json

    data = json.loads(pathway_json(pathways["P007"]))
    ids = {h.id for h in occitanie.territory.hads}
    assert data["care"]["had_id"] in ids and data["had"]["id"] == data["care"]["had_id"]
    assert data["care"]["status"] == "derogation" and data["derogation_request"] is True
    for cand in data["care"]["candidates"]:
        assert cand["had_id"] in ids
        assert isinstance(cand["minutes"], float)
        assert isinstance(cand["authorised_every_day"], bool)


def _cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run_cli(app, args)
    return code, out.getvalue(), err.getvalue()


def _write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


BASE = yaml.safe_load((examples_dir() / "P007-lautrec-derogation.yaml").read_text())


@pytest.mark.parametrize(("change", "message"), [
    ({"access_status": "atu2"}, "access_status: must be one of"),
    ({"patient": {**BASE["patient"], "home": {"lat": 43.2, "lon": 3.9}}}, "at sea or abroad"),
    ({"had": "had-nowhere"}, "had: unknown HAD id 'had-nowhere'"),
    ({"had": "had-pays-ovalie"}, "had: had-pays-ovalie is not authorised"),
    ({"access_status": "continuity"}, "needs supply_until"),
    ({"patient": {**BASE["patient"], "home": None}}, "the pathway needs the home"),
])
def test_bad_pathway_requests_give_one_line_and_write_nothing(tmp_path, change, message):
    """Unknown status, home at sea, unknown or unable HAD: one line, exit 1, no files."""
    path = _write(tmp_path, "r.yaml", {**BASE, **change})
    code, out, err = _cli(["pathway", str(path), "--out", str(tmp_path / "out")])
    assert code == 1, err
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "out").exists() and out == ""


def test_hospital_list_with_a_missing_field_is_refused(tmp_path):
    """--hospitals FILE with a hospital lacking its INSEE code: one line with file and line."""
    from hadplanner.pathway.hospitals import hospitals_path

    data = yaml.safe_load(hospitals_path("occitanie").read_text())
    del data["hospitals"][3]["insee"]
    hosp = _write(tmp_path, "h.yaml", data)
    code, _out, err = _cli(["pathway", str(examples_dir() / "P007-lautrec-derogation.yaml"),
                            "--hospitals", str(hosp), "--out", str(tmp_path / "out")])
    assert code == 1 and err.count("\n") == 1
    assert re.search(r"h\.yaml:\d+: hospitals\[3\]\.insee: missing", err)
    assert not (tmp_path / "out").exists()


def test_cli_writes_the_printable_file_and_json(tmp_path):
    """`hadplanner pathway --out` writes the HTML and JSON files and prints a French summary."""
    code, out, err = _cli(["pathway", str(examples_dir() / "P007-lautrec-derogation.yaml"),
                           "--out", str(tmp_path / "out")])
    assert code == 0, err
    assert "dérogation de l'ARS" in out
    html = (tmp_path / "out" / "P007-parcours.html").read_text()
    assert '<html lang="fr">' in html and "Demande" not in html.split("<section")[0][:0]
    assert "Objet : demande de dérogation" in html
    assert json.loads((tmp_path / "out" / "P007-parcours.json").read_text())["patient_id"] \
        == "P007"
