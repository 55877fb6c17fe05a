"""Speed and memory benchmarks of issue #2; prints a table. Run: python benchmarks/run.py [--quick]

Each case runs in its own process so that its peak memory (max RSS) is its own.
- core: forecast (auto) + policy on N SKU-sites x 104 weekly periods (target: 100,000 in <= 10 s, <= 4 GB)
- policy: vectorised policy vs a per-SKU loop over stockpyl's (r, Q) EOQ+SS computation, same answers
  (target: >= 100x faster at 10,000 SKU-sites)
- end to end: a workbook of N SKU-sites x 104 weeks of Demand rows through plan_workbook, against the I/O
  floor measured in the same run: reading the same cells with python-calamine plus writing the output
  cells with openpyxl in write-only mode (target at 10,000 x 104 = 1,040,000 rows: <= 60 s, <= 2x floor)
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "out"


def _frames(n: int, weeks: int = 104, seed: int = 1):
    """n SKU-sites (n/2 SKUs x 2 sites) with the sample's demand patterns, as input frames."""
    from planner.workbook.sample import PLANNING_DATE, _pattern

    rng = np.random.default_rng(seed)
    skus = n // 2
    kinds = rng.choice(["smooth", "trending", "seasonal", "erratic", "intermittent"], skus)
    t = np.arange(weeks)
    dates = np.array([PLANNING_DATE - pd.Timedelta(days=7 * k) for k in range(weeks, 0, -1)])
    names = [f"SKU-{i:06d}" for i in range(skus)]
    sku_col, site_col, date_col, qty_col = [], [], [], []
    for i, name in enumerate(names):
        for site in ("DC-1", "DC-2"):
            y = _pattern(rng, kinds[i], rng.gamma(2, 20), t)
            sku_col += [name] * weeks
            site_col += [site] * weeks
            date_col.append(dates)
            qty_col.append(y)
    demand = pd.DataFrame({"sku": sku_col, "site": site_col, "date": np.concatenate(date_col),
                           "quantity": np.concatenate(qty_col)})  # fmt: skip
    items = pd.DataFrame({"sku": names, "unit_cost": np.round(np.exp(rng.normal(3, 1, skus)), 2),
                          "lead_time_days": rng.choice([7, 14, 21], skus)})  # fmt: skip
    stock = pd.DataFrame({"sku": np.repeat(names, 2), "site": ["DC-1", "DC-2"] * skus,
                          "on_hand": rng.integers(0, 300, n)})  # fmt: skip
    settings = pd.DataFrame({"setting": ["planning_date"], "value": [PLANNING_DATE.date()]})
    return {"Items": items, "Stock": stock, "Demand": demand, "Settings": settings}


