"""The output conformance check (tests/conformance.py) itself: it passes a planned workbook, names what a
workbook lacks, and checks the names the contract page documents."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pytest
from conformance import NETWORK, OUTPUT, problems
from conftest import CHECK_OUTPUT, ROOT, minimal_sheets, write_blocks

from planner.channels.api import plan_workbook


def contract_sheets() -> dict[str, list[list]]:
    """Every output sheet with exactly the columns the check requires (one data row each)."""
    sheets = {name: [cols or ["item", "value"], ["x"] * max(len(cols), 2)] for name, cols in (OUTPUT | NETWORK).items()}
    return sheets


def test_a_planned_workbook_without_network_conforms(tmp_path):
    out = tmp_path / "plain.planned.xlsx"
    plan_workbook(write_blocks(tmp_path / "plain.xlsx", minimal_sheets()), output=out)
    assert problems(out) == []
    assert not set(NETWORK) & set(openpyxl.load_workbook(out, read_only=True).sheetnames)


def test_exactly_the_required_names_conform(tmp_path):
    assert problems(write_blocks(tmp_path / "exact.xlsx", contract_sheets())) == []


@pytest.mark.slow
def test_a_missing_sheet_and_a_missing_column_are_named(tmp_path):
    sheets = contract_sheets()
    del sheets["Run Info"]
    sheets["Reorder Plan"][0] = [c for c in sheets["Reorder Plan"][0] if c != "safety_stock"]
    path = write_blocks(tmp_path / "bad.xlsx", sheets)
    assert problems(path) == ["'Reorder Plan' lacks columns ['safety_stock']", "missing output sheet 'Run Info'"]
    proc = subprocess.run([sys.executable, str(CHECK_OUTPUT), str(path)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "2 naming problems"


def test_names_match_as_the_contract_says_and_headers_may_sit_below_a_title(tmp_path):
    sheets = contract_sheets()
    sheets["purchase-orders"] = [["Purchase orders of the week"], ["Supplier", "SKU", "Quantity"]]
    del sheets["Purchase Orders"]
    sheets["KPIs"] = [["KPI", "Value", "Target", "Status"]]
    assert problems(write_blocks(tmp_path / "loose.xlsx", sheets)) == []


def test_network_sheets_are_checked_when_present(tmp_path):
    sheets = contract_sheets()
    sheets["Shipments"] = [["origin", "destination", "units"], ["A", "B", 1]]
    assert problems(write_blocks(tmp_path / "ships.xlsx", sheets)) == ["'Shipments' lacks columns ['trucks', 'co2_kg']"]
    sheets["Shipments"] = [["note"], ["Not computed: the workbook has no Requirements rows with usable Lanes."]]
    assert problems(write_blocks(tmp_path / "note.xlsx", sheets)) == []


@pytest.mark.parametrize("sheet", list(OUTPUT | NETWORK))
def test_the_checked_names_are_documented_in_the_contract(sheet):
    """Each sheet the check knows has a section of docs/workbook-contract.md naming every column it requires."""
    text = (ROOT / "docs" / "workbook-contract.md").read_text(encoding="utf-8")
    section = text.split("## Output sheets", 1)[1].split(f"\n### {sheet}\n", 1)[1].split("\n### ", 1)[0]
    for column in (OUTPUT | NETWORK)[sheet]:
        assert f"| `{column}` |" in section, (sheet, column)
