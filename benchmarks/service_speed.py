"""Speed and memory of the Service Check (issue 11): N SKU-sites simulated day by day over two years and
tuned, as the plan does it (target: 100,000 SKU-sites in <= 60 s on this machine), on the fitted process and on
the resampled history (with the replay of the tuned levels on the history).

Run: python benchmarks/service_speed.py [N ...]"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.core import service as sv  # noqa: E402
from planner.core.row_streams import RowStreams  # noqa: E402


def rows(n: int, rng: np.random.Generator) -> tuple[sv.DemandProcess, sv.SimPolicy]:
    """n SKU-sites of mixed classes and policies: their daily process and a policy near the target."""
    d = rng.gamma(1.5, 5, n)
    p = rng.choice([1.0, 1.0, 0.3, 0.1], n)
    sd = d * rng.uniform(0.3, 2.0, n)
    is_rs = rng.random(n) < 0.5
    L = rng.choice([7.0, 14.0, 21.0], n)
    T = L + np.where(is_rs, 7, 0)
    sigma = sd * np.sqrt(T)
    policy = sv.SimPolicy(is_rs, d * T + sigma, np.maximum(np.round(d * 20), 1), np.where(is_rs, 7.0, 1.0), L,
                          rng.uniform(0, 2, n))  # fmt: skip
    return sv.DemandProcess(d, sd, p), policy


def whole_unit_rows(process: sv.DemandProcess, policy: sv.SimPolicy) -> np.ndarray:
    """The rows the plan gives negative-binomial levels, tuned to the whole unit nearest the target
    (tune_levels' ``nearest``): intermittent (demand on some days) or slow (under 20 units over T)."""
    days = policy.lead_time_days + np.where(policy.is_rs, policy.review_days, 0.0)
    return (process.occurrence < 1) | (process.mean_per_day * days < 20)


def case(n: int, seed: int = 3) -> tuple[float, float, float, float]:
    """Seconds to draw, to simulate once, to tune; share of rows tuned (the fitted-process route)."""
    rng = np.random.default_rng(seed)
    process, policy = rows(n, rng)
    t0 = time.perf_counter()
    sc = sv.scenario(process, policy)
    t1 = time.perf_counter()
    sv.simulate(policy, sc)
    t2 = time.perf_counter()
    kind = np.where(rng.random(n) < 0.5, "fill", "cycle")
    tuning = sv.tune_levels(policy, sc, np.full(n, 0.95), kind, nearest=whole_unit_rows(process, policy))
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t1, float(tuning.tuned.mean())


def history_case(n: int, seed: int = 3) -> tuple[float, float, float, float]:
    """The route of rows with history (the Service Check's default for 26 periods or more): two years of
    weekly history drawn from the same processes, then seconds to resample it (history_scenario, with the
    forecast level's error), to simulate
    and tune on it, to replay the tuned levels on the history; share of rows tuned."""
    rng = np.random.default_rng(seed)
    process, policy = rows(n, rng)
    daily = sv.draw_demand(process, 728, RowStreams(np.arange(n), seed + 7))
    weekly = np.add.reduceat(daily, np.arange(0, 728, 7), axis=1).astype(float)
    del daily
    t0 = time.perf_counter()
    level_cv = rng.uniform(0.01, 0.3, n)  # the forecast level's uncertainty (leadtime_demand.level_error_cv)
    sc = sv.history_scenario(weekly, process.mean_per_day, 7.0, policy, level_cv=level_cv)
    t1 = time.perf_counter()
    kind = np.where(rng.random(n) < 0.5, "fill", "cycle")
    tuning = sv.tune_levels(policy, sc, np.full(n, 0.95), kind, nearest=whole_unit_rows(process, policy))
    t2 = time.perf_counter()
    del sc
    planned = sv.subset_policy(policy, np.arange(n), tuning.level)
    sv.simulate(planned, sv.replay_scenario(weekly, 7.0, planned))
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, float(tuning.tuned.mean())


def table(title: str, columns: tuple[str, ...], case_of, sizes: list[int]) -> None:
    """Prints one row per size: the case's seconds, the share tuned, and the process's peak memory so far."""
    print(title)
    print(f"{'SKU-sites':>10} " + " ".join(f"{c:>12}" for c in (*columns, "tuned", "peak GB")))
    for n in sizes:
        *seconds, share = case_of(n)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        print(f"{n:>10,} " + " ".join(f"{s:>12.1f}" for s in seconds) + f" {share:>12.0%} {peak:>12.1f}")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    table("fitted process (rows with under 26 periods of history)", ("draw s", "simulate s", "check+tune s"),
          case, sizes)  # fmt: skip
    table("\nresampled history (rows with 26 periods or more; two years of weekly history) and its replay",
          ("resample s", "check+tune s", "replay s"), history_case, sizes)  # fmt: skip


if __name__ == "__main__":
    main()
