"""What two years of an item's own history allow (issue 11): the service bar's frontier per demand class.

The bar asks, per class, for a mean achieved fill rate within 1 point of the 95 % target AND at most 10 % of
SKU-sites more than 2 points short. Both hang on how well the demand level is known: a row whose two-year mean
came out 20 % low gets a level 20 % low, whatever the formula. This script measures how far that alone goes.

For the workbooks of benchmarks/service.py (same seeds, same truth, the plan's own Q, review and distribution),
the levels are recomputed by the planner's formula (service_levels.level_for_target) fed a demand mean
c * m and a variance (c * m)^2 * CV^2, with the TRUE CV^2 of each row (the shape known exactly: better than
any estimate) and m one of:

- ``true``: the true mean (the moments of the 20-year evaluation path itself, which the generating process's
  differ from by its sampling error: no estimation error left to speak of; what the formula delivers);
- ``history``: the row's own two-year sample mean (the sufficient statistic of the scale for the benchmark's
  negative-binomial, Poisson and compound families: the best a scale-equivariant rule can do per row);
- ``pooled p``: the occurrence rate (share of days with demand) pooled over the class's rows of the workbook,
  times the row's own mean size: an ideal pooling for intermittent and lumpy items, which share their rate
  here by construction (slow movers' Poisson rates differ with their scale, so for them it is wrong).

and, last, the history's mean with a margin c on the CV instead (the sd over the protection interval times c),
the true CV or the history's own (whose error partly offsets the mean's: a history that met few lumps has both
a low mean and a high CV).

Each set of levels is simulated day by day on the evaluation's fresh true demand (as in service.py), for a
grid of margins c. The mean fill rises with c and the share short falls: c_short is the least margin with at
most 10 % of rows short, c_mean the largest with the mean at most 1 point above the target; "meets bar" says
whether some margin has both the share and the mean within 1 point either way. Where c_short > c_mean no
margin of that family meets both. The planner's own plan (Service Check tuned) is printed on the same evaluation.

Run: python benchmarks/service_frontier.py [--skus 30] [--seed 1 2 ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import service as bench  # noqa: E402
from planner.channels.api import plan_workbook  # noqa: E402
from planner.core import service as sv  # noqa: E402
from planner.core import service_levels  # noqa: E402

MARGINS = np.round(np.arange(0.80, 1.61, 0.025), 3)
TARGET, WITHIN, SHORT_BY, SHORT_SHARE = 0.95, 0.01, 0.02, 0.10


def planned_case(seed: int, skus: int) -> tuple[pd.DataFrame, np.ndarray]:
    """One benchmark workbook planned by the planner, merged with its truth; the evaluation's true demand."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "service.xlsx"
        truth = bench.build_workbook(path, skus, "tune", seed)
        result = plan_workbook(path, Path(tmp) / "out.xlsx")
    plan = truth.merge(result.reorder, on="sku", suffixes=("", "_plan"))
    rng = np.random.default_rng(seed + 98)  # the evaluation's stream, as in bench.evaluate
    days = bench.EVAL_YEARS * 365 + 60
    demand = np.stack([bench.true_demand(k, c, days, rng) for k, c in zip(plan["kind"], plan["scale"], strict=True)])
    return plan, demand.astype(float)


def estimated_means(plan: pd.DataFrame, demand: np.ndarray) -> dict[str, np.ndarray]:
    """Per row: the true daily mean, the history's sample mean, and the class-pooled occurrence rate times the
    row's own mean size (pooled within the workbook)."""
    history = np.stack(plan["history"].to_numpy()).astype(float)
    days_with_demand = (history > 0).sum(axis=1)
    mean_size = np.divide(history.sum(axis=1), days_with_demand, out=np.zeros(len(plan)), where=days_with_demand > 0)
    rate = pd.Series(days_with_demand / history.shape[1]).groupby(plan["kind"].to_numpy()).transform("mean")
    return {"true": demand.mean(axis=1), "history": history.mean(axis=1), "pooled p": rate.to_numpy() * mean_size}


