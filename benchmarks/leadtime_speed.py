"""Speed of the lead-time demand sd from multi-step errors (issue 11): N weekly series x 104 weeks, each
forecast once with method auto (as the plan does), then from ORIGINS rolling origins with its chosen
method fixed, the history's variance pooled across each demand class (planner.core.pooled_variance), and
the levels of the rows from their distribution (normal, gamma, negative binomial, whose whole-unit levels are
the unit nearest the target).

Run: python benchmarks/leadtime_speed.py [N ...]"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.core import leadtime_demand as ltd  # noqa: E402
from planner.core import service_levels as sl  # noqa: E402
from planner.core.forecast import forecast_series  # noqa: E402
from planner.core.pooled_variance import pooled_period_variance  # noqa: E402


def case(n: int, periods: int = 104, seed: int = 5) -> tuple[float, float, float, float, float]:
    """Seconds: forecast (auto), rolling-origin errors and sd, pooled history variance, levels; share of rows
    with usable origins."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(1.0, 10.0, n)[:, None]
    occurs = rng.random((n, periods)) < rng.choice([1.0, 0.6, 0.3], n)[:, None]
    Y = occurs * rng.gamma(2.0, rate / 2.0, (n, periods))
    days = np.where(rng.random(n) < 0.5, 15.0, 21.0)
    t0 = time.perf_counter()
    fc = forecast_series(Y, 13, 52)
    t1 = time.perf_counter()
    errors = ltd.rolling_errors(Y, fc.method, days, 7.0, 52, params=fc.params)
    sd = ltd.interval_sd(errors, fc.sigma, days, 7.0, fc.demand_class)
    t2 = time.perf_counter()
    d = fc.forecast[:, 0] / 7.0
    pooled = pooled_period_variance(Y, fc.demand_class, d * days < ltd.SLOW_UNITS)
    history_var = ltd.history_interval_var(Y, days, 7.0, pooled)
    sd = np.sqrt(np.maximum(np.square(sd), np.nan_to_num(history_var)))
    t_pool = time.perf_counter()
    kind = ltd.distribution(fc.demand_class, d * days)
    rs = days == 21.0
    q = np.maximum(np.round(d * 30), 1.0)
    sl.level_for_target("fill", 0.95, q, d, np.square(sd) / days, days - np.where(rs, 7, 1), 0.0, rs, 7.0,
                        np.where(rs, 0.0, 1.0), kind, nearest=ltd.nearest_unit_rows(kind))  # fmt: skip
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t_pool - t2, t3 - t_pool, float(np.mean(np.isfinite(errors).any(axis=1)))


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    print(f"{'series':>8} {'forecast s':>10} {'multi-step sd s':>15} {'pooled var s':>12} {'levels s':>9} "
          f"{'with origins':>12}")  # fmt: skip
    for n in sizes:
        f, m, pool, lv, share = case(n)
        print(f"{n:>8,} {f:>10.1f} {m:>15.1f} {pool:>12.1f} {lv:>9.1f} {share:>12.0%}")


if __name__ == "__main__":
    main()
