"""The one orchestrator: validated input frames -> forecasts, policy, supplier choice, KPIs -> result frames.
No I/O and no Excel here; the workbook layer reads before and writes after."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from planner._version import __version__
from planner.core.forecast import ForecastResult, forecast_series, holdout_length
from planner.core.inventory import classify_abc, classify_xyz, plan_policy, status
from planner.core.kpis import abc_summary, occupancy_by_site, stock_kpis
from planner.core.suppliers import cheapest_offers, follow_allocation, purchase_orders
from planner.model.inputs import Inputs
from planner.model.results import REORDER_COLUMNS, History, NetworkResult, PlanResult
from planner.model.settings import KPI_TARGETS, SETTINGS
from planner.pipeline.network import network_kpis, plan_network

ITEM_OVERRIDES = ("holding_rate", "order_cost", "service_level", "service_type", "policy", "review_days")


def days_per_period(period: str, days_per_year: float) -> float:
    return {"day": 1.0, "week": 7.0, "month": days_per_year / 12.0}[period]


def period_index(dates: pd.Series, planning_date: pd.Timestamp, period: str) -> np.ndarray:
    """Periods back from the planning date: 0 = the last complete period before it. Days and weeks are
    counted in whole 1- or 7-day blocks ending the day before the planning date; months are calendar
    months before the planning date's month (the month under way is not complete and is left out)."""
    if period == "month":
        pm = planning_date.year * 12 + planning_date.month
        return (pm - (dates.dt.year * 12 + dates.dt.month) - 1).to_numpy()
    days = (planning_date - dates).dt.days.to_numpy()
    return np.where(days > 0, (days - 1) // (7 if period == "week" else 1), -1)


def build_history(demand: pd.DataFrame, keys: pd.DataFrame, settings: dict, log, sheet: str) -> History:
    """Aggregate Demand rows into a (Stock rows x periods) matrix of demand per period."""
    pdate, period = settings["planning_date"], settings["period"]
    dpp = days_per_period(period, settings["days_per_year"])
    back = period_index(demand["date"], pdate, period) if len(demand) else np.zeros(0, int)
    future = back < 0
    if future.any():
        log.add("warning", sheet, demand.loc[future, "_row"].to_numpy(), "date",
                demand.loc[future, "date"].dt.date.to_numpy(),
                "date on or after the planning date (or in its unfinished month); not used as history")  # fmt: skip
    series = pd.MultiIndex.from_frame(keys[["sku", "site"]])
    code = series.get_indexer(pd.MultiIndex.from_frame(demand[["sku", "site"]])) if len(demand) else back
    stray = (code < 0) & ~future
    if stray.any():
        log.add("info", sheet, demand.loc[stray, "_row"].to_numpy(), "site", demand.loc[stray, "site"].to_numpy(),
                "no Stock row for this sku/site; history not used")  # fmt: skip
    use = (code >= 0) & ~future
    P = int(back[use].max()) + 1 if use.any() else 1
    col = P - 1 - back[use]
    weights = demand["quantity"].to_numpy(float)[use]
    flat = np.bincount(code[use] * P + col, weights=weights, minlength=len(keys) * P).astype(float)
    Y = flat.reshape(len(keys), P)
    first = np.full(len(keys), P)
    np.minimum.at(first, code[use], col)
    Y[np.arange(P)[None, :] < first[:, None]] = np.nan
    if period == "month":
        month0 = pdate.to_period("M").start_time  # the month under way: the first forecast period
        starts = pd.date_range(end=month0 - pd.offsets.MonthBegin(1), periods=P, freq="MS")
        future_starts = pd.date_range(start=month0, periods=settings["horizon_periods"], freq="MS")
    else:
        step = pd.Timedelta(days=7 if period == "week" else 1)
        starts = pd.DatetimeIndex([pdate - step * (P - i) for i in range(P)])
        future_starts = pd.DatetimeIndex([pdate + step * i for i in range(settings["horizon_periods"])])
    return History(Y, starts, dpp, future_starts)


def demand_cv(Y: np.ndarray) -> np.ndarray:
    """Coefficient of variation (population sd / mean) of demand per period over each series' observed
    history; NaN without history or demand."""
    n = np.sum(~np.isnan(Y), axis=1)
    mean = np.divide(np.nansum(Y, axis=1), n, out=np.zeros(len(Y)), where=n > 0)
    var = np.divide(np.nansum((Y - mean[:, None]) ** 2, axis=1), n, out=np.zeros(len(Y)), where=n > 0)
    return np.divide(np.sqrt(var), mean, out=np.full(len(Y), np.nan), where=mean > 0)


def _with_defaults(items: pd.DataFrame, settings: dict) -> pd.DataFrame:
    items = items.copy()
    for col in ITEM_OVERRIDES:
        items[col] = items[col].astype(object).where(items[col].notna(), settings[col])
    for col in ("holding_rate", "order_cost", "service_level", "review_days"):
        items[col] = items[col].astype(float)
    return items


def _warned_rows(issues: pd.DataFrame, sheet: str) -> set:
    w = issues[(issues["sheet"] == sheet) & (issues["severity"] == "warning")]
    return set(w["row"].dropna().astype(int))


def plan(inputs: Inputs, source: str = "") -> PlanResult:
    """Plan every Stock row (SKU x site) of validated inputs."""
    st = inputs.settings
    log = inputs.issues
    items = _with_defaults(inputs["Items"], st)
    stock = inputs["Stock"]
    rows = stock.merge(items.drop(columns="_row").rename(columns={}), on="sku", how="left", suffixes=("", "_item"))
    rows["_item_row"] = stock["sku"].map(inputs["Items"].set_index("sku")["_row"]).to_numpy()

    hist = build_history(inputs["Demand"], stock, st, log, inputs.sheet_names["Demand"])
    H, season = int(st["horizon_periods"]), int(st["season_length"])
    fc: ForecastResult = forecast_series(hist.Y, H, season, str(st["forecast_method"]))
    dpp = hist.days_per_period
    override = stock["forecast_per_day"].notna().to_numpy()
    d = np.where(override, stock["forecast_per_day"].to_numpy(float), fc.forecast[:, 0] / dpp)
    sd_hist = fc.sigma / math.sqrt(dpp)
    sd_given = stock["forecast_sd_per_day"].to_numpy(float)
    sd = np.where(override, np.where(np.isnan(sd_given), sd_hist, sd_given), sd_hist)
    rows["demand_per_day"], rows["demand_sd_per_day"] = d, sd

    offers = cheapest_offers(inputs["Offers"], inputs["Suppliers"])
    chosen = offers.set_index("sku")
    for col in ("supplier", "unit_price"):
        rows[col] = rows["sku"].map(chosen[col]) if len(chosen) else np.nan
    rows["unit_price"] = rows["unit_price"].astype(float).fillna(rows["unit_cost"])
    for col in ("moq", "order_multiple", "lead_time_days", "lead_time_sd_days"):
        from_offer = rows["sku"].map(chosen[col]).astype(float) if len(chosen) else np.nan
        rows[col] = pd.Series(from_offer, index=rows.index).fillna(rows[col].astype(float))
    rows["lead_time_days"] = rows["lead_time_days"].fillna(float(st["lead_time_days"]))
    rows["lead_time_sd_days"] = rows["lead_time_sd_days"].fillna(float(st["lead_time_sd_days"]))

    policy = plan_policy(rows, float(st["days_per_year"]), st["planning_date"])
    out = pd.concat([rows, policy], axis=1)
    out["annual_value"] = out["annual_demand"] * out["unit_cost"]
    out["abc"] = classify_abc(out["annual_value"], st["abc_a_share"], st["abc_b_share"])
    out["xyz"] = classify_xyz(demand_cv(hist.Y), st["xyz_x_cv"], st["xyz_y_cv"])
    out["demand_class"] = np.where(override, "override", fc.demand_class)
    out["forecast_method"] = np.where(override, "given", fc.method)
    out["order_value"] = out["suggested_order"] * out["unit_price"]

    notes = _notes(out, inputs, override)
    checks = (out["on_hand"] < 0).to_numpy() | notes.str.contains("input repaired").to_numpy()
    out["status"] = status(policy, d, checks)
    out["note"] = notes
    net = plan_network(inputs, out, st, dpp)
    po_rows = out
    if net.allocation is not None:  # purchase orders follow the supplier allocation's split
        po_rows = follow_allocation(out, net.allocation.lines, net.scorecard)
        out["note"] = _note_resourced(out, po_rows)
    reorder = out[REORDER_COLUMNS].sort_values(["status", "sku", "site"], key=_status_order, kind="stable")

    h = holdout_length(hist.Y.shape[1], H)
    actual = np.nansum(hist.Y[:, hist.Y.shape[1] - h :], axis=1) if h else np.zeros(len(out))
    wape, bias = _aggregate_accuracy(fc, actual)
    inbound = out["on_order"].fillna(0.0) + po_rows["suggested_order"].reindex(out.index).fillna(0.0)
    shipments = net.distribution.shipments if net.distribution is not None else None
    occupancy = occupancy_by_site(out, inputs["Sites"], inbound, shipments, float(st["target_occupancy"]))
    targets = {k: float(st[v]) for k, v in KPI_TARGETS.items()}
    kpis = stock_kpis(out, targets, float(st["days_per_year"]), wape, bias, occupancy, float(st["kpi_amber_band"]),
                      network_kpis(net))  # fmt: skip
    return PlanResult(
        reorder=reorder.reset_index(drop=True),
        purchase_orders=purchase_orders(po_rows),
        forecast=_forecast_frame(stock, fc, hist, override, d),
        kpis=kpis,
        abc=abc_summary(out, float(st["days_per_year"])),
        occupancy=occupancy,
        issues=log.frame(),
        run_info=_run_info(source, st, out, log, net),
        settings=st,
        network=net,
    )


STATUS_ORDER = {"ORDER NOW": 0, "CHECK": 1, "EXCESS": 2, "OK": 3, "NO DEMAND": 4}


def _status_order(col: pd.Series) -> pd.Series:
    return col.map(STATUS_ORDER) if col.name == "status" else col


def _notes(out: pd.DataFrame, inputs: Inputs, override: np.ndarray) -> pd.Series:
    """Why a row looks the way it does, in words (joined with '; ')."""
    issues = inputs.issues.frame()
    warned_items = _warned_rows(issues, inputs.sheet_names["Items"])
    warned_stock = _warned_rows(issues, inputs.sheet_names["Stock"])
    parts = [
        (out["safety_factor_raw"] < 0, "service target met without safety stock (k < 0 floored at 0)"),
        (out["on_hand"] < 0, "negative on hand"),
        (pd.Series(override, index=out.index), "forecast given on Stock"),
        (out["supplier"].isna(), "no offer: lead time and price from the item or Settings"),
        (out["_item_row"].isin(warned_items) | out["_row"].isin(warned_stock), "input repaired, see Issues"),
    ]
    text = pd.Series("", index=out.index)
    for mask, words in parts:
        text = text.where(~mask.to_numpy(), np.where(text == "", words, text + "; " + words))
    return text


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
        rows += [("supplier allocation", net.allocation.status), ("supplier allocation gap", net.allocation.gap)]
    if net.distribution is not None:
        rows += [("distribution plan", net.distribution.status), ("distribution plan gap", net.distribution.gap)]
    return rows


def _run_info(source: str, st: dict, out: pd.DataFrame, log, net: NetworkResult) -> pd.DataFrame:
    rows = [
        ("planner version", __version__),
        ("run at", dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
        ("input file", source),
        ("sku-sites planned", len(out)),
        ("orders suggested", int((out["suggested_order"] > 0).sum())),
        ("issues: errors", log.count("error")),
        ("issues: warnings", log.count("warning")),
        *_solver_rows(net),
    ]
    for name in SETTINGS:
        v = st[name]
        rows.append((f"setting {name}", v.date().isoformat() if isinstance(v, pd.Timestamp) else v))
    return pd.DataFrame(rows, columns=["item", "value"])
