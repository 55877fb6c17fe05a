"""What an Office.js client (xlwings Server or Lite) sends for a workbook, built from an .xlsx file: the
input of xlwings' remote engine, ``xw.Book(json=book_json(path))``. With it the ribbon macros run on a
real workbook's cells without Excel (tests, benchmarks, a dry run); the macros' effects come back as the
actions xlwings would replay in Excel (``book.json()["actions"]``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import python_calamine as calamine
import xlwings as xw
from openpyxl.utils import get_column_letter


def _cell(v):
    """Cell values as Office.js delivers them: "" for blank, dates as ISO text with a Z, numbers as is."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, dt.date):
        return f"{v.isoformat()}T00:00:00.000Z"
    if isinstance(v, dt.time | dt.timedelta):
        return str(v)
    return v


def _address(r0: int, c0: int, r1: int, c1: int) -> str:
    """A1 address of 0-based inclusive bounds."""
    return f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"


def book_json(path: str | Path) -> dict:
    """The book payload of an Office.js client for the workbook at ``path``: every sheet's values from A1
    to its last used cell, and its Excel Tables with their addresses."""
    path = Path(path)
    wb = calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    try:
        tables: dict[str, list[dict]] = {}
        for name in wb.table_names:
            t = wb.get_table_by_name(name)
            (r0, c0), (r1, c1) = t.start, t.end  # data body, 0-based; the header is the row above
            tables.setdefault(t.sheet, []).append(
                {
                    "name": t.name,
                    "range_address": _address(r0 - 1, c0, r1, c1),
                    "header_row_range_address": _address(r0 - 1, c0, r0 - 1, c1),
                    "data_body_range_address": _address(r0, c0, r1, c1),
                    "total_row_range_address": None,
                    "show_headers": True,
                    "show_totals": False,
                    "table_style": "TableStyleMedium2",
                    "show_autofilter": True,
                }
            )
        sheets = []
        for name in wb.sheet_names:
            values = wb.get_sheet_by_name(name).to_python(skip_empty_area=False) or [[""]]
            width = max(len(r) for r in values)
            grid = [[_cell(v) for v in row] + [""] * (width - len(row)) for row in values]
            sheets.append({"name": name, "values": grid, "pictures": [], "tables": tables.get(name, [])})
    finally:
        wb.close()
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }
