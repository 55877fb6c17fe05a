"""Validated inputs: typed frames with contract column names, the settings and the issue log."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from planner.model.issues import IssueLog


@dataclass
class Inputs:
    """Typed input frames with contract column names and an '_row' column (Excel row number)."""

    tables: dict[str, pd.DataFrame]
    settings: dict[str, object]
    issues: IssueLog = field(default_factory=IssueLog)
    sheet_names: dict[str, str] = field(default_factory=dict)  # contract name -> name in workbook

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]
