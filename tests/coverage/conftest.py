"""Fixtures of the coverage tests: the synthetic grid, tiny and occitanie territories."""

from __future__ import annotations

import coverage_grid as grid
import pytest
from coverage_grid import TINY

from hadplanner.territory.coverage import TerritoryIndex


@pytest.fixture(scope="session")
def grid_loaded():
    return grid.loaded()


@pytest.fixture(scope="session")
def grid_index(grid_loaded):
    return TerritoryIndex.from_loaded(grid_loaded, travel=grid.GridTravel())


@pytest.fixture(scope="session")
def tiny_loaded():
    from hadplanner.territory.loading import load_territory

    return load_territory(TINY)


@pytest.fixture(scope="session")
def occitanie_loaded():
    from hadplanner.territory.loading import load_territory

    return load_territory("occitanie")


@pytest.fixture(scope="session")
def occitanie_index(occitanie_loaded):
    return TerritoryIndex.from_loaded(occitanie_loaded)
