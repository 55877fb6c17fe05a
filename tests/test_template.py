"""`planner new`: the template's tables, validations and notes; the seeded sample; the bundled sample."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import ROOT

from planner.core.forecast import classify_demand
from planner.workbook.contract import SHEETS
from planner.workbook.sample import sample_frames


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
    assert len(a["Items"]) == 200 and len(a["Stock"]) == 600
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
