"""Render the output layout (layout.py) into an open workbook through xlwings: desktop Excel, or the remote
engine of xlwings Server/Lite (where every call becomes an action the add-in replays in Excel). Same
tables, number formats, widths, emphasis rows, traffic lights, frozen panes, charts and page setup as the
openpyxl renderer; input sheets are never touched, output sheets are replaced where they stand.

Fonts: the cells keep the workbook's own font (Excel's Normal style, the theme font), headers are made
bold. Page setup: the remote engine's actions (xlwings 0.37) cannot set orientation, scaling or print
titles, so there only the print area (when the layout gives one) is set; desktop Excel on Windows gets the
full setup through its PageSetup object.
"""

from __future__ import annotations

import re
import sys

from openpyxl.utils import get_column_letter

from planner.workbook import style
from planner.workbook.contract import key
from planner.workbook.layout import Axis, Chart, PageSetup, RouteMap, Sheet, Table

POINTS_PER_CM = 28.35
# Text Excel might read as something else when written through .value gets Excel's text prefix, an
# apostrophe: a formula (=, +, -, @), an error (#N/A), a boolean, and any text with a digit in it, since
# Excel's reading of numbers, dates and times is too liberal to list (1E5, 12E4, 2E-3, SEPT2, Jan-25,
# 12:30 PM, 3/4 all stop being text). The prefix is invisible in the cell and harmless on plain text.
_NOT_PLAIN_TEXT = re.compile(r"^\s*[=+\-@#]|\d|^\s*(true|false)\s*$", re.IGNORECASE)


def excel_text(v):
    """A value as written through xlwings: text that Excel would turn into a formula, number, date or
    boolean gets a leading apostrophe, so it stays the text it is (the contract: text is never a formula)."""
    if isinstance(v, str) and _NOT_PLAIN_TEXT.search(v):
        return "'" + v
    return v


def _colour(hex_rgb: str) -> str:
    return "#" + hex_rgb


def replace_sheet(book, name: str):
    """A fresh, empty sheet called ``name``: where a sheet of that name exists (matched like the contract's
    names), the new one takes its place; otherwise it is added after the last sheet."""
    old = next((s for s in book.sheets if key(s.name) == key(name)), None)
    if old is None:
        return book.sheets.add(name=name, after=book.sheets[len(book.sheets) - 1])
    # anchored on the sheet before the old one: the remote engine's add(before=...) lands two places early
    # when the anchor is not the first sheet (xlwings 0.37); add(after=...) is right on every engine
    index = old.index  # 1-based
    tmp = f"~{name}"[:31]
    anchor = {"after": book.sheets[index - 2]} if index > 1 else {"before": old}
    new = book.sheets.add(name=tmp, **anchor)
    old.delete()
    new.name = name
    return new


def _table(sh, t: Table) -> None:
    r0, c0 = t.at
    sh.range((r0, c0)).value = [[excel_text(v) for v in t.header]] + [[excel_text(v) for v in r] for r in t.rows]
    sh.range((r0, c0), (r0, t.last_col)).font.bold = True
    for j, fmt in enumerate(t.formats):
        if fmt != "General":
            sh.range((r0 + 1, c0 + j), (t.last_row, c0 + j)).number_format = fmt
    sh.tables.add(source=sh.range((r0, c0), (t.last_row, t.last_col)), name=t.name, table_style_name=style.TABLE_STYLE)
    for i, fill in t.emphasis.items():
        row = sh.range((r0 + 1 + i, c0), (r0 + 1 + i, t.last_col))
        row.color = _colour(fill)
        row.font.bold = True
    for (i0, i1, j), fmt in _runs(t.cell_formats):  # one action per run of equal formats down a column
        sh.range((r0 + 1 + i0, c0 + j), (r0 + 1 + i1, c0 + j)).number_format = fmt
    if t.lights:
        column, values = t.lights
        col = t.col(column)
        cells = sh.range((r0 + 1, col), (t.last_row, col))
        for value in values:
            fill, font = style.STATUS_COLOURS[value]
            cells.conditional_formats.add_cell_value(
                "equal_to", f'="{value}"', fill_color=_colour(fill), font_color=_colour(font), font_bold=True
            )


