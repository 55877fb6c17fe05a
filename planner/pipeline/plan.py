"""The one orchestrator: validated input frames -> forecasts, policy, supplier choice, KPIs -> result frames.
No I/O and no Excel here; the workbook layer reads before and writes after."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner._version import __version__
from planner.core.forecast import ForecastResult, forecast_series, holdout_length, path_rate
from planner.core.inventory import (
    classify_abc,
    classify_xyz,
    order_cover_days,
    plan_policy,
    protection_days,
    status,
)
from planner.core.kpis import abc_summary, occupancy_by_site, stock_kpis
from planner.core.service_levels import cycle_service
from planner.core.suppliers import cheapest_offers, follow_allocation, purchase_orders
from planner.model.errors import InputError
from planner.model.inputs import Inputs
from planner.model.issues import IssueLog
from planner.model.results import (
    REORDER_COLUMNS,
    History,
    IssueCounts,
    KpiRow,
    NetworkResult,
    PlanResult,
    RoundsResult,
)
from planner.model.settings import Settings
from planner.pipeline.echelons import (
    follow_purchase_orders,
    internal_terms,
    order_for_the_plan,
    own_requirement,
    plan_echelons,
    returns_kpis,
    returns_to_collect,
)
from planner.pipeline.history import build_history, demand_cv
from planner.pipeline.leadtime import lead_time_demand
from planner.pipeline.network import allocate, distribute, network_kpis
from planner.pipeline.rounds import plan_rounds, rounds_kpis
from planner.pipeline.service import ServiceCheck, check_service, tuning_note

ITEM_OVERRIDES = ("holding_rate", "order_cost", "service_level", "service_type", "policy", "review_days")
OFFER_TERMS = ("moq", "order_multiple", "lead_time_days", "lead_time_sd_days")
STATUS_ORDER = {"ORDER NOW": 0, "CHECK": 1, "EXCESS": 2, "OK": 3, "NO DEMAND": 4}


def plan(inputs: Inputs, source: str = "") -> PlanResult:
    """Plan every Stock row (SKU x site) of validated inputs: forecast, policy, supplier terms, status and
    notes, the network, purchase orders and KPIs."""
    st, log, stock = inputs.settings, inputs.issues, inputs["Stock"]
    if not len(stock):
        skipped = len(inputs.skipped_rows.get("Stock", ()))
        raise InputError(
            f"Nothing to plan: sheet '{inputs.sheet_names['Stock']}' has no usable rows"
            + (f" ({skipped} skipped: run 'planner validate' to see why)" if skipped else "")
        )
    hist = build_history(inputs["Demand"], stock, st, log, inputs.sheet_names["Demand"])
    fc = forecast_series(hist.Y, st.horizon_periods, st.season_length, st.forecast_method)
    rows = _sku_site_rows(inputs)
    override = _demand_rates(rows, stock, fc, hist.days_per_period)
    _supplier_terms(rows, cheapest_offers(inputs["Offers"], inputs["Suppliers"]), st)
    parent = internal_terms(rows, inputs)  # rows replenished by a site: transfer terms (echelons.py)
    _path_rates(rows, stock, fc, override, hist.days_per_period)
    lead_time_demand(rows, hist, fc, override, st)
    out, check = _policy_rows(rows, hist, fc, override, st)
    own = own_requirement(stock, fc, override, hist.days_per_period)

    def relevel(moved: pd.Index) -> None:  # rows the allocation moved to a supplier with another lead time
        _relevel(out, check, moved, rows, _PolicyInputs(hist, fc, override, st))

    out, net, po_rows, ech, rounds = _synchronised(out, parent, inputs, hist, own, relevel)
    reorder = out[REORDER_COLUMNS].sort_values(["status", "sku", "site"], key=_status_order, kind="stable")
    more = [*ech.kpis, *returns_kpis(inputs), *rounds_kpis(rounds)]
    occupancy, kpis = _kpis(out, po_rows, inputs, hist, fc, net, more)
    return PlanResult(
        reorder=reorder.reset_index(drop=True),
        purchase_orders=purchase_orders(po_rows),
        forecast=_forecast_frame(stock, fc, hist, override, out["demand_per_day"].to_numpy()),
        kpis=kpis,
        abc=abc_summary(out, st.days_per_year),
        occupancy=occupancy,
        issues=log.frame(),
        run_info=_run_info(source, st, out, log, net, rounds),
        settings=st,
        network=net,
        service=check.frame.reset_index(drop=True) if check else None,
        rounds=rounds,
        issue_counts=IssueCounts(log.count(category="data"), log.count("error", "data"), log.count(category="plan")),
        projected=ech.projected,
        transfers=ech.transfers,
    )


def _synchronised(out: pd.DataFrame, parent: np.ndarray, inputs: Inputs, hist: History, own: np.ndarray,
                  relevel: Callable[[pd.Index], None]):  # fmt: skip
    """Today's orders, the supplier allocation (sized from the top echelon's planned releases with Sites.source
    links), the purchase orders it splits (rows moved to a supplier with another lead time get their levels
    again at it: ``relevel``), the time-phased netting, then the distribution, backhaul and rounds of the
    netting's transfers and returns to collect (pipeline/network.py, pipeline/rounds.py)."""
    releases = order_for_the_plan(out, parent, inputs, hist, own)  # today's orders cover the time-phased plan
    synced = bool((parent >= 0).any())  # Sites.source links: one synchronised plan (pipeline/network.py)
    if synced:  # the allocation sizes the top echelon's planned releases
        out["_bought"], out["planned_releases"] = parent < 0, releases
    net, alloc_at = allocate(inputs, out)
    po_rows = out.loc[parent < 0]  # only rows without a source buy from suppliers
    if net.allocation is not None:  # purchase orders follow the supplier allocation's split
        po_rows = follow_allocation(po_rows, net.allocation.lines, net.scorecard)
        out["note"] = _note_resourced(out, po_rows)
        moved = follow_purchase_orders(out, po_rows)
        if len(moved):
            relevel(moved)
    ech = plan_echelons(out, parent, inputs, hist, own)
    out = pd.concat([out, ech.per_row.set_index(out.index)], axis=1)
    transfers, collect = (ech.transfers, returns_to_collect(inputs, hist)) if synced else (None, None)
    if synced:
        out["releasable"] = ech.releasable
    net = distribute(inputs, out, net, alloc_at, transfers, collect)
    rounds = plan_rounds(inputs, transfers, collect)
    return out, net, po_rows, ech, rounds


