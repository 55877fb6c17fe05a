"""Speed of the network optimisations (issue #4); prints a table. Run: python benchmarks/network.py [--quick]

- distribution LP: 100 origins x 10,000 destinations, every origin-destination lane priced per unit, one SKU
  per destination out of 20 (1,000,000 lanes; target <= 30 s)
- truck MILP: 20 origins x 500 destinations, every lane priced per truck, 1-3 SKUs per destination, each
  SKU stocked at 4 origins, with stock 110 % and 95 % of the requirements (target: within 60 s at a
  reported gap <= 1 %)
- supplier allocation: 10,000 SKUs x 5 offers over 50 suppliers whose capacity binds, 20 % class A
  diversified (max share 70 %, 2 suppliers) (target <= 30 s for the heuristic; the exact solve then runs up
  to allocation_exact_time_limit_s = 30 s more)
- exact allocation vs the rounding heuristic alone on random 104-220-offer instances (26-55 SKUs x 4 offers,
  binding supplier capacity, 30 % class A diversified): the heuristic's objective above the optimum HiGHS
  proves, and the exact solve's time
- trucks per lane and dispatch period: the truck MILP with due dates spread over 4 weeks, trucks counted per
  day, per week, and over the whole plan (the old count, where items due weeks apart shared a truck): trucks,
  fill, transport CO2 (vehicle-km, load-dependent) and CO2 per unit
- the Hillier-Lieberman P&T problem at cost scales 1, 2, 10, 1000: units shipped of 300 with the scaled
  penalties and with the flat 1,000 per unit
- the bundled sample through plan_workbook (reorder plan + network), for scale
Times are wall-clock for the whole call (building the model, HiGHS, the report frames).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.core.optimize.allocation import AllocationSettings, allocate  # noqa: E402
from planner.core.optimize.distribution import DistributionSettings, plan_distribution  # noqa: E402

PT_COST = [[464, 513, 654, 867], [352, 416, 690, 791], [995, 682, 388, 685]]  # Hillier & Lieberman, P&T Company

DAY0 = pd.Timestamp("2026-11-02")


def network(n_o: int, n_d: int, n_sku: int, per_truck: bool, skus_per_dest: tuple[int, int], holders: int,
            cover: float, seed: int = 1, due_days: tuple[int, int] = (1, 6)):  # fmt: skip
    rng = np.random.default_rng(seed)
    skus = [f"K{i:03d}" for i in range(n_sku)]
    ox, oy = rng.uniform(0, 1000, n_o), rng.uniform(0, 1000, n_o)
    dx, dy = rng.uniform(0, 1000, n_d), rng.uniform(0, 1000, n_d)
    req = []
    for d in range(n_d):
        for k in rng.choice(n_sku, rng.integers(skus_per_dest[0], skus_per_dest[1] + 1), replace=False):
            req.append((f"D{d:05d}", skus[k], float(rng.integers(5, 60)), float(rng.integers(0, 3))))
    reqs = pd.DataFrame(req, columns=["destination", "sku", "quantity", "priority"])
    reqs["due_date"] = DAY0 + pd.to_timedelta(rng.integers(*due_days, len(reqs)), unit="D")
    reqs["_row"] = np.arange(len(reqs)) + 2
    need = reqs.groupby("sku")["quantity"].sum()
    share = np.zeros((n_sku, n_o))  # each SKU stocked at `holders` origins, together `cover` x its demand
    for k in range(n_sku):
        share[k, rng.choice(n_o, holders, replace=False)] = rng.dirichlet(np.ones(holders))
    supply = pd.DataFrame([(f"O{o:03d}", skus[k], float(np.floor(cover * need.get(skus[k], 0) * share[k, o])))
                           for k in range(n_sku) for o in range(n_o) if share[k, o] > 0],
                          columns=["site", "sku", "available"])  # fmt: skip
    oi, di = np.meshgrid(np.arange(n_o), np.arange(n_d), indexing="ij")
    oi, di = oi.ravel(), di.ravel()
    km = np.hypot(ox[oi] - dx[di], oy[oi] - dy[di]) + 10
    lanes = pd.DataFrame({"origin": [f"O{o:03d}" for o in oi], "destination": [f"D{d:05d}" for d in di],
                          "distance_km": np.round(km), "transit_days": np.ceil(km / 400), "mode": "road",
                          "co2_kg_per_tkm": 0.107})  # fmt: skip
    if per_truck:
        lanes["truck_capacity_m3"], lanes["cost_per_truck"] = 25.0, np.round(150 + 1.2 * km)
        lanes["cost_per_unit"] = np.nan
    else:
        lanes["cost_per_unit"] = np.round(0.3 + km / 400, 2)
        lanes["truck_capacity_m3"] = lanes["cost_per_truck"] = np.nan
    items = pd.DataFrame({"unit_volume_m3": rng.uniform(0.02, 0.2, n_sku), "unit_weight_kg": rng.uniform(1, 25, n_sku)},
                         index=pd.Index(skus, name="sku"))  # fmt: skip
    return supply, reqs, lanes, items


def allocation_instance(n_sku: int, k: int = 5, n_sup: int = 50, seed: int = 1):
    rng = np.random.default_rng(seed)
    skus = [f"S{i:05d}" for i in range(n_sku)]
    base = np.exp(rng.normal(3, 1, n_sku))
    rows = []
    for i, s in enumerate(skus):
        for j in rng.choice(n_sup, k, replace=False):
            price = round(base[i] * rng.uniform(0.85, 1.15), 2)
            rows.append((s, f"SUP{j:02d}", price, float(rng.choice([0, 20, 50, 100])),
                         float(rng.choice([1, 6, 12])), float(rng.choice([np.nan, 2000, 5000])),
                         rng.uniform(0.05, 1.5), rng.uniform(0.3, 1.0)))  # fmt: skip
    offers = pd.DataFrame(rows, columns=["sku", "supplier", "unit_price", "moq", "order_multiple", "capacity_units",
                                         "co2_kg_per_unit", "score"])  # fmt: skip
    offers["rank"], offers["on_time_rate"], offers["lead_time_days"] = 1, 0.9, 14.0
    req = pd.Series(np.round(rng.gamma(2, 400, n_sku)), index=skus)
    abc = pd.Series(np.where(rng.random(n_sku) < 0.2, "A", "C"), index=skus)
    cap = pd.Series(req.sum() / n_sup * 1.25, index=[f"SUP{j:02d}" for j in range(n_sup)])  # binds for some
    return offers, req, abc, cap


def small_allocation(seed: int):
    """A random instance of 26-55 SKUs x 4 offers over 8 suppliers (tests/test_allocation.py's generator)."""
    rng = np.random.default_rng(seed)
    n_sku, n_sup = int(rng.integers(26, 56)), 8
    rows = []
    for i in range(n_sku):
        base = float(np.exp(rng.normal(3, 1)))
        for j in rng.choice(n_sup, 4, replace=False):
            rows.append((f"K{i:03d}", f"S{j}", round(base * rng.uniform(0.85, 1.15), 2),
                         float(rng.choice([0, 20, 50, 100])), float(rng.choice([1, 6, 12])),
                         float(rng.choice([np.nan, 1500, 3000])), float(rng.uniform(0.05, 1.5))))  # fmt: skip
    offers = pd.DataFrame(rows, columns=["sku", "supplier", "unit_price", "moq", "order_multiple", "capacity_units",
                                         "co2_kg_per_unit"])  # fmt: skip
    offers["score"], offers["rank"], offers["on_time_rate"], offers["lead_time_days"] = (
        rng.uniform(0.3, 1, len(rows)),
        1,
        0.9,
        14.0,
    )
    req = pd.Series(np.round(rng.gamma(2, 300, n_sku)), index=[f"K{i:03d}" for i in range(n_sku)])
    abc = pd.Series(np.where(rng.random(n_sku) < 0.3, "A", "C"), index=req.index)
    cap = pd.Series(req.sum() / n_sup * 1.05, index=[f"S{j}" for j in range(n_sup)])
    return offers, req, abc, cap


def exact_vs_heuristic(n: int) -> list[tuple[str, str, str, str]]:
    """Rows of the table: per instance the heuristic's excess over the exact plan and the exact solve's time."""
    cfg = AllocationSettings(max_supplier_share=0.7, min_suppliers=2, diversify_classes=("A",))
    rows, gaps, times = [], [], []
    for seed in range(n):
        offers, req, abc, cap = small_allocation(seed)
        exact, secs = timed(lambda: allocate(offers, req, abc, cap, cfg))  # noqa: B023
        heur = allocate(offers, req, abc, cap, replace(cfg, exact_time_limit_s=0.0))
        excess = heur.objective / exact.objective - 1.0
        gaps.append(excess)
        times.append(exact.exact_seconds if exact.exact_seconds == exact.exact_seconds else 0.0)
        rows.append((f"  allocation instance {seed}", f"{len(offers)} offers",
                     f"{exact.method}, exact solve {times[-1]:.2f} s (call {secs:.2f} s), heuristic +{excess:.2%}",
                     ""))  # fmt: skip
    rows.append(("exact vs heuristic allocation", f"{n} random instances",
                 f"heuristic above the optimum: max {max(gaps):.2%}, mean {np.mean(gaps):.2%}; exact solve "
                 f"{min(times):.2f}-{max(times):.2f} s", "exact within 30 s"))  # fmt: skip
    return rows


def trucks_per_period(quick: bool) -> list[tuple[str, str, str, str]]:
    """The truck MILP with due dates over 4 weeks, trucks counted per day, per week and over the whole plan."""
    n_d = 50 if quick else 300
    sup, rq, ln, it = network(20, n_d, 10, True, (1, 3), holders=4, cover=1.1, due_days=(1, 29))
    rows = []
    for label, days in (("per day", 1.0), ("per week", 7.0), ("whole plan (old count)", 10_000.0)):
        cfg = DistributionSettings(DAY0, time_limit_s=60, mip_rel_gap=0.01, dispatch_days=days)
        plan, secs = timed(lambda: plan_distribution(sup, rq, ln, it, cfg))  # noqa: B023
        t = plan.totals
        rows.append((f"trucks {label}", f"20 origins x {n_d} destinations, due over 4 weeks",
                     f"{secs:.1f} s, gap {plan.gap:.2%}, {t['trucks']:,.0f} trucks, fill {t['truck_fill']:.1%}, "
                     f"CO2 {t['co2_kg']:,.0f} kg ({t['co2_kg_per_unit']:.3f} kg/unit)", ""))  # fmt: skip
    return rows


def pt_company() -> list[tuple[str, str, str, str]]:
    supply = pd.DataFrame({"site": ["C0", "C1", "C2"], "sku": "peas", "available": [75.0, 125.0, 100.0]})
    reqs = pd.DataFrame({"destination": [f"W{j}" for j in range(4)], "sku": "peas",
                         "quantity": [80.0, 65.0, 70.0, 85.0], "due_date": pd.NaT, "priority": 0.0})  # fmt: skip
    items = pd.DataFrame({"unit_volume_m3": [0.0], "unit_weight_kg": [0.0]}, index=pd.Index(["peas"], name="sku"))
    out = []
    for scale in (1, 2, 10, 1000):
        lanes = pd.DataFrame([{"origin": f"C{i}", "destination": f"W{j}", "cost_per_unit": PT_COST[i][j] * scale,
                               "distance_km": 0.0, "transit_days": 0.0, "mode": "road", "truck_capacity_m3": np.nan,
                               "cost_per_truck": np.nan, "co2_kg_per_tkm": np.nan}
                              for i in range(3) for j in range(4)])  # fmt: skip
        got = [plan_distribution(supply, reqs, lanes, items, DistributionSettings(DAY0, scaled_penalty=scaled))
               for scaled in (True, False)]  # fmt: skip
        out.append(f"x{scale}: {got[0].totals['units_shipped']:.0f} / {got[1].totals['units_shipped']:.0f}")
    return [("P&T units shipped (scaled / flat)", "3 canneries x 4 warehouses, 300 units", "; ".join(out),
             "300 at every scale")]  # fmt: skip


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10x smaller instances (a smoke run)")
    quick = ap.parse_args().quick
    scale = 10 if quick else 1
    rows = []

    sup, rq, ln, it = network(100, 10_000 // scale, 20, False, (1, 1), holders=100, cover=0.95)
    plan, secs = timed(lambda: plan_distribution(sup, rq, ln, it, DistributionSettings(DAY0, time_limit_s=120)))
    rows.append(("distribution LP", f"100 origins x {10_000 // scale:,} destinations, {len(ln):,} lanes",
                 f"{secs:.1f} s, {plan.totals['units_shipped']:,.0f} of {plan.totals['units_required']:,.0f} units",
                 "<= 30 s"))  # fmt: skip

    for cover in (1.1, 0.95):  # stock 10 % above the requirements, then 5 % short (fair shares bind)
        sup, rq, ln, it = network(20, 500 // scale, 10, True, (1, 3), holders=4, cover=cover)
        cfg = DistributionSettings(DAY0, time_limit_s=60, mip_rel_gap=0.01)
        plan, secs = timed(lambda: plan_distribution(sup, rq, ln, it, cfg))  # noqa: B023
        result = f"{secs:.1f} s, gap {plan.gap:.2%}, {plan.totals['trucks']:,.0f} trucks"
        rows.append((f"truck MILP, stock {cover:.0%} of need",
                     f"20 origins x {500 // scale} destinations, {len(rq):,} requirements", result,
                     "<= 60 s, gap <= 1 %"))  # fmt: skip

    offers, req, abc, cap = allocation_instance(10_000 // scale)
    cfg = AllocationSettings(max_supplier_share=0.7, min_suppliers=2, diversify_classes=("A",), time_limit_s=120)
    for label, exact_s in (("heuristic only", 0.0), ("exact within 30 s", 30.0)):
        run_cfg = replace(cfg, exact_time_limit_s=exact_s)
        a, secs = timed(lambda: allocate(offers, req, abc, cap, run_cfg))  # noqa: B023
        result = f"{secs:.1f} s, {a.method}, gap {a.gap:.2%} to the best bound, {a.skus['shortfall'].sum():,.0f} short"
        rows.append((f"supplier allocation, {label}", f"{10_000 // scale:,} SKUs x 5 offers, 50 suppliers", result,
                     "<= 30 s (heuristic)"))  # fmt: skip
    rows += exact_vs_heuristic(4 if quick else 12)
    rows += trucks_per_period(quick)
    rows += pt_company()

    from planner import plan_workbook

    sample = Path(__file__).resolve().parents[1] / "workbook" / "sample.xlsx"
    res, secs = timed(lambda: plan_workbook(sample))
    rows.append(("sample, plan_workbook", "600 SKU-sites, 400 offers, 330 requirements, 5 carbon prices",
                 f"{secs:.1f} s (allocation and distribution solved 5 times each)", ""))  # fmt: skip

    widths = [max(len(r[i]) for r in rows + [("case", "size", "result", "target")]) for i in range(4)]
    for r in [("case", "size", "result", "target"), tuple("-" * w for w in widths)] + rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
