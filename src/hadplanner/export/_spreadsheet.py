"""Typed tables as CSV (two dialects) and as XLSX sheets, for every tabular output.

CSV dialects
------------
``excel-fr`` (default)
    What French Excel opens with a double-click: ``;`` separator, decimal
    comma, UTF-8 with a byte-order mark (else Excel reads the accents as
    Windows-1252), CRLF line ends, instants as ``04/01/2027 10:00`` in Paris
    local time, booleans ``VRAI``/``FAUX``.
``plain``
    For GIS and scripts: ``,`` separator, decimal point, no BOM, LF line ends,
    instants in ISO 8601 with their offset (``2027-01-04T10:00:00+01:00``),
    booleans ``true``/``false``.

In both, codes (INSEE, department) are written as they are, leading zeros
included (``09001``).

XLSX
----
Cells are typed: numbers as numbers, instants as Excel datetimes in Paris
local time with a display format (Excel has no time zones: the header says
"heure de Paris" and a comment gives the offsets; an instant in the hour that
happens twice in October gets its own comment), codes as text. Widths are set
from the content, the header row is frozen and filtered, and the sheet prints
on A4, fitted to the page width, landscape when wide, header repeated on
each page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hadplanner.errors import InputError
from hadplanner.export import _labels as L

if TYPE_CHECKING:
    from openpyxl import Workbook

CSV_DIALECTS = ("excel-fr", "plain")
"""CSV dialects of every tabular output; ``excel-fr`` is the default."""

Cell = str | int | float | bool | dt.datetime | dt.date | None


def check_dialect(dialect: str) -> str:
    """Return `dialect` if it is a known CSV dialect.

    Raises
    ------
    InputError
        For anything but ``excel-fr`` or ``plain``.
    """
    if dialect not in CSV_DIALECTS:
        raise InputError(
            f"--csv-dialect: unknown CSV dialect {dialect!r}: use one of {', '.join(CSV_DIALECTS)}"
        )
    return dialect


def _csv_cell(value: Cell, dialect: str) -> str:
    fr = dialect == "excel-fr"
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return ("VRAI" if value else "FAUX") if fr else ("true" if value else "false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if fr else text
    if isinstance(value, dt.datetime):
        if fr:
            return f"{L.local(value):%d/%m/%Y %H:%M}"
        return L.local(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}" if fr else value.isoformat()
    return str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]], dialect: str) -> str:
    """A table as CSV text in `dialect` (the ``excel-fr`` text starts with a BOM).

    Write it with ``encoding="utf-8"`` and ``newline=""`` (or use :func:`write_csv`).
    """
    check_dialect(dialect)
    fr = dialect == "excel-fr"
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if fr else ",", lineterminator="\r\n" if fr else "\n")
    writer.writerow(header)
    writer.writerows([_csv_cell(v, dialect) for v in row] for row in rows)
    return ("\ufeff" if fr else "") + buf.getvalue()


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]], dialect: str
) -> Path:
    """Write a table as CSV in `dialect` at `path` (bytes as they are: no newline translation)."""
    path.write_bytes(csv_text(header, rows, dialect).encode("utf-8"))
    return path


# -- XLSX ---------------------------------------------------------------------------

_DATETIME_FMT = {"fr": "dd/mm/yyyy hh:mm", "en": "yyyy-mm-dd hh:mm"}
_DATE_FMT = {"fr": "dd/mm/yyyy", "en": "yyyy-mm-dd"}
_PARIS_NOTE = {
    "fr": "Heure légale de Paris (Europe/Paris) : UTC+01:00 en hiver, UTC+02:00 en été. "
    "Excel ne garde pas le fuseau horaire.",
    "en": "Paris local time (Europe/Paris): UTC+01:00 in winter, UTC+02:00 in summer. "
    "Excel keeps no time zone.",
}
_FOLD_NOTE = {
    "fr": "Heure répétée au passage à l'heure d'hiver : il s'agit de {when}.",
    "en": "Hour repeated when clocks go back: this is {when}.",
}
PARIS_TIME = {"fr": "heure de Paris", "en": "Paris time"}
"""Words for headers of instant columns: ``pose (heure de Paris)``."""

_MAX_WIDTH = 48


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header and how its cells are typed and shown."""

    header: str
    kind: str = "text"
    """``text``, ``int``, ``float``, ``datetime``, ``date``, ``bool``."""
    number_format: str | None = None
    """Excel display format; default from the kind (and the language for dates)."""
    note: str | None = None
    """Comment on the header cell."""


