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
  kappa / n (kappa = fourth central moment / sigma⁴; kappa - 1 for the plain sample variance). kappa is
  pooled over rows of the same kind, in two passes: first the mean of the group's rows' own sample kurtoses
  (each row standardised by its own variance, which reads a missed tail short and so shrinks less), then,
  after a first pooling, the kurtosis of all periods of the rows whose first-pass log ratio lies in the same
  KURTOSIS_BIN-wide bin, each period standardised by its row's first-pass variance (binned_kurtosis: a row
  whose sample missed the tail counts the tails its peers saw; rows of other CVs, in other bins, do not read
  as heavy tails), and the pooling is done again; x is corrected by + se² / 2 (at most MAX_LOG_CORRECTION)
  for the downward bias of a logarithm;
- the prior: a distribution on GRID_POINTS even steps of x (plus a point at each far outlier: prior_grid)
  fitted to all the group's rows by EM (ITERATIONS steps), so a group that mixes kinds (smooth and erratic
  items in one class) finds its clusters instead of being pulled to one mean, mixed with PRIOR_FLOOR spread
  evenly, so that a row of a rare kind, far from every cluster, keeps its own estimate;
- each row's pooled ratio = its posterior mean of exp(x), and s²_pooled = ratio x mean² (x mean for slow).

A row alone in its group keeps its own variance (times at most e^MAX_LOG_CORRECTION); a row far from every
cluster keeps about its own, leaning up where its standard error is wide (one big week in a steady series);
rows with fewer than MIN_PERIODS observed periods, without demand or with a zero variance are left as they
are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.leadtime_demand import successive_difference_variance

GRID_POINTS = 120
GRID_QUANTILE = 0.005  # the grid's even part spans the x between this quantile and its complement
MAX_OUTLIER_POINTS = 40  # grid points added at x's beyond the even part (one per distinct x, to X_BIN)
ITERATIONS = 150
MIN_PERIODS = 3  # periods observed before a row takes part
PRIOR_FLOOR = 0.01  # share of the prior spread evenly over the grid: a row far from every cluster keeps its own
MAX_LOG_CORRECTION = 0.25  # the + se² / 2 correction of the logarithm's bias at most (x 1.28)
X_BIN = 0.01  # resolution of x in the prior's fit (rows with the same binned x and se are fitted together)
CHUNK_ROWS = 4096  # rows of Y read at a time for the kurtosis
KURTOSIS_BIN = 0.5  # width in x of the bins whose rows pool their kurtosis (binned_kurtosis)


