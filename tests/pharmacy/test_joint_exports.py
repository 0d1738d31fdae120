"""The joint plan's files: CSV (both dialects), typed XLSX, printable HTML, JSON read back."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from hadplanner.export.production_sheet import (
    JOINT_NAMES,
    joint_html,
    joint_rows,
    joint_summary,
    joint_text,
    write_joint_csvs,
    write_joint_xlsx,
)
from hadplanner.models.request import PARIS
from hadplanner.pharmacy.results import PharmacyPlan


def _read(path, delimiter=";"):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")),
                           delimiter=delimiter))


def test_csv_files_in_french(spring_plan, tmp_path):
    """Preparations, sessions, lots and comparison as French CSV for Excel, one row per bag."""
    paths = write_joint_csvs(spring_plan, tmp_path)
    assert [p.name for p in paths] == ["preparations.csv", "seances.csv", "lots.csv",
                                       "comparaison.csv"]
    rows = _read(tmp_path / "preparations.csv")
    assert rows[0][:3] == ["jour de production", "fin de préparation (heure de Paris)",
                           "patient"]
    assert {"volume poche (mL)", "stabilisant (mL)", "destination", "commune",
            "départ PUI au plus tard (heure de Paris)", "lots (µg)"} <= set(rows[0])
    assert len(rows) - 1 == sum(len(s.preparations) for s in spring_plan.sessions)
    assert any("domicile, HAD" in r[rows[0].index("destination")] for r in rows[1:])
    sessions = _read(tmp_path / "seances.csv")
    assert len(sessions) - 1 == len(spring_plan.sessions)
    assert sessions[0][3] == "flacons ouverts"
    lots = _read(tmp_path / "lots.csv")
    assert len(lots) - 1 == len(spring_plan.lots)
    cmp = _read(tmp_path / "comparaison.csv")
    assert cmp[0] == ["indicateur", "plan commun", "plans patient par patient", "pratique",
                      "unité"]


def test_plain_csv_in_english(spring_plan, tmp_path):
    """dialect='plain' and lang='en': commas, ISO instants with offsets, English words."""
    write_joint_csvs(spring_plan, tmp_path, lang="en", dialect="plain")
    rows = _read(tmp_path / JOINT_NAMES["en"]["preparations"], delimiter=",")
    assert rows[0][0] == "production day"
    assert dt.datetime.fromisoformat(rows[1][1]).utcoffset() is not None


def test_xlsx_is_typed(spring_plan, tmp_path):
    """One workbook: preparations with Excel dates and numbers, sessions, lots, comparison."""
    wb = load_workbook(write_joint_xlsx(spring_plan, tmp_path / "p.xlsx"))
    assert wb.sheetnames == ["préparations", "séances", "lots", "comparaison"]
    first = next(wb["préparations"].iter_rows(min_row=2, max_row=2))
    assert first[1].is_date and first[10].data_type == "n" and first[2].data_type == "s"
    assert wb["séances"].max_row == len(spring_plan.sessions) + 1


def test_html_prints_one_page_a_day(spring_plan):
    """A4 landscape, a summary page, then one section (a new page) per production day."""
    html = joint_html(spring_plan)
    assert "size: A4 landscape" in html
    assert html.count('class="day"') == len(spring_plan.sessions)
    assert "Fiche de production du" in html and "à utiliser avant" in html
    assert "Comparaison sur les mêmes cures" in html


def test_text_and_summary(spring_plan):
    """The summary names horizon, capacities, solver and bound; the text adds each session."""
    summary = joint_summary(spring_plan)
    assert "Horizon : du lun. 05/04/2027" in summary and "borne" in summary
    # the bag contents' defaults to check against the label, with the figures used
    bag = spring_plan.patients[0].plan.cycles[0].bags[0]
    assert f"{bag.stabiliser_ml:.1f}".replace(".", ",") + " mL de stabilisant" in summary
    assert "à vérifier sur le RCP en vigueur" in summary
    text = joint_text(spring_plan, "en")
    assert "Comparison on the same cycles" in text and "Production sheet," in text


def test_json_reads_back(spring_plan):
    """The JSON (what --json prints and --previous reads) round-trips to the same plan."""
    again = PharmacyPlan.model_validate_json(spring_plan.model_dump_json())
    assert again == spring_plan


def test_rows_follow_the_sessions(spring_plan):
    """Rows are in session then slot order, each on its production day."""
    rows = joint_rows(spring_plan)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert all(r[1].astimezone(PARIS).date() == r[0] for r in rows)
