"""Validated inputs: typed frames with contract column names, the typed settings and the issue log.

Every frame carries two per-row columns: ``_row``, the Excel row the values came from, and ``_repaired``,
True where validation blanked an invalid optional cell so that its default applies. Rows that validation
skipped are not in the frames; their Excel rows are in ``skipped_rows``. Nothing downstream reads the issue
log to learn what happened to a row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.model.issues import IssueLog
from planner.model.settings import Settings


@dataclass
class Inputs:
    """Typed input frames (columns: the contract's, then ``_row`` and ``_repaired``), by contract sheet name."""

    tables: dict[str, pd.DataFrame]
    settings: Settings
    issues: IssueLog = field(default_factory=IssueLog)
    sheet_names: dict[str, str] = field(default_factory=dict)  # contract name -> name in workbook
    skipped_rows: dict[str, np.ndarray] = field(default_factory=dict)  # contract name -> Excel rows skipped

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def repaired(self, name: str) -> pd.Series:
        """Per row of table ``name``: True where an optional cell was blanked and its default applies."""
        return self.tables[name]["_repaired"]
