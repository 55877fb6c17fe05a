"""Read a workbook's input sheets into raw tables (object columns, one Excel row number per row).

python-calamine reads the cells (Rust, several times faster than openpyxl on large sheets). A sheet's table
is its first Excel Table (ListObject) when it has one, else the block whose first non-empty row holds the
headers (row 1 in the contract's template). Fully blank rows and headerless columns are dropped.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine as calamine

from planner.model.errors import InputError
from planner.workbook.contract import SHEETS, key

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class RawTable:
    sheet: str  # sheet name as in the workbook
    data: pd.DataFrame  # columns = original header texts, object values, None for blank
    rows: np.ndarray  # Excel row number of each data row
    columns: dict[str, str]  # contract column key -> header text found


def check_workbook_file(path: Path) -> None:
    """Structural check before anything is read: exists, is .xlsx/.xlsm and a valid zip package."""
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        raise InputError(f"{path}: not an Excel workbook (.xlsx or .xlsm expected, found '{path.suffix}')")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a valid Excel workbook (the file is not an .xlsx package)")


def _open(path: Path) -> calamine.CalamineWorkbook:
    try:
        return calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    except Exception as exc:  # calamine raises several types for broken packages
        raise InputError(f"{path}: cannot be read as a workbook ({exc})") from exc


def table_frame(header: list, body: list[list], first_row: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Header texts + body rows -> (data with one column per named header, Excel row of each data row).
    ``first_row`` is the Excel row number of the first body row; fully blank rows are dropped."""
    names = [str(h).strip() if h not in (None, "") else "" for h in header]
    keep = [i for i, n in enumerate(names) if n]
    data = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(len(names)))
    data = data.reindex(columns=keep)
    data.columns = [names[i] for i in keep]
    data = data.replace("", None)
    rows = first_row + np.arange(len(data))
    nonblank = data.notna().any(axis=1).to_numpy()
    return data.loc[nonblank].reset_index(drop=True), rows[nonblank]


def _table_for_sheet(wb: calamine.CalamineWorkbook, sheet: str) -> tuple[pd.DataFrame, np.ndarray]:
    for name in wb.table_names:
        table = wb.get_table_by_name(name)
        if table.sheet == sheet:
            return table_frame(list(table.columns), table.to_python(), table.start[0] + 1)
    ws = wb.get_sheet_by_name(sheet)
    values = ws.to_python()  # skips the empty area above and left of the data
    if not values:
        return pd.DataFrame(), np.zeros(0, int)
    # header row's Excel number is start row (0-based) + 1; data begins one below
    return table_frame(values[0], values[1:], ws.start[0] + 2)


def collect_tables(sheet_names: list[str], table_of: Callable[[str], tuple[pd.DataFrame, np.ndarray]]) -> dict:
    """Every contract input sheet among ``sheet_names``, matched by name tolerantly, as a RawTable;
    ``table_of(sheet)`` gives the sheet's table (data, Excel row numbers). Shared by every reader."""
    by_key = {key(n): n for n in sheet_names}
    out: dict[str, RawTable] = {}
    for spec in SHEETS.values():
        sheet = by_key.get(key(spec.name))
        if sheet is None:
            continue
        data, rows = table_of(sheet)
        cols: dict[str, str] = {}
        for header in data.columns:
            cols.setdefault(key(header), header)
        out[spec.name] = RawTable(sheet, data, rows, cols)
    return out


def read_inputs(path: Path) -> dict[str, RawTable]:
    """Every contract input sheet present in the workbook file, read with python-calamine."""
    check_workbook_file(path)
    wb = _open(path)
    try:
        return collect_tables(list(wb.sheet_names), lambda sheet: _table_for_sheet(wb, sheet))
    finally:
        wb.close()
