"""The output sheets described once, whatever renders them: which tables go where, each column's number
format and width, emphasised (subtotal) rows, per-cell formats, traffic-light columns, frozen panes and
charts. The openpyxl writer (headless) and the xlwings writer (Excel) both render this description, so
the two channels produce the same sheets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from planner.plan import PlanResult
from planner.sheets import style
from planner.sheets.contract import OUTPUT_SHEETS

TABLE_NAMES = {
    "Reorder Plan": "ReorderPlan",
    "Purchase Orders": "PurchaseOrders",
    "Forecast": "ForecastPlan",
    "KPIs": "KPIs",
    "Issues": "PlanIssues",
    "Run Info": "RunInfo",
}
STATUSES = ("ORDER NOW", "CHECK", "EXCESS", "NO DEMAND", "OK")
LIGHTS = ("GREEN", "AMBER", "RED")


def cell_value(v):
    """A plain Python cell value: None for NaN/NaT/inf and empty text, datetime for timestamps, int/float for numpy
    numbers, and text without the control characters a workbook cannot hold."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, np.generic):  # before float: np.float64 is a float subclass
        return cell_value(v.item())
    if isinstance(v, float):
        return None if np.isnan(v) or np.isinf(v) else v
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("", v) or None  # empty text is a blank cell, as Excel stores it
    return v


@dataclass
class Table:
    """A frame placed as an Excel Table with its header cell at ``at`` (1-based row, column)."""

    name: str
    header: list[str]
    rows: list[list]  # cell values (see cell_value); at least one row, blank when the frame is empty
    at: tuple[int, int]
    formats: list[str]  # Excel number format per column ("General" = none)
    widths: list[float]  # column widths in characters
    emphasis: dict[int, str] = field(default_factory=dict)  # data-row index -> fill; the row is bold
    cell_formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (data row, column) -> format
    lights: tuple[str, tuple[str, ...]] | None = None  # column whose values get style.STATUS_COLOURS

    @property
    def last_row(self) -> int:
        return self.at[0] + len(self.rows)

    @property
    def last_col(self) -> int:
        return self.at[1] + len(self.header) - 1

    def col(self, name: str) -> int:
        """Sheet column number of a header."""
        return self.at[1] + self.header.index(name)


@dataclass
class Chart:
    """A column chart over a table: ``bars`` by ``category``, optionally ``line`` on a secondary axis."""

    title: str
    table: Table
    category: str
    bars: str
    y_title: str
    anchor: tuple[int, int]  # top-left cell (row, column)
    line: str | None = None
    line_title: str = ""
    y_format: str | None = None
    width_cm: float = 14.0
    height_cm: float = 8.0


@dataclass
class Sheet:
    name: str
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    freeze: tuple[int, int] = (2, 1)  # first cell that scrolls (Excel's "freeze panes" at that cell)
    widths: dict[int, float] = field(default_factory=dict)  # column number -> width, overriding the tables'


def table(df: pd.DataFrame, name: str, fmts: dict[str, str], at: tuple[int, int] = (1, 1)) -> Table:
    """A Table with formats by column meaning (style.COLUMN_MEANING) and widths from the first 200 rows."""
    header = [str(c) for c in df.columns]
    rows = [[cell_value(v) for v in row] for row in df.itertuples(index=False, name=None)]
    rows = rows or [[None] * len(header)]
    formats, widths = [], []
    for j, c in enumerate(header):
        meaning = style.COLUMN_MEANING.get(c)
        if meaning is None and c[:2].isdigit() and "-" in c:  # forecast period columns (dates as names)
            meaning = "units"
        if isinstance(rows[0][j], dt.datetime | dt.date):
            meaning = "date"
        formats.append(fmts[meaning or "general"])
        width = max([len(c)] + [len(str(r[j])) for r in rows[:200] if r[j] is not None] + [style.MIN_WIDTH])
        widths.append(11.0 if meaning == "date" else float(min(width + 2, style.MAX_WIDTH)))
    return Table(name, header, rows, at, formats, widths)


def _kpi_sheet(result: PlanResult, fmts: dict[str, str]) -> Sheet:
    k = result.kpis
    kpis = table(k, TABLE_NAMES["KPIs"], fmts)
    kpis.lights = ("status", LIGHTS)
    for j in (1, 2):  # value and target: formatted by each KPI's unit
        kpis.formats[j] = fmts["general"]
    for i, unit in enumerate(k["unit"]):
        for j in (1, 2):
            kpis.cell_formats[i, j] = fmts[style.KPI_UNIT_FORMAT.get(unit, "general")]
    start = len(k.columns) + 2  # one blank column after the KPI table
    abc = table(result.abc, "AbcPareto", fmts, at=(1, start))
    sheet = Sheet("KPIs", [kpis, abc], widths={kpis.col("definition"): 60.0})
    sheet.charts.append(
        Chart("ABC Pareto: annual demand value by class", abc, "abc", "annual_value", "annual value",
              anchor=(len(abc.rows) + 4, start), line="value_share", line_title="value share")
    )  # fmt: skip
    occ = result.occupancy
    if occ is not None and len(occ):
        occ_table = table(occ, "SiteOccupancy", fmts, at=(len(abc.rows) + 22, start))
        sheet.tables.append(occ_table)
        sheet.charts.append(
            Chart("Warehouse occupancy by site", occ_table, "site", "occupancy", "occupancy",
                  anchor=(occ_table.last_row + 3, start), y_format="0%")
        )  # fmt: skip
    return sheet


def issues_sheet(issues: pd.DataFrame, currency: str = "EUR") -> Sheet:
    """The Issues sheet alone (what validation found), severities coloured."""
    t = table(issues, TABLE_NAMES["Issues"], style.number_formats(currency))
    t.lights = ("severity", ("error", "warning"))
    return Sheet("Issues", [t])


def output_sheets(result: PlanResult, names: tuple[str, ...] = OUTPUT_SHEETS) -> list[Sheet]:
    """The output sheets of a plan named in ``names``, in that order (default: all, contract order)."""
    currency = str(result.settings.get("currency", "EUR"))
    fmts = style.number_formats(currency)

    def reorder() -> Sheet:
        t = table(result.reorder, TABLE_NAMES["Reorder Plan"], fmts)
        t.lights = ("status", STATUSES)
        return Sheet("Reorder Plan", [t], freeze=(2, 3))

    def purchase_orders() -> Sheet:
        t = table(result.purchase_orders, TABLE_NAMES["Purchase Orders"], fmts)
        kinds = result.purchase_orders["row_type"]
        t.emphasis = {i: style.TOTAL_FILL for i, kind in enumerate(kinds) if kind != "line"}
        return Sheet("Purchase Orders", [t])

    def run_info() -> Sheet:
        t = table(result.run_info.astype({"value": object}), TABLE_NAMES["Run Info"], fmts)
        return Sheet("Run Info", [t], widths={2: 60.0})

    build = {
        "Reorder Plan": reorder,
        "Purchase Orders": purchase_orders,
        "Forecast": lambda: Sheet("Forecast", [table(result.forecast, TABLE_NAMES["Forecast"], fmts)], freeze=(2, 3)),
        "KPIs": lambda: _kpi_sheet(result, fmts),
        "Issues": lambda: issues_sheet(result.issues, currency),
        "Run Info": run_info,
    }
    return [build[name]() for name in names]
