"""Service simulation and tuning (planner.core.service) against an independent one-SKU loop, textbook
deterministic cases, and the textbook fill-rate formula where it holds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from planner.core import inventory as inv
from planner.core import service as sv
from planner.core.row_streams import RowStreams, row_keys


def reference_run(demand, lead_times, warmup, is_rs, level, q, review, lost_sales):
    """A plain per-day loop of one SKU, written from the contract's day (serve, receive, review)."""
    net = pos = level if is_rs else level + q
    due: dict[int, float] = {}
    total = served_total = stock = orders = cycles = cycles_short = 0.0
    short = False
    for t, x in enumerate(demand):
        x = float(x)
        served = min(x, max(net, 0.0))
        net -= served if lost_sales else x
        pos -= served if lost_sales else x
        short = short or served < x
        arriving = due.pop(t, 0.0)
        net += arriving
        order = 0.0
        if t % review == 0:
            if is_rs and pos < level:
                order = np.ceil(level - pos - 1e-9)
            elif not is_rs and pos <= level:
                order = (np.floor((level - pos) / q) + 1) * q
        pos += order
        if order > 0:
            lead = int(lead_times[t])
            if lead == 0:
                net += order
            else:
                due[t + lead] = due.get(t + lead, 0.0) + order
        if t >= warmup:
            total += x
            served_total += served
            stock += max(net, 0.0)
            orders += order > 0
            cycles += arriving > 0
            cycles_short += arriving > 0 and short
        if arriving > 0:
            short = False
    days = len(demand) - warmup
    return served_total / total, 1 - cycles_short / cycles, stock / days, orders * 365 / days


def _policies(n, rng):
    is_rs = rng.random(n) < 0.5
    level = rng.uniform(0, 300, n)
    return sv.SimPolicy(
        is_rs=is_rs, level=level, order_qty=rng.uniform(20, 200, n), review_days=np.where(is_rs, 7.0, 1.0),
        lead_time_days=rng.integers(0, 15, n).astype(float), lead_time_sd_days=rng.uniform(0, 3, n),
    )  # fmt: skip


@pytest.mark.parametrize("lost_sales", [False, True])
def test_vectorised_simulation_matches_a_one_sku_loop(lost_sales):
    rng = np.random.default_rng(7)
    n = 12
    policy = _policies(n, rng)
    process = sv.DemandProcess(rng.uniform(1, 20, n), rng.uniform(1, 15, n), rng.uniform(0.2, 1, n))
    sc = sv.scenario(process, policy, days=400, seed=3)
    got = sv.simulate(policy, sc, lost_sales)
    for i in range(n):
        ref = reference_run(sc.demand[i], sc.lead_times[i], sc.warmup, policy.is_rs[i], policy.level[i],
                            policy.order_qty[i], int(policy.review_days[i]), lost_sales)  # fmt: skip
        assert (got.fill_rate[i], got.cycle_service[i], got.average_stock[i], got.orders_per_year[i]) == (
            pytest.approx(ref, rel=1e-9)
        )


def _deterministic(d, level, q, lead, is_rs=False, review=1, days=700):
    policy = sv.SimPolicy(np.array([is_rs]), np.array([level], float), np.array([q], float),
                          np.array([review], float), np.array([lead], float), np.zeros(1))  # fmt: skip
    sc = sv.Scenario(np.full((1, days + 50), d, np.float32), np.full((1, days + 50), lead, np.int32), 50)
    return sv.simulate(policy, sc)


