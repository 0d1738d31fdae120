"""Bad territory input gives one clear line naming the file and what is wrong, never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hadplanner.errors import InputError, TerritoryError
from hadplanner.territory.importing import read_hads_csv, with_overrides
from hadplanner.territory.loading import load_territory, read_zones_csv

BOW_TIE = [[[1.2, 43.1], [1.3, 43.2], [1.3, 43.1], [1.2, 43.2], [1.2, 43.1]]]

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _unknown_insee(d: Path) -> None:
    _replace(d / "zones.csv", "had-ouest,09904", "had-ouest,99999")


def _bow_tie(d: Path) -> None:
    doc = json.loads((d / "communes.geojson").read_text(encoding="utf-8"))
    doc["features"][2]["geometry"]["coordinates"] = BOW_TIE
    (d / "communes.geojson").write_text(json.dumps(doc), encoding="utf-8")


def _duplicate_had(d: Path) -> None:
    _replace(d / "hads.yaml", "- id: had-centre", "- id: had-est")


def _slash_date(d: Path) -> None:
    _replace(d / "hads.yaml", "valid_from: 2017-01-01", "valid_from: 01/02/2017")


def _unknown_had_in_zones(d: Path) -> None:
    _replace(d / "zones.csv", "had-est,09906", "had-nord,09906")


def _lost_leading_zero(d: Path) -> None:
    _replace(d / "zones.csv", "had-est,09906", "had-est,9906")


def _duplicate_commune(d: Path) -> None:
    doc = json.loads((d / "communes.geojson").read_text(encoding="utf-8"))
    doc["features"][1]["properties"]["insee"] = "09901"
    (d / "communes.geojson").write_text(json.dumps(doc), encoding="utf-8")


def _yaml_syntax(d: Path) -> None:
    _replace(d / "hads.yaml", "  name: HAD Est", "  name: [HAD Est")


def _site_unknown_commune(d: Path) -> None:
    _replace(d / "hads.yaml", "insee: '09903'", "insee: '09910'")


def _bad_status(d: Path) -> None:
    _replace(d / "hads.yaml", "legal_status: private_for_profit", "legal_status: charity")


def _closed_day_format(d: Path) -> None:
    _replace(d / "centre.yaml", "closed: []", "closed: ['20/01/2027']")


CASES = [
    # (what is broken, how, the file named, words the message must hold)
    pytest.param(_unknown_insee, r"zones\.csv:3", "unknown INSEE code 99999", id="unknown-insee"),
    pytest.param(
        _bow_tie, r"communes\.geojson", "09903 (Combe): invalid geometry: Self-intersection",
        id="bow-tie-geometry",
    ),
    pytest.param(_duplicate_had, r"hads\.yaml:\d+", "duplicate HAD id 'had-est'",
                 id="duplicate-had"),
    pytest.param(
        _slash_date, r"hads\.yaml:\d+", "valid_from: must be a date YYYY-MM-DD, got '01/02/2017'",
        id="date-dd/mm/yyyy",
    ),
    pytest.param(_unknown_had_in_zones, r"zones\.csv:8", "unknown HAD id 'had-nord'",
                 id="zone-of-unknown-had"),
    pytest.param(_lost_leading_zero, r"zones\.csv:8", "leading zero lost", id="insee-lost-zero"),
    pytest.param(_duplicate_commune, r"communes\.geojson", "duplicate INSEE code 09901",
                 id="duplicate-commune"),
    pytest.param(_yaml_syntax, r"hads\.yaml:\d+", "not valid YAML", id="yaml-syntax"),
    pytest.param(_site_unknown_commune, r"tiny", "site 'Combe' has unknown INSEE code 09910",
                 id="site-in-unknown-commune"),
    pytest.param(_bad_status, r"hads\.yaml:\d+",
                 "hads[2].legal_status: must be one of public_hospital",
                 id="unknown-legal-status"),
    pytest.param(_closed_day_format, r"centre\.yaml:\d+", "YYYY-MM-DD", id="closure-date-format"),
]  # fmt: skip


@pytest.mark.parametrize(("breaks", "where", "words"), CASES)
def test_bad_territory_raises_one_clear_line(tiny_copy, breaks, where, words):
    """Each broken file raises a TerritoryError: one line, the file (and line), what is wrong."""
    breaks(tiny_copy)
    with pytest.raises(TerritoryError) as info:
        load_territory(tiny_copy)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(where, message), message
    assert words in message


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (
            "had_id,insee\nhad-ouest,09901\nhad-ouest,99999\n",
            "zones.csv:3: unknown INSEE code 99999",
        ),
        ("had;insee\nhad-ouest;09901\n", "zones.csv:1: missing column 'had_id'"),  # bad header
        ("had_id,insee\n,09901\n", "zones.csv:2: empty had_id"),
        ("had_id,insee\n", "no zone rows"),  # header only
    ],
)
def test_zones_csv_rows(tmp_path, rows, words):
    """A user's zones CSV is checked row by row, errors as file:line."""
    path = tmp_path / "zones.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(TerritoryError, match=re.escape(words)):
        read_zones_csv(path, communes={"09901", "09902"}, had_ids={"had-ouest"})


