"""Stock KPIs over the reorder plan (pure pandas): each KPI has a value, a target from Settings, a
direction (higher or lower is better) and a traffic light: GREEN when the target is met, AMBER within
the amber band (Settings ``kpi_amber_band``, a fraction of the target), RED beyond.

Definitions (per SKU-site rows of the plan, d = demand per day, v = unit cost):
- availability: share of SKU-sites with demand that have stock on hand (> 0); value-weighted: the same,
  each weighted by its annual value d x days_per_year x v.
- expected fill rate: demand-weighted mean of the fill rate each policy delivers.
- days of cover: inventory value / value of demand per day (all SKU-sites with demand).
- inventory value: sum of on_hand x v; turns: annual cost of demand / inventory value.
- excess stock value: sum of (stock above the policy maximum) x v.
- stockout risk: SKU-sites whose inventory position is below their lead-time demand d x L.
- forecast WAPE and bias: sum |F - A| / sum A and sum (F - A) / sum A over the hold-out, all series.
- warehouse occupancy per site: sum of on_hand x unit_volume_m3 / capacity_m3, for sites with a capacity and
  a Stock row (projected: also for sites that only receive shipments).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KPI_COLUMNS = ["kpi", "value", "target", "status", "unit", "direction", "definition"]


def _light(value: float, target: float, higher_is_better: bool, band: float) -> str:
    if value is None or not np.isfinite(value) or target is None or not np.isfinite(target):
        return "INFO"
    gap = (target - value) if higher_is_better else (value - target)
    if gap <= 0:
        return "GREEN"
    return "AMBER" if gap <= band * abs(target) else "RED"


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def stock_kpis(
    plan: pd.DataFrame,
    targets: dict[str, float],
    days_per_year: float,
    wape: float,
    bias: float,
    occupancy: pd.DataFrame | None = None,
    amber_band: float = 0.1,
    extra: tuple | list = (),
) -> pd.DataFrame:
    """The KPI table. ``plan`` needs demand_per_day, unit_cost, on_hand, inventory_position,
    lead_time_days, expected_fill_rate, excess_units; ``occupancy`` has site, occupancy and
    projected_occupancy (fractions); ``extra``: more (kpi, value, unit, higher is better, definition) rows."""
    rows = _stock_rows(plan, days_per_year, wape, bias)
    rows += _occupancy_rows(occupancy, set(plan["site"]) if "site" in plan else set())
    rows += list(extra)
    out = []
    for kpi, value, unit, higher, definition in rows:
        key = "occupancy" if "occupancy " in kpi else kpi
        target = targets.get(key, np.nan)
        light = _light(value, target, higher, amber_band)
        if key == "forecast_bias":  # bias is good when close to 0 either way
            light = _light(abs(value), target, False, amber_band)
        out.append((kpi, value, target, light, unit, "higher" if higher else "lower", definition))
    return pd.DataFrame(out, columns=KPI_COLUMNS)


def _stock_rows(plan: pd.DataFrame, days_per_year: float, wape: float, bias: float) -> list[tuple]:
    """(kpi, value, unit, higher is better, definition) of the stock and forecast KPIs (module docstring)."""
    d = plan["demand_per_day"].to_numpy(float)
    v = plan["unit_cost"].to_numpy(float)
    on_hand = plan["on_hand"].to_numpy(float)
    live = d > 0
    annual_value = d * days_per_year * v
    inv_value = float(np.sum(np.maximum(on_hand, 0) * v))
    in_stock = on_hand > 0
    return [
        ("availability", _ratio(np.sum(in_stock & live), np.sum(live)), "percent", True,
         "share of SKU-sites with demand that have stock on hand"),
        ("availability_value_weighted", _ratio(np.sum(annual_value * in_stock), np.sum(annual_value)),
         "percent", True, "availability weighted by annual demand value"),
        ("expected_fill_rate", _ratio(np.sum(plan["expected_fill_rate"].to_numpy(float) * d), np.sum(d)),
         "percent", True, "demand-weighted fill rate the policies deliver"),
        ("days_of_cover", _ratio(inv_value, np.sum(d * v)), "days", False,
         "inventory value / value of demand per day"),
        ("inventory_value", inv_value, "money", False, "sum of on-hand x unit cost"),
        ("inventory_turns", _ratio(np.sum(annual_value), inv_value), "ratio", True,
         "annual cost of demand / inventory value"),
        ("excess_stock_value", float(np.sum(plan["excess_units"].to_numpy(float) * v)), "money", False,
         "stock above the policy maximum (s + Q or S), valued at unit cost"),
        ("stockout_risk_skus", float(np.sum(plan["inventory_position"].to_numpy(float)
                                            < d * plan["lead_time_days"].to_numpy(float))),
         "count", False, "SKU-sites whose inventory position is below lead-time demand"),
        ("forecast_wape", wape, "percent", False, "sum |forecast - actual| / sum actual on the hold-out"),
        ("forecast_bias", bias, "percent", False, "sum (forecast - actual) / sum actual on the hold-out"),
    ]  # fmt: skip


def _occupancy_rows(occupancy: pd.DataFrame | None, planned_sites: set) -> list[tuple]:
    """Occupancy KPI rows only where they mean something: now, for sites with a capacity whose stock the
    plan holds (a Stock row); projected, for those and for sites that receive something (a store that
    only receives shipments). A site without a capacity, or with none of either, gets no row."""
    rows: list[tuple] = []
    if occupancy is None:
        return rows
    for site, occ in zip(occupancy["site"], occupancy["occupancy"], strict=True):
        if site in planned_sites and np.isfinite(occ):
            rows.append((f"occupancy {site}", float(occ), "percent", False, "volume on hand / site capacity_m3"))
    for site, occ in zip(occupancy["site"], occupancy["projected_occupancy"], strict=True):
        if np.isfinite(occ) and (site in planned_sites or occ > 0):
            rows.append((f"projected occupancy {site}", float(occ), "percent", False,
                         "(on hand + inbound orders + inbound - outbound shipments) / capacity_m3"))  # fmt: skip
    return rows


def occupancy_by_site(
    plan: pd.DataFrame,
    sites: pd.DataFrame,
    inbound_units: pd.Series | None = None,
    shipments: pd.DataFrame | None = None,
    threshold: float = float("nan"),
) -> pd.DataFrame | None:
    """Per site with capacity_m3 (volumes in m³):
    volume_m3 = sum on_hand x unit_volume_m3 (now); occupancy = volume_m3 / capacity_m3;
    projected_m3 = volume_m3 + inbound purchase orders (on_order + orders suggested now, x unit volume)
    + inbound shipments - outbound shipments of the distribution plan; projected_occupancy = projected_m3 /
    capacity_m3; flag = OVER when projected_occupancy is above ``threshold`` (Settings target_occupancy)."""
    if sites.empty or "unit_volume_m3" not in plan or plan["unit_volume_m3"].isna().all():
        return None
    cap = sites.dropna(subset=["capacity_m3"]).set_index("site")["capacity_m3"]
    unit_vol = plan["unit_volume_m3"].fillna(0)
    vol = (plan["on_hand"].clip(lower=0) * unit_vol).groupby(plan["site"]).sum()
    out = pd.DataFrame({"volume_m3": vol.reindex(cap.index).fillna(0.0), "capacity_m3": cap})
    inbound = inbound_units if inbound_units is not None else plan["on_order"].fillna(0)
    po = (inbound.clip(lower=0) * unit_vol).groupby(plan["site"]).sum()
    out["inbound_po_m3"] = po.reindex(cap.index).fillna(0.0)
    ins = outs = pd.Series(0.0, index=cap.index)
    if shipments is not None and len(shipments):
        ins = shipments.groupby("destination")["volume_m3"].sum().reindex(cap.index).fillna(0.0)
        outs = shipments.groupby("origin")["volume_m3"].sum().reindex(cap.index).fillna(0.0)
    out["inbound_shipments_m3"], out["outbound_shipments_m3"] = ins, outs
    out["projected_m3"] = out["volume_m3"] + out["inbound_po_m3"] + ins - outs
    room = out["capacity_m3"].where(out["capacity_m3"] > 0)
    out["occupancy"] = out["volume_m3"] / room
    out["projected_occupancy"] = out["projected_m3"] / room
    out["flag"] = np.where(out["projected_occupancy"] > threshold, "OVER", "")
    return out.reset_index(names="site")


def abc_summary(plan: pd.DataFrame, days_per_year: float) -> pd.DataFrame:
    """Pareto table by ABC class: SKU-sites, annual value and its share (for the ABC chart)."""
    value = plan["demand_per_day"] * days_per_year * plan["unit_cost"]
    g = value.groupby(plan["abc"]).agg(["size", "sum"]).reindex(["A", "B", "C"]).fillna(0)
    total = g["sum"].sum()
    return pd.DataFrame(
        {
            "abc": g.index,
            "sku_sites": g["size"].astype(int).to_numpy(),
            "annual_value": g["sum"].to_numpy(),
            "value_share": (g["sum"] / total if total else g["sum"] * 0).to_numpy(),
        }
    )
