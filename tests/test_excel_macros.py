"""The ribbon macros through xlwings' remote engine (the xlwings Server/Lite route): each macro is called with
custom_scripts_call on a real xw.Book(json=...) built from a real workbook's cells; the actions it returns
are replayed onto a copy of that workbook (excel_replay.py) and compared with the command line's output."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import subprocess
import sys

import openpyxl
import pytest
import xlwings as xw
from conftest import CHECK_OUTPUT, ROOT, minimal_sheets, write_blocks
from excel_replay import Replay
from openpyxl.utils import get_column_letter, range_boundaries
from xlwings.server import custom_scripts_call, custom_scripts_meta

from planner.channels.api import load, plan_workbook
from planner.channels.excel import macros
from planner.channels.excel.remote import book_json
from planner.workbook.contract import NETWORK_SHEETS, OUTPUT_SHEETS, ROUNDS_SHEETS, SHEETS
from planner.workbook.template import header_note

INPUTS = {spec.name for spec in SHEETS.values()} | {"Instructions"}


def run_macro(name: str, path) -> tuple[Replay, list[dict]]:
    book = xw.Book(json=book_json(path))
    result = asyncio.run(custom_scripts_call(macros, name, typehint_to_value={xw.Book: book}))
    actions = result.json()["actions"]
    return Replay(path).apply(actions), actions


def chart_spec(chart: dict) -> dict:
    """A replayed chart's title, source, series settings (by index), axes and legend position."""
    spec: dict = {"series": {}, "axes": {}, "legend": None}
    for func, args in chart["calls"]:
        if func == "setChartTitle":
            spec["title"] = args[1]
        elif func == "setChartSourceData":
            spec["source"] = args[2]
        elif func == "setChartSeries":
            spec["series"].setdefault(args[1], {}).update(args[2])
        elif func == "setChartAxis":
            spec["axes"].setdefault(args[1], {}).update(args[2])
        elif func == "setChartLegend" and args[1] == "position":
            spec["legend"] = args[2]
    spec["series"] = [spec["series"][i] for i in sorted(spec["series"])]
    spec.setdefault("source", chart["args"][3])
    return spec


def same_cell(a, b) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b
    return a == b


