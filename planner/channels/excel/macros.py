"""The Planner ribbon's macros. Each plans the open workbook in place: it reads the input sheets through
xlwings, validates them exactly like the command line, calls the core, and writes the output sheets with
the same layout as the headless writer. Input sheets are never changed; output sheets are replaced.

- Desktop Excel (Windows, macOS): the ribbon's VBA callbacks call ``RunPython "...; m.plan_reorders()"``;
  without an argument, a macro plans the workbook that called it (``xw.Book.caller()``).
- xlwings Server / xlwings Lite: the same functions are registered scripts; xlwings passes the book.
"""

from __future__ import annotations

import functools

import xlwings as xw

from planner.model.errors import PlannerError
from planner.model.inputs import Inputs
from planner.model.issues import IssueLog
from planner.model.results import PlanResult
from planner.pipeline.network import summary
from planner.pipeline.plan import plan
from planner.workbook.contract import NETWORK_SHEETS, ROUNDS_SHEETS, key
from planner.workbook.layout import issues_sheet, output_sheets, sheet_names
from planner.workbook.read_xlwings import read_book
from planner.workbook.template import TEMPLATE, Instructions, Rule, Template, TemplateSheet
from planner.workbook.validate import validate_inputs
from planner.workbook.write_xlwings import excel_text, write_sheet, write_sheets

TITLE = "Planner"
REORDER_SHEETS = ("Reorder Plan", "Purchase Orders", "Projected Inventory", "Forecast", "Issues", "Run Info")
KPI_SHEETS = ("KPIs", "Issues", "Run Info")
# plan_network: these follow the network (the Reorder Plan takes the allocated supplier, the grid its orders)
NETWORK_ALSO = ("Reorder Plan", "Purchase Orders", "Projected Inventory", "KPIs", "Issues", "Run Info")
NO_NETWORK = "No network inputs: add Offers, or Requirements with Lanes, to optimise the network."
ROUNDS_ALSO = ("KPIs", "Issues", "Run Info")  # plan_rounds: these follow the rounds
NO_ROUNDS = (
    "No rounds: add Vehicles rows at the stores' source depots, site positions, and Stock rows at the stores "
    "(planned transfers) or Requirements."
)


def _book(book: xw.Book | None) -> xw.Book:
    return book if book is not None else xw.Book.caller()


def _status(book: xw.Book, text: str | bool) -> None:
    """Progress in Excel's status bar (desktop; False hands it back to Excel). The Office.js add-ins have
    no status bar: there the closing message is the report."""
    try:
        book.app.status_bar = text
    except NotImplementedError:
        pass


def _tell(book: xw.Book, text: str) -> None:
    book.app.alert(text, title=TITLE)


def _load(book: xw.Book) -> Inputs | None:
    """Validated inputs, or None after telling the user what is structurally wrong (nothing is written)."""
    _status(book, f"Planner: reading {book.name}")
    try:
        return validate_inputs(read_book(book))
    except PlannerError as exc:
        _tell(book, f"Nothing was changed. {exc}")
        return None


def _counts(log: IssueLog) -> str:
    """Errors and warnings as the Run Info sheet counts them: every row logged (IssueLog.count), also those
    the Issues sheet folds into '... and N more rows like this'."""
    errors, warnings = log.count("error"), log.count("warning")
    return f"{errors} errors, {warnings} warnings" + (" (see the Issues sheet)" if errors or warnings else "")


WRITING = "while writing the output sheets"


def _guarded(macro):
    """Every failure of a macro ends in one message box, never a Python exception in Excel: a structural
    problem as it is, anything unexpected named plainly. Input sheets are never written; when the failure
    came while writing output sheets, the message says they may be part-written."""

    @functools.wraps(macro)
    def run(book: xw.Book | None = None) -> None:
        book = _book(book)
        try:
            macro(book)
        except Exception as exc:  # noqa: BLE001 - the user sees it in a message box instead of a traceback
            _status(book, False)
            _tell(book, _failure(exc))

    return run


def _failure(exc: Exception) -> str:
    writing = WRITING in getattr(exc, "__notes__", ())
    what = str(exc) if isinstance(exc, PlannerError) else f"planner failed unexpectedly ({type(exc).__name__}: {exc})"
    if writing:
        return f"{what}. The input sheets are unchanged; output sheets may be part-written: run it again."
    return f"Nothing was changed. {what}"


def _plan_and_write(book: xw.Book, pick, network: bool = False) -> PlanResult | None:
    """Plan the book and write the sheets ``pick(result)`` names (a tuple of sheet names); ``network``: the
    closing message always reports the network (else only when network sheets were written)."""
    inputs = _load(book)
    if inputs is None:
        return None
    _status(book, "Planner: forecasting, planning and optimising")
    result = plan(inputs, source=book.name)
    sheets = pick(result)
    _status(book, "Planner: writing " + ", ".join(sheets))
    try:
        write_sheets(book, output_sheets(result, sheets))
    except Exception as exc:
        exc.add_note(WRITING)  # the guard tells the user the output sheets may be part-written
        raise
    _status(book, False)
    orders = int((result.reorder["suggested_order"] > 0).sum())
    text = f"Planned {len(result.reorder)} SKU-sites: {orders} orders to place; {_counts(inputs.issues)}."
    if network or any(s in NETWORK_SHEETS for s in sheets):
        text += " " + (summary(result.network) or NO_NETWORK)
    _tell(book, text)
    return result


