"""Speed and memory of the multi-echelon time-phased netting (issue 12): N SKU-sites over P weekly periods in a
plant -> DCs -> stores network, netted echelon by echelon (planner.pipeline.echelons.net_echelons, the loop the
plan runs; target: 100,000 SKU-sites x 52 weeks in <= 10 s). Peak MB: tracemalloc's peak of the netting's own
allocations (the inputs excluded).

Run: python benchmarks/netting.py [N ...]"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.core.netting import LotRules  # noqa: E402
from planner.pipeline.echelons import levels, net_echelons  # noqa: E402

SITES = (1, 9, 90)  # plant, DCs, stores: 100 sites


def network(n: int, p: int, seed: int = 5):
    """n SKU-sites: n / 100 SKUs at 100 sites (1 plant, 9 DCs, 90 stores; store k is replenished by DC k mod 9,
    every DC by the plant); store demand Poisson, DC and plant demand of their own smaller."""
    rng = np.random.default_rng(seed)
    skus, sites = n // sum(SITES), sum(SITES)
    site = np.tile(np.arange(sites), skus)
    sku = np.repeat(np.arange(skus), sites)
    site_parent = np.array([-1] + [0] * SITES[1] + [1 + k % SITES[1] for k in range(SITES[2])])
    parent = np.where(site_parent[site] >= 0, sku * sites + site_parent[site], -1)
    rate = np.where(site >= 1 + SITES[1], rng.gamma(1.5, 4, len(site)), rng.gamma(1.0, 2, len(site)))
    own = rng.poisson(rate[:, None], (len(site), p)).astype(float)
    sched = np.where(rng.random((len(site), p)) < 0.02, 50.0, 0.0)
    rules = LotRules(rng.random(len(site)) < 0.3, np.maximum(np.round(rate * 4), 1.0), rng.integers(1, 3, len(site)),
                     np.where(rng.random(len(site)) < 0.2, 20.0, np.nan), np.full(len(site), np.nan))  # fmt: skip
    offset = np.where(parent < 0, rng.integers(1, 5, len(site)), 1)
    return dict(own=own, scheduled=sched, on_hand=np.round(rate * rng.uniform(0, 6, len(site))), safety=np.round(rate),
                offset=offset, firm=np.zeros(len(site)), rules=rules, parent=parent)  # fmt: skip


def case(n: int, p: int) -> tuple[int, int, float, float]:
    args = network(n, p)
    tracemalloc.start()
    t0 = time.perf_counter()
    res = net_echelons(**args)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert res.balance_error(args["on_hand"]) < 1e-6
    return len(args["parent"]), len(np.unique(levels(args["parent"]))), seconds, peak


def main(sizes: list[int]) -> None:
    print(f"{'SKU-sites':>10} {'periods':>8} {'echelons':>9} {'seconds':>8} {'peak MB':>8}")
    for n in sizes:
        rows, echelons, seconds, peak = case(n, 52)
        print(f"{rows:>10,} {52:>8} {echelons:>9} {seconds:>8.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
