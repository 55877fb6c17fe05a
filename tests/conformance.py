"""The output conformance check: a planned workbook has the output sheets of docs/workbook-contract.md and,
on each, the key columns the contract names. It checks names, not numbers (the other tests check those).

Usage: python tests/conformance.py PLANNED.xlsx   (needs openpyxl; exit 0 when it conforms, 1 otherwise)

The names are copied from the contract, not imported from the planner, so that a column renamed in the code
but not in the contract fails here. Names match as the contract says: case-insensitively, with spaces,
underscores and hyphens equivalent. A sheet's header is its first row (of the first 20) holding at least two
names; the network sheets are checked when the workbook has them, and a network sheet that only holds the
one-column note of a plan that was not computed passes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

# written by every plan
OUTPUT: dict[str, list[str]] = {
    "Forecast": [],
    "Reorder Plan": ["sku", "site", "supplier", "abc", "xyz", "demand_per_day", "demand_sd_per_day",
                     "lead_time_days", "safety_stock", "reorder_point", "order_up_to", "order_quantity",
                     "inventory_position", "suggested_order", "order_date", "expected_arrival", "days_of_cover",
                     "status"],
    "Purchase Orders": ["supplier", "sku"],
    "Projected Inventory": ["sku", "site", "period_start", "gross_requirement", "scheduled_receipts",
                            "planned_receipts", "planned_releases", "projected_on_hand", "safety_stock"],
    "KPIs": ["kpi", "value", "target", "status"],
    "Issues": ["severity", "sheet", "row", "column", "value", "message"],
    "Run Info": [],
}  # fmt: skip

# written when their inputs are there (Offers; Requirements with Lanes)
NETWORK: dict[str, list[str]] = {
    "Supplier Scorecard": ["sku", "supplier", "rank", "score"],
    "Supplier Allocation": ["sku", "supplier", "requirement", "quantity", "share"],
    "Distribution Plan": ["origin", "destination", "sku", "quantity"],
    "Shipments": ["origin", "destination", "units", "trucks", "co2_kg"],
    "Carbon": ["measure", "plan", "cost_only", "difference"],
}


def key(text: object) -> str:
    return str(text).strip().lower().replace(" ", "_").replace("-", "_")


def header(ws) -> list[str]:
    """The first of the sheet's first 20 rows that holds at least two names, as keys."""
    for row in ws.iter_rows(max_row=20, values_only=True):
        names = [key(v) for v in row if v is not None]
        if len(names) >= 2:
            return names
    return []


def _note_only(ws) -> bool:
    """A network sheet replaced by the note of a plan that was not computed: one column, headed `note`."""
    first = next(ws.iter_rows(max_row=1, values_only=True), ())
    return [key(v) for v in first if v is not None] == ["note"]


def problems(path: str | Path) -> list[str]:
    """What does not conform, one line each (empty when the workbook conforms)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        sheets = {key(n): n for n in wb.sheetnames}
        found = []
        for sheet, columns in (OUTPUT | NETWORK).items():
            name = sheets.get(key(sheet))
            if name is None:
                if sheet in OUTPUT:
                    found.append(f"missing output sheet '{sheet}'")
                continue
            if sheet in NETWORK and _note_only(wb[name]):
                continue
            have = set(header(wb[name]))
            missing = [c for c in columns if c not in have]
            if missing:
                found.append(f"'{sheet}' lacks columns {missing}")
        return found
    finally:
        wb.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/conformance.py PLANNED.xlsx")
        return 2
    found = problems(argv[0])
    for p in found:
        print(p)
    print("conforms to the contract's names" if not found else f"{len(found)} naming problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
