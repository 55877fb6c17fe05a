"""Lead-time demand: the sd of demand over each row's protection interval from multi-step forecast errors
measured by rolling origin, and the distribution fitted to it per demand class.

Units: demand per period in the history Y (series x periods, NaN before a series starts), days for the
protection interval T (L for (s, Q) plus its review interval, R + L for (R, S)), units for sums.

Multi-step errors (Hyndman & Athanasopoulos, FPP3 §5.10, time-series cross-validation; SPT §6.9.2 on
estimating the sd of lead-time forecast errors directly): for each of up to ORIGINS origins o (the last
ones whose interval fits in the history), every series is forecast from Y[:, :o] with its chosen method
and smoothing parameters fixed (chosen on the whole history: a mild in-sample choice), its states estimated
on Y[:, :o] alone (``replay_forecast``, in the spirit of statsforecast's refit=False), and
e_o = (actual demand over T from o) - (forecast over T from o), whole periods summed and the last period
prorated (the path_rate rule). The row's mean square MS = mean of e_o².
With few, overlapping windows MS is noisy, so it is shrunk to a pooled estimate (SHRINK_WEIGHT each):
sd_T² = w MS + (1 - w) rho_c sigma_1² T / days_per_period, where sigma_1 is the one-step error sd and
rho_c = sum MS / sum (sigma_1² T / days per period) over the rows of the same demand class (how much the
one-step error times the square root of time understates the interval's error in that class). Rows without
any usable origin take the pooled estimate alone.
"""

from __future__ import annotations

import numpy as np

from planner.core.forecast import full_params, path_rate, replay_forecast

ORIGINS = 8  # rolling origins (the last ones that fit)
MIN_TRAIN = 8  # periods of history before the earliest origin
SHRINK_WEIGHT = 0.3  # weight of a row's own multi-step mean square against its class's pooled estimate

# distribution of lead-time demand per demand class (planner.core.service_levels.DISTRIBUTIONS)
CLASS_DISTRIBUTION = {"smooth": "normal", "erratic": "gamma", "intermittent": "negbin", "lumpy": "negbin",
                      "override": "normal", "no demand": "normal"}  # fmt: skip
SKEWED_CV = 0.2  # a smooth row whose demand over the interval varies more than this is gamma (skewed)
# classes whose sd over T is at least the history's (history_interval_var)
HISTORY_VARIANCE_CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
SLOW_UNITS = 20.0  # mean demand over the protection interval below this: slow mover, negative binomial


def interval_sums(F: np.ndarray, days: np.ndarray, days_per_period: float) -> np.ndarray:
    """Sum of each row's per-period values over its first ``days`` days, units (the path_rate rule)."""
    return path_rate(F, days, days_per_period) * np.asarray(days, float)


def rolling_errors(Y: np.ndarray, methods: np.ndarray, days: np.ndarray, days_per_period: float, season: int,
                   origins: int = ORIGINS, params: dict[str, np.ndarray] | None = None) -> np.ndarray:  # fmt: skip
    """e[i, j] = actual - forecast demand over row i's ``days`` from origin j (NaN where that origin is not
    usable for the row: the series had not started MIN_TRAIN periods before it, or it has no days). Rows are
    grouped by the whole periods their interval spans, so each group uses the latest origins that fit. The
    forecast from an origin is replay_forecast's: each row's method with its smoothing parameters ``params``
    (forecast_series' on the whole history) held fixed, states estimated on the periods before the origin;
    rows without parameters are refitted there."""
    Y = np.asarray(Y, float)
    N, P = Y.shape
    params = full_params(params, N)
    days = np.broadcast_to(np.asarray(days, float), (N,))
    periods = np.ceil(days / days_per_period - 1e-9).astype(int)
    errors = np.full((N, origins), np.nan)
    first = np.where((~np.isnan(Y)).any(axis=1), (~np.isnan(Y)).argmax(axis=1), P)
    for span in np.unique(periods[(periods > 0) & (periods <= P - MIN_TRAIN)]):
        rows = np.flatnonzero(periods == span)
        for j in range(origins):
            o = P - span * (j + 1)  # non-overlapping windows
            live = rows[first[rows] + MIN_TRAIN <= o]
            if not len(live):
                break
            kept = {key: value[live] for key, value in params.items()}
            forecast = replay_forecast(Y[live, :o], int(span), season, np.asarray(methods)[live], kept)
            actual = np.nan_to_num(Y[live, o : o + span])
            errors[live, j] = interval_sums(actual, days[live], days_per_period) - interval_sums(
                forecast, days[live], days_per_period
            )
    return errors


