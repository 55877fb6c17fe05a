"""Render the output layout (layout.py) with openpyxl: each table an Excel Table with the shared style,
number formats, widths, frozen headers, traffic lights, native charts and the page setup. The sheets are
built in a fresh write-only workbook (structure and styles), their cells rendered directly as <sheetData>
XML (fast), and package.py then merges them into the user's workbook without touching anything else.
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
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart
from openpyxl.chart import Series as XlSeries
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
    RichTextProperties,
)
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn, TableStyleInfo

from planner.model.results import PlanResult
from planner.workbook import style
from planner.workbook.contract import EXCEL_EPOCH, EXCEL_EPOCH_1904
from planner.workbook.layout import Axis, Chart, PageSetup, RouteMap, Sheet, Table, output_sheets

_COLS = [get_column_letter(i) for i in range(1, 16385)]


def _ref(t: Table) -> str:
    return f"{_COLS[t.at[1] - 1]}{t.at[0]}:{_COLS[t.last_col - 1]}{t.last_row}"


class SheetWriter:
    """One output sheet in openpyxl's write-only mode. Cells share one style object per distinct
    (number format, bold, fill), so a 300,000-cell sheet costs no more than writing its values."""

    def __init__(self, wb: Workbook, sheet: Sheet, epoch: dt.datetime = EXCEL_EPOCH):
        self.ws, self.sheet, self.epoch = wb.create_sheet(sheet.name), sheet, epoch
        self._styles: dict[tuple, object] = {}

    def _style(self, key: tuple):
        if key not in self._styles:
            proto = WriteOnlyCell(self.ws)
            fmt, bold, fill = key
            if fmt and fmt != "General":
                proto.number_format = fmt
            if bold:
                proto.font = named_font(bold=True)
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
            made = _route_map(ws, chart) if isinstance(chart, RouteMap) else _chart(ws, chart)
            ws.add_chart(made, f"{_COLS[chart.anchor[1] - 1]}{chart.anchor[0]}")
        page_setup(ws, self.sheet.page)

    def sheet_data(self) -> bytes:
        """The cells as <sheetData> XML: one short string per cell instead of openpyxl's cell objects."""
        cells: list[tuple[int, int, str]] = []
        header_sid = self.style_id((None, True, None))
        for t in self.sheet.tables:
            r0, c0 = t.at
            for j, h in enumerate(t.header):
                cells.append((r0, c0 + j, _cell_xml(r0, c0 + j, h, header_sid, self.epoch)))
            col_sids = [self.style_id((f, False, None)) for f in t.formats]
            emphasis = {i: [self.style_id((f, True, fill)) for f in t.formats] for i, fill in t.emphasis.items()}
            own = {ij: self.style_id((f, False, None)) for ij, f in t.cell_formats.items()}
            for i, row in enumerate(t.rows):
                r = r0 + 1 + i
                sids = emphasis.get(i, col_sids)
                for j, v in enumerate(row):
                    sid = own.get((i, j), sids[j])
                    if v is not None:
                        cells.append((r, c0 + j, _cell_xml(r, c0 + j, v, sid, self.epoch)))
                    elif i in emphasis:  # an emphasised row is filled across, blanks included
                        cells.append((r, c0 + j, f'<c r="{_COLS[c0 + j - 1]}{r}" s="{sid}"/>'))
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


def named_font(bold: bool = False) -> Font:
    """The workbook's theme body font by name (scheme "minor": Excel shows the theme's font)."""
    return Font(name=style.FONT_NAME, sz=style.FONT_SIZE, b=bold, family=2, scheme="minor")


def page_setup(ws, page: PageSetup) -> None:
    """Landscape, fit to one page wide, header rows and key columns repeated, sheet name and page numbers."""
    ws.page_setup.orientation = "landscape" if page.landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = page.fit_width, page.fit_height
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if page.title_rows:
        ws.print_title_rows = f"{page.title_rows[0]}:{page.title_rows[1]}"
    if page.title_cols:
        ws.print_title_cols = f"{_COLS[page.title_cols[0] - 1]}:{_COLS[page.title_cols[1] - 1]}"
    ws.oddHeader.center.text, ws.oddFooter.center.text = page.header, page.footer
    if page.area:
        r0, c0, r1, c1 = page.area
        ws.print_area = f"{_COLS[c0 - 1]}{r0}:{_COLS[c1 - 1]}{r1}"


def _rich(text: str, size_pt: float, bold: bool) -> RichText:
    props = CharacterProperties(sz=int(size_pt * 100), b=bold)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])])


def _value_axis(axis, spec: Axis) -> None:
    axis.title = spec.title
    axis.numFmt = NumFmt(formatCode=spec.fmt, sourceLinked=False)
    axis.scaling.min, axis.scaling.max, axis.majorUnit = spec.minimum, spec.maximum, spec.major
    axis.majorGridlines = ChartLines()
    axis.delete = False


