"""Replays the actions xlwings' remote engine returns (what the Office.js add-in applies in Excel) onto an
openpyxl copy of the workbook, so a macro's effect can be saved as a real .xlsx and compared cell by cell
with the headless output. Strings are read the way Excel reads typed or written text: a leading apostrophe
keeps text as text; otherwise a formula, a number, a date or a boolean is what Excel would store. An
action this replayer does not know fails the test, so nothing a macro does goes unchecked.
"""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")


def excel_reads(v):
    """The cell value Excel stores for a value written through Range.values."""
    if not isinstance(v, str):
        return v
    if v.startswith("'"):
        return v[1:]
    if v == "":
        return None
    if v.startswith("="):
        return v  # openpyxl stores it as a formula
    if NUMBER.match(v):
        return float(v)
    if ISO_DATE.match(v):
        return dt.datetime.fromisoformat(v)
    if v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return v


class Replay:
    def __init__(self, path):
        self.wb = openpyxl.load_workbook(path)
        self.alerts: list[str] = []
        self.conditional: dict[str, list[dict]] = {}
        self.charts: dict[str, list[dict]] = {}
        self.notes: dict[str, dict[str, str]] = {}
        self.validations: dict[str, list[tuple]] = {}
        self.touched: set[str] = set()  # sheets any action wrote to

    def apply(self, actions: list[dict]) -> Replay:
        for a in actions:
            getattr(self, "_" + a["func"])(a)
        return self

    def _ws(self, a):
        ws = self.wb.worksheets[a["sheet_position"]]
        self.touched.add(ws.title)
        return ws

    def _cells(self, a):
        ws = self._ws(a)
        r0, c0 = a["start_row"] + 1, a["start_column"] + 1
        return ws.iter_rows(min_row=r0, max_row=r0 + a["row_count"] - 1, min_col=c0, max_col=c0 + a["column_count"] - 1)

    def _addSheet(self, a):
        position, name = a["args"]
        self.wb.create_sheet(name, index=position)
        self.touched.add(name)

    def _sheetDelete(self, a):
        self.wb.remove(self._ws(a))

    def _setSheetName(self, a):
        self._ws(a).title = a["args"][0]
        self.touched.add(a["args"][0])

    def _setValues(self, a):
        ws = self._ws(a)
        for i, row in enumerate(a["values"]):
            for j, v in enumerate(row):
                cell = ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j, excel_reads(v))
                if isinstance(v, str) and v.startswith("'"):
                    cell.data_type = "s"  # text by Excel's prefix, whatever it looks like

    def _setNumberFormat(self, a):
        for row in self._cells(a):
            for c in row:
                c.number_format = a["args"][0]

    def _setFontProperty(self, a):
        prop, value = a["args"]
        assert prop in ("bold", "color", "size"), f"font property {prop}"
        for row in self._cells(a):
            for c in row:
                f = c.font
                bold = value if prop == "bold" else f.b
                color = value.lstrip("#") if prop == "color" else f.color
                size = value if prop == "size" else f.sz
                c.font = Font(bold=bold, color=color, size=size)

    def _alignment(self, a, **change):
        for row in self._cells(a):
            for c in row:
                al = c.alignment
                c.alignment = Alignment(**{"wrap_text": al.wrap_text, "vertical": al.vertical, **change})

    def _setWrapText(self, a):
        self._alignment(a, wrap_text=a["args"][0])

    def _setVerticalAlignment(self, a):
        self._alignment(a, vertical=a["args"][0].lower())

    def _setRangeColor(self, a):
        for row in self._cells(a):
            for c in row:
                c.fill = PatternFill("solid", fgColor=a["args"][0].lstrip("#"))

    def _setColumnWidth(self, a):
        ws = self._ws(a)
        for j in range(a["column_count"]):
            ws.column_dimensions[get_column_letter(a["start_column"] + 1 + j)].width = a["args"][0]

    def _addTable(self, a):
        address, _has_headers, table_style, name = a["args"]
        t = Table(displayName=name, ref=address.replace("$", ""))
        t.tableStyleInfo = TableStyleInfo(name=table_style, showRowStripes=True)
        self._ws(a).add_table(t)

    def _freezePaneAtRange(self, a):
        ws, frozen = self._ws(a), a["args"][0]
        if re.fullmatch(r"\d+:\d+", frozen):
            ws.freeze_panes = f"A{int(frozen.split(':')[1]) + 1}"
        else:
            _, _, max_col, max_row = range_boundaries(frozen if ":" in frozen else f"{frozen}:{frozen}")
            ws.freeze_panes = f"{get_column_letter(max_col + 1)}{max_row + 1}"

    def _addConditionalFormat(self, a):
        ws = self._ws(a)
        rng = f"{get_column_letter(a['start_column'] + 1)}{a['start_row'] + 1}"
        self.conditional.setdefault(ws.title, []).append({**a["args"][0], "first_cell": rng, "rows": a["row_count"]})

    def _addChart(self, a):
        self.charts.setdefault(self._ws(a).title, []).append({"args": a["args"], "calls": []})

    def _chart_call(self, a):
        self.charts[self._ws(a).title][-1]["calls"].append((a["func"], a["args"]))

    _setChartSourceData = _setChartXAxisValues = _setChartTitle = _setChartAxis = _setChartSeries = _chart_call
    _setChartLegend = _chart_call

    def _setPrintArea(self, a):
        self._ws(a).print_area = a["args"][0].replace("$", "")

    def _addNote(self, a):
        address, text = a["args"]
        ws = self._ws(a)
        cell = address.replace("$", "").split("!")[-1]
        self.notes.setdefault(ws.title, {})[cell] = text
        ws[cell].comment = Comment(text, "xlwings")

    def _validation(self, a, dv: DataValidation):
        """The rule as Excel stores it (a real data validation on the sheet) and as the action gave it."""
        ws = self._ws(a)
        first = f"{get_column_letter(a['start_column'] + 1)}{a['start_row'] + 1}"
        last = f"{get_column_letter(a['start_column'] + a['column_count'])}{a['start_row'] + a['row_count']}"
        dv.add(f"{first}:{last}")
        ws.add_data_validation(dv)
        self.validations.setdefault(ws.title, []).append((a["start_column"] + 1, a["args"][0]))

    def _setDataValidationRule(self, a):
        rule = a["args"][0]
        operator = re.sub(r"_(\w)", lambda m: m.group(1).upper(), rule["operator"])  # greater_than -> greaterThan
        formulas = [None if f is None else f.removeprefix("=") for f in (rule["formula1"], rule["formula2"])]
        self._validation(a, DataValidation(type=rule["type"], operator=operator, formula1=formulas[0],
                                           formula2=formulas[1], allow_blank=True))  # fmt: skip

    def _setDataValidationList(self, a):
        source = a["args"][0]
        assert source["type"] == "literal", source
        self._validation(a, DataValidation(type="list", formula1='"' + ",".join(source["values"]) + '"',
                                           allow_blank=True))  # fmt: skip

    def _alert(self, a):
        self.alerts.append(a["args"][0])

    def values(self, sheet: str) -> list[list]:
        return [list(r) for r in self.wb[sheet].iter_rows(values_only=True)]
