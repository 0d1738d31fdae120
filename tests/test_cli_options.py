"""Options every command shares: one --date default, one example in each command's help."""

from __future__ import annotations

import contextlib
import io

import pytest

from hadplanner.cli import app
from hadplanner.cli.boundary import run_cli
from hadplanner.cli.options import resolve_day


def _cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run_cli(app, args)
    return code, out.getvalue(), err.getvalue()


COMMANDS = [["run"], ["plan"], ["coverage"], ["derogations"], ["whatif"], ["authorise-best"],
            ["territory", "show"], ["territory", "map"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_help_has_an_example(command):
    """`hadplanner <command> --help` shows one runnable example line."""
    code, out, _err = _cli([*command, "--help"])
    assert code == 0
    examples = [line for line in out.splitlines() if "Example: hadplanner" in line]
    assert len(examples) == 1
    assert " ".join(command) in examples[0]


def test_date_defaults_to_the_territory_reference_date():
    """Without --date, every command uses the territory's reference date (2018-06-01)."""
    import datetime as dt

    assert resolve_day(None, "occitanie") == dt.date(2018, 6, 1)
    for args in (["coverage", "--json"], ["derogations", "--commune", "81065", "--json"],
                 ["territory", "show", "--json"]):
        default = _cli(args)
        explicit = _cli([*args, "--date", "2018-06-01"])
        assert default[0] == 0 and default == explicit


def test_territory_without_reference_date_uses_today(tmp_path):
    """A territory whose manifest declares no reference date defaults to today."""
    import datetime as dt
    import shutil
    from pathlib import Path

    tiny = Path(__file__).resolve().parent / "data" / "tiny"
    copy = tmp_path / "tiny"
    shutil.copytree(tiny, copy)
    assert "reference_date" not in (copy / "territory.yaml").read_text()
    assert resolve_day(None, str(copy)) == dt.date.today()
