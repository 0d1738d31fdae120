"""What-if scenarios: each kind of change, errors, and the coverage difference."""

from __future__ import annotations

import coverage_grid as grid
import pytest

from hadplanner.errors import ScenarioError
from hadplanner.models.scenario import Scenario
from hadplanner.territory.coverage import CoverageSettings
from hadplanner.territory.whatif import apply_scenario, load_scenario, whatif

SETTINGS = CoverageSettings(limit_min=grid.LIMIT)


def scenario(*changes):
    return Scenario.model_validate({"name": "test", "changes": list(changes)})


def test_takeover_absorb_moves_zone_and_sites(grid_index):
    """Absorbed: had-b disappears, its zone and site join had-a; its zone is served."""
    t = apply_scenario(
        grid_index.territory, scenario({"kind": "takeover", "had": "had-b", "by": "had-a"})
    )
    assert [h.id for h in t.hads] == ["had-a", "had-c", "had-d"]
    assert grid.code(2, 2) in t.zone_of("had-a").communes
    assert [s.town for s in t.had("had-a").sites] == ["T00", "T21"]
    res = whatif(
        grid_index,
        scenario({"kind": "takeover", "had": "had-b", "by": "had-a"}),
        grid.DAY,
        SETTINGS,
    )
    assert res.gain == 22_000
    assert set(res.changed()["after"]) == {"served"}


def test_takeover_attach_and_associate_authorise(grid_index):
    """attach and associate give the HAD an authorisation, zone unchanged."""
    t = apply_scenario(
        grid_index.territory,
        scenario(
            {"kind": "takeover", "had": "had-b", "by": "had-a", "mode": "attach"},
            {
                "kind": "associate",
                "had": "had-d",
                "holder": "CH C",
                "partner": "had-c",
                "since": "2018-01-01",
            },
        ),
    )
    assert t.had("had-b").authorisations[-1].holder == "CH test"
    assert t.had("had-d").authorised_on(grid.DAY)
    res = whatif(
        grid_index,
        scenario({"kind": "associate", "had": "had-d", "holder": "CH C", "since": "2019-01-01"}),
        grid.DAY,
        SETTINGS,
    )
    assert res.gain == 0  # the association starts after the day asked


def test_revoke_and_zone_changes(grid_index):
    """Revoking had-c and moving communes changes exactly what is expected."""
    res = whatif(grid_index, scenario({"kind": "revoke", "had": "had-c"}), grid.DAY, SETTINGS)
    assert res.gain < 0  # revoking loses coverage
    t = apply_scenario(
        grid_index.territory,
        scenario(
            {"kind": "zone_add", "had": "had-d", "communes": [grid.code(5, 0)]},
            {"kind": "zone_remove", "had": "had-a", "communes": [grid.code(0, 0)]},
            {"kind": "new_zone", "had": "had-c", "communes": [grid.code(4, 0)]},
        ),
    )
    assert grid.code(5, 0) in t.zone_of("had-d").communes
    assert grid.code(0, 0) not in t.zone_of("had-a").communes
    assert t.zone_of("had-c").communes == frozenset({grid.code(4, 0)})


def test_revoke_since_keeps_the_past(grid_index):
    """revoke with since ends authorisations the day before."""
    t = apply_scenario(
        grid_index.territory, scenario({"kind": "revoke", "had": "had-a", "since": "2018-07-01"})
    )
    a = t.had("had-a")
    assert a.authorised_on(grid.DAY) and not a.authorised_on(grid.DAY.replace(month=7))


@pytest.mark.parametrize(
    "change, message",
    [
        # an unknown HAD is named, with the file and the known ids
        ({"kind": "revoke", "had": "had-zz"}, r"scn.yaml: change 1: unknown HAD 'had-zz'"),
        # the taker of a takeover is checked too
        ({"kind": "takeover", "had": "had-b", "by": "had-x"}, r"unknown HAD 'had-x'"),
        # the partner of an association is checked
        (
            {"kind": "associate", "had": "had-b", "holder": "CH", "partner": "nope"},
            r"unknown HAD 'nope'",
        ),
        # a commune the territory does not know
        ({"kind": "zone_add", "had": "had-b", "communes": ["31555"]}, r"unknown commune 31555"),
        # removing every commune of a zone
        (
            {
                "kind": "zone_remove",
                "had": "had-d",
                "communes": [grid.code(5, 1), grid.code(5, 2), grid.code(5, 3)],
            },
            r"no commune",
        ),
    ],
)
def test_scenario_errors_name_the_culprit(grid_index, tmp_path, change, message):
    """Each bad change is a ScenarioError naming the file and the culprit."""
    import yaml

    p = tmp_path / "scn.yaml"
    p.write_text(yaml.safe_dump({"name": "bad", "changes": [change]}))
    with pytest.raises(ScenarioError, match=message):
        whatif(grid_index, p, grid.DAY)


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: x\nchanges: [{kind: rename, had: a}]\n",
         r"bad.yaml:2: changes\[0\]: kind .rename. is unknown: use one of takeover"),
        ("name: x\nchanges: []\n", r"bad.yaml:2: changes: must list at least 1 item"),  # no change
        ("name: [unclosed\n", r"bad.yaml:\d+: not valid YAML"),  # broken YAML
    ],
)
def test_malformed_scenario_files(tmp_path, text, message):
    """Malformed files give one line naming the file."""
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(p)


def test_missing_scenario_file(tmp_path):
    """A missing file is a ScenarioError, not an OSError."""
    with pytest.raises(ScenarioError, match="none.yaml: file not found"):
        load_scenario(tmp_path / "none.yaml")
