"""The scripted sequence through the command line and the register: every write audited,
bad events refused in one line with nothing written."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from hadplanner.cli import app
from hadplanner.cli.boundary import run_cli
from hadplanner.models.plan import Plan
from hadplanner.paths import examples_dir
from hadplanner.register import service
from hadplanner.schedule.checker import check_plan

from .test_register_store import db  # noqa: F401 (the temporary register fixture)

EVENTS = [
    ["pump_failure", "--at", "2027-01-15T14:07"],
    ["interruption", "--at", "2027-01-19T10:07", "--until", "2027-01-20T16:07"],
    ["readmission", "--at", "2027-01-23T11:13", "--until", "2027-01-26T11:13"],
    ["interruption", "--at", "2027-02-27T09:40", "--until", "2027-03-07T09:40"],
]


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_cli(app, list(args))
    return code, out.getvalue(), err.getvalue()


def _counts() -> tuple[int, int, int]:
    h = service.history("P001")
    return len(h["plans"]), len(h["events"]), len(h["audit"])


def test_scripted_sequence_through_the_cli(db):  # noqa: F811
    """Admit, then four events each re-planned: every plan checked, past kept, all audited."""
    code, _out, err = _cli("patient", "add", str(examples_dir() / "P001-rr-had-toulouse.yaml"),
                           "--user", "coord.a")
    assert code == 0, err
    previous = service.show("P001")
    for args in EVENTS:
        code, _o, err = _cli("event", "P001", *args, "--user", "coord.b")
        assert code == 0, err
        code, out, err = _cli("replan", "P001", "--json", "--user", "coord.b")
        assert code == 0, err
        plan = Plan.model_validate_json(out)
        view = service.show("P001")
        assert plan == view.plan and plan.checked
        assert check_plan(plan, view.request, transport_h=plan.transport_h) == []
        frozen = plan.frozen_until
        old = [b for c in previous.plan.cycles for b in c.bags if b.start < frozen]
        new = [b for c in plan.cycles for b in c.bags if b.start < frozen]
        assert [(b.prepared_at, b.start) for b in old] == [(b.prepared_at, b.start) for b in new]
        previous = view
    h = service.history("P001")
    assert [p["version"] for p in h["plans"]] == [1, 2, 3, 4, 5]
    actions = [a["action"] for a in h["audit"]]
    assert actions.count("event.add") == 4 and actions.count("plan.add") == 5
    assert actions[:3] == ["patient.add", "treatment.add", "plan.add"]
    writes = [a for a in h["audit"] if a["action"] in ("event.add", "plan.add",
                                                        "treatment.add")]
    assert {a["user"] for a in writes[2:]} == {"coord.b"}
    assert all(e["applied_in_plan"] for e in h["events"])
    code, out, _err = _cli("patient", "show", "P001", "--json")
    assert Plan.model_validate_json(out) == service.show("P001").plan
    assert json.loads(_cli("history", "P001", "--json")[1])["plans"][-1]["version"] == 5


@pytest.mark.parametrize(("args", "message"), [
    (["event", "P404", "stop", "--at", "2027-01-20T10:00"], "unknown patient 'P404'"),
    (["event", "P001", "stop", "--at", "2026-12-20T10:00"], "before the treatment's start"),
    (["event", "P001", "interruption", "--at", "2027-01-20T10:00", "--until",
      "2027-01-19T10:00"], "would end before it starts"),
    (["event", "P001", "explode", "--at", "2027-01-20T10:00"], "kind: must be one of"),
    (["event", "P001", "pump_failure", "--at", "2027-01-10T10:00"], "frozen past of event"),
    (["event", "P001", "pump_failure", "--at", "2027-13-10T10:00"], "not a date-time"),
    (["replan", "P404"], "unknown patient 'P404'"),
])
def test_bad_events_are_one_line_and_write_nothing(db, args, message):  # noqa: F811
    """Unknown patient, before the start, ending before starting, unknown kind, frozen past."""
    assert _cli("patient", "add", str(examples_dir() / "P001-rr-had-toulouse.yaml"))[0] == 0
    assert _cli("event", "P001", "pump_failure", "--at", "2027-01-15T14:07")[0] == 0
    before = _counts()
    code, out, err = _cli(*args)
    assert code == 1 and err.count("\n") == 1 and message in err, err
    assert _counts() == before