@dataclass(frozen=True)
class _PolicyInputs:
    """What a policy pass reads besides its rows."""

    hist: History
    fc: ForecastResult
    override: np.ndarray
    settings: Settings


# the Reorder Plan's columns a second policy pass at the allocated supplier's lead time replaces
RELEVELLED = (
    "protection_days",
    "protection_sd",
    "safety_factor",
    "safety_factor_raw",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "expected_fill_rate",
    "simulated_fill_rate",
    "history_fill_rate",
)


def _relevel(out: pd.DataFrame, check: ServiceCheck | None, moved: pd.Index, rows: pd.DataFrame,
             given: _PolicyInputs) -> None:  # fmt: skip
    """Rows whose order the supplier allocation moved to a supplier with another lead time: the policy pass again
    at that lead time (d, the sd per day and Q kept, so the sd over T scales with its square root; safety
    stock, s, S and the Service Check), so the service promised is the one the chosen supplier delivers. The
    order itself (supplier, price, quantity, arrival) stays as the allocation placed it; the row's note says
    which lead time its levels use."""
    pos = out.index.get_indexer(moved)
    sub = rows.iloc[pos].copy()
    cheapest = sub["lead_time_days"].to_numpy(float)
    sub["lead_time_days"] = out.loc[moved, "lead_time_days"].to_numpy(float)
    fc = given.fc.rows(pos)
    hist = replace(given.hist, Y=given.hist.Y[pos])
    again, again_check = _policy_rows(sub, hist, fc, given.override[pos], given.settings)
    for col in RELEVELLED:
        out.loc[moved, col] = again[col].to_numpy()
    if check is not None and again_check is not None:
        check.frame.loc[moved] = again_check.frame.to_numpy()
    old, new = out.loc[moved, "_policy_note"].astype(str), again["note"].astype(str)
    said = [f"levels at this supplier's lead time of {a:g} days (the cheapest offer's: {c:g})"
            for a, c in zip(sub["lead_time_days"], cheapest, strict=True)]  # fmt: skip
    notes = out.loc[moved, "note"].astype(str)
    out.loc[moved, "note"] = [
        _join(n.replace(o, w, 1) if o else _join(w, n), x) for n, o, w, x in zip(notes, old, new, said, strict=True)
    ]


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _sku_site_rows(inputs: Inputs) -> pd.DataFrame:
    """One row per Stock row with its item's columns (Settings defaults where the item leaves them blank)
    and the per-row flags of both rows (``_repaired`` for the stock row, ``_item_repaired`` for the item)."""
    items = inputs["Items"].copy()
    for col in ITEM_OVERRIDES:
        items[col] = items[col].astype(object).where(items[col].notna(), getattr(inputs.settings, col))
    for col in ("holding_rate", "order_cost", "service_level", "review_days"):
        items[col] = items[col].astype(float)
    items = items.rename(columns={"_row": "_item_row", "_repaired": "_item_repaired"})
    return inputs["Stock"].merge(items, on="sku", how="left", suffixes=("", "_item"))


