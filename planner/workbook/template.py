"""The input template, described once as data (``TEMPLATE``): an Instructions sheet, then every contract
input sheet as an Excel Table with its headers, a note on each header (meaning and unit), data validation on
choices and bounded numbers, widths, date formats and a frozen header row. Two writers draw it:
``write_template`` here (openpyxl: a new file; with frames, the filled sample) and the ribbon's
``new_template`` (planner.channels.excel.macros, xlwings: the sheets an open workbook lacks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from planner.model.settings import SETTINGS, season_length
from planner.workbook.contract import SHEETS, Column, SheetSpec
from planner.workbook.save import atomic_save
from planner.workbook.style import HEADER_FILL, HEADER_FONT, TABLE_STYLE

VALIDATION_ROWS = 5000  # empty template rows covered by data validation
DATE_FORMAT = "yyyy-mm-dd"
SETTINGS_HEADING = ("Settings (name)", "Meaning [default]")


@dataclass(frozen=True)
class Rule:
    """The data validation of an input column: a list of its choices, or a decimal or date bound."""

    kind: str  # list | decimal | date
    operator: str | None  # between | greater_than_or_equal | greater_than (None for a list)
    values: tuple  # the list's choices, or the bounds (formula1, and formula2 for between)
    message: str  # the alert shown on a value outside the rule


@dataclass(frozen=True)
class TemplateColumn:
    name: str
    note: str  # on the header cell: meaning, unit, required or not
    width: int  # characters
    number_format: str | None  # DATE_FORMAT on date columns
    rule: Rule | None


@dataclass(frozen=True)
class TemplateSheet:
    name: str
    table: str  # the Excel Table's name
    columns: tuple[TemplateColumn, ...]


@dataclass(frozen=True)
class Instructions:
    lines: tuple[tuple[str, str], ...]  # (topic, text) rows from A1; A1 is the title
    heading_row: int  # 1-based row of SETTINGS_HEADING, in bold
    name: str = "Instructions"
    widths: tuple[int, int] = (28, 100)  # columns A and B, characters
    title_size: int = 14  # A1, bold


@dataclass(frozen=True)
class Template:
    instructions: Instructions
    sheets: tuple[TemplateSheet, ...]
    header_fill: str = HEADER_FILL
    header_font: str = HEADER_FONT
    table_style: str = TABLE_STYLE
    validation_rows: int = VALIDATION_ROWS  # rows 2 to this one are validated (more where the data is longer)
    frozen_rows: int = 1  # the header row stays in view


def validation_rule(col: Column) -> Rule | None:
    """The data validation an input column gets: its choices as a list, a decimal between its bounds or at
    least its minimum, a date after 1900-01-01; None for free text."""
    message = f"{col.name}: {col.meaning}" + (f" ({col.unit})" if col.unit else "")
    if col.kind == "choice":
        return Rule("list", None, col.choices, message)
    if col.kind == "number" and col.minimum is not None:
        if col.maximum is not None:
            return Rule("decimal", "between", (col.minimum, col.maximum), message)
        return Rule("decimal", "greater_than_or_equal", (col.minimum,), message)
    if col.kind == "date":
        return Rule("date", "greater_than", (1,), message)
    return None


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


def instruction_lines() -> list[tuple[str, str]]:
    """The Instructions sheet, as (topic, text) rows, the Settings listed under SETTINGS_HEADING."""
    lines = [
        ("planner: how to use this workbook", ""),
        ("", ""),
        ("1. Fill the input sheets", "Items, Stock and Demand are required; the others are optional. "
         "Keep one row per key; hover a header for its meaning and unit."),
        ("2. Plan", "Command line: planner run THIS.xlsx (writes THIS.planned.xlsx). In Excel: Planner ribbon."),
        ("3. Read the results", "Reorder Plan, Purchase Orders, Projected Inventory, Forecast, KPIs, Issues and "
         "Run Info are written by the planner and replaced on every run; input sheets are never changed."),
        ("Echelons and time", "Sites source: the site that replenishes a site (blank: bought from suppliers). "
         "Projected Inventory nets every SKU-site period by period, from the stores up, with Open Orders and "
         "restockable Returns as receipts."),
        ("4. The network", "With Offers: Supplier Scorecard and Supplier Allocation (Purchase Orders follow it). "
         "With Requirements and Lanes: Distribution Plan and Shipments. Then Carbon: the plan against the "
         "cost-only plan and a few carbon prices."),
        ("Units", "Quantities in stocking units, money in the Settings currency, times in days, volume in m³, "
         "weight in kg, emissions in kg CO2e."),
        ("Demand", "History in long format: one row per sku, site and date; a missing date means zero demand."),
        ("", ""),
        SETTINGS_HEADING,
    ]  # fmt: skip
    computed = {
        "planning_date": "today",
        "season_length": " / ".join(f"{season_length(p)} {p}s" for p in ("week", "month", "day")),
    }
    for s in SETTINGS.values():
        choices = f" ({', '.join(s.choices)})" if s.choices else ""
        lines.append((s.name, f"{s.meaning}{choices} [{computed.get(s.name, s.default)}]"))
    return lines


def describe() -> Template:
    """The template drawn from the contract: the one description both writers draw."""
    lines = tuple(instruction_lines())
    sheets = tuple(
        TemplateSheet(
            spec.name,
            table_name(spec),
            tuple(
                TemplateColumn(
                    col.name,
                    header_note(col),
                    header_width(col),
                    DATE_FORMAT if col.kind == "date" else ("hh:mm" if col.kind == "time" else None),
                    validation_rule(col),
                )  # fmt: skip
                for col in spec.columns
            ),
        )
        for spec in SHEETS.values()
    )
    return Template(Instructions(lines, lines.index(SETTINGS_HEADING) + 1), sheets)


TEMPLATE = describe()


# ---------------------------------------------------------------------------------------------------------
# the openpyxl writer: a new file

OPENPYXL_OPERATORS = {
    "between": "between",
    "greater_than_or_equal": "greaterThanOrEqual",
    "greater_than": "greaterThan",
}
NOTE_SIZE = (260, 90)  # width and height of a header note, points (openpyxl only: Excel sizes notes itself)


def _validation(rule: Rule, ref: str) -> DataValidation:
    if rule.kind == "list":
        dv = DataValidation(type="list", formula1='"' + ",".join(rule.values) + '"', allow_blank=True)
    else:
        low, high = (rule.values + (None,))[:2]
        dv = DataValidation(type=rule.kind, operator=OPENPYXL_OPERATORS[rule.operator], formula1=str(low),
                            formula2=None if high is None else str(high), allow_blank=True)  # fmt: skip
    dv.error, dv.errorTitle, dv.showErrorMessage = rule.message, "planner", True
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


def _draw_instructions(ws, ins: Instructions) -> None:
    ws.title = ins.name
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = ins.widths
    for i, (a, b) in enumerate(ins.lines, 1):
        ws.cell(i, 1, a)
        ws.cell(i, 2, b).alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=ins.title_size)
    ws.cell(ins.heading_row, 1).font = ws.cell(ins.heading_row, 2).font = Font(bold=True)


def _draw_sheet(ws, sheet: TemplateSheet, t: Template, df: pd.DataFrame | None) -> None:
    """One input sheet; ``df`` fills the table (the sample) or None leaves one empty row."""
    names = [c.name for c in sheet.columns]
    ws.append(names)
    if df is not None:
        for row in df.reindex(columns=names).itertuples(index=False):
            ws.append([_cell(v) for v in row])
    last = max(ws.max_row, 2)
    for j, col in enumerate(sheet.columns, 1):
        letter = get_column_letter(j)
        head = ws.cell(1, j)
        head.font = Font(bold=True, color=t.header_font)
        head.fill = PatternFill("solid", fgColor=t.header_fill)
        head.comment = Comment(col.note, "planner", width=NOTE_SIZE[0], height=NOTE_SIZE[1])
        ws.column_dimensions[letter].width = col.width
        if col.number_format:
            for (c,) in ws.iter_rows(min_row=2, max_row=last, min_col=j, max_col=j):
                c.number_format = col.number_format
        if col.rule is not None:
            ws.add_data_validation(_validation(col.rule, f"{letter}2:{letter}{max(last, t.validation_rows)}"))
    table = Table(displayName=sheet.table, ref=f"A1:{get_column_letter(len(names))}{last}")
    table.tableStyleInfo = TableStyleInfo(name=t.table_style, showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = f"A{t.frozen_rows + 1}"


def write_template(path: Path, frames: dict[str, pd.DataFrame] | None = None, t: Template = TEMPLATE) -> Path:
    """Write the template (or, with frames, the filled sample) atomically to path."""
    frames = frames or {}
    wb = Workbook()
    _draw_instructions(wb.active, t.instructions)
    for sheet in t.sheets:
        _draw_sheet(wb.create_sheet(sheet.name), sheet, t, frames.get(sheet.name))
    return atomic_save(path, wb.save)