def _format(col: Column, lang: str) -> str:
    if col.number_format:
        return col.number_format
    return {
        "text": "@",
        "int": "0",
        "float": "0.00",
        "datetime": _DATETIME_FMT[lang],
        "date": _DATE_FMT[lang],
        "bool": "General",
    }[col.kind]


def _shown_width(value: Any, col: Column) -> int:
    if value is None:
        return 0
    if col.kind == "datetime":
        return 16
    if col.kind == "date":
        return 10 + (5 if "ddd" in (col.number_format or "") else 0)
    if col.kind == "float" and isinstance(value, float):
        return len(f"{value:,.2f}")
    if col.kind == "int" and isinstance(value, int):
        return len(f"{value:,}")
    return len(str(value))


def _ambiguous(value: dt.datetime) -> bool:
    """True for a local instant whose wall-clock time happens twice (October change)."""
    naive = L.local(value).replace(tzinfo=None)
    return naive.replace(tzinfo=L.PARIS, fold=0).utcoffset() != naive.replace(
        tzinfo=L.PARIS, fold=1
    ).utcoffset()


def add_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell]],
    lang: str,
    *,
    print_title: str,
) -> None:
    """Append a typed, printable sheet to `wb` (a :func:`new_workbook`).

    Parameters
    ----------
    wb
        The workbook, write-only: each sheet is written once, whole.
    title
        Sheet name (at most 31 characters).
    columns
        Header and type of each column.
    rows
        Values: ``str`` for text and codes, numbers, ``bool``, aware
        ``datetime`` (written as Paris local time), ``date``, ``None``.
    lang
        Language of the notes and date formats.
    print_title
        Centre of the printed page header.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    table = [list(row) for row in rows]
    # A header wraps over at most three lines: it need not set the column's width.
    widths = [max(max(map(len, c.header.split())), -(-len(c.header) // 3)) for c in columns]
    for row in table:
        for j, (col, value) in enumerate(zip(columns, row, strict=True)):
            widths[j] = max(widths[j], _shown_width(value, col))
    widths = [min(max(w, 6) + 2, _MAX_WIDTH) for w in widths]
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = w
    lines = max(-(-len(c.header) // (w - 1)) for c, w in zip(columns, widths, strict=True))
    ws.row_dimensions[1].height = 15 * min(lines, 4)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table) + 1}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape" if sum(widths) > 90 else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = print_title
    if any(c.kind == "datetime" for c in columns):
        ws.oddFooter.left.text = _PARIS_NOTE[lang]
    ws.oddFooter.right.text = "&P / &N"

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, col.header)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        note = col.note or (_PARIS_NOTE[lang] if col.kind == "datetime" else None)
        if note:
            cell.comment = Comment(note, "hadplanner")
        header.append(cell)
    ws.append(header)
    formats = [_format(c, lang) for c in columns]
    for row in table:
        cells = []
        for value, fmt in zip(row, formats, strict=True):
            note = None
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                if _ambiguous(value):
                    note = _FOLD_NOTE[lang].format(when=L.instant(value, lang))
                value = L.local(value).replace(tzinfo=None)
            cell = WriteOnlyCell(ws, None if value == "" else value)
            cell.number_format = fmt
            if note:
                cell.comment = Comment(note, "hadplanner")
            cells.append(cell)
        ws.append(cells)


def new_workbook() -> Workbook:
    """An empty write-only workbook: add whole sheets with :func:`add_sheet`, then save."""
    from openpyxl import Workbook

    return Workbook(write_only=True)
