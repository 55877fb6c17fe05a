"""Render result frames as formatted output sheets with openpyxl: each an Excel Table with the shared style,
number formats by meaning, widths, frozen headers, traffic lights and the KPI charts. The sheets are built
in a fresh workbook; package.py then merges them into the user's workbook without touching anything else.
"""

from __future__ import annotations

import datetime as dt
import io
from copy import copy

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from planner.plan import PlanResult
from planner.sheets import style

TABLE_NAMES = {
    "Reorder Plan": "ReorderPlan",
    "Purchase Orders": "PurchaseOrders",
    "Forecast": "ForecastPlan",
    "KPIs": "KPIs",
    "Issues": "PlanIssues",
    "Run Info": "RunInfo",
}


def _py(v):
    """A cell value openpyxl writes faithfully: None for NaN/NaT, datetimes, plain Python numbers, and text
    without characters XML forbids."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float):
        return None if np.isnan(v) or np.isinf(v) else v
    if isinstance(v, np.generic):
        return _py(v.item())
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("", v)
    return v


def write_table(wb: Workbook, name: str, df: pd.DataFrame, fmts: dict[str, str], at: tuple[int, int] = (1, 1),
                ws=None, table_name: str | None = None):  # fmt: skip
    """Write df as an Excel Table with its top-left header cell at ``at`` (row, col) on sheet ``name``."""
    ws = ws if ws is not None else wb.create_sheet(name)
    r0, c0 = at
    cols = list(df.columns)
    header_font = Font(bold=True)
    for j, c in enumerate(cols):
        ws.cell(r0, c0 + j, str(c)).font = header_font
    data = [[_py(v) for v in row] for row in df.itertuples(index=False, name=None)]
    if not data:
        data = [[None] * len(cols)]
    for i, row in enumerate(data, r0 + 1):
        for j, v in enumerate(row):
            cell = ws.cell(i, c0 + j, v)
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"  # text stays text: never a formula
    for j, c in enumerate(cols):
        meaning = style.COLUMN_MEANING.get(str(c))
        if meaning is None and isinstance(c, str) and c[:2].isdigit() and "-" in c:  # forecast periods
            meaning = "units"
        fmt = fmts.get(meaning or "general")
        width = max([len(str(c))] + [len(str(r[j])) for r in data[:200] if r[j] is not None] + [style.MIN_WIDTH])
        if isinstance(data[0][j], (dt.datetime, dt.date)):
            fmt, width = fmts["date"], 11
        ws.column_dimensions[get_column_letter(c0 + j)].width = min(width + 2, style.MAX_WIDTH)
        if fmt and fmt != "General":
            _format_column(ws, c0 + j, r0 + 1, r0 + len(data), fmt)
    ref = f"{get_column_letter(c0)}{r0}:{get_column_letter(c0 + len(cols) - 1)}{r0 + len(data)}"
    table = Table(displayName=table_name or TABLE_NAMES.get(name, name.replace(" ", "")), ref=ref)
    table.tableStyleInfo = style_info()
    ws.add_table(table)
    return ws, ref


def _format_column(ws, col: int, first: int, last: int, fmt: str) -> None:
    proto = ws.cell(first, col)
    proto.number_format = fmt
    shared = proto._style  # one style array shared by the column: far faster than setting each cell
    for r in range(first + 1, last + 1):
        ws.cell(r, col)._style = copy(shared)


def style_info() -> TableStyleInfo:
    return TableStyleInfo(name=style.TABLE_STYLE, showRowStripes=True)


def _traffic_lights(ws, ref_col: int, first: int, last: int, values) -> None:
    letter = get_column_letter(ref_col)
    rng = f"{letter}{first}:{letter}{max(last, first)}"
    for value in values:
        fill, font = style.STATUS_COLOURS[value]
        ws.conditional_formatting.add(
            rng,
            CellIsRule(operator="equal", formula=[f'"{value}"'], fill=PatternFill("solid", bgColor=fill),
                       font=Font(color=font, bold=True)),
        )  # fmt: skip


def build_output_workbook(result: PlanResult) -> Workbook:
    """A workbook holding just the output sheets, in contract order."""
    fmts = style.number_formats(str(result.settings.get("currency", "EUR")))
    wb = Workbook()
    wb.remove(wb.active)

    ws, _ = write_table(wb, "Reorder Plan", result.reorder, fmts)
    col = list(result.reorder.columns).index("status") + 1
    _traffic_lights(ws, col, 2, len(result.reorder) + 1, ["ORDER NOW", "CHECK", "EXCESS", "NO DEMAND", "OK"])
    ws.freeze_panes = "C2"

    po = result.purchase_orders
    ws, _ = write_table(wb, "Purchase Orders", po, fmts)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor=style.TOTAL_FILL)
    for i, kind in enumerate(po["row_type"].tolist(), 2):
        if kind != "line":
            for j in range(1, len(po.columns) + 1):
                c = ws.cell(i, j)
                c.font, c.fill = bold, fill
    ws.freeze_panes = "A2"

    ws, _ = write_table(wb, "Forecast", result.forecast, fmts)
    ws.freeze_panes = "C2"

    _kpi_sheet(wb, result, fmts)

    issues = result.issues
    ws, _ = write_table(wb, "Issues", issues, fmts)
    _traffic_lights(ws, 1, 2, len(issues) + 1, ["error", "warning"])
    ws.freeze_panes = "A2"

    ws, _ = write_table(wb, "Run Info", result.run_info.astype({"value": object}), fmts)
    ws.column_dimensions["B"].width = 60
    ws.freeze_panes = "A2"
    return wb


def _kpi_sheet(wb: Workbook, result: PlanResult, fmts: dict[str, str]) -> None:
    k = result.kpis
    ws, _ = write_table(wb, "KPIs", k, fmts)
    for i, unit in enumerate(k["unit"].tolist(), 2):  # value and target formatted by the KPI's unit
        f = fmts[style.KPI_UNIT_FORMAT.get(unit, "general")]
        ws.cell(i, 2).number_format = ws.cell(i, 3).number_format = f
    _traffic_lights(ws, 4, 2, len(k) + 1, ["GREEN", "AMBER", "RED"])
    ws.freeze_panes = "A2"
    ws.column_dimensions["G"].width = 60

    start_col = len(k.columns) + 2  # one blank column after the KPI table
    abc = result.abc
    write_table(wb, "KPIs", abc, fmts, at=(1, start_col), ws=ws, table_name="AbcPareto")
    bar = BarChart()
    bar.title, bar.y_axis.title = "ABC Pareto: annual demand value by class", "annual value"
    bar.add_data(Reference(ws, min_col=start_col + 2, min_row=1, max_row=1 + len(abc)), titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=start_col, min_row=2, max_row=1 + len(abc)))
    share = LineChart()
    share.add_data(Reference(ws, min_col=start_col + 3, min_row=1, max_row=1 + len(abc)), titles_from_data=True)
    share.y_axis.axId, share.y_axis.title, share.y_axis.crosses = 200, "value share", "max"
    bar += share
    bar.height, bar.width = 8, 14
    ws.add_chart(bar, f"{get_column_letter(start_col)}{len(abc) + 4}")

    occ = result.occupancy
    if occ is not None and len(occ):
        occ_row = len(abc) + 22
        write_table(wb, "KPIs", occ, fmts, at=(occ_row, start_col), ws=ws, table_name="SiteOccupancy")
        chart = BarChart()
        chart.title, chart.y_axis.title = "Warehouse occupancy by site", "occupancy"
        chart.y_axis.numFmt = "0%"
        chart.add_data(Reference(ws, min_col=start_col + 3, min_row=occ_row, max_row=occ_row + len(occ)),
                       titles_from_data=True)  # fmt: skip
        chart.set_categories(Reference(ws, min_col=start_col, min_row=occ_row + 1, max_row=occ_row + len(occ)))
        chart.height, chart.width = 8, 14
        ws.add_chart(chart, f"{get_column_letter(start_col)}{occ_row + len(occ) + 3}")


def output_package(result: PlanResult) -> bytes:
    """The output sheets as an .xlsx package in memory."""
    buf = io.BytesIO()
    build_output_workbook(result).save(buf)
    return buf.getvalue()