def test_deterministic_demand_textbook_cases():
    # s = d L exactly covers the lead time: no stockout; Q / d days per cycle
    r = _deterministic(10, 50, 100, 5)
    assert r.fill_rate[0] == 1.0 and r.cycle_service[0] == 1.0
    assert r.orders_per_year[0] == pytest.approx(36.5, rel=0.02)
    # s 10 below d L: 10 units short in each cycle of Q = 100 units, fill rate 90 %, every cycle short
    r = _deterministic(10, 40, 100, 5)
    assert r.fill_rate[0] == pytest.approx(0.9, abs=0.003) and r.cycle_service[0] == 0.0
    # end-of-day stock of a deterministic (s, Q) with s = d L runs Q, Q - d, ..., d: mean Q / 2 + d / 2
    r = _deterministic(10, 50, 100, 5)
    assert r.average_stock[0] == pytest.approx(100 / 2 + 10 / 2, abs=1e-9)
    # (R, S) with S = d (R + L): no stockout; S - d (R + L) = -10: 10 short per 70 units demanded per cycle
    assert _deterministic(10, 120, 0, 5, True, 7).fill_rate[0] == 1.0
    assert _deterministic(10, 110, 0, 5, True, 7).fill_rate[0] == pytest.approx(1 - 10 / 70, abs=0.003)


def test_continuous_review_normal_demand_agrees_with_the_textbook_formula():
    """With large Q, daily review of demand that is near normal over L and lot sizes large against the
    daily demand, the (s, Q) fill rate 1 - sigma_L G(k) / Q (SPT eq. 6.25) holds within a point."""
    n = 400
    d, sd, L, q, k = 50.0, 15.0, 10, 2000.0, 0.5
    sigma = np.sqrt(L) * sd
    policy = sv.SimPolicy(np.zeros(n, bool), np.full(n, d * L + k * sigma), np.full(n, q), np.ones(n),
                          np.full(n, float(L)), np.zeros(n))  # fmt: skip
    sc = sv.scenario(sv.DemandProcess(np.full(n, d), np.full(n, sd), np.ones(n)), policy, days=730)
    sim = sv.simulate(policy, sc).fill_rate.mean()
    formula = inv.expected_fill_rate(k, sigma, q, d, 7, "sQ")
    assert sim == pytest.approx(float(formula), abs=0.01)


def test_drawn_demand_has_the_fitted_moments():
    process = sv.DemandProcess(np.array([10, 10, 2, 2, 0.3, 50.0]), np.array([3, 12, 6, 2, 1.2, 20.0]),
                               np.array([1, 1, 0.2, 0.5, 0.1, 1.0]))  # fmt: skip
    demand = sv.draw_demand(process, 200_000, RowStreams(np.arange(6), 1))
    assert np.all(demand == np.floor(demand)) and np.all(demand >= 0)
    np.testing.assert_allclose(demand.mean(axis=1), process.mean_per_day, rtol=0.02)
    # stochastic rounding adds at most 1/4 unit² of variance
    np.testing.assert_allclose(demand.std(axis=1), process.sd_per_day, rtol=0.06, atol=0.3)
    zero_share = (demand[2:5] == 0).mean(axis=1)
    assert np.all(zero_share >= 1 - process.occurrence[2:5] - 0.01)


def test_daily_occurrence_reproduces_the_period_share():
    p_day = sv.daily_occurrence(np.array([0.3, 0.9, 1.0, np.nan]), 7)
    np.testing.assert_allclose(1 - (1 - p_day) ** 7, [0.3, 0.9, 1.0, 1.0])


def test_tuned_level_is_the_least_that_meets_the_target():
    rng = np.random.default_rng(11)
    n = 30
    policy = _policies(n, rng)
    process = sv.DemandProcess(rng.uniform(1, 20, n), rng.uniform(1, 25, n), rng.uniform(0.2, 1, n))
    sc = sv.scenario(process, policy, days=365)
    target = np.full(n, 0.95)
    kind = np.where(rng.random(n) < 0.5, "fill", "cycle")
    tuning = sv.tune_levels(policy, sc, target, kind)
    measure = sv.service_measure(tuning.after, kind)
    assert np.all(measure[tuning.tuned] >= target[tuning.tuned])
    untouched = ~tuning.tuned
    close = sv.service_measure(tuning.before, kind) >= 0.95 - sv.MISS_TOLERANCE
    assert np.all((close | (tuning.before.cycles < sv.MIN_CYCLES))[untouched])
    assert not np.any(tuning.tuned & (tuning.before.cycles < sv.MIN_CYCLES))
    rows = np.flatnonzero(tuning.tuned)
    one_less = sv.subset_policy(policy, rows, tuning.level[rows] - 1)
    below = sv.service_measure(sv.simulate(one_less, sv.subset(sc, rows)), kind[rows])
    floor = np.where(policy.is_rs[rows], 0.0, -policy.order_qty[rows])
    assert np.all((below < 0.95) | (tuning.level[rows] - 1 < floor))


