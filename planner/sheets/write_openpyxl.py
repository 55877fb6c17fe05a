"""Render result frames as formatted output sheets with openpyxl: each an Excel Table with the shared style,
number formats by meaning, widths, frozen headers, traffic lights and the KPI charts. The sheets are built
in a fresh write-only workbook (streamed, fast); package.py then merges them into the user's workbook
without touching anything else.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from copy import copy
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

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
    if isinstance(v, np.generic):  # before float: np.float64 is a float subclass
        return _py(v.item())
    if isinstance(v, float):
        return None if np.isnan(v) or np.isinf(v) else v
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("", v)
    return v


@dataclass
class Block:
    """A frame placed on a sheet with its top-left header cell at (r0, c0)."""

    r0: int
    c0: int
    header: list[str]
    rows: list[list]
    col_styles: list[tuple]  # style key per column (number format, bold, fill)
    row_styles: dict[int, tuple] = field(default_factory=dict)  # data row index -> style key for the row


class SheetLayout:
    """One output sheet in openpyxl's write-only mode: blocks are collected, then streamed row by row with
    one shared style object per distinct (format, bold, fill), so a 300,000-cell sheet costs no more than
    writing its values."""

    def __init__(self, wb: Workbook, name: str, fmts: dict[str, str]):
        self.ws, self.fmts, self.blocks = wb.create_sheet(name), fmts, []
        self._styles: dict[tuple, object] = {}

    def style(self, key: tuple):
        if key not in self._styles:
            proto = WriteOnlyCell(self.ws)
            fmt, bold, fill = key
            if fmt and fmt != "General":
                proto.number_format = fmt
            if bold:
                proto.font = Font(bold=True)
            if fill:
                proto.fill = PatternFill("solid", fgColor=fill)
            self._styles[key] = proto._style
        return self._styles[key]

    def table(self, df: pd.DataFrame, name: str, at: tuple[int, int] = (1, 1)) -> Block:
        """Place df as an Excel Table; formats by column meaning (style.COLUMN_MEANING)."""
        cols = [str(c) for c in df.columns]
        rows = [[_py(v) for v in row] for row in df.itertuples(index=False, name=None)] or [[None] * len(cols)]
        col_styles = []
        for j, c in enumerate(cols):
            meaning = style.COLUMN_MEANING.get(c)
            if meaning is None and c[:2].isdigit() and "-" in c:  # forecast period columns
                meaning = "units"
            if isinstance(rows[0][j], dt.datetime | dt.date):
                meaning = "date"
            col_styles.append((self.fmts.get(meaning or "general"), False, None))
            width = max([len(c)] + [len(str(r[j])) for r in rows[:200] if r[j] is not None] + [style.MIN_WIDTH])
            if meaning == "date":
                width = 11
            self.ws.column_dimensions[get_column_letter(at[1] + j)].width = min(width + 2, style.MAX_WIDTH)
        block = Block(at[0], at[1], cols, rows, col_styles)
        self.blocks.append(block)
        ref = f"{get_column_letter(at[1])}{at[0]}:{get_column_letter(at[1] + len(cols) - 1)}{at[0] + len(rows)}"
        table = Table(displayName=name, ref=ref, autoFilter=AutoFilter(ref=ref))
        table.tableColumns = [TableColumn(id=j + 1, name=c) for j, c in enumerate(cols)]  # write-only: by hand
        table.tableStyleInfo = TableStyleInfo(name=style.TABLE_STYLE, showRowStripes=True)
        with warnings.catch_warnings():  # openpyxl reminds write-only users to add columns: done above
            warnings.simplefilter("ignore", UserWarning)
            self.ws.add_table(table)
        return block

    def traffic_lights(self, block: Block, column: str, values) -> None:
        letter = get_column_letter(block.c0 + block.header.index(column))
        rng = f"{letter}{block.r0 + 1}:{letter}{block.r0 + len(block.rows)}"
        for value in values:
            fill, font = style.STATUS_COLOURS[value]
            rule = CellIsRule(operator="equal", formula=[f'"{value}"'], fill=PatternFill("solid", bgColor=fill),
                              font=Font(color=font, bold=True))  # fmt: skip
            self.ws.conditional_formatting.add(rng, rule)

    def write(self) -> None:
        """Render the cells as <sheetData> XML (kept in ``self.sheet_data`` and spliced in by
        output_package): one short string per cell instead of openpyxl's per-cell objects and writer."""
        cells: list[tuple[int, int, str]] = []
        header_sid = self.style_id((None, True, None))
        for b in self.blocks:
            for j, h in enumerate(b.header):
                cells.append((b.r0, b.c0 + j, _cell_xml(b.r0, b.c0 + j, h, header_sid)))
            col_sids = [self.style_id(k) for k in b.col_styles]
            row_sids = {i: self.style_id((None, True, k[2])) for i, k in b.row_styles.items()}
            for i, row in enumerate(b.rows):
                r = b.r0 + 1 + i
                override = row_sids.get(i)
                for j, v in enumerate(row):
                    if isinstance(v, tuple):  # (value, style key) for a cell with its own format
                        v, sid = v[0], self.style_id(v[1])
                    else:
                        sid = col_sids[j] if override is None else override
                    if v is not None:
                        cells.append((r, b.c0 + j, _cell_xml(r, b.c0 + j, v, sid)))
        cells.sort(key=lambda c: (c[0], c[1]))
        out, current, parts = [], None, []
        for r, _, xml in cells:
            if r != current:
                if parts:
                    out.append(f'<row r="{current}">{"".join(parts)}</row>')
                current, parts = r, []
            parts.append(xml)
        if parts:
            out.append(f'<row r="{current}">{"".join(parts)}</row>')
        self.sheet_data = "".join(out).encode("utf-8")

    def style_id(self, key: tuple) -> int:
        """Index of the cell format for key in the workbook's styles (0 = default)."""
        if key == ("General", False, None) or key == (None, False, None):
            return 0
        proto = WriteOnlyCell(self.ws)
        proto._style = copy(self.style(key))
        return proto.style_id


EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_COLS = [get_column_letter(i) for i in range(1, 16385)]


def _cell_xml(row: int, col: int, v, sid: int) -> str:
    """One <c> element. Text is an inline string (never a formula); dates are serial numbers."""
    ref = f"{_COLS[col - 1]}{row}"
    s = f' s="{sid}"' if sid else ""
    if isinstance(v, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int):
        return f'<c r="{ref}"{s}><v>{int(v)}</v></c>'
    if isinstance(v, float):
        return f'<c r="{ref}"{s}><v>{float(v)!r}</v></c>'
    if isinstance(v, dt.datetime | dt.date):
        if not isinstance(v, dt.datetime):
            v = dt.datetime(v.year, v.month, v.day)
        serial = (v - EXCEL_EPOCH) / dt.timedelta(days=1)
        return f'<c r="{ref}"{s}><v>{serial!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_escape(str(v))}</t></is></c>'


def _simple_sheet(wb, fmts, name: str, df: pd.DataFrame, freeze: str, lights: tuple[str, list] | None = None,
                  row_styles: dict | None = None) -> SheetLayout:  # fmt: skip
    sheet = SheetLayout(wb, name, fmts)
    block = sheet.table(df, TABLE_NAMES[name])
    if lights:
        sheet.traffic_lights(block, *lights)
    block.row_styles = row_styles or {}
    sheet.ws.freeze_panes = freeze
    return sheet


def build_output_workbook(result: PlanResult) -> tuple[Workbook, list[SheetLayout]]:
    """A write-only workbook with the output sheets' structure, in contract order, and their layouts
    (each with its rendered cells)."""
    fmts = style.number_formats(str(result.settings.get("currency", "EUR")))
    wb = Workbook(write_only=True)
    po = result.purchase_orders
    totals = {i: (None, True, style.TOTAL_FILL) for i, k in enumerate(po["row_type"]) if k != "line"}
    statuses = ["ORDER NOW", "CHECK", "EXCESS", "NO DEMAND", "OK"]
    layouts = [
        _simple_sheet(wb, fmts, "Reorder Plan", result.reorder, "C2", ("status", statuses)),
        _simple_sheet(wb, fmts, "Purchase Orders", po, "A2", row_styles=totals),
        _simple_sheet(wb, fmts, "Forecast", result.forecast, "C2"),
        _kpi_sheet(wb, result, fmts),
        _simple_sheet(wb, fmts, "Issues", result.issues, "A2", ("severity", ["error", "warning"])),
        _simple_sheet(wb, fmts, "Run Info", result.run_info.astype({"value": object}), "A2"),
    ]
    layouts[-1].ws.column_dimensions["B"].width = 60
    for layout in layouts:
        layout.write()
    return wb, layouts


def _kpi_sheet(wb: Workbook, result: PlanResult, fmts: dict[str, str]) -> SheetLayout:
    k = result.kpis
    sheet = SheetLayout(wb, "KPIs", fmts)
    ws = sheet.ws
    block = sheet.table(k, TABLE_NAMES["KPIs"])
    for j in (1, 2):  # value and target: formatted by the KPI's unit, row by row
        block.col_styles[j] = (None, False, None)
    kpi_fmt = [fmts[style.KPI_UNIT_FORMAT.get(u, "general")] for u in k["unit"]]
    for i, f in enumerate(kpi_fmt):
        for j in (1, 2):
            v = block.rows[i][j]
            block.rows[i][j] = (v, (f, False, None)) if v is not None else None
    sheet.traffic_lights(block, "status", ["GREEN", "AMBER", "RED"])
    ws.freeze_panes = "A2"
    ws.column_dimensions["G"].width = 60

    start_col = len(k.columns) + 2  # one blank column after the KPI table
    abc = result.abc
    sheet.table(abc, "AbcPareto", at=(1, start_col))
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
        sheet.table(occ, "SiteOccupancy", at=(occ_row, start_col))
        chart = BarChart()
        chart.title, chart.y_axis.title = "Warehouse occupancy by site", "occupancy"
        chart.y_axis.numFmt = "0%"
        chart.add_data(Reference(ws, min_col=start_col + 3, min_row=occ_row, max_row=occ_row + len(occ)),
                       titles_from_data=True)  # fmt: skip
        chart.set_categories(Reference(ws, min_col=start_col, min_row=occ_row + 1, max_row=occ_row + len(occ)))
        chart.height, chart.width = 8, 14
        ws.add_chart(chart, f"{get_column_letter(start_col)}{occ_row + len(occ) + 3}")
    return sheet


def output_package(result: PlanResult) -> bytes:
    """The output sheets as an .xlsx package in memory: openpyxl writes each sheet's structure (table,
    widths, panes, conditional formats, drawing) and the styles; the cells are spliced into <sheetData>."""
    wb, layouts = build_output_workbook(result)
    buf = io.BytesIO()
    wb.save(buf)
    cells = [layout.sheet_data for layout in layouts]  # openpyxl names sheet parts sheet1.xml... in order
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if m:
                filled = b"<sheetData>" + cells[int(m.group(1)) - 1] + b"</sheetData>"
                body, n = re.subn(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>", lambda _, f=filled: f, body, count=1)
                if n != 1:
                    raise RuntimeError(f"no empty sheetData in {info.filename}")
            zout.writestr(info.filename, body)
    return out.getvalue()
