"""Pooled period variance (planner.core.pooled_variance): Bayes' rule on the grid against scipy, the EM prior
against known clusters, the sampling variance of the successive-difference variance against Monte Carlo, and
the pooled estimate against the truth on simulated items (more accurate than each row's own, not pulled across
kinds), and the Setting through the workbook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks
from scipy import stats

from planner.channels.api import plan_workbook
from planner.core import pooled_variance as pv
from planner.core.leadtime_demand import successive_difference_variance


def _weekly_lognormal(rows: int, weeks: int, cv: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Weekly sums of i.i.d. lognormal days (daily CV ``cv``, mean 10 x a scale in [0.5, 2]); the true weekly
    variance per row."""
    scale = rng.uniform(0.5, 2.0, rows)
    sigma = np.sqrt(np.log(1 + cv**2))
    days = rng.lognormal(np.log(10 * scale)[:, None, None] - sigma**2 / 2, sigma, (rows, weeks, 7))
    return days.sum(axis=2), 7 * (cv * 10 * scale) ** 2


def test_posterior_mean_is_bayes_rule_on_a_two_point_prior():
    x, se = np.array([-1.0, 0.3, 2.0]), np.array([0.4, 0.5, 0.3])
    grid, weight = np.array([-0.5, 1.0]), np.array([0.3, 0.7])
    like = stats.norm.pdf(x[:, None], grid[None, :], se[:, None]) * weight
    expected = (like * np.exp(grid)).sum(axis=1) / like.sum(axis=1)
    np.testing.assert_allclose(pv.posterior_mean_exp(x, se, grid, weight), expected, rtol=1e-9)


def test_fitted_prior_finds_the_clusters_and_keeps_rows_in_theirs():
    rng = np.random.default_rng(3)
    theta = np.where(rng.random(600) < 0.5, -4.0, -1.5)
    se = np.full(600, 0.3)
    x = theta + se * rng.standard_normal(600)
    grid, weight = pv.fit_prior(x, se)
    near = [weight[np.abs(grid - c) < 0.5].sum() for c in (-4.0, -1.5)]
    assert sum(near) > 0.95 and min(near) > 0.35
    post = np.log(pv.posterior_mean_exp(x, se, grid, weight))
    assert np.sqrt(np.mean((post - theta) ** 2)) < 0.5 * np.sqrt(np.mean((x - theta) ** 2))
    assert np.abs(post - theta).max() < 0.6  # nobody pulled to the middle (-2.75)


@pytest.mark.parametrize("shape", [1.0, 0.25])
def test_successive_difference_variance_sampling_error_is_kurtosis_over_n(shape):
    """Var(s²) / sigma⁴ = kappa / n for von Neumann's estimator of independent periods (the module's se²);
    gamma periods, kappa = 3 + 6 / shape."""
    y = np.random.default_rng(7).gamma(shape, 10.0, (20000, 104))
    rel = successive_difference_variance(y) / (shape * 100.0)
    assert np.var(rel) == pytest.approx((3 + 6 / shape) / 104, rel=0.08)


def test_row_kurtosis_is_scipys():
    rng = np.random.default_rng(9)
    y = rng.gamma(0.5, 10.0, (50, 30))
    y[3, :10] = np.nan  # a series that starts later
    expected = [stats.kurtosis(row[~np.isnan(row)], fisher=False) for row in y]
    np.testing.assert_allclose(pv.row_kurtosis(y, np.nanmean(y, axis=1)), expected, rtol=1e-9)


def test_one_promotion_week_does_not_inflate_a_calm_class():
    """999 steady rows (CV 0.05) and one with a single 7x week, one group: the steady rows keep about their own
    variance, and so does the promoted row (red-team case: a kurtosis read across rows of different CVs
    multiplied the class's variance by 10^4)."""
    rng = np.random.default_rng(2)
    y = rng.normal(100.0, 5.0, (1000, 104))
    y[0, 50] = 700.0
    own = successive_difference_variance(y)
    pooled = pv.pooled_period_variance(y, np.full(1000, "smooth"), np.zeros(1000, bool))
    assert np.all(np.abs(np.log(pooled[1:] / 25.0)) < 0.2)  # the truth: 5²
    assert 0.8 < pooled[0] / own[0] < 2.5  # one week: a wide standard error, whose posterior mean leans up


