"""Coverage files as the ARS opens them: CSV dialects, typed XLSX, GeoPackage layers."""

from __future__ import annotations

import csv
import io

import coverage_grid as grid
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook

from hadplanner.export.coverage_tables import write_coverage_tables
from hadplanner.territory.coverage import CoverageSettings, compute_coverage


@pytest.fixture(scope="module")
def cov(grid_index):
    return compute_coverage(grid_index, grid.DAY, CoverageSettings(limit_min=grid.LIMIT))


@pytest.fixture(scope="module")
def french(cov, tmp_path_factory):
    out = tmp_path_factory.mktemp("fr")
    write_coverage_tables(cov, out)
    return out


@pytest.fixture(scope="module")
def english_plain(cov, tmp_path_factory):
    out = tmp_path_factory.mktemp("en")
    write_coverage_tables(cov, out, "en", csv_dialect="plain")
    return out


def _rows(path, delimiter):
    text = path.read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


def test_csv_for_french_excel(french):
    """coverage_communes.csv: BOM, ';', French column names, INSEE and department codes
    with their leading zeros, minutes with a decimal comma, HAD ids and names."""
    path = french / "coverage_communes.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfcode_insee;commune;departement;")
    rows = {r["code_insee"]: r for r in _rows(path, ";")}
    assert len(rows) == 24
    far = rows[grid.code(2, 0)]  # derogation: had-a's site 2 steps away
    assert grid.code(2, 0) == "09120" and far["departement"] == "09"
    assert (far["statut"], far["meilleur_candidat"], far["meilleur_candidat_min"]) == (
        "derogation", "had-a", "20,0")
    assert far["meilleur_candidat_nom"] == "HAD-A"
    shared = rows[grid.code(1, 3)]
    assert shared["had_couvrantes"] == "had-a; had-b"
    assert shared["had_couvrantes_noms"] == "HAD-A; HAD-B"
    assert shared["had_autorisees_noms"] == "HAD-A"
    zones = {r["had_id"]: r for r in _rows(french / "coverage_zones.csv", ";")}
    assert zones["had-a"]["autorisee"] == "VRAI" and zones["had-b"]["autorisee"] == "FAUX"
    depts = _rows(french / "coverage_departments.csv", ";")
    assert [d["departement"] for d in depts] == ["09", "11"]


def test_plain_csv_for_gis(english_plain):
    """csv_dialect='plain': no BOM, ',', decimal point, codes with leading zeros."""
    data = (english_plain / "coverage_communes.csv").read_bytes()
    assert data.startswith(b"insee,name,department,")
    rows = {r["insee"]: r for r in _rows(english_plain / "coverage_communes.csv", ",")}
    assert rows["09120"]["best_minutes"] == "20.0"
    assert rows["09120"]["department"] == "09"


def test_xlsx_cells_are_typed(french):
    """coverage.xlsx: codes are text cells with leading zeros, populations and minutes are
    numbers, the authorisation a boolean; headers frozen, printed to the page width."""
    wb = load_workbook(french / "coverage.xlsx")
    assert wb.sheetnames == ["communes", "départements", "zones HAD"]
    ws = wb["communes"]
    head = [c.value for c in ws[1]]
    assert head[:4] == ["code INSEE", "commune", "département", "population"]
    col = {h: i for i, h in enumerate(head)}
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "09120")
    assert row[0].data_type == "s" and row[col["département"]].value == "09"
    assert row[col["population"]].data_type == "n"
    assert row[col["population"]].value == grid.population(2, 0)
    minutes = row[col["meilleur candidat : trajet (min)"]]
    assert (minutes.data_type, minutes.value, minutes.number_format) == ("n", 20, "0.0")
    zones = wb["zones HAD"]
    flags = {r[0].value: r[2] for r in zones.iter_rows(min_row=2)}
    assert flags["had-a"].data_type == "b" and flags["had-a"].value is True
    assert wb["départements"]["A2"].value == "09"
    for sheet in wb:
        assert sheet.freeze_panes == "A2"
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.orientation == "landscape"


def test_geopackage_layers_and_fields(french, cov):
    """coverage.gpkg: communes (polygons, status), one dissolved polygon per HAD zone and
    the HAD sites (points), with French field names and typed fields."""
    path = french / "coverage.gpkg"
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert layers == {"communes": "MultiPolygon", "zones_had": "MultiPolygon",
                      "sites_had": "Point"}

    def fields(layer):
        info = pyogrio.read_info(path, layer=layer)
        return info, dict(zip(info["fields"], zip(info["ogr_types"], info["ogr_subtypes"],
                                                  strict=True), strict=True))

    info, f = fields("communes")
    assert info["features"] == 24 and info["crs"] == "EPSG:4326"
    assert {k: v[0] for k, v in f.items()} == {
        "code_insee": "OFTString", "commune": "OFTString", "departement": "OFTString",
        "population": "OFTInteger64", "statut": "OFTString", "statut_libelle": "OFTString",
        "had_couvrantes": "OFTString", "had_couvrantes_noms": "OFTString",
        "had_autorisees": "OFTString", "had_autorisees_noms": "OFTString",
        "candidats": "OFTString", "meilleur_candidat": "OFTString",
        "meilleur_candidat_nom": "OFTString", "meilleur_candidat_min": "OFTReal"}
    communes = pyogrio.read_dataframe(path, layer="communes")
    minutes = communes["meilleur_candidat_min"].dropna()
    assert len(minutes) and (minutes == minutes.round(1)).all()
    assert "09120" in set(communes["code_insee"])

    info, f = fields("zones_had")
    assert info["features"] == len(cov.index.had_ids)
    assert f["had_id"][0] == f["had_nom"][0] == "OFTString"
    assert f["autorisee"] == ("OFTInteger", "OFSTBoolean")
    assert f["nb_communes"][0] == f["pop_totale"][0] == "OFTInteger64"
    zones = pyogrio.read_dataframe(path, layer="zones_had").set_index("had_id")
    assert zones.loc["had-b", "had_nom"] == "HAD-B" and not zones.loc["had-b", "autorisee"]
    b = zones.loc["had-b", "geometry"]
    assert len(shapely.get_parts(b)) == 1  # dissolved: one polygon, no inner borders
    assert b.area == pytest.approx(9 * 0.01)  # columns 2-3 and cell (1, 3)

    info, f = fields("sites_had")
    assert set(f) == {"had_id", "had_nom", "autorisee", "type_site", "commune_site",
                      "code_insee_site"}
    sites = pyogrio.read_dataframe(path, layer="sites_had")
    c = sites[sites["had_id"] == "had-c"].sort_values("type_site")
    assert list(c["type_site"]) == ["site annexe", "site principal"]
    assert list(c["commune_site"]) == ["T43", "T40"]
    assert list(c["code_insee_site"]) == [grid.code(4, 3), grid.code(4, 0)]


def test_geopackage_in_english(english_plain):
    """lang='en' names layers and fields in English."""
    path = english_plain / "coverage.gpkg"
    assert [name for name, _ in pyogrio.list_layers(path)] == [
        "communes", "had_zones", "had_sites"]
    assert {"had_id", "name", "authorised"} <= set(
        pyogrio.read_info(path, layer="had_zones")["fields"])
    assert "site_kind" in pyogrio.read_info(path, layer="had_sites")["fields"]