def _demand_rates(rows: pd.DataFrame, stock: pd.DataFrame, fc: ForecastResult, days_per_period: float) -> np.ndarray:
    """demand_sd_per_day = error sd / sqrt(days per period), or the sd given on Stock with its forecast
    (demand_per_day follows in _path_rates, once the lead time is known). Returns the override mask."""
    override = stock["forecast_per_day"].notna().to_numpy()
    sd_hist = fc.sigma / math.sqrt(days_per_period)
    sd_given = stock["forecast_sd_per_day"].to_numpy(float)
    rows["demand_sd_per_day"] = np.where(override, np.where(np.isnan(sd_given), sd_hist, sd_given), sd_hist)
    return override


def _path_rates(rows: pd.DataFrame, stock: pd.DataFrame, fc: ForecastResult, override: np.ndarray,
                days_per_period: float) -> None:  # fmt: skip
    """demand_per_day = the forecast path's mean over the protection interval (L for sQ, R + L for RS,
    path_rate), or the forecast given on Stock."""
    days = protection_days(rows["policy"].to_numpy(str), rows["lead_time_days"].to_numpy(float),
                           rows["review_days"].to_numpy(float))  # fmt: skip
    path = path_rate(fc.forecast, days, days_per_period)
    rows["demand_per_day"] = np.where(override, stock["forecast_per_day"].to_numpy(float), path)


def _supplier_terms(rows: pd.DataFrame, offers: pd.DataFrame, st: Settings) -> None:
    """Supplier, price, MOQ, multiple and lead time from each SKU's cheapest offer; the item's own values,
    then Settings, where there is no offer."""
    chosen = offers.set_index("sku")
    for col in ("supplier", "unit_price"):
        rows[col] = rows["sku"].map(chosen[col]) if len(chosen) else np.nan
    rows["unit_price"] = rows["unit_price"].astype(float).fillna(rows["unit_cost"])
    for col in OFFER_TERMS:
        from_offer = rows["sku"].map(chosen[col]).astype(float) if len(chosen) else np.nan
        rows[col] = pd.Series(from_offer, index=rows.index).fillna(rows[col].astype(float))
    rows["lead_time_days"] = rows["lead_time_days"].fillna(st.lead_time_days)
    rows["lead_time_sd_days"] = rows["lead_time_sd_days"].fillna(st.lead_time_sd_days)


def _policy_rows(rows: pd.DataFrame, hist: History, fc: ForecastResult, override: np.ndarray,
                 st: Settings) -> tuple[pd.DataFrame, ServiceCheck | None]:  # fmt: skip
    """The inventory policy per row, its classes, order value, notes and status, and its Service Check
    (levels tuned where the simulated service misses the target, with Setting service_check = tune). A row
    is CHECK when its on hand is negative or validation repaired its stock or item row (the per-row flags,
    not the log)."""
    rows = rows.assign(demand_class=np.where(override, "override", fc.demand_class))
    policy = plan_policy(rows, st.days_per_year, st.planning_date)
    out = pd.concat([rows, policy], axis=1)
    check = None
    if st.service_check != "off":
        check = check_service(out, hist, override, st)
        if check.level_change.any():
            rows = rows.assign(level_tuning=check.level_change)
            policy = plan_policy(rows, st.days_per_year, st.planning_date)
            out = pd.concat([rows.drop(columns="level_tuning"), policy], axis=1)
    out["simulated_fill_rate"] = check.frame["simulated_fill_rate"].astype(float) if check else np.nan
    out["history_fill_rate"] = check.frame["history_fill_rate"].astype(float) if check else np.nan
    out["annual_value"] = out["annual_demand"] * out["unit_cost"]
    out["abc"] = classify_abc(out["annual_value"], st.abc_a_share, st.abc_b_share)
    out["xyz"] = classify_xyz(demand_cv(hist.Y), st.xyz_x_cv, st.xyz_y_cv)
    out["forecast_method"] = np.where(override, "given", fc.method)
    out["order_value"] = out["suggested_order"] * out["unit_price"]
    repaired = out["_repaired"].to_numpy(bool) | out["_item_repaired"].fillna(False).to_numpy(bool)
    out["order_cover_days"] = order_cover_days(out["suggested_order"], out["demand_per_day"])
    out["note"] = _notes(out, override, repaired, st.max_cover_days, tuning_note(check, out) if check else None)
    out["_policy_note"] = out["note"]  # the note of this pass (a second pass replaces it: _relevel)
    out["status"] = status(policy, out["demand_per_day"].to_numpy(), (out["on_hand"] < 0).to_numpy() | repaired)
    return out, check


