"""Plans of the shipped example requests, computed once for the export tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadplanner.cli.plan import plan_file
from hadplanner.paths import examples_dir


def example_paths() -> list[Path]:
    """The example request files shipped in ``examples/``."""
    return sorted(examples_dir().glob("*.yaml"))


@pytest.fixture(scope="session")
def example_plans():
    """(request, plan) for every example request, planned and checked once."""
    out = {}
    for path in example_paths():
        request, plan, _ = plan_file(path)
        out[path.stem] = (request, plan)
    return out


@pytest.fixture(scope="session")
def dst_plan(example_plans):
    """The plan across the March daylight-saving change (P005)."""
    return example_plans["P005-march-dst"][1]


@pytest.fixture(scope="session")
def two_cycle_plan(example_plans):
    """A two-cycle HAD plan whose practice is feasible (P003, MRD, Castres)."""
    return example_plans["P003-mrd-castres"][1]


@pytest.fixture(scope="session")
def short_bag_plan():
    """P005 planned with min_bag_h 0 (a request may allow it): its cycle 1 has a 1.5 h bag."""
    import yaml

    from hadplanner.models.request import parse_request
    from hadplanner.pathway.transport import resolve_transport, with_transport
    from hadplanner.schedule.planner import plan_request

    data = yaml.safe_load((examples_dir() / "P005-march-dst.yaml").read_text())
    data["settings"] = {**(data.get("settings") or {}), "min_bag_h": 0}
    request = parse_request(data, "P005 with min_bag_h 0")
    request = with_transport(request, resolve_transport(request))
    return plan_request(request)