def _write_fast(path: Path, frames) -> None:
    """A1-block sheets written with openpyxl's write-only mode (the generator, not what is measured)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, df in frames.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        cols = [df[c].dt.to_pydatetime() if df[c].dtype.kind == "M" else df[c].tolist() for c in df.columns]
        for row in zip(*cols, strict=True):
            ws.append(list(row))
    wb.save(path)


def case_core(n: int) -> dict:
    from planner.core.forecast import forecast_series
    from planner.core.inventory import plan_policy
    from planner.workbook.sample import PLANNING_DATE

    f = _frames(n)
    Y = f["Demand"]["quantity"].to_numpy(float).reshape(n, 104)
    t0 = time.perf_counter()
    fc = forecast_series(Y, 12, 52)
    t1 = time.perf_counter()
    d = fc.forecast[:, 0] / 7
    df = pd.DataFrame({
        "demand_per_day": d, "demand_sd_per_day": fc.sigma / math.sqrt(7), "unit_cost": 10.0,
        "holding_rate": 0.25, "order_cost": 50.0, "service_level": 0.95, "service_type": "fill",
        "policy": np.where(np.arange(n) % 3 == 0, "RS", "sQ"), "review_days": 7.0, "moq": 0.0,
        "order_multiple": 6.0, "lead_time_days": 14.0, "lead_time_sd_days": 2.0,
        "on_hand": 100.0, "on_order": 0.0, "backorders": 0.0,
    })  # fmt: skip
    t2 = time.perf_counter()
    plan_policy(df, 365.0, PLANNING_DATE)
    t3 = time.perf_counter()
    return {"forecast_s": t1 - t0, "policy_s": t3 - t2, "total_s": (t1 - t0) + (t3 - t2)}


def case_policy(n: int) -> dict:
    from stockpyl.loss_functions import standard_normal_loss
    from stockpyl.rq import r_q_eoqss_approximation

    from planner.core.inventory import plan_policy
    from planner.workbook.sample import PLANNING_DATE

    rng = np.random.default_rng(5)
    lam, sd = rng.uniform(100, 5000, n), rng.uniform(10, 500, n)
    h, K, L = rng.uniform(0.1, 2, n), rng.uniform(5, 100, n), rng.uniform(0.01, 0.2, n)
    p = h * rng.uniform(1.01, 50, n)
    df = pd.DataFrame({
        "demand_per_day": lam / 365, "demand_sd_per_day": sd / math.sqrt(365), "unit_cost": 1.0,
        "holding_rate": h, "order_cost": K, "service_level": p / (p + h), "service_type": "cycle", "policy": "sQ",
        "review_days": 7.0, "moq": 0.0, "order_multiple": 1e-9, "lead_time_days": L * 365,
        "lead_time_sd_days": 0.0, "on_hand": 100.0, "on_order": 0.0, "backorders": 0.0,
    })  # fmt: skip
    plan_policy(df.head(10), 365.0, PLANNING_DATE)  # warm-up, both sides: first calls load code
    r_q_eoqss_approximation(h[0], p[0], K[0], lam[0], sd[0], L[0])
    t0 = time.perf_counter()
    ours = plan_policy(df, 365.0, PLANNING_DATE)
    t1 = time.perf_counter()
    ref_r, ref_q, ref_fr = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):  # the per-SKU loop: (r, Q) and the fill rate it delivers
        r, q = r_q_eoqss_approximation(h[i], p[i], K[i], lam[i], sd[i], L[i])
        sigma = sd[i] * math.sqrt(L[i])
        loss = standard_normal_loss((r - lam[i] * L[i]) / sigma)[0]
        ref_r[i], ref_q[i], ref_fr[i] = r, q, 1 - sigma * loss / q
    t2 = time.perf_counter()
    diff = max(np.max(np.abs(ours["reorder_point"] - ref_r)), np.max(np.abs(ours["order_quantity"] - ref_q)),
               np.max(np.abs(ours["expected_fill_rate"] - ref_fr)))  # fmt: skip
    return {"vectorised_s": t1 - t0, "loop_s": t2 - t1, "speedup": (t2 - t1) / (t1 - t0), "max_abs_diff": diff}


def case_end_to_end(n: int) -> dict:
    import python_calamine as calamine
    from openpyxl import Workbook

    from planner.channels.api import plan_workbook
    from planner.workbook.layout import cell_value as _py

    OUT.mkdir(exist_ok=True)
    src = OUT / f"e2e_{n}.xlsx"
    if not src.exists():
        _write_fast(src, _frames(n))
    dest = OUT / f"e2e_{n}.planned.xlsx"
    t0 = time.perf_counter()
    result = plan_workbook(src, output=dest)
    t1 = time.perf_counter()
    wb = calamine.CalamineWorkbook.from_path(str(src), load_tables=True)  # floor: read the same cells
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()
    t2 = time.perf_counter()
    out = Workbook(write_only=True)  # floor: write the output cells, unformatted
    for name, df in [("Reorder Plan", result.reorder), ("Purchase Orders", result.purchase_orders),
                     ("Forecast", result.forecast), ("KPIs", result.kpis), ("Issues", result.issues),
                     ("Run Info", result.run_info)]:  # fmt: skip
        ws = out.create_sheet(name)
        ws.append(list(map(str, df.columns)))
        for row in df.itertuples(index=False, name=None):
            ws.append([_py(v) for v in row])
    out.save(OUT / "floor.xlsx")
    t3 = time.perf_counter()
    floor = (t2 - t1) + (t3 - t2)
    return {"demand_rows": n * 104, "run_s": t1 - t0, "floor_s": floor, "ratio": (t1 - t0) / floor}


CASES = {"core": case_core, "policy": case_policy, "end_to_end": case_end_to_end}


def _child(case: str, n: int) -> None:
    res = CASES[case](n)
    res["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10x smaller sizes (a smoke run)")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    scale = 10 if args.quick else 1
    plan = [("core", 100_000 // scale), ("policy", 10_000 // scale), ("end_to_end", 10_000 // scale)]
    rows = []
    for case, n in plan:
        proc = subprocess.run([sys.executable, __file__, "--child", case, str(n)], capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"{case} failed:\n{proc.stderr}")
        rows.append((case, n, json.loads(proc.stdout.strip().splitlines()[-1])))
    print(f"{'case':<11} {'size':>8}  measures")
    for case, n, res in rows:
        text = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in res.items())
        print(f"{case:<11} {n:>8}  {text}")


if __name__ == "__main__":
    main()
