"""Honest service benchmark (issue 11): is the fill rate the plan promises the fill rate it delivers?

Workbooks with two years of daily Demand drawn from known processes (five classes, SKUS_PER_CLASS SKUs
each, lead time 14 days, 95 % fill-rate target, half (s, Q) reviewed daily, half (R, S) with R = 7) are
planned by ``planner.plan_workbook`` (the CLI's route). Each planned policy is then simulated day by day on
fresh demand from the TRUE process (not the fitted one: other distribution families below), with
planner.core.service.simulate (checked against an independent one-SKU loop in tests/test_service.py),
for EVAL_YEARS years with backorders. Printed per class: mean achieved fill rate, the worst, the share of
SKU-sites more than 2 points short, and the stock against the least stock that reaches the target with the
same Q or R (found by bisection on the true process), the mean fill rate at that least level (with
whole-unit levels the least level reaching 95 % delivers more: slow movers' levels are a few units), and
the mean fill rate the plan's Service Check simulated (what the plan promises, against what it delivers).
``--target`` plans for another fill target (a margin), the bar staying measured against 95 %.

Run: python benchmarks/service.py [--skus 10] [--seed 1 [2 ...]] [--service-check tune|report|off]
     [--target 0.95] [--variance-pooling class|off] [--oracle true|history]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import _write_fast  # noqa: E402
from planner.channels.api import plan_workbook  # noqa: E402
from planner.core import service as sv  # noqa: E402
from planner.core import service_levels  # noqa: E402

HISTORY_DAYS = 730
EVAL_YEARS = 20
PLANNING_DATE = pd.Timestamp("2026-01-05")
CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "slow")


def true_demand(kind: str, scale: float, days: int, rng: np.random.Generator) -> np.ndarray:
    """Daily demand of each class, in whole units, from families other than the planner's gamma:
    smooth: normal (cv 0.3) rounded, >= 0; erratic: lognormal (cv 1.2); intermittent: a demand on 15 % of
    days, 1 + Poisson(3); lumpy: on 10 % of days, negative binomial (mean 20, cv 1.2); slow: Poisson(0.3)."""
    if kind == "smooth":
        x = rng.normal(20 * scale, 6 * scale, days)
    elif kind == "erratic":
        sigma = np.sqrt(np.log(1 + 1.2**2))
        x = rng.lognormal(np.log(10 * scale) - sigma**2 / 2, sigma, days)
    elif kind == "intermittent":
        x = (rng.random(days) < 0.15) * (1 + rng.poisson(3 * scale, days))
    elif kind == "lumpy":
        mean, var = 20 * scale, (1.2 * 20 * scale) ** 2
        p = mean / var
        x = (rng.random(days) < 0.10) * rng.negative_binomial(mean * p / (1 - p), p, days)
    else:
        x = rng.poisson(0.3 * scale, days)
    return np.maximum(np.rint(x), 0).astype(np.float32)


def build_workbook(path: Path, skus_per_class: int, service_check: str, seed: int = 1,
                   target: float = 0.95, variance_pooling: str = "class") -> pd.DataFrame:  # fmt: skip
    """The workbook (Items, Stock, daily Demand, Settings) and the truth per SKU: class and scale."""
    rng = np.random.default_rng(seed)
    cases = [(f"{k[:3].upper()}-{i:03d}", k, rng.uniform(0.5, 2.0)) for k in CLASSES for i in range(skus_per_class)]
    truth = pd.DataFrame(cases, columns=["sku", "kind", "scale"])
    truth["policy"] = np.where(np.arange(len(truth)) % 2 == 0, "sQ", "RS")
    dates = pd.date_range(end=PLANNING_DATE - pd.Timedelta(days=1), periods=HISTORY_DAYS, freq="D")
    truth["history"] = [
        true_demand(k, c, HISTORY_DAYS, rng) for k, c in zip(truth["kind"], truth["scale"], strict=True)
    ]
    rows = [pd.DataFrame({"sku": s, "site": "DC", "date": dates, "quantity": h})
            for s, h in zip(truth["sku"], truth["history"], strict=True)]  # fmt: skip
    demand = pd.concat(rows, ignore_index=True)
    demand = demand[demand["quantity"] > 0]
    items = pd.DataFrame({"sku": truth["sku"], "unit_cost": 10.0, "lead_time_days": 14.0, "service_level": target,
                          "service_type": "fill", "policy": truth["policy"], "review_days": 7.0})  # fmt: skip
    stock = pd.DataFrame({"sku": truth["sku"], "site": "DC", "on_hand": 100.0})
    settings = pd.DataFrame({"setting": ["planning_date", "period", "service_check", "variance_pooling"],
                             "value": [PLANNING_DATE.date(), "week", service_check, variance_pooling]})  # fmt: skip
    _write_fast(path, {"Items": items, "Stock": stock, "Demand": demand, "Settings": settings})
    return truth


def oracle_levels(plan: pd.DataFrame, demand: np.ndarray) -> np.ndarray:
    """The planner's own level formula (service_levels.level_for_target, the distribution it chose, the same Q,
    R and daily review) fed the TRUE daily mean and variance (moments of the evaluation's demand): what the
    formulas deliver without estimation error."""
    is_rs = plan["policy"].to_numpy() == "RS"
    n = len(plan)
    q = plan["order_quantity"].to_numpy(float)
    return service_levels.level_for_target(
        np.full(n, "fill"), np.full(n, 0.95), q, demand.mean(axis=1), demand.var(axis=1), np.full(n, 14.0),
        np.zeros(n), is_rs, np.full(n, 7.0), np.where(is_rs, 0.0, 1.0), plan["demand_distribution"].to_numpy(str),
    )  # fmt: skip


def evaluate(truth: pd.DataFrame, plan: pd.DataFrame, seed: int = 99, oracle: str = "") -> pd.DataFrame:
    """The planned levels simulated on EVAL_YEARS of fresh true demand; the least level reaching 95 %. With
    ``oracle`` = true: oracle_levels on the evaluation's moments; = history: on the two years of history's own
    daily mean and variance (the sample moments, no forecast)."""
    plan = truth.merge(plan, on="sku", suffixes=("", "_plan"))
    rng = np.random.default_rng(seed)
    days = EVAL_YEARS * 365
    demand = np.stack([true_demand(k, c, days + 60, rng) for k, c in zip(plan["kind"], plan["scale"], strict=True)])
    is_rs = plan["policy"].to_numpy() == "RS"
    level = np.where(is_rs, plan["order_up_to"], plan["reorder_point"]).astype(float)
    if oracle:
        moments = demand if oracle == "true" else np.stack(plan["history"].to_numpy())
        level = oracle_levels(plan, moments.astype(float))
    policy = sv.SimPolicy(is_rs, level, plan["order_quantity"].to_numpy(float), np.where(is_rs, 7.0, 1.0),
                          np.full(len(plan), 14.0), np.zeros(len(plan)))  # fmt: skip
    sc = sv.Scenario(demand, np.full(demand.shape, 14, np.int32), 60)
    achieved = sv.simulate(policy, sc)
    kind = np.full(len(plan), "fill")
    least = sv.tune_levels(
        policy, sc, np.full(len(plan), 0.95), kind, bracket=np.abs(level) + 200, both_ways=True
    ).after
    close = np.abs(achieved.fill_rate - 0.95) <= sv.MISS_TOLERANCE
    best = np.where(close, achieved.average_stock, least.average_stock)
    return pd.DataFrame({"kind": plan["kind"], "policy": plan["policy"], "fill": achieved.fill_rate,
                         "promised": plan["simulated_fill_rate"].to_numpy(float),
                         "stock": achieved.average_stock, "least_stock": best,
                         "least_fill": np.where(close, achieved.fill_rate, least.fill_rate)})  # fmt: skip


def report(res: pd.DataFrame) -> pd.DataFrame:
    g = res.groupby("kind", sort=False)
    table = pd.DataFrame({
        "mean fill": g["fill"].mean(), "worst": g["fill"].min(),
        "> 2 pt short": g["fill"].apply(lambda f: float((f < 0.93).mean())),
        "stock / least": g["stock"].sum() / g["least_stock"].sum(), "fill at least": g["least_fill"].mean(),
        "simulated": g["promised"].mean(),
    })  # fmt: skip
    table.loc["all"] = [res["fill"].mean(), res["fill"].min(), float((res["fill"] < 0.93).mean()),
                        res["stock"].sum() / res["least_stock"].sum(), res["least_fill"].mean(),
                        res["promised"].mean()]  # fmt: skip
    return table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skus", type=int, default=10, help="SKUs per class")
    ap.add_argument("--service-check", default="tune", choices=["tune", "report", "off"])
    ap.add_argument("--seed", type=int, nargs="+", default=[1], help="seeds of the histories (evaluation: + 98)")
    ap.add_argument(
        "--target", type=float, default=0.95, help="fill target planned for (the bar stays measured against 95 %%)"
    )
    ap.add_argument("--variance-pooling", choices=["class", "off"], default="class", help="the Setting")
    ap.add_argument("--oracle", choices=["true", "history"], default="",
                    help="levels from the formulas fed the true (or the history's) daily moments")  # fmt: skip
    args = ap.parse_args()
    runs = []
    for seed in args.seed:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "service.xlsx"
            truth = build_workbook(path, args.skus, args.service_check, seed, args.target, args.variance_pooling)
            t0 = time.perf_counter()
            result = plan_workbook(path, Path(tmp) / "out.xlsx")
            seconds = time.perf_counter() - t0
        runs.append(evaluate(truth, result.reorder, seed + 98, args.oracle))
        print(f"seed {seed}, {f'ORACLE ({args.oracle} mean and variance), ' if args.oracle else ''}"
              f"service_check = {args.service_check}: {len(truth)} SKU-sites planned in {seconds:.1f} s;"
              f" planned for {args.target:.1%}, achieved on {EVAL_YEARS} years of fresh true demand")  # fmt: skip
        print(report(runs[-1]).to_string(float_format=lambda v: f"{v:.3f}"), "\n")
    if len(runs) > 1:
        print(f"all {len(runs)} seeds pooled ({len(runs) * args.skus} SKU-sites per class):")
        print(report(pd.concat(runs, ignore_index=True)).to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
