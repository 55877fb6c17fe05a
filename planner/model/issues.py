"""The issue log: every data problem and plan exception, with its reason code, sheet, Excel row, column
and value. Code reads the reason, never the message: the message is for people."""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

ISSUE_COLUMNS = ["severity", "sheet", "row", "column", "value", "message", "category", "code"]
MAX_ISSUES_PER_KIND = 1000  # rows listed per (sheet, column, reason, message); the rest are counted
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


class Reason(Enum):
    """Why an issue was raised: its severity, its category (``data``: the input needs a look; ``plan``: the
    inputs are fine but the plan cannot do everything asked) and what happened to the row."""

    # the value of a cell
    BAD_REQUIRED_VALUE = ("error", "data", "a required cell is not valid: the row is skipped")
    BLANK_REQUIRED_VALUE = ("error", "data", "a required cell is blank: the row is skipped")
    BAD_OPTIONAL_VALUE = ("warning", "data", "an optional cell is not valid: it is blanked, the default applies")
    NEGATIVE_ON_HAND = ("warning", "data", "a negative on hand: planned as a shortfall, worth a stock count")
    ROWS_BELOW_TABLE = ("warning", "data", "rows typed below an Excel Table: not part of it, not read")
    FAR_CELLS = ("warning", "data", "cells far to the right of an input table: left out")
    # rows against rows
    DUPLICATE_KEY = ("error", "data", "a key seen on an earlier row: the row is skipped")
    DUPLICATE_DEMAND = ("warning", "data", "the same sku/site/date as an earlier Demand row: quantities added")
    UNKNOWN_SKU = ("error", "data", "an sku not on Items: the row is skipped")
    UNKNOWN_SUPPLIER = ("warning", "data", "a supplier not on Suppliers: the offer is used without its data")
    UNKNOWN_SITE = ("warning", "data", "a site not on Sites: used, its type and capacity unknown")
    LANE_TO_ITSELF = ("error", "data", "a lane from a site to itself: the row is skipped")
    LANE_WITHOUT_COST = ("warning", "data", "a lane without any cost: treated as free")
    TRUCK_WITHOUT_CAPACITY = ("warning", "data", "a truck cost without a truck capacity: the truck cost is ignored")
    SHIPPED_WITHOUT_WEIGHT = ("warning", "data", "a shipped item without a weight: its transport CO2 counts 0")
    SHIPPED_WITHOUT_VOLUME = ("warning", "data", "an item on per-truck lanes without a volume: takes no room")
    UNKNOWN_SOURCE = ("warning", "data", "a source not on Sites: the site is taken as bought from suppliers")
    SOURCE_IS_STORE = ("warning", "data", "a store as a source: the site is taken as bought from suppliers")
    SOURCE_CYCLE = ("error", "data", "source links that go round in a circle: the circle's links are ignored")
    SOURCE_WITHOUT_STOCK = ("warning", "data", "a source without a Stock row for the sku: bought from suppliers")
    OPEN_ORDERS_OVER_ON_ORDER = ("info", "data", "Open Orders and Stock.on_order for one sku/site: Open Orders used")
    # settings
    UNKNOWN_SETTING = ("warning", "data", "a setting planner does not know: ignored")
    BAD_SETTING = ("warning", "data", "a setting value that is not valid: its default applies")
    # history
    FUTURE_DEMAND = ("warning", "data", "Demand on or after the planning date: not used as history")
    DEMAND_WITHOUT_STOCK = ("info", "data", "Demand for an sku/site without a Stock row: not used")
    DEMAND_TOO_OLD = ("warning", "data", "Demand older than max_history_years before the planning date: not used")
    # the plan
    BAD_SHIFT = ("error", "data", "a vehicle whose shift ends before it starts: the row is skipped")
    STORE_WITHOUT_DEPOT = ("warning", "data", "a store without a source depot that has vehicles: not routed")
    ALLOCATION_BINDS = ("warning", "plan", "the supplier allocation cannot buy everything required")
    NO_USABLE_LANES = ("warning", "plan", "Requirements without usable Lanes: no distribution plan")
    UNDELIVERABLE = ("warning", "plan", "a requirement that cannot be delivered in full")
    LATE_DELIVERY = ("info", "plan", "units that arrive after their due date")
    PROJECTION_CUT = ("info", "plan", "more SKU-sites x periods than a sheet holds: Projected Inventory shows part")
    UNROUTED_STOP = ("warning", "plan", "a store's delivery that no round can make: listed, not planned")
    ROUNDS_TIME_LIMIT = ("warning", "plan", "a route search the time cap stopped early: another run may differ")

    def __init__(self, severity: str, category: str, meaning: str) -> None:
        self.severity = severity
        self.category = category
        self.meaning = meaning

    @property
    def code(self) -> str:
        return self.name.lower()


class IssueLog:
    """Collects issues; vectorised so a million bad rows cost one frame, not a million calls."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, reason: Reason, sheet: str, rows, column: str, values, message: str) -> None:
        """One issue per row in ``rows`` (Excel row numbers, or [None] for a sheet-level issue)."""
        rows = np.atleast_1d(np.asarray(rows))
        if rows.size == 0:
            return
        values = np.broadcast_to(np.asarray(values, dtype=object), rows.shape)
        self._parts.append(
            pd.DataFrame(
                {
                    "severity": reason.severity,
                    "sheet": sheet,
                    "row": rows,
                    "column": column,
                    "value": values,
                    "message": message,
                    "category": reason.category,
                    "code": reason.code,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """All issues, errors first, at most MAX_ISSUES_PER_KIND rows per kind plus a count line."""
        if not self._parts:
            return pd.DataFrame(columns=ISSUE_COLUMNS)
        df = pd.concat(self._parts, ignore_index=True)
        kinds = ["sheet", "column", "code", "message"]
        n = df.groupby(kinds, sort=False).cumcount()
        cut = df[n == MAX_ISSUES_PER_KIND]
        more = df[n >= MAX_ISSUES_PER_KIND].groupby(kinds, sort=False).size()
        df = df[n < MAX_ISSUES_PER_KIND]
        if len(more):
            extra = cut.drop_duplicates(kinds).set_index(kinds).loc[more.index].reset_index()
            extra["message"] = [f"... and {c} more rows like this" for c in more.to_numpy()]
            extra["row"], extra["value"] = None, None
            df = pd.concat([df, extra[ISSUE_COLUMNS]], ignore_index=True)
        rank = df["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK))
        return df.assign(_r=rank).sort_values(["_r"], kind="stable").drop(columns="_r")[ISSUE_COLUMNS]

    def count(self, severity: str | None = None, category: str | None = None) -> int:
        """Issues logged (every row, also those the frame folds into 'and N more'), by severity/category."""
        total = 0
        for p in self._parts:
            keep = np.ones(len(p), bool)
            if severity is not None:
                keep &= (p["severity"] == severity).to_numpy()
            if category is not None:
                keep &= (p["category"] == category).to_numpy()
            total += int(keep.sum())
        return total

    def has(self, reason: Reason) -> bool:
        return any((p["code"] == reason.code).any() for p in self._parts)
