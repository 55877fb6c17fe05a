"""Lead-time demand of each planned row: the sd over its protection interval from multi-step forecast errors
(rolling origin, planner.core.leadtime_demand) and the distribution the levels are computed with."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.forecast import ForecastResult
from planner.core.inventory import protection_days
from planner.core.leadtime_demand import (
    SLOW_UNITS,
    distribution,
    history_alone,
    history_interval_var,
    interval_sd,
    level_error_cv,
    nearest_unit_rows,
    rolling_errors,
    successive_difference_variance,
)
from planner.core.pooled_variance import pooled_period_variance
from planner.model.results import History
from planner.model.settings import Settings


def lead_time_demand(rows: pd.DataFrame, hist: History, fc: ForecastResult, override: np.ndarray,
                     st: Settings) -> None:  # fmt: skip
    """Adds to ``rows`` (which has demand_per_day, policy, lead and review days): demand_sd_per_day, the sd
    per day that gives the multi-step sd over T = L + review_days_sq (sQ) or R + L (RS) as sqrt(T) sigma_d
    (the one given on Stock for an override); demand_distribution (normal for an override); sq_review_days
    (review_days_sq, 0 for an override: the textbook formulas); lost_sales (Setting unmet_demand);
    level_error_cv (the forecast level's coefficient of variation, level_error_cv; 0 for an override)."""
    policy = rows["policy"].to_numpy(str)
    sq_review = np.where(override, 0.0, float(st.review_days_sq))
    days = protection_days(policy, rows["lead_time_days"].to_numpy(float), rows["review_days"].to_numpy(float))
    days = days + np.where(policy == "RS", 0.0, sq_review)
    errors = rolling_errors(hist.Y, fc.method, days, hist.days_per_period, st.season_length, params=fc.params)
    mean_t = rows["demand_per_day"].to_numpy(float) * days
    own = successive_difference_variance(hist.Y)
    pooling = st.variance_pooling == "class"
    pooled = pooled_period_variance(hist.Y, fc.demand_class, mean_t < SLOW_UNITS, own) if pooling else own
    observed = np.sum(~np.isnan(hist.Y), axis=1)
    level = rows["demand_per_day"].to_numpy(float) * hist.days_per_period
    cv = np.where(override, 0.0, level_error_cv(fc.method, fc.params, fc.sigma, level, fc.adi, fc.cv2, observed))
    history_var = history_interval_var(hist.Y, days, hist.days_per_period, pooled, np.square(mean_t * cv))
    alone = history_alone(fc.demand_class, mean_t)
    sd_t = interval_sd(errors, fc.sigma, days, hist.days_per_period, fc.demand_class, history_var, alone)
    per_day = np.divide(sd_t, np.sqrt(days), out=fc.sigma / np.sqrt(hist.days_per_period), where=days > 0)
    rows["demand_sd_per_day"] = np.where(override, rows["demand_sd_per_day"].to_numpy(float), per_day)
    rows["demand_distribution"] = np.where(override, "normal", distribution(fc.demand_class, mean_t, sd_t))
    rows["nearest_unit"] = nearest_unit_rows(rows["demand_distribution"].to_numpy(str))
    rows["sq_review_days"] = sq_review
    rows["level_error_cv"] = cv
    ratio = np.divide(pooled, own, out=np.ones(len(own)), where=np.nan_to_num(own) > 0)
    rows["pooled_variance_ratio"] = np.where(override, 1.0, np.nan_to_num(ratio, nan=1.0))
    rows["lost_sales"] = st.unmet_demand == "lost"
