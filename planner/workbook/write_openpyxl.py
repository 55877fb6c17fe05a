"""Render the output layout (layout.py) with openpyxl: each table an Excel Table with the shared style,
number formats, widths, frozen headers, traffic lights and native charts. The sheets are built in a fresh
write-only workbook (structure and styles), their cells rendered directly as <sheetData> XML (fast), and
package.py then merges them into the user's workbook without touching anything else.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from copy import copy
from xml.sax.saxutils import escape as xml_escape

from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn, TableStyleInfo

from planner.model.results import PlanResult
from planner.workbook import style
from planner.workbook.contract import EXCEL_EPOCH
from planner.workbook.layout import Chart, Sheet, Table, output_sheets

_COLS = [get_column_letter(i) for i in range(1, 16385)]


def _ref(t: Table) -> str:
    return f"{_COLS[t.at[1] - 1]}{t.at[0]}:{_COLS[t.last_col - 1]}{t.last_row}"


class SheetWriter:
    """One output sheet in openpyxl's write-only mode. Cells share one style object per distinct
    (number format, bold, fill), so a 300,000-cell sheet costs no more than writing its values."""

    def __init__(self, wb: Workbook, sheet: Sheet):
        self.ws, self.sheet = wb.create_sheet(sheet.name), sheet
        self._styles: dict[tuple, object] = {}

    def _style(self, key: tuple):
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

    def style_id(self, key: tuple) -> int:
        """Index of the cell format for key in the workbook's styles (0 = default)."""
        if key in (("General", False, None), (None, False, None)):
            return 0
        proto = WriteOnlyCell(self.ws)
        proto._style = copy(self._style(key))
        return proto.style_id

    def structure(self) -> None:
        """Tables, widths, traffic lights, frozen panes and charts (everything but the cells)."""
        ws = self.ws
        for col, width in self.sheet.column_widths().items():
            ws.column_dimensions[_COLS[col - 1]].width = width
        for t in self.sheet.tables:
            ref = _ref(t)
            xt = XlTable(displayName=t.name, ref=ref, autoFilter=AutoFilter(ref=ref))
            xt.tableColumns = [TableColumn(id=j + 1, name=c) for j, c in enumerate(t.header)]  # write-only: by hand
            xt.tableStyleInfo = TableStyleInfo(name=style.TABLE_STYLE, showRowStripes=True)
            with warnings.catch_warnings():  # openpyxl reminds write-only users to add columns: done above
                warnings.simplefilter("ignore", UserWarning)
                ws.add_table(xt)
            if t.lights:
                column, values = t.lights
                letter = _COLS[t.col(column) - 1]
                rng = f"{letter}{t.at[0] + 1}:{letter}{t.last_row}"
                for value in values:
                    fill, font = style.STATUS_COLOURS[value]
                    fills = {"fill": PatternFill("solid", bgColor=fill), "font": Font(color=font, bold=True)}
                    ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{value}"'], **fills))
        row, col = self.sheet.freeze
        ws.freeze_panes = f"{_COLS[col - 1]}{row}"
        for chart in self.sheet.charts:
            ws.add_chart(_chart(ws, chart), f"{_COLS[chart.anchor[1] - 1]}{chart.anchor[0]}")

    def sheet_data(self) -> bytes:
        """The cells as <sheetData> XML: one short string per cell instead of openpyxl's cell objects."""
        cells: list[tuple[int, int, str]] = []
        header_sid = self.style_id((None, True, None))
        for t in self.sheet.tables:
            r0, c0 = t.at
            for j, h in enumerate(t.header):
                cells.append((r0, c0 + j, _cell_xml(r0, c0 + j, h, header_sid)))
            col_sids = [self.style_id((f, False, None)) for f in t.formats]
            emphasis = {i: [self.style_id((f, True, fill)) for f in t.formats] for i, fill in t.emphasis.items()}
            own = {ij: self.style_id((f, False, None)) for ij, f in t.cell_formats.items()}
            for i, row in enumerate(t.rows):
                r = r0 + 1 + i
                sids = emphasis.get(i, col_sids)
                for j, v in enumerate(row):
                    if v is not None:
                        sid = own.get((i, j), sids[j])
                        cells.append((r, c0 + j, _cell_xml(r, c0 + j, v, sid)))
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
        return "".join(out).encode("utf-8")


def _chart(ws, spec: Chart) -> BarChart:
    t = spec.table
    bar = BarChart()
    bar.title, bar.y_axis.title = spec.title, spec.y_title
    col = t.col(spec.bars)
    bar.add_data(Reference(ws, min_col=col, min_row=t.at[0], max_row=t.last_row), titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=t.col(spec.category), min_row=t.at[0] + 1, max_row=t.last_row))
    if spec.y_format:
        bar.y_axis.numFmt = spec.y_format
    if spec.line:
        line = LineChart()
        col = t.col(spec.line)
        line.add_data(Reference(ws, min_col=col, min_row=t.at[0], max_row=t.last_row), titles_from_data=True)
        for series in line.series:  # straight segments with markers, as the xlwings writer's line_markers
            series.smooth = False
            series.marker.symbol = "circle"
        if spec.line_secondary:
            line.y_axis.axId, line.y_axis.title, line.y_axis.crosses = 200, spec.line_title, "max"
        bar += line
    bar.height, bar.width = spec.height_cm, spec.width_cm  # openpyxl sizes charts in cm
    return bar


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


def output_package(result: PlanResult, names: tuple[str, ...] | None = None) -> bytes:
    """The output sheets (``names``, default layout.sheet_names) as an .xlsx package in memory: openpyxl
    writes each sheet's structure (tables, widths, panes, conditional formats, drawings) and the styles;
    the cells are spliced into <sheetData>."""
    wb = Workbook(write_only=True)
    writers = [SheetWriter(wb, sheet) for sheet in output_sheets(result, names)]
    cells = []
    for w in writers:
        w.structure()
        cells.append(w.sheet_data())
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)  # sheet1.xml... in order
            if m:
                filled = b"<sheetData>" + cells[int(m.group(1)) - 1] + b"</sheetData>"
                body, n = re.subn(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>", lambda _, f=filled: f, body, count=1)
                if n != 1:
                    raise RuntimeError(f"no empty sheetData in {info.filename}")
            zout.writestr(info.filename, body)
    return out.getvalue()
