"""The Service Check: every planned policy simulated day by day on its fitted demand process
(planner.core.service), and its level tuned where the simulated service misses the target."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.core import service as sim
from planner.core.row_streams import row_keys
from planner.model.results import History
from planner.model.settings import Settings

SERVICE_COLUMNS = [
    "sku", "site", "demand_class", "policy", "service_type", "service_level", "review_days", "formula_level",
    "formula_fill_rate", "simulated_fill_rate_at_formula", "simulated_cycle_service_at_formula", "planned_level",
    "simulated_fill_rate", "simulated_cycle_service", "average_stock", "orders_per_year", "simulated_on", "level_cv",
    "history_fill_rate", "history_cycle_service", "tuned", "note",
]  # fmt: skip


@dataclass(frozen=True)
class ServiceCheck:
    """The Service Check rows (one per SKU-site, row-aligned with the plan) and the units each level moves."""

    frame: pd.DataFrame
    level_change: np.ndarray


def demand_process(out: pd.DataFrame, hist: History, override: np.ndarray) -> sim.DemandProcess:
    """The fitted daily process of each row: the forecast's mean and sd per day, and the daily occurrence
    that gives the history's share of periods with demand (1 where the forecast is given on Stock)."""
    observed = ~np.isnan(hist.Y)
    n = observed.sum(axis=1)
    with_demand = np.sum(np.nan_to_num(hist.Y) > 0, axis=1)
    share = np.divide(with_demand, n, out=np.ones(len(n)), where=n > 0)
    occurrence = np.where(override, 1.0, sim.daily_occurrence(share, hist.days_per_period))
    return sim.DemandProcess(out["demand_per_day"].to_numpy(float), out["demand_sd_per_day"].to_numpy(float),
                             occurrence)  # fmt: skip


def review_days(out: pd.DataFrame, st: Settings) -> np.ndarray:
    """Days between reviews: R of (R, S) rows, review_days_sq of (s, Q) rows (0, continuous, is daily)."""
    return np.where(out["policy"].to_numpy() == "RS", out["review_days"].to_numpy(float), st.review_days_sq)


def sim_policy(out: pd.DataFrame, st: Settings) -> sim.SimPolicy:
    is_rs = out["policy"].to_numpy() == "RS"
    level = np.where(is_rs, out["order_up_to"].to_numpy(float), out["reorder_point"].to_numpy(float))
    return sim.SimPolicy(is_rs, level, out["order_quantity"].to_numpy(float), review_days(out, st),
                         out["lead_time_days"].to_numpy(float), out["lead_time_sd_days"].to_numpy(float))  # fmt: skip


def check_service(out: pd.DataFrame, hist: History, override: np.ndarray, st: Settings) -> ServiceCheck:
    """Simulates the rows with demand (2 to 8 years after a warm-up, sim.simulated_days, backorders or lost sales per
    ``unmet_demand``) and, with ``service_check`` = tune, tunes the levels that miss their target. A row with at
    least sim.MIN_HISTORY_PERIODS periods of history (and no forecast override) is simulated on demand resampled
    from its own history at the planned level (sim.resample_history: the history's shape, skewness and lumps,
    which a fitted distribution smooths away), its level varied by the forecast level's error (column
    level_error_cv, sim.with_level_error); the others on their fitted process (demand_process)."""
    live = np.flatnonzero(out["demand_per_day"].to_numpy(float) > 0)
    policy = sim_policy(out, st)
    level = policy.level.copy()
    frame = _frame(out, st, policy.level)
    on_history = (sim.history_periods(hist.Y) >= sim.MIN_HISTORY_PERIODS) & ~np.asarray(override, bool)
    keys = row_keys(out["sku"], out["site"])  # each SKU-site's own random stream
    for rows, resampled in ((live[on_history[live]], True), (live[~on_history[live]], False)):
        if not len(rows):
            continue
        sub = sim.subset_policy(policy, rows)
        if resampled:
            mean = out["demand_per_day"].to_numpy(float)[rows]
            cv = out["level_error_cv"].to_numpy(float)[rows]
            spread = (
                np.sqrt(out["pooled_variance_ratio"].to_numpy(float)[rows]) if "pooled_variance_ratio" in out else None
            )
            sc = sim.history_scenario(hist.Y[rows], mean, hist.days_per_period, sub, level_cv=cv, spread=spread,
                                      keys=keys[rows])  # fmt: skip
        else:
            sc = sim.scenario(sim.subset_process(demand_process(out, hist, override), rows), sub, keys=keys[rows])
        tuning = _tune(sub, sc, out.iloc[rows], st)
        level[rows] = tuning.level
        _fill(frame, rows, tuning, out["service_type"].to_numpy(str)[rows], out["service_level"].to_numpy(float)[rows],
              sc.demand.shape[1] - sc.warmup)  # fmt: skip
        frame.loc[frame.index[rows], "simulated_on"] = "resampled history" if resampled else "fitted process"
        if resampled:
            frame.loc[frame.index[rows], "level_cv"] = cv
            _replay(frame, rows, sim.subset_policy(policy, rows, tuning.level), hist, st, keys[rows])
    frame["planned_level"] = level
    return ServiceCheck(frame, np.nan_to_num(level - policy.level))


