"""Read the input sheets of an open workbook through xlwings (Excel on Windows/macOS, or the remote engine of
xlwings Server/Lite) into the same raw tables as the file reader, so validation and planning are shared.

A sheet's table is its first Excel Table (ListObject) when it has one, else the block whose first non-empty
row holds the headers. Row numbers are Excel's, so the Issues sheet points at the same cells either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.workbook.read import RawTable, collect_tables, table_frame


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def sheet_table(sheet) -> tuple[pd.DataFrame, np.ndarray]:
    """(data, Excel row numbers) of one xlwings sheet: its first Table, else its used block."""
    tables = list(sheet.tables)
    rng = tables[0].range if tables else sheet.used_range
    values = rng.options(ndim=2).value or [[]]
    # the used range can start above or left of the data (always at A1 on the remote engine)
    first = next((i for i, row in enumerate(values) if not all(_blank(v) for v in row)), None)
    if first is None:
        return pd.DataFrame(), np.zeros(0, int)
    values = values[first:]
    lead = min((next((j for j, v in enumerate(row) if not _blank(v)), len(row)) for row in values), default=0)
    values = [row[lead:] for row in values]
    return table_frame(values[0], values[1:], rng.row + first + 1)


def read_book(book) -> dict[str, RawTable]:
    """Every contract input sheet present in an xlwings Book."""
    sheets = {s.name: s for s in book.sheets}
    return collect_tables(list(sheets), lambda name: sheet_table(sheets[name]))
