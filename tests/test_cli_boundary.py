"""The command line's boundary: one line and a documented exit status, never a traceback."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from hadplanner.cli import app
from hadplanner.cli.boundary import run_cli
from hadplanner.errors import ExitCode

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "P001-rr-had-toulouse.yaml"


def _cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run_cli(app, args)
    return code, out.getvalue(), err.getvalue()


def test_exit_statuses_are_distinct():
    """One exit status per outcome: ok, bad input, infeasible, usage, internal, ..."""
    values = [int(c) for c in ExitCode]
    assert len(values) == len(set(values))
    assert (ExitCode.OK, ExitCode.BAD_INPUT, ExitCode.INFEASIBLE) == (0, 1, 2)
    assert ExitCode.USAGE not in (1, 2) and ExitCode.INTERNAL not in (1, 2)


@pytest.mark.parametrize("args", [["plan", "--no-such-option", str(EXAMPLE)], ["plan"],
                                  ["no-such-command"], ["coverage", "--limit", "abc"],
                                  ["authorise-best", "--k", "two"]])
def test_usage_error_is_one_line_with_a_pointer_to_help(args):
    """Unknown option, missing argument, unknown command, non-number: exit 64, one line."""
    code, _out, err = _cli(args)
    assert code == ExitCode.USAGE == 64
    assert err.count("\n") == 1 and err.startswith("usage error: ")
    assert "--help'" in err
    assert "╭" not in err and "Traceback" not in err


def test_a_bug_is_one_line_and_a_log_file(monkeypatch, tmp_path):
    """An unexpected exception: exit 70, one line naming the log that holds the traceback."""
    import hadplanner.cli.plan as plan_cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero in a bug")

    monkeypatch.setattr(plan_cli, "plan_file", broken)
    monkeypatch.setenv("HADPLANNER_LOG_DIR", str(tmp_path / "logs"))
    code, out, err = _cli(["plan", str(EXAMPLE), "--out", str(tmp_path / "out")])
    assert code == ExitCode.INTERNAL == 70
    assert err.count("\n") == 1 and err.startswith("internal error: ZeroDivisionError")
    assert "Traceback" not in err and out == ""
    logs = list((tmp_path / "logs").glob("hadplanner-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "Traceback" in logs[0].read_text() and "broken" in logs[0].read_text()
    assert not (tmp_path / "out").exists()


def test_ctrl_c_is_one_line_and_writes_nothing(monkeypatch, tmp_path):
    """KeyboardInterrupt mid-command: exit 130, one line, no output folder."""
    import hadplanner.cli.plan as plan_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plan_cli, "plan_file", interrupted)
    code, _out, err = _cli(["plan", str(EXAMPLE), "--out", str(tmp_path / "out")])
    assert code == ExitCode.INTERRUPTED == 130
    assert err == "interrupted: nothing was written\n"
    assert not (tmp_path / "out").exists()


def test_version_and_bare_command():
    """--version prints the version; the bare command prints its help and exits 0."""
    assert _cli(["--version"])[:2] == (0, "hadplanner 0.1.0\n")
    code, out, _err = _cli([])
    assert code == 0 and "plan" in out


def test_console_script_uses_the_boundary(tmp_path):
    """The installed entry point (python -m hadplanner) gives the same one line and status."""
    bad = tmp_path / "r.yaml"
    bad.write_text("patient: {id: P1, weight_kg: true, height_cm: 170}\n")
    res = subprocess.run([sys.executable, "-m", "hadplanner", "plan", str(bad)],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr == f"error: {bad}:1: patient.weight_kg: must be a number, got true " \
                         "(and 1 more problem)\n"