def test_hads_csv_bad_rows(tmp_path, tiny):
    """A HAD CSV with a wrong date or a duplicate id names file:line and the field."""
    head = (
        "id,name,legal_status,departments,supply,main_town,main_insee,"
        "chemo_basis,chemo_valid_from\n"
    )
    row = "had-x,HAD X,public_hospital,09,own_pui,Aval,09901,attached,{}\n"
    path = tmp_path / "hads.csv"
    path.write_text(head + row.format("01/02/2017"), encoding="utf-8")
    with pytest.raises(TerritoryError, match=r"hads\.csv:2: chemo_valid_from: must be a date"):
        read_hads_csv(path, tiny.communes_gdf)
    path.write_text(head + row.format("2017-02-01") + row.format(""), encoding="utf-8")
    with pytest.raises(TerritoryError, match=r"hads\.csv:3: duplicate HAD id 'had-x'"):
        read_hads_csv(path, tiny.communes_gdf)


@pytest.mark.parametrize(("cells", "message"), [
    ("43.15,", "main_lon: empty while the other coordinate is given"),
    (",1.05", "main_lat: empty while the other coordinate is given"),
    ("91,1.05", "must be between -90 and 90 degrees"),
    ("inf,1.05", "main_lat: not a number: 'inf'"),
    ("43.15,1.05 E", "main_lon: not a number"),
])
def test_hads_csv_site_coordinates_are_both_or_neither(tmp_path, tiny, cells, message):
    """A site with one coordinate, or a bad one, is refused: never moved to the commune centre."""
    path = tmp_path / "hads.csv"
    path.write_text("id,name,legal_status,departments,supply,main_town,main_insee,main_lat,"
                    f"main_lon\nhad-x,HAD X,public_hospital,09,own_pui,Aval,09901,{cells}\n")
    with pytest.raises(InputError, match=message):  # TerritoryError is an InputError
        read_hads_csv(path, tiny.communes_gdf)


def test_hads_override_without_zones_for_them(tmp_path, tiny):
    """Replacing the HADs by a list lacking a zoned HAD asks for --zones too."""
    path = tmp_path / "hads.csv"
    path.write_text(
        "id,name,legal_status,departments,supply,main_town,main_insee\n"
        "had-ouest,HAD Ouest,public_hospital,09,own_pui,Aval,09901\n",
        encoding="utf-8",
    )
    with pytest.raises(TerritoryError, match="zone of HAD 'had-centre' has no HAD"):
        with_overrides(tiny, hads=path)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hadplanner", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("make", "args", "words"),
    [
        # a user's zones CSV naming a commune the territory lacks
        (
            lambda d: (d / "bad.csv").write_text("had_id,insee\nhad-est,99999\n"),
            ("--zones", "{d}/bad.csv"),
            "bad.csv:2: unknown INSEE code 99999",
        ),
        # a date written the French way
        (lambda d: None, ("--date", "01/06/2018"), "--date: must be a date YYYY-MM-DD"),
    ],
    ids=["unknown-insee-in-zones-csv", "date-dd/mm/yyyy"],
)
def test_cli_bad_input_exits_non_zero_without_traceback(tmp_path, make, args, words):
    """`hadplanner territory show` with bad input: exit 1, one error line, no traceback."""
    make(tmp_path)
    out = _cli("territory", "show", str(TINY), *(a.format(d=tmp_path) for a in args))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert words in lines[0]


def test_cli_broken_geometry_exits_non_zero(tiny_copy):
    """A territory folder with a bow-tie commune fails `territory show` with one line."""
    _bow_tie(tiny_copy)
    out = _cli("territory", "show", str(tiny_copy))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "invalid geometry" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning")
def test_commune_numbers_written_as_text_are_refused(tmp_path):
    """A communes file whose population is text ("mille") is refused with the commune."""
    import json
    import shutil

    from hadplanner.territory.loading import clear_cache, load_territory

    tiny = Path(__file__).resolve().parents[1] / "data" / "tiny"
    copy = tmp_path / "tiny"
    shutil.copytree(tiny, copy)
    data = json.loads((copy / "communes.geojson").read_text())
    data["features"][2]["properties"]["population"] = "mille"
    (copy / "communes.geojson").write_text(json.dumps(data))
    clear_cache()
    with pytest.raises(TerritoryError, match=r"commune 09903: population must be a number"):
        load_territory(copy)


@pytest.mark.parametrize("args", [["territory", "show", "--min-share", "0.7"],
                                  ["territory", "show", "--repair-zones"],
                                  ["territory", "show", "--min-share", "nan"]])
def test_polygon_options_are_never_silently_ignored(args):
    """--min-share / --repair-zones without zone polygons are errors, not ignored."""
    res = _cli(*args)
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and "--" in res.stderr