def _replay(frame: pd.DataFrame, rows: np.ndarray, planned: sim.SimPolicy, hist: History, st: Settings,
            keys: np.ndarray) -> None:  # fmt: skip
    """The planned levels replayed on the rows' actual history, in order (sim.replay_scenario): the service
    they would have given over the history, next to the simulated one."""
    replay = sim.replay_scenario(hist.Y[rows], hist.days_per_period, planned, keys=keys)
    if replay is None:
        return
    result = sim.simulate(planned, replay, st.unmet_demand == "lost")
    idx = frame.index[rows]
    frame.loc[idx, "history_fill_rate"] = result.fill_rate
    frame.loc[idx, "history_cycle_service"] = result.cycle_service


MAX_RAISE_SD = 3.0  # the Service Check raises a level by at most this many sd of demand over the protection interval


def _tune(sub: sim.SimPolicy, sc: sim.Scenario, rows: pd.DataFrame, st: Settings) -> sim.Tuning:
    """tune_levels with ``service_check`` = tune, each raise at most MAX_RAISE_SD x sigma_T (column protection_sd,
    whole units up: a simulation that wants more disagrees with the formula by more than the demand's own spread
    over the interval, a few lumps or a level error drawn far out in two years of resampled history; the row's
    note says so; Tuning.capped); else the simulation at the formula's levels alone, nothing capped."""
    target = rows["service_level"].to_numpy(float)
    kind = rows["service_type"].to_numpy(str)
    lost = st.unmet_demand == "lost"
    if st.service_check == "tune":
        nearest = rows["nearest_unit"].to_numpy(bool) if "nearest_unit" in rows else None
        sd = rows["protection_sd"].to_numpy(float) if "protection_sd" in rows else np.full(len(rows), np.inf)
        ceiling = sub.level + np.ceil(MAX_RAISE_SD * np.nan_to_num(sd, nan=np.inf))
        return sim.tune_levels(sub, sc, target, kind, lost, nearest=nearest, ceiling=ceiling)
    before = sim.simulate(sub, sc, lost)
    none = np.zeros(len(sub.level), bool)
    return sim.Tuning(sub.level, none, before, before, none)


def _frame(out: pd.DataFrame, st: Settings, formula_level: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(index=out.index, columns=SERVICE_COLUMNS, dtype=object)
    for col in ("sku", "site", "demand_class", "policy", "service_type", "service_level"):
        frame[col] = out[col].to_numpy()
    frame["review_days"] = review_days(out, st)
    frame["formula_level"] = formula_level
    frame["formula_fill_rate"] = out["expected_fill_rate"].to_numpy(float)
    frame["tuned"] = "no"
    frame["simulated_on"] = ""
    frame["note"] = np.where(out["demand_per_day"].to_numpy(float) > 0, "", "no demand: not simulated")
    return frame


def _fill(frame: pd.DataFrame, live: np.ndarray, tuning: sim.Tuning, kind: np.ndarray, target, days: int) -> None:
    """The simulated figures of the live rows, and a note where the level was tuned (Tuning.capped: at most
    MAX_RAISE_SD sd) or misses."""
    idx = frame.index[live]
    frame.loc[idx, "simulated_fill_rate_at_formula"] = tuning.before.fill_rate
    frame.loc[idx, "simulated_cycle_service_at_formula"] = tuning.before.cycle_service
    frame.loc[idx, "simulated_fill_rate"] = tuning.after.fill_rate
    frame.loc[idx, "simulated_cycle_service"] = tuning.after.cycle_service
    frame.loc[idx, "average_stock"] = tuning.after.average_stock
    frame.loc[idx, "orders_per_year"] = tuning.after.orders_per_year
    frame.loc[idx, "tuned"] = np.where(tuning.tuned, "yes", "no")
    before = sim.service_measure(tuning.before, kind)
    after = sim.service_measure(tuning.after, kind)
    word = np.where(kind == "fill", "fill rate", "cycle service")
    rows = zip(tuning.tuned, word, before, after, target, tuning.before.cycles, tuning.capped, strict=True)
    notes = [_note(*row, days) for row in rows]
    frame.loc[idx, "note"] = notes


def _note(tuned: bool, word: str, before: float, after: float, target: float, cycles: float, capped: bool,
          days: int) -> str:  # fmt: skip
    if cycles < sim.MIN_CYCLES:
        return f"only {cycles:.0f} replenishment cycles in {days:,} days simulated: level not tuned"
    if capped:
        return (f"level tuned by at most {MAX_RAISE_SD:.0f} sd of demand over the interval: simulated {word} "
                f"{before:.1%} at the formula's level, {after:.1%} tuned; check the history's lumps")  # fmt: skip
    if tuned:
        return f"level tuned: simulated {word} {before:.1%} at the formula's level, {after:.1%} tuned"
    if before < target - sim.MISS_TOLERANCE:
        return f"simulated {word} {before:.1%} misses the target {target:.1%}"
    return ""


def tuning_note(check: ServiceCheck, out: pd.DataFrame) -> np.ndarray:
    """The Reorder Plan's words for a tuned level: which level moved, by how much."""
    change = check.level_change
    name = np.where(out["policy"].to_numpy() == "RS", "S", "s")
    text = [
        f"{n} {c:+,.0f} units by the service simulation (see Service Check)" for n, c in zip(name, change, strict=True)
    ]
    return np.where(np.abs(change) > 0, text, "")
