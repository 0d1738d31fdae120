"""The pharmacy's joint-plan screen (``/pharmacie/plan-commun``) and its downloads, over the
register's patients: real figures, roles, a patient re-planned after an event kept out,
typed spreadsheet cells, French errors, and one solve per register content and horizon.

Three example patients: P005 (point home, cycle 1 from 2027-03-15), P007 (Lautrec, from
2027-04-05) and P003 (Castres, from 2027-05-03); from 2027-04-05 over 5 weeks every one
has a cycle in the horizon, and P005 and P007 share leftovers (the solve is proven
optimal in about two seconds).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest

from hadplanner.paths import examples_dir

from .conftest import client_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

IDS = ("P003", "P005", "P007")
QUERY = "depuis=2027-04-05&semaines=5"
START, WEEKS = dt.date(2027, 4, 5), 5


@pytest.fixture(scope="module")
def patients(app, register_url):
    from hadplanner.models.request import load_request
    from hadplanner.register.service import add_patient

    for pid in IDS:
        add_patient(load_request(next(examples_dir().glob(f"{pid}-*.yaml"))), user="tests",
                    url=register_url)
    return IDS


@pytest.fixture(scope="module")
def pharmacist(app):
    return client_for(app, "carol")


@pytest.fixture(scope="module")
def first_visit(app, patients, pharmacist, register_url):
    """The page as the pharmacist first sees it (solved then), its time, and the plan of a
    direct call of the planner on the same patients, made before any test changes them."""
    from hadplanner.pharmacy.joint import plan_pharmacy
    from hadplanner.pharmacy.patients import cases_from_register
    from hadplanner.pharmacy.settings import PharmacySettings
    from hadplanner.register.service import list_patients
    from hadplanner.web.pharmacy import JOINT_TIME_LIMIT_S

    t0 = time.perf_counter()
    page = pharmacist.get(f"/pharmacie/plan-commun?{QUERY}")
    seconds = time.perf_counter() - t0
    cases, excluded = cases_from_register(list_patients(url=register_url))
    assert excluded == []
    direct = plan_pharmacy(cases, PharmacySettings(time_limit_s=JOINT_TIME_LIMIT_S),
                           start=START, weeks=WEEKS)
    return page, seconds, direct


def cell(html: str, key: str, column: str) -> str:
    """A figure of the comparison table (``joint``, ``single``, ``practice``)."""
    row = re.search(rf'<tr id="cmp-{key}">(.*?)</tr>', html, re.S)
    assert row is not None, key
    value = re.search(rf'<td class="num {column}">([^<]*)</td>', row.group(1))
    assert value is not None, (key, column)
    return value.group(1)


def in_sessions(html: str) -> set[str]:
    return set(re.findall(r'<tr class="prep" data-patient="([^"]+)">', html))


def test_the_pharmacist_sees_the_joint_plan_with_real_figures(first_visit):
    page, _, direct = first_visit
    assert page.status_code == 200, page.text
    html = page.text
    assert "Traceback" not in html and 'id="joint-error"' not in html
    assert direct.solver.status == "optimal"
    assert re.search(r'<td id="solver-status">optimal \(prouvé\)</td>', html)
    c = direct.comparison
    assert cell(html, "vials", "joint") == str(c.joint.vials)
    assert cell(html, "vials", "single") == str(c.single.vials)
    assert c.practice is not None and cell(html, "vials", "practice") == str(c.practice.vials)
    assert cell(html, "bags", "joint") == str(c.joint.bags)
    assert cell(html, "day_hospital_trips", "joint") == str(c.joint.day_hospital_trips)
    assert f'<td class="num" id="vial-bound">{direct.solver.vial_bound}</td>' in html
    assert in_sessions(html) == set(IDS) == {p.patient_id for p in direct.patients}
    for s in direct.sessions:  # every production day, with its vials opened
        assert f'id="session-{s.day.isoformat()}"' in html
    assert html.count('<tr class="prep"') == sum(len(s.preparations) for s in direct.sessions)
    assert "(reliquat)" in html  # P005 and P007 share leftovers: the lot is named
    assert f"/pharmacie/plan-commun.xlsx?{QUERY.replace('&', '&amp;')}" in html
    assert f"/pharmacie/plan-commun.html?{QUERY.replace('&', '&amp;')}" in html
    assert 'id="excluded"' not in html


def test_the_production_page_leads_to_the_joint_plan(pharmacist, patients):
    html = pharmacist.get("/pharmacie?depuis=2027-04-05").text
    assert 'action="/pharmacie/plan-commun"' in html and "Calculer le plan commun" in html
    assert "s'affichera ici" not in html


def test_other_roles_are_refused(app, patients):
    for name in ("bob", "alice"):  # the ARS, the coordinator
        c = client_for(app, name)
        for path in ("/pharmacie/plan-commun", "/pharmacie/plan-commun.xlsx",
                     "/pharmacie/plan-commun.html"):
            r = c.get(f"{path}?{QUERY}")
            assert r.status_code == 403, (name, path, r.status_code)
            assert "P007" not in r.text


def test_the_downloads_reuse_the_plan_and_the_spreadsheet_is_typed(first_visit, pharmacist,
                                                                    monkeypatch):
    import openpyxl

    import hadplanner.pharmacy.joint as joint

    _, _, direct = first_visit

    def no_solve(*args, **kwargs):
        raise AssertionError("solved again")

    monkeypatch.setattr(joint, "plan_pharmacy", no_solve)
    r = pharmacist.get(f"/pharmacie/plan-commun.xlsx?{QUERY}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "plan_production_2027-04-05.xlsx" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    preps = wb.worksheets[0]
    header = [c.value for c in preps[1]]
    rows = list(preps.iter_rows(min_row=2))
    assert len(rows) == sum(len(s.preparations) for s in direct.sessions)
    dose = next(i for i, h in enumerate(header) if str(h).startswith("dose"))
    cycle = header.index("cure")
    for row in rows:
        assert row[dose].data_type == "n" and isinstance(row[dose].value, (int, float))
        assert row[cycle].data_type == "n" and isinstance(row[cycle].value, int)
    assert {row[header.index("patient")].value for row in rows} == set(IDS)
    comparison = wb["comparaison"]
    vials = next(r for r in comparison.iter_rows(min_row=2)
                 if r[0].value == "flacons avec lots partagés")
    assert vials[1].data_type == "n" and vials[1].value == direct.comparison.joint.vials
    sheets = pharmacist.get(f"/pharmacie/plan-commun.html?{QUERY}")
    assert sheets.status_code == 200 and sheets.headers["content-type"].startswith("text/html")
    assert "Plan de production PUI" in sheets.text and "P007" in sheets.text
    again = pharmacist.get(f"/pharmacie/plan-commun?{QUERY}")
    assert again.status_code == 200 and in_sessions(again.text) == set(IDS)


def test_a_second_visit_does_not_solve_again(pharmacist, patients, monkeypatch):
    import hadplanner.pharmacy.joint as joint

    calls = []
    solve = joint.plan_pharmacy

    def counted(*args, **kwargs):
        calls.append(kwargs["start"])
        return solve(*args, **kwargs)

    monkeypatch.setattr(joint, "plan_pharmacy", counted)
    query = "depuis=2027-04-12&semaines=4"  # a horizon no other test asks
    t0 = time.perf_counter()
    first = pharmacist.get(f"/pharmacie/plan-commun?{query}")
    solved = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = pharmacist.get(f"/pharmacie/plan-commun?{query}")
    cached = time.perf_counter() - t0
    assert pharmacist.get(f"/pharmacie/plan-commun.xlsx?{query}").status_code == 200
    assert pharmacist.get(f"/pharmacie/plan-commun.html?{query}").status_code == 200
    assert first.status_code == second.status_code == 200
    assert calls == [dt.date(2027, 4, 12)]
    assert cached < solved
    print(f"joint-plan page: {solved:.2f} s solved, {cached:.3f} s cached")


@pytest.mark.parametrize("query, words", [
    ("semaines=0", "Nombre de semaines entre 1 et 26"),
    ("semaines=27", "Nombre de semaines entre 1 et 26"),
    ("semaines=huit", "Nombre de semaines entre 1 et 26"),
    ("depuis=lundi", "Date attendue au format AAAA-MM-JJ"),
])
def test_bad_parameters_answer_in_french(pharmacist, query, words):
    for path in ("/pharmacie/plan-commun", "/pharmacie/plan-commun.xlsx"):
        r = pharmacist.get(f"{path}?{query}")
        assert r.status_code == 400, (path, query)
        assert words in r.text and "Traceback" not in r.text


def test_no_patient_in_the_horizon_is_said_on_the_page(pharmacist, patients):
    r = pharmacist.get("/pharmacie/plan-commun?depuis=2030-01-07&semaines=2")
    assert r.status_code == 200
    assert 'id="joint-error"' in r.text and "Aucun patient du registre n&#39;a de cure" in r.text
    assert "Traceback" not in r.text
    r = pharmacist.get("/pharmacie/plan-commun.xlsx?depuis=2030-01-07&semaines=2")
    assert r.status_code == 400 and "Aucun patient du registre" in r.text


def test_an_infeasible_plan_is_said_on_the_page(pharmacist, patients, monkeypatch):
    import hadplanner.pharmacy.joint as joint
    from hadplanner.errors import InfeasiblePlanError

    def infeasible(*args, **kwargs):
        raise InfeasiblePlanError("PUI capacity 6 a day: no plan")

    monkeypatch.setattr(joint, "plan_pharmacy", infeasible)
    r = pharmacist.get("/pharmacie/plan-commun?depuis=2027-04-19&semaines=1")
    assert r.status_code == 200 and 'id="joint-error"' in r.text
    assert "Aucun plan commun ne tient dans les capacités" in r.text
    assert "PUI capacity 6 a day" in r.text and "Traceback" not in r.text


def test_a_patient_with_an_event_is_kept_out(first_visit, pharmacist, register_url):
    """Last: it records an event on P005 (a new register content, so a new plan)."""
    from hadplanner.pharmacy.patients import REPLANNED
    from hadplanner.register.events import Event
    from hadplanner.register.service import record_event

    record_event("P005", Event.model_validate({"kind": "pump_failure",
                                               "at": "2027-03-25T14:10"}),
                 user="tests", url=register_url)
    html = pharmacist.get(f"/pharmacie/plan-commun?{QUERY}").text
    row = re.search(r'<tr id="excluded-P005"><td>P005</td><td>([^<]*)</td></tr>', html)
    assert row is not None and row.group(1) == REPLANNED.replace("'", "&#39;")
    assert in_sessions(html) == {"P003", "P007"}
    assert 'id="patient-P005"' not in html
    assert 'id="excluded-warning"' in html and "ne sont pas comptées" in html
