"""Service simulation: the planned (s, Q) or (R, S) policy run day by day on demand drawn from each
SKU-site's fitted process, vectorised across SKU-sites, and the level tuned on common random numbers where
the simulated service misses its target (tune_levels: the least whole-unit level read from the first run's
stockouts, checked by simulating it and one unit less; bisection where the check fails).

Units: quantities in stocking units, times in whole days. One simulated day, per SKU-site:
1. the day's demand is served from stock on hand; what is short is backordered (net stock goes below 0)
   or lost (``lost_sales``), per the Setting ``unmet_demand``;
2. orders due that day arrive at its end (an order placed at the end of day t with lead time L arrives at
   the end of day t + L, so it is exposed to L days of demand, the protection interval of SPT §6.7);
3. on a review day (every ``review_days`` days, 1 = daily) the inventory position IP = net stock + on
   order is compared with the level: (s, Q) orders n Q with the smallest n such that IP + n Q > s
   (the (R, s, nQ) rule, SPT §7.2 with undershoot of s), (R, S) orders S - IP rounded up to whole units.

Measured after a warm-up: fill rate = demand served from stock / demand (SPT §6.7.2, P2), cycle service =
share of replenishment cycles (between two arrivals) without a stockout (P1), average on-hand stock at the
end of the day, orders per year.

Fitted process (``DemandProcess``): each day a demand occurs with probability p (from the share of history
periods with demand, p_day = 1 - (1 - p_period)^(1/days_per_period)); its size is gamma distributed with
moments chosen so that the daily mean is d and the daily variance is sigma_d² (compound Bernoulli-gamma:
Var = p sigma_x² + p (1 - p) mu_x², mu_x = d / p), rounded to whole units by stochastic rounding (floor(x +
U), which keeps the mean). Smooth demand (p = 1) is gamma with the forecast's mean and sd; intermittent and
lumpy demand keeps its zero days (Syntetos & Boylan 2005 classes; Snyder, Koehler & Ord 2002 on
compound-Bernoulli demand).

Computation: all rows advance together one day at a time (float64 state, each day's demand read from a
day-major scenario); past serving, a day touches only the rows with an arrival and the rows reviewing
that day at or below their level (rows grouped by review period and policy). A row's figures are the
same bit for bit whatever rows are simulated beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from planner.core.leadtime_demand import successive_difference_variance
from planner.core.row_streams import RowStreams
from planner.core.service_levels import nearest_whole_unit

SIM_DAYS = 730  # at least two years simulated after the warm-up ...
MAX_SIM_DAYS = 2920  # ... and up to eight where there are few SKU-sites
SIM_BUDGET = 100_000 * SIM_DAYS  # SKU-site days per simulation (100,000 SKU-sites x 2 years)
MIN_WARMUP_DAYS = 28
MISS_TOLERANCE = 0.005  # a level is tuned when its simulated service misses the target by more than this
SEED = 20261202
MAX_SEARCH_STEPS = 30
MIN_CYCLES = 10  # fewer replenishment cycles in the simulation say too little to tune a level on


def simulated_days(rows: int) -> int:
    """Days simulated: the budget shared among the rows, in whole years from SIM_DAYS to MAX_SIM_DAYS
    (longer paths sample the tail of skewed demand better; the time stays that of 100,000 x 2 years)."""
    years = SIM_BUDGET // max(rows, 1) // 365
    return int(np.clip(years * 365, SIM_DAYS, MAX_SIM_DAYS))


@dataclass(frozen=True)
class DemandProcess:
    """Daily demand of each SKU-site: mean d (units/day), sd sigma_d (units/day), occurrence p (0-1)."""

    mean_per_day: np.ndarray
    sd_per_day: np.ndarray
    occurrence: np.ndarray


@dataclass(frozen=True)
class SimPolicy:
    """The policy per SKU-site: (R, S) where ``is_rs`` else (s, Q); ``level`` is s or S, units."""

    is_rs: np.ndarray
    level: np.ndarray
    order_qty: np.ndarray  # Q of (s, Q), units (ignored for (R, S))
    review_days: np.ndarray  # days between reviews: R of (R, S), r of (s, Q) (1 = daily)
    lead_time_days: np.ndarray
    lead_time_sd_days: np.ndarray


@dataclass(frozen=True)
class ServiceResult:
    """Simulated service per SKU-site."""

    fill_rate: np.ndarray  # served from stock / demand (1 without demand)
    cycle_service: np.ndarray  # replenishment cycles without stockout / cycles (1 without cycles)
    average_stock: np.ndarray  # mean on-hand stock at the end of the day, units
    orders_per_year: np.ndarray
    cycles: np.ndarray  # replenishment cycles measured


def daily_occurrence(period_share_with_demand, days_per_period: float) -> np.ndarray:
    """p_day = 1 - (1 - p_period)^(1 / days_per_period): the daily chance of a demand that gives a
    period its observed chance of having one (independent days)."""
    p = np.clip(np.nan_to_num(np.asarray(period_share_with_demand, float), nan=1.0), 0.0, 1.0)
    return 1.0 - np.power(1.0 - p, 1.0 / max(days_per_period, 1.0))


DRAW_ROWS = 1024  # rows drawn at a time (each row from its own stream)


def draw_demand(process: DemandProcess, days: int, streams: RowStreams) -> np.ndarray:
    """Whole-unit daily demand, shape (SKU-sites, days), float32, from the compound Bernoulli-gamma
    process (module docstring). sigma_x² is floored at 1 % of mu_x² where the Bernoulli part alone
    already exceeds the variance. Each row draws from its own stream (row_streams): ``days`` gamma sizes,
    then ``days`` uniforms for the occurrences, then ``days`` for the rounding; a block of rows at a time
    straight into one day-major array (each day's column contiguous, as the simulation reads it)."""
    d = np.maximum(np.nan_to_num(process.mean_per_day), 0.0)[:, None]
    v = np.square(np.nan_to_num(process.sd_per_day))[:, None]
    p = np.clip(np.nan_to_num(process.occurrence, nan=1.0), 1e-6, 1.0)[:, None]
    mu = d / p
    var_x = np.maximum((v - p * (1 - p) * mu**2) / p, 0.01 * mu**2)
    shape = np.divide(mu**2, var_x, out=np.ones_like(mu), where=var_x > 0).astype(np.float32)
    scale = np.divide(var_x, mu, out=np.zeros_like(mu), where=mu > 0).astype(np.float32)
    n = len(d)
    demand = np.empty((days, n), np.float32)
    occurs_below = _float32_at_or_above(p)  # u < p exactly as in float64, without a float64 copy of u
    for r0 in range(0, n, DRAW_ROWS):
        rows = slice(r0, r0 + DRAW_ROWS)
        block = streams.rows(rows)
        size = block.standard_gamma(shape[rows, 0], (days,))
        size *= scale[rows]
        size[block.random((days,)) >= occurs_below[rows]] = 0.0  # floor(0 + u) below stays 0
        size += block.random((days,))  # stochastic rounding: floor(x + U)
        demand[:, rows] = np.floor(size, out=size).T
    demand[:, d[:, 0] <= 0] = 0.0
    return demand.T


def _float32_at_or_above(x: np.ndarray) -> np.ndarray:
    """The least float32 >= x: a float32 u is below x exactly when it is below this."""
    up = x.astype(np.float32)
    return np.where(up < x, np.nextafter(up, np.float32(np.inf)), up)


MIN_HISTORY_PERIODS = 26  # periods of history from which a row's demand is resampled (else its fitted process)


def history_periods(Y: np.ndarray) -> np.ndarray:
    """Periods observed per row of a history Y (rows x periods, NaN before a series starts)."""
    return np.sum(~np.isnan(np.asarray(Y, float)), axis=1)


def resample_history(Y: np.ndarray, mean_per_day: np.ndarray, days_per_period: float, days: int,
                     streams: RowStreams, spread: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Daily demand (rows x days, float32, day-major) resampled from each row's own history: whole periods drawn with
    replacement among the row's observed periods (the i.i.d. bootstrap of Efron 1979 that Willemain, Smart &
    Schwarz 2004 apply to lead-time demand), each period's quantity split over its days (_split_over_days), and
    scaled by the forecast's mean over the history's (d / mean(Y) x the days a period is split over, 30 for a
    month), so the demand keeps the
    history's shape (skewness, zero periods, lumps) at the planned level. Rows without history demand get 0.
    ``spread`` (per row) first widens or narrows each history about its mean (spread_history), so the resample
    varies as the plan's pooled variance says rather than as the row's own sample. Each row draws from its own
    stream (row_streams): a uniform per period picked, then the split's."""
    Y = np.asarray(Y, float) if spread is None else spread_history(Y, spread)
    n_obs = history_periods(Y)
    start = Y.shape[1] - n_obs  # series are NaN before their start, observed after it
    periods = -(-days // _period_days(days_per_period))
    u = streams.random((periods,)).astype(float)
    pick = start[:, None] + np.floor(u * np.maximum(n_obs, 1)[:, None]).astype(np.int64)
    drawn = np.nan_to_num(np.take_along_axis(Y, np.minimum(pick, Y.shape[1] - 1), axis=1))
    hist_mean = np.divide(np.nansum(Y, axis=1), n_obs, out=np.zeros(len(Y)), where=n_obs > 0)
    length = _period_days(days_per_period)  # the days a period is split over (a month: 30), so the mean is d
    factor = np.divide(np.asarray(mean_per_day, float) * length, hist_mean, out=np.zeros(len(Y)),
                       where=hist_mean > 0)  # fmt: skip
    concentration = day_concentration(Y, days_per_period)
    return _split_over_days(drawn * factor[:, None], days_per_period, concentration, streams, days)


def spread_history(Y: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Each row's periods moved about the row's mean m by its factor f, max(m + f (y - m), 0): the variance
    times f² (a little less where f > 1 and the floor at 0 bites, which raises the mean slightly: the
    resample is scaled to the planned mean after). Rows with a period without demand keep their history (f
    = 1): moving it would turn their empty periods into demand, or drop demand, and change the intermittent
    shape the resample is for. NaN periods stay NaN."""
    Y = np.asarray(Y, float)
    n = np.maximum(history_periods(Y), 1)
    m = (np.nansum(Y, axis=1) / n)[:, None]
    empty = np.any(Y == 0, axis=1)  # NaN compares False
    f = np.where(empty, 1.0, np.nan_to_num(np.asarray(spread, float), nan=1.0))[:, None]
    return np.where(f == 1.0, Y, np.maximum(m + f * (Y - m), 0.0))  # f = 1: the history itself, bit for bit


def _period_days(days_per_period: float) -> int:
    """Whole days a history period is spread over (a month: 30 or 31)."""
    return max(int(round(days_per_period)), 1)


MAX_CONCENTRATION = 1e6  # a series without variation: its periods are split (practically) evenly
SPLIT_ROWS = 4096  # rows split at a time (their days x rows of gamma draws in float32)


def day_concentration(Y: np.ndarray, days_per_period: float) -> np.ndarray:
    """Per row, the Dirichlet concentration a = 1 / (m c²) that splits a period's quantity over its m days as
    independent daily demand would: c² = s² / mean², s² the period variance by von Neumann's mean square
    successive difference, mean((y_t - y_(t-1))²) / 2 over the observed periods (zeros included), which a
    seasonal swing or a trend does not inflate (they move the level, not the split within a period). If the m
    days of a period were i.i.d. gamma with shape a, the period is gamma(m a) (c² = 1 / (m a)) and its split
    over the days, given the total, is Dirichlet(a, ..., a) exactly (the gamma-Dirichlet property; Johnson, Kotz
    & Balakrishnan, Continuous Multivariate Distributions, §49). With this a, the variance over any part f of a
    period is f x the period's variance (additive, as for independent days) for any period distribution: an even
    split gives f² x it, so the demand over a protection interval that starts inside a period varied too little."""
    Y = np.asarray(Y, float)
    mean = np.nansum(Y, axis=1) / np.maximum(history_periods(Y), 1)
    var = np.nan_to_num(successive_difference_variance(Y))
    c2 = np.divide(var, mean**2, out=np.zeros(len(Y)), where=mean > 0)
    a = np.divide(1.0, _period_days(days_per_period) * c2, out=np.full(len(Y), MAX_CONCENTRATION), where=c2 > 0)
    return np.minimum(a, MAX_CONCENTRATION)


def _split_over_days(per_period: np.ndarray, days_per_period: float, concentration: np.ndarray,
                     streams: RowStreams, days: int | None = None,
                     observed: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Quantities per period (rows x periods) as daily demand (rows x days, float32, day-major as simulate reads
    it): each period's quantity split over its _period_days by weights drawn from a symmetric Dirichlet with the
    row's ``concentration`` (day_concentration, _dirichlet_weights); the first ``days`` days (default all). The
    periods' totals are kept (to float32 precision). ``observed``: per row, its first periods that hold data
    (default all); only those draw weights."""
    rows, periods = per_period.shape
    length = _period_days(days_per_period)
    total = periods * length if days is None else days
    observed = np.full(rows, periods) if observed is None else np.asarray(observed)
    out = np.empty((total, rows), np.float32)
    for lo in range(0, rows, SPLIT_ROWS):
        hi = min(lo + SPLIT_ROWS, rows)
        w = _dirichlet_weights(np.asarray(concentration, float)[lo:hi], periods, length, streams.rows(slice(lo, hi)),
                               observed[lo:hi])  # fmt: skip
        daily = (per_period[lo:hi, :, None].astype(np.float32) * w).reshape(hi - lo, -1)[:, :total]
        out[:, lo:hi] = daily.T
    return out.T


def _dirichlet_weights(a: np.ndarray, periods: int, length: int, streams: RowStreams,
                       observed: np.ndarray) -> np.ndarray:  # fmt: skip
    """(rows, periods, length) float32 weights, each period's a draw of Dirichlet(a_row, ..., a_row): gamma
    draws normalised, taken in logarithms, log G(a) = log G(a + 1) + log(U) / a (Marsaglia & Tsang 2000's
    boost for shapes below 1), shifted by each period's largest before exponentiating, so that a tiny a (a
    row with one demand period in a hundred: a about 0.001) puts the period on one day instead of the gamma
    draws underflowing to an even split. Each row draws its ``observed`` first periods' gammas, then their
    uniforms (RowStreams.head); its later periods are split evenly."""
    a = np.maximum(a, 1e-12).astype(np.float32)
    counts, width = np.asarray(observed) * length, periods * length
    log_g = np.log(streams.head("standard_gamma", counts, width, 1.0, a + 1)).reshape(len(a), periods, length)
    log_u = np.log(streams.head("random", counts, width, 1.0) + np.finfo(np.float32).tiny)
    log_u = log_u.reshape(len(a), periods, length)
    a = a[:, None, None]
    log_g += log_u / a
    log_g -= log_g.max(axis=2, keepdims=True)
    w = np.exp(log_g, out=log_g)
    return w / w.sum(axis=2, keepdims=True)


def history_scenario(Y: np.ndarray, mean_per_day: np.ndarray, days_per_period: float, policy: SimPolicy,
                     days: int | None = None, seed: int = SEED, level_cv: np.ndarray | None = None,
                     spread: np.ndarray | None = None, keys: np.ndarray | None = None) -> Scenario:  # fmt: skip
    """A scenario like ``scenario`` whose demand is resampled from the rows' history (resample_history, with
    its ``spread``) and, with ``level_cv``, whose level is as uncertain as the forecast's (with_level_error);
    each row's numbers from its own stream (``keys``, as in ``scenario``)."""
    warmup = warmup_days(policy)
    streams = RowStreams(_keys(keys, len(Y)), seed + 1)
    total = warmup + _measured_days(policy, days)
    demand = resample_history(Y, mean_per_day, days_per_period, total, streams, spread)
    lead_times = draw_lead_times(policy, total, streams)
    if level_cv is not None:
        demand = with_level_error(demand, warmup, level_cv, streams)
    return Scenario(demand, lead_times, warmup)


LEVEL_SEGMENT_DAYS = 91  # days of demand at one drawn level (a quarter): long against L + R, short against years
MAX_LEVEL_SEGMENTS = 16


def with_level_error(demand: np.ndarray, warmup: int, level_cv: np.ndarray, streams: RowStreams) -> np.ndarray:
    """The measured days cut into K equal segments (one per LEVEL_SEGMENT_DAYS, at most MAX_LEVEL_SEGMENTS),
    each row's demand in each segment multiplied by its own lognormal factor of mean 1 and coefficient of
    variation ``level_cv`` (the warm-up by the first segment's): the policy meets K true levels around the
    forecast, as it would if the forecast's level were off by its estimation error. Resampling the history
    at the planned mean alone treats that mean as exact, and tells of a fill rate the plan does not deliver
    where the level is uncertain (intermittent and lumpy (R, S) rows: about 2 points). Common random numbers
    are kept (the factors are drawn once per scenario)."""
    n, total = demand.shape
    k = int(np.clip((total - warmup) // LEVEL_SEGMENT_DAYS, 1, MAX_LEVEL_SEGMENTS))
    s2 = np.log1p(np.square(np.nan_to_num(np.asarray(level_cv, float))))[:, None]
    factor = np.exp(np.sqrt(s2) * streams.standard_normal((k,)) - s2 / 2).astype(np.float32)
    segment = np.minimum(np.maximum(np.arange(total) - warmup, 0) * k // max(total - warmup, 1), k - 1)
    out = np.empty((total, n), np.float32)  # day-major, as simulate reads it
    for lo in range(0, total, 512):
        hi = min(lo + 512, total)
        out[lo:hi] = demand[:, lo:hi].T * factor[:, segment[lo:hi]].T
    return out.T


def replay_scenario(Y: np.ndarray, days_per_period: float, policy: SimPolicy, seed: int = SEED,
                    keys: np.ndarray | None = None) -> Scenario | None:  # fmt: skip
    """The rows' actual history as one demand path, in order (each period's quantity split over its days by
    _split_over_days), each row's own history from day 0 (0 after it ends, where other rows' histories are
    longer), the first warmup_days not measured: the policy replayed on the demand it would have met. None when
    the history is not at least MIN_WARMUP_DAYS longer than the warm-up. Each row's split and lead times from
    its own stream (``keys``, as in ``scenario``), drawn over its own periods only: a row's replay does not
    change when another row's history reaches further back."""
    Y = np.asarray(Y, float)
    streams = RowStreams(_keys(keys, len(Y)), seed + 2)
    n_obs = history_periods(Y)
    own = np.take_along_axis(Y, np.minimum((Y.shape[1] - n_obs)[:, None] + np.arange(Y.shape[1]), Y.shape[1] - 1),
                             axis=1)  # fmt: skip
    own = np.where(np.arange(Y.shape[1]) < n_obs[:, None], own, 0.0)
    concentration = day_concentration(Y, days_per_period)
    demand = _split_over_days(np.nan_to_num(own), days_per_period, concentration, streams, observed=n_obs)
    warmup = warmup_days(policy)
    if demand.shape[1] < warmup + MIN_WARMUP_DAYS:
        return None
    lead_times = draw_lead_times(policy, demand.shape[1], streams, n_obs * _period_days(days_per_period))
    return Scenario(demand, lead_times, warmup)


def draw_lead_times(policy: SimPolicy, days: int, streams: RowStreams,
                    drawn_days: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Lead time of an order placed on each day, whole days (SKU-sites x days, int16 unless longer ones
    need int32, day-major): L rounded up when sigma_L is 0 (one broadcast column; such a row draws nothing
    from its stream), else normal(L, sigma_L) rounded and clipped to [0, L + 4 sigma_L], normals from the
    row's own stream for its first ``drawn_days`` (default all; L rounded up after), a block of rows at a time."""
    L = np.ceil(np.nan_to_num(policy.lead_time_days))[:, None]
    sd = np.nan_to_num(policy.lead_time_sd_days)[:, None]
    if not np.any(sd > 0):
        return np.broadcast_to(L.astype(np.int32), (len(L), days))
    top = np.ceil(L + 4 * sd)
    kind = np.promote_types(np.int16, np.min_scalar_type(int(max(top.max(), -top.min()))))
    out = np.empty((days, len(L)), kind)
    counts = np.full(len(L), days) if drawn_days is None else np.asarray(drawn_days)
    for r0 in range(0, len(L), DRAW_ROWS):
        block = slice(r0, r0 + DRAW_ROWS)
        drawn = np.zeros((len(L[block]), days))
        varies = np.flatnonzero(sd[block, 0] > 0)
        drawn[varies] = streams.rows(block).rows(varies).head("standard_normal", counts[block][varies], days, 0.0,
                                                               dtype=np.float64)  # fmt: skip
        drawn *= sd[block]
        drawn += L[block]
        out[:, block] = np.clip(np.rint(drawn, out=drawn), 0, top[block], out=drawn).T
    return out.T


@dataclass(frozen=True)
class Scenario:
    """Common random numbers for a simulation: demand and lead times per day, and the warm-up. Any layout
    simulates; the drawn scenario is day-major (each day's column contiguous)."""

    demand: np.ndarray  # (N, warmup + days) float32
    lead_times: np.ndarray  # (N, warmup + days) whole days, integer (int16 drawn; one broadcast column if constant)
    warmup: int


def warmup_days(policy: SimPolicy) -> int:
    """Days simulated before measuring: the longest protection interval (L + 4 sigma_L + review) + 4 weeks."""
    longest = np.nan_to_num(policy.lead_time_days + 4 * policy.lead_time_sd_days + policy.review_days)
    return int(np.ceil(longest.max(initial=0.0))) + MIN_WARMUP_DAYS


def _measured_days(policy: SimPolicy, days: int | None) -> int:
    """Days measured after the warm-up: ``days``, or simulated_days of the policy's rows."""
    return simulated_days(len(policy.level)) if days is None else days


def scenario(process: DemandProcess, policy: SimPolicy, days: int | None = None, seed: int = SEED,
             keys: np.ndarray | None = None) -> Scenario:  # fmt: skip
    """Draws one scenario of ``days`` (default: simulated_days of the rows) after a warm-up, the
    longest protection interval plus four weeks (warmup_days). Each row draws from its own stream, seeded
    by (seed, its key): ``keys`` (row_streams.row_keys of SKU and site; default the row numbers), so a row's
    demand and lead times depend on its own parameters, key, the seed and the days drawn, not on the rows
    beside it (the days and the warm-up do depend on them: simulated_days, warmup_days)."""
    warmup = warmup_days(policy)
    streams = RowStreams(_keys(keys, len(policy.level)), seed)
    total = warmup + _measured_days(policy, days)
    return Scenario(draw_demand(process, total, streams), draw_lead_times(policy, total, streams), warmup)


def _keys(keys: np.ndarray | None, n: int) -> np.ndarray:
    """The rows' stream keys: ``keys`` or the row numbers."""
    return np.arange(n, dtype=np.uint64) if keys is None else np.asarray(keys, np.uint64)


def subset(sc: Scenario, rows: np.ndarray) -> Scenario:
    """A copy of the scenario's rows ``rows`` (simulate(..., rows=) runs rows without copying them)."""
    return Scenario(sc.demand[rows], sc.lead_times[rows], sc.warmup)


def _take(per_row, rows):
    """The same per-row dataclass (every field an array by SKU-site) for the rows ``rows`` only."""
    return type(per_row)(**{f.name: getattr(per_row, f.name)[rows] for f in fields(per_row)})


def subset_process(process: DemandProcess, rows: np.ndarray) -> DemandProcess:
    return _take(process, rows)


def subset_policy(policy: SimPolicy, rows: np.ndarray, level: np.ndarray | None = None) -> SimPolicy:
    """The policy of the rows ``rows``, at ``level`` where given (one level per row taken)."""
    picked = _take(policy, rows)
    return picked if level is None else replace(picked, level=level)


BLOCK_CELLS = 1 << 21  # SKU-site days of demand read per block (16 MB in float64)
MAX_BLOCK_DAYS = 512


@dataclass
class _State:
    """Running state of a simulation (mutable on purpose: updated in place day by day). Rows are grouped by
    review period and policy (``groups``: period, (R, S) or not, first row, end row) so that a review day
    takes slices of rows; ``source`` maps them to the scenario's rows."""

    level: np.ndarray
    order_qty: np.ndarray
    groups: list[tuple[int, bool, int, int]]
    source: np.ndarray | None  # the scenario row of each state row (None: the same row)
    net: np.ndarray  # net stock: on hand minus backorders
    position: np.ndarray  # inventory position: net + on order
    pipeline: np.ndarray  # (slots, N) on order by arrival day modulo slots
    short_in_cycle: np.ndarray  # a stockout since the last arrival
    demand: np.ndarray  # totals after the warm-up
    served: np.ndarray
    stock_days: np.ndarray
    orders: np.ndarray
    cycles: np.ndarray
    cycles_short: np.ndarray
    spare: np.ndarray  # scratch buffers, one float and one bool per row
    short_today: np.ndarray
    shortfalls: _Recorder | None = None


@dataclass
class _Recorder:
    """The stockouts of a run, for _least_levels: each short day after the warm-up of the rows ``on_days``
    (row, gap g = demand - net stock before serving, demand), and each measured cycle with a stockout (row,
    its largest g)."""

    on_days: np.ndarray  # the rows whose short days are kept
    cycle_gap: np.ndarray  # largest g since the last arrival, per row (0: no stockout)
    days: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    cycles: list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class _Shortfalls:
    """A run's stockouts (_Recorder) by the policy's row, and its demand and cycles measured per row."""

    day_row: np.ndarray
    day_gap: np.ndarray
    day_demand: np.ndarray
    cycle_row: np.ndarray
    cycle_gap: np.ndarray
    demand: np.ndarray
    cycles: np.ndarray


def _start(
    policy: SimPolicy, slots: int, rows: np.ndarray | None, record: np.ndarray | None
) -> tuple[_State, np.ndarray]:
    """Start full: net stock at the level plus a lot (s + Q, or S), nothing on order. The rows are put in
    order of review period and policy (returned: the permutation)."""
    review = np.maximum(np.rint(np.nan_to_num(policy.review_days, nan=1.0)), 1).astype(np.int64)
    is_rs = np.asarray(policy.is_rs, bool)
    order = np.lexsort((is_rs, review))
    keys = np.stack([review[order], is_rs[order]])
    first = np.flatnonzero(np.r_[True, np.any(keys[:, 1:] != keys[:, :-1], axis=0)])[: len(order)]
    ends = np.append(first[1:], len(order))[: len(first)]
    groups = [(int(keys[0, a]), bool(keys[1, a]), int(a), int(b)) for a, b in zip(first, ends, strict=True)]
    identity = bool(np.all(order == np.arange(len(order))))
    source = (None if identity else order) if rows is None else np.asarray(rows)[order]
    level, q = (np.asarray(a, float)[order] for a in (policy.level, policy.order_qty))
    start = np.maximum(np.nan_to_num(np.where(is_rs[order], level, level + q)), 0.0)
    n = len(start)
    zeros = [np.zeros(n) for _ in range(7)]
    recorder = None if record is None else _Recorder(np.asarray(record, bool)[order], np.zeros(n), [], [])
    st = _State(level, q, groups, source, start.copy(), start.copy(), np.zeros((slots, n)), np.zeros(n, bool),
                *zeros, np.zeros(n, bool), recorder)  # fmt: skip
    return st, order


def _order(level: np.ndarray, order_qty: np.ndarray | None, position: np.ndarray, is_rs: bool) -> np.ndarray:
    """What a review orders: (s, Q) n Q with the least n making IP + n Q > s (at IP <= s); (R, S)
    ceil(S - IP), 0 where that is not above 0."""
    if is_rs:
        return np.maximum(np.ceil(level - position - 1e-9), 0.0)
    q = np.maximum(order_qty, 1e-9)
    return (np.floor((level - position) / q) + 1) * q


def _day(st: _State, sc: Scenario, demand: np.ndarray, t: int, lost_sales: bool) -> None:
    """One day: serve demand, receive the orders due, review and order (module docstring). Only the rows
    with an arrival, or reviewing with their position at or below the level, are touched past serving."""
    measuring = t >= sc.warmup
    available = np.maximum(st.net, 0.0, out=st.spare)
    np.less(available, demand, out=st.short_today)
    if st.shortfalls is not None:
        _record(st, demand, measuring)
    served = np.minimum(available, demand, out=available)
    taken = served if lost_sales else demand
    st.net -= taken
    st.position -= taken
    st.short_in_cycle |= st.short_today
    if measuring:
        st.served += served
    _receive(st, t, measuring)
    _review(st, sc, t, measuring)
    if measuring:
        st.stock_days += np.maximum(st.net, 0.0, out=st.spare)


def _record(st: _State, demand: np.ndarray, measuring: bool) -> None:
    """The day's stockouts into the recorder (before serving: g = demand - net stock)."""
    short = np.flatnonzero(st.short_today)
    if not len(short):
        return
    wanted = demand[short]
    gap = wanted - st.net[short]
    rec = st.shortfalls
    rec.cycle_gap[short] = np.maximum(rec.cycle_gap[short], gap)
    if measuring:
        kept = rec.on_days[short]
        rec.days.append((short[kept].astype(np.int32), gap[kept], wanted[kept].astype(np.float32)))


def _receive(st: _State, t: int, measuring: bool) -> None:
    """The orders due arrive; each arrival ends a replenishment cycle."""
    due = st.pipeline[t % len(st.pipeline)]
    arrived = np.flatnonzero(due != 0.0)
    if not len(arrived):
        return
    st.net[arrived] += due[arrived]
    due[arrived] = 0.0
    if measuring:
        st.cycles[arrived] += 1.0
        st.cycles_short[arrived] += st.short_in_cycle[arrived]
    st.short_in_cycle[arrived] = False
    if st.shortfalls is not None:
        gap = st.shortfalls.cycle_gap
        if measuring:
            ended = arrived[gap[arrived] > 0]
            st.shortfalls.cycles.append((ended.astype(np.int32), gap[ended]))
        gap[arrived] = 0.0


def _review(st: _State, sc: Scenario, t: int, measuring: bool) -> None:
    """The rows reviewing today with IP <= level order (_order); lead time 0 arrives at once."""
    found = [_reviewed(st, a, b, is_rs) for period, is_rs, a, b in st.groups if t % period == 0]
    if not found:
        return
    rows, order = (np.concatenate(x) for x in zip(*found, strict=True)) if len(found) > 1 else found[0]
    if measuring:
        st.orders[rows] += 1.0
    lead = np.take(sc.lead_times.T[t], rows if st.source is None else st.source[rows]).astype(np.intp)
    now = lead == 0
    st.net[rows[now]] += order[now]
    later = ~now
    slots, n = st.pipeline.shape
    st.pipeline.reshape(-1)[(t + lead[later]) % slots * n + rows[later]] += order[later]


def _reviewed(st: _State, a: int, b: int, is_rs: bool) -> tuple[np.ndarray, np.ndarray]:
    """The rows a to b - 1 (one policy) reviewed: their orders placed in the position; the rows that order
    and what. (R, S) rows nearly all order on a review day: computed for the whole slice."""
    level, position = st.level[a:b], st.position[a:b]
    if is_rs:
        order = _order(level, None, position, True)
        position += order  # + 0 where nothing is ordered
        rows = np.flatnonzero(order > 0)
        return rows + a, order[rows]
    rows = np.flatnonzero(position <= level)
    order = _order(level[rows], st.order_qty[a:b][rows], position[rows], False)
    placed = order > 0
    rows, order = rows[placed], order[placed]
    position[rows] += order
    return rows + a, order


def simulate(
    policy: SimPolicy, sc: Scenario, lost_sales: bool = False, rows: np.ndarray | None = None
) -> ServiceResult:
    """Runs the policy on the scenario day by day (module docstring) and measures its service. ``rows``:
    the scenario's rows the policy's rows run on (default: row i on row i; a row may be run more than once),
    so a subset needs no copy of the scenario. A row's figures do not depend on the rows run beside it."""
    return _run(policy, sc, lost_sales, rows)[0]


def _run(
    policy: SimPolicy, sc: Scenario, lost_sales: bool, rows: np.ndarray | None, record: np.ndarray | None = None
) -> tuple[ServiceResult, _Shortfalls | None]:
    """simulate, and with ``record`` (the rows whose short days are kept) the run's stockouts (_Shortfalls)."""
    st, order = _start(policy, int(sc.lead_times.max(initial=0)) + 1, rows, record)
    total = sc.demand.shape[1]
    block = int(np.clip(BLOCK_CELLS // max(len(order), 1), 1, MAX_BLOCK_DAYS))
    for t0 in range(0, total, block):
        t1 = min(t0 + block, total)
        days = _demand_days(sc, st.source, t0, t1)
        st.demand += days[max(sc.warmup - t0, 0) :].sum(axis=0)
        for t in range(t0, t1):
            _day(st, sc, days[t - t0], t, lost_sales)
    return _result(st, order, total - sc.warmup), (None if record is None else _shortfalls(st, order))


def _demand_days(sc: Scenario, source: np.ndarray | None, t0: int, t1: int) -> np.ndarray:
    """Demand of days t0 to t1 - 1 of the state's rows, day by day (each day's row contiguous), float64."""
    days = sc.demand.T[t0:t1]
    if source is not None:
        days = np.take(days, source, axis=1)
    return np.asarray(days, dtype=np.float64, order="C")


def _result(st: _State, order: np.ndarray, days: int) -> ServiceResult:
    fill = np.divide(st.served, st.demand, out=np.ones_like(st.served), where=st.demand > 0)
    cycle = 1.0 - np.divide(st.cycles_short, st.cycles, out=np.zeros_like(st.cycles), where=st.cycles > 0)
    measured = (fill, cycle, st.stock_days / max(days, 1), st.orders * 365.0 / max(days, 1), st.cycles)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return ServiceResult(*(m[back] for m in measured))


def _shortfalls(st: _State, order: np.ndarray) -> _Shortfalls:
    """The recorded stockouts by policy row (the state's rows are in review order)."""
    rec, policy_row = st.shortfalls, order.astype(np.int32)
    days = [_joined(rec.days, i, kind) for i, kind in enumerate((np.int32, np.float64, np.float32))]
    cycles = [_joined(rec.cycles, i, kind) for i, kind in enumerate((np.int32, np.float64))]
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return _Shortfalls(policy_row[days[0]], days[1], days[2], policy_row[cycles[0]], cycles[1], st.demand[back],
                       st.cycles[back])  # fmt: skip


def _joined(records: list[tuple[np.ndarray, ...]], field: int, kind) -> np.ndarray:
    return np.concatenate([r[field] for r in records]) if records else np.empty(0, kind)


def service_measure(result: ServiceResult, service_type: np.ndarray) -> np.ndarray:
    """The simulated counterpart of each row's target: fill rate for ``fill``, cycle service for ``cycle``."""
    return np.where(np.asarray(service_type) == "fill", result.fill_rate, result.cycle_service)


@dataclass(frozen=True)
class Tuning:
    """Levels after tuning, the simulated service at them, which rows were tuned, and which were stopped at
    their ceiling."""

    level: np.ndarray
    tuned: np.ndarray  # bool: the level differs from the formula's
    before: ServiceResult
    after: ServiceResult
    capped: np.ndarray | None = None  # bool: the tuning wanted more than the row's ceiling (tune_levels)


def tune_levels(policy: SimPolicy, sc: Scenario, target: np.ndarray, service_type: np.ndarray,
                lost_sales: bool = False, bracket: np.ndarray | None = None,
                both_ways: bool = False, nearest: np.ndarray | None = None,
                ceiling: np.ndarray | None = None) -> Tuning:  # fmt: skip
    """Simulates every row; where the simulated service falls short of the target by more than
    MISS_TOLERANCE and at least MIN_CYCLES replenishment cycles were measured, finds the least whole-unit
    level whose simulated service reaches the target on the same scenario (common random numbers: service
    is non-decreasing in the level on one demand path): the level the first run's stockouts point to
    (_least_levels), kept where one simulation confirms that it meets the target and one unit less does
    not, else searched from there by _bisect. A level above what the path needs is kept (a few years of a
    skewed process under-sample its tail) unless ``both_ways`` (the benchmark's least stock). ``bracket``
    is the half-width the bisection first searches where there is no such guess (default: _bracket).
    ``nearest`` rows that were tuned take one unit less where its service is nearer the target
    (service_levels.nearest_whole_unit, simulated on the same scenario: _step_down). A tuned level above the
    row's ``ceiling`` is set to it and simulated there (Tuning.capped)."""
    target, service_type = np.asarray(target, float), np.asarray(service_type)
    before, shortfalls = _run(policy, sc, lost_sales, None, record=service_type == "fill")
    measure = service_measure(before, service_type)
    enough = before.cycles >= MIN_CYCLES
    off = np.abs(measure - target) if both_ways else target - measure
    miss = (off > MISS_TOLERANCE) & (sc.demand.sum(axis=1) > 0) & enough
    level = np.asarray(policy.level, float).copy()
    after = _rows_of(before, slice(None))
    rows = np.flatnonzero(miss)
    up = rows[measure[rows] < target[rows]]  # below the target: the stockouts say how far
    search = _guessed(policy, sc, target, service_type, lost_sales, up, shortfalls)
    found = np.flatnonzero(search.hi_ok & search.lo_fails)
    level[up[found]] = search.hi[found]
    _put(after, up[found], _rows_of(search.at_hi, found))
    rest = np.setdiff1d(rows, up[found])
    if len(rest):
        width = bracket if bracket is not None else _bracket(policy, sc)
        start = _interval(policy, width[rest], measure[rest] < target[rest], rest)
        unconfirmed = np.setdiff1d(np.arange(len(up)), found)
        _put(start, np.searchsorted(rest, up[unconfirmed]), _rows_of(search, unconfirmed))
        level[rest], at_level = _bisect(policy, sc, target, service_type, lost_sales, rest, start)
        _put(after, rest, at_level)
    if nearest is not None:
        _step_down(policy, sc, target, service_type, lost_sales, np.intersect1d(rows, np.flatnonzero(nearest)),
                   level, after)  # fmt: skip
    capped = np.zeros(len(level), bool) if ceiling is None else _cap(policy, sc, lost_sales, ceiling, level, after)
    return Tuning(level, level != policy.level, before, after, capped)


def _cap(policy, sc, lost_sales, ceiling, level, after) -> np.ndarray:
    """The levels above ``ceiling`` set to it and simulated there (``level`` and ``after`` updated in place);
    the mask of those rows."""
    over = np.flatnonzero(level > ceiling)
    if len(over):
        level[over] = np.asarray(ceiling, float)[over]
        _put(after, over, simulate(subset_policy(policy, over, level[over]), sc, lost_sales, over))
    return np.isin(np.arange(len(level)), over)


def _step_down(policy, sc, target, service_type, lost_sales, rows, level, after) -> None:
    """The tuned ``rows`` one unit lower where that unit's simulated service is nearer the target than the
    tuned level's (service_levels.nearest_whole_unit); ``level`` and ``after`` updated in place."""
    rows = rows[level[rows] - 1 >= _floor(policy, rows)]
    if not len(rows):
        return
    below = simulate(subset_policy(policy, rows, level[rows] - 1), sc, lost_sales, rows)
    at = service_measure(_rows_of(after, rows), service_type[rows])
    lower = nearest_whole_unit(service_measure(below, service_type[rows]), at, target[rows])
    level[rows[lower]] -= 1
    _put(after, rows[lower], _rows_of(below, lower))


def _guessed(policy, sc, target, service_type, lost_sales, rows, shortfalls) -> _Interval:
    """The least levels of ``rows`` (below their target) guessed from the first run's stockouts and checked
    (_confirm). A run at a fractional level can place an order a day later than the runs at whole levels
    (its position differs from the level by a rounding error where they would be equal), so where the
    check fails the rows are run again at their level rounded down, and guessed and checked again. With
    lost sales the guess falls short (about half the way up): the search goes on above it."""
    fill = np.asarray(service_type) == "fill"
    level = np.asarray(policy.level, float)[rows]
    guess = _least_levels(shortfalls, level, target[rows], fill[rows], rows)
    up = np.maximum(np.ceil(guess - level), 1) if lost_sales else 1.0  # lost sales: about half the way
    search = _confirm(policy, sc, target, service_type, lost_sales, rows, guess, up)
    again = np.flatnonzero(~(search.hi_ok & search.lo_fails))
    if len(again) and not lost_sales:
        whole, at = np.floor(level[again]), rows[again]
        _, recorded = _run(subset_policy(policy, at, whole), sc, lost_sales, at, record=fill[at])
        guess = _least_levels(recorded, whole, target[at], fill[at], np.arange(len(at)))
        _put(search, again, _confirm(policy, sc, target, service_type, lost_sales, at, guess, 1.0))
    return search


@dataclass(frozen=True)
class _Interval:
    """Where the least level meeting the target is searched, per row: [lo, hi], whether lo is known to miss
    the target and hi to meet it, and the simulated service at hi where it does (arrays updated in place)."""

    lo: np.ndarray
    hi: np.ndarray
    lo_fails: np.ndarray
    hi_ok: np.ndarray
    at_hi: ServiceResult


def _floor(policy: SimPolicy, rows: np.ndarray) -> np.ndarray:
    """The lowest level searched: -Q of (s, Q), 0 of (R, S)."""
    return np.where(np.asarray(policy.is_rs)[rows], 0.0, -np.asarray(policy.order_qty, float)[rows])


def _rows_of(per_row, rows):
    """A copy of the rows ``rows`` (an index, mask or slice) of a dataclass of per-row arrays."""
    return type(per_row)(*(_rows_of(v, rows) if hasattr(v, "__dataclass_fields__") else np.array(v[rows])
                           for v in (getattr(per_row, f.name) for f in fields(per_row))))  # fmt: skip


def _put(per_row, rows: np.ndarray, other) -> None:
    """The rows ``rows`` of a dataclass of per-row arrays (written in place) set to those of ``other``."""
    for f in fields(per_row):
        mine, theirs = getattr(per_row, f.name), getattr(other, f.name)
        if hasattr(mine, "__dataclass_fields__"):
            _put(mine, rows, theirs)
        else:
            mine[rows] = theirs


def _least_levels(sf: _Shortfalls, level: np.ndarray, target: np.ndarray, fill: np.ndarray,
                  rows: np.ndarray) -> np.ndarray:  # fmt: skip
    """Least whole-unit level meeting the target on the recorded run, per row of ``rows`` (each below its
    target at ``level``). With backorders a level higher by delta >= 0 runs the same orders and arrivals
    with the net stock delta higher every day (in exact arithmetic), so a day short by g (demand - net
    stock before serving) is short by min(max(level + g - h, 0), demand) at a level h >= level, and a cycle
    is without stockout at h >= level + its largest g. Bisection on whole units between the level rounded
    down (misses) and the level plus the largest g (nothing short). With lost sales only a first guess."""
    n = len(rows)
    local = np.full(len(sf.demand) + 1, n)  # n: a row not searched here
    local[rows] = np.arange(n)
    on_days, on_cycles = local[sf.day_row], local[sf.cycle_row]
    on_days[~np.append(fill, False)[on_days]] = n
    on_cycles[~np.append(~fill, False)[on_cycles]] = n
    level_of = np.append(level, 0.0)
    day_top, cycle_top = _whole(level_of[on_days] + sf.day_gap), _whole(level_of[on_cycles] + sf.cycle_gap)
    largest = np.full(n + 1, -np.inf)  # the least level at which nothing recorded is short
    np.maximum.at(largest, on_days, day_top)
    np.maximum.at(largest, on_cycles, cycle_top)
    lo = np.floor(level)
    hi = np.maximum(np.ceil(largest[:n]), lo + 1)
    demand, cycles = sf.demand[rows], sf.cycles[rows]
    for _ in range(64):  # halves a float64 range down to one unit
        if not np.any(hi - lo > 1):
            break
        trial = np.append(np.floor((lo + hi) / 2), 0.0)
        short = np.minimum(np.maximum(day_top - trial[on_days], 0.0), sf.day_demand)
        served = demand - np.bincount(on_days, short, n + 1)[:n]
        fill_rate = np.divide(served, demand, out=np.ones(n), where=demand > 0)
        short_cycles = np.bincount(on_cycles, cycle_top > trial[on_cycles], n + 1)[:n]
        cycle = 1.0 - np.divide(short_cycles, cycles, out=np.zeros(n), where=cycles > 0)
        meets = np.where(fill, fill_rate, cycle) >= target
        searching = hi - lo > 1
        hi, lo = np.where(searching & meets, trial[:n], hi), np.where(searching & ~meets, trial[:n], lo)
    return hi


def _whole(x: np.ndarray) -> np.ndarray:
    """x with the values within 1e-6 of a whole number set to it (the rounding of sums over the days)."""
    nearest = np.rint(x)
    return np.where(np.abs(x - nearest) < 1e-6, nearest, x)


def _confirm(policy, sc, target, service_type, lost_sales, rows, level, up) -> _Interval:
    """The rows simulated at ``level`` (at least the floor) and one unit less, in one run. The search
    interval that follows: done where ``level`` meets the target and one unit less does not (or is below
    the floor); else [level, level + up] where it misses, [level - 2, level - 1] where one unit less meets."""
    level = np.maximum(level, _floor(policy, rows))
    both = np.concatenate([rows, rows])
    result = simulate(subset_policy(policy, both, np.concatenate([level, level - 1])), sc, lost_sales, both)
    meets = service_measure(result, service_type[both]) >= target[both]
    meets, less_meets = meets[: len(rows)], meets[len(rows) :]
    floor = _floor(policy, rows)
    found = meets & (~less_meets | (level <= floor))
    lower = meets & ~found  # one unit less meets too: the answer is below
    lo = np.where(found, level - 1, np.where(lower, np.maximum(level - 2, floor), level))
    hi = np.where(found, level, np.where(lower, level - 1, level + up))
    at_hi = _rows_of(result, np.where(lower, np.arange(len(rows)) + len(rows), np.arange(len(rows))))
    return _Interval(lo, hi, found | ~meets, meets, at_hi)


def _interval(policy: SimPolicy, width: np.ndarray, misses: np.ndarray, rows: np.ndarray) -> _Interval:
    """The first interval searched without a guess: [level - width, level + width] within the floor, from
    the level itself where it misses the target (the answer lies above)."""
    level, floor = np.asarray(policy.level, float)[rows], _floor(policy, rows)
    lo_fails = misses & (np.floor(level) >= floor)
    lo = np.where(lo_fails, np.floor(level), np.maximum(np.floor(level - width), floor))
    unknown = ServiceResult(*(np.full(len(rows), np.nan) for _ in fields(ServiceResult)))
    return _Interval(lo, np.ceil(level + width), lo_fails, np.zeros(len(rows), bool), unknown)


def _bracket(policy: SimPolicy, sc: Scenario) -> np.ndarray:
    """Half-width of the first search interval: three sds of demand over the protection interval
    (the scenario's own daily sd times sqrt(L + R)) plus a day's mean demand and one unit; the search
    widens where that is not enough. Summed a block of days at a time (no copy of the scenario)."""
    days = np.nan_to_num(policy.lead_time_days) + np.nan_to_num(policy.review_days)
    total, squares = np.zeros(len(days)), np.zeros(len(days))
    count = sc.demand.shape[1] - sc.warmup
    step = max(BLOCK_CELLS // max(len(days), 1), 1)
    for t0 in range(sc.warmup, sc.demand.shape[1], step):
        block = sc.demand[:, t0 : t0 + step].astype(np.float64)
        total += block.sum(axis=1)
        squares += np.square(block).sum(axis=1)
    mean = total / max(count, 1)
    sd = np.sqrt(np.maximum(squares / max(count, 1) - mean**2, 0.0))
    return 3 * sd * np.sqrt(np.maximum(days, 1)) + mean + 1


def _bisect(policy, sc, target, service_type, lost_sales, rows, iv: _Interval) -> tuple[np.ndarray, ServiceResult]:
    """Least whole-unit level meeting the target per row, and the simulated service at it. The interval
    is first made to hold the answer (its top must meet the target, else it moves up by twice its width;
    its bottom must miss it, else it moves down likewise, to the floor -Q of (s, Q) or 0 of (R, S)), then
    it is halved. One simulation of the rows still searching per step (on the scenario's own arrays), at
    most MAX_SEARCH_STEPS."""
    sub_type, sub_target, base, floor = (
        service_type[rows],
        target[rows],
        subset_policy(policy, rows),
        _floor(policy, rows),
    )
    lo, hi, lo_fails, hi_ok = iv.lo, iv.hi, iv.lo_fails.copy(), iv.hi_ok.copy()
    at_hi = _rows_of(iv.at_hi, slice(None))
    for _ in range(MAX_SEARCH_STEPS):
        done = hi_ok & lo_fails & (hi - lo <= 1)
        if done.all():
            break
        trial = np.where(~hi_ok, hi, np.where(~lo_fails, lo, np.floor((lo + hi) / 2)))
        active = np.flatnonzero(~done)  # only the rows still searching are simulated
        sim_active = simulate(subset_policy(base, active, trial[active]), sc, lost_sales, rows[active])
        meets = np.ones(len(rows), bool)
        meets[active] = service_measure(sim_active, sub_type[active]) >= sub_target[active]
        _put(at_hi, active[meets[active]], _rows_of(sim_active, meets[active]))  # a trial that meets is the top
        step = 2 * (hi - lo)
        checking_hi, checking_lo = ~hi_ok, hi_ok & ~lo_fails
        halving = hi_ok & lo_fails
        new_lo = np.where(checking_hi & ~meets, hi, lo)
        new_lo = np.where(checking_lo & meets, np.maximum(lo - step, floor), new_lo)
        new_lo = np.where(halving & ~meets, trial, new_lo)
        new_hi = np.where(checking_hi & ~meets, hi + step, hi)
        new_hi = np.where((checking_lo | halving) & meets, trial, new_hi)
        at_floor = checking_lo & meets & (lo <= floor)  # the floor itself meets: it is the answer
        lo_fails |= (checking_lo & ~meets) | at_floor
        new_lo = np.where(at_floor, floor - 1, new_lo)
        hi_ok |= checking_hi & meets
        lo, hi = np.where(done, lo, new_lo), np.where(done, hi, new_hi)
    unsimulated = np.flatnonzero(~hi_ok)  # the steps ran out before the top met the target
    if len(unsimulated):
        _put(at_hi, unsimulated, simulate(subset_policy(base, unsimulated, hi[unsimulated]), sc, lost_sales,
                                          rows[unsimulated]))  # fmt: skip
    return hi, at_hi