def test_excel_function_simulated_fill_rate_is_the_core_simulation():
    from test_excel_functions import call, col, flat

    levels, q = [80.0, 150.0, 300.0], 100.0
    got = flat(call("SIMULATED_FILL_RATE", col(levels), [[q]], [[10.0]], [[8.0]], [[14.0]], None, None, None,
                    [[0.5]], None)).astype(float)  # fmt: skip
    for i, level in enumerate(levels):
        policy = sv.SimPolicy(np.array([False]), np.array([level]), np.array([q]), np.array([1.0]),
                              np.array([14.0]), np.array([0.0]))  # fmt: skip
        process = sv.DemandProcess(np.array([10.0]), np.array([8.0]), np.array([0.5]))
        assert got[i] == pytest.approx(sv.simulate(policy, sv.scenario(process, policy)).fill_rate[0])
    assert got[0] < got[1] < got[2] <= 1


def test_excel_function_lost_sales_argument_reads_true_and_false():
    from test_excel_functions import call, flat

    args = ([[60.0]], [[100.0]], [[10.0]], [[8.0]], [[14.0]], None, None, None, None)
    backorder = flat(call("SIMULATED_FILL_RATE", *args, None)).astype(float)[0]
    assert flat(call("SIMULATED_FILL_RATE", *args, [["FALSE"]])).astype(float)[0] == backorder
    lost = flat(call("SIMULATED_FILL_RATE", *args, [[True]])).astype(float)[0]
    assert lost != backorder and flat(call("SIMULATED_FILL_RATE", *args, [["true"]])).astype(float)[0] == lost


def test_resampled_history_keeps_whole_periods_of_the_observed_history_at_the_planned_mean():
    """Weekly history, one series starting late: every simulated week's total is one observed week of its own
    row scaled by d / (history mean per day); the long-run mean is d and the skewness of 3-week sums is the
    weekly skewness / sqrt(3) (sums of independent draws). Within the week the total is split over the days as
    independent days would share it: the variance over a window of 7 days that straddles two weeks (4 days of
    one, 3 of the next) is the weekly variance (4/7 + 3/7 of it; an even split would give 16/49 + 9/49)."""
    rng = np.random.default_rng(11)
    weeks = rng.lognormal(3.0, 0.9, (2, 104))
    weeks[1, :40] = np.nan
    d = np.array([5.0, 9.0])
    days = 7 * 40_000
    out = sv.resample_history(weeks, d, 7.0, days, RowStreams(np.arange(len(weeks)), 3))
    assert out.shape == (2, days)
    per_week = out.reshape(2, -1, 7).astype(float)
    assert np.ptp(per_week, axis=2).mean() > 0  # not an even split
    for i in range(2):
        observed = weeks[i][~np.isnan(weeks[i])]
        scale = d[i] * 7 / observed.mean()
        drawn = per_week[i].sum(axis=1) / scale
        nearest = np.abs(drawn[:, None] - observed[None, :]).min(axis=1)
        assert np.all(nearest <= 1e-5 * observed.max())  # only observed weeks (float32)
        assert out[i].mean() == pytest.approx(d[i], rel=0.02)
        sums = per_week[i].sum(axis=1)[: (per_week.shape[1] // 3) * 3].reshape(-1, 3).sum(axis=1)
        skew = lambda x: np.mean((x - x.mean()) ** 3) / x.std() ** 3  # noqa: E731
        assert skew(sums) == pytest.approx(skew(observed) / np.sqrt(3), rel=0.15)
        straddling = out[i, 3 : 3 + 7 * (per_week.shape[1] - 1)].astype(float).reshape(-1, 7).sum(axis=1)
        assert straddling.var() == pytest.approx(per_week[i].sum(axis=1).var(), rel=0.05)


def test_spread_history_scales_the_variance_about_the_mean():
    """f < 1, or f > 1 where the floor at 0 does not bite: mean kept, variance times f²; NaN stays NaN; a
    resample of the spread history varies by f² the original's, at the same planned mean; a history with
    empty periods is kept as it is."""
    rng = np.random.default_rng(12)
    weeks = rng.normal(100.0, 15.0, (3, 104))
    weeks[2, :30] = np.nan
    f = np.array([0.5, 1.5, 2.0])
    out = sv.spread_history(weeks, f)
    assert np.isnan(out[2, :30]).all() and not np.isnan(out[2, 30:]).any()
    np.testing.assert_allclose(np.nanmean(out, axis=1), np.nanmean(weeks, axis=1), rtol=1e-12)
    np.testing.assert_allclose(np.nanvar(out, axis=1), f**2 * np.nanvar(weeks, axis=1), rtol=1e-12)
    d = np.full(3, 10.0)
    plain = sv.resample_history(weeks, d, 7.0, 7 * 20_000, RowStreams(np.arange(3), 3)).reshape(3, -1, 7).sum(axis=2)
    wide = sv.resample_history(weeks, d, 7.0, 7 * 20_000, RowStreams(np.arange(3), 3), f).reshape(3, -1, 7).sum(axis=2)
    np.testing.assert_allclose(wide.mean(axis=1), d * 7, rtol=0.01)
    np.testing.assert_allclose(wide.var(axis=1) / plain.var(axis=1), f**2, rtol=0.05)
    intermittent = np.where(rng.random((1, 104)) < 0.4, 0.0, weeks[:1])
    np.testing.assert_array_equal(sv.spread_history(intermittent, [2.0]), intermittent)  # empty periods: kept


def _own_generator(seed: int, key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key])))


