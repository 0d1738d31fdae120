"""Fixtures of the territory tests: the reference territory, the tiny one, their graphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hadplanner.territory.contiguity import commune_adjacency
from hadplanner.territory.loading import clear_cache, load_territory

TINY = Path(__file__).resolve().parent.parent / "data" / "tiny"
NINE_DEPARTMENTS = ("09", "11", "12", "31", "32", "46", "65", "81", "82")


@pytest.fixture(scope="session")
def occitanie():
    """The embedded reference territory, loaded once."""
    return load_territory("occitanie")


@pytest.fixture(scope="session")
def occitanie_graph(occitanie):
    """Commune adjacency of the reference territory."""
    return commune_adjacency(occitanie.communes_gdf)


@pytest.fixture(scope="session")
def tiny():
    """The hand-checkable territory of tests/data/tiny."""
    return load_territory(TINY)


@pytest.fixture
def tiny_copy(tmp_path):
    """A writable copy of the tiny territory (a fresh folder: the loader's cache is per path)."""
    dest = tmp_path / "tiny"
    shutil.copytree(TINY, dest)
    yield dest
    clear_cache()
