"""Service simulation: the planned (s, Q) or (R, S) policy run day by day on demand drawn from each
SKU-site's fitted process, vectorised across SKU-sites, and the level tuned by bisection on common random
numbers where the simulated service misses its target.

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
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

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


TRANSPOSE_ROWS = 512  # rows copied at a time when a scenario is laid out day-major
LEAD_TIME_ROWS = 4096  # rows of lead times drawn at a time


def draw_demand(process: DemandProcess, days: int, rng: np.random.Generator) -> np.ndarray:
    """Whole-unit daily demand, shape (SKU-sites, days), float32, from the compound Bernoulli-gamma
    process (module docstring). sigma_x² is floored at 1 % of mu_x² where the Bernoulli part alone
    already exceeds the variance. Drawn row by row (the same numbers for a seed whatever the layout)
    and returned day-major (each day's column contiguous, as the simulation reads it)."""
    d = np.maximum(np.nan_to_num(process.mean_per_day), 0.0)[:, None]
    v = np.square(np.nan_to_num(process.sd_per_day))[:, None]
    p = np.clip(np.nan_to_num(process.occurrence, nan=1.0), 1e-6, 1.0)[:, None]
    mu = d / p
    var_x = np.maximum((v - p * (1 - p) * mu**2) / p, 0.01 * mu**2)
    shape = np.divide(mu**2, var_x, out=np.ones_like(mu), where=var_x > 0)
    scale = np.divide(var_x, mu, out=np.zeros_like(mu), where=mu > 0)
    n = len(d)
    size = rng.standard_gamma(shape.astype(np.float32), size=(n, days), dtype=np.float32)
    size *= scale.astype(np.float32)
    uniform = np.empty((n, days), np.float32)
    absent = rng.random(dtype=np.float32, out=uniform) >= _float32_at_or_above(p)  # no demand that day
    size += rng.random(dtype=np.float32, out=uniform)
    np.floor(size, out=size)
    np.copyto(size, 0.0, where=absent)
    del absent
    size[d[:, 0] <= 0] = 0.0
    return _day_major(size, uniform)


def _float32_at_or_above(x: np.ndarray) -> np.ndarray:
    """The least float32 >= x: a float32 u is below x exactly when it is below this (no float64 copy of u)."""
    up = x.astype(np.float32)
    return np.where(up < x, np.nextafter(up, np.float32(np.inf)), up)


def _day_major(rows_first: np.ndarray, spare: np.ndarray) -> np.ndarray:
    """The same (rows, days) values laid out day-major in ``spare`` (a buffer of the same size and type),
    copied a block of rows at a time; returned as a (rows, days) view."""
    n, days = rows_first.shape
    out = spare.reshape(-1)[: n * days].reshape(days, n)
    for r0 in range(0, n, TRANSPOSE_ROWS):
        out[:, r0 : r0 + TRANSPOSE_ROWS] = rows_first[r0 : r0 + TRANSPOSE_ROWS].T
    return out.T


def draw_lead_times(policy: SimPolicy, days: int, rng: np.random.Generator) -> np.ndarray:
    """Lead time of an order placed on each day, whole days (SKU-sites x days, the least integer type that
    holds them, day-major): L rounded up when sigma_L is 0 (one broadcast column), else normal(L, sigma_L)
    rounded and clipped to [0, L + 4 sigma_L], drawn row by row a block of rows at a time."""
    L = np.ceil(np.nan_to_num(policy.lead_time_days))[:, None]
    sd = np.nan_to_num(policy.lead_time_sd_days)[:, None]
    if not np.any(sd > 0):
        return np.broadcast_to(L.astype(np.int32), (len(L), days))
    top = np.ceil(L + 4 * sd)
    kind = np.promote_types(np.min_scalar_type(int(top.max())), np.min_scalar_type(int(min(top.min(), 0))))
    out = np.empty((days, len(L)), kind)
    for r0 in range(0, len(L), LEAD_TIME_ROWS):
        block = slice(r0, r0 + LEAD_TIME_ROWS)
        drawn = np.rint(L[block] + sd[block] * rng.standard_normal((len(L[block]), days)))
        out[:, block] = np.clip(drawn, 0, top[block]).T
    return out.T


@dataclass(frozen=True)
class Scenario:
    """Common random numbers for a simulation: demand and lead times per day, and the warm-up. Any layout
    simulates; the drawn scenario is day-major (each day's column contiguous)."""

    demand: np.ndarray  # (N, warmup + days) float32
    lead_times: np.ndarray  # (N, warmup + days) whole days, integer
    warmup: int


def scenario(process: DemandProcess, policy: SimPolicy, days: int | None = None, seed: int = SEED) -> Scenario:
    """Draws one scenario of ``days`` (default: simulated_days of the rows) after a warm-up, the
    longest protection interval plus four weeks."""
    longest = np.nan_to_num(policy.lead_time_days + 4 * policy.lead_time_sd_days + policy.review_days)
    warmup = int(np.ceil(longest.max(initial=0.0))) + MIN_WARMUP_DAYS
    rng = np.random.default_rng(seed)
    total = warmup + (simulated_days(len(policy.level)) if days is None else days)
    return Scenario(draw_demand(process, total, rng), draw_lead_times(policy, total, rng), warmup)


def subset(sc: Scenario, rows: np.ndarray) -> Scenario:
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
    review period (``groups``: period, first row, end row); ``source`` maps them to the scenario's rows."""

    level: np.ndarray
    order_qty: np.ndarray
    is_rs: np.ndarray
    groups: list[tuple[int, int, int]]
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


def _start(policy: SimPolicy, slots: int, rows: np.ndarray | None) -> tuple[_State, np.ndarray]:
    """Start full: net stock at the level plus a lot (s + Q, or S), nothing on order. The rows are put in
    order of review period (returned: the permutation), so that a review day takes a slice of rows."""
    review = np.maximum(np.rint(np.nan_to_num(policy.review_days, nan=1.0)), 1).astype(np.int64)
    order = np.argsort(review, kind="stable")
    periods, first = np.unique(review[order], return_index=True)
    ends = np.append(first[1:], len(order))
    groups = [(int(r), int(a), int(b)) for r, a, b in zip(periods, first, ends, strict=True)]
    identity = bool(np.all(order == np.arange(len(order))))
    source = (None if identity else order) if rows is None else np.asarray(rows)[order]
    level, q, is_rs = (np.asarray(a)[order] for a in (policy.level, policy.order_qty, policy.is_rs))
    start = np.maximum(np.nan_to_num(np.where(is_rs, level, level + q)), 0.0)
    n = len(start)
    zeros = [np.zeros(n) for _ in range(7)]
    st = _State(np.asarray(level, float), np.asarray(q, float), is_rs.astype(bool), groups, source, start.copy(),
                start.copy(), np.zeros((slots, n)), np.zeros(n, bool), *zeros, np.zeros(n, bool))  # fmt: skip
    return st, order


def _order(level: np.ndarray, order_qty: np.ndarray, is_rs: np.ndarray, position: np.ndarray) -> np.ndarray:
    """What a review orders: (s, Q) n Q with the least n making IP + n Q > s; (R, S) ceil(S - IP)."""
    q = np.maximum(order_qty, 1e-9)
    lots = np.where(position <= level, np.floor((level - position) / q) + 1, 0.0)
    up_to = np.maximum(np.ceil(level - position - 1e-9), 0.0)
    return np.where(is_rs, up_to, lots * q)


def _day(st: _State, sc: Scenario, demand: np.ndarray, t: int, lost_sales: bool) -> None:
    """One day: serve demand, receive the orders due, review and order (module docstring). Only the rows
    with an arrival, or reviewing with their position at or below the level, are touched past serving."""
    measuring = t >= sc.warmup
    available = np.maximum(st.net, 0.0, out=st.spare)
    np.less(available, demand, out=st.short_today)
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


def _review(st: _State, sc: Scenario, t: int, measuring: bool) -> None:
    """The rows reviewing today with IP <= level order (_order); lead time 0 arrives at once."""
    found = [np.flatnonzero(st.position[a:b] <= st.level[a:b]) + a for r, a, b in st.groups if t % r == 0]
    rows = np.concatenate(found) if len(found) > 1 else found[0] if found else np.empty(0, np.int64)
    if not len(rows):
        return
    order = _order(st.level[rows], st.order_qty[rows], st.is_rs[rows], st.position[rows])
    placed = order > 0
    rows, order = rows[placed], order[placed]
    st.position[rows] += order
    if measuring:
        st.orders[rows] += 1.0
    lead = sc.lead_times[rows if st.source is None else st.source[rows], t].astype(np.intp)
    now = lead == 0
    st.net[rows[now]] += order[now]
    later = ~now
    slots, n = st.pipeline.shape
    st.pipeline.reshape(-1)[(t + lead[later]) % slots * n + rows[later]] += order[later]


def simulate(policy: SimPolicy, sc: Scenario, lost_sales: bool = False, rows: np.ndarray | None = None) -> ServiceResult:
    """Runs the policy on the scenario day by day (module docstring) and measures its service. ``rows``:
    the scenario's rows the policy's rows run on (default: row i on row i), so a subset needs no copy of
    the scenario. Bit for bit the day-by-day computation of one row, whatever the rows beside it."""
    st, order = _start(policy, int(sc.lead_times.max(initial=0)) + 1, rows)
    total = sc.demand.shape[1]
    block = int(np.clip(BLOCK_CELLS // max(len(order), 1), 1, MAX_BLOCK_DAYS))
    for t0 in range(0, total, block):
        t1 = min(t0 + block, total)
        days = _demand_days(sc, st.source, t0, t1)
        st.demand += days[max(sc.warmup - t0, 0) :].sum(axis=0)
        for t in range(t0, t1):
            _day(st, sc, days[t - t0], t, lost_sales)
    return _result(st, order, total - sc.warmup)


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


def service_measure(result: ServiceResult, service_type: np.ndarray) -> np.ndarray:
    """The simulated counterpart of each row's target: fill rate for ``fill``, cycle service for ``cycle``."""
    return np.where(np.asarray(service_type) == "fill", result.fill_rate, result.cycle_service)


@dataclass(frozen=True)
class Tuning:
    """Levels after tuning, the simulated service at them, and which rows were tuned."""

    level: np.ndarray
    tuned: np.ndarray  # bool: the level differs from the formula's
    before: ServiceResult
    after: ServiceResult


def tune_levels(policy: SimPolicy, sc: Scenario, target: np.ndarray, service_type: np.ndarray,
                lost_sales: bool = False, bracket: np.ndarray | None = None,
                both_ways: bool = False) -> Tuning:  # fmt: skip
    """Simulates every row; where the simulated service falls short of the target by more than
    MISS_TOLERANCE and at least MIN_CYCLES replenishment cycles were measured, finds the least whole-unit
    level whose simulated service reaches the target, by bisection on the same scenario (common random
    numbers: service is non-decreasing in the level on one demand path). A level above what the path
    needs is kept (a few years of a skewed process under-sample its tail) unless ``both_ways`` (the
    benchmark's least stock). ``bracket`` is the half-width first searched (default: _bracket)."""
    before = simulate(policy, sc, lost_sales)
    measure = service_measure(before, service_type)
    enough = before.cycles >= MIN_CYCLES
    off = np.abs(measure - target) if both_ways else target - measure
    miss = (off > MISS_TOLERANCE) & (sc.demand.sum(axis=1) > 0) & enough
    level = policy.level.copy()
    rows = np.flatnonzero(miss)
    if len(rows):
        width = bracket if bracket is not None else _bracket(policy, sc)
        level[rows] = _bisect(policy, sc, target, service_type, lost_sales, rows, width[rows])
    tuned = level != policy.level
    after = simulate(replace(policy, level=level), sc, lost_sales) if tuned.any() else before
    return Tuning(level, tuned, before, after)


def _bracket(policy: SimPolicy, sc: Scenario) -> np.ndarray:
    """Half-width of the first search interval: three sds of demand over the protection interval
    (the scenario's own daily sd times sqrt(L + R)) plus a day's mean demand and one unit; the search
    widens where that is not enough."""
    days = np.nan_to_num(policy.lead_time_days) + np.nan_to_num(policy.review_days)
    daily = sc.demand[:, sc.warmup :]
    return 3 * daily.std(axis=1) * np.sqrt(np.maximum(days, 1)) + daily.mean(axis=1) + 1


def _bisect(policy, sc, target, service_type, lost_sales, rows, width) -> np.ndarray:
    """Least whole-unit level meeting the target, per row. The interval [level - width, level + width]
    is first made to hold the answer (its top must meet the target, else it moves up by twice its width;
    its bottom must miss it, else it moves down likewise, to the floor -Q of (s, Q) or 0 of (R, S)), then
    it is halved. One simulation of the rows per step, at most MAX_SEARCH_STEPS."""
    sub_sc, sub_type, sub_target = subset(sc, rows), np.asarray(service_type)[rows], np.asarray(target)[rows]
    base = subset_policy(policy, rows)
    floor = np.where(base.is_rs, 0.0, -base.order_qty)
    lo = np.maximum(np.floor(base.level - width), floor)
    hi = np.ceil(base.level + width)
    hi_ok = np.zeros(len(rows), bool)
    lo_fails = np.zeros(len(rows), bool)
    for _ in range(MAX_SEARCH_STEPS):
        done = hi_ok & lo_fails & (hi - lo <= 1)
        if done.all():
            break
        trial = np.where(~hi_ok, hi, np.where(~lo_fails, lo, np.floor((lo + hi) / 2)))
        active = np.flatnonzero(~done)  # only the rows still searching are simulated
        sim_active = simulate(subset_policy(base, active, trial[active]), subset(sub_sc, active), lost_sales)
        meets = np.ones(len(rows), bool)
        meets[active] = service_measure(sim_active, sub_type[active]) >= sub_target[active]
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
    return hi
