"""Concentration of spend (or volume) over suppliers: the Herfindahl-Hirschman index, the one place its
formula lives (the KPIs' spend_hhi and the Excel function HHI both call it)."""

from __future__ import annotations

import numpy as np


def hhi(amounts) -> float:
    """Herfindahl-Hirschman index H = sum_j (x_j / sum x)^2 of non-negative amounts x_j (spend per
    supplier): 1 / n when spread evenly over n suppliers, 1 for a single one (Hirschman 1964; e.g. the US
    DOJ/FTC Horizontal Merger Guidelines, which state it on a 0-10,000 scale, x 10,000). NaN when the
    total is 0 (nothing to compare)."""
    x = np.asarray(amounts, dtype=float).ravel()
    total = x.sum()
    return float(((x / total) ** 2).sum()) if total > 0 else float("nan")


def hhi_by_group(groups: np.ndarray, shares: np.ndarray, n_groups: int) -> np.ndarray:
    """H per group = sum of its members' squared shares (the shares of each group's total, as in ``hhi``);
    ``groups`` gives each member's group index 0..n_groups-1."""
    return np.bincount(groups, weights=np.asarray(shares, float) ** 2, minlength=n_groups)