def rows_of(ws) -> list[list]:
    """Cell values by row, without trailing blank rows (a blank row written or not is the same sheet)."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


RUN_SPECIFIC = ("run at", "input file", "supplier allocation exact solve s")  # Run Info rows that differ by run


def assert_same_sheet(got, want, skip_rows=()):
    got_rows, want_rows = rows_of(got), rows_of(want)
    assert len(got_rows) == len(want_rows), got.title
    for i, (g, w) in enumerate(zip(got_rows, want_rows, strict=True)):
        if w and w[0] in skip_rows:
            continue
        assert all(same_cell(a, b) for a, b in zip(g, w, strict=True)), (got.title, i + 1, g, w)
    for j in range(1, want.max_column + 1):  # number formats of the first data row, column by column
        if want.cell(2, j).value is not None:
            assert got.cell(2, j).number_format == want.cell(2, j).number_format, (got.title, j)


@pytest.fixture(scope="module")
def headless(small_planned):
    return small_planned[0]


def test_the_seven_macros_register_as_scripts():
    names = {s["function_name"] for s in custom_scripts_meta(macros)}
    assert names == {"validate", "plan_reorders", "plan_network", "plan_rounds", "refresh_kpis", "run_all",
                     "new_template"}  # fmt: skip


@pytest.mark.slow
def test_run_all_writes_what_the_command_line_writes(small_sample, headless, tmp_path):
    replay, _ = run_macro("run_all", small_sample)
    saved = tmp_path / "excel.xlsx"
    replay.wb.save(saved)
    proc = subprocess.run([sys.executable, str(CHECK_OUTPUT), str(saved)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout

    want = openpyxl.load_workbook(headless)
    assert replay.wb.sheetnames == want.sheetnames
    assert set(NETWORK_SHEETS) <= set(want.sheetnames)  # the sample has every network input
    for name in OUTPUT_SHEETS + NETWORK_SHEETS:
        assert_same_sheet(replay.wb[name], want[name], skip_rows=RUN_SPECIFIC)
        assert replay.wb[name].tables.keys() == want[name].tables.keys()
        assert replay.wb[name].freeze_panes == want[name].freeze_panes
    # input sheets: not one action touched them, and they read as before
    assert replay.touched.isdisjoint(INPUTS)
    original = openpyxl.load_workbook(small_sample)
    for name in INPUTS & set(original.sheetnames):
        assert replay.values(name) == [list(r) for r in original[name].iter_rows(values_only=True)]


@pytest.mark.slow
def test_status_lights_charts_and_report(small_sample, small_planned):
    replay, _ = run_macro("run_all", small_sample)
    lights = {r["formula1"]: r["fill_color"] for r in replay.conditional["Reorder Plan"]}
    assert lights == {'="ORDER NOW"': "#f8cbad", '="CHECK"': "#ffeb9c", '="EXCESS"': "#bdd7ee",
                      '="NO DEMAND"': "#ededed", '="OK"': "#c6efce"}  # fmt: skip
    ws = replay.wb["Reorder Plan"]
    status = get_column_letter([c.value for c in ws[1]].index("status") + 1)
    ranges = {(r["first_cell"], r["rows"]) for r in replay.conditional["Reorder Plan"]}
    assert ranges == {(f"{status}2", ws.max_row - 1)}
    charts = [chart_spec(c) for c in replay.charts["KPIs"]]
    assert [c["title"] for c in charts] == ["ABC Pareto", "Warehouse occupancy"]
    pareto, occupancy = charts
    assert pareto["series"] == [
        {"name": "annual value", "fill_color": "#4472c4"},
        {"name": "cumulative share", "chart_type": "LineMarkers", "axis_group": "Secondary", "line_color": "#ed7d31",
         "marker_style": "Circle"},
        {"name": "A cut-off (80 %)", "chart_type": "Line", "axis_group": "Secondary", "line_color": "#c00000"},
    ]  # fmt: skip
    share = {"title": "cumulative share", "number_format": "0%", "minimum_scale": 0.0, "maximum_scale": 1.0,
             "major_unit": 0.2}  # fmt: skip
    assert pareto["axes"]["secondary_value"] == share
    money = pareto["axes"]["value"]
    assert money["minimum_scale"] == 0.0 and "EUR" in money["number_format"] and "." not in money["number_format"]
    assert [s.get("axis_group", "Primary") for s in occupancy["series"]] == ["Primary"] * 3  # one percent scale
    assert occupancy["series"][2]["name"] == "capacity (100 %)" and occupancy["series"][2]["chart_type"] == "Line"
    assert occupancy["axes"]["value"]["number_format"] == "0%" and occupancy["axes"]["value"]["minimum_scale"] == 0
    assert pareto["legend"] == occupancy["legend"] == "Bottom"
    # the line's 100 % values are cells of the occupancy table, inside the chart's source
    ws = replay.wb["KPIs"]
    _, top, right, bottom = range_boundaries(occupancy["source"].replace("$", ""))
    assert [ws.cell(r, right).value for r in range(top + 1, bottom + 1)] == [1.0] * (bottom - top)
    result = small_planned[1]
    orders = int((result.reorder["suggested_order"] > 0).sum())
    warnings = int((result.issues["severity"] == "warning").sum())  # the sample's unmet requirements
    t = result.network.distribution.totals
    assert len(replay.alerts) == 1 and replay.alerts[0].startswith(
        f"Planned {len(result.reorder)} SKU-sites: {orders} orders to place; 0 errors, {warnings} warnings "
        "(see the Issues sheet). Allocation: "
    )
    assert f"Distribution: {t['units_shipped']:,.0f} of {t['units_required']:,.0f} units delivered" in replay.alerts[0]


@pytest.mark.slow
def test_rerun_replaces_output_sheets_where_they_stand(headless, tmp_path):
    want = openpyxl.load_workbook(headless)
    replay, actions = run_macro("plan_reorders", headless)
    assert replay.wb.sheetnames == want.sheetnames  # same order: each replaced in its place
    assert replay.touched == set(macros.REORDER_SHEETS) | {f"~{n}" for n in macros.REORDER_SHEETS}
    for name in macros.REORDER_SHEETS:
        assert_same_sheet(replay.wb[name], want[name], skip_rows=RUN_SPECIFIC)
    assert replay.values("KPIs") == [list(r) for r in want["KPIs"].iter_rows(values_only=True)]


@pytest.mark.slow
def test_refresh_kpis_writes_only_the_dashboard(small_sample, headless):
    replay, _ = run_macro("refresh_kpis", small_sample)
    assert replay.touched == set(macros.KPI_SHEETS)
    assert_same_sheet(replay.wb["KPIs"], openpyxl.load_workbook(headless)["KPIs"])


@pytest.mark.slow
def test_validate_writes_the_issues_the_command_line_finds(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] = sheets["Items"] + [["C", "ten", 50, 0.2], ["D", -3.0, 50, 0.2]]
    sheets["Stock"] = sheets["Stock"] + [["Z", "S1", 5, 0, 0], ["B", "S1", 1, 0, 0]]
    path = write_blocks(tmp_path / "bad.xlsx", sheets)
    expected = load(path).issues.frame()
    assert (expected["severity"] == "error").sum() >= 4
    replay, _ = run_macro("validate", path)
    assert replay.touched == {"Issues"}
    rows = replay.values("Issues")
    assert rows[0] == list(expected.columns)
    want = [[None if v != v else v for v in r] for r in expected.itertuples(index=False)]  # NaN -> blank
    got = [[float(v) if isinstance(v, int) else v for v in r] for r in rows[1:]]
    assert got == [[float(v) if isinstance(v, int) else v for v in r] for r in want]
    n_errors = int((expected["severity"] == "error").sum())
    assert replay.alerts[0].startswith(f"Checked bad.xlsx: {n_errors} errors")


@pytest.mark.slow
def test_the_alert_counts_every_issue_as_run_info_does(tmp_path):
    """1,500 bad on_order cells: the Issues sheet lists 1,000 and one '... and 500 more' row; the closing
    message counts all 1,500, as Run Info does (it used to count the sheet's rows: 1,001)."""
    sheets = minimal_sheets()
    sheets["Stock"] = sheets["Stock"][:1] + [["A", f"S{i}", 5, "x", 0] for i in range(1500)]
    path = write_blocks(tmp_path / "many.xlsx", sheets)
    log = load(path).issues
    assert log.count("warning") == 1500 and len(log.frame()) < 1500
    replay, _ = run_macro("validate", path)
    assert replay.alerts == ["Checked many.xlsx: 0 errors, 1500 warnings (see the Issues sheet)."]
    assert len(replay.values("Issues")) - 1 == len(log.frame())
    replay, _ = run_macro("plan_reorders", path)
    run_info = dict(replay.values("Run Info"))
    assert "1500 warnings" in replay.alerts[0] and run_info["issues: warnings"] == 1500


@pytest.mark.slow
def test_structural_problem_is_one_message_and_nothing_written(tmp_path):
    sheets = minimal_sheets()
    del sheets["Stock"]
    path = write_blocks(tmp_path / "nostock.xlsx", sheets)
    for macro in ("validate", "plan_reorders", "run_all"):
        replay, actions = run_macro(macro, path)
        assert [a["func"] for a in actions] == ["alert"]
        assert "Nothing was changed" in replay.alerts[0] and "Stock" in replay.alerts[0]


@pytest.mark.slow
def test_text_stays_text_never_a_formula_or_number(tmp_path):
    sheets = minimal_sheets()
    for name, col in (("Items", 0), ("Stock", 0), ("Demand", 0)):
        sheets[name] = [sheets[name][0]] + [
            [{"A": "=1+2", "B": "007"}.get(r[col], r[col])] + r[1:] for r in sheets[name][1:]
        ]
    path = write_blocks(tmp_path / "codes.xlsx", sheets)
    replay, _ = run_macro("run_all", path)
    ws = replay.wb["Reorder Plan"]
    skus = {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)}
    assert skus == {"=1+2", "007"}
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, ws.max_row + 1))  # text, not a formula


