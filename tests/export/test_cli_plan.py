"""``hadplanner plan``: table, JSON contract, files, and the infeasible case."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from hadplanner.models.plan import Plan
from hadplanner.paths import examples_dir

BAG_KEYS = {"index", "prepared_at", "start", "end", "duration_h", "overfill_h",
            "rate_ug_per_day", "dose_ug", "vials", "changed_by"}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hadplanner", "plan", *args],
                          capture_output=True, text=True, timeout=120)


def test_json_is_the_spec_contract():
    """--json prints one object that validates as Plan and has the spec's keys."""
    out = _run(str(examples_dir() / "P001-rr-had-toulouse.yaml"), "--json")
    assert out.returncode == 0, out.stderr
    plan = Plan.model_validate_json(out.stdout)
    assert plan.checked and plan.patient_id == "P001"
    raw = json.loads(out.stdout)
    assert {"patient_id", "cycles", "baseline"} <= raw.keys()
    cycle = raw["cycles"][0]
    assert {"number", "start", "end", "bags"} <= cycle.keys()
    assert cycle["start"] == "2027-01-04T10:00:00+01:00"
    assert BAG_KEYS <= cycle["bags"][0].keys()
    assert cycle["bags"][0]["changed_by"] == "inpatient"
    assert {"bags", "vials"} <= raw["baseline"].keys()
    assert [c["regimen"] for c in raw["cycles"]] == ["rr-induction-c1", "rr-cycle"]


def test_table_and_files(tmp_path):
    """The default output is the French table; --ics, --timeline and --out write files."""
    ics, png, out = tmp_path / "p.ics", tmp_path / "t" / "p.png", tmp_path / "out"
    res = _run(str(examples_dir() / "P004-christmas-new-year.yaml"), "--ics", str(ics),
               "--timeline", str(png), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "préparée le" in res.stdout and "hôpital de jour" in res.stdout
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in out.iterdir()) == [
        "P004-plan.ics", "P004-plan.json", "P004-plan.png", "P004-plan.txt"]


def test_infeasible_request_exits_2_and_writes_nothing(tmp_path):
    """Production closed 10 days mid-cycle: one line, exit status 2, no file written."""
    request = yaml.safe_load((examples_dir() / "P004-christmas-new-year.yaml").read_text())
    request["settings"] = {"production": {"closed": ["2027-01-04..2027-01-13"]}}
    path = tmp_path / "closed.yaml"
    path.write_text(yaml.safe_dump(request), encoding="utf-8")
    ics, png, out = tmp_path / "x.ics", tmp_path / "x.png", tmp_path / "out"
    res = _run(str(path), "--ics", str(ics), "--timeline", str(png), "--out", str(out))
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "2027-01" in lines[0]
    assert not ics.exists() and not png.exists() and not out.exists()


def test_bad_language_exits_1(tmp_path):
    """An unknown --lang is refused with one line and nothing written."""
    png = tmp_path / "x.png"
    res = _run(str(examples_dir() / "P002-child-day-hospital.yaml"), "--lang", "de",
               "--timeline", str(png))
    assert res.returncode == 1
    assert "unknown language" in res.stderr
    assert not png.exists()


def test_plan_examples_writes_four_files_per_patient(tmp_path):
    """plan_examples (for `hadplanner run`) plans every example and writes its four files."""
    from hadplanner.cli.plan import plan_examples

    plans = plan_examples(tmp_path / "plans")
    assert plans and all(p.checked for p in plans)
    names = {p.name for p in (tmp_path / "plans").iterdir()}
    assert len(names) == 4 * len(plans)
    assert {f"{p.patient_id}-plan.png" for p in plans} <= names


def test_settings_looser_than_the_label_are_said_in_every_output(tmp_path):
    """A longer stability than the label's is planned as asked, and said on stderr, JSON, table."""
    req = yaml.safe_load((examples_dir() / "P002-child-day-hospital.yaml").read_text())
    req["settings"] = {**(req.get("settings") or {}), "stability_h": 120}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(req))
    warning = "settings.stability_h 120 h differs from blinatumomab's 96 h"
    out = _run(str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert f"warning: {warning}" in out.stderr
    assert any(warning in w for w in json.loads(out.stdout)["warnings"])
    table = _run(str(path), "--out", str(tmp_path / "o"))
    assert f"Attention : {warning}" in table.stdout
    assert warning in (tmp_path / "o" / "P002-plan.txt").read_text()