def pooled_period_variance(Y: np.ndarray, group: np.ndarray, slow: np.ndarray,
                           own_var: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Per row of Y (series x periods, NaN before a series starts), the period variance pooled within its
    ``group`` (module docstring), units² per period; ``slow`` rows pool the dispersion index s² / mean. NaN
    where successive_difference_variance is NaN. ``own_var``: that variance, where the caller has it."""
    Y = np.asarray(Y, float)
    n = np.sum(~np.isnan(Y), axis=1)
    mean = np.divide(np.nansum(Y, axis=1), n, out=np.zeros(len(n)), where=n > 0)
    var = successive_difference_variance(Y) if own_var is None else np.asarray(own_var, float)
    slow = np.asarray(slow, bool)
    live = np.flatnonzero((n >= MIN_PERIODS) & (mean > 0) & (np.nan_to_num(var) > 0))
    out = var.copy()
    own_kurtosis = row_kurtosis(Y, mean)
    codes = pd.factorize(pd.Series(np.asarray(group)[live], dtype=str) + np.where(slow[live], "/slow", ""))[0]
    for code in range(codes.max(initial=-1) + 1):
        rows = live[codes == code]
        power = 1.0 if slow[rows[0]] else 2.0
        x = np.log(var[rows]) - power * np.log(mean[rows])
        first = _shrunk_ratio(x, max(float(np.mean(own_kurtosis[rows])), 1.0) / n[rows])
        kappa = binned_kurtosis(Y[rows], mean[rows], first * mean[rows] ** power, np.log(first))
        out[rows] = _shrunk_ratio(x, kappa / n[rows]) * mean[rows] ** power
    return out


def _shrunk_ratio(x: np.ndarray, se2: np.ndarray) -> np.ndarray:
    """The posterior mean of exp(theta) for x ~ N(theta, se²) under the prior fitted to these x (fit_prior),
    x first corrected by + se² / 2 (at most MAX_LOG_CORRECTION)."""
    x = x + np.minimum(se2 / 2, MAX_LOG_CORRECTION)
    grid, weight = fit_prior(x, np.sqrt(se2))
    return posterior_mean_exp(x, np.sqrt(se2), grid, weight)


def binned_kurtosis(Y: np.ndarray, mean: np.ndarray, var: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per row, the kurtosis E[z⁴] / E[z²]² pooled over all observed periods of the rows whose ``x`` (the log
    ratio of a first pooled pass) lies in the same KURTOSIS_BIN-wide bin, each period standardised by its row's
    ``mean`` and ``var`` (that first pass's variance): rows of one kind share a bin, so a row whose sample
    missed the tail counts the tails its peers saw, and rows of other CVs (another bin) do not read as heavy
    tails. At least 1; 3 for a bin without variation."""
    s2, s4, count = _standardised_moments(Y, mean, var)
    bins = pd.factorize(np.floor(x / KURTOSIS_BIN))[0]
    m2 = np.bincount(bins, s2) / np.maximum(np.bincount(bins, count), 1)
    m4 = np.bincount(bins, s4) / np.maximum(np.bincount(bins, count), 1)
    kappa = np.divide(m4, m2**2, out=np.full(len(m2), 3.0), where=m2 > 0)
    return np.maximum(kappa, 1.0)[bins]


def _standardised_moments(Y: np.ndarray, mean: np.ndarray, var: np.ndarray):
    """Per row, the sums of z² and z⁴ over the observed periods, z = (y - mean) / sqrt(var), and the count
    (CHUNK_ROWS rows at a time)."""
    s2, s4, count = np.zeros(len(Y)), np.zeros(len(Y)), np.zeros(len(Y))
    for start in range(0, len(Y), CHUNK_ROWS):
        block = slice(start, start + CHUNK_ROWS)
        observed = ~np.isnan(Y[block])
        z2 = np.square(np.where(observed, Y[block] - mean[block, None], 0.0)) / var[block, None]
        s2[block], s4[block], count[block] = z2.sum(axis=1), np.square(z2).sum(axis=1), observed.sum(axis=1)
    return s2, s4, count


def row_kurtosis(Y: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Per row, m4 / m2² of the observed periods about ``mean`` (non-excess: 3 for a normal; 3 where m2 is 0),
    CHUNK_ROWS rows at a time. Each row is standardised by its own variance, so rows of different CVs in one
    group do not read as heavy tails; the group's mean of them is its kappa (a row that missed its tail reads
    low, which shrinks less: the safe side)."""
    out = np.full(len(Y), 3.0)
    for start in range(0, len(Y), CHUNK_ROWS):
        block = Y[start : start + CHUNK_ROWS]
        observed = ~np.isnan(block)
        dev2 = np.square(np.where(observed, block - mean[start : start + CHUNK_ROWS, None], 0.0))
        count = np.maximum(observed.sum(axis=1), 1)
        m2, m4 = dev2.sum(axis=1) / count, np.square(dev2).sum(axis=1) / count
        out[start : start + len(block)] = np.divide(m4, m2**2, out=np.full(len(block), 3.0), where=m2 > 0)
    return out


def posterior_mean_exp(x: np.ndarray, se: np.ndarray, grid: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """E[exp(theta) | x] for x ~ N(theta, se²) and theta drawn from the prior ``weight`` on ``grid``
    (Bayes' rule on the grid)."""
    post = _likelihood(x, se, grid) * weight
    post /= post.sum(axis=1, keepdims=True)
    return post @ np.exp(grid)


def prior_grid(x: np.ndarray, se: np.ndarray) -> np.ndarray:
    """The support of the prior: GRID_POINTS even steps over the x between their GRID_QUANTILE quantiles (the
    order statistics inside them, not interpolated towards an outlier: one outlier among 100 rows stays out),
    widened by 3 of the largest standard error, plus one point at each x beyond (rounded to X_BIN; at most
    MAX_OUTLIER_POINTS, spread by quantile). A far outlier (a near-constant row: log CV² of -25) so gets a
    point of its own instead of stretching the even steps, which would coarsen every row's prior."""
    reach = 3 * float(np.max(se))
    inner = np.quantile(x, GRID_QUANTILE, method="higher"), np.quantile(x, 1 - GRID_QUANTILE, method="lower")
    lo, hi = min(inner), max(inner)  # two rows: the two cross
    even = np.linspace(lo - reach, hi + reach, GRID_POINTS)
    beyond = np.unique(np.round(x[(x < even[0]) | (x > even[-1])] / X_BIN) * X_BIN)
    if len(beyond) > MAX_OUTLIER_POINTS:
        beyond = np.quantile(beyond, np.linspace(0.0, 1.0, MAX_OUTLIER_POINTS))
    return np.sort(np.concatenate([even, beyond]))


def fit_prior(x: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid (prior_grid) and the prior weights maximising the marginal likelihood of all the x (EM,
    ITERATIONS steps; rows with the same x to X_BIN and the same se fitted as one, weighted by their count),
    mixed with PRIOR_FLOOR spread evenly over the grid's points (a rare kind keeps a prior where it lies)."""
    grid = prior_grid(x, se)
    pairs, count = np.unique(np.column_stack([np.round(x / X_BIN) * X_BIN, np.round(se, 4)]), axis=0,
                             return_counts=True)  # fmt: skip
    lik = _likelihood(pairs[:, 0], pairs[:, 1], grid)
    share = count / count.sum()
    weight = np.full(len(grid), 1.0 / len(grid))
    for _ in range(ITERATIONS):
        post = lik * weight
        post /= post.sum(axis=1, keepdims=True)
        weight = share @ post
    return grid, (1 - PRIOR_FLOOR) * weight + PRIOR_FLOOR / len(grid)


def _likelihood(x: np.ndarray, se: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Normal likelihood of each x (rows) at each grid value (columns), up to a row's constant; floored so a
    row far from every grid point keeps a posterior."""
    z = (x[:, None] - grid[None, :]) / se[:, None]
    return np.exp(-0.5 * (z**2 - np.min(z**2, axis=1, keepdims=True))) + 1e-300
