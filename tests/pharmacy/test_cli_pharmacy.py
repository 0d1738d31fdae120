"""``hadplanner pharmacy``: files under --out, progress on stderr, JSON, errors and exit codes."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from hadplanner.cli import app
from hadplanner.cli.boundary import run_cli
from hadplanner.models.plan import Plan
from hadplanner.paths import examples_dir

SPRING = ["--from", "2027-04-05", "--weeks", "8", "--time-limit", "3"]


def _run(capsys, *args):
    code = run_cli(app, ["pharmacy", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_writes_the_sheets_and_shows_progress(capsys, tmp_path):
    """Exit 0, every file under --out, stages and solver progress on stderr, summary on stdout."""
    out = tmp_path / "pharmacie"
    code, stdout, stderr = _run(capsys, *SPRING, "--out", str(out))
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "preparations.csv", "seances.csv", "lots.csv", "comparaison.csv",
        "plan_production.xlsx", "fiches_production.html", "plan_production.txt",
        "plan_production.json"])
    assert "planification commune (CP-SAT)" in stderr
    assert "meilleur plan" in stderr and "borne" in stderr
    assert "Plan de production PUI" in stdout and "Fichiers écrits" in stdout


def test_json_has_each_plan_and_the_sessions(capsys, tmp_path):
    """--json prints each patient's plan (spec contract) and the sessions with lots and vials."""
    code, stdout, stderr = _run(capsys, *SPRING, "--out", str(tmp_path / "o"), "--json",
                                "--quiet")
    assert code == 0, stderr
    assert stderr == ""
    raw = json.loads(stdout)
    assert {r["patient_id"] for r in raw["patients"]} == {"P003", "P005", "P007"}
    for r in raw["patients"]:
        plan = Plan.model_validate(r["plan"])
        assert plan.checked
    session = raw["sessions"][0]
    assert {"day", "preparations", "lots_opened", "vials_opened", "waste_ug",
            "waste_eur"} <= session.keys()
    assert {"slot", "patient_id", "cycle", "bag", "draws"} <= session["preparations"][0].keys()


def test_replan_from_the_json(capsys, tmp_path):
    """The JSON given back with --previous and --now keeps frozen bags and lists moves (none)."""
    first = tmp_path / "a"
    assert _run(capsys, *SPRING, "--out", str(first), "--quiet")[0] == 0
    code, stdout, stderr = _run(capsys, *SPRING, "--out", str(tmp_path / "b"), "--quiet",
                                "--previous", str(first / "plan_production.json"),
                                "--now", "2027-04-20T08:00", "--json")
    assert code == 0, stderr
    raw = json.loads(stdout)
    assert raw["frozen_bags"] > 0 and raw["frozen_until"].startswith("2027-04-22T08:00")
    assert raw["moved"] == []


@pytest.mark.parametrize("args, code, words", [
    # --previous needs --now
    (["--previous", "x.json"], 1, "--previous and --now"),
    # a horizon with nobody
    (["--from", "2030-01-07"], 1, "no patient has a cycle"),
    # not a date
    (["--from", "2027-13-01"], 1, "--from"),
    # an option out of its bounds
    (["--capacity", "0", "--from", "2027-04-05"], 1, "capacity_per_day"),
    # horizons of no weeks, or of twenty years
    (["--weeks", "0"], 1, "--weeks 0"),
    (["--weeks", "1000"], 1, "1 to 104 weeks"),
])
def test_bad_input_is_one_line(capsys, tmp_path, args, code, words):
    """A bad option or input is one line on stderr, exit 1, and nothing written."""
    out = tmp_path / "o"
    got, _stdout, stderr = _run(capsys, *args, "--out", str(out), "--time-limit", "1")
    assert got == code and words in stderr
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: ")
    assert not out.exists()


def test_capacity_no_plan_meets_is_exit_2(capsys, tmp_path):
    """One preparation a day for three same-day starts: exit 2, one line, nothing written."""
    folder = tmp_path / "patients"
    folder.mkdir()
    doc = yaml.safe_load((examples_dir() / "P001-rr-had-toulouse.yaml").read_text())
    for i in range(3):
        doc["patient"]["id"] = f"T{i}"
        doc["cycles"] = doc["cycles"][:1]
        (folder / f"T{i}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    shutil.copy(examples_dir() / "README.md", folder / "README.md")  # not a request
    out = tmp_path / "o"
    code, _stdout, stderr = _run(capsys, str(folder), "--capacity", "1", "--out", str(out),
                                 "--time-limit", "5", "--quiet")
    assert code == 2, stderr
    assert "capacity" in stderr and "fewest bags" in stderr
    # the instant to act on: the day the three own plans need three preparations
    day = doc["cycles"][0]["start"][:10]
    assert f"3 preparations on {day} (capacity 1 a day)" in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("content, words", [
    (b'{"patients": []}', "not a joint plan"),
    (b'{"solver": {}, "solver": {}}', "written twice"),
    (b"\xff\xfe{\x00}\x00", "UTF-16"),
    (b'{"solver": {"status": "optimal"}}', "plan_production.json"),
])
def test_a_bad_previous_plan_is_one_line(capsys, tmp_path, content, words):
    """--previous reads the joint plan like every other input: size, UTF-8, strict JSON,
    the model's fields; one line, nothing written."""
    previous = tmp_path / "plan_production.json"
    previous.write_bytes(content)
    out = tmp_path / "o"
    code, _stdout, stderr = _run(capsys, *SPRING, "--out", str(out), "--quiet",
                                 "--previous", str(previous), "--now", "2027-04-20T08:00")
    assert code == 1 and words in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: ")
    assert not out.exists()
