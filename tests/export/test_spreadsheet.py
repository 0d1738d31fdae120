"""The shared CSV/XLSX writer: cell formats of both dialects, the repeated October hour."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

from hadplanner.export._labels import PARIS
from hadplanner.export._spreadsheet import Column, add_sheet, csv_text, new_workbook

UTC = dt.UTC
ROW = ["09001", 1234, 2.5, True, None, dt.date(2027, 1, 4),
       dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)]


def test_excel_fr_cells():
    """excel-fr: BOM, ';', codes as written, decimal comma, VRAI, empty for None, French
    dates and Paris wall-clock instants."""
    text = csv_text(list("abcdefg"), [ROW], "excel-fr")
    assert text == "\ufeffa;b;c;d;e;f;g\r\n09001;1234;2,5;VRAI;;04/01/2027;04/01/2027 10:00\r\n"


def test_plain_cells():
    """plain: no BOM, ',', decimal point, true, ISO dates and ISO instants with offset."""
    text = csv_text(list("abcdefg"), [ROW], "plain")
    assert text == "a,b,c,d,e,f,g\n09001,1234,2.5,true,,2027-01-04,2027-01-04T10:00:00+01:00\n"


def test_repeated_october_hour_is_annotated(tmp_path):
    """An instant in the hour that happens twice (last Sunday of October) keeps its wall
    clock in the cell and gets a comment giving its offset; other instants get none."""
    first = dt.datetime(2027, 10, 31, 2, 30, tzinfo=PARIS)  # fold 0: summer time, +02:00
    second = first.replace(fold=1)  # +01:00, one hour later
    noon = dt.datetime(2027, 10, 31, 12, 0, tzinfo=PARIS)
    wb = new_workbook()
    add_sheet(wb, "t", [Column("quand", "datetime")], [[first], [second], [noon]], "fr",
              print_title="t")
    wb.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["t"]
    cells = [r[0] for r in ws.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [dt.datetime(2027, 10, 31, 2, 30)] * 2 + [
        dt.datetime(2027, 10, 31, 12, 0)]
    assert "(+02:00)" in cells[0].comment.text and "(+01:00)" in cells[1].comment.text
    assert cells[2].comment is None