def _kpis(out: pd.DataFrame, po_rows: pd.DataFrame, inputs: Inputs, hist: History, fc: ForecastResult,
          net: NetworkResult, more: list[KpiRow]) -> tuple[pd.DataFrame | None, pd.DataFrame]:  # fmt: skip
    """Occupancy per site and the KPI table (forecast accuracy on the hold-out of the history)."""
    st = inputs.settings
    h = holdout_length(hist.Y.shape[1], st.horizon_periods)
    actual = np.nansum(hist.Y[:, hist.Y.shape[1] - h :], axis=1) if h else np.zeros(len(out))
    wape, bias = _aggregate_accuracy(fc, actual)
    inbound = out["on_order"].fillna(0.0) + po_rows["suggested_order"].reindex(out.index).fillna(0.0)
    shipments = net.distribution.shipments if net.distribution is not None else None
    if shipments is not None and "releasable" in out:  # the synchronised plan ships over the horizon: this period's
        shipments = shipments.loc[shipments["ship_date"] < st.planning_date + pd.Timedelta(days=hist.days_per_period)]
    occupancy = occupancy_by_site(out, inputs["Sites"], inbound, shipments, st.target_occupancy)
    long_orders = KpiRow(
        "orders_over_max_cover",
        float((out["order_cover_days"] > st.max_cover_days).sum()),
        "count",
        False,
        "orders covering more than max_cover_days of demand (MOQ or multiple)",
    )
    kpis = stock_kpis(out, st.kpi_targets, st.days_per_year, wape, bias, occupancy, st.kpi_amber_band,
                      [*_simulated_kpi(out), long_orders, *network_kpis(net), *more])  # fmt: skip
    return occupancy, kpis


def _simulated_kpi(out: pd.DataFrame) -> list[KpiRow]:
    """Demand-weighted simulated fill rate of the planned policies (Service Check), when simulated, and the same
    of their replay on the actual history where replayed."""
    d = out["demand_per_day"].to_numpy(float)
    rows = []
    for name, words in (
        (
            "simulated_fill_rate",
            "demand-weighted fill rate of the planned policies simulated day by day (Service Check)",
        ),
        ("history_fill_rate", "demand-weighted fill rate of the planned policies replayed on the actual history"),
    ):
        fill = out[name].to_numpy(float)
        live = np.isfinite(fill) & (d > 0)
        if live.any():
            rows.append(KpiRow(name, float(np.sum(fill[live] * d[live]) / np.sum(d[live])), "percent", True, words))
    return rows


def _status_order(col: pd.Series) -> pd.Series:
    return col.map(STATUS_ORDER) if col.name == "status" else col


def _notes(out: pd.DataFrame, override: np.ndarray, repaired: np.ndarray, max_cover_days: float,
           tuned_words: np.ndarray | None = None) -> pd.Series:  # fmt: skip
    """Why a row looks the way it does, in words (joined with '; ')."""
    cover = out["order_cover_days"]
    long_cover = (cover > max_cover_days).to_numpy()
    cover_words = np.where(long_cover, "order covers " + cover.map("{:,.0f}".format) + " days of demand (over "
                           f"max_cover_days {max_cover_days:,.0f}): check the MOQ and order multiple", "")  # fmt: skip
    parts = [
        (out["safety_factor_raw"] < 0, "service target met without safety stock (k < 0)"),
        (_nearest_below(out), "whole units: the level whose service is nearest the target"),
        (out["on_hand"] < 0, "negative on hand"),
        (override, "forecast given on Stock"),
        (out["supplier"].isna(), "no offer: lead time and price from the item or Settings"),
        (repaired, "input repaired, see Issues"),
        (long_cover, cover_words),
        (np.full(len(out), False) if tuned_words is None else tuned_words != "", tuned_words),
    ]
    text = pd.Series("", index=out.index)
    for mask, words in parts:
        text = text.where(~np.asarray(mask, bool), np.where(text == "", words, text + "; " + words))
    return text


