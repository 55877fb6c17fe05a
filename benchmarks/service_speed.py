"""Speed and memory of the Service Check (issue 11): N SKU-sites simulated day by day over two years and
tuned by bisection, as the plan does it (target: 100,000 SKU-sites in <= 60 s on this machine).

Run: python benchmarks/service_speed.py [N ...]"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.core import service as sv  # noqa: E402


def case(n: int, seed: int = 3) -> tuple[float, float, float, float]:
    """Seconds to draw, to simulate once, to tune; share of rows tuned. Mixed classes and policies."""
    rng = np.random.default_rng(seed)
    d = rng.gamma(1.5, 5, n)
    p = rng.choice([1.0, 1.0, 0.3, 0.1], n)
    sd = d * rng.uniform(0.3, 2.0, n)
    is_rs = rng.random(n) < 0.5
    L = rng.choice([7.0, 14.0, 21.0], n)
    T = L + np.where(is_rs, 7, 0)
    sigma = sd * np.sqrt(T)
    policy = sv.SimPolicy(is_rs, d * T + sigma, np.maximum(np.round(d * 20), 1), np.where(is_rs, 7.0, 1.0), L,
                          rng.uniform(0, 2, n))  # fmt: skip
    t0 = time.perf_counter()
    sc = sv.scenario(sv.DemandProcess(d, sd, p), policy)
    t1 = time.perf_counter()
    sv.simulate(policy, sc)
    t2 = time.perf_counter()
    tuning = sv.tune_levels(policy, sc, np.full(n, 0.95), np.where(rng.random(n) < 0.5, "fill", "cycle"))
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t1, float(tuning.tuned.mean())


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    print(f"{'SKU-sites':>10} {'draw s':>7} {'simulate s':>10} {'check+tune s':>12} {'tuned':>6} {'peak GB':>8}")
    for n in sizes:
        draw, once, tune, share = case(n)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        print(f"{n:>10,} {draw:>7.1f} {once:>10.1f} {tune:>12.1f} {share:>6.0%} {peak:>8.1f}")


if __name__ == "__main__":
    main()