def _chart(ws, spec: Chart) -> BarChart:
    """Bars on the primary axis, lines on it or on the secondary one; every category labelled; a short
    title in 12 pt; the legend below."""
    t = spec.table
    bars, lines, lines2 = BarChart(), LineChart(), LineChart()
    bars.type = "col"
    for s in spec.series:
        ref = Reference(ws, min_col=t.col(s.column), min_row=t.at[0] + 1, max_row=t.last_row)
        series = XlSeries(ref, title=s.name)
        if s.line:
            series.smooth = False
            series.marker.symbol = "circle" if s.markers else "none"
            series.graphicalProperties.line.solidFill = s.colour
            series.graphicalProperties.line.width = 28575  # 2.25 pt
            if not s.markers:
                series.graphicalProperties.line.prstDash = "dash"
            (lines2 if s.secondary else lines).series.append(series)
        else:
            series.graphicalProperties.solidFill = s.colour
            bars.series.append(series)
    categories = Reference(ws, min_col=t.col(spec.category), min_row=t.at[0] + 1, max_row=t.last_row)
    for part in (bars, lines, lines2):
        part.set_categories(categories)
    bars.title = Title(tx=Text(rich=_rich(spec.title, style.CHART_TITLE_PT, True)), overlay=False)
    _value_axis(bars.y_axis, spec.y)
    bars.x_axis.tickLblSkip, bars.x_axis.delete = 1, False  # every category labelled
    bars.x_axis.txPr = _label_text(9, spec.label_angle)
    bars.legend.position = "b"
    if lines.series:
        bars += lines
    if lines2.series and spec.y2 is not None:
        lines2.y_axis.axId, lines2.y_axis.crosses = 200, "max"
        _value_axis(lines2.y_axis, spec.y2)
        lines2.y_axis.majorGridlines = None
        bars += lines2
    bars.height, bars.width = spec.height_cm, spec.width_cm  # openpyxl sizes charts in cm
    return bars


def _route_map(ws, spec: RouteMap) -> ScatterChart:
    """One XY series per route (its stops in visiting order, joined by lines, a marker on each stop)."""
    chart = ScatterChart()
    chart.style = 13
    t = spec.table
    xc, yc = t.col(spec.x), t.col(spec.y)
    for i, (name, first, last) in enumerate(spec.segments):
        rows = dict(min_row=t.at[0] + 1 + first, max_row=t.at[0] + 1 + last)
        series = XlSeries(Reference(ws, min_col=yc, **rows), Reference(ws, min_col=xc, **rows), title=name)
        series.marker.symbol = "circle"
        series.smooth = False
        series.graphicalProperties.line.solidFill = style.ROUTE_COLOURS[i % len(style.ROUTE_COLOURS)]
        series.marker.graphicalProperties.solidFill = style.ROUTE_COLOURS[i % len(style.ROUTE_COLOURS)]
        chart.series.append(series)
    chart.title = Title(tx=Text(rich=_rich(spec.title, style.CHART_TITLE_PT, True)), overlay=False)
    chart.x_axis.title, chart.y_axis.title = spec.x_title, spec.y_title
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "r"
    chart.height, chart.width = spec.height_cm, spec.width_cm
    return chart


def _label_text(size_pt: float, degrees: int = 0) -> RichText:
    """Axis label text properties: ``size_pt`` points, turned by ``degrees`` (long category names)."""
    props = CharacterProperties(sz=int(size_pt * 100))
    body = RichTextProperties(rot=int(degrees * 60000), vert="horz") if degrees else RichTextProperties()
    return RichText(bodyPr=body, p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _cell_xml(row: int, col: int, v, sid: int, epoch: dt.datetime = EXCEL_EPOCH) -> str:
    """One <c> element. Text is an inline string (never a formula); dates are serial numbers counted from
    the workbook's epoch (1899-12-30, or 1904-01-01 in the 1904 date system)."""
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
        serial = (v - epoch) / dt.timedelta(days=1)
        return f'<c r="{ref}"{s}><v>{serial!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_escape(str(v))}</t></is></c>'


def output_package(result: PlanResult, names: tuple[str, ...] | None = None, date1904: bool = False) -> bytes:
    """The output sheets (``names``, default layout.sheet_names) as an .xlsx package in memory, dates in the
    workbook's date system."""
    return sheets_package(output_sheets(result, names), EXCEL_EPOCH_1904 if date1904 else EXCEL_EPOCH)


def sheets_package(sheets: list[Sheet], epoch: dt.datetime = EXCEL_EPOCH) -> bytes:
    """Laid-out sheets as an .xlsx package in memory: openpyxl writes each sheet's structure (tables,
    widths, panes, conditional formats, drawings, page setup) and the styles; the cells are spliced into
    <sheetData>."""
    wb = Workbook(write_only=True)
    writers = [SheetWriter(wb, sheet, epoch) for sheet in sheets]
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
