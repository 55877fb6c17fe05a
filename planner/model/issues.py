"""The issue log: every data problem and plan exception, with its sheet, Excel row, column and value."""

from __future__ import annotations

import numpy as np
import pandas as pd

ISSUE_COLUMNS = ["severity", "sheet", "row", "column", "value", "message"]
MAX_ISSUES_PER_KIND = 1000  # rows listed per (sheet, column, message); the rest are counted


class IssueLog:
    """Collects data problems; vectorised so a million bad rows cost one frame, not a million calls."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, severity: str, sheet: str, rows, column: str, values, message: str) -> None:
        rows = np.atleast_1d(np.asarray(rows))
        if rows.size == 0:
            return
        values = np.broadcast_to(np.asarray(values, dtype=object), rows.shape)
        self._parts.append(
            pd.DataFrame(
                {
                    "severity": severity,
                    "sheet": sheet,
                    "row": rows,
                    "column": column,
                    "value": values,
                    "message": message,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """All issues, errors first, at most MAX_ISSUES_PER_KIND rows per kind plus a count line."""
        if not self._parts:
            return pd.DataFrame(columns=ISSUE_COLUMNS)
        df = pd.concat(self._parts, ignore_index=True)
        kinds = ["sheet", "column", "message"]
        n = df.groupby(kinds, sort=False).cumcount()
        cut = df[n == MAX_ISSUES_PER_KIND]
        more = df[n >= MAX_ISSUES_PER_KIND].groupby(kinds, sort=False).size()
        df = df[n < MAX_ISSUES_PER_KIND]
        if len(more):
            extra = cut.drop_duplicates(kinds).set_index(kinds).loc[more.index].reset_index()
            extra["message"] = [f"... and {c} more rows like this" for c in more.to_numpy()]
            extra["row"], extra["value"] = None, None
            df = pd.concat([df, extra[ISSUE_COLUMNS]], ignore_index=True)
        rank = df["severity"].map({"error": 0, "warning": 1, "info": 2}).fillna(3)
        return df.assign(_r=rank).sort_values(["_r"], kind="stable").drop(columns="_r")[ISSUE_COLUMNS]

    def count(self, severity: str | None = None) -> int:
        return sum(len(p) if severity is None else int((p["severity"] == severity).sum()) for p in self._parts)
