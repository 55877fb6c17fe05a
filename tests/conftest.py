"""Shared fixtures: real .xlsx files written to a temporary folder."""

from __future__ import annotations

import os

# The Excel channel is tested as xlwings' own tests do: functions and macros registered for xlwings
# Server/Lite (set before xlwings is first imported) and run on real xw.Book(json=...) objects through the
# remote engine. That route is xlwings PRO, free for noncommercial use.
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planner.workbook.sample import sample_frames
from planner.workbook.template import write_template

ROOT = Path(__file__).resolve().parents[1]
# The output conformance check of docs/workbook-contract.md, run as a script as a user runs it
CHECK_OUTPUT = ROOT / "tests" / "conformance.py"


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory) -> Path:
    """The sample generator at 20 SKUs x 3 sites, as a real workbook (Excel Tables)."""
    path = tmp_path_factory.mktemp("sample") / "small.xlsx"
    write_template(path, sample_frames(n_skus=20))
    return path


@pytest.fixture(scope="session")
def small_planned(small_sample, tmp_path_factory):
    """``small_sample`` planned once per test process (about as long as the rest of a module's tests): the
    planned copy, written as the command line writes it, and the PlanResult. Shared by the modules that only
    read them: change neither (copy the workbook first to edit or re-plan it)."""
    from planner.channels.api import plan_workbook

    out = tmp_path_factory.mktemp("small-planned") / "small.planned.xlsx"
    return out, plan_workbook(small_sample, output=out)


def write_blocks(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook whose sheets are plain A1 blocks (header row first), as a user might type them."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # typed text, as a user's '=... cell would be
    wb.save(path)
    return path


def minimal_sheets(**overrides) -> dict[str, list[list]]:
    """Two SKUs at one site with 20 weeks of history before 2026-03-02 (a Monday)."""
    dates = [pd.Timestamp("2026-03-02") - pd.Timedelta(days=7 * k) for k in range(20, 0, -1)]
    demand = [["sku", "site", "date", "quantity"]]
    for i, d in enumerate(dates):
        demand.append(["A", "S1", d.to_pydatetime(), 70 + (7 if i % 2 else -7)])
        demand.append(["B", "S1", d.to_pydatetime(), 14])
    sheets = {
        "Items": [["sku", "unit_cost", "order_cost", "holding_rate"], ["A", 10.0, 50, 0.2], ["B", 4.0, 20, 0.25]],
        "Stock": [["sku", "site", "on_hand", "on_order", "backorders"], ["A", "S1", 30, 0, 0], ["B", "S1", 500, 0, 0]],
        "Demand": demand,
        "Settings": [["setting", "value"], ["planning_date", pd.Timestamp("2026-03-02").to_pydatetime()],
                     ["lead_time_days", 7], ["forecast_method", "mean"]],
    }  # fmt: skip
    sheets.update(overrides)
    return sheets