@pytest.mark.slow
def test_new_template_adds_the_missing_input_sheets(tmp_path):
    path = tmp_path / "notes.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "My notes"
    wb.active["A1"] = "keep me"
    wb.save(path)
    replay, _ = run_macro("new_template", path)
    assert replay.wb.sheetnames == ["My notes", "Instructions", *[s.name for s in SHEETS.values()]]
    assert replay.values("My notes") == [["keep me"]] and "My notes" not in replay.touched
    for spec in SHEETS.values():
        ws = replay.wb[spec.name]
        assert [c.value for c in ws[1]] == [c.name for c in spec.columns]
        assert replay.notes[spec.name]["A1"] == header_note(spec.columns[0])
        assert ws.tables and ws.freeze_panes == "A2"
    lists = {col: rule["values"] for col, rule in replay.validations["Items"] if rule.get("type") == "literal"}
    assert lists == {7: ["cycle", "fill"], 8: ["sQ", "RS"]}
    saved = tmp_path / "template.xlsx"
    replay.wb.save(saved)
    assert set(load(saved).tables) >= {"Items", "Stock", "Demand"}  # structurally a planner workbook


BUNDLED_SAMPLE = ROOT / "workbook" / "sample.xlsx"


@pytest.fixture(scope="module")
def bundled_headless(tmp_path_factory):
    """The bundled sample planned once headless (the engine behind the command line) for the macro tests that
    compare with it: the plan result and the planned workbook, only read by those tests."""
    out = tmp_path_factory.mktemp("bundled") / "sample.planned.xlsx"
    result = plan_workbook(BUNDLED_SAMPLE, output=out)
    return result, openpyxl.load_workbook(out)


