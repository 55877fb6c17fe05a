"""Demand history: Demand rows -> a (Stock rows x periods) matrix of demand per period, and its CV."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model.issues import IssueLog, Reason
from planner.model.results import History
from planner.model.settings import Settings


def period_index(dates: pd.Series, planning_date: pd.Timestamp, period: str) -> np.ndarray:
    """Periods back from the planning date: 0 = the last complete period before it. Days and weeks are
    counted in whole 1- or 7-day blocks ending the day before the planning date; months are calendar
    months before the planning date's month (the month under way is not complete and is left out)."""
    if period == "month":
        pm = planning_date.year * 12 + planning_date.month
        return (pm - (dates.dt.year * 12 + dates.dt.month) - 1).to_numpy()
    days = (planning_date - dates).dt.days.to_numpy()
    return np.where(days > 0, (days - 1) // (7 if period == "week" else 1), -1)


def build_history(demand: pd.DataFrame, keys: pd.DataFrame, settings: Settings, log: IssueLog,
                  sheet: str) -> History:  # fmt: skip
    """Aggregate Demand rows into a (Stock rows x periods) matrix of demand per period (NaN before each
    series' first record). Rows dated on or after the planning date, and rows without a Stock row, are
    logged and left out."""
    back = period_index(demand["date"], settings.planning_date, settings.period) if len(demand) else np.zeros(0, int)
    future = back < 0
    if future.any():
        log.add(Reason.FUTURE_DEMAND, sheet, demand.loc[future, "_row"].to_numpy(), "date",
                demand.loc[future, "date"].dt.date.to_numpy(),
                "date on or after the planning date (or in its unfinished month); not used as history")  # fmt: skip
    series = pd.MultiIndex.from_frame(keys[["sku", "site"]])
    code = series.get_indexer(pd.MultiIndex.from_frame(demand[["sku", "site"]])) if len(demand) else back
    stray = (code < 0) & ~future
    log.add(Reason.DEMAND_WITHOUT_STOCK, sheet, demand.loc[stray, "_row"].to_numpy(), "site",
            demand.loc[stray, "site"].to_numpy(), "no Stock row for this sku/site; history not used")  # fmt: skip
    use = (code >= 0) & ~future
    P = int(back[use].max()) + 1 if use.any() else 1
    col = P - 1 - back[use]
    weights = demand["quantity"].to_numpy(float)[use]
    flat = np.bincount(code[use] * P + col, weights=weights, minlength=len(keys) * P).astype(float)
    Y = flat.reshape(len(keys), P)
    first = np.full(len(keys), P)
    np.minimum.at(first, code[use], col)
    Y[np.arange(P)[None, :] < first[:, None]] = np.nan
    starts, future_starts = period_starts(settings, P)
    return History(Y, starts, settings.days_per_period, future_starts)


def period_starts(settings: Settings, periods: int) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """First day of each of the ``periods`` history periods, and of each forecast period."""
    pdate, horizon = settings.planning_date, settings.horizon_periods
    if settings.period == "month":
        month0 = pdate.to_period("M").start_time  # the month under way: the first forecast period
        starts = pd.date_range(end=month0 - pd.offsets.MonthBegin(1), periods=periods, freq="MS")
        return starts, pd.date_range(start=month0, periods=horizon, freq="MS")
    step = pd.Timedelta(days=settings.days_per_period)
    starts = pd.DatetimeIndex([pdate - step * (periods - i) for i in range(periods)])
    return starts, pd.DatetimeIndex([pdate + step * i for i in range(horizon)])


def demand_cv(Y: np.ndarray) -> np.ndarray:
    """Coefficient of variation (population sd / mean) of demand per period over each series' observed
    history; NaN without history or demand."""
    n = np.sum(~np.isnan(Y), axis=1)
    mean = np.divide(np.nansum(Y, axis=1), n, out=np.zeros(len(Y)), where=n > 0)
    var = np.divide(np.nansum((Y - mean[:, None]) ** 2, axis=1), n, out=np.zeros(len(Y)), where=n > 0)
    return np.divide(np.sqrt(var), mean, out=np.full(len(Y), np.nan), where=mean > 0)
