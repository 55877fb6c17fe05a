"""Backhaul of returns: units returned at a site go back to the DC that serves it on the way back of the
outbound trucks of the same lane and dispatch period; what does not fit goes on dedicated return trucks. Pure:
frames in, frames out.

Per forward truck lane l = (DC -> site) and dispatch period p (the distribution plan's Shipments), with the
way back (site -> DC) of distance km (the reverse lane's where the Lanes give one; else, for a site no lane
leaves (a store), the truck lane's own: its trucks come back over the same road), n_lp outbound trucks of
capacity V m3 and W kg (W: the lane's truck_capacity_kg, else TRUCK_PAYLOAD_KG) and returns of v m3 and w kg
dated in p:

    backhauled share   b = min(1, n_lp V / v, n_lp W / w)    (the trucks drive back anyway, empty)
    dedicated trucks   k = ceil(max(v (1 - b) / V, w (1 - b) / W))
    CO2 (kg CO2e)      backhaul: km x (full - empty) x b w / W           (only the load's extra fuel)
                       dedicated: km x (2 x empty x k + (full - empty) x (1 - b) w / W)   (loaded out, empty back)
    CO2 saved          = the same returns all on dedicated trucks - the plan

(the load-dependent vehicle-km factors of planner.core.emissions.truck_trip_co2_kg: a trip of km costs
km x (empty + (full - empty) x load fraction)). A site's returns of a period go to the DC with a way back
(a lane both ways; or, for a site no lane leaves, a truck lane to it) whose outbound trucks run to it in that
period, else to the nearest DC back, on dedicated trucks; returns at a site without a way back (a DC that
ships on and has no lane back, one reached only without trucks) are listed with a blank dc and no trips.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.emissions import TRUCK_CO2_KG_PER_KM_EMPTY, TRUCK_CO2_KG_PER_KM_FULL, TRUCK_PAYLOAD_KG
from planner.core.optimize.distribution import truck_lanes


def plan_backhaul(returns: pd.DataFrame, shipments: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
                  planning_date: pd.Timestamp, dispatch_days: float) -> pd.DataFrame:  # fmt: skip
    """``returns``: sku, site, date, quantity (units returned at a site); ``shipments``: the distribution
    plan's Shipments (origin, destination, ship_date, trucks, truck_capacity_m3, truck_capacity_kg);
    ``lanes``: the Lanes sheet; ``items`` indexed by sku with unit_volume_m3, unit_weight_kg. One row per
    site, DC and dispatch period with returns: units, m3, kg, backhauled units, dedicated trucks, kg CO2e of
    the plan, of all-dedicated trips and saved; dc is blank where the site has no way back."""
    r = _returns_per_period(returns, items, planning_date, dispatch_days)
    r = r.merge(_ways_back(lanes), on="site", how="left")
    out = shipments.assign(period=((shipments["ship_date"] - planning_date).dt.days // max(dispatch_days, 1.0)))
    out = out.groupby(["origin", "destination", "period"], as_index=False).agg(trucks=("trucks", "sum"))
    r = r.merge(out.rename(columns={"origin": "dc", "destination": "site"}), on=["dc", "site", "period"], how="left")
    # per site and period: the DC whose outbound trucks run then, else the nearest DC back
    r = r.assign(_idle=~(r["trucks"].fillna(0) > 0)).sort_values(["site", "period", "_idle", "distance_km", "dc"])
    return _trips(r.drop_duplicates(["site", "period"]).drop(columns="_idle").reset_index(drop=True))


def _returns_per_period(returns, items, planning_date, dispatch_days) -> pd.DataFrame:
    """Units, m3 and kg returned per site and dispatch period (returns dated before the planning date: 0)."""
    days = (pd.to_datetime(returns["date"]) - planning_date).dt.days.clip(lower=0).fillna(0)
    q = returns["quantity"].astype(float)
    r = pd.DataFrame({
        "site": returns["site"], "period": (days // max(dispatch_days, 1.0)).astype(int), "units": q,
        "volume_m3": q * returns["sku"].map(items["unit_volume_m3"]).astype(float).fillna(0.0),
        "weight_kg": q * returns["sku"].map(items["unit_weight_kg"]).astype(float).fillna(0.0),
    })  # fmt: skip
    return r.groupby(["site", "period"], as_index=False).sum()


def _ways_back(lanes: pd.DataFrame) -> pd.DataFrame:
    """Per site and DC with a way back, with the forward lane's truck (m3, kg): a lane both ways (its distance
    back); or, for a site no lane leaves (a store: a DC that ships on keeps its returns), a truck lane to it
    (priced per truck: distribution.truck_lanes) with a distance, whose trucks come back over the same road."""
    fwd = lanes.assign(truck_capacity_kg=lanes.get("truck_capacity_kg", np.nan), _truck=truck_lanes(lanes))
    fwd = fwd[["origin", "destination", "distance_km", "truck_capacity_m3", "truck_capacity_kg", "_truck"]].rename(
        columns={"origin": "dc", "destination": "site", "distance_km": "distance_out"})  # fmt: skip
    rev = lanes[["origin", "destination", "distance_km"]].rename(columns={"origin": "site", "destination": "dc"})
    ways = fwd.merge(rev.drop_duplicates(["site", "dc"]), on=["dc", "site"], how="left", indicator=True)
    leaf = ~ways["site"].isin(lanes["origin"])
    out = pd.to_numeric(ways["distance_out"], errors="coerce")
    same_road = ways["_truck"] & leaf & (out > 0)
    ways = ways[(ways["_merge"] == "both") | same_road]
    ways = ways.assign(distance_km=ways["distance_km"].where(ways["_merge"] == "both", out))
    return ways[["site", "dc", "distance_km", "truck_capacity_m3", "truck_capacity_kg"]]


def _trips(r: pd.DataFrame) -> pd.DataFrame:
    """The backhauled share, dedicated trucks and CO2 of each row (module docstring formulas)."""
    e, full = TRUCK_CO2_KG_PER_KM_EMPTY, TRUCK_CO2_KG_PER_KM_FULL
    n = r["trucks"].fillna(0.0).to_numpy(float)
    V = r["truck_capacity_m3"].to_numpy(float)
    W = np.where(r["truck_capacity_kg"].to_numpy(float) > 0, r["truck_capacity_kg"].to_numpy(float), TRUCK_PAYLOAD_KG)
    v, w = r["volume_m3"].to_numpy(float), r["weight_kg"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.nan_to_num(np.minimum.reduce([np.ones(len(r)), n * V / v, n * W / w]), nan=1.0, posinf=1.0)
        b = np.where(n > 0, np.clip(b, 0.0, 1.0), 0.0)
        V_ded = np.where(V > 0, V, np.inf)
        k = np.maximum(np.ceil(np.maximum(v * (1 - b) / V_ded, w * (1 - b) / W) - 1e-9), 0.0)
        k_all = np.maximum(np.ceil(np.maximum(v / V_ded, w / W) - 1e-9), 0.0)
    km = r["distance_km"].astype(float).fillna(0.0).to_numpy()
    load = (full - e) * w / W
    r = r.assign(backhaul_units=np.round(r["units"] * b, 6), dedicated_trucks=k,
                 co2_kg=km * (load * b + 2 * e * k + load * (1 - b)),
                 co2_dedicated_kg=km * (2 * e * k_all + load))  # fmt: skip
    r["co2_saved_kg"] = r["co2_dedicated_kg"] - r["co2_kg"]
    routable = r["dc"].notna()
    r.loc[~routable, ["backhaul_units", "dedicated_trucks", "co2_kg", "co2_dedicated_kg", "co2_saved_kg"]] = np.nan
    return r[["site", "dc", "period", "units", "volume_m3", "weight_kg", "trucks", "backhaul_units",
              "dedicated_trucks", "co2_kg", "co2_dedicated_kg", "co2_saved_kg"]].rename(
        columns={"trucks": "outbound_trucks"})  # fmt: skip