def _reference_draw(process, policy, days, seed, keys):
    """The scenario's draws written plainly, one row at a time from its own generator: gamma sizes,
    occurrences, rounding, then the lead times' normals where sigma_L > 0."""
    demand, lead_times = [], []
    for i, key in enumerate(keys):
        g = _own_generator(seed, int(key))
        d, sd, p = process.mean_per_day[i], process.sd_per_day[i], np.clip(process.occurrence[i], 1e-6, 1.0)
        mu = max(d, 0.0) / p
        var_x = max((sd**2 - p * (1 - p) * mu**2) / p, 0.01 * mu**2)
        shape = mu**2 / var_x if var_x > 0 else 1.0
        scale = var_x / mu if mu > 0 else 0.0
        size = g.standard_gamma(np.float32(shape), days, dtype=np.float32) * np.float32(scale)
        occurs = g.random(days, dtype=np.float32) < p
        size = np.floor(size + g.random(days, dtype=np.float32))
        size[~occurs | (d <= 0)] = 0.0
        demand.append(size)
        L, sL = np.ceil(policy.lead_time_days[i]), policy.lead_time_sd_days[i]
        drawn = np.rint(L + sL * g.standard_normal(days)) if sL > 0 else np.full(days, L)
        lead_times.append(np.clip(drawn, 0, np.ceil(L + 4 * sL)))
    return np.array(demand), np.array(lead_times)


def test_scenario_draws_each_row_from_its_own_stream():
    """The demand and lead times are drawn a block of rows at a time into day-major arrays: the same numbers
    as each row drawn alone from a generator seeded by (seed, its key), rows across several blocks, some rows
    with a constant lead time (drawing nothing)."""
    rng = np.random.default_rng(4)
    n = 2 * sv.DRAW_ROWS + 37
    process = sv.DemandProcess(rng.uniform(0, 20, n) * (rng.random(n) < 0.9), rng.uniform(0, 25, n),
                               rng.choice([1.0, 0.3, 0.123456789], n))  # fmt: skip
    policy = _policies(n, rng)
    policy = replace(policy, lead_time_sd_days=np.where(np.arange(n) % 3 == 0, 0.0, policy.lead_time_sd_days))
    keys = row_keys([f"SKU-{i}" for i in range(n)], ["DC"] * n)
    sc = sv.scenario(process, policy, days=60, seed=9, keys=keys)
    demand, lead_times = _reference_draw(process, policy, sc.demand.shape[1], 9, keys)
    np.testing.assert_array_equal(sc.demand, demand)
    np.testing.assert_array_equal(sc.lead_times, lead_times)
    assert sc.demand.T.flags.c_contiguous and sc.lead_times.T.flags.c_contiguous  # each day's column contiguous


