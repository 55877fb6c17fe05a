"""Forecasting models against statsmodels, hand computations and the Syntetos-Boylan classes."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing, Holt, SimpleExpSmoothing

from planner.core import forecast as F

RNG = np.random.default_rng(42)
T = np.arange(104)
SEASONAL = 50 + 0.2 * T + 15 * np.sin(2 * np.pi * T / 52) + RNG.normal(0, 2, 104)
NOISY = 40 + RNG.normal(0, 6, 104)
T3 = np.arange(156)
SEASONAL_3Y = 50 + 0.2 * T3 + 15 * np.sin(2 * np.pi * T3 / 52) + RNG.normal(0, 2, 156)
TRENDING = 30 + 0.4 * T + RNG.normal(0, 3, 104)


def test_ses_recursion_equals_statsmodels_fitted_values():
    alpha, l0 = 0.3, 42.0
    sm = SimpleExpSmoothing(NOISY, initialization_method="known", initial_level=l0).fit(
        smoothing_level=alpha, optimized=False
    )
    sse, n, level = F.ses_pass(NOISY[None, :], np.array([alpha]), np.array([l0]))
    assert sse[0, 0] == pytest.approx(np.sum((NOISY - sm.fittedvalues) ** 2), rel=1e-10)
    assert level[0, 0] == pytest.approx(sm.forecast(1)[0], rel=1e-12)


def test_holt_recursion_equals_statsmodels():
    a, b, l0, b0 = 0.4, 0.1, 50.0, 0.5
    sm = Holt(SEASONAL, initialization_method="known", initial_level=l0, initial_trend=b0).fit(
        smoothing_level=a, smoothing_trend=b, optimized=False
    )
    sse, _, lev, tr = F.holt_pass(SEASONAL[None, :], np.array([a]), np.array([b]), np.array([l0]), np.array([b0]))
    assert sse[0, 0] == pytest.approx(np.sum((SEASONAL - sm.fittedvalues) ** 2), rel=1e-10)
    assert lev[0, 0] + 3 * tr[0, 0] == pytest.approx(sm.forecast(3)[-1], rel=1e-10)


def test_additive_holt_winters_recursion_equals_statsmodels():
    m = 52
    a, b, g = 0.3, 0.05, 0.2
    level0, trend0, season0 = F.hw_initial(SEASONAL[None, :], m)
    sm = ExponentialSmoothing(
        SEASONAL, trend="add", seasonal="add", seasonal_periods=m, initialization_method="known",
        initial_level=level0[0], initial_trend=trend0[0], initial_seasonal=season0[0],
    ).fit(smoothing_level=a, smoothing_trend=b, smoothing_seasonal=g, optimized=False)  # fmt: skip
    sse, _, lev, tr, seas = F.hw_pass(
        SEASONAL[None, :], np.array([a]), np.array([b]), np.array([g]), level0, trend0, season0
    )
    ours = F._seasonal_path(lev, tr, seas, 104, 8)[0]
    ref_sse = np.sum((SEASONAL - sm.fittedvalues) ** 2)
    assert sse[0, 0] == pytest.approx(ref_sse, rel=1e-9)
    np.testing.assert_allclose(ours, sm.forecast(8), rtol=1e-9)


@pytest.mark.parametrize("method", ["ses", "holt", "holt_winters"])
def test_out_of_sample_accuracy_matches_statsmodels(method):
    """Fitted on 92 weeks, forecasting the last 12: our grid-fitted model is about as accurate as
    statsmodels' optimiser (MAE within 25 % of statsmodels', or better)."""
    y, h = {"ses": NOISY, "holt": TRENDING, "holt_winters": SEASONAL_3Y}[method], 12
    train, test = y[:-h], y[-h:]
    if method == "ses":
        sm = SimpleExpSmoothing(train, initialization_method="estimated").fit()
    elif method == "holt":
        sm = Holt(train, initialization_method="estimated").fit()
    else:
        sm = ExponentialSmoothing(train, trend="add", seasonal="add", seasonal_periods=52,
                                  initialization_method="estimated").fit()  # fmt: skip
    fit = F.MODELS[method](train[None, :], 0, h, 52)
    ours = np.abs(fit.future[0] - test).mean()
    ref = np.abs(sm.forecast(h) - test).mean()
    assert ours <= ref * 1.25


def test_croston_and_sba_by_hand():
    y = np.array([[0, 0, 6, 0, 0, 0, 3, 0, 9, 0]], float)
    alpha = np.array([0.2])
    size0, interval0, _ = F._intermittent_initial(y, 10)
    assert size0[0] == 6.0 and interval0[0] == pytest.approx(10 / 3)
    z, p, q = 6.0, 10 / 3, 0
    for v in y[0]:
        q += 1
        if v > 0:
            z += 0.2 * (v - z)
            p += 0.2 * (q - p)
            q = 0
    *_, f = F.croston_pass(y, alpha, size0, interval0)
    assert f[0, 0] == pytest.approx(z / p)
    *_, f_sba = F.croston_pass(y, alpha, size0, interval0, sba=True)
    assert f_sba[0, 0] == pytest.approx(0.9 * z / p)


def test_tsb_by_hand():
    y = np.array([[0, 4, 0, 0, 8, 0]], float)
    z, pi = 6.0, 2 / 6
    for v in y[0]:
        if v > 0:
            z += 0.1 * (v - z)
        pi += 0.3 * ((v > 0) - pi)
    *_, f = F.tsb_pass(y, np.array([0.1]), np.array([0.3]), np.array([6.0]), np.array([2 / 6]))
    assert f[0, 0] == pytest.approx(pi * z)


def test_syntetos_boylan_classes():
    smooth = np.full(20, 10.0)
    erratic = np.tile([1.0, 30.0], 10)
    intermittent = np.tile([0, 0, 10.0, 0], 5)
    lumpy = np.tile([0, 1.0, 0, 40.0], 5)
    none = np.zeros(20)
    cls, adi, cv2 = F.classify_demand(np.vstack([smooth, erratic, intermittent, lumpy, none]))
    assert list(cls) == ["smooth", "erratic", "intermittent", "lumpy", "no demand"]
    assert adi[2] == pytest.approx(4.0) and adi[0] == pytest.approx(1.0)
    sizes = np.array([1.0, 30.0])
    assert cv2[1] == pytest.approx(sizes.var() / sizes.mean() ** 2)


def test_adi_cutoff_is_1_32():
    y = np.ones(100)
    y[:24] = 0  # 76 periods with demand: ADI = 100/76 = 1.316 -> not intermittent
    cls, adi, _ = F.classify_demand(y[None, :])
    assert adi[0] < 1.32 and cls[0] == "smooth"
    y[:25] = 0  # 75 with demand: ADI = 1.333
    cls, adi, _ = F.classify_demand(y[None, :])
    assert adi[0] >= 1.32 and cls[0] == "intermittent"


def test_auto_picks_seasonal_model_for_seasonal_series_and_croston_family_for_intermittent():
    intermittent = np.where(RNG.random(104) < 0.25, RNG.integers(5, 15, 104), 0).astype(float)
    res = F.forecast_series(np.vstack([SEASONAL, intermittent]), 12, 52)
    assert res.method[0] == "holt_winters"
    assert res.demand_class[1] in ("intermittent", "lumpy")
    assert res.method[1] in F.INTERMITTENT_CANDIDATES


def test_vectorised_equals_one_series_at_a_time():
    Y = np.vstack([SEASONAL, NOISY, np.r_[np.full(30, np.nan), NOISY[30:]]])
    together = F.forecast_series(Y, 6, 52)
    for i in range(len(Y)):
        alone = F.forecast_series(Y[i : i + 1], 6, 52)
        assert alone.method[0] == together.method[i]
        np.testing.assert_allclose(alone.forecast[0], together.forecast[i], rtol=1e-12)


def test_late_starting_series_is_not_padded_with_zeros():
    y = np.r_[np.full(60, np.nan), np.full(44, 20.0)]
    res = F.forecast_series(y[None, :], 4, 52, method="mean")
    np.testing.assert_allclose(res.forecast[0], 20.0)
    assert res.sigma[0] == pytest.approx(0.0)


def test_holdout_accuracy_measures():
    y = np.r_[np.full(92, 10.0), np.full(12, 12.0)]
    res = F.forecast_series(y[None, :], 12, 52, method="mean")
    # the mean of the training part (10) forecasts a hold-out of 12s: WAPE = 2/12, bias = -2/12
    assert res.wape[0] == pytest.approx(2 / 12)
    assert res.bias[0] == pytest.approx(-2 / 12)


def test_holt_winters_falls_back_to_holt_when_history_is_short():
    y = SEASONAL[:40]
    res = F.forecast_series(y[None, :], 4, 52, method="holt_winters")
    assert res.method[0] == "holt"


def test_path_rate_is_the_mean_of_the_daily_path_over_the_protection_interval():
    """Brute force: each period's forecast spread evenly over its days (the last one repeated past the
    horizon), summed over the first T days, divided by T."""
    from planner.core.forecast import path_rate

    rng = np.random.default_rng(4)
    F = rng.uniform(0, 100, (5, 6))
    F[1] = [1.1, 0, 0, 0, 79.3, 0]  # one period's spike must not drive the whole lead time
    days = np.array([14.0, 21.0, 3.5, 0.0, 60.0])
    got = path_rate(F, days, 7.0)
    for i in range(5):
        per_hour = np.repeat(np.concatenate([F[i], np.repeat(F[i, -1], 10)]) / (7 * 24), 7 * 24)
        hours = int(days[i] * 24)
        want = per_hour[:hours].sum() / days[i] if hours else F[i, 0] / 7
        assert got[i] == pytest.approx(want, rel=1e-9)
    assert got[1] == pytest.approx((1.1 + 0 + 0) / 21)
