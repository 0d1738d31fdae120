"""Counts of the generated malformed inputs, printed at the end of the run."""

from __future__ import annotations

from .counts import CHECKED


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    """Print how many generated inputs each property test checked."""
    if not CHECKED:
        return
    total = sum(CHECKED.values())
    terminalreporter.write_sep("-", f"generated inputs checked: {total}")
    for key, n in sorted(CHECKED.items()):
        terminalreporter.write_line(f"  {key}: {n}")
