"""Multi-echelon time-phased netting (DRP) of the plan: the source graph of Sites, scheduled receipts (Open
Orders, else Stock.on_order), restockable returns (actual and forecast), then planner.core.netting echelon by
echelon from the stores up, so that each site's gross requirement includes the planned releases of the sites it
replenishes (Vollmann et al., *Manufacturing Planning and Control*, ch. 8: DRP). Frames in, frames out; no I/O.

Periods are the forecast's (Settings period and horizon_periods). A time in days becomes whole periods by
rounding up: offset = ceil(days / days per period). Top-echelon rows (no source) are offset by their lead time
(the supplier's that the Purchase Orders use); internal rows by the lane's transit_days from the source plus the
site's handling_days."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.core import netting
from planner.core.forecast import ForecastResult, forecast_series
from planner.model.inputs import Inputs
from planner.model.issues import IssueLog, Reason
from planner.model.results import History, KpiRow
from planner.model.settings import Settings
from planner.pipeline.history import build_history

PROJECTED_COLUMNS = ["sku", "site", "period_start", "gross_requirement", "scheduled_receipts", "planned_receipts",
                     "planned_releases", "projected_on_hand", "safety_stock"]  # fmt: skip
TRANSFER_COLUMNS = ["sku", "origin", "destination", "quantity", "ship_date", "due_date"]
ECHELONS = ("plant", "dc", "store")


@dataclass
class Echelons:
    """The netted plan: the Projected Inventory frame, the planned transfers and the per-row summary."""

    projected: pd.DataFrame  # PROJECTED_COLUMNS, one row per sku, site and period
    transfers: pd.DataFrame  # TRANSFER_COLUMNS: planned internal releases (ship) and receipts (due)
    per_row: pd.DataFrame  # by plan row: run_out_date, first_below_safety_stock, excess_periods
    kpis: list[KpiRow]
    releasable: np.ndarray  # by plan row: units that may leave (releases to children + surplus at the end)


def sources(rows: pd.DataFrame, inputs: Inputs) -> np.ndarray:
    """Per plan row, the index of the row of its source (the same sku at the site's Sites.source), -1 for a
    row bought from suppliers. A source site without a Stock row for the sku is logged; the row is bought."""
    sites = inputs["Sites"]
    if not len(sites) or sites["source"].isna().all():
        return np.full(len(rows), -1)
    src = rows["site"].map(sites.set_index("site")["source"])
    keys = pd.MultiIndex.from_frame(rows[["sku", "site"]])
    parent = keys.get_indexer(pd.MultiIndex.from_arrays([rows["sku"], src]))
    missing = src.notna().to_numpy() & (parent < 0)
    inputs.issues.add(Reason.SOURCE_WITHOUT_STOCK, inputs.sheet_names["Stock"], rows.loc[missing, "_row"].to_numpy(),
                      "site", rows.loc[missing, "site"].to_numpy(),
                      "the site's source has no Stock row for this sku: planned as bought from suppliers")  # fmt: skip
    return np.where(missing, -1, parent)


def levels(parent: np.ndarray) -> np.ndarray:
    """Low-level code from the bottom: 0 for rows that replenish no one, else 1 + the highest child's
    (the topological order of the source graph; validation has removed cycles)."""
    level = np.zeros(len(parent), int)
    child = np.flatnonzero(parent >= 0)
    for _ in range(len(parent)):
        before = level.copy()
        np.maximum.at(level, parent[child], level[child] + 1)
        if np.array_equal(before, level):
            break
    return level


def internal_terms(rows: pd.DataFrame, inputs: Inputs) -> np.ndarray:
    """Rows replenished by a site: supplier = the source site, lead time = lane transit_days (0 without a lane)
    + the site's handling_days, lead-time sd 0, price = unit cost, MOQ and multiple the item's. Returns the
    parent index (see ``sources``)."""
    parent = sources(rows, inputs)
    inside = parent >= 0
    if not inside.any():
        return parent
    src = rows["site"].map(inputs["Sites"].set_index("site")["source"])
    items = inputs["Items"].set_index("sku")
    rows["supplier"] = rows["supplier"].astype(object)
    rows.loc[inside, "supplier"] = src[inside].to_numpy()
    rows.loc[inside, "lead_time_days"] = transfer_days(rows, src, inputs)[inside]
    rows.loc[inside, "lead_time_sd_days"] = 0.0
    rows.loc[inside, "unit_price"] = rows.loc[inside, "unit_cost"].to_numpy(float)
    for col in ("moq", "order_multiple"):
        rows.loc[inside, col] = rows.loc[inside, "sku"].map(items[col]).astype(float).to_numpy()
    return parent


def transfer_days(rows: pd.DataFrame, src: pd.Series, inputs: Inputs) -> np.ndarray:
    """transit_days of the lane source -> site (0 without one) + the site's handling_days (0 when blank)."""
    lanes = inputs["Lanes"]
    transit = np.zeros(len(rows))
    if len(lanes):
        lane = lanes.drop_duplicates(["origin", "destination"]).set_index(["origin", "destination"])["transit_days"]
        transit = lane.reindex(pd.MultiIndex.from_arrays([src, rows["site"]])).fillna(0.0).to_numpy(float)
    handling = rows["site"].map(inputs["Sites"].set_index("site")["handling_days"]).astype(float).fillna(0.0)
    return transit + handling.to_numpy()


def period_of(dates: pd.Series, st: Settings) -> np.ndarray:
    """Forecast period of each date (0 = the first; earlier dates are period 0, late ones beyond the horizon)."""
    if st.period == "month":
        pm = st.planning_date.year * 12 + st.planning_date.month
        return np.maximum((dates.dt.year * 12 + dates.dt.month).to_numpy() - pm, 0)
    days = (dates - st.planning_date).dt.days.to_numpy()
    return np.maximum(np.floor(days / st.days_per_period), 0).astype(int)


def periods(days, st: Settings) -> np.ndarray:
    """Whole periods covering ``days``: ceil(days / days per period)."""
    return np.ceil(np.asarray(days, float) / st.days_per_period - 1e-9).astype(int)


def _spread(n: int, p: int, row: np.ndarray, period: np.ndarray, qty: np.ndarray) -> np.ndarray:
    out = np.zeros((n, p))
    ok = (row >= 0) & (period >= 0) & (period < p)
    np.add.at(out, (row[ok], period[ok]), qty[ok])
    return out


def scheduled_receipts(rows: pd.DataFrame, inputs: Inputs, offset: np.ndarray, p: int) -> np.ndarray:
    """N x P scheduled receipts: the Open Orders of a sku/site by due period (overdue ones in period 0); a
    sku/site without Open Orders has its Stock.on_order arriving at its offset (lead or transfer time)."""
    st, orders = inputs.settings, inputs["Open Orders"]
    keys = pd.MultiIndex.from_frame(rows[["sku", "site"]])
    out = np.zeros((len(rows), p))
    has_orders = np.zeros(len(rows), bool)
    if len(orders):
        row = keys.get_indexer(pd.MultiIndex.from_frame(orders[["sku", "site"]]))
        out = _spread(len(rows), p, row, period_of(orders["due_date"], st), orders["quantity"].to_numpy(float))
        has_orders[row[row >= 0]] = True
    on_order = np.where(has_orders, 0.0, rows["on_order"].fillna(0.0).to_numpy(float))
    return out + _spread(len(rows), p, np.arange(len(rows)), offset, on_order)


def return_receipts(rows: pd.DataFrame, inputs: Inputs, hist: History) -> np.ndarray:
    """N x P receipts from restockable returns: actual returns still in processing (date + processing days on or
    after the planning date) and the returns forecast (the demand forecast engine on each sku/site's history of
    returns per disposition), each back in stock ceil(processing days / days per period) periods later. Scrap
    never comes back."""
    st, ret = inputs.settings, inputs["Returns"]
    p = st.horizon_periods
    out = np.zeros((len(rows), p))
    keys = pd.MultiIndex.from_frame(rows[["sku", "site"]])
    for disposition, days in (("restock", st.return_restock_days), ("refurbish", st.return_refurbish_days)):
        part = ret.loc[ret["disposition"] == disposition]
        if not len(part):
            continue
        back = part["date"] + pd.to_timedelta(days, unit="D")
        pending = (back >= st.planning_date).to_numpy() & (part["date"] < st.planning_date).to_numpy()
        row = keys.get_indexer(pd.MultiIndex.from_frame(part[["sku", "site"]]))
        out += _spread(
            len(rows), p, row[pending], period_of(back[pending], st), part["quantity"].to_numpy(float)[pending]
        )
        out += _forecast_returns(part, rows, st, hist, int(periods(days, st)))
    return out


def _forecast_returns(part: pd.DataFrame, rows: pd.DataFrame, st: Settings, hist: History, lag: int) -> np.ndarray:
    """The returns forecast per row (forecast_series on the returns history, as demand), shifted by ``lag``."""
    out = np.zeros((len(rows), st.horizon_periods))
    y = build_history(part, rows, st, IssueLog(), "Returns").Y
    live = np.flatnonzero(np.nansum(y, axis=1) > 0)
    if not len(live) or lag >= st.horizon_periods:
        return out
    fc = forecast_series(y[live], st.horizon_periods, st.season_length, st.forecast_method)
    out[live, lag:] = fc.forecast[:, : st.horizon_periods - lag]
    return out


def returns_to_collect(inputs: Inputs, hist: History) -> pd.DataFrame:
    """Returns to collect within the horizon (sku, site, date, quantity): per sku and site of the Returns history
    (with a Stock row or not: a store returns what it sold elsewhere too) and forecast period, the restock and
    refurbish returns forecast (the engine of ``return_receipts``, without the processing lag) plus the Returns
    rows dated within the horizon, dated at their period's start (scrap stays where it is)."""
    st, ret = inputs.settings, inputs["Returns"]
    p = st.horizon_periods
    part = ret.loc[ret["disposition"].isin(["restock", "refurbish"])]
    rows = part[["sku", "site"]].drop_duplicates().reset_index(drop=True)
    qty = np.zeros((len(rows), p))
    for disposition in ("restock", "refurbish"):
        one = part.loc[part["disposition"] == disposition]
        qty += _forecast_returns(one, rows, st, hist, 0) if len(one) else 0.0
    i, t = np.nonzero(qty > 1e-9)
    starts = hist.future_starts[:p]
    forecast = pd.DataFrame({"sku": rows["sku"].to_numpy()[i], "site": rows["site"].to_numpy()[i],
                             "date": starts[t], "quantity": qty[i, t]})  # fmt: skip
    ahead = part.loc[(part["date"] >= st.planning_date).to_numpy() & (period_of(part["date"], st) < p)]
    dated = ahead[["sku", "site", "quantity"]].assign(date=starts[period_of(ahead["date"], st)])
    return pd.concat([forecast, dated], ignore_index=True)


def returns_kpis(inputs: Inputs) -> list[KpiRow]:
    """Return rate = units returned / units sold over the history (Returns and Demand rows dated before the
    planning date, every disposition) and returns value = units returned x Items.unit_cost (none without
    Returns rows)."""
    st, ret, sold = inputs.settings, inputs["Returns"], inputs["Demand"]
    ret = ret.loc[ret["date"] < st.planning_date]
    if not len(ret):
        return []
    units = float(ret["quantity"].sum())
    sold_units = float(sold.loc[sold["date"] < st.planning_date, "quantity"].sum())
    value = float((ret["quantity"] * ret["sku"].map(inputs["Items"].set_index("sku")["unit_cost"])).sum())
    return [
        KpiRow("return_rate", units / sold_units if sold_units else float("nan"), "percent", False,
               "units returned / units sold over the history (Returns, Demand)"),
        KpiRow("returns_value", value, "money", False, "units returned over the history x unit cost"),
    ]  # fmt: skip


def own_requirement(
    stock: pd.DataFrame, fc: ForecastResult, override: np.ndarray, days_per_period: float
) -> np.ndarray:
    """N x P own gross requirement: the forecast per period, or forecast_per_day x days per period where
    Stock gives it (the Forecast sheet's values)."""
    given = stock["forecast_per_day"].to_numpy(float)[:, None] * days_per_period
    return np.where(override[:, None], given, fc.forecast)


def lot_rules(rows: pd.DataFrame, st: Settings) -> netting.LotRules:
    """The Reorder Plan's policy per row: Q for (s, Q), review every round(review_days / period) >= 1 periods
    for (R, S), the row's MOQ and order multiple."""
    return netting.LotRules(
        rs=(rows["policy"] == "RS").to_numpy(),
        order_qty=rows["order_quantity"].fillna(0.0).to_numpy(float),
        review_periods=np.maximum(
            np.round(rows["review_days"].fillna(0.0).to_numpy(float) / st.days_per_period), 1
        ).astype(int),  # fmt: skip
        moq=rows["moq"].to_numpy(float),
        multiple=rows["order_multiple"].to_numpy(float),
    )


def net_echelons(own: np.ndarray, scheduled: np.ndarray, on_hand: np.ndarray, safety: np.ndarray,
                 offset: np.ndarray, firm: np.ndarray, rules: netting.LotRules, parent: np.ndarray,
                 add_to_firm: bool = False) -> netting.Netting:  # fmt: skip
    """Net level by level from the bottom (``levels``): a row's gross requirement is its own plus the planned
    releases of the rows it replenishes, in the period they ship. Loops over levels and periods only."""
    gross = own.astype(float).copy()
    n, p = gross.shape
    receipts, releases, closing = np.zeros((n, p)), np.zeros((n, p)), np.zeros((n, p))
    level = levels(parent)
    for lv in np.unique(level):
        sel = np.flatnonzero(level == lv)
        sub = netting.LotRules(*(getattr(rules, f)[sel] for f in ("rs", "order_qty", "review_periods", "moq",
                                                                    "multiple")))  # fmt: skip
        res = netting.net(
            gross[sel], scheduled[sel], on_hand[sel], safety[sel], offset[sel], firm[sel], sub, add_to_firm
        )
        receipts[sel], releases[sel], closing[sel] = res.planned_receipts, res.planned_releases, res.on_hand
        up = sel[parent[sel] >= 0]
        np.add.at(gross, parent[up], releases[up])
    return netting.Netting(gross, scheduled, receipts, releases, closing, safety)


def _net_rows(rows: pd.DataFrame, parent: np.ndarray, inputs: Inputs, hist: History, own: np.ndarray,
              add_to_firm: bool) -> tuple[netting.Netting, np.ndarray, np.ndarray]:  # fmt: skip
    """The netted records of every row, its offsets and its on hand now (on_hand - backorders)."""
    st = inputs.settings
    offset = periods(rows["lead_time_days"].fillna(0.0).to_numpy(float), st)
    scheduled = scheduled_receipts(rows, inputs, offset, own.shape[1]) + return_receipts(rows, inputs, hist)
    on_hand = rows["on_hand"].to_numpy(float) - rows["backorders"].fillna(0.0).to_numpy(float)
    # a negative safety stock (a fill-rate level below mean demand, large Q) is not a plan to run into backorders
    safety = np.maximum(rows["safety_stock"].fillna(0.0).to_numpy(float), 0.0)
    firm = rows["suggested_order"].fillna(0.0).to_numpy(float)
    res = net_echelons(own, scheduled, on_hand, safety, offset, firm, lot_rules(rows, st), parent, add_to_firm)
    return res, offset, on_hand


def order_for_the_plan(rows: pd.DataFrame, parent: np.ndarray, inputs: Inputs, hist: History,
                       own: np.ndarray) -> np.ndarray:  # fmt: skip
    """Raise today's orders where the time-phased plan needs more than the policy orders: netting with the
    firm order's period netted too (``add_to_firm``), today's release above suggested_order is added to it
    (sites that replenish others see their releases here; the policy sees only their own demand). A raised
    row is ORDER NOW, ordered today, arriving after its lead time, its note says by how much. Returns each row's
    planned releases over the horizon (what the supplier allocation sizes for rows bought from suppliers)."""
    res, _, _ = _net_rows(rows, parent, inputs, hist, own, add_to_firm=True)
    extra = res.planned_releases[:, 0] - rows["suggested_order"].fillna(0.0).to_numpy(float)
    up = extra > 1e-9
    if not up.any():
        return res.planned_releases.sum(axis=1)
    st = inputs.settings
    rows.loc[up, "suggested_order"] = rows.loc[up, "suggested_order"].fillna(0.0) + extra[up]
    rows.loc[up, "order_date"] = st.planning_date
    rows.loc[up, "expected_arrival"] = st.planning_date + pd.to_timedelta(
        np.ceil(rows.loc[up, "lead_time_days"].to_numpy(float)), unit="D")  # fmt: skip
    rows.loc[up, "status"] = "ORDER NOW"
    rows["order_value"] = rows["suggested_order"] * rows["unit_price"]
    words = pd.Series(extra, index=rows.index).map("{:,.0f}".format)
    words = "order raised by " + words + " units: the time-phased plan needs them (Projected Inventory)"
    note = rows["note"].astype(str)
    rows["note"] = note.where(~up, np.where(note == "", words, note + "; " + words))
    return res.planned_releases.sum(axis=1)


def plan_echelons(rows: pd.DataFrame, parent: np.ndarray, inputs: Inputs, hist: History, own: np.ndarray) -> Echelons:
    """The time-phased plan of every row: ``rows`` is the Reorder Plan's (policy, safety stock, suggested order
    as the firm release today, lead time); ``parent`` from ``internal_terms``; ``own``: N x P own requirement."""
    st = inputs.settings
    p = own.shape[1]
    res, offset, on_hand = _net_rows(rows, parent, inputs, hist, own, add_to_firm=False)
    starts = hist.future_starts[:p]
    keep = _rows_that_fit(res, inputs.issues)
    return Echelons(_projected(rows.iloc[keep], _take(res, keep), starts),
                    _transfers(rows, res, parent, offset, starts, st), _per_row(res, starts),
                    echelon_kpis(rows, res, on_hand, inputs),
                    (res.gross - own).sum(axis=1) + np.maximum(res.on_hand[:, -1] - res.safety_stock, 0.0))  # fmt: skip


MAX_GRID_ROWS = 1_048_575  # data rows a worksheet holds under its header (Excel's 1,048,576 rows)


def _rows_that_fit(res: netting.Netting, log: IssueLog) -> np.ndarray:
    """The plan rows the Projected Inventory shows: all when rows x periods fit on a sheet, else as many as fit,
    the earliest below their safety stock first (then in Stock order), logged as PROJECTION_CUT."""
    n, p = res.gross.shape
    fit = MAX_GRID_ROWS // max(p, 1)
    if n <= fit:
        return np.arange(n)
    first = netting.first_below(res.on_hand, res.safety_stock)
    keep = np.sort(np.argsort(np.where(first >= 0, first, p), kind="stable")[:fit])
    log.add(Reason.PROJECTION_CUT, "Projected Inventory", None, "", n,
            f"{n:,} SKU-sites x {p} periods do not fit on a sheet: the {fit:,} that go below their safety stock "
            "earliest are shown (all are netted, and counted in the KPIs)")  # fmt: skip
    return keep


def _take(res: netting.Netting, keep: np.ndarray) -> netting.Netting:
    return netting.Netting(res.gross[keep], res.scheduled[keep], res.planned_receipts[keep],
                           res.planned_releases[keep], res.on_hand[keep], res.safety_stock[keep])  # fmt: skip


def _projected(rows: pd.DataFrame, res: netting.Netting, starts: pd.DatetimeIndex) -> pd.DataFrame:
    n, p = res.gross.shape
    return pd.DataFrame({
        "sku": np.repeat(rows["sku"].to_numpy(), p), "site": np.repeat(rows["site"].to_numpy(), p),
        "period_start": np.tile(starts.to_numpy(), n), "gross_requirement": res.gross.ravel(),
        "scheduled_receipts": res.scheduled.ravel(), "planned_receipts": res.planned_receipts.ravel(),
        "planned_releases": res.planned_releases.ravel(), "projected_on_hand": res.on_hand.ravel(),
        "safety_stock": np.repeat(res.safety_stock, p),
    })[PROJECTED_COLUMNS]  # fmt: skip


def period_start(index: np.ndarray, st: Settings) -> pd.DatetimeIndex:
    """First day of forecast period ``index`` (any whole number, also beyond the horizon)."""
    index = np.asarray(index, int)
    if st.period == "month":
        month0 = st.planning_date.to_period("M").start_time
        return pd.DatetimeIndex([month0 + pd.DateOffset(months=int(i)) for i in index])
    return pd.DatetimeIndex(st.planning_date + pd.to_timedelta(index * st.days_per_period, unit="D"))


def _transfers(rows: pd.DataFrame, res: netting.Netting, parent: np.ndarray, offset: np.ndarray,
               starts: pd.DatetimeIndex, st: Settings) -> pd.DataFrame:  # fmt: skip
    """One line per internal planned release: ship_date = the release period's start, due_date = the start of
    the period it is received in (release period + offset)."""
    i, t = np.nonzero((res.planned_releases > 1e-9) & (parent >= 0)[:, None])
    src = rows["site"].to_numpy()[np.where(parent >= 0, parent, 0)]
    return pd.DataFrame({
        "sku": rows["sku"].to_numpy()[i], "origin": src[i], "destination": rows["site"].to_numpy()[i],
        "quantity": res.planned_releases[i, t], "ship_date": starts[t], "due_date": period_start(t + offset[i], st),
    })[TRANSFER_COLUMNS]  # fmt: skip


def _per_row(res: netting.Netting, starts: pd.DatetimeIndex) -> pd.DataFrame:
    """run_out_date: start of the first period whose projected on hand is below 0; first_below_safety_stock:
    of the first below the safety stock; excess_periods (netting.excess_periods)."""

    def date(idx):
        return pd.Series(np.where(idx >= 0, starts[np.maximum(idx, 0)], pd.NaT), dtype="datetime64[ns]")

    return pd.DataFrame({
        "run_out_date": date(netting.first_below(res.on_hand, np.zeros(len(res.on_hand)))),
        "first_below_safety_stock": date(netting.first_below(res.on_hand, res.safety_stock)),
        "excess_periods": netting.excess_periods(res.on_hand, res.safety_stock, res.gross),
    })  # fmt: skip


def echelon_kpis(rows: pd.DataFrame, res: netting.Netting, on_hand: np.ndarray, inputs: Inputs) -> list[KpiRow]:
    """Projected stockouts (SKU-sites whose projected on hand goes below 0, or below the safety stock, within the
    horizon) and weeks of cover per echelon (netting.weeks_of_cover; echelon = the Sites type)."""
    st = inputs.settings
    out = [
        KpiRow("projected_stockouts", float(np.sum(netting.first_below(res.on_hand, np.zeros(len(on_hand))) >= 0)),
               "count", False, "SKU-sites whose projected on hand goes below 0 within the horizon (Projected "
               "Inventory)"),
        KpiRow("projected_below_safety_stock", float(np.sum(netting.first_below(res.on_hand, res.safety_stock) >= 0)),
               "count", False, "SKU-sites whose projected on hand goes below the safety stock within the horizon"),
    ]  # fmt: skip
    sites = inputs["Sites"]
    kind = rows["site"].map(sites.set_index("site")["type"]) if len(sites) else pd.Series(np.nan, index=rows.index)
    value = rows["unit_cost"].to_numpy(float)
    for echelon in ECHELONS:
        mask = (kind == echelon).to_numpy()
        if mask.any():
            weeks = netting.weeks_of_cover(on_hand[mask] * value[mask], res.gross[mask] * value[mask, None],
                                           st.days_per_period)  # fmt: skip
            out.append(KpiRow(f"weeks_of_cover {echelon}", weeks, "ratio", False,
                              f"on-hand value at {echelon} sites / their mean weekly gross requirement value "
                              "(own demand + releases to the sites they replenish) over the horizon"))  # fmt: skip
    return out


AGREED = ("supplier", "unit_price", "lead_time_days", "suggested_order", "expected_arrival")


def follow_purchase_orders(out: pd.DataFrame, po_rows: pd.DataFrame) -> pd.Index:
    """The Reorder Plan takes each purchase order line's supplier, price, lead time, quantity and arrival (the
    supplier allocation may move an order to another supplier), so the Reorder Plan, the Purchase Orders and
    the Projected Inventory agree; order_value = suggested_order x unit_price. Returns the rows whose lead
    time changed (their levels were set on the cheapest offer's: the plan sets them again)."""
    if not len(po_rows):
        return po_rows.index
    before = out.loc[po_rows.index, "lead_time_days"].to_numpy(float)
    moved = po_rows.index[po_rows["lead_time_days"].to_numpy(float) != before]
    for col in AGREED:
        out.loc[po_rows.index, col] = po_rows[col].to_numpy()
    out["order_value"] = out["suggested_order"] * out["unit_price"]
    return moved