def test_a_rows_scenario_does_not_depend_on_the_rows_beside_it():
    """With keys from SKU and site, a row's demand and lead times (fitted process, resampled history with
    level error, replay) are the same bit for bit when the other rows' parameters and histories change and
    when the rows are shuffled; the same row under another key draws other numbers."""
    rng = np.random.default_rng(21)
    n = 30
    process = sv.DemandProcess(rng.uniform(1, 20, n), rng.uniform(1, 25, n), rng.uniform(0.2, 1, n))
    policy = _policies(n, rng)
    Y = rng.gamma(0.8, 40.0, (n, 104)) * (rng.random((n, 104)) < 0.6)
    keys = row_keys([f"SKU-{i}" for i in range(n)], ["DC"] * n)
    order = rng.permutation(n)
    others = np.arange(n) != 7
    changed = sv.DemandProcess(np.where(others, process.mean_per_day * 3, process.mean_per_day),
                               np.where(others, process.sd_per_day * 5, process.sd_per_day),
                               process.occurrence)  # fmt: skip
    Y2 = np.where(others[:, None], rng.gamma(0.3, 90.0, Y.shape), Y)
    d = Y.mean(axis=1) / 7

    def draws(proc, hist, rows):
        pol = sv.subset_policy(policy, rows)
        fitted = sv.scenario(sv.subset_process(proc, rows), pol, days=400, keys=keys[rows])
        resampled = sv.history_scenario(hist[rows], d[rows], 7.0, pol, days=400, level_cv=np.full(n, 0.2),
                                        keys=keys[rows])  # fmt: skip
        replayed = sv.replay_scenario(hist[rows], 7.0, pol, keys=keys[rows])
        return [(sc.demand, sc.lead_times) for sc in (fitted, resampled, replayed)]

    base = draws(process, Y, np.arange(n))
    row7 = [(dem[7], lt[7]) for dem, lt in base]
    for proc, hist, rows in ((changed, Y2, np.arange(n)), (process, Y, order)):
        at = int(np.flatnonzero(rows == 7)[0])
        for (dem, lt), (dem7, lt7) in zip(draws(proc, hist, rows), row7, strict=True):
            np.testing.assert_array_equal(dem[at], dem7)
            np.testing.assert_array_equal(lt[at], lt7)
    other_key = sv.scenario(process, policy, days=400, keys=np.roll(keys, 1))
    assert not np.array_equal(other_key.demand[7], base[0][0][7])


def test_a_rows_replay_does_not_change_when_another_history_reaches_further_back():
    """The history is as wide as the oldest row's: another row gaining 30 older weeks widens it (NaN before
    the others' starts). Row 7's replay (its days' split, lead times and the replayed fill rate) stays the
    same: it draws over its own periods only and starts on day 0."""
    rng = np.random.default_rng(22)
    n = 12
    policy = replace(_policies(n, rng), lead_time_sd_days=np.full(n, 1.5))
    Y = rng.gamma(0.8, 40.0, (n, 104)) * (rng.random((n, 104)) < 0.6)
    Y[7, :20] = np.nan  # row 7 itself starts later
    wider = np.hstack([np.full((n, 30), np.nan), Y])
    wider[0, :30] = rng.gamma(0.8, 40.0, 30)
    keys = row_keys([f"SKU-{i}" for i in range(n)], ["DC"] * n)
    narrow_sc = sv.replay_scenario(Y, 7.0, policy, keys=keys)
    wide_sc = sv.replay_scenario(wider, 7.0, policy, keys=keys)
    days = 84 * 7
    np.testing.assert_array_equal(wide_sc.demand[7, :days], narrow_sc.demand[7, :days])
    np.testing.assert_allclose(narrow_sc.demand[7, :days].reshape(-1, 7).sum(axis=1), Y[7, 20:], rtol=1e-5)
    assert not wide_sc.demand[7, days:].any()
    np.testing.assert_array_equal(wide_sc.lead_times[7, :days], narrow_sc.lead_times[7, :days])
    one = sv.subset_policy(policy, np.array([7]))
    a = sv.simulate(one, sv.subset(narrow_sc, np.array([7])))
    b = sv.simulate(one, sv.subset(wide_sc, np.array([7])))
    assert a.fill_rate[0] == b.fill_rate[0] and a.cycle_service[0] == b.cycle_service[0]