def test_a_few_wild_rows_among_calm_ones_are_not_pulled_down():
    """95 % calm rows (normal, CV 0.1) and 5 % wild ones (lognormal, CV 2): the wild rows' pooled variance is
    not below their own estimate's typical miss, and the calm ones are not inflated."""
    rng = np.random.default_rng(2)
    calm = rng.normal(100.0, 10.0, (950, 104))
    sigma = np.sqrt(np.log(1 + 2.0**2))
    wild = rng.lognormal(np.log(100.0) - sigma**2 / 2, sigma, (50, 104))
    y = np.vstack([calm, wild])
    true_var = np.concatenate([np.full(950, 100.0), np.full(50, 200.0**2)])
    pooled = pv.pooled_period_variance(y, np.full(1000, "smooth"), np.zeros(1000, bool)) / true_var
    own = successive_difference_variance(y) / true_var
    assert np.median(pooled[950:]) >= 0.9 * np.median(own[950:])
    assert np.all(np.abs(np.log(pooled[:950])) < 0.5)


def test_a_rare_kind_in_a_large_class_keeps_its_own_variance():
    """20,000 rows at CV 0.3 and five at CV 0.9 (log CV² 2.2 apart, about 8 standard errors): the five are
    not pulled to the majority."""
    rng = np.random.default_rng(5)
    cv = np.r_[0.3, np.full(5, 0.9), np.full(20000, 0.3)]
    y = rng.gamma(1 / cv[:, None] ** 2, 100.0 * cv[:, None] ** 2, (len(cv), 104))
    pooled = pv.pooled_period_variance(y, np.full(len(cv), "smooth"), np.zeros(len(cv), bool))
    ratio = pooled[1:6] / (100.0 * 0.9) ** 2
    assert np.all(ratio > 0.6)


def test_pooling_a_shared_shape_is_more_accurate_than_each_rows_own():
    rng = np.random.default_rng(11)
    y, true_var = _weekly_lognormal(300, 104, 1.2, rng)
    own = np.log(successive_difference_variance(y) / true_var)
    pooled = np.log(pv.pooled_period_variance(y, np.full(300, "smooth"), np.zeros(300, bool)) / true_var)
    assert np.sqrt(np.mean(pooled**2)) < 0.6 * np.sqrt(np.mean(own**2))
    assert abs(np.mean(pooled)) < 0.12  # the CV is learned, not the sizes: little bias
    assert np.mean(pooled < np.log(0.8)) < 0.5 * np.mean(own < np.log(0.8))  # fewer rows 20 % too calm


def test_a_mixed_group_keeps_each_kind_near_its_own_variance():
    rng = np.random.default_rng(12)
    erratic, erratic_var = _weekly_lognormal(150, 104, 1.2, rng)
    smooth, smooth_var = _weekly_lognormal(150, 104, 0.3, rng)
    y, true_var = np.vstack([erratic, smooth]), np.concatenate([erratic_var, smooth_var])
    err = np.log(pv.pooled_period_variance(y, np.full(300, "smooth"), np.zeros(300, bool)) / true_var)
    assert abs(np.median(err[:150])) < 0.15 and abs(np.median(err[150:])) < 0.15
    assert np.abs(err).max() < 0.8  # log(CV²) of the two kinds are 2.8 apart


