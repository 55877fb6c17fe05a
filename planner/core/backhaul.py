"""Backhaul of returns: units returned at a site go back to the DC that serves it on the way back of the
outbound trucks of the same lane, in their dispatch period or, waiting at the site up to ``max_wait_days``,
in a later one; what no outbound truck takes in time goes on dedicated return trucks. Pure: frames in,
frames out.

Per forward truck lane l = (DC -> site) and dispatch period p (the distribution plan's Shipments), with the
way back (site -> DC) of distance km (the reverse lane's where the Lanes give one; else, for a site no lane
leaves (a store), the truck lane's own: its trucks come back over the same road), n_lp outbound trucks of
capacity V m3 and W kg (W: the lane's truck_capacity_kg, else TRUCK_PAYLOAD_KG), their room on the way back
is filled with the site's returns still waiting to go back to that DC, oldest first, then those dated in p:
of a batch of v m3 and w kg, the share f = min(1, V_left / v, W_left / w) (the trucks drive back anyway,
empty). A batch goes back to the DC of its own period (below) and may wait floor(max_wait_days / dispatch
period) periods for that DC's trucks; what is left of it then goes, in its own period, on

    dedicated trucks   k = ceil(max(v_left / V, w_left / W))
    CO2 (kg CO2e)      backhaul: km x (full - empty) x w_carried / W      (only the load's extra fuel)
                       dedicated: km x (2 x empty x k + (full - empty) x w_left / W)   (loaded out, empty back)
    CO2 saved          = the same returns all on dedicated trucks in their own period - the plan

(the load-dependent vehicle-km factors of planner.core.emissions.truck_trip_co2_kg: a trip of km costs
km x (empty + (full - empty) x load fraction)). Without waiting (max_wait_days below one period) a period's
backhauled share is b = min(1, n_lp V / v, n_lp W / w) and k = ceil(max(v (1 - b) / V, w (1 - b) / W)). A
site's returns of a period go to the DC with a way back (a lane both ways; or, for a site no lane leaves, a
truck lane to it) whose outbound trucks run to it in that period, else to the nearest DC back; returns at a
site without a way back (a DC that ships on and has no lane back, one reached only without trucks) are
listed with a blank dc and no trips.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.emissions import TRUCK_CO2_KG_PER_KM_EMPTY, TRUCK_CO2_KG_PER_KM_FULL, TRUCK_PAYLOAD_KG
from planner.core.optimize.distribution import truck_lanes

MAX_WAIT_DAYS = 1e6  # a longer (or infinite) wait is this one: past every plan's horizon


def plan_backhaul(returns: pd.DataFrame, shipments: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
                  planning_date: pd.Timestamp, dispatch_days: float,
                  max_wait_days: float = 0.0) -> pd.DataFrame:  # fmt: skip
    """``returns``: sku, site, date, quantity (units returned at a site); ``shipments``: the distribution
    plan's Shipments (origin, destination, ship_date, trucks, truck_capacity_m3, truck_capacity_kg);
    ``lanes``: the Lanes sheet; ``items`` indexed by sku with unit_volume_m3, unit_weight_kg;
    ``max_wait_days``: how long returns may wait at the site for an outbound truck's way back. One row per
    site, DC and dispatch period with returns (or, where returns may wait, with an outbound truck that can
    take waiting ones): units returned, m3, kg, outbound trucks, units backhauled on them, dedicated trucks
    (for the period's own returns left when their wait ran out), kg CO2e of the plan, of all-dedicated trips
    and saved; dc is blank where the site has no way back."""
    step = max(dispatch_days, 1.0)
    wait = int(min(np.nan_to_num(max(max_wait_days, 0.0)), MAX_WAIT_DAYS) // step)
    r = _returns_per_period(returns, items, planning_date, dispatch_days)
    out = shipments.dropna(subset=["ship_date"])
    out = out.assign(period=((out["ship_date"] - planning_date).dt.days // step).astype(int))
    out = out.groupby(["origin", "destination", "period"], as_index=False).agg(trucks=("trucks", "sum"))
    out = out.rename(columns={"origin": "dc", "destination": "site"})
    ways = _ways_back(lanes)
    if wait:
        r = _with_truck_periods(r, out.merge(ways[["site", "dc"]], on=["site", "dc"]), wait)
    r = r.merge(ways, on="site", how="left").merge(out, on=["dc", "site", "period"], how="left")
    # per site and period: the DC whose outbound trucks run then, else the nearest DC back
    r = r.assign(_idle=~(r["trucks"].fillna(0) > 0)).sort_values(["site", "period", "_idle", "distance_km", "dc"])
    r = r.drop_duplicates(["site", "period"]).drop(columns="_idle").reset_index(drop=True)
    return _trips(r, _load_on_trucks(r, wait))


def _with_truck_periods(r: pd.DataFrame, trucks: pd.DataFrame, wait: int) -> pd.DataFrame:
    """``r`` (site, period, units, volume_m3, weight_kg) with a row of no returns for each period p without
    returns in which an outbound truck with a way back runs to a site that has returns dated in the ``wait``
    periods before p: the trucks that waiting returns can still ride."""
    runs = trucks.loc[trucks["trucks"] > 0, ["site", "period"]].drop_duplicates()
    dated = r.loc[r["units"] > 0, ["site", "period"]].rename(columns={"period": "dated"})
    runs = runs.merge(dated, on="site")
    runs = runs[(runs["dated"] < runs["period"]) & (runs["period"] <= runs["dated"] + wait)]
    extra = runs[["site", "period"]].drop_duplicates().merge(r[["site", "period"]], how="left", indicator=True)
    extra = extra.loc[extra["_merge"] == "left_only", ["site", "period"]]
    zeros = extra.assign(units=0.0, volume_m3=0.0, weight_kg=0.0)
    return pd.concat([r, zeros], ignore_index=True).sort_values(["site", "period"], ignore_index=True)


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


def _load_on_trucks(r: pd.DataFrame, wait: int) -> dict[str, np.ndarray]:
    """Per row of ``r`` (sorted by site and period): units and kg loaded on its outbound trucks' way back
    (waiting batches oldest first, then its own), and units, m3 and kg of its own returns left for dedicated
    trucks when their wait of ``wait`` periods ran out (module docstring). Capacity NaN: unlimited."""
    n = r["trucks"].fillna(0.0).to_numpy(float)
    room_v = np.where(
        np.isnan(r["truck_capacity_m3"].to_numpy(float)), np.inf, n * r["truck_capacity_m3"].to_numpy(float)
    )
    room_w = n * _payload(r)
    units, v, w = (r[c].to_numpy(float) for c in ("units", "volume_m3", "weight_kg"))
    period, site, dc = r["period"].to_numpy(int), r["site"].to_numpy(object), r["dc"].to_numpy(object)
    carried, carried_kg = np.zeros(len(r)), np.zeros(len(r))
    left = np.column_stack([units, v, w])  # what of each row's own returns still waits (units, m3, kg)
    waiting: list[int] = []
    for i in range(len(r)):
        if i and site[i] != site[i - 1]:
            waiting = []
        waiting.append(i)
        if n[i] > 0:  # the trucks back to this row's DC take what waits to go there (each row's DC is fixed)
            same_dc = [j for j in waiting if dc[j] == dc[i]]
            carried[i], carried_kg[i] = _fill(left, same_dc, room_v[i], room_w[i])
        last_of_site = i + 1 == len(r) or site[i + 1] != site[i]
        waiting = [j for j in waiting if left[j, 0] > 1e-9 and not last_of_site and period[j] + wait >= period[i + 1]]
    return {"backhaul_units": carried, "backhaul_kg": carried_kg, "dedicated": left}


def _fill(left: np.ndarray, batches: list[int], room_v: float, room_w: float) -> tuple[float, float]:
    """Loads the batches (rows of ``left``: units, m3, kg), in order, into room_v m3 and room_w kg, each the
    share f = min(1, room left / its m3, room left / its kg); ``left`` reduced in place. Units and kg loaded."""
    units = kg = 0.0
    for j in batches:
        u, v, w = left[j]
        f = max(min(1.0, room_v / v if v > 0 else np.inf, room_w / w if w > 0 else np.inf), 0.0)
        units, kg = units + f * u, kg + f * w
        room_v, room_w = room_v - f * v, room_w - f * w
        left[j] *= 1.0 - f
    return units, kg


def _payload(r: pd.DataFrame) -> np.ndarray:
    """W per row: the lane's truck_capacity_kg, else TRUCK_PAYLOAD_KG."""
    kg = r["truck_capacity_kg"].to_numpy(float)
    return np.where(kg > 0, kg, TRUCK_PAYLOAD_KG)


def _trips(r: pd.DataFrame, loaded: dict[str, np.ndarray]) -> pd.DataFrame:
    """Dedicated trucks and CO2 of each row (module docstring formulas) from what _load_on_trucks loaded."""
    e, full = TRUCK_CO2_KG_PER_KM_EMPTY, TRUCK_CO2_KG_PER_KM_FULL
    V, W = r["truck_capacity_m3"].to_numpy(float), _payload(r)
    v, w = r["volume_m3"].to_numpy(float), r["weight_kg"].to_numpy(float)
    ded = loaded["dedicated"]
    with np.errstate(divide="ignore", invalid="ignore"):
        V_ded = np.where(V > 0, V, np.inf)
        k = np.maximum(np.ceil(np.maximum(ded[:, 1] / V_ded, ded[:, 2] / W) - 1e-9), 0.0)
        k_all = np.maximum(np.ceil(np.maximum(v / V_ded, w / W) - 1e-9), 0.0)
    km = r["distance_km"].astype(float).fillna(0.0).to_numpy()
    extra = (full - e) / W  # kg CO2e per km and kg on board
    r = r.assign(backhaul_units=np.round(loaded["backhaul_units"], 6), dedicated_trucks=k,
                 co2_kg=km * (extra * loaded["backhaul_kg"] + 2 * e * k + extra * ded[:, 2]),
                 co2_dedicated_kg=km * (2 * e * k_all + extra * w))  # fmt: skip
    r["co2_saved_kg"] = r["co2_dedicated_kg"] - r["co2_kg"]
    routable = r["dc"].notna()
    r.loc[~routable, ["backhaul_units", "dedicated_trucks", "co2_kg", "co2_dedicated_kg", "co2_saved_kg"]] = np.nan
    return r[["site", "dc", "period", "units", "volume_m3", "weight_kg", "trucks", "backhaul_units",
              "dedicated_trucks", "co2_kg", "co2_dedicated_kg", "co2_saved_kg"]].rename(
        columns={"trucks": "outbound_trucks"})  # fmt: skip