def test_simulation_does_not_depend_on_layout_or_the_rows_beside():
    """A row's figures are the same bit for bit: alone or among others, on the scenario's rows (rows=, a row
    run twice) or on a copied subset, with lead times constant (one broadcast column) or drawn per day,
    whatever the arrays' layout and integer type."""
    rng = np.random.default_rng(8)
    n = 40
    policy = _policies(n, rng)
    process = sv.DemandProcess(rng.uniform(1, 20, n), rng.uniform(1, 15, n), rng.uniform(0.2, 1, n))
    sc = sv.scenario(process, policy, days=300, seed=5)
    whole = sv.simulate(policy, sc)
    rows = np.array([5, 3, 3, 39, 0])
    on_rows = sv.simulate(sv.subset_policy(policy, rows), sc, rows=rows)
    copied = sv.subset(sc, rows)
    in_copy = sv.simulate(sv.subset_policy(policy, rows), sv.Scenario(np.ascontiguousarray(copied.demand),
                          copied.lead_times.astype(np.int64), sc.warmup))  # fmt: skip
    for f in ("fill_rate", "cycle_service", "average_stock", "orders_per_year", "cycles"):
        np.testing.assert_array_equal(getattr(on_rows, f), getattr(whole, f)[rows])
        np.testing.assert_array_equal(getattr(in_copy, f), getattr(whole, f)[rows])
    constant = replace(policy, lead_time_sd_days=np.zeros(n))
    sc_constant = sv.scenario(process, constant, days=300, seed=5)
    assert sc_constant.lead_times.strides[1] == 0  # constant lead times: no (rows, days) array
    full = sv.Scenario(sc_constant.demand, np.array(sc_constant.lead_times, np.int32), sc_constant.warmup)
    a, b = sv.simulate(constant, sc_constant), sv.simulate(constant, full)
    np.testing.assert_array_equal(a.fill_rate, b.fill_rate)
    np.testing.assert_array_equal(a.average_stock, b.average_stock)


def _brute_least(policy, sc, target, kind, lost_sales, rows, top=400):
    """The least whole level from the level's floor upward at which each row meets its target (a scan)."""
    least = []
    for i in rows:
        floor = 0.0 if policy.is_rs[i] else -policy.order_qty[i]
        levels = np.arange(np.ceil(floor), np.ceil(policy.level[i]) + top)
        one = sv.subset_policy(policy, np.full(len(levels), i), levels)
        met = sv.service_measure(sv.simulate(one, sc, lost_sales, rows=np.full(len(levels), i)), kind[i]) >= target[i]
        least.append(levels[np.argmax(met)])
    return np.array(least)