@pytest.mark.slow
def test_plan_reorders_on_the_bundled_sample_equals_the_command_line(bundled_headless):
    _, want = bundled_headless
    replay, _ = run_macro("plan_reorders", BUNDLED_SAMPLE)
    for name in macros.REORDER_SHEETS:
        assert_same_sheet(replay.wb[name], want[name], skip_rows=RUN_SPECIFIC)
    assert replay.touched.isdisjoint(INPUTS) and len(replay.values("Reorder Plan")) == 681


def replay_writes_exactly(macro: str, sheets, want):
    """Runs the macro on the bundled sample: it writes exactly ``sheets``, each equal to the headless plan's."""
    replay, _ = run_macro(macro, BUNDLED_SAMPLE)
    assert {s for s in replay.touched if not s.startswith("~")} == set(sheets)
    for name in sheets:
        assert_same_sheet(replay.wb[name], want[name], skip_rows=RUN_SPECIFIC)
    return replay


@pytest.mark.slow
def test_plan_network_on_the_bundled_sample_equals_the_command_line(bundled_headless):
    result, want = bundled_headless
    replay = replay_writes_exactly("plan_network", set(NETWORK_SHEETS) | set(macros.NETWORK_ALSO), want)
    assert len(replay.charts["Carbon"]) == 1 and len(replay.charts["Supplier Scorecard"]) == 1
    t = result.network.distribution.totals
    assert f"Distribution: {t['units_shipped']:,.0f} of {t['units_required']:,.0f} units delivered" in replay.alerts[0]


@pytest.mark.slow
def test_plan_rounds_on_the_bundled_sample_equals_the_command_line(bundled_headless):
    _, want = bundled_headless
    replay = replay_writes_exactly("plan_rounds", set(ROUNDS_SHEETS) | set(macros.ROUNDS_ALSO), want)
    assert len(replay.charts["Routes"]) == 1


@pytest.mark.slow
def test_plan_rounds_without_vehicles_says_so(tmp_path):
    replay, _ = run_macro("plan_rounds", write_blocks(tmp_path / "plain.xlsx", minimal_sheets()))
    assert any("No rounds" in a for a in replay.alerts)
    assert not set(ROUNDS_SHEETS) & set(replay.wb.sheetnames)


@pytest.mark.slow
def test_plan_network_without_network_inputs_says_so(tmp_path):
    replay, _ = run_macro("plan_network", write_blocks(tmp_path / "plain.xlsx", minimal_sheets()))
    assert "No network inputs" in replay.alerts[0]
    assert not set(NETWORK_SHEETS) & set(replay.wb.sheetnames)


