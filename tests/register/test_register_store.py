"""The patient register: append-only storage, audit, pseudonymous exports, crash and concurrency."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from hadplanner.errors import InputError
from hadplanner.models.request import load_request, parse_request
from hadplanner.paths import examples_dir
from hadplanner.register import service
from hadplanner.register.db import database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def db(tmp_path, monkeypatch):
    """A fresh register in a temporary SQLite file (or HADPLANNER_TEST_DB, e.g. PostgreSQL)."""
    url = os.environ.get("HADPLANNER_TEST_DB")
    if url:  # scripts/test-postgres.sh: one database, emptied per test
        from sqlalchemy import text

        from hadplanner.register.db import engine_for

        with engine_for(url).begin() as conn:
            for table in ("audit", "plans", "events", "treatments", "identities", "patients"):
                conn.execute(text(f"DELETE FROM {table}"))
    else:
        url = str(tmp_path / "register.sqlite")
    monkeypatch.setenv("HADPLANNER_DB", url)
    return url


def _quick_request(pid: str):
    """A request without a home: planned without the pathway (fast)."""
    data = yaml.safe_load((examples_dir() / "P002-child-day-hospital.yaml").read_text())
    data["patient"] = {"id": pid, "weight_kg": 70, "height_cm": 172}
    return parse_request(data, pid)


def test_default_location_and_urls(tmp_path, monkeypatch):
    """HADPLANNER_DB: a path is a SQLite file, a postgresql:// URL uses psycopg; default under
    the user's data folder."""
    monkeypatch.setenv("HADPLANNER_DB", str(tmp_path / "r.sqlite"))
    assert database_url() == f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("HADPLANNER_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert database_url().endswith("hadplanner/register.sqlite")
    with pytest.raises(InputError, match="is a folder"):
        database_url(str(tmp_path))


def test_admission_is_stored_with_its_audit(db):
    """Admitting P007 stores the pathway's HAD, plan v1 and one audit row per write."""
    request = load_request(examples_dir() / "P007-lautrec-derogation.yaml")
    view = service.add_patient(request, user="infirmiere.coord",
                               identity=service.Identity("Dupont", "Jean", "1960-02-03"))
    assert (view.pseudonym, view.plan_version, view.had_id, view.care_status) == (
        "P007", 1, "had-albi", "derogation")
    assert view.plan.checked
    h = service.history("P007")
    assert [a["action"] for a in h["audit"]] == ["patient.add", "identity.add",
                                                 "treatment.add", "plan.add"]
    assert {a["user"] for a in h["audit"]} == {"infirmiere.coord"}
    assert "Dupont" not in json.dumps(h)  # identity never in the audit or history
    with pytest.raises(InputError, match="already in the register"):
        service.add_patient(request)
    with pytest.raises(InputError, match="unknown patient 'P404'"):
        service.show("P404")


def test_exports_are_pseudonymous_unless_asked(db):
    """The FHIR export and every listing carry no name; --with-identity adds it."""
    from hadplanner.register.fhir import bundle_json, patient_bundle

    request = load_request(examples_dir() / "P007-lautrec-derogation.yaml")
    service.add_patient(request, identity=service.Identity("Dupontel", "Jeanne", "1960-02-03"))
    view = service.show("P007")
    plain = bundle_json(patient_bundle(view))
    assert "Dupontel" not in plain and "Jeanne" not in plain and "1960-02-03" not in plain
    named = bundle_json(patient_bundle(view, identity=service.identity_of("P007")))
    assert "Dupontel" in named and "1960-02-03" in named
    listing = json.dumps([v.plan.model_dump(mode="json") for v in service.list_patients()])
    assert "Dupontel" not in listing
    assert any(a["action"] == "identity.read" for a in service.history("P007")["audit"])


def test_fhir_bundle_validates_and_tasks_match_the_bag_changes(db):
    """The Bundle validates with fhir.resources; one Task per bag change and per preparation."""
    from fhir.resources.R4B.bundle import Bundle

    from hadplanner.register.fhir import bundle_json, patient_bundle

    request = load_request(examples_dir() / "P001-rr-had-toulouse.yaml")
    service.add_patient(request)
    view = service.show("P001")
    bundle = Bundle.model_validate_json(bundle_json(patient_bundle(view)))
    kinds = {}
    for entry in bundle.entry:
        kinds.setdefault(type(entry.resource).__name__, []).append(entry.resource)
    assert {"Patient", "Organization", "Location", "MedicationRequest", "CarePlan",
            "Task"} <= kinds.keys()
    changes = [t for t in kinds["Task"] if t.code.coding[0].code == "bag-change"]
    preps = [t for t in kinds["Task"] if t.code.coding[0].code == "bag-preparation"]
    bags = [(c.number, b) for c in view.plan.cycles for b in c.bags]
    assert len(changes) == len(preps) == len(bags)
    for task, (number, bag) in zip(changes, bags, strict=True):
        assert task.identifier[0].value == f"P001-c{number}-b{bag.index}"
        assert task.executionPeriod.start == bag.start
        assert task.executionPeriod.end == bag.end
    for task, (_, bag) in zip(preps, bags, strict=True):
        assert task.executionPeriod.end == bag.prepared_at
    careplan = kinds["CarePlan"][0]
    assert len(careplan.activity) == 2 * len(bags)
    had_tasks = [t for t, (_, b) in zip(changes, bags, strict=True)
                 if b.changed_by.value == "had_nurse"]
    assert had_tasks and all(t.owner.reference == "Organization/org-had-pasteur"
                             for t in had_tasks)


def test_schema_is_migrated_by_alembic(db):
    """The register is created by the migrations, up to the last (0002: the web's accounts)."""
    from sqlalchemy import inspect, text

    from hadplanner.register.db import engine_for

    engine = engine_for(db)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    assert {"patients", "identities", "treatments", "events", "plans", "audit"} <= set(
        inspect(engine).get_table_names())


_WRITER = textwrap.dedent("""
    import sys, yaml
    from hadplanner.models.request import parse_request
    from hadplanner.register import service
    from hadplanner.paths import examples_dir
    data = yaml.safe_load((examples_dir() / "P002-child-day-hospital.yaml").read_text())
    prefix, n = sys.argv[1], int(sys.argv[2])
    for i in range(n):
        data["patient"] = {"id": f"{prefix}{i:03d}", "weight_kg": 70, "height_cm": 172}
        try:
            service.add_patient(parse_request(data, "w"), user=prefix)
        except Exception as exc:  # a clear error is allowed, never corruption
            print(type(exc).__name__, exc, flush=True)
        print("done", i, flush=True)
""")


def _writer(db_path: str, prefix: str, n: int) -> subprocess.Popen:
    env = {**os.environ, "HADPLANNER_DB": db_path}
    return subprocess.Popen([sys.executable, "-c", _WRITER, prefix, str(n)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _consistent(db_path: str) -> list[str]:
    """Pseudonyms of the register; asserts every patient is whole (treatment, plan, audit)."""
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute("""
            SELECT p.pseudonym,
                   (SELECT COUNT(*) FROM treatments t WHERE t.patient_id = p.id),
                   (SELECT COUNT(*) FROM plans l WHERE l.patient_id = p.id),
                   (SELECT COUNT(*) FROM audit a WHERE a.patient_id = p.id)
            FROM patients p""").fetchall()
    finally:
        con.close()
    for pseudonym, treatments, plans, audits in rows:
        assert (treatments, plans, audits) == (1, 1, 3), pseudonym
    return [r[0] for r in rows]


@pytest.mark.skipif(bool(os.environ.get("HADPLANNER_TEST_DB")), reason="SQLite file test")
def test_sigkill_mid_write_leaves_a_consistent_register(tmp_path):
    """A writer killed at random instants: every patient stored is whole, plans readable."""
    path = str(tmp_path / "register.sqlite")
    service.list_patients(url=path)  # created and migrated
    stored = 0
    for n, pause in enumerate((0.0, 0.013, 0.029, 0.047)):
        proc = _writer(path, f"K{n}-", 100_000)
        done = 0
        while done < 3 + n:  # it has started writing (whatever the machine's load)
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            done += line.startswith("done")
        time.sleep(pause)  # then die at some point of the stream of writes
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        names = _consistent(path)
        assert len(names) > stored
        stored = len(names)
        for view in service.list_patients(url=path):
            assert view.plan.checked and view.pseudonym in names


@pytest.mark.skipif(bool(os.environ.get("HADPLANNER_TEST_DB")), reason="SQLite file test")
def test_two_processes_writing_at_once_never_corrupt_it(tmp_path):
    """Two writers at once: each waits for the other; all patients stored, none partial."""
    path = str(tmp_path / "register.sqlite")
    service.list_patients(url=path)
    a, b = _writer(path, "A", 8), _writer(path, "B", 8)
    outs = [p.communicate(timeout=300) for p in (a, b)]
    assert a.returncode == 0 and b.returncode == 0, outs
    for out, _err in outs:
        assert out.count("done") == 8 and "Error" not in out
    names = _consistent(path)
    assert sorted(names) == sorted([f"A{i:03d}" for i in range(8)] +
                                   [f"B{i:03d}" for i in range(8)])


@pytest.mark.skipif(bool(os.environ.get("HADPLANNER_TEST_DB")), reason="SQLite file test")
def test_same_patient_added_twice_at_once_gives_one_and_a_clear_error(tmp_path):
    """Two processes admitting the same pseudonym: one stored, the other told so."""
    path = str(tmp_path / "register.sqlite")
    service.list_patients(url=path)
    a, b = _writer(path, "S", 1), _writer(path, "S", 1)
    outs = [p.communicate(timeout=120)[0] for p in (a, b)]
    assert sum("already in the register" in o for o in outs) == 1
    assert _consistent(path) == ["S000"]
