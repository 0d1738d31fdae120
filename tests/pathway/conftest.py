"""Fixtures of the care-pathway tests: the territory, the shipped hospitals and rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadplanner.paths import project_root
from hadplanner.pathway.access import load_access_rules
from hadplanner.pathway.hospitals import hospitals_path, read_hospital_list
from hadplanner.territory.loading import load_territory

NINE_DEPARTMENTS = ("09", "11", "12", "31", "32", "46", "65", "81", "82")


@pytest.fixture(scope="session")
def occitanie():
    """The embedded reference territory, loaded once."""
    return load_territory("occitanie")


@pytest.fixture(scope="session")
def hospital_list(occitanie):
    """The shipped hospital list, checked against the territory's communes."""
    return read_hospital_list(hospitals_path("occitanie"), occitanie.territory.communes.keys())


@pytest.fixture(scope="session")
def rules():
    """The shipped access rules."""
    return load_access_rules()


def seeds_dir() -> Path | None:
    """The seed documents (shared/seeds beside the checkout), or None when absent."""
    root = project_root()
    for candidate in (root.parent / "shared" / "seeds", root.parent.parent / "shared" / "seeds",
                      Path("/work/shared/seeds")):
        if candidate.is_dir():
            return candidate
    return None