@pytest.mark.slow
def test_run_all_replaces_a_stale_network_sheet_with_a_note(headless, tmp_path):
    wb = openpyxl.load_workbook(headless)
    del wb["Requirements"], wb["Lanes"]
    path = tmp_path / "stale.xlsx"
    wb.save(path)
    replay, _ = run_macro("run_all", path)
    assert {"Distribution Plan", "Shipments"} <= replay.touched
    rows = replay.values("Shipments")
    assert rows[0] == ["note"] and "no Requirements rows with usable Lanes" in rows[1][0]
    assert replay.wb.sheetnames == wb.sheetnames  # replaced where they stood


@pytest.mark.slow
def test_a_failure_while_planning_is_one_message_and_nothing_written(tmp_path):
    """Nothing to plan is raised by the plan itself (after the inputs load): the macro still ends in one
    message box, no exception reaches Excel and no sheet is written."""
    sheets = minimal_sheets()
    sheets["Stock"] = [["sku", "site", "on_hand"], ["Z", "S1", 5]]  # an unknown sku: no usable Stock row
    path = write_blocks(tmp_path / "empty.xlsx", sheets)
    for macro in ("plan_reorders", "run_all", "plan_network"):
        replay, actions = run_macro(macro, path)
        assert [a["func"] for a in actions] == ["alert"], macro
        assert replay.alerts[0].startswith("Nothing was changed. Nothing to plan: sheet 'Stock'")


@pytest.mark.slow
def test_number_and_date_like_codes_are_written_as_text(tmp_path):
    codes = ["1E5", "12E4", "2E-3", "SEPT2", "Jan-25", "12:30 PM"]
    sheets = minimal_sheets()
    sheets["Items"] = [["sku", "unit_cost"]] + [[c, 2.0] for c in codes]
    sheets["Stock"] = [["sku", "site", "on_hand"]] + [[c, "S1", 3] for c in codes]
    sheets["Demand"] = [["sku", "site", "date", "quantity"]] + [[c, "S1", "2026-02-23", 4] for c in codes]
    path = write_blocks(tmp_path / "codes.xlsx", sheets)
    replay, actions = run_macro("plan_reorders", path)
    written = [v for a in actions if a["func"] == "setValues" for row in a["values"] for v in row]
    for code in codes:
        assert "'" + code in written and code not in written  # always with Excel's text prefix
    ws = replay.wb["Reorder Plan"]
    assert sorted(ws.cell(r, 1).value for r in range(2, ws.max_row + 1)) == sorted(codes)


@pytest.mark.slow
def test_every_cell_format_matches_the_command_line(small_sample, headless):
    """The columns that mix meanings (Run Info, KPIs, Issues, the Carbon comparison) are formatted cell by
    cell, the same through xlwings as in the file."""
    replay, _ = run_macro("run_all", small_sample)
    want = openpyxl.load_workbook(headless)
    for name in ("Run Info", "KPIs", "Issues", "Carbon", "Purchase Orders"):
        got = replay.wb[name]
        for row in want[name].iter_rows():
            for cell in row:
                if cell.value is not None:
                    assert got[cell.coordinate].number_format == cell.number_format, (name, cell.coordinate)


def test_desktop_excel_gets_the_page_setup(monkeypatch):
    """On Windows, Excel's PageSetup object (COM; not available here, so a recording stand-in) is set to
    landscape (xlLandscape = 2), one page wide, header row and key columns repeated."""
    from types import SimpleNamespace

    from planner.workbook.layout import PageSetup
    from planner.workbook.write_xlwings import page_setup

    monkeypatch.setattr(sys, "platform", "win32")
    com = SimpleNamespace()
    sheet = SimpleNamespace(book=SimpleNamespace(app=SimpleNamespace(engine=SimpleNamespace(name="excel"))),
                            api=SimpleNamespace(PageSetup=com))  # fmt: skip
    page_setup(sheet, PageSetup(title_rows=(1, 1), title_cols=(1, 2)))
    assert (com.Orientation, com.Zoom, com.FitToPagesWide, com.FitToPagesTall) == (2, False, 1, False)
    assert (com.PrintTitleRows, com.PrintTitleColumns) == ("$1:$1", "$A:$B")
    assert (com.CenterHeader, com.CenterFooter) == ("&A", "Page &P of &N")