def interval_sd(errors: np.ndarray, sigma_one_step: np.ndarray, days: np.ndarray, days_per_period: float,
                demand_class: np.ndarray, history_var: np.ndarray | None = None,
                history_only: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """sd of demand over the interval, units: each row's multi-step mean square shrunk to its class's pooled
    estimate (module docstring)."""
    n = np.sum(~np.isnan(errors), axis=1)
    ms = np.divide(np.nansum(np.square(errors), axis=1), n, out=np.zeros(len(n)), where=n > 0)
    prior = np.square(np.nan_to_num(sigma_one_step)) * np.asarray(days, float) / days_per_period
    cls = np.asarray(demand_class, dtype=object)
    pooled = prior.copy()
    for c in np.unique(cls):
        rows = (cls == c) & (n > 0) & (prior > 0)
        ratio = float(np.mean(ms[rows] / prior[rows])) if rows.any() else 1.0
        pooled[cls == c] = prior[cls == c] * ratio
    var = np.where(n > 0, SHRINK_WEIGHT * ms + (1 - SHRINK_WEIGHT) * pooled, pooled)
    if history_var is not None:  # at least the history's own variance over the interval; the history's alone for
        hv = np.asarray(history_var, float)  # the rows ``history_only`` (history_alone)
        alone = np.asarray(history_only, bool) & ~np.isnan(hv) if history_only is not None else np.zeros(len(hv), bool)
        var = np.maximum(var, np.where(np.isin(cls, HISTORY_VARIANCE_CLASSES), np.nan_to_num(hv), 0.0))
        var = np.where(alone, hv, var)
    return np.sqrt(var)


def history_interval_var(Y: np.ndarray, days: np.ndarray, days_per_period: float, period_var: np.ndarray | None = None,
                         level_var: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Variance of demand over each row's ``days`` from its own history, units²: the moments of the bootstrap
    that sums m = days / days_per_period periods drawn independently from the row's demand process (Efron's
    i.i.d. bootstrap of lead-time demand; Willemain, Smart & Schwarz 2004 resample the history in the same
    spirit), m s², plus the variance of a mean estimated from n periods, m² s² / n. The period variance s² is
    von Neumann's mean square successive difference, s² = mean((Y_t - Y_(t-1))²) / 2, unbiased for independent
    periods and not inflated by a trend, a level shift or a slow seasonal swing (which the forecast models).
    n = periods observed; NaN with fewer than 3. ``period_var`` replaces s² (the pooled variance,
    planner.core.pooled_variance); ``level_var`` (units² over the interval: (mean over T x level_error_cv)²,
    the error of the forecast's level, which a smoothed level makes larger than a mean of n periods') replaces
    m² s² / n where it is larger: the error over T = the demand's own variation + the error of the estimate
    of its level (Silver, Pyke & Thomas §4.5)."""
    Y = np.asarray(Y, float)
    n = np.sum(~np.isnan(Y), axis=1)
    m = np.asarray(days, float) / days_per_period
    var = successive_difference_variance(Y) if period_var is None else np.asarray(period_var, float)
    mean_error = m * m * var / np.maximum(n, 1)
    if level_var is not None:
        mean_error = np.maximum(mean_error, np.nan_to_num(np.asarray(level_var, float)))
    return np.where(n >= 3, m * var + mean_error, np.nan)


def successive_difference_variance(Y: np.ndarray) -> np.ndarray:
    """Per row, von Neumann's mean square successive difference over the observed periods, mean((Y_t -
    Y_(t-1))²) / 2, units² per period: the period variance, not inflated by a trend, a level shift or a slow
    seasonal swing. NaN without two observed periods."""
    diffs = np.diff(np.asarray(Y, float), axis=1)  # NaN where either period is before the series' start
    pairs = np.sum(~np.isnan(diffs), axis=1)
    return np.divide(np.nansum(np.square(diffs), axis=1), 2 * pairs, out=np.full(len(pairs), np.nan), where=pairs > 0)


def history_alone(demand_class, mean_over_interval) -> np.ndarray:
    """Rows whose sd over T is the history's variance alone (history_interval_var), not the larger of it and the
    multi-step errors': intermittent rows (TSB forecasts a stationary level, and sizes that vary little, CV² <
    0.49, make the history's variance a precise estimate) and smooth or erratic slow movers (mean over T below
    SLOW_UNITS: counts close to Poisson). Where sizes vary much (lumpy) or demand is large, a heavy-tailed
    sample often understates the variance, and the larger of the two estimates is kept."""
    cls = np.asarray(demand_class, dtype=object)
    slow = np.isin(cls, ("smooth", "erratic")) & (np.asarray(mean_over_interval, float) < SLOW_UNITS)
    return (cls == "intermittent") | slow


def distribution(demand_class, mean_over_interval, sd_over_interval=None) -> np.ndarray:
    """The distribution of lead-time demand per row: CLASS_DISTRIBUTION by demand class (normal for smooth
    demand and for a forecast given on Stock, gamma for erratic, negative binomial for intermittent and
    lumpy), and negative binomial for a slow mover (mean over the interval below SLOW_UNITS units) that is
    not an override."""
    cls = np.asarray(demand_class, dtype=object)
    kind = np.array([CLASS_DISTRIBUTION.get(c, "normal") for c in cls], dtype=object)
    mean = np.asarray(mean_over_interval, float)
    live = (cls != "override") & (cls != "no demand")
    if sd_over_interval is not None:  # smooth but skewed: the normal does not fit its right tail
        cv = np.divide(np.asarray(sd_over_interval, float), mean, out=np.zeros(len(mean)), where=mean > 0)
        kind = np.where(live & (kind == "normal") & (cv > SKEWED_CV), "gamma", kind)
    return np.where(live & (mean < SLOW_UNITS), "negbin", kind).astype(str)


def nearest_unit_rows(distribution) -> np.ndarray:
    """Rows whose whole-unit level is the one whose service is nearest the target, not the least that reaches
    it (service_levels.level_for_target's ``nearest``): the negative binomial rows (intermittent, lumpy, slow
    movers), whose levels are whole units. Where one unit moves the fill rate by points (slow movers: the least
    level reaching 95 % delivers about 96 % on average), rounding up over-serves every row; rounding to the
    nearest is right on average (benchmarks/service.py)."""
    return np.asarray(distribution) == "negbin"


MAX_LEVEL_CV = 1.0  # the level's coefficient of variation simulated at most (a lognormal factor's median 0.71)
GENERIC_WINDOW = 13  # periods a method without stored smoothing parameters is taken to average (MA_WINDOWS' longest)


def level_error_cv(method, params: dict[str, np.ndarray], sigma_one_step, level_per_period, adi, cv2,
                   periods_observed) -> np.ndarray:  # fmt: skip
    """The coefficient of variation of the forecast's level as an estimate of the mean demand per period (the
    level error that the Service Check's resampled history adds, service.history_scenario), from the stationary
    variance of an exponentially smoothed estimate, alpha / (2 - alpha) x the variance smoothed (Brown 1959;
    Silver, Pyke & Thomas §4.5), never below the variance of a mean of the n periods observed (1 / n):
    - theta, damped and comb (SES alpha a, damped alpha a_d): the one-step error variance is about
      sigma² 2 / (2 - a), so Var(level) = sigma_1² max(a / 2, a_d / 2, 1 / n);
    - TSB (size alpha a, probability beta b, p = 1 / ADI, sizes' CV² from the classification): the product of
      two smoothed factors, CV² = (1 + r_p)(1 + r_z) - 1, r_p = (1 - p) / p x max(b / (2 - b), 1 / n) and
      r_z = CV²_size x max(a / (2 - a), 1 / (p n)) (about p n sizes observed);
    - any other method (its smoothing is not stored): the variance of a mean of GENERIC_WINDOW periods,
      sigma_1² / min(n, 13).
    At most MAX_LEVEL_CV; 0 where the level is 0. An approximation: alpha chosen on the same history adds
    selection noise it does not count (Monte Carlo on i.i.d. histories, tests/test_service_levels.py: 0.6 to
    1.2 of the forecast level's spread for comb, within 25 % for TSB)."""
    method = np.asarray(method, dtype=object)
    params = full_params(params, len(method))
    sigma2 = np.square(np.nan_to_num(np.asarray(sigma_one_step, float)))
    level = np.asarray(level_per_period, float)
    n = np.maximum(np.asarray(periods_observed, float), 1.0)
    family = np.isfinite(params["ses_alpha"])
    smoothed = np.maximum(np.nan_to_num(params["ses_alpha"]), np.nan_to_num(params["damped_alpha"])) / 2
    var_level = sigma2 * np.where(family, np.maximum(smoothed, 1 / n), 1 / np.minimum(n, GENERIC_WINDOW))
    cv = np.sqrt(np.divide(var_level, level**2, out=np.zeros(len(level)), where=level > 0))
    tsb = (method == "tsb") & np.isfinite(params["tsb_alpha"]) & (level > 0)
    cv = np.where(tsb, _tsb_level_cv(params, adi, cv2, n), cv)
    return np.minimum(cv, MAX_LEVEL_CV)


def _tsb_level_cv(params: dict[str, np.ndarray], adi, cv2, n: np.ndarray) -> np.ndarray:
    """TSB's level CV (level_error_cv): sqrt((1 + r_p)(1 + r_z) - 1)."""
    a, b = np.nan_to_num(params["tsb_alpha"]), np.nan_to_num(params["tsb_beta"])
    adi = np.nan_to_num(np.asarray(adi, float), posinf=0.0)
    p = np.divide(1.0, adi, out=np.ones(len(n)), where=adi >= 1)
    r_p = (1 - p) / p * np.maximum(b / (2 - b), 1 / n)
    r_z = np.nan_to_num(np.asarray(cv2, float)) * np.maximum(a / (2 - a), 1 / np.maximum(p * n, 1.0))
    return np.sqrt((1 + r_p) * (1 + r_z) - 1)