@xw.script
@_guarded
def validate(book: xw.Book | None = None) -> None:
    """Check the input sheets and write what is wrong to the Issues sheet (nothing else is written)."""
    book = _book(book)
    inputs = _load(book)
    if inputs is None:
        return
    write_sheet(book, issues_sheet(inputs.issues.frame(), inputs.settings.currency))
    _status(book, False)
    _tell(book, f"Checked {book.name}: {_counts(inputs.issues)}.")


@xw.script
@_guarded
def plan_reorders(book: xw.Book | None = None) -> None:
    """Forecast demand and plan reorders: Reorder Plan, Purchase Orders, Forecast, Issues, Run Info."""
    _plan_and_write(_book(book), lambda _: REORDER_SHEETS)


@xw.script
@_guarded
def refresh_kpis(book: xw.Book | None = None) -> None:
    """Recompute the KPI dashboard from the current input sheets: KPIs (with charts), Issues, Run Info."""
    _plan_and_write(_book(book), lambda _: KPI_SHEETS)


@xw.script
@_guarded
def run_all(book: xw.Book | None = None) -> None:
    """Plan everything and write every output sheet."""
    book = _book(book)
    names = [s.name for s in book.sheets]  # so that stale network sheets are replaced too
    _plan_and_write(book, lambda r: sheet_names(r, names))


@xw.script
@_guarded
def plan_network(book: xw.Book | None = None) -> None:
    """Score and allocate suppliers, plan distribution, compare carbon prices: Supplier Scorecard, Supplier
    Allocation, Distribution Plan, Shipments, Carbon, and the Purchase Orders, KPIs, Issues and Run Info
    that follow from them."""
    book = _book(book)
    names = [s.name for s in book.sheets]
    _plan_and_write(
        book, lambda r: tuple(s for s in sheet_names(r, names) if s in NETWORK_SHEETS) + NETWORK_ALSO, network=True
    )


@xw.script
@_guarded
def plan_rounds(book: xw.Book | None = None) -> None:
    """Plan the delivery rounds from each depot on each delivery day: Routes (with the route map) and Route
    Summary, and the KPIs, Issues and Run Info that follow from them."""
    book = _book(book)
    names = [s.name for s in book.sheets]
    result = _plan_and_write(
        book, lambda r: tuple(s for s in sheet_names(r, names) if s in ROUNDS_SHEETS) + ROUNDS_ALSO
    )
    if result is not None and result.rounds is None:
        _tell(book, NO_ROUNDS)


@xw.script
@_guarded
def new_template(book: xw.Book | None = None) -> None:
    """Add the input sheets this workbook lacks (and Instructions) as empty Excel Tables with a note on
    each header and data validation; sheets that exist are left as they are."""
    book = _book(book)
    have = {key(s.name) for s in book.sheets}
    t = TEMPLATE
    added = []
    if key(t.instructions.name) not in have:
        _draw_instructions(_add_sheet(book, t.instructions.name), t.instructions)
        added.append(t.instructions.name)
    for sheet in t.sheets:
        if key(sheet.name) not in have:
            _draw_sheet(_add_sheet(book, sheet.name), sheet, t)
            added.append(sheet.name)
    _tell(book, "Added " + ", ".join(added) + "." if added else "Every input sheet is already there.")


# ---------------------------------------------------------------------------------------------------------
# the template (planner.workbook.template.TEMPLATE) drawn through xlwings; the openpyxl writer draws the same


def _add_sheet(book: xw.Book, name: str):
    return book.sheets.add(name=name, after=book.sheets[len(book.sheets) - 1])


def _draw_instructions(sh, ins: Instructions) -> None:
    n = len(ins.lines)
    sh.range("A1").value = [[excel_text(a), excel_text(b)] for a, b in ins.lines]
    sh.range("A1").column_width, sh.range("B1").column_width = ins.widths
    text = sh.range((1, 2), (n, 2))
    text.wrap_text = True
    text.vertical_alignment = "top"
    sh.range("A1").font.bold = True
    sh.range("A1").font.size = ins.title_size
    sh.range((ins.heading_row, 1), (ins.heading_row, 2)).font.bold = True


def _draw_sheet(sh, sheet: TemplateSheet, t: Template) -> None:
    """One input sheet as an empty Excel Table (header and one blank row)."""
    n = len(sheet.columns)
    sh.range("A1").value = [[c.name for c in sheet.columns]]
    header = sh.range((1, 1), (1, n))
    header.color = "#" + t.header_fill
    header.font.color = "#" + t.header_font
    header.font.bold = True
    for j, col in enumerate(sheet.columns, 1):
        sh.range((1, j)).add_note(col.note)
        sh.range((1, j)).column_width = col.width
        if col.number_format:
            sh.range((2, j)).number_format = col.number_format
        if col.rule is not None:
            _validate(sh.range((2, j), (t.validation_rows, j)), col.rule)
    sh.tables.add(source=sh.range((1, 1), (2, n)), name=sheet.table, table_style_name=t.table_style)
    sh.freeze_panes.freeze_at(f"1:{t.frozen_rows}")


def _validate(cells, rule: Rule) -> None:
    """The rule on the cells (xlwings sets no alert text: Excel shows its own on a value outside the rule)."""
    if rule.kind == "list":
        cells.data_validation.set_list(list(rule.values))
    elif rule.kind == "date":
        cells.data_validation.set_date(rule.operator, *rule.values)
    else:
        cells.data_validation.set_decimal(rule.operator, *rule.values)