def _nearest_below(out: pd.DataFrame) -> np.ndarray:
    """Rows whose whole-unit level is the one nearest the target (column nearest_unit) and whose service at it
    by the formulas (expected fill rate, or cycle service for a cycle target) is below the target."""
    if "nearest_unit" not in out:
        return np.zeros(len(out), bool)
    rs = out["policy"].to_numpy(str) == "RS"
    level = np.where(rs, out["order_up_to"].to_numpy(float), out["reorder_point"].to_numpy(float))
    d, var = out["demand_per_day"].to_numpy(float), np.square(out["demand_sd_per_day"].to_numpy(float))
    cycle = cycle_service(level, d, var, out["lead_time_days"].to_numpy(float),
                          out["lead_time_sd_days"].to_numpy(float), rs, out["review_days"].to_numpy(float),
                          np.where(rs, 0.0, out["sq_review_days"].to_numpy(float)),
                          out["demand_distribution"].to_numpy(str))  # fmt: skip
    service = np.where(out["service_type"].to_numpy(str) == "fill", out["expected_fill_rate"].to_numpy(float), cycle)
    return out["nearest_unit"].fillna(False).to_numpy(bool) & (service < out["service_level"].to_numpy(float))


def _note_resourced(out: pd.DataFrame, po_rows: pd.DataFrame) -> pd.Series:
    """The note, plus where the supplier allocation sends the order to another supplier than the row's."""
    to = po_rows["supplier"].reindex(out.index)
    moved = to.notna() & (to != out["supplier"])
    words = "ordered from " + to.astype(str) + " (supplier allocation), " + po_rows["suggested_order"].reindex(
        out.index).map("{:,.0f}".format) + " units"  # fmt: skip
    note = out["note"]
    return note.where(~moved, np.where(note == "", words, note + "; " + words))


def _aggregate_accuracy(fc: ForecastResult, actual: np.ndarray) -> tuple[float, float]:
    """Portfolio WAPE and bias: per-series ratios weighted back by their hold-out actuals."""
    ok = ~np.isnan(fc.wape) & (actual > 0)
    total = actual[ok].sum()
    if total <= 0:
        return float("nan"), float("nan")
    return float((fc.wape[ok] * actual[ok]).sum() / total), float((fc.bias[ok] * actual[ok]).sum() / total)


def _forecast_frame(stock, fc: ForecastResult, hist: History, override: np.ndarray, d: np.ndarray) -> pd.DataFrame:
    base = pd.DataFrame(
        {
            "sku": stock["sku"].to_numpy(),
            "site": stock["site"].to_numpy(),
            "method": np.where(override, "given", fc.method),
            "demand_class": fc.demand_class,
            "adi": np.where(np.isfinite(fc.adi), fc.adi, np.nan),
            "cv2": fc.cv2,
            "wape": fc.wape,
            "bias": fc.bias,
            "error_sd_per_period": fc.sigma,
            "history_periods": np.sum(~np.isnan(hist.Y), axis=1),
        }
    )
    values = np.where(override[:, None], d[:, None] * hist.days_per_period, fc.forecast)
    periods = pd.DataFrame(values, columns=[f"{s:%Y-%m-%d}" for s in hist.future_starts])
    return pd.concat([base, periods], axis=1)


def _solver_rows(net: NetworkResult) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    if net.allocation is not None:
        a = net.allocation
        rows += [("supplier allocation", a.status), ("supplier allocation gap", a.gap),
                 ("supplier allocation method", a.method)]  # fmt: skip
        if a.exact_seconds == a.exact_seconds:  # the exact solve was tried
            rows += [("supplier allocation exact solve s", round(a.exact_seconds, 2)),
                     ("supplier allocation heuristic objective", a.heuristic_objective),
                     ("supplier allocation objective", a.objective)]  # fmt: skip
    if net.distribution is not None:
        rows += [("distribution plan", net.distribution.status), ("distribution plan gap", net.distribution.gap)]
    return rows


def _rounds_rows(rounds: RoundsResult | None) -> list[tuple[str, object]]:
    """The delivery rounds in one line: routes, store visits, stops not served (not the solver's seconds: a
    wall-clock figure would make two runs of the same workbook differ)."""
    if rounds is None:
        return []
    c = rounds.comparison
    return [("delivery rounds", f"{c['routes']} routes, {c['drops']} store visits, {c['unserved']} not served")]


def _run_info(source: str, st: Settings, out: pd.DataFrame, log: IssueLog, net: NetworkResult,
              rounds: RoundsResult | None = None) -> pd.DataFrame:  # fmt: skip
    rows = [
        ("planner version", __version__),
        ("run at", dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
        ("input file", source),
        ("sku-sites planned", len(out)),
        ("orders suggested", int((out["suggested_order"] > 0).sum())),
        ("issues: errors", log.count("error")),
        ("issues: warnings", log.count("warning")),
        *_solver_rows(net),
        *_rounds_rows(rounds),
        *((f"setting {name}", value) for name, value in st.rows()),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])