@pytest.mark.parametrize("whole_units", [True, False])
def test_tuned_levels_equal_a_scan_of_every_level(whole_units):
    """Backorders: the tuned level (read from the first run's stockouts, then checked) is the least whole
    level meeting the target, as a scan of every level from the floor up finds it; the service reported at
    it is that of a fresh simulation. Fractional levels with whole Q make the first run's position differ
    from the level by rounding where they would be equal (the guess is then made again at a whole level)."""
    rng = np.random.default_rng(24)  # two of its fractional rows are guessed again at a whole level
    n = 16
    policy = _policies(n, rng)
    policy = replace(policy, order_qty=np.round(policy.order_qty), level=policy.level * 0.5)
    if whole_units:
        policy = replace(policy, level=np.round(policy.level))
    process = sv.DemandProcess(rng.uniform(1, 12, n), rng.uniform(1, 20, n), rng.uniform(0.3, 1, n))
    sc = sv.scenario(process, policy, days=365, seed=2)
    target, kind = rng.choice([0.9, 0.95, 0.98], n), np.where(np.arange(n) % 2 == 0, "fill", "cycle")
    tuning = sv.tune_levels(policy, sc, target, kind)
    rows = np.flatnonzero(tuning.tuned)
    assert len(rows) >= n // 2
    np.testing.assert_array_equal(tuning.level[rows], _brute_least(policy, sc, target, kind, False, rows))
    fresh = sv.simulate(replace(policy, level=tuning.level), sc)
    for f in ("fill_rate", "cycle_service", "average_stock", "orders_per_year", "cycles"):
        np.testing.assert_array_equal(getattr(tuning.after, f), getattr(fresh, f))


def test_nearest_rows_tune_to_the_whole_level_nearest_the_target():
    """``nearest`` rows that miss: the tuned level is, of the least level reaching the target on the scenario
    (the scan) and one unit below it, the one whose simulated service is nearer the target; other rows keep
    the least level; the reported service is that of a fresh simulation."""
    rng = np.random.default_rng(24)
    n = 16
    policy = _policies(n, rng)
    policy = replace(policy, order_qty=np.round(policy.order_qty), level=np.round(policy.level * 0.5))
    process = sv.DemandProcess(rng.uniform(1, 12, n), rng.uniform(1, 20, n), rng.uniform(0.3, 1, n))
    sc = sv.scenario(process, policy, days=365, seed=2)
    target, kind = rng.choice([0.9, 0.95, 0.98], n), np.where(np.arange(n) % 2 == 0, "fill", "cycle")
    nearest = np.arange(n) % 4 < 2
    tuning = sv.tune_levels(policy, sc, target, kind, nearest=nearest)
    rows = np.flatnonzero(sv.tune_levels(policy, sc, target, kind).tuned)
    least = _brute_least(policy, sc, target, kind, False, rows)
    at = sv.service_measure(sv.simulate(sv.subset_policy(policy, rows, least), sc, rows=rows), kind[rows])
    below = sv.service_measure(sv.simulate(sv.subset_policy(policy, rows, least - 1), sc, rows=rows), kind[rows])
    lower = nearest[rows] & (target[rows] - below < at - target[rows])
    assert lower.any() and (nearest[rows] & ~lower).any()
    np.testing.assert_array_equal(tuning.level[rows], least - lower)
    fresh = sv.simulate(replace(policy, level=tuning.level), sc)
    for f in ("fill_rate", "cycle_service", "average_stock"):
        np.testing.assert_array_equal(getattr(tuning.after, f), getattr(fresh, f))


def test_lost_sales_tuning_raises_levels_to_one_that_meets():
    """Lost sales (service not always monotone in the level): a tuned level is above the formula's, meets
    the target with at least MIN_CYCLES cycles measured, and one unit less misses; never a level so low that
    it never orders (no cycle measured, so a vacuous 100 % cycle service)."""
    rng = np.random.default_rng(13)
    n = 24
    policy = _policies(n, rng)
    policy = replace(policy, level=policy.level * 0.4)
    process = sv.DemandProcess(rng.uniform(1, 12, n), rng.uniform(1, 20, n), rng.uniform(0.3, 1, n))
    sc = sv.scenario(process, policy, days=365, seed=4)
    target, kind = np.full(n, 0.95), np.where(np.arange(n) % 2 == 0, "fill", "cycle")
    tuning = sv.tune_levels(policy, sc, target, kind, lost_sales=True)
    rows = np.flatnonzero(tuning.tuned)
    assert len(rows) >= n // 2
    assert np.all(tuning.level[rows] > policy.level[rows])
    assert np.all(sv.service_measure(tuning.after, kind)[rows] >= 0.95)
    assert np.all(tuning.after.cycles[rows] >= sv.MIN_CYCLES)
    less = sv.simulate(sv.subset_policy(policy, rows, tuning.level[rows] - 1), sc, True, rows=rows)
    assert np.all(sv.service_measure(less, kind[rows]) < 0.95)


