"""Distribution plan: ship available stock from plants and DCs to the Requirements' destinations over Lanes,
a transportation problem (Hitchcock 1941; e.g. Winston, *Operations Research*, ch. 7) solved with HiGHS
(``scipy.optimize.milp``; a pure LP unless some lane is priced per truck). Pure: frames in, frames out.

Variables: f_a units of a SKU on lane l to requirement r (one arc per lane into r's destination from an
origin holding the SKU); u_r units short; v_r units below the fair floor; t_l trucks on per-truck lanes.

    minimise  sum_a (cost_per_unit_l + carbon_price/1000 x co2_a + late_penalty x late_a) f_a
              + sum_l cost_per_truck_l t_l + sum_r shortage_penalty x (1 + priority_r) u_r + sum_r F v_r
    co2_a     = unit_weight_kg / 1000 x distance_km x co2_kg_per_tkm     (kg CO2e per unit, tonne-km method)
    late_a    = 1 when planning_date + transit_days is after the requirement's due_date
    s.t.      sum_{a from o, SKU i} f_a <= available_{o,i}             (on hand above safety stock)
              sum_{a to r} f_a + u_r = quantity_r
              sum_{a to r} f_a + v_r >= floor(fair_share_floor x rho_i x quantity_r)   (when SKU i is short)
              sum_{a on l} unit_volume_m3 x f_a <= truck_capacity_m3_l x t_l,  t_l integer
              f_a <= min(quantity_r, available) x t_l       (strong linking cuts of fixed-charge networks)

Fairness: when a SKU's total available stock is below its total requirement (rho_i = available / required
< 1), every destination first gets at least ``fair_share_floor`` (default 50 %) of its proportional share
rho_i x quantity; what is left goes to higher priorities first (higher shortage penalty), then to the
cheapest lanes. So no destination is starved while another is fully served, unless no lane reaches it.
F = 2 x the largest shortage penalty, so the floor gives way only where lanes or stock cannot reach it.
Flows are whole units: with integral data the transportation LP has integral optimal vertices (its matrix is
totally unimodular), and flows on per-truck lanes are integer variables of the MILP. With carbon_price 0,
ties are broken by a negligible carbon price (planner.core.optimize.solver.CARBON_TIE_BREAK_PER_T).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from planner.core.optimize.solver import carbon_price, solve
from planner.model.results import DistributionPlan
from planner.model.settings import DistributionSettings

# kg CO2e per tonne-km when a lane gives none: typical well-to-wheel factors (UK DESNZ/DEFRA conversion
# factors, freighting goods: HGV average, freight train, container ship, long-haul air freight).
MODE_CO2_KG_PER_TKM = {"road": 0.107, "rail": 0.028, "sea": 0.016, "air": 1.13}


def lane_co2_factor(lanes: pd.DataFrame) -> pd.Series:
    """co2_kg_per_tkm of each lane, else its mode's default, else road's."""
    by_mode = lanes["mode"].map(MODE_CO2_KG_PER_TKM).fillna(MODE_CO2_KG_PER_TKM["road"])
    return lanes["co2_kg_per_tkm"].astype(float).fillna(by_mode)


def arcs(supply: pd.DataFrame, requirements: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
         cfg: DistributionSettings) -> pd.DataFrame:  # fmt: skip
    """Every (lane, requirement) pair that can carry stock: the lane ends at the requirement's destination
    and its origin holds the SKU. Columns: lane, req, origin, destination, sku, unit cost and CO2 per unit."""
    req = requirements.reset_index(drop=True).assign(req=lambda d: np.arange(len(d)))
    ln = lanes.reset_index(drop=True).assign(lane=lambda d: np.arange(len(d)))
    a = req[["req", "destination", "sku", "due_date"]].merge(
        ln[["lane", "origin", "destination", "distance_km", "cost_per_unit", "transit_days", "co2"]],
        on="destination",
    )
    have = supply.loc[supply["available"] > 0, ["site", "sku"]].rename(columns={"site": "origin"})
    a = a.merge(have, on=["origin", "sku"])
    w = a["sku"].map(items["unit_weight_kg"]).astype(float).fillna(0.0)
    a["co2_per_unit"] = w / 1000.0 * a["distance_km"].astype(float).fillna(0.0) * a["co2"]
    arrival = cfg.planning_date + pd.to_timedelta(a["transit_days"].astype(float).fillna(0.0), unit="D")
    a["late"] = (a["due_date"].notna() & (arrival.dt.normalize() > a["due_date"])).to_numpy()
    carbon = carbon_price(cfg.carbon_price_per_t) * a["co2_per_unit"]
    a["unit_cost"] = a["cost_per_unit"].astype(float).fillna(0.0) + carbon + cfg.late_penalty_per_unit * a["late"]
    return a.sort_values(["req", "lane"], kind="stable").reset_index(drop=True)


def plan_distribution(supply: pd.DataFrame, requirements: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
                      cfg: DistributionSettings) -> DistributionPlan:  # fmt: skip
    """``supply``: site, sku, available (units that may leave); ``requirements``: destination, sku, quantity,
    due_date, priority; ``lanes``: the Lanes sheet; ``items`` indexed by sku with unit_volume_m3, unit_weight_kg."""
    lanes = lanes.reset_index(drop=True).copy()
    lanes["co2"] = lane_co2_factor(lanes)
    reqs = requirements.reset_index(drop=True).copy()
    reqs["priority"] = reqs["priority"].astype(float).fillna(0.0)
    a = arcs(supply, reqs, lanes, items, cfg)
    A, R = len(a), len(reqs)
    q = reqs["quantity"].to_numpy(float)
    pen = cfg.shortage_penalty_per_unit * (1.0 + reqs["priority"].to_numpy())
    floor_pen = 2.0 * (pen.max() if R else 0.0) + 1.0

    # fair floor per requirement of a short SKU
    avail_sku = supply.groupby("sku")["available"].sum()
    need_sku = reqs.groupby("sku")["quantity"].sum()
    rho = (avail_sku.reindex(need_sku.index).fillna(0.0) / need_sku).clip(upper=1.0)
    share = reqs["sku"].map(rho).to_numpy(float)
    floor = np.where(share < 1.0, np.floor(cfg.fair_share_floor * share * q + 1e-9), 0.0)

    truck = (lanes["cost_per_truck"].astype(float).fillna(0) > 0) & (lanes["truck_capacity_m3"].astype(float) > 0)
    truck_lanes = np.flatnonzero(truck.to_numpy())
    T = len(truck_lanes)
    used_truck = np.isin(truck_lanes, a["lane"].unique())
    vol = a["sku"].map(items["unit_volume_m3"]).astype(float).fillna(0.0).to_numpy()

    # variables: f (A), u (R), v (R), t (T)
    nv = A + 2 * R + T
    cost = np.concatenate([a["unit_cost"].to_numpy(float), pen, np.full(R, floor_pen),
                           lanes["cost_per_truck"].astype(float).to_numpy()[truck_lanes]])  # fmt: skip
    ub = np.concatenate([np.full(A, np.inf), q, floor, np.where(used_truck, np.inf, 0.0)])
    on_truck = np.isin(a["lane"].to_numpy(int), truck_lanes)  # whole units where trucks are counted
    integrality = np.concatenate([on_truck.astype(float), np.zeros(2 * R), np.ones(T)])
    rows, cols, vals, lo, hi = [], [], [], [], []
    # supply rows: one per (origin, sku) with arcs
    okey = pd.MultiIndex.from_frame(a[["origin", "sku"]]) if A else pd.MultiIndex.from_tuples([], names=["o", "s"])
    groups, ok = pd.factorize(okey) if A else (np.zeros(0, int), [])
    cap = supply.set_index(["site", "sku"])["available"].groupby(level=[0, 1]).sum()
    n_sup = len(ok)
    stock = cap.reindex(ok).to_numpy(float) if n_sup else np.zeros(0)  # available per (origin, SKU) row
    rows.append(groups), cols.append(np.arange(A)), vals.append(np.ones(A))
    lo.append(np.full(n_sup, -np.inf)), hi.append(stock)
    r0 = n_sup
    # demand rows: sum f + u = q
    ri = a["req"].to_numpy(int)
    rows += [r0 + ri, r0 + np.arange(R)]
    cols += [np.arange(A), A + np.arange(R)]
    vals += [np.ones(A), np.ones(R)]
    lo.append(q), hi.append(q)
    r0 += R
    # fair floor: u_r - v_r <= q_r - floor_r
    rows += [r0 + np.arange(R), r0 + np.arange(R)]
    cols += [A + np.arange(R), A + R + np.arange(R)]
    vals += [np.ones(R), -np.ones(R)]
    lo.append(np.full(R, -np.inf)), hi.append(q - floor)
    r0 += R
    # trucks: sum vol f - cap t <= 0
    if T:
        pos = pd.Series(-1, index=range(len(lanes)))
        pos[truck_lanes] = np.arange(T)
        tl = pos.to_numpy()[a["lane"].to_numpy(int)] if A else np.zeros(0, int)
        k = np.flatnonzero(tl >= 0)
        rows += [r0 + tl[k], r0 + np.arange(T)]
        cols += [k, A + 2 * R + np.arange(T)]
        vals += [vol[k], -lanes["truck_capacity_m3"].astype(float).to_numpy()[truck_lanes]]
        lo.append(np.full(T, -np.inf)), hi.append(np.zeros(T))
        r0 += T
        # linking cuts f_a <= min(q_r, available) x t_l: redundant for whole trucks, but they make the LP
        # relaxation charge a truck for any flow (the strong fixed-charge formulation)
        n_k = len(k)
        bound = np.minimum(q[ri[k]], stock[groups[k]])
        rows += [r0 + np.arange(n_k), r0 + np.arange(n_k)]
        cols += [k, A + 2 * R + tl[k]]
        vals += [np.ones(n_k), -bound]
        lo.append(np.full(n_k, -np.inf)), hi.append(np.zeros(n_k))
        r0 += n_k
    M = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r0, nv))
    cons = LinearConstraint(M, np.concatenate(lo), np.concatenate(hi))
    res = solve(
        cost, integrality, Bounds(np.zeros(nv), ub), cons, cfg.time_limit_s, cfg.mip_rel_gap, "distribution plan"
    )
    f = np.round(res.x[:A], 6)  # whole units: integral data give integral LP vertices; truck arcs are integer
    trucks = np.round(res.x[A + 2 * R :])
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0) if T else 0.0
    plan = _report(a, f, reqs, lanes, truck_lanes, trucks, vol, items, cfg, str(res.message), gap)
    # the objective's service part: shortages by priority, late units, units below the fair floor
    t = plan.totals
    t["penalty_cost"] = float(res.fun) - t["transport_cost"] - carbon_price(cfg.carbon_price_per_t) * t["co2_kg"]
    t["late_units"] = float(f[a["late"].to_numpy(bool)].sum())
    t["objective"] = float(res.fun)
    return plan


def _report(a, f, reqs, lanes, truck_lanes, trucks, vol, items, cfg, status, gap) -> DistributionPlan:
    w = a["sku"].map(items["unit_weight_kg"]).astype(float).fillna(0.0).to_numpy()
    flows = a.assign(
        quantity=f,
        volume_m3=f * vol,
        weight_kg=f * w,
        transport_cost=f * a["cost_per_unit"].astype(float).fillna(0.0).to_numpy(),
        co2_kg=f * a["co2_per_unit"].to_numpy(),
        arrival=cfg.planning_date + pd.to_timedelta(a["transit_days"].astype(float).fillna(0.0), unit="D"),
    )
    flows = flows.loc[flows["quantity"] > 0].copy()
    flows["mode"] = flows["lane"].map(lanes["mode"])
    flows["priority"] = flows["req"].map(reqs["priority"])
    flows["on_time"] = ~flows["late"]
    ship = flows.groupby("lane").agg(units=("quantity", "sum"), volume_m3=("volume_m3", "sum"),
                                     weight_kg=("weight_kg", "sum"), unit_cost=("transport_cost", "sum"),
                                     co2_kg=("co2_kg", "sum"), skus=("sku", "nunique"))  # fmt: skip
    t = pd.Series(trucks, index=truck_lanes, dtype=float)
    ship["trucks"] = t.reindex(ship.index)
    cap = lanes["truck_capacity_m3"].astype(float)
    ship["truck_capacity_m3"] = cap.reindex(ship.index)
    ship["fill"] = ship["volume_m3"] / (ship["trucks"] * ship["truck_capacity_m3"]).where(ship["trucks"] > 0)
    ship["truck_cost"] = (ship["trucks"] * lanes["cost_per_truck"].astype(float).reindex(ship.index)).fillna(0.0)
    ship["transport_cost"] = ship["unit_cost"] + ship["truck_cost"]
    for col in ("origin", "destination", "mode", "distance_km", "transit_days"):
        ship[col] = lanes[col].reindex(ship.index).to_numpy()
    shipments = ship.reset_index(drop=True)[
        ["origin", "destination", "mode", "distance_km", "transit_days", "skus", "units", "volume_m3", "weight_kg",
         "trucks", "truck_capacity_m3", "fill", "transport_cost", "co2_kg"]
    ]  # fmt: skip
    delivered = flows.groupby("req")["quantity"].sum().reindex(range(len(reqs))).fillna(0.0).to_numpy()
    on_time = flows[flows["on_time"]].groupby("req")["quantity"].sum().reindex(range(len(reqs))).fillna(0.0)
    lt = (flows["quantity"] * flows["transit_days"].astype(float).fillna(0.0)).groupby(flows["req"]).sum()
    out = reqs.copy()
    out["delivered"] = delivered
    out["short"] = np.maximum(out["quantity"].to_numpy(float) - delivered, 0.0)
    out["fill_rate"] = np.divide(delivered, out["quantity"].to_numpy(float), out=np.ones(len(out)),
                                 where=out["quantity"].to_numpy(float) > 0)  # fmt: skip
    out["on_time_units"] = on_time.to_numpy()
    out["lead_time_days"] = (lt.reindex(range(len(reqs))) / pd.Series(delivered).where(delivered > 0)).to_numpy()
    total_units = float(f.sum())
    transport = float(shipments["transport_cost"].sum())
    co2 = float(flows["co2_kg"].sum())
    totals = {
        "units_shipped": total_units,
        "units_required": float(out["quantity"].sum()),
        "units_short": float(out["short"].sum()),
        "transport_cost": transport,
        "co2_kg": co2,
        "co2_kg_per_unit": co2 / total_units if total_units else float("nan"),
        "on_time_units": float(out["on_time_units"].sum()),
        "avg_lead_time_days": float(lt.sum() / total_units) if total_units else float("nan"),
        "trucks": float(shipments["trucks"].sum()),
    }
    flows = flows[
        ["origin", "destination", "sku", "mode", "priority", "quantity", "volume_m3", "weight_kg", "transit_days",
         "arrival", "due_date", "on_time", "transport_cost", "co2_kg"]
    ].reset_index(drop=True)  # fmt: skip
    return DistributionPlan(flows, shipments, out, totals, status, gap)
