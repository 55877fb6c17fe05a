"""Demand forecasting, vectorised across series.

Data contract: ``Y`` is a float array of shape (series, periods), oldest period first, with NaN before a
series' first observation (a new item is not padded with zeros) and 0 for periods without demand. Every
model is a small function ``fit_<method>(Y, holdout, horizon, season)`` that fits its parameters on the
training part ``Y[:, :P - holdout]`` by minimising the one-step-ahead squared error over a parameter grid
evaluated for all series at once, then replays the whole history with the chosen parameters. It returns the
hold-out forecast (from origin P - holdout), the future forecast (from origin P) and the standard deviation
of the one-step-ahead errors. ``theta``, ``damped`` and ``comb`` (their mean) run on the seasonally adjusted
series (``seasonal_indices``) and are fitted twice: on the training part for the hold-out forecast, on the
whole history for the future (``fit_family``). ``forecast_series`` is the one orchestrator (Nixtla
statsforecast style); its ``auto`` uses ``comb`` for smooth and erratic series, ``tsb`` for intermittent and
lumpy ones.

Sources: Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed. (2021), ch. 8 (SES,
Holt, additive Holt-Winters in error-correction form); Croston (1972); Syntetos & Boylan (2005) (SBA and
the ADI/CV² classification); Teunter, Syntetos & Babai (2011) (TSB); Gardner & McKenzie (1985) (damped
trend); Assimakopoulos & Nikolopoulos (2000), Hyndman & Billah (2003) (theta); Makridakis, Spiliotis &
Assimakopoulos (2020), the M4 competition (seasonality test, classical multiplicative adjustment, Comb).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from planner.core.choices import check_choice
from planner.model.settings import FORECAST_METHODS

SMOOTH_CANDIDATES = ("comb",)
INTERMITTENT_CANDIDATES = ("tsb",)
ADI_CUTOFF = 1.32  # Syntetos, Boylan & Croston (2005)
CV2_CUTOFF = 0.49
CHUNK_ROWS = 2048  # series processed together: (2048 x grid) arrays stay in cache (8192 ran 1.5x slower)


@dataclass
class Fit:
    """What one model returns for a block of series (all arrays have the block's rows first)."""

    holdout: np.ndarray  # (N, h) forecast of the hold-out periods, from origin P - h
    future: np.ndarray  # (N, H) forecast of the next H periods, from origin P
    sigma: np.ndarray  # (N,) sd of one-step-ahead errors over the whole history, per period
    params: dict[str, np.ndarray] = field(default_factory=dict)  # PARAMS entries (N,) the future was made with

    def rows(self, index: np.ndarray) -> Fit:
        """The series at ``index`` (positions)."""
        picked = {key: value[index] for key, value in self.params.items()}
        return Fit(self.holdout[index], self.future[index], self.sigma[index], picked)


# smoothing parameters kept per series (NaN where the chosen method has none): what replay_forecast holds fixed;
# family_seasonal is 1 where theta, damped and comb ran on a seasonally adjusted series, else 0
PARAMS = ("ses_alpha", "damped_alpha", "damped_beta", "damped_phi", "tsb_alpha", "tsb_beta", "family_seasonal")


def full_params(params: dict[str, np.ndarray] | None, n: int) -> dict[str, np.ndarray]:
    """Every PARAMS key for n series: the given arrays, NaN (not stored: the method is refitted) for the rest."""
    given = params or {}
    return {key: np.asarray(given[key], float) if key in given else np.full(n, np.nan) for key in PARAMS}


@dataclass
class ForecastResult:
    """Per series: chosen method, demand class, forecast per period, error sd and hold-out accuracy."""

    method: np.ndarray  # (N,) str
    demand_class: np.ndarray  # (N,) str: smooth / erratic / intermittent / lumpy / no demand
    forecast: np.ndarray  # (N, H) per period, >= 0
    sigma: np.ndarray  # (N,) sd of one-step-ahead forecast errors, per period
    wape: np.ndarray  # (N,) sum|F - A| / sum A over the hold-out (NaN when no hold-out or no demand)
    bias: np.ndarray  # (N,) sum(F - A) / sum A over the hold-out: > 0 means over-forecast
    adi: np.ndarray  # (N,) average demand interval, periods
    cv2: np.ndarray  # (N,) squared coefficient of variation of non-zero demand sizes
    params: dict[str, np.ndarray] = field(default_factory=dict)  # PARAMS, (N,) each, NaN where not used

    def rows(self, index: np.ndarray) -> ForecastResult:
        """The series at ``index`` (positions), every field and parameter."""
        picked = {f.name: getattr(self, f.name)[index] for f in fields(self) if f.name != "params"}
        return ForecastResult(**picked, params={key: value[index] for key, value in self.params.items()})


# ---------------------------------------------------------------------------------------------------------
# helpers


def _prepare(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values with NaN as 0, observed mask as float, index of each series' first observation."""
    mask = ~np.isnan(Y)
    start = np.where(mask.any(axis=1), mask.argmax(axis=1), Y.shape[1])
    return np.where(mask, Y, 0.0), mask.astype(float), start


def _first_values(Y: np.ndarray, start: np.ndarray, k: int) -> np.ndarray:
    """The first k periods from each series' start, shape (N, k), NaN past the end."""
    P = Y.shape[1]
    idx = start[:, None] + np.arange(k)[None, :]
    vals = Y[np.arange(len(Y))[:, None], np.minimum(idx, P - 1)]
    return np.where(idx < P, vals, np.nan)


def _nanmean(a: np.ndarray, axis: int = 1) -> np.ndarray:
    n = np.sum(~np.isnan(a), axis=axis)
    s = np.nansum(a, axis=axis)
    return np.divide(s, n, out=np.zeros_like(s), where=n > 0)


def _sigma(sse: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Root mean squared one-step error: sqrt(SSE / n)."""
    return np.sqrt(np.divide(sse, n, out=np.zeros_like(sse), where=n > 0))


def _pick(values: np.ndarray, best: np.ndarray) -> np.ndarray:
    """values[i, best[i]] for a (N, G) array."""
    return values[np.arange(len(values)), best]


def _grid(*axes: tuple[float, ...]) -> list[np.ndarray]:
    """Cartesian product of parameter axes, one flat (G,) array per axis."""
    return [g.ravel() for g in np.meshgrid(*[np.asarray(a, float) for a in axes], indexing="ij")]


# ---------------------------------------------------------------------------------------------------------
# models


def fit_mean(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Mean of all observations so far; one-step forecast at t is the mean of periods before t."""
    Yf, M, _ = _prepare(Y)
    P = Y.shape[1]
    cs = np.concatenate([np.zeros((len(Y), 1)), np.cumsum(Yf, axis=1)], axis=1)
    cn = np.concatenate([np.zeros((len(Y), 1)), np.cumsum(M, axis=1)], axis=1)
    f = np.divide(cs[:, :-1], cn[:, :-1], out=np.full_like(Yf, np.nan), where=cn[:, :-1] > 0)
    ok = M.astype(bool) & ~np.isnan(f)
    e = np.where(ok, Yf - np.nan_to_num(f), 0.0)
    o = P - holdout
    level_o = np.divide(cs[:, o], cn[:, o], out=np.zeros(len(Y)), where=cn[:, o] > 0)
    level = np.divide(cs[:, P], cn[:, P], out=np.zeros(len(Y)), where=cn[:, P] > 0)
    return Fit(
        np.repeat(level_o[:, None], holdout, 1),
        np.repeat(level[:, None], horizon, 1),
        _sigma((e * e).sum(1), ok.sum(1)),
    )


MA_WINDOWS = (3, 4, 6, 8, 13)


def fit_moving_average(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Mean of the last n observations; n chosen per series from MA_WINDOWS by one-step training SSE."""
    Yf, M, _ = _prepare(Y)
    N, P = Y.shape
    o = P - holdout
    cs = np.concatenate([np.zeros((N, 1)), np.cumsum(Yf, axis=1)], axis=1)
    cn = np.concatenate([np.zeros((N, 1)), np.cumsum(M, axis=1)], axis=1)
    windows = [w for w in MA_WINDOWS if w < max(o, 2)] or [1]
    t = np.arange(P)
    sse_train, sse_all, n_all, lev_o, lev = [], [], [], [], []
    for w in windows:
        lo = np.maximum(t - w, 0)
        num, den = cs[:, t] - cs[:, lo], cn[:, t] - cn[:, lo]
        f = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        ok = M.astype(bool) & (den > 0)
        e2 = np.where(ok, (Yf - f) ** 2, 0.0)
        sse_train.append(e2[:, :o].sum(1))
        sse_all.append(e2.sum(1))
        n_all.append(ok.sum(1))
        for store, at in ((lev_o, o), (lev, P)):
            d = cn[:, at] - cn[:, max(at - w, 0)]
            store.append(np.divide(cs[:, at] - cs[:, max(at - w, 0)], d, out=np.zeros(N), where=d > 0))
    best = np.argmin(np.stack(sse_train, 1), axis=1)
    pick = lambda xs: _pick(np.stack(xs, 1), best)  # noqa: E731
    return Fit(
        np.repeat(pick(lev_o)[:, None], holdout, 1),
        np.repeat(pick(lev)[:, None], horizon, 1),
        _sigma(pick(sse_all), pick(n_all)),
    )


SES_ALPHAS = tuple(np.round(np.arange(0.05, 1.0, 0.05), 2))


def ses_pass(Y: np.ndarray, alpha: np.ndarray, level0: np.ndarray, stop: int | None = None, fitted=None):
    """Simple exponential smoothing, error-correction form (FPP3 §8.1): e = y - l; l <- l + alpha * e.

    alpha has shape (G,) (a grid shared by all series) or (N, G). Returns (sse, n_errors, level) after
    period ``stop`` (default: all), each (N, G); with ``fitted`` (an (N, P) array) and G = 1 the one-step
    forecasts are written into it.
    """
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    alpha = np.broadcast_to(alpha, (len(Y), np.shape(alpha)[-1]))
    level = np.repeat(level0[:, None], alpha.shape[1], 1).astype(float)
    sse = np.zeros_like(level)
    n = np.zeros(len(Y))
    e, tmp = np.empty_like(level), np.empty_like(level)
    for t in range(int(start.min(initial=stop)), stop):
        if fitted is not None:
            fitted[:, t] = level[:, 0]
        np.subtract(Yf[:, t : t + 1], level, out=e)
        if t < start.max():  # some series not started yet: their errors are masked out
            e *= M[:, t : t + 1]
        sse += np.multiply(e, e, out=tmp)
        n += M[:, t]
        level += np.multiply(alpha, e, out=tmp)
    return sse, n, level


def _ses_best_level0(Y: np.ndarray, alpha: np.ndarray, stop: int | None) -> tuple[np.ndarray, np.ndarray]:
    """For each series and each alpha of the grid, the initial level l0 that minimises the SSE, and that SSE.

    The one-step errors are affine in l0: e_t = e_t(0) - w_t l0, w_t = (1 - alpha)^(periods observed before t),
    so SSE(l0) = a - 2 b l0 + c l0² with a = sum e_t(0)², b = sum e_t(0) w_t, c = sum w_t², all three summed in
    one pass at l0 = 0 (_ses_pass_at_zero), and l0* = b / c, SSE* = a - b² / c: the initial state estimated
    with the parameters by least squares, as ETS does (FPP3 §8.1 "optimising ... and the initial level").
    With a small alpha the level then carries the mean of the whole history rather than of its first
    periods."""
    zero, b, c = _ses_pass_at_zero(Y, alpha, stop)
    ok = c > 0
    level0 = np.divide(b, c, out=np.zeros_like(b), where=ok)
    return level0, np.maximum(np.where(ok, zero - b * level0, zero), 0.0)


def _ses_pass_at_zero(Y: np.ndarray, alpha: np.ndarray, stop: int | None) -> tuple[np.ndarray, ...]:
    """ses_pass from l0 = 0 (same masking: nothing moves before a series starts) up to ``stop``, returning
    sum e_t², sum e_t w_t and sum w_t² (N, G), w_t the weight of l0 in the level, (1 - alpha)^(periods
    observed before t) (_ses_best_level0)."""
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    alpha = np.broadcast_to(alpha, (len(Y), np.shape(alpha)[-1]))
    decay = 1.0 - alpha
    level = np.zeros(alpha.shape)
    weight = np.ones(alpha.shape)
    sse, cross, weight2 = np.zeros(alpha.shape), np.zeros(alpha.shape), np.zeros(alpha.shape)
    e, tmp = np.empty(alpha.shape), np.empty(alpha.shape)
    for t in range(int(start.min(initial=stop)), stop):
        np.subtract(Yf[:, t : t + 1], level, out=e)
        if t < start.max():  # some series not started yet: their errors and weights stay out
            m = M[:, t : t + 1]
            e *= m
            weight2 += np.multiply(np.square(weight, out=tmp), m, out=tmp)
            cross += np.multiply(e, weight, out=tmp)
            weight *= np.where(m > 0, decay, 1.0)
        else:
            weight2 += np.square(weight, out=tmp)
            cross += np.multiply(e, weight, out=tmp)
            weight *= decay
        sse += np.multiply(e, e, out=tmp)
        level += np.multiply(alpha, e, out=tmp)
    return sse, cross, weight2


def ses_params(Y: np.ndarray, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-series SES (alpha (N, 1), initial level (N,)): alpha from a 0.05-step grid refined to 0.01 around
    the best point, each with its least-squares initial level (_ses_best_level0), by the SSE of the one-step
    errors up to ``stop``."""
    grid = np.array(SES_ALPHAS)
    part = Y[:, :stop]
    scale = np.sum(~np.isnan(part), axis=1) * np.nan_to_num(np.nanmax(np.square(part), axis=1, initial=0.0))
    _, sse = _ses_best_level0(Y, grid, stop)
    coarse = grid[_least_within_rounding(sse, scale)]
    fine = np.clip(coarse[:, None] + np.arange(-0.04, 0.041, 0.01)[None, :], 0.01, 0.99)
    level0, sse = _ses_best_level0(Y, fine, stop)
    best = _least_within_rounding(sse, scale)
    return _pick(fine, best)[:, None], _pick(level0, best)


SSE_TIE = 1e-9  # relative to n max y²: SSEs this close are rounding apart (a constant series fits every alpha)


def _least_within_rounding(sse: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Per row, the first column (the smallest alpha of an increasing grid) whose SSE is within SSE_TIE x
    ``scale`` (n max y², which bounds the sums _ses_best_level0's least squares subtracts, so their rounding)
    of the row's least: where the grid fits equally well (a constant series: every SSE is rounding off 0) the
    smoothest model, not whichever column the rounding favoured."""
    least = np.min(sse, axis=1, keepdims=True)
    return np.argmax(sse <= least + SSE_TIE * np.asarray(scale, float)[:, None], axis=1)


def fit_ses(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """SES with alpha and initial level by training SSE (ses_params)."""
    o = Y.shape[1] - holdout
    alpha, l0 = ses_params(Y, o)
    _, _, lev_o = ses_pass(Y, alpha, l0, o)
    sse_all, n_all, lev = ses_pass(Y, alpha, l0)
    return Fit(
        np.repeat(lev_o, holdout, 1),
        np.repeat(lev, horizon, 1),
        _sigma(sse_all[:, 0], n_all),
    )


HOLT_GRID = _grid((0.01, 0.05, 0.1, 0.2, 0.35, 0.6, 0.9), (0.0, 0.02, 0.1, 0.25))


def holt_pass(Y, alpha, beta, level0, trend0, stop=None):
    """Holt's linear trend, error-correction form (FPP3 §8.2): f = l + b; e = y - f;
    l <- l + b + alpha*e; b <- b + alpha*beta*e. Returns (sse, n, level, trend), each (N, G)."""
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    G = np.shape(alpha)[-1]
    alpha = np.broadcast_to(alpha, (len(Y), G))
    ab = alpha * np.broadcast_to(beta, (len(Y), G))
    level = np.repeat(level0[:, None], G, 1).astype(float)
    trend = np.repeat(trend0[:, None], G, 1).astype(float)
    sse = np.zeros_like(level)
    n = np.zeros(len(Y))
    e, tmp = np.empty_like(level), np.empty_like(level)
    for t in range(int(start.min(initial=stop)), stop):
        partial = t < start.max()  # some series not started yet: masked (in-place ops, same arithmetic)
        np.subtract(Yf[:, t : t + 1], level, out=e)
        e -= trend
        if partial:
            e *= M[:, t : t + 1]
        sse += np.multiply(e, e, out=tmp)
        n += M[:, t]
        np.multiply(alpha, e, out=tmp)
        tmp += trend
        if partial:
            tmp *= M[:, t : t + 1]  # state frozen before the series starts
        level += tmp
        trend += np.multiply(ab, e, out=tmp)
    return sse, n, level, trend


def holt_initial(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line through the observations of Y (pass the training part): trend0 = its slope,
    level0 = its value one period before the first observation. Like statsmodels' estimated start, small
    alpha and beta then reproduce a global trend line."""
    _, _, start = _prepare(Y)
    k = Y.shape[1]
    first = _first_values(Y, start, k)
    t = np.where(np.isnan(first), np.nan, np.arange(k, dtype=float)[None, :])
    tm, ym = _nanmean(t), _nanmean(first)
    dt = np.nan_to_num(t - tm[:, None])
    sxx = np.sum(dt * dt, axis=1)
    slope = np.divide(np.sum(dt * np.nan_to_num(first - ym[:, None]), axis=1), sxx, out=np.zeros(len(Y)),
                      where=sxx > 0)  # fmt: skip
    return ym - slope * (tm + 1.0), slope


def fit_holt(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Holt's linear trend with (alpha, beta) from HOLT_GRID by training SSE, started by holt_initial."""
    o = Y.shape[1] - holdout
    l0, b0 = holt_initial(Y[:, :o])
    a, b = HOLT_GRID
    sse, _, _, _ = holt_pass(Y, a, b, l0, b0, o)
    best = np.argmin(sse, axis=1)
    a, b = a[best][:, None], b[best][:, None]
    _, _, lo, bo = holt_pass(Y, a, b, l0, b0, o)
    sse_all, n_all, lev, tr = holt_pass(Y, a, b, l0, b0)
    return Fit(
        lo + bo * np.arange(1, holdout + 1)[None, :],
        lev + tr * np.arange(1, horizon + 1)[None, :],
        _sigma(sse_all[:, 0], n_all),
    )


HW_GRID = _grid((0.02, 0.1, 0.25, 0.5), (0.0, 0.05), (0.02, 0.1, 0.3))


def hw_pass(Y, alpha, beta, gamma, level0, trend0, season0, stop=None):
    """Additive Holt-Winters, error-correction form (FPP3 §8.3), season length m = season0.shape[1]:
    f = l + b + s[t-m]; e = y - f; l <- l + b + alpha*e; b <- b + alpha*beta*e; s[t] = s[t-m] + gamma*e.
    season0[:, j] is the seasonal term of the phase t mod m == j. Returns (sse, n, level, trend, season)
    with season (m, N, G) so that each phase is one contiguous block."""
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    N, m = season0.shape
    G = np.shape(alpha)[-1]
    alpha = np.broadcast_to(alpha, (N, G))
    ab = alpha * np.broadcast_to(beta, (N, G))
    gamma = np.broadcast_to(gamma, (N, G))
    level = np.repeat(level0[:, None], G, 1).astype(float)
    trend = np.repeat(trend0[:, None], G, 1).astype(float)
    seas = np.repeat(season0.T[:, :, None], G, 2).astype(float)
    sse = np.zeros_like(level)
    n = np.zeros(N)
    e, tmp = np.empty_like(level), np.empty_like(level)
    for t in range(int(start.min(initial=stop)), stop):
        j = t % m
        partial = t < start.max()  # some series not started yet: masked (in-place ops, same arithmetic)
        np.subtract(Yf[:, t : t + 1], level, out=e)
        e -= trend
        e -= seas[j]
        if partial:
            e *= M[:, t : t + 1]
        sse += np.multiply(e, e, out=tmp)
        n += M[:, t]
        np.multiply(alpha, e, out=tmp)
        tmp += trend
        if partial:
            tmp *= M[:, t : t + 1]
        level += tmp
        trend += np.multiply(ab, e, out=tmp)
        seas[j] += np.multiply(gamma, e, out=tmp)
    return sse, n, level, trend, seas


def hw_initial(Y: np.ndarray, m: int, seasons: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classical-decomposition start over the first complete seasons (up to 3; FPP3 §3.4, §8.3):
    trend0 = (mean of the last used season - mean of the first) / (m x seasons apart), 0 with one season;
    level0 = first season's mean - trend0 (m + 1) / 2, the level one period before the first observation;
    s_j = mean over seasons of (value - season mean - trend0 (j - (m - 1) / 2)), placed by phase t mod m."""
    _, _, start = _prepare(Y)
    vals = _first_values(Y, start, seasons * m).reshape(len(Y), seasons, m)
    complete = ~np.isnan(vals).any(axis=2)  # (N, seasons)
    complete[:, 0] = True  # the first season is always used, zero-filled past the end
    vals[:, 0, :] = np.nan_to_num(vals[:, 0, :])
    n_full = np.argmin(np.c_[complete, np.zeros(len(Y), bool)], axis=1)  # leading complete seasons
    used = np.arange(seasons)[None, :] < n_full[:, None]
    means = np.where(used, np.nan_to_num(vals).mean(axis=2), 0.0)
    last = means[np.arange(len(Y)), n_full - 1]
    trend0 = np.where(n_full > 1, (last - means[:, 0]) / (m * np.maximum(n_full - 1, 1)), 0.0)
    level0 = means[:, 0] - trend0 * (m + 1) / 2
    within = trend0[:, None, None] * (np.arange(m) - (m - 1) / 2)[None, None, :]
    dev = np.where(used[:, :, None], np.nan_to_num(vals) - means[:, :, None] - within, 0.0).sum(1) / n_full[:, None]
    phase = (start[:, None] + np.arange(m)[None, :]) % m
    season0 = np.zeros((len(Y), m))
    np.put_along_axis(season0, phase, dev, axis=1)
    return level0, trend0, season0


def _seasonal_path(level, trend, seas, origin: int, steps: int) -> np.ndarray:
    """l + k*b + s[(origin + k - 1) mod m] for k = 1..steps; level/trend (N, 1), seas (m, N, 1)."""
    m = seas.shape[0]
    k = np.arange(1, steps + 1)
    return level + trend * k[None, :] + seas[(origin + k - 1) % m, :, 0].T


def fit_holt_winters(Y: np.ndarray, holdout: int, horizon: int, season: int = 52) -> Fit:
    """Additive Holt-Winters with (alpha, beta, gamma) from HW_GRID by training SSE."""
    P = Y.shape[1]
    o = P - holdout
    init = hw_initial(Y[:, :o], season)
    a, b, g = HW_GRID
    sse = hw_pass(Y, a, b, g, *init, o)[0]
    best = np.argmin(sse, axis=1)
    a, b, g = a[best][:, None], b[best][:, None], g[best][:, None]
    _, _, lo, bo, so = hw_pass(Y, a, b, g, *init, o)
    sse_all, n_all, lev, tr, se = hw_pass(Y, a, b, g, *init)
    return Fit(
        _seasonal_path(lo, bo, so, o, holdout),
        _seasonal_path(lev, tr, se, P, horizon),
        _sigma(sse_all[:, 0], n_all),
    )


CROSTON_ALPHAS = (0.05, 0.1, 0.15, 0.2, 0.3)


def croston_pass(Y, alpha, size0, interval0, stop=None, sba=False):
    """Croston's method: on a period with demand y > 0 after q periods, z <- z + alpha*(y - z) and
    p <- p + alpha*(q - p); forecast z/p, times (1 - alpha/2) for SBA (Syntetos & Boylan 2005).
    Returns (sse, n, size, interval, q), each (N, G)."""
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    N, G = len(Y), np.shape(alpha)[-1]
    alpha = np.broadcast_to(alpha, (N, G))
    factor = 1 - alpha / 2 if sba else 1.0
    z = np.repeat(size0[:, None], G, 1).astype(float)
    p = np.repeat(interval0[:, None], G, 1).astype(float)
    q = np.zeros((N, G))
    sse = np.zeros((N, G))
    n = np.zeros(N)
    for t in range(int(start.min(initial=stop)), stop):
        y, mt = Yf[:, t : t + 1], M[:, t : t + 1]
        e = (y - factor * z / p) * mt
        sse += e * e
        n += M[:, t]
        q += mt
        hit = (y > 0) & (mt > 0)
        z = np.where(hit, z + alpha * (y - z), z)
        p = np.where(hit, p + alpha * (q - p), p)
        q = np.where(hit, 0.0, q)
    return sse, n, z, p, factor * z / p


def _intermittent_initial(Y: np.ndarray, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """size0 = mean non-zero demand, interval0 = ADI, prob0 = 1/ADI, all on the first `stop` periods."""
    Yt = Y[:, :stop]
    nz = np.nansum(Yt > 0, axis=1)
    obs = np.sum(~np.isnan(Yt), axis=1)
    size0 = np.divide(np.nansum(Yt, axis=1), nz, out=np.zeros(len(Y)), where=nz > 0)
    interval0 = np.divide(obs, nz, out=np.ones(len(Y)), where=nz > 0)
    return size0, np.maximum(interval0, 1.0), 1.0 / np.maximum(interval0, 1.0)


def _fit_croston(Y: np.ndarray, holdout: int, horizon: int, sba: bool) -> Fit:
    o = Y.shape[1] - holdout
    size0, interval0, _ = _intermittent_initial(Y, max(o, 1))
    grid = np.array(CROSTON_ALPHAS)
    sse = croston_pass(Y, grid, size0, interval0, o, sba)[0]
    alpha = grid[np.argmin(sse, axis=1)][:, None]
    f_o = croston_pass(Y, alpha, size0, interval0, o, sba)[-1]
    sse_all, n_all, *_, f = croston_pass(Y, alpha, size0, interval0, None, sba)
    return Fit(np.repeat(f_o, holdout, 1), np.repeat(f, horizon, 1), _sigma(sse_all[:, 0], n_all))


def fit_croston(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Croston (1972), alpha shared by size and interval, from CROSTON_ALPHAS by training SSE."""
    return _fit_croston(Y, holdout, horizon, sba=False)


def fit_sba(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Syntetos-Boylan approximation: Croston's forecast times (1 - alpha/2), removing its bias."""
    return _fit_croston(Y, holdout, horizon, sba=True)


TSB_ALPHAS, TSB_BETAS = (0.05, 0.1, 0.2, 0.3), (0.02, 0.05, 0.1, 0.2)
TSB_GRID = _grid(TSB_ALPHAS, TSB_BETAS)


def tsb_pass(Y, alpha, beta, size0, prob0, stop=None):
    """TSB (Teunter, Syntetos & Babai 2011): every period pi <- pi + beta*(1[y>0] - pi); on demand
    z <- z + alpha*(y - z); forecast pi*z. Returns (sse, n, forecast), each (N, G)."""
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    N, G = len(Y), np.shape(alpha)[-1]
    alpha = np.broadcast_to(alpha, (N, G))
    beta = np.broadcast_to(beta, (N, G))
    z = np.repeat(size0[:, None], G, 1).astype(float)
    pi = np.repeat(prob0[:, None], G, 1).astype(float)
    sse = np.zeros((N, G))
    n = np.zeros(N)
    for t in range(int(start.min(initial=stop)), stop):
        y, mt = Yf[:, t : t + 1], M[:, t : t + 1]
        e = (y - pi * z) * mt
        sse += e * e
        n += M[:, t]
        hit = (y > 0) & (mt > 0)
        z = np.where(hit, z + alpha * (y - z), z)
        pi += beta * (hit - pi) * mt
    return sse, n, pi * z


def tsb_grid_sse(Y, alphas, betas, size0, prob0, stop=None) -> np.ndarray:
    """tsb_pass's SSE (N, len(alphas) x len(betas)) over the grid of every alpha with every beta, in _grid's
    order (alpha major): the size level depends on alpha alone and the probability on beta alone, so each is
    smoothed once per value (N, A) and (N, B) and only the forecasts pi x z and their errors take the whole
    grid, the same arithmetic as tsb_pass on the flat grid at about half the work."""
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    alphas, betas = np.asarray(alphas, float)[None, :], np.asarray(betas, float)[None, :]
    z = np.repeat(size0[:, None], alphas.shape[1], 1).astype(float)
    pi = np.repeat(prob0[:, None], betas.shape[1], 1).astype(float)
    sse = np.zeros((len(Y), alphas.shape[1], betas.shape[1]))
    e = np.empty_like(sse)
    for t in range(int(start.min(initial=stop)), stop):
        y, mt = Yf[:, t : t + 1], M[:, t : t + 1]
        np.multiply(pi[:, None, :], z[:, :, None], out=e)
        np.subtract(y[:, :, None], e, out=e)
        e *= mt[:, :, None]
        sse += np.square(e, out=e)
        hit = (y > 0) & (mt > 0)
        z = np.where(hit, z + alphas * (y - z), z)
        pi += betas * (hit - pi) * mt
    return sse.reshape(len(Y), -1)


def fit_tsb(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """TSB with (alpha, beta) from TSB_GRID (TSB_ALPHAS x TSB_BETAS) by training SSE."""
    o = Y.shape[1] - holdout
    size0, _, prob0 = _intermittent_initial(Y, max(o, 1))
    a, b = TSB_GRID
    best = np.argmin(tsb_grid_sse(Y, TSB_ALPHAS, TSB_BETAS, size0, prob0, o), axis=1)
    a, b = a[best][:, None], b[best][:, None]
    f_o = tsb_pass(Y, a, b, size0, prob0, o)[-1]
    sse_all, n_all, f = tsb_pass(Y, a, b, size0, prob0)
    params = {"tsb_alpha": a[:, 0], "tsb_beta": b[:, 0]}
    return Fit(np.repeat(f_o, holdout, 1), np.repeat(f, horizon, 1), _sigma(sse_all[:, 0], n_all), params)


# ---------------------------------------------------------------------------------------------------------
# seasonal adjustment and the deseasonalised family (theta, damped, comb)

SEASONALITY_Z = 1.645  # 90 % two-sided normal quantile of the ACF seasonality test (M4 benchmarks)
SHORT_HISTORY_Z = 3.09  # 99.9 % one-sided: the white-noise test for histories of 2 to 3 seasons


def seasonality_test(Y: np.ndarray, season: int) -> np.ndarray:
    """True where the series is seasonal with period m = season, from r_k, the lag-k autocorrelation of the
    observations, and n, their number. Never under two full seasons (n < 2m). With at least three seasons,
    the 90 % test of the M4 competition's benchmarks (Makridakis et al. 2020): |r_m| > 1.645 sqrt((1 + 2
    sum_{k<m} r_k²) / n) (Bartlett's standard error). With two to three seasons (two years of weekly data)
    that bound is too wide to pass (a strong season's own r_k, k < m, inflate it) and each seasonal index
    rests on one or two ratios, so a false alarm is costly: r_m > 3.09 sqrt(n - m) / n, the one-sided 99.9 %
    bound of r_m for white noise (n - m products)."""
    Yf, M, _ = _prepare(Y)
    n = M.sum(1)
    if season < 2 or Y.shape[1] < 2 * season:
        return np.zeros(len(Y), bool)
    x = (Yf - _nanmean(Y)[:, None]) * M
    denom = np.sum(x * x, axis=1)
    r = np.stack([np.sum(x[:, k:] * x[:, :-k], axis=1) for k in range(1, season + 1)], axis=1)
    r = np.divide(r, denom[:, None], out=np.zeros_like(r), where=denom[:, None] > 0)
    bartlett = SEASONALITY_Z * np.sqrt((1 + 2 * np.sum(r[:, :-1] ** 2, axis=1)) / np.maximum(n, 1))
    white_noise = SHORT_HISTORY_Z * np.sqrt(np.maximum(n - season, 1)) / np.maximum(n, 1)
    passed = np.where(n < 3 * season, r[:, -1] > white_noise, np.abs(r[:, -1]) > bartlett)
    return (n >= 2 * season) & passed


def seasonal_indices(Y: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """Classical decomposition (FPP3 §3.4): the centred moving average of order m (2 x m when m is even)
    estimates the trend-cycle; the seasonal index of phase j = t mod m is the mean over the periods of that
    phase of y / trend (multiplicative, where every observation is > 0; normalised to mean 1) or of
    y - trend (additive otherwise; normalised to mean 0). Series that fail ``seasonality_test`` get the
    neutral index. Returns (index (N, m) by absolute phase t mod m, multiplicative (N,) bool)."""
    N, P = Y.shape
    m = max(int(season), 1)
    Yf, M, _ = _prepare(Y)
    positive = np.all(np.where(M > 0, Yf > 0, True), axis=1)
    seasonal = seasonality_test(Y, m)
    index = np.where(positive[:, None], 1.0, 0.0) * np.ones((N, m))
    if not seasonal.any():
        return index, positive
    rows = np.flatnonzero(seasonal)
    index[rows] = _decomposition_indices(Yf[rows], M[rows], m, positive[rows])
    return index, positive


def _decomposition_indices(Yf: np.ndarray, M: np.ndarray, m: int, positive: np.ndarray) -> np.ndarray:
    """The classical decomposition's indices (N, m) of ``seasonal_indices`` (values Yf, observed mask M)."""
    N, P = Yf.shape
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    w = len(weights)
    trend = np.lib.stride_tricks.sliding_window_view(Yf, w, axis=1) @ weights  # (N, P - w + 1)
    full = np.lib.stride_tricks.sliding_window_view(M, w, axis=1).min(axis=2) > 0
    y = Yf[:, w // 2 : P - w // 2]
    ratio = np.where(positive[:, None], np.divide(y, trend, out=np.ones_like(y), where=trend > 0), y - trend)
    cols = -(-P // m) * m  # ratios placed at their period t, padded to whole seasons: phase = column mod m
    placed, valid = np.zeros((N, cols)), np.zeros((N, cols))
    placed[:, w // 2 : P - w // 2] = np.where(full, ratio, 0.0)
    valid[:, w // 2 : P - w // 2] = full
    total, count = placed.reshape(N, -1, m).sum(1), valid.reshape(N, -1, m).sum(1)
    neutral = np.where(positive, 1.0, 0.0)[:, None]
    raw = np.divide(total, count, out=np.broadcast_to(neutral, (N, m)).copy(), where=count > 0)
    mean = raw.mean(1, keepdims=True)
    return np.where(positive[:, None], raw / np.where(mean > 0, mean, 1.0), raw - mean)


DAMPED_GRID = _grid((0.05, 0.2, 0.5), (0.02, 0.15), (0.8, 0.9, 0.98))
DAMPED_REFINE = _grid((0.7, 1.4), (0.5, 2.0), (-0.03, 0.03))  # x alpha, x beta, + phi around the best


def damped_pass(Y, alpha, beta, phi, level0, trend0, stop=None, fitted=None):
    """Additive damped trend (Gardner & McKenzie 1985; FPP3 §8.2), error-correction form: f = l + phi*b;
    e = y - f; l <- l + phi*b + alpha*e; b <- phi*b + alpha*beta*e. Parameters (G,) or (N, G). Returns
    (sse, n, level, trend), each (N, G); with ``fitted`` ((N, P)) and G = 1 the one-step forecasts go there."""
    Yf, M, start = _prepare(Y)
    stop = Y.shape[1] if stop is None else stop
    N = len(Y)
    G = max(np.shape(alpha)[-1], np.shape(beta)[-1], np.shape(phi)[-1])
    alpha, beta, phi = (np.broadcast_to(v, (N, G)) for v in (alpha, beta, phi))
    ab = alpha * beta
    level = np.repeat(level0[:, None], G, 1).astype(float)
    trend = np.repeat(trend0[:, None], G, 1).astype(float)
    sse, n = np.zeros((N, G)), np.zeros(N)
    damped, e, tmp = np.empty_like(level), np.empty_like(level), np.empty_like(level)
    for t in range(int(start.min(initial=stop)), stop):
        np.multiply(phi, trend, out=damped)
        np.add(level, damped, out=tmp)  # the one-step forecast
        if fitted is not None:
            fitted[:, t] = tmp[:, 0]
        np.subtract(Yf[:, t : t + 1], tmp, out=e)
        if t < start.max():  # some series not started yet: errors masked, state frozen
            mt = M[:, t : t + 1]
            e *= mt
            trend += (damped - trend) * mt  # phi*b where started, b before
            level += (damped + alpha * e) * mt
            trend += ab * e
        else:
            level += damped
            level += np.multiply(alpha, e, out=tmp)
            np.multiply(ab, e, out=trend)
            trend += damped
        sse += np.multiply(e, e, out=tmp)
        n += M[:, t]
    return sse, n, level, trend


def damped_path(level: np.ndarray, trend: np.ndarray, phi: np.ndarray, steps: int) -> np.ndarray:
    """l + (phi + phi² + ... + phi^k) b for k = 1..steps; level, trend, phi (N, 1)."""
    return level + trend * np.cumsum(phi ** np.arange(1, steps + 1)[None, :], axis=1)


def damped_params(A: np.ndarray, level0: np.ndarray, trend0: np.ndarray) -> tuple[np.ndarray, ...]:
    """(alpha, beta, phi), each (N, 1): DAMPED_GRID, then the best of it and the 8 points of DAMPED_REFINE
    around it, by the SSE of the one-step errors."""
    a, b, p = DAMPED_GRID
    best = np.argmin(damped_pass(A, a, b, p, level0, trend0)[0], axis=1)
    a, b, p = a[best][:, None], b[best][:, None], p[best][:, None]
    ra, rb, rp = (g[None, :] for g in DAMPED_REFINE)
    a = np.c_[a, np.clip(a * ra, 0.01, 0.99)]
    b = np.c_[b, np.clip(b * rb, 0.0, 1.0)]
    p = np.c_[p, np.clip(p + rp, 0.7, 0.995)]
    best = np.argmin(damped_pass(A, a, b, p, level0, trend0)[0], axis=1)
    return _pick(a, best)[:, None], _pick(b, best)[:, None], _pick(p, best)[:, None]


TREND_T = 3.0  # |t| of the least-squares slope at and above which comb extrapolates a trend


def trend_t(A: np.ndarray, level0: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """t statistic of the least-squares slope b of each series (holt_initial's line l0 + b (t + 1) over the
    observed periods): |b| / (s_e / sqrt(Sxx)), s_e² = residual sum of squares / (n - 2) (ordinary least
    squares; any standard regression text). 0 with fewer than 3 observations."""
    _, M, start = _prepare(A)
    t = np.arange(A.shape[1])[None, :] - start[:, None]
    resid = np.where(M > 0, np.nan_to_num(A) - (level0[:, None] + slope[:, None] * (t + 1.0)), 0.0)
    n = M.sum(1)
    s2 = np.divide((resid**2).sum(1), n - 2, out=np.zeros(len(A)), where=n > 2)
    tm = np.divide((t * M).sum(1), n, out=np.zeros(len(A)), where=n > 0)
    sxx = (((t - tm[:, None]) ** 2) * M).sum(1)
    se = np.sqrt(np.divide(s2, sxx, out=np.zeros(len(A)), where=sxx > 0))
    exact = (se == 0) & (np.abs(slope) > 0) & (n > 2)  # a perfect line: infinitely significant
    t_stat = np.divide(np.abs(slope), se, out=np.zeros(len(A)), where=se > 0)
    return np.where(exact, np.inf, t_stat)


CONSTANT_ALPHA = 1e-6  # SES at this alpha is the constant level: the mean of the observations (its LS start)


def constant_level_where_better(A: np.ndarray, alpha: np.ndarray, l0: np.ndarray,
                                rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """SES (alpha (N, 1), l0 (N,)) replaced by the constant level (alpha = CONSTANT_ALPHA, l0 its least-squares
    start: the mean) on the ``rows`` where the constant model's corrected Akaike criterion is no worse than SES's:
    AICc = n log(SSE / n) + 2k + 2k(k + 1) / (n - k - 1) (Hurvich & Tsai 1989; FPP3 §8.6, which counts the
    error variance as a parameter), k = 2 (the mean, sigma²) against 3 (alpha, l0, sigma²), SSE the one-step
    errors of SES and the residuals about the mean over the observed periods. _family_fit asks it for series
    without a trend (TREND_T): on stationary demand an alpha that the sum of squares picks above the floor
    follows the noise (2 years of weekly lognormal demand, CV 1.2 a day: 4 % of series, their level off by
    15 % rms against 5 %), which the constant level does not; a level that moves (a step, a drift too small
    for a trend) keeps SES. The price: on M3 monthly it moves 179 series to the constant level and MASE from
    0.859 to 0.862 (business series' levels persist more than 50 months show), still ahead of AutoETS's
    0.863. theta shares SES's alpha: on such a row it is the mean plus half the least-squares slope's drift,
    (1 - (1 - alpha)^n) / alpha = n as alpha -> 0."""
    sse = ses_pass(A, alpha, l0)[0][:, 0]
    n = np.sum(~np.isnan(A), axis=1)
    mean = np.nan_to_num(_nanmean(A))
    sse_mean = np.nansum((A - mean[:, None]) ** 2, axis=1)

    def aicc(sse_k: np.ndarray, k: int) -> np.ndarray:
        return (
            n * np.log(np.maximum(sse_k, 1e-300) / np.maximum(n, 1))
            + 2 * k
            + 2 * k * (k + 1) / np.maximum(n - k - 1, 1)
        )

    constant = rows & (n > 4) & (aicc(sse_mean, 2) <= aicc(sse, 3))
    level0 = _ses_best_level0(A, np.array([CONSTANT_ALPHA]), None)[0][:, 0]  # the mean, as replay_forecast finds it
    return np.where(constant[:, None], CONSTANT_ALPHA, alpha), np.where(constant, level0, l0)


def theta_path(level: np.ndarray, alpha: np.ndarray, slope: np.ndarray, n: np.ndarray, steps) -> np.ndarray:
    """Theta method (Assimakopoulos & Nikolopoulos 2000) in Hyndman & Billah's (2003) form, SES with drift:
    F(k) = l_n + (b0 / 2) (k - 1 + 1/alpha - (1 - alpha)^n / alpha), l_n the SES level after n observations,
    b0 the least-squares slope of the series (theta = 2). ``steps`` an int (k = 1..steps) or a (k,) array."""
    k = np.arange(1, steps + 1) if np.ndim(steps) == 0 else np.asarray(steps, float)
    drift = k[None, :] - 1 + (1 - (1 - alpha) ** n[:, None]) / alpha
    return level + slope[:, None] / 2 * drift


def _reseason(x: np.ndarray, index: np.ndarray, multiplicative: np.ndarray) -> np.ndarray:
    return np.where(multiplicative[:, None], x * index, x + index)


def _family_fit(Y: np.ndarray, horizon: int, season: int,
                fixed: dict[str, np.ndarray] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """theta, damped and comb fitted on all of Y: (future (N, horizon), sigma (N,)) each, and under "params"
    the smoothing parameters (PARAMS). With ``fixed`` (those parameters per row) they are kept and only
    the seasonal indices and the initial states are estimated on Y (replay_forecast). The series is
    seasonally adjusted by ``seasonal_indices``, SES (alpha and initial level), damped trend (alpha, beta,
    phi) and theta (SES alpha, least-squares slope) are fitted on the adjusted series by one-step SSE,
    forecasts are re-seasonalised (multiplied by the index, or added); comb is the mean of damped and theta, a
    forecast combination in the spirit of the M4 Comb benchmark (SES, Holt, damped; Makridakis et al. 2020),
    theta standing for SES and Holt, where the series' least-squares slope is significant (trend_t >= TREND_T);
    elsewhere comb is the SES level alone: extrapolating a slope that noise can explain only adds its error
    (stationary weekly demand, 2 years: level error 5.8 % against 8.8 % for erratic series, 1.5 % against
    2.0 % for smooth ones; M3 monthly MASE 0.859 against 0.856 with every slope extrapolated, AutoETS 0.863;
    benchmarks/forecast_m3.py).
    sigma: root mean square of the one-step errors y - reseasonalised one-step forecast over the history."""
    N, P = Y.shape
    index, mult = seasonal_indices(Y, season)
    m = index.shape[1]
    past, future = index[:, np.arange(P) % m], index[:, np.arange(P, P + horizon) % m]
    A = np.where(mult[:, None], Y / np.where(past > 0, past, 1.0), Y - past)
    dl0, slope = holt_initial(A)
    flat = (trend_t(A, dl0, slope) < TREND_T)[:, None]  # no trend worth extrapolating: the level alone (SES)
    if fixed is None:
        alpha, l0 = constant_level_where_better(A, *ses_params(A), flat[:, 0])
        a, b, p = damped_params(A, dl0, slope)
    else:
        alpha = fixed["ses_alpha"][:, None]
        l0 = _ses_best_level0(A, alpha, None)[0][:, 0]
        a, b, p = (fixed[key][:, None] for key in ("damped_alpha", "damped_beta", "damped_phi"))
    fit_ses_, fit_damped = np.zeros((N, P)), np.zeros((N, P))
    _, n, level = ses_pass(A, alpha, l0, fitted=fit_ses_)
    _, _, dlev, dtr = damped_pass(A, a, b, p, dl0, slope, fitted=fit_damped)
    _, M, start = _prepare(Y)
    seen = np.clip(np.arange(P)[None, :] - start[:, None], 0, None)  # observations before period t
    fit_theta = fit_ses_ + slope[:, None] / 2 * (1 - (1 - alpha) ** seen) / alpha
    paths = {"damped": damped_path(dlev, dtr, p, horizon), "theta": theta_path(level, alpha, slope, n, horizon)}
    fits = {"damped": fit_damped, "theta": fit_theta}
    paths["comb"] = np.where(flat, level, (paths["damped"] + paths["theta"]) / 2)
    fits["comb"] = np.where(flat, fit_ses_, (fit_damped + fit_theta) / 2)
    Yf = np.nan_to_num(Y)
    out = {}
    for name in FAMILY:
        err = (Yf - _reseason(fits[name], past, mult)) * M
        out[name] = _reseason(paths[name], future, mult), _sigma((err * err).sum(1), M.sum(1))
    seasonal = np.any(index != np.where(mult, 1.0, 0.0)[:, None], axis=1).astype(float)
    out["params"] = dict(zip(PARAMS[:4], (alpha[:, 0], a[:, 0], b[:, 0], p[:, 0]), strict=True))
    out["params"]["family_seasonal"] = seasonal
    return out


FAMILY = ("theta", "damped", "comb")


def fit_family(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> dict[str, Fit]:
    """The family's Fits: hold-out forecasts from a fit on the training part, future forecasts and sigma from
    a fit on the whole history (parameters re-chosen, so the future uses the latest periods too)."""
    whole = _family_fit(Y, horizon, season)
    train = _family_fit(Y[:, : Y.shape[1] - holdout], holdout, season) if holdout else None
    none = np.zeros((len(Y), 0))
    return {name: Fit(train[name][0] if train else none, *whole[name], whole["params"]) for name in FAMILY}


def fit_theta(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Theta on the seasonally adjusted series (see _family_fit)."""
    return fit_family(Y, holdout, horizon, season)["theta"]


def fit_damped(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Damped trend on the seasonally adjusted series (see _family_fit)."""
    return fit_family(Y, holdout, horizon, season)["damped"]


def fit_comb(Y: np.ndarray, holdout: int, horizon: int, season: int = 1) -> Fit:
    """Mean of SES, damped trend and theta on the seasonally adjusted series (see _family_fit)."""
    return fit_family(Y, holdout, horizon, season)["comb"]


MODELS: dict[str, Callable[..., Fit]] = {
    "mean": fit_mean,
    "moving_average": fit_moving_average,
    "ses": fit_ses,
    "holt": fit_holt,
    "holt_winters": fit_holt_winters,
    "croston": fit_croston,
    "sba": fit_sba,
    "tsb": fit_tsb,
    "theta": fit_theta,
    "damped": fit_damped,
    "comb": fit_comb,
}
METHODS = tuple(MODELS)  # FORECAST_METHODS (the Settings' choices) is "auto" and these


# ---------------------------------------------------------------------------------------------------------
# classification and orchestration


def classify_demand(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Syntetos-Boylan-Croston classes from ADI = observed periods / periods with demand and
    CV² = (sd / mean)² of the non-zero demand sizes: smooth (ADI < 1.32, CV² < 0.49), erratic
    (ADI < 1.32, CV² >= 0.49), intermittent (ADI >= 1.32, CV² < 0.49), lumpy (both high).
    Returns (class, adi, cv2)."""
    obs = np.sum(~np.isnan(Y), axis=1)
    pos = np.where(Y > 0, Y, np.nan)
    nz = np.sum(~np.isnan(pos), axis=1)
    adi = np.divide(obs, nz, out=np.full(len(Y), np.inf), where=nz > 0)
    mean = _nanmean(pos)
    sq = np.nansum(np.where(np.isnan(pos), 0.0, (pos - mean[:, None]) ** 2), axis=1)
    var = np.divide(sq, nz, out=np.zeros(len(Y)), where=nz > 0)  # population variance of sizes
    cv2 = np.divide(var, mean**2, out=np.zeros(len(Y)), where=mean > 0)
    high_adi, high_cv = adi >= ADI_CUTOFF, cv2 >= CV2_CUTOFF
    cls = np.select(
        [nz == 0, ~high_adi & ~high_cv, ~high_adi & high_cv, high_adi & ~high_cv],
        ["no demand", "smooth", "erratic", "intermittent"],
        "lumpy",
    )
    return cls, adi, cv2


def holdout_length(periods: int, horizon: int) -> int:
    """Hold-out periods used to choose and score methods: min(horizon, periods // 4), 0 if under 8."""
    return 0 if periods < 8 else int(min(horizon, periods // 4))


def forecast_series(
    Y: np.ndarray,
    horizon: int,
    season: int,
    method: str | np.ndarray = "auto",
    holdout: int | None = None,
) -> ForecastResult:
    """Forecast every row of Y (series x periods). ``method`` is one name for all series, or an array of
    names per series (the names ``auto`` returns in ``method``, passed back, give the same forecasts);
    ``auto`` uses ``comb`` for series whose training part is smooth or erratic and ``tsb`` for intermittent and
    lumpy ones (where the candidate lists hold more than one name, the smallest hold-out absolute error
    picks). A name
    outside FORECAST_METHODS raises ChoiceError naming it and the allowed ones."""
    Y = np.asarray(Y, dtype=float)
    N, P = Y.shape
    h = holdout_length(P, horizon) if holdout is None else holdout
    check_choice("forecast method", method, FORECAST_METHODS)
    methods = np.broadcast_to(np.asarray(method, dtype=object), (N,))
    out = ForecastResult(
        method=np.empty(N, dtype=object),
        demand_class=np.empty(N, dtype=object),
        forecast=np.zeros((N, horizon)),
        sigma=np.zeros(N),
        wape=np.full(N, np.nan),
        bias=np.full(N, np.nan),
        adi=np.zeros(N),
        cv2=np.zeros(N),
        params={key: np.full(N, np.nan) for key in PARAMS},
    )
    for lo in range(0, N, CHUNK_ROWS):
        rows = slice(lo, min(lo + CHUNK_ROWS, N))
        _forecast_block(Y[rows], methods[rows], h, horizon, season, out, rows)
    return out


def _eligible(name: str, Y: np.ndarray, h: int, season: int) -> bool:
    if name == "holt_winters":
        return season >= 2 and Y.shape[1] - h >= season + max(4, season // 4)
    return True


def _forecast_block(Y, methods, h, horizon, season, out: ForecastResult, rows: slice) -> None:
    N, P = Y.shape
    if not _eligible("holt_winters", Y, h, season):  # too short for a season: Holt is the closest model
        methods = np.where(methods == "holt_winters", "holt", methods)
    train_cls = classify_demand(Y[:, : P - h])[0] if h else None
    cls, adi, cv2 = classify_demand(Y)
    intermittent = np.isin(train_cls if h else cls, ["intermittent", "lumpy"])
    auto = methods == "auto"
    best_err = np.full(N, np.inf)
    chosen = np.full(N, "mean", dtype=object)
    fc, sg, ho = np.zeros((N, horizon)), np.zeros(N), np.zeros((N, h))
    actual = np.nan_to_num(Y[:, P - h :])

    def wanted(name: str) -> np.ndarray:
        candidate = name in INTERMITTENT_CANDIDATES, name in SMOOTH_CANDIDATES
        return (methods == name) | (auto & np.where(intermittent, *candidate))

    family_rows = np.flatnonzero(np.logical_or.reduce([wanted(name) for name in FAMILY]))
    family = fit_family(Y[family_rows], h, horizon, season) if len(family_rows) else {}
    for name in METHODS:
        want = wanted(name)
        if not want.any() or not _eligible(name, Y, h, season):
            continue
        idx = np.flatnonzero(want)
        if name in FAMILY:  # fitted once for the three members
            at = np.searchsorted(family_rows, idx)
            fit = family[name].rows(at)
        else:
            fit = MODELS[name](Y[idx], h, horizon, season)
        err = np.abs(fit.holdout - actual[idx]).sum(1) if h else fit.sigma
        better = (methods[idx] == name) | (err < best_err[idx] - 1e-12)
        sel = idx[better]
        best_err[sel], chosen[sel] = err[better], name
        fc[sel], sg[sel] = fit.future[better], fit.sigma[better]
        for key in PARAMS:  # the chosen method's parameters, NaN for the others'
            out.params[key][rows][sel] = fit.params[key][better] if key in fit.params else np.nan
        if h:
            ho[sel] = fit.holdout[better]
    none = cls == "no demand"
    fc[none], sg[none], ho[none] = 0.0, 0.0, 0.0
    out.method[rows], out.demand_class[rows] = chosen, cls
    out.forecast[rows], out.sigma[rows] = np.maximum(fc, 0.0), sg
    out.adi[rows], out.cv2[rows] = adi, cv2
    if h:
        a = actual.sum(1)
        f = np.maximum(ho, 0.0)
        out.wape[rows] = np.divide(np.abs(f - actual).sum(1), a, out=np.full(N, np.nan), where=a > 0)
        out.bias[rows] = np.divide((f - actual).sum(1), a, out=np.full(N, np.nan), where=a > 0)


def replay_forecast(Y: np.ndarray, horizon: int, season: int, method: np.ndarray,
                    params: dict[str, np.ndarray]) -> np.ndarray:  # fmt: skip
    """Forecasts (N, horizon) from the end of Y with each series' method and smoothing parameters held fixed
    (``params``, as forecast_series returned them for a longer history), the seasonal indices and the initial
    states estimated on Y alone: theta, damped and comb (_family_fit with ``fixed``) and TSB (its initial size
    and probability from Y). Series whose method has no stored parameters are refitted (forecast_series), and so
    are theta, damped and comb series whose seasonality test on Y disagrees with the one their parameters were
    chosen under (a seasonal series cut below two seasons is no longer adjusted, and an alpha chosen on the
    adjusted series would not follow its swing). Used at the rolling origins of the multi-step errors, in the
    spirit of statsforecast's cross-validation with refit=False: the parameters are chosen once (on the whole
    history, a mild in-sample choice), while no state sees data after the origin (the initial level is
    re-estimated: a small alpha would otherwise carry the whole history's mean back to the origin). >= 0; 0 for
    series without demand in Y."""
    Y = np.asarray(Y, float)
    method = np.asarray(method, dtype=object)
    params = full_params(params, len(Y))
    out = np.zeros((len(Y), horizon))
    kept = {name: np.isin(method, members) & np.isfinite(params[first]) for name, members, first in (
        ("family", FAMILY, "ses_alpha"), ("tsb", ("tsb",), "tsb_alpha"))}  # fmt: skip
    same_season = seasonality_test(Y, max(int(season), 1)) == (np.nan_to_num(params["family_seasonal"]) > 0)
    kept["family"] &= same_season
    for lo in range(0, len(Y), CHUNK_ROWS):
        rows = np.arange(lo, min(lo + CHUNK_ROWS, len(Y)))
        fam = rows[kept["family"][rows]]
        if len(fam):
            fits = _family_fit(Y[fam], horizon, season, {k: params[k][fam] for k in PARAMS[:4]})
            for name in FAMILY:
                at = method[fam] == name
                out[fam[at]] = fits[name][0][at]
        tsb = rows[kept["tsb"][rows]]
        if len(tsb):
            size0, _, prob0 = _intermittent_initial(Y[tsb], Y.shape[1])
            a, b = params["tsb_alpha"][tsb, None], params["tsb_beta"][tsb, None]
            out[tsb] = tsb_pass(Y[tsb], a, b, size0, prob0)[-1]
    refit = np.flatnonzero(~kept["family"] & ~kept["tsb"])
    if len(refit):
        out[refit] = forecast_series(Y[refit], horizon, season, method=method[refit], holdout=0).forecast
    no_demand = ~np.any(Y > 0, axis=1)
    return np.where(no_demand[:, None], 0.0, np.maximum(out, 0.0))


def path_rate(forecast: np.ndarray, days, days_per_period: float) -> np.ndarray:
    """Mean demand per day over the first ``days`` days of each forecast path, units/day: (the sum of the
    whole periods inside + the next period prorated by the fraction left) / days. Beyond the horizon the
    last period repeats; where days <= 0 it is the next period's rate. So a protection interval of L (or
    R + L) days sees the forecast of those days, not the next period's times L (Silver, Pyke & Thomas §6.9,
    forecast over the lead time)."""
    F = np.nan_to_num(np.asarray(forecast, float))
    n, h = F.shape
    periods = np.maximum(np.broadcast_to(np.asarray(days, float), (n,)) / days_per_period, 0.0)
    whole = np.floor(periods).astype(int)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(F, axis=1)], axis=1)
    rows = np.arange(n)
    total = cum[rows, np.minimum(whole, h)] + np.maximum(whole - h, 0) * F[:, -1]
    total += (periods - whole) * F[rows, np.minimum(whole, h - 1)]
    rate = np.divide(total, periods * days_per_period, out=np.zeros(n), where=periods > 0)
    return np.where(periods > 0, rate, F[:, 0] / days_per_period)
