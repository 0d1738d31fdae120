"""docs/hazards.md names tests that exist: each row's evidence can be run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _references() -> list[tuple[str, str | None]]:
    text = (ROOT / "docs" / "hazards.md").read_text(encoding="utf-8")
    refs: list[tuple[str, str | None]] = []
    last_file = None
    for token in re.findall(r"`([^`]+)`", text):
        m = re.fullmatch(r"(tests/[\w/]+(?:\.py)?/?)(?:::(\w+)(?:\[[^\]]*\])?)?", token)
        if m:
            last_file = m.group(1)
            refs.append((last_file, m.group(2)))
            continue
        m = re.fullmatch(r"::(\w+)(?:\[[^\]]*\])?", token)
        if m and last_file:
            refs.append((last_file, m.group(1)))
    return refs


def test_every_test_named_in_hazards_exists():
    """Each `tests/...::test_name` of docs/hazards.md is a file and a function in it."""
    refs = _references()
    assert len(refs) >= 30
    for file, name in refs:
        path = ROOT / file
        assert path.exists(), file
        if name is not None:
            assert re.search(rf"^def {name}\(", path.read_text(), re.M), f"{file}::{name}"