def _runs(cell_formats: dict[tuple[int, int], str]) -> list[tuple[tuple[int, int, int], str]]:
    """Per-cell formats as runs (first row, last row, column) of one format down a column."""
    runs: list[tuple[tuple[int, int, int], str]] = []
    for (i, j), fmt in sorted(cell_formats.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if runs and runs[-1][1] == fmt and runs[-1][0][2] == j and runs[-1][0][1] == i - 1:
            runs[-1] = ((runs[-1][0][0], i, j), fmt)
        else:
            runs.append(((i, i, j), fmt))
    return runs


def _chart(sh, c: Chart) -> None:
    """The chart's series from its table (header row included), each then named, coloured and, for lines,
    turned into a line on its axis; both value axes scaled and formatted; the legend below."""
    t = c.table
    first, last = c.columns
    chart = sh.charts.add(
        anchor=sh.range(c.anchor),
        width=c.width_cm * POINTS_PER_CM,
        height=c.height_cm * POINTS_PER_CM,
        chart_type="column_clustered",
    )
    chart.set_source_data(sh.range((t.at[0], first), (t.last_row, last)), plot_by="columns")
    category = t.col(c.category)
    chart.set_x_axis_values(sh.range((t.at[0] + 1, category), (t.last_row, category)))
    chart.title = c.title
    _axis(chart.value_axis, c.y)
    for i, s in enumerate(c.series):
        look = {"name": s.name}
        if s.line:
            look |= {"chart_type": "line_markers" if s.markers else "line", "line_color": _colour(s.colour),
                     "axis_group": "secondary" if s.secondary else "primary"}  # fmt: skip
            if s.markers:
                look |= {"marker_style": "circle"}
        else:
            look |= {"fill_color": _colour(s.colour)}
        _series(chart, i).set(**look)
    if c.y2 is not None and any(s.secondary for s in c.series):
        _axis(chart.secondary_value_axis, c.y2)
    chart.legend.position = "bottom"


def _route_map(sh, c: RouteMap) -> None:
    """The route map as one XY scatter with lines over the x and y columns (the xlwings API adds no series
    one by one, so the routes are one series here; the openpyxl writer draws one series per route)."""
    t = c.table
    chart = sh.charts.add(anchor=sh.range(c.anchor), width=c.width_cm * POINTS_PER_CM,
                          height=c.height_cm * POINTS_PER_CM, chart_type="xy_scatter_lines")  # fmt: skip
    chart.set_source_data(sh.range((t.at[0], t.col(c.x)), (t.last_row, t.col(c.y))), plot_by="columns")
    chart.title = c.title


def _axis(axis, spec: Axis) -> None:
    axis.set(title=spec.title, number_format=spec.fmt, minimum_scale=spec.minimum, maximum_scale=spec.maximum,
             major_unit=spec.major)  # fmt: skip


def _series(chart, index: int):
    """Series ``index`` (0-based) of a chart just given its source. The remote engine (xlwings Server/Lite)
    cannot count a chart's series without a round trip to Excel, but the series exist: address it by
    position, as the engine's own collection would."""
    try:
        return chart.series[index]
    except NotImplementedError:
        from xlwings.main import ChartSeries
        from xlwings.pro import _xlremote

        return ChartSeries(impl=_xlremote.ChartSeries(chart.impl, index + 1))


def _frozen(row: int, col: int) -> str:
    """The cells above and left of (row, col), as freeze_at wants them."""
    if col == 1:
        return f"1:{row - 1}"
    if row == 1:
        return f"A:{get_column_letter(col - 1)}"
    return f"A1:{get_column_letter(col - 1)}{row - 1}"


def page_setup(sh, page: PageSetup) -> None:
    """Landscape, one page wide, header rows and key columns repeated, sheet name and page numbers, where
    the engine can (see the module docstring)."""
    if page.area is not None:
        r0, c0, r1, c1 = page.area
        sh.page_setup.print_area = sh.range((r0, c0), (r1, c1)).address
    if sh.book.app.engine.name != "excel" or sys.platform != "win32":
        return
    ps = sh.api.PageSetup  # Excel's COM object (Windows)
    ps.Orientation = 2 if page.landscape else 1  # xlLandscape, xlPortrait
    ps.Zoom = False
    ps.FitToPagesWide, ps.FitToPagesTall = page.fit_width, page.fit_height or False
    if page.title_rows:
        ps.PrintTitleRows = f"${page.title_rows[0]}:${page.title_rows[1]}"
    if page.title_cols:
        ps.PrintTitleColumns = f"${get_column_letter(page.title_cols[0])}:${get_column_letter(page.title_cols[1])}"
    ps.CenterHeader, ps.CenterFooter = page.header, page.footer


def write_sheet(book, spec: Sheet):
    """Replace (or add) one output sheet and render it."""
    sh = replace_sheet(book, spec.name)
    for t in spec.tables:
        _table(sh, t)
    for col, width in spec.column_widths().items():
        sh.range((1, col)).column_width = width
    sh.freeze_panes.freeze_at(_frozen(*spec.freeze))
    for c in spec.charts:
        _route_map(sh, c) if isinstance(c, RouteMap) else _chart(sh, c)
    page_setup(sh, spec.page)
    return sh


def write_sheets(book, sheets: list[Sheet]) -> None:
    for spec in sheets:
        write_sheet(book, spec)
