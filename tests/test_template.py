"""`planner new`: the template's tables, validations and notes; the seeded sample; the bundled sample."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from conftest import ROOT
from excel_replay import Replay
from openpyxl.utils import get_column_letter
from xlwings.server import custom_scripts_call

from planner.channels.excel import macros
from planner.channels.excel.remote import book_json
from planner.core.forecast import classify_demand
from planner.workbook.contract import SHEETS
from planner.workbook.sample import sample_frames
from planner.workbook.template import TEMPLATE, header_note, write_template


@pytest.mark.slow
def test_template_has_every_input_sheet_as_a_table_with_notes_and_validation(tmp_path):
    path = tmp_path / "template.xlsx"
    proc = subprocess.run([sys.executable, "-m", "planner", "new", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Instructions"
    assert "forecast_method" in [c.value for c in wb["Instructions"]["A"]]
    for spec in SHEETS.values():
        ws = wb[spec.name]
        assert [c.value for c in ws[1]] == [c.name for c in spec.columns]
        assert len(ws.tables) == 1
        for cell, col in zip(ws[1], spec.columns, strict=True):
            assert cell.comment is not None and col.meaning in cell.comment.text
            if col.unit:
                assert col.unit in cell.comment.text
        dvs = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
        for j, col in enumerate(spec.columns):
            letter = openpyxl.utils.get_column_letter(j + 1)
            if col.kind == "choice":
                assert dvs[letter].type == "list" and dvs[letter].formula1 == '"' + ",".join(col.choices) + '"'
            elif col.kind == "number" and col.minimum is not None:
                assert dvs[letter].type == "decimal" and float(dvs[letter].formula1) == col.minimum
    items = wb["Items"]
    dv = next(d for d in items.data_validations.dataValidation if str(d.sqref).startswith("F"))
    assert (dv.formula1, dv.formula2) == ("0.5", "0.9999")  # service_level


@pytest.mark.slow
def test_sample_is_realistic_and_reproducible():
    a, b = sample_frames(), sample_frames()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert len(a["Items"]) == 200 and len(a["Stock"]) == 600 + 4 * 20  # 3 sites x 200, 4 stocked stores x 20
    sites = a["Sites"].set_index("site")  # three echelons: plant -> DCs -> stores
    assert sites["source"].map(sites["type"]).dropna().to_dict() == {
        s: {"dc": "plant", "store": "dc"}[t] for s, t in sites["type"].items() if t != "plant"
    }
    assert len(a["Open Orders"]) and set(a["Returns"]["disposition"]) == {"restock", "refurbish", "scrap"}
    d = a["Demand"]
    weeks = d["date"].nunique()
    assert weeks == 104 and d["date"].max() < pd.Timestamp("2026-11-02")
    Y = d.pivot_table(index=["sku", "site"], columns="date", values="quantity", fill_value=0).to_numpy(float)
    classes = set(classify_demand(Y)[0])
    assert {"smooth", "erratic"} <= classes and classes & {"intermittent", "lumpy"}
    assert a["Offers"].groupby("sku").size().max() >= 2 and len(a["Suppliers"]) >= 5


@pytest.mark.slow
def test_bundled_sample_workbook_is_the_generated_one():
    path = ROOT / "workbook" / "sample.xlsx"
    frames = sample_frames()
    for name in ("Items", "Stock", "Offers"):
        got = pd.read_excel(path, sheet_name=name, engine="calamine")
        want = frames[name]
        assert list(got["sku"]) == list(want["sku"])
        num = [c for c in want.columns if pd.api.types.is_numeric_dtype(want[c])]
        np.testing.assert_allclose(got[num].to_numpy(float), want[num].to_numpy(float), equal_nan=True)
    assert len(pd.read_excel(path, sheet_name="Demand", engine="calamine")) == len(frames["Demand"])


@pytest.mark.parametrize("name", ["template.xlsx"])
def test_bundled_template_matches_the_contract(name):
    wb = openpyxl.load_workbook(ROOT / "workbook" / name)
    assert [s for s in wb.sheetnames if s != "Instructions"] == list(SHEETS)


# ---------------------------------------------------------------------------------------------------------
# one template, two writers: the openpyxl file (planner new) and the xlwings book (the ribbon's new_template)


def _xlwings_template(tmp_path):
    """The template drawn by the ribbon macro on an empty book through xlwings' remote engine (a real
    xw.Book(json=...)), its actions replayed onto the workbook and saved: the sheets Excel would hold."""
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    book = xw.Book(json=book_json(empty))
    result = asyncio.run(custom_scripts_call(macros, "new_template", typehint_to_value={xw.Book: book}))
    replay = Replay(empty).apply(result.json()["actions"])
    del replay.wb["Sheet"]
    saved = tmp_path / "by_xlwings.xlsx"
    replay.wb.save(saved)
    return openpyxl.load_workbook(saved)


def _cell_look(c) -> tuple:
    """Everything a user sees of a cell: value, font, fill, alignment, number format and note text."""
    colour = c.font.color.rgb if c.font.color is not None and c.font.color.type == "rgb" else None  # else: theme
    fill = (c.fill.fill_type, c.fill.fgColor.rgb if c.fill.fill_type else None)
    note = c.comment.text if c.comment is not None else None
    return (c.value, bool(c.font.b), c.font.sz or 11.0, colour, fill, bool(c.alignment.wrap_text), c.alignment.vertical,
            c.number_format, note)  # fmt: skip


def _validations(ws) -> set[tuple]:
    rules = ws.data_validations.dataValidation
    return {(str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2) for dv in rules}


def _tables(ws) -> dict[str, tuple]:
    return {name: (ws.tables[name].ref, ws.tables[name].tableStyleInfo.name) for name in ws.tables}


def test_the_template_drawn_by_both_writers_is_the_same_cell_by_cell(tmp_path):
    by_file = openpyxl.load_workbook(write_template(tmp_path / "by_openpyxl.xlsx"))
    by_book = _xlwings_template(tmp_path)
    assert by_book.sheetnames == by_file.sheetnames == [TEMPLATE.instructions.name, *SHEETS]
    for name in by_file.sheetnames:
        want, got = by_file[name], by_book[name]
        rows, cols = max(want.max_row, got.max_row), max(want.max_column, got.max_column)
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                assert _cell_look(got.cell(r, c)) == _cell_look(want.cell(r, c)), (name, r, c)
        for c in range(1, cols + 1):
            letter = get_column_letter(c)
            assert got.column_dimensions[letter].width == want.column_dimensions[letter].width, (name, letter)
        assert _validations(got) == _validations(want), name
        assert _tables(got) == _tables(want), name
        assert got.freeze_panes == want.freeze_panes, name
    # what the description says is there: a note on every header, a list on every choice column
    items = by_book["Items"]
    assert items["A1"].comment.text == header_note(SHEETS["Items"].columns[0])
    lists = {dv.formula1 for dv in items.data_validations.dataValidation if dv.type == "list"}
    assert lists == {'"cycle,fill"', '"sQ,RS"'}
    assert by_book["Instructions"]["A1"].font.sz == 14 and by_book["Instructions"]["B3"].alignment.wrap_text
    # the one thing xlwings cannot draw: the alert text of a rule (Excel shows its own there)
    assert all(dv.error for dv in by_file["Items"].data_validations.dataValidation)