def test_a_row_alone_keeps_its_variance_and_short_rows_are_left_alone():
    rng = np.random.default_rng(4)
    y, _ = _weekly_lognormal(1, 104, 0.8, rng)
    own = successive_difference_variance(y)
    assert pv.pooled_period_variance(y, ["smooth"], [False]) == pytest.approx(own, rel=0.15)
    short = np.array([[np.nan, np.nan, 3.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(pv.pooled_period_variance(short, ["smooth"] * 2, [False] * 2), [2.0, 0.0])


def test_slow_movers_pool_the_dispersion_index():
    """Poisson counts of different means: var / mean is 1 for all; pooled, every row is close to its mean."""
    rng = np.random.default_rng(8)
    mean = rng.uniform(0.5, 4.0, 200)
    y = rng.poisson(mean[:, None], (200, 104)).astype(float)
    pooled = pv.pooled_period_variance(y, np.full(200, "smooth"), np.ones(200, bool))
    own = successive_difference_variance(y)
    assert np.sqrt(np.mean(np.log(pooled / mean) ** 2)) < 0.5 * np.sqrt(np.mean(np.log(own / mean) ** 2))


def _thirty_alike():
    """Thirty SKUs with the same weekly process (gamma, CV 0.6: smooth by the SBC rule), sizes 50 to 200 a
    week: each history's own variance misses or overshoots the common shape by chance."""
    rng = np.random.default_rng(21)
    end = pd.Timestamp("2026-03-02")
    dates = [(end - pd.Timedelta(days=7 * k)).to_pydatetime() for k in range(104, 0, -1)]
    demand = [["sku", "site", "date", "quantity"]]
    for i in range(30):
        size = rng.uniform(50, 200)
        demand += [[f"SKU-{i:02d}", "S1", d, float(rng.gamma(2.8, size / 2.8))] for d in dates]
    sheets = minimal_sheets(Demand=demand)
    sheets["Items"] = [["sku", "unit_cost"], *([f"SKU-{i:02d}", 10.0] for i in range(30))]
    sheets["Stock"] = [["sku", "site", "on_hand"], *([f"SKU-{i:02d}", "S1", 100] for i in range(30))]
    return sheets, end, demand


@pytest.mark.parametrize("alias", ["off", "no"])
def test_the_setting_turns_pooling_off(tmp_path, alias):
    """Pooled, the calmest history's sd rises and the wildest's falls (towards the shape they share: CV 0.6);
    with the Setting off (or its alias) each row keeps its own."""
    sheets, end, demand = _thirty_alike()
    runs = {}
    for name in ("class", alias):
        sheets["Settings"] = [["setting", "value"], ["planning_date", end.to_pydatetime()],
                              ["service_check", "off"], ["variance_pooling", name]]  # fmt: skip
        runs[name] = plan_workbook(write_blocks(tmp_path / f"{name}.xlsx", sheets)).reorder.set_index("sku")
    history = pd.DataFrame(demand[1:], columns=demand[0]).groupby("sku")["quantity"]
    own_cv = (history.std() / history.mean()).sort_values()
    ratio = runs["class"]["demand_sd_per_day"] / runs[alias]["demand_sd_per_day"]
    assert ratio[own_cv.index[0]] > 1.1 and ratio[own_cv.index[-1]] < 0.95
    assert np.corrcoef(own_cv, ratio[own_cv.index])[0, 1] < -0.5


@pytest.mark.parametrize(("rows", "flat_rows"), [(100, 1), (300, 1), (300, 2)])
def test_near_constant_rows_do_not_move_their_class(rows, flat_rows):
    """Erratic rows, then the same with near-constant rows (log CV² about -27, far below the class's range):
    the erratic rows' pooled variances stay put (a grid stretched to those rows would coarsen every row's
    prior: 4.5 to 8 % before prior_grid; an interpolated quantile still let one row among 100 stretch it by
    4 %), and the constant rows keep their own variances."""
    rng = np.random.default_rng(5)
    y, _ = _weekly_lognormal(rows, 104, 1.2, rng)
    alone = pv.pooled_period_variance(y, np.zeros(rows), np.zeros(rows, bool))
    flat = np.full((flat_rows, 104), 50.0)
    flat[:, ::2] += 1e-4 * np.arange(1, flat_rows + 1)[:, None]
    both = np.vstack([y, flat])
    with_flat = pv.pooled_period_variance(both, np.zeros(len(both)), np.zeros(len(both), bool))
    assert np.max(np.abs(with_flat[:rows] / alone - 1)) < 0.002
    np.testing.assert_allclose(with_flat[rows:], successive_difference_variance(flat), rtol=0.05)
