"""Delivery rounds against the CVRPLIB X instances (Uchoa et al., 2017), through the workbook route.

Each bundled instance (tests/data/cvrplib/*.vrp, best-known costs in best_known.csv) becomes a workbook:
Sites with x_km/y_km (the depot a dc, every customer a store supplied by it), one Vehicles row (as many
vehicles as customers, the instance's capacity, 1 per km, no fixed cost, no shift end), one Requirements row per
customer due on the planning date, and distance_step_km = 1 so that each leg is the rounded Euclidean
distance as CVRPLIB defines it (nint). ``planner.plan_workbook`` plans it with the default rounds settings
(rounds_iterations_per_stop 300, rounds_seconds_per_stop 1.0 as the cap, max_trips 3, seed 1); the table shows
the rounds' km (= the CVRP cost), the gap to the best known and the route solver's wall-clock seconds.

    python benchmarks/rounds.py                 # all six instances
    python benchmarks/rounds.py X-n101-k25      # one

The search is bounded by iterations (300 per customer), so the costs and gaps are the same on any machine and
under any load; only the seconds change (a search that reaches the cap, 1 s per customer, is reported).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from planner.channels.api import plan_workbook

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "cvrplib"
PLANNING_DATE = pd.Timestamp("2026-03-02").to_pydatetime()


def read_vrp(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Coordinates (node 1 = the depot), demands and capacity of a CVRPLIB EUC_2D instance."""
    section, xy, demand, capacity = None, {}, {}, 0
    for line in path.read_text().splitlines():
        t = line.replace(":", " : ").split()
        if not t:
            continue
        if t[0] == "CAPACITY":
            capacity = int(t[-1])
        elif t[0] in ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION", "EOF"):
            section = t[0]
        elif section == "NODE_COORD_SECTION":
            xy[int(t[0])] = (float(t[1]), float(t[2]))
        elif section == "DEMAND_SECTION":
            demand[int(t[0])] = float(t[1])
    return np.array([xy[k] for k in sorted(xy)]), np.array([demand[k] for k in sorted(demand)]), capacity


def instance_workbook(path: Path, out: Path) -> int:
    """The workbook of one instance; returns the number of customers."""
    xy, demand, capacity = read_vrp(path)
    n = len(xy) - 1
    sheets = {
        "Items": [["sku", "unit_cost"], ["P", 1.0]],
        "Stock": [["sku", "site", "on_hand", "forecast_per_day"], ["P", "DEPOT", 0, 1]],
        "Sites": [["site", "type", "capacity_m3", "source", "x_km", "y_km"], ["DEPOT", "dc", None, None, *xy[0]]]
        + [[f"C{i}", "store", None, "DEPOT", *xy[i]] for i in range(1, n + 1)],
        "Vehicles": [
            ["vehicle", "depot", "count", "capacity_units", "cost_per_km"],
            ["truck", "DEPOT", n, capacity, 1],
        ],
        "Requirements": [["destination", "sku", "quantity", "due_date"]]
        + [[f"C{i}", "P", demand[i], PLANNING_DATE] for i in range(1, n + 1)],
        "Settings": [
            ["setting", "value"],
            ["planning_date", PLANNING_DATE],
            ["distance_step_km", 1],
            ["service_check", "off"],
        ],
    }
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([float(v) if isinstance(v, np.floating) else v for v in row])
    wb.save(out)
    return n


def run(name: str, best: float, folder: Path) -> dict:
    path = folder / f"{name}.xlsx"
    n = instance_workbook(DATA / f"{name}.vrp", path)
    start = time.perf_counter()
    result = plan_workbook(path)
    total = time.perf_counter() - start
    r = result.rounds
    cost = r.comparison["km"]
    return {
        "instance": name,
        "n": n,
        "cost": cost,
        "best_known": best,
        "gap": cost / best - 1,
        "routes": r.comparison["routes"],
        "unserved": r.comparison["unserved"],
        "solver_s": r.seconds,
        "total_s": total,
    }


def main(names: list[str]) -> None:
    known = pd.read_csv(DATA / "best_known.csv").set_index("instance")
    names = names or list(known.index)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            rows.append(run(name, float(known.loc[name, "best_known"]), Path(folder)))
            r = rows[-1]
            print(
                f"{r['instance']:<12} n={r['n']:>3}  cost {r['cost']:>8,.0f}  best {r['best_known']:>8,.0f}  "
                f"gap {r['gap']:6.2%}  routes {r['routes']:>3}  solver {r['solver_s']:5.1f} s  "
                f"total {r['total_s']:5.1f} s",
                flush=True,
            )
    print()
    print("| instance | n | cost | best known | gap | solver s | total s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['instance']} | {r['n']} | {r['cost']:,.0f} | {r['best_known']:,.0f} | {r['gap']:.2%} | "
            f"{r['solver_s']:.1f} | {r['total_s']:.1f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
