"""The production sheet's files as a spreadsheet reads them: typed XLSX cells, CSV dialects."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from hadplanner.errors import InputError
from hadplanner.export._labels import PARIS
from hadplanner.export.production_sheet import (
    production_sheet_csv,
    write_production_csv,
    write_production_xlsx,
)
from hadplanner.models.request import load_request
from hadplanner.paths import examples_dir
from hadplanner.pharmacy.production import production_sheet
from hadplanner.schedule.planner import plan_request


def _plan(name: str):
    request = load_request(examples_dir() / name)
    settings = request.settings.model_copy(update={"transport_h": 1.0})
    return plan_request(request.model_copy(update={"settings": settings}), with_baseline=False)


@pytest.fixture(scope="module")
def sheet():
    # P005 crosses the March daylight-saving change: instants at +01:00 and +02:00.
    return production_sheet([_plan("P001-rr-had-toulouse.yaml"), _plan("P005-march-dst.yaml")])


@pytest.fixture(scope="module")
def preparations(sheet):
    return [p for d in sheet.days for p in d.preparations]


def _naive_paris(t: dt.datetime) -> dt.datetime:
    return t.astimezone(PARIS).replace(tzinfo=None)


def test_xlsx_preparation_cells_are_typed(sheet, preparations, tmp_path):
    """Days and instants are Excel datetimes (Paris wall clock, with a display format),
    counts and doses are numbers, the patient is text."""
    ws = load_workbook(write_production_xlsx(sheet, tmp_path / "f.xlsx"))["préparations"]
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(preparations)
    offsets = set()
    for cells, p in zip(rows, preparations, strict=True):
        day, prepared, patient, cycle, bag, hung, expires = cells[:7]
        assert day.is_date and day.value == dt.datetime.combine(p.prepared_at.date(), dt.time())
        assert day.number_format == "ddd dd/mm/yyyy"
        for cell, instant in ((prepared, p.prepared_at), (hung, p.hang_at),
                              (expires, p.expires_at)):
            assert cell.is_date and cell.value == _naive_paris(instant)
            assert cell.number_format == "dd/mm/yyyy hh:mm"
            offsets.add(instant.astimezone(PARIS).utcoffset())
        assert patient.data_type == "s" and patient.value == p.patient_id
        assert (cycle.value, bag.value) == (p.cycle, p.bag)
        for cell in cells[3:5] + cells[7:12]:
            assert cell.data_type == "n" and isinstance(cell.value, int | float)
        assert cells[10].value == pytest.approx(p.dose_ug, abs=0.005)
        assert cells[7].value == p.duration_h
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    header = {c.value: c for c in ws[1]}
    assert "Europe/Paris" in header["pose (heure de Paris)"].comment.text


def test_xlsx_layout_for_screen_and_print(sheet, tmp_path):
    """Every sheet has its header frozen and filtered, column widths set, and prints on A4
    fitted to one page wide (landscape for the wide preparations sheet)."""
    wb = load_workbook(write_production_xlsx(sheet, tmp_path / "f.xlsx", lang="en"))
    assert wb.sheetnames == ["preparations", "days", "summary"]
    for ws in wb:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws.print_title_rows == "$1:$1"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.page_setup.paperSize == 9  # A4
        for col in range(1, ws.max_column + 1):
            assert ws.column_dimensions[chr(64 + col)].width >= 8
    assert wb["preparations"].page_setup.orientation == "landscape"
    assert "Paris" in wb["preparations"].oddFooter.left.text


def test_xlsx_days_and_summary_are_typed(sheet, tmp_path):
    """The days sheet has numbers and a boolean capacity flag; the summary's values are
    numbers (vials, euros)."""
    wb = load_workbook(write_production_xlsx(sheet, tmp_path / "f.xlsx"))
    days = list(wb["jours"].iter_rows(min_row=2))
    assert len(days) == len(sheet.days)
    for cells, d in zip(days, sheet.days, strict=True):
        assert cells[0].is_date
        assert [c.value for c in cells[1:6]] == [
            len(d.preparations), pytest.approx(d.dose_ug, abs=0.005), d.vials_shared,
            d.vials_alone, pytest.approx(d.leftover_ug, abs=0.005)]
        assert cells[6].data_type == "b" and cells[6].value is d.over_capacity
    summary = {r[0].value: r[1] for r in wb["synthèse"].iter_rows(min_row=2)}
    assert summary["flacons économisés"].value == sheet.vials_saved
    assert summary["économie"].data_type == "n"
    assert summary["économie"].value == sheet.euros_saved


def test_csv_for_french_excel(sheet, preparations, tmp_path):
    """The default CSV is UTF-8 with a BOM, ';'-separated with CRLF, decimal commas and
    Paris wall-clock instants French Excel reads as dates."""
    data = write_production_csv(sheet, tmp_path / "f.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data == production_sheet_csv(sheet).encode("utf-8")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0].startswith("jour de production;fin de préparation (heure de Paris);")
    first = preparations[0]
    cells = lines[1].split(";")
    assert cells[1] == f"{_naive_paris(first.prepared_at):%d/%m/%Y %H:%M}"
    assert cells[7] == str(first.duration_h).replace(".", ",")
    assert any("," in line.split(";")[7] for line in lines[1:-1]), "some duration has decimals"
    assert "." not in "".join(line.split(";")[10] for line in lines[1:-1])
    assert lines[-1] == ""


def test_plain_csv_for_scripts(sheet, preparations, tmp_path):
    """dialect='plain': no BOM, ',' and LF, decimal points, ISO 8601 instants with offset."""
    data = write_production_csv(sheet, tmp_path / "f.csv", lang="en", dialect="plain")
    text = data.read_text(encoding="utf-8")
    assert not text.startswith("\ufeff") and "\r" not in text
    lines = text.splitlines()
    assert lines[0].split(",")[:2] == ["production day", "prepared at (Paris time)"]
    first = preparations[0]
    cells = lines[1].split(",")
    assert dt.datetime.fromisoformat(cells[1]) == first.prepared_at
    assert cells[1].endswith(("+01:00", "+02:00"))
    assert float(cells[10]) == pytest.approx(first.dose_ug, abs=0.005)


def test_unknown_dialect_is_refused(sheet):
    """An unknown CSV dialect is a one-line input error naming the two dialects."""
    with pytest.raises(InputError, match="excel-fr, plain"):
        production_sheet_csv(sheet, dialect="excel")
