"""The register's patients as cases of the joint plan: the same as from the request files,
without running the pathway again; a patient re-planned after an event is left out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hadplanner.models.request import load_request
from hadplanner.paths import examples_dir
from hadplanner.pharmacy.patients import REPLANNED, cases_from_register
from hadplanner.register.events import Event
from hadplanner.register.service import add_patient, list_patients, record_event

IDS = ("P002", "P005", "P007")
"""A day-hospital child (no HAD), a home given as a point, an HAD patient of a derogation."""


def example(pid: str):
    return load_request(next(examples_dir().glob(f"{pid}-*.yaml")))


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    url = str(tmp_path_factory.mktemp("register") / "register.sqlite")
    for pid in IDS:
        add_patient(example(pid), user="tests", url=url)
    return url


@pytest.fixture(scope="module")
def from_files(example_cases):
    return {c.patient_id: c for c in example_cases if c.patient_id in IDS}


def test_cases_are_those_of_the_request_files(register, from_files):
    views = list_patients(url=register)
    cases, excluded = cases_from_register(views)
    assert excluded == []
    assert [c.patient_id for c in cases] == list(IDS)
    for case in cases:
        ref = from_files[case.patient_id]
        assert case.request == ref.request  # as planned: road time, the HAD's hours
        assert case.own == next(v.plan for v in views if v.pseudonym == case.patient_id)
        assert case.own.cycles == ref.own.cycles
        assert (case.had_id, case.had_name, case.had_capacity, case.commune, case.centre) == \
            (ref.had_id, ref.had_name, ref.had_capacity, ref.commune, ref.centre)
    by_id = {c.patient_id: c for c in cases}
    assert by_id["P002"].had_id is None and by_id["P002"].commune == "Colomiers"
    assert by_id["P005"].commune == "Montauban"  # a point: the commune that contains it
    assert by_id["P007"].had_id == "had-albi" and by_id["P007"].had_name


def test_a_day_hospital_patient_has_no_had_even_when_the_register_names_one(register):
    view = next(v for v in list_patients(url=register) if v.pseudonym == "P007")
    request = view.request.model_copy(update={"change_mode": "day_hospital"})
    day_hospital = replace(view, request=request)
    [case], _ = cases_from_register([day_hospital])
    assert view.had_id == "had-albi" and case.had_id is None and case.had_name is None
    assert case.had_capacity is None


def test_a_patient_with_an_event_or_a_new_plan_is_left_out(register):
    record_event("P005", Event.model_validate({"kind": "pump_failure",
                                               "at": "2027-03-25T14:10"}),
                 user="tests", url=register)
    views = list_patients(url=register)
    cases, excluded = cases_from_register(views)
    assert [c.patient_id for c in cases] == ["P002", "P007"]
    assert excluded == [("P005", REPLANNED)]
    assert "réplanifié" in REPLANNED
    p007 = next(v for v in views if v.pseudonym == "P007")
    replanned = replace(p007, plan_version=2)
    assert cases_from_register([replanned]) == ([], [("P007", REPLANNED)])
