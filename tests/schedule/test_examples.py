"""The example requests give bags a pharmacist would compound (issue 8, points 1-3).

Checked here with plain arithmetic, under the defaults the examples keep:
no bag under 24 h, every preparation on the 15-min slots from 09:00, and
every bag's volumes, pump rate and expiry as the drug catalogue gives them;
for the planner's plan and for the practice it is compared with.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hadplanner.models.drug import load_drug
from hadplanner.models.plan import Plan
from hadplanner.models.request import PARIS, UTC
from hadplanner.schedule.checker import check_plan
from hadplanner.schedule.totals import totals_of

from .conftest import EXAMPLES


def _both(request, plan):
    """The planner's cycles and the practice's, each as a plan the checker takes."""
    practice = Plan(patient_id=plan.patient_id, drug=plan.drug, change_mode=plan.change_mode,
                    cycles=plan.baseline.cycles,
                    totals=totals_of(plan.baseline.cycles, request.settings.vial_eur),
                    baseline=plan.baseline)
    return {"planner": plan, "practice": practice}


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
def test_examples_give_bags_a_pharmacist_would_compound(planned, name):
    """24 h or more, prepared on a 09:00 + k x 15 min slot, volumes and expiry as computed."""
    request, plan = planned[name]
    assert request.settings.min_bag_h == 24 and request.settings.prep_slot_min == 15
    drug = load_drug()
    for who, p in _both(request, plan).items():
        assert p.cycles, (name, who)
        assert check_plan(p, request) == [], (name, who)
        for cycle in p.cycles:
            for b in cycle.bags:
                where = (name, who, cycle.number, b.index)
                assert b.duration_h >= 24, where
                prep = b.prepared_at.astimezone(PARIS)
                assert dt.time(9) <= prep.time() <= dt.time(16), where
                assert prep.minute % 15 == 0 and prep.second == 0, where
                # real hours (an aware + timedelta in one zone is wall-clock in Python)
                expiry = b.prepared_at.astimezone(UTC) + dt.timedelta(hours=96)
                assert b.expires_at.astimezone(UTC) == expiry, where
                assert b.pump_rate_ml_h == 2.5, where
                assert b.volume_ml == pytest.approx(2.5 * (b.duration_h + b.overfill_h), abs=0.005)
                assert b.drug_ml == pytest.approx(b.dose_ug / 12.5, abs=0.005), where
                assert b.stabiliser_ml == drug.stabiliser_ml == 5.5, where
                assert b.nacl_ml == pytest.approx(b.volume_ml - b.drug_ml - 5.5, abs=0.005)
                assert 0 < b.nacl_ml and b.volume_ml <= 250, where


def test_march_example_has_no_short_bag_any_more(planned):
    """P005 cycle 1 had a 1.5 h bag (one vial for 6.42 ug); now its shortest bag is 24 h."""
    _, plan = planned["P005-march-dst"]
    bags = plan.cycles[0].bags
    assert min(b.duration_h for b in bags) == 24
    assert all(b.dose_ug > 6.5 for b in bags)