def test_nothing_to_tune_and_no_rows():
    """Levels that all meet their target are kept (no search), and no rows simulate to empty figures."""
    rng = np.random.default_rng(3)
    n = 6
    policy = replace(_policies(n, rng), level=np.full(n, 5000.0))
    sc = sv.scenario(sv.DemandProcess(rng.uniform(1, 5, n), rng.uniform(1, 5, n), np.ones(n)), policy, days=200)
    tuning = sv.tune_levels(policy, sc, np.full(n, 0.9), np.full(n, "fill"))
    assert not tuning.tuned.any() and np.all(tuning.after.fill_rate == 1.0)
    np.testing.assert_array_equal(tuning.level, policy.level)
    empty = sv.simulate(sv.subset_policy(policy, np.arange(0)), sc, rows=np.arange(0))
    assert len(empty.fill_rate) == 0


def test_level_error_scales_each_segment_by_one_factor_of_mean_one_and_the_given_cv():
    """with_level_error: within each segment every day of a row is multiplied by the same factor (the warm-up
    by the first segment's), the factors over 20,000 rows have mean 1 and the coefficient of variation asked
    for, a row with cv 0 is unchanged, and the same seed gives the same scenario (common random numbers)."""
    rows, warmup, measured = 20_000, 40, 4 * 91
    demand = np.random.default_rng(2).gamma(2.0, 3.0, (rows, warmup + measured)).astype(np.float32) + 1
    cv = np.where(np.arange(rows) % 2 == 0, 0.25, 0.0)
    out = sv.with_level_error(demand, warmup, cv, RowStreams(np.arange(rows), 9))
    ratio = out.astype(float) / demand
    segments = ratio[:, warmup:].reshape(rows, 4, 91)
    assert np.allclose(segments, segments[:, :, :1], rtol=1e-6)  # one factor per segment
    assert np.allclose(ratio[:, :warmup], segments[:, :1, 0], rtol=1e-6)
    factors = segments[::2, :, 0].ravel()
    assert factors.mean() == pytest.approx(1.0, abs=0.005)
    assert factors.std() == pytest.approx(0.25, rel=0.03)
    assert np.array_equal(out[1::2], demand[1::2])
    assert np.array_equal(out, sv.with_level_error(demand, warmup, cv, RowStreams(np.arange(rows), 9)))


def test_a_week_in_a_hundred_lands_on_one_day():
    """A row with demand in one week of 104 (concentration about 0.001): the gamma draws of that week would
    underflow in float32; the log-space Dirichlet still puts (nearly) all of a resampled week on one day, as
    a Dirichlet(0.001, ...) does, and the variance over 3 days of a week is 3/7 x 4/7 / (7a + 1) of the
    squared week (a Beta(3a, 4a) share) within 5 %."""
    Y = np.zeros((1, 104))
    Y[0, 50] = 70.0
    a = sv.day_concentration(Y, 7.0)[0]
    mssd = 2 * 70.0**2 / (2 * 103)  # two successive differences of 70 among 103
    assert a == pytest.approx(1 / (7 * mssd / (70.0 / 104) ** 2), rel=1e-9)
    out = sv.resample_history(Y, np.array([70.0 / 728]), 7.0, 7 * 200_000, RowStreams(np.arange(1), 4))
    weeks = out.reshape(-1, 7).astype(float)
    demand_weeks = weeks[weeks.sum(axis=1) > 0]
    assert len(demand_weeks) > 1000
    largest = demand_weeks.max(axis=1) / demand_weeks.sum(axis=1)
    assert largest.mean() > 0.98
    share = demand_weeks[:, :3].sum(axis=1) / demand_weeks.sum(axis=1)
    assert share.var() == pytest.approx(3 / 7 * 4 / 7 / (7 * a + 1), rel=0.05)
