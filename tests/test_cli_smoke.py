"""The console script starts and lists its commands."""

import subprocess
import sys


def test_help_lists_run():
    """`hadplanner --help` exits 0 and names the main job."""
    out = subprocess.run(
        [sys.executable, "-m", "hadplanner", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "run" in out.stdout
