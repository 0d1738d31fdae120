"""Fixtures of the pharmacy's tests: the example patients, their joint plans, tiny models."""

from __future__ import annotations

import datetime as dt

import pytest

from hadplanner.cli.pharmacy import default_start, weeks_to_cover
from hadplanner.paths import examples_dir
from hadplanner.pharmacy.joint import plan_pharmacy
from hadplanner.pharmacy.patients import load_cases
from hadplanner.pharmacy.settings import PharmacySettings

QUICK = {"time_limit_s": 4.0}
"""The tests check invariants, not optimality: a few seconds of solver each."""


@pytest.fixture(scope="session")
def example_cases():
    """The shipped example patients, each with their care and own optimal plan."""
    return load_cases(examples_dir())


@pytest.fixture(scope="session")
def example_plan(example_cases):
    """The joint plan of every example cycle under the PUI's default capacities."""
    start = default_start(example_cases)
    return plan_pharmacy(example_cases, PharmacySettings(**QUICK), start=start,
                         weeks=weeks_to_cover(example_cases, start))


@pytest.fixture(scope="session")
def capped_plan(example_cases):
    """The joint plan of the examples with capacities that bind: one preparation a slot,
    two a day, one bag-change visit a day per HAD."""
    start = default_start(example_cases)
    st = PharmacySettings(capacity_per_day=2, capacity_per_slot=1, default_had_capacity=1,
                          **QUICK)
    return plan_pharmacy(example_cases, st, start=start,
                         weeks=weeks_to_cover(example_cases, start)), st


@pytest.fixture(scope="session")
def spring_plan(example_cases):
    """The joint plan of the patients active in April-May 2027 (P003, P005, P007)."""
    return plan_pharmacy(example_cases, PharmacySettings(**QUICK), start=dt.date(2027, 4, 5),
                         weeks=8)
