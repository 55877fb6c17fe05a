"""Pooled period variance: each row's demand variance per period shrunk towards the rows like it, by
nonparametric empirical Bayes (Robbins 1956; the Kiefer-Wolfowitz maximum-likelihood prior on a grid, fitted by
EM as in Jiang & Zhang 2009, "General maximum likelihood empirical Bayes estimation of normal means"; Koenker &
Mizera 2014 on the same estimator by convex optimisation).

Why: two years of a heavy-tailed series give its variance with a large sampling error (a lognormal day with
CV 1.2 has kurtosis about 80: the sample variance of 104 weekly sums is off by 35 % in one case out of three),
and a series whose sample missed the tail gets too little safety stock. Items of one kind share the shape of
their demand far more than their size (Brown 1959 and Silver, Pyke & Thomas §4.5.3 fit one relation sd =
a x mean^b across items for the same reason), so the shape is estimated from all of them:

- statistic per row: x = log(s² / mean²) (the squared CV of period demand), or log(s² / mean) (the
  dispersion index) for slow movers, whose counts are Poisson-like; s² is von Neumann's successive-difference
  variance (leadtime_demand.successive_difference_variance, not inflated by a trend or a seasonal swing), the
  mean over the n observed periods;
- its sampling variance, by the delta method for that estimator of independent periods: Var(s²) / sigma⁴ ~
  kappa / n (kappa = fourth central moment / sigma⁴; kappa - 1 for the plain sample variance), with kappa the
  mean sample kurtosis of the rows of the group (a row whose sample missed the tail also under-reads its own
  kurtosis); x is corrected by + se² / 2 for the downward bias of a logarithm;
- the prior: a distribution on GRID_POINTS values of x fitted to the group's rows by EM (at most FIT_ROWS rows,
  evenly taken, ITERATIONS steps), so a group that mixes kinds (smooth and erratic items in one class) finds
  its clusters instead of being pulled to one mean;
- each row's pooled ratio = its posterior mean of exp(x), and s²_pooled = ratio x mean² (x mean for slow).

A row alone in its group keeps (practically) its own variance; rows without two observed periods, without
demand or with a zero variance are left as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.leadtime_demand import successive_difference_variance

GRID_POINTS = 120
FIT_ROWS = 2000
ITERATIONS = 150
MIN_PERIODS = 3  # periods observed before a row takes part


def pooled_period_variance(Y: np.ndarray, group: np.ndarray, slow: np.ndarray) -> np.ndarray:
    """Per row of Y (series x periods, NaN before a series starts), the period variance pooled within its
    ``group`` (module docstring), units² per period; ``slow`` rows pool the dispersion index s² / mean. NaN
    where successive_difference_variance is NaN."""
    Y = np.asarray(Y, float)
    n = np.sum(~np.isnan(Y), axis=1)
    mean = np.divide(np.nansum(Y, axis=1), n, out=np.zeros(len(n)), where=n > 0)
    var = successive_difference_variance(Y)
    slow = np.asarray(slow, bool)
    live = np.flatnonzero((n >= MIN_PERIODS) & (mean > 0) & (np.nan_to_num(var) > 0))
    out = var.copy()
    codes = pd.factorize(pd.Series(np.asarray(group)[live], dtype=str) + np.where(slow[live], "/slow", ""))[0]
    for code in range(codes.max(initial=-1) + 1):
        rows = live[codes == code]
        power = 1.0 if slow[rows[0]] else 2.0
        x = np.log(var[rows]) - power * np.log(mean[rows])
        se2 = group_kurtosis(Y[rows], mean[rows], np.exp(np.mean(x)) * mean[rows] ** power) / n[rows]
        grid, weight = fit_prior(x + se2 / 2, np.sqrt(se2))
        out[rows] = posterior_mean_exp(x + se2 / 2, np.sqrt(se2), grid, weight) * mean[rows] ** power
    return out


def group_kurtosis(Y: np.ndarray, mean: np.ndarray, typical_var: np.ndarray) -> float:
    """The kurtosis (non-excess: 3 for a normal) of the group's periods, each standardised by its row's
    ``mean`` and the group's ``typical_var`` for the row: E[z⁴] / E[z²]² over all observed periods. Pooled so
    that a row whose sample missed the tail (and under-reads its own kurtosis) counts the tails of the others;
    at least 1."""
    observed = ~np.isnan(Y)
    z2 = np.square(np.where(observed, Y - mean[:, None], 0.0)) / typical_var[:, None]
    count = max(int(observed.sum()), 1)
    m2, m4 = z2.sum() / count, np.square(z2).sum() / count
    return max(m4 / m2**2, 1.0) if m2 > 0 else 3.0


def posterior_mean_exp(x: np.ndarray, se: np.ndarray, grid: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """E[exp(theta) | x] for x ~ N(theta, se²) and theta drawn from the prior ``weight`` on ``grid``
    (Bayes' rule on the grid)."""
    post = _likelihood(x, se, grid) * weight
    post /= post.sum(axis=1, keepdims=True)
    return post @ np.exp(grid)


def fit_prior(x: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid and the prior weights maximising the marginal likelihood of x (EM, ITERATIONS steps on at
    most FIT_ROWS rows taken evenly), the grid spanning the x's range and 3 standard errors beyond."""
    reach = 3 * float(np.max(se))
    grid = np.linspace(float(np.min(x)) - reach, float(np.max(x)) + reach, GRID_POINTS)
    take = np.unique(np.linspace(0, len(x) - 1, min(len(x), FIT_ROWS)).astype(int))
    lik = _likelihood(x[take], se[take], grid)
    weight = np.full(GRID_POINTS, 1.0 / GRID_POINTS)
    for _ in range(ITERATIONS):
        post = lik * weight
        post /= post.sum(axis=1, keepdims=True)
        weight = post.mean(axis=0)
    return grid, weight


def _likelihood(x: np.ndarray, se: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Normal likelihood of each x (rows) at each grid value (columns), up to a row's constant; floored so a
    row far from every grid point keeps a posterior."""
    z = (x[:, None] - grid[None, :]) / se[:, None]
    return np.exp(-0.5 * (z**2 - np.min(z**2, axis=1, keepdims=True))) + 1e-300
