"""``hadplanner plan`` loads no library it does not use (start-up, issue 9).

Read from ``python -X importtime`` of real command runs: the plan of a
patient living in a commune needs neither polygons (geopandas, shapely,
pyogrio, pandas) nor the other commands' libraries; a timeline or a calendar
loads matplotlib or icalendar only when asked for.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "P001-rr-had-toulouse.yaml"
HEAVY = ("geopandas", "shapely", "pyogrio", "pandas", "folium", "matplotlib", "openpyxl",
         "ortools", "networkx", "icalendar")


def _imported(*args: str) -> set[str]:
    """Top-level packages a ``hadplanner`` run imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "hadplanner", *args],
                          cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", done.stderr, re.M)
    return {name.split(".")[0] for name in names}


def test_plan_loads_no_heavy_library() -> None:
    """Planning a patient who lives in a commune: the table, and none of the heavy libraries."""
    loaded = _imported("plan", str(EXAMPLE))
    assert "numpy" in loaded and "hadplanner" in loaded
    assert sorted(loaded & set(HEAVY)) == []


@pytest.mark.parametrize(("option", "suffix", "library"), [("--timeline", ".png", "matplotlib"),
                                                           ("--ics", ".ics", "icalendar")])
def test_an_asked_output_loads_its_library_only(tmp_path: Path, option: str, suffix: str,
                                                library: str) -> None:
    """A timeline loads matplotlib, a calendar icalendar; neither loads the polygons."""
    target = tmp_path / f"out{suffix}"
    loaded = _imported("plan", str(EXAMPLE), option, str(target))
    assert target.is_file()
    assert sorted(loaded & set(HEAVY)) == [library]
