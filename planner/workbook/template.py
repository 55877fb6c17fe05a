"""Write the input template: every contract input sheet as an Excel Table with headers, a note on each
header (meaning and unit), data validation on enumerations and non-negative numbers, and an Instructions
sheet. With frames (the sample), the tables are filled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from planner.model.settings import SETTINGS
from planner.workbook.contract import SHEETS, Column, SheetSpec
from planner.workbook.save import atomic_save
from planner.workbook.style import HEADER_FILL, HEADER_FONT, TABLE_STYLE

VALIDATION_ROWS = 5000  # empty template rows covered by data validation


def validation_rule(col: Column) -> tuple | None:
    """The data validation an input column gets: ("list", choices), ("decimal", operator, min, max or None)
    or ("date", "greater_than", 1); None for free text. Shared by the openpyxl and xlwings templates."""
    if col.kind == "choice":
        return ("list", col.choices)
    if col.kind == "number" and col.minimum is not None:
        if col.maximum is not None:
            return ("decimal", "between", col.minimum, col.maximum)
        return ("decimal", "greater_than_or_equal", col.minimum, None)
    if col.kind == "date":
        return ("date", "greater_than", 1, None)
    return None


OPENPYXL_OPERATORS = {
    "between": "between",
    "greater_than_or_equal": "greaterThanOrEqual",
    "greater_than": "greaterThan",
}


def _validation(col: Column, ref: str) -> DataValidation | None:
    rule = validation_rule(col)
    if rule is None:
        return None
    if rule[0] == "list":
        dv = DataValidation(type="list", formula1='"' + ",".join(rule[1]) + '"', allow_blank=True)
    else:
        kind, op, low, high = rule
        dv = DataValidation(type=kind, operator=OPENPYXL_OPERATORS[op], formula1=str(low), allow_blank=True,
                            formula2=str(high) if high is not None else None)  # fmt: skip
    dv.error = f"{col.name}: {col.meaning}" + (f" ({col.unit})" if col.unit else "")
    dv.errorTitle = "planner"
    dv.showErrorMessage = True
    dv.add(ref)
    return dv


def _cell(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().date()
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_template(path: Path, frames: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the template (or, with frames, the filled sample) atomically to path."""
    frames = frames or {}
    wb = Workbook()
    ins = wb.active
    ins.title = "Instructions"
    _instructions(ins)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for spec in SHEETS.values():
        ws = wb.create_sheet(spec.name)
        df = frames.get(spec.name)
        names = [c.name for c in spec.columns]
        ws.append(names)
        if df is not None:
            for row in df.reindex(columns=names).itertuples(index=False):
                ws.append([_cell(v) for v in row])
        last = max(ws.max_row, 2)
        for j, col in enumerate(spec.columns, 1):
            letter = get_column_letter(j)
            head = ws.cell(1, j)
            head.font = Font(bold=True, color=HEADER_FONT)
            head.fill = header_fill
            head.comment = Comment(header_note(col), "planner", width=260, height=90)
            ws.column_dimensions[letter].width = header_width(col)
            if col.kind == "date":
                for (c,) in ws.iter_rows(min_row=2, max_row=last, min_col=j, max_col=j):
                    c.number_format = "yyyy-mm-dd"
            dv = _validation(col, f"{letter}2:{letter}{max(last, VALIDATION_ROWS)}")
            if dv is not None:
                ws.add_data_validation(dv)
        ref = f"A1:{get_column_letter(len(names))}{last}"
        table = Table(displayName=table_name(spec), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        ws.add_table(table)
        ws.freeze_panes = "A2"
    return atomic_save(path, wb.save)


def header_width(col: Column) -> int:
    """Width of an input column: its name plus room for the filter button, at least 12."""
    return max(12, len(col.name) + 4)


def table_name(spec: SheetSpec) -> str:
    """The Excel Table name of an input sheet (no spaces allowed)."""
    return spec.name.replace(" ", "")


def header_note(col: Column) -> str:
    """The note on an input column's header: meaning, unit, required or not."""
    text = f"{col.meaning}" + (f"\nUnit: {col.unit}" if col.unit else "")
    return text + ("\nRequired." if col.required else "\nOptional: blank uses the default.")


SETTINGS_HEADING = ("Settings (name)", "Meaning [default]")


def instruction_lines() -> list[tuple[str, str]]:
    """The Instructions sheet, as (topic, text) rows, the Settings listed under SETTINGS_HEADING."""
    lines = [
        ("planner: how to use this workbook", ""),
        ("", ""),
        ("1. Fill the input sheets", "Items, Stock and Demand are required; the others are optional. "
         "Keep one row per key; hover a header for its meaning and unit."),
        ("2. Plan", "Command line: planner run THIS.xlsx (writes THIS.planned.xlsx). In Excel: Planner ribbon."),
        ("3. Read the results", "Reorder Plan, Purchase Orders, Forecast, KPIs, Issues and Run Info are written "
         "by the planner and replaced on every run; input sheets are never changed."),
        ("4. The network", "With Offers: Supplier Scorecard and Supplier Allocation (Purchase Orders follow it). "
         "With Requirements and Lanes: Distribution Plan and Shipments. Then Carbon: the plan against the "
         "cost-only plan and a few carbon prices."),
        ("Units", "Quantities in stocking units, money in the Settings currency, times in days, volume in m³, "
         "weight in kg, emissions in kg CO2e."),
        ("Demand", "History in long format: one row per sku, site and date; a missing date means zero demand."),
        ("", ""),
        SETTINGS_HEADING,
    ]  # fmt: skip
    for s in SETTINGS.values():
        default = "today" if s.name == "planning_date" else s.default
        if s.name == "season_length":
            default = "52 weeks / 12 months / 7 days"
        choices = f" ({', '.join(s.choices)})" if s.choices else ""
        lines.append((s.name, f"{s.meaning}{choices} [{default}]"))
    return lines


def _instructions(ws) -> None:
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    lines = instruction_lines()
    for i, (a, b) in enumerate(lines, 1):
        ws.cell(i, 1, a)
        ws.cell(i, 2, b).alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    heading = lines.index(SETTINGS_HEADING) + 1
    ws.cell(heading, 1).font = ws.cell(heading, 2).font = Font(bold=True)
