"""Helpers for the schedule tests: requests as small dictionaries."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hadplanner.models.request import Request, parse_request
from hadplanner.paths import examples_dir

EXAMPLES = sorted(examples_dir().glob("*.yaml"))
"""The shipped example requests."""

BASE: dict[str, Any] = {
    "patient": {"id": "P001", "weight_kg": 72, "height_cm": 175},
    "drug": "blinatumomab",
    "change_mode": "day_hospital",
    "cycles": [{"number": 1, "start": "2027-01-04T10:00", "regimen": "rr-induction-c1"}],
    "settings": {"transport_h": 2.0},
}


def make_request(**changes: Any) -> Request:
    """The base request with top-level keys replaced (``settings`` is merged)."""
    data = copy.deepcopy(BASE)
    settings = changes.pop("settings", None)
    data.update(changes)
    if settings:
        data["settings"] = {**data["settings"], **settings}
    return parse_request(data, "test")


@pytest.fixture
def base_request() -> Request:
    """Cycle 1 (R/R induction) from Monday 4 January 2027 10:00, day-hospital changes."""
    return make_request()


@pytest.fixture(scope="session")
def planned():
    """(request, plan) of every example request, planned and checked once."""
    from hadplanner.cli.plan import plan_file

    return {p.stem: plan_file(p)[:2] for p in EXAMPLES}