def formula_levels(plan: pd.DataFrame, mean: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    """The planner's level formula at daily mean ``mean`` and variance mean^2 CV^2, the plan's Q, R, daily
    review of (s, Q) and distribution."""
    n = len(plan)
    is_rs = plan["policy"].to_numpy() == "RS"
    return service_levels.level_for_target(
        np.full(n, "fill"), np.full(n, TARGET), plan["order_quantity"].to_numpy(float), mean, mean**2 * cv2,
        np.full(n, 14.0), np.zeros(n), is_rs, np.full(n, 7.0), np.where(is_rs, 0.0, 1.0),
        plan["demand_distribution"].to_numpy(str),
    )  # fmt: skip


def achieved_fill(plan: pd.DataFrame, demand: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Fill rate of the levels simulated on the true demand (backorders, daily review of (s, Q), R = 7)."""
    is_rs = plan["policy"].to_numpy() == "RS"
    n = len(plan)
    policy = sv.SimPolicy(is_rs, level, plan["order_quantity"].to_numpy(float), np.where(is_rs, 7.0, 1.0),
                          np.full(n, 14.0), np.zeros(n))  # fmt: skip
    scenario = sv.Scenario(demand.astype(np.float32), np.full(demand.shape, 14, np.int32), 60)
    return sv.simulate(policy, scenario).fill_rate


def frontier(kind: np.ndarray, fills: dict[float, np.ndarray]) -> pd.DataFrame:
    """Per class: mean fill and share short at each margin, and the feasible margins [c_short, c_mean]."""
    rows = []
    for name in pd.unique(kind):
        at = kind == name
        mean = np.array([fills[c][at].mean() for c in MARGINS])
        short = np.array([(fills[c][at] < TARGET - SHORT_BY).mean() for c in MARGINS])
        ok_short, ok_mean = short <= SHORT_SHARE, np.abs(mean - TARGET) <= WITHIN
        c_short = MARGINS[ok_short].min() if ok_short.any() else np.nan
        c_mean = MARGINS[mean <= TARGET + WITHIN].max() if (mean <= TARGET + WITHIN).any() else np.nan
        best = int(np.argmin(np.where(ok_mean, short, np.inf))) if ok_mean.any() else int(np.argmin(short))
        meets = bool((ok_short & ok_mean).any())
        rows.append({"class": name, "c_short": c_short, "c_mean": c_mean, "meets bar": meets,
                     "least short, mean in band": short[best], "its mean": mean[best],
                     "at c": MARGINS[best]})  # fmt: skip
    return pd.DataFrame(rows).set_index("class")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skus", type=int, default=30, help="SKUs per class per seed")
    ap.add_argument("--seed", type=int, nargs="+", default=list(range(1, 11)), help="seeds (as service.py)")
    args = ap.parse_args()
    cases = [planned_case(seed, args.skus) for seed in args.seed]
    plan = pd.concat([c[0] for c in cases], ignore_index=True)
    demand = np.concatenate([c[1] for c in cases])
    means = [estimated_means(p, d) for p, d in cases]
    cv2 = demand.var(axis=1) / np.maximum(demand.mean(axis=1), 1e-12) ** 2
    kind = plan["kind"].to_numpy()
    is_rs = plan["policy"].to_numpy() == "RS"
    own = achieved_fill(plan, demand, np.where(is_rs, plan["order_up_to"], plan["reorder_point"]).astype(float))
    print(
        f"{len(args.seed)} seeds, {len(plan) // len(bench.CLASSES)} SKU-sites per class; bar: mean within "
        f"{WITHIN:.0%} of {TARGET:.0%}, at most {SHORT_SHARE:.0%} of rows below {TARGET - SHORT_BY:.0%}\n"
    )
    mine = pd.DataFrame({"kind": kind, "fill": own}).groupby("kind", sort=False)["fill"]
    short = mine.apply(lambda f: (f < TARGET - SHORT_BY).mean())
    print(
        "the planner's plan, mean fill:",
        mine.mean().round(3).to_dict(),
        "\nshare short:",
        short.round(3).to_dict(),
        "\n",
    )
    history = np.concatenate([x["history"] for x in means])
    own_cv2 = np.concatenate([np.stack(p["history"].to_numpy()).astype(float).var(axis=1) for p, _ in cases])
    own_cv2 /= np.maximum(history, 1e-12) ** 2
    families = {f"mean from {source} x c, true CV^2": (np.concatenate([x[source] for x in means]), cv2, "mean")
                for source in ("true", "history", "pooled p")}  # fmt: skip
    families["mean from history, true CV x c"] = (history, cv2, "cv")
    families["mean from history, the history's own CV x c"] = (history, own_cv2, "cv")
    for title, (m, shape, on) in families.items():
        fills = {c: achieved_fill(plan, demand, formula_levels(plan, m * (c if on == "mean" else 1.0),
                                                               shape * (c * c if on == "cv" else 1.0)))
                 for c in MARGINS}  # fmt: skip
        print(title)
        print(frontier(kind, fills).to_string(float_format=lambda v: f"{v:.3f}"), "\n")


if __name__ == "__main__":
    main()
