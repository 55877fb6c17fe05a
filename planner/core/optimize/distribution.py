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

Build once, solve per carbon price: only the arcs' unit costs depend on the carbon price, so a trade-off
over carbon prices builds the model once:

    model = DistributionModel.build(supply, requirements, lanes, items, cfg)
    by_price = {p: model.solve(carbon_price_per_t=p) for p in prices}

``model.solve(carbon_price_per_t=p)`` gives what ``plan_distribution(..., replace(cfg, carbon_price_per_t=p))``
gives; ``plan_distribution`` is build + solve at ``cfg.carbon_price_per_t``. The cost vector is kept in its
parts (per arc: cost per unit, kg CO2e per unit, late penalty; per requirement: shortage and floor
penalties; per truck lane: cost per truck) and priced by ``DistributionModel.cost_vector``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint

from planner.core.emissions import lane_factor, transport_co2_kg
from planner.core.optimize.solver import ModelInfo, Rows, carbon_price, solve
from planner.model.results import DistributionPlan
from planner.model.settings import DistributionSettings

INFO = ModelInfo(
    "distribution plan",
    costs_from="shortage_penalty_per_unit, late_penalty_per_unit, carbon_price_per_t or the Lanes' cost_per_unit "
    "and cost_per_truck",
    limits_from="the Requirements' quantity, the Lanes' truck_capacity_m3 and the stock on hand",
)


def lane_co2_factor(lanes: pd.DataFrame) -> pd.Series:
    """co2_kg_per_tkm of each lane, else its mode's default, else road's (planner.core.emissions)."""
    return pd.Series(lane_factor(lanes["co2_kg_per_tkm"], lanes["mode"]), index=lanes.index)


def arcs(supply: pd.DataFrame, requirements: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
         cfg: DistributionSettings) -> pd.DataFrame:  # fmt: skip
    """Every (lane, requirement) pair that can carry stock: the lane ends at the requirement's destination
    and its origin holds the SKU. Columns: lane, req, origin, destination, sku, due date, the lane's data,
    co2_per_unit (kg CO2e per unit) and late (arrival after the due date); sorted by requirement, lane."""
    req = requirements.reset_index(drop=True).assign(req=lambda d: np.arange(len(d)))
    ln = lanes.reset_index(drop=True).assign(lane=lambda d: np.arange(len(d)))
    a = req[["req", "destination", "sku", "due_date"]].merge(
        ln[["lane", "origin", "destination", "distance_km", "cost_per_unit", "transit_days", "co2"]],
        on="destination",
    )
    have = supply.loc[supply["available"] > 0, ["site", "sku"]].rename(columns={"site": "origin"})
    a = a.merge(have, on=["origin", "sku"])
    w = a["sku"].map(items["unit_weight_kg"]).astype(float).fillna(0.0)
    a["co2_per_unit"] = transport_co2_kg(w, a["distance_km"].astype(float).fillna(0.0), a["co2"])
    arrival = cfg.planning_date + pd.to_timedelta(a["transit_days"].astype(float).fillna(0.0), unit="D")
    a["late"] = (a["due_date"].notna() & (arrival.dt.normalize() > a["due_date"])).to_numpy()
    return a.sort_values(["req", "lane"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class DistributionModel:
    """The transportation model built once from the data. Variables: f (units per arc), u (units short per
    requirement), v (units below the fair floor per requirement), t (trucks per truck lane), in that order.
    Cost parts: per arc ``unit_cost`` (the lane's cost per unit), ``co2`` (kg CO2e per unit) and ``late_cost``
    (late_penalty x late); per requirement ``shortage`` (shortage_penalty x (1 + priority)) and ``floor_cost``
    (F); per truck lane ``truck_cost``."""

    arcs: pd.DataFrame
    requirements: pd.DataFrame
    lanes: pd.DataFrame
    items: pd.DataFrame
    truck_lanes: np.ndarray  # lanes priced per truck
    volume: np.ndarray  # m3 per unit, per arc
    unit_cost: np.ndarray
    co2: np.ndarray
    late_cost: np.ndarray
    shortage: np.ndarray
    floor_cost: float
    truck_cost: np.ndarray
    cfg: DistributionSettings
    bounds: Bounds
    integrality: np.ndarray
    constraints: LinearConstraint

    @classmethod
    def build(cls, supply: pd.DataFrame, requirements: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
              cfg: DistributionSettings) -> DistributionModel:  # fmt: skip
        """The model of ``plan_distribution``'s arguments (see there)."""
        lanes = lanes.reset_index(drop=True).copy()
        lanes["co2"] = lane_co2_factor(lanes)
        reqs = requirements.reset_index(drop=True).copy()
        reqs["priority"] = reqs["priority"].astype(float).fillna(0.0)
        a = arcs(supply, reqs, lanes, items, cfg)
        q = reqs["quantity"].to_numpy(float)
        pen = cfg.shortage_penalty_per_unit * (1.0 + reqs["priority"].to_numpy())
        floor = _fair_floor(supply, reqs, cfg.fair_share_floor)
        truck = (lanes["cost_per_truck"].astype(float).fillna(0) > 0) & (lanes["truck_capacity_m3"].astype(float) > 0)
        truck_lanes = np.flatnonzero(truck.to_numpy())
        vol = a["sku"].map(items["unit_volume_m3"]).astype(float).fillna(0.0).to_numpy()
        used_truck = np.isin(truck_lanes, a["lane"].unique())
        ub = np.concatenate([np.full(len(a), np.inf), q, floor, np.where(used_truck, np.inf, 0.0)])
        on_truck = np.isin(a["lane"].to_numpy(int), truck_lanes)  # whole units where trucks are counted
        integrality = np.concatenate([on_truck.astype(float), np.zeros(2 * len(q)), np.ones(len(truck_lanes))])
        rows = _constraints(a, supply, q, floor, lanes, truck_lanes, vol)
        return cls(a, reqs, lanes, items, truck_lanes, vol, a["cost_per_unit"].astype(float).fillna(0.0).to_numpy(),
                   a["co2_per_unit"].to_numpy(float), cfg.late_penalty_per_unit * a["late"].to_numpy(), pen,
                   2.0 * (pen.max() if len(q) else 0.0) + 1.0, lanes["cost_per_truck"].astype(float).to_numpy()[
                   truck_lanes], cfg, Bounds(np.zeros(len(ub)), ub), integrality, rows.constraint(len(ub)))  # fmt: skip

    def cost_vector(self, carbon_price_per_t: float) -> np.ndarray:
        """The objective over (f, u, v, t) at ``carbon_price_per_t`` (currency per tonne CO2e)."""
        per_unit = self.unit_cost + carbon_price(carbon_price_per_t) * self.co2 + self.late_cost
        R = len(self.shortage)
        return np.concatenate([per_unit, self.shortage, np.full(R, self.floor_cost), self.truck_cost])

    def solve(self, carbon_price_per_t: float | None = None) -> DistributionPlan:
        """The distribution plan at ``carbon_price_per_t`` (default: the settings' price)."""
        price = self.cfg.carbon_price_per_t if carbon_price_per_t is None else carbon_price_per_t
        A, R, T = len(self.arcs), len(self.shortage), len(self.truck_lanes)
        cfg = self.cfg
        res = solve(self.cost_vector(price), self.integrality, self.bounds, self.constraints, cfg.time_limit_s,
                    cfg.mip_rel_gap, INFO)  # fmt: skip
        f = np.round(res.x[:A], 6)  # whole units: integral data give integral LP vertices; truck arcs are integer
        trucks = np.round(res.x[A + 2 * R :])
        gap = float(getattr(res, "mip_gap", 0.0) or 0.0) if T else 0.0
        plan = _report(self.arcs, f, self.requirements, self.lanes, self.truck_lanes, trucks, self.volume,
                       self.items, cfg, str(res.message), gap)  # fmt: skip
        # the objective's service part: shortages by priority, late units, units below the fair floor
        t = plan.totals
        t["penalty_cost"] = float(res.fun) - t["transport_cost"] - carbon_price(price) * t["co2_kg"]
        t["late_units"] = float(f[self.arcs["late"].to_numpy(bool)].sum())
        t["objective"] = float(res.fun)
        return plan


def plan_distribution(supply: pd.DataFrame, requirements: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
                      cfg: DistributionSettings) -> DistributionPlan:  # fmt: skip
    """``supply``: site, sku, available (units that may leave); ``requirements``: destination, sku, quantity,
    due_date, priority; ``lanes``: the Lanes sheet; ``items`` indexed by sku with unit_volume_m3, unit_weight_kg.
    Build + solve at ``cfg.carbon_price_per_t``; build a ``DistributionModel`` once to solve at several."""
    return DistributionModel.build(supply, requirements, lanes, items, cfg).solve()


def _fair_floor(supply: pd.DataFrame, reqs: pd.DataFrame, fair_share_floor: float) -> np.ndarray:
    """Per requirement of a short SKU (rho_i < 1): floor(fair_share_floor x rho_i x quantity); else 0."""
    avail_sku = supply.groupby("sku")["available"].sum()
    need_sku = reqs.groupby("sku")["quantity"].sum()
    rho = (avail_sku.reindex(need_sku.index).fillna(0.0) / need_sku).clip(upper=1.0)
    share = reqs["sku"].map(rho).to_numpy(float)
    q = reqs["quantity"].to_numpy(float)
    return np.where(share < 1.0, np.floor(fair_share_floor * share * q + 1e-9), 0.0)


def _constraints(a: pd.DataFrame, supply: pd.DataFrame, q: np.ndarray, floor: np.ndarray, lanes: pd.DataFrame,
                 truck_lanes: np.ndarray, vol: np.ndarray) -> Rows:  # fmt: skip
    """The rows of the module docstring, in its order: supply, demand, fair floor, trucks, linking cuts."""
    A, R = len(a), len(q)
    rows = Rows()
    # supply rows: one per (origin, sku) with arcs
    okey = pd.MultiIndex.from_frame(a[["origin", "sku"]]) if A else pd.MultiIndex.from_tuples([], names=["o", "s"])
    groups, ok = pd.factorize(okey) if A else (np.zeros(0, int), [])
    cap = supply.set_index(["site", "sku"])["available"].groupby(level=[0, 1]).sum()
    stock = cap.reindex(ok).to_numpy(float) if len(ok) else np.zeros(0)  # available per (origin, SKU) row
    rows.add(groups, np.arange(A), np.ones(A))
    rows.close(np.full(len(ok), -np.inf), stock)
    ri = a["req"].to_numpy(int)  # demand rows: sum f + u = q
    rows.add(ri, np.arange(A), np.ones(A))
    rows.add(np.arange(R), A + np.arange(R), np.ones(R))
    rows.close(q, q)
    rows.add(np.arange(R), A + np.arange(R), np.ones(R))  # fair floor: u_r - v_r <= q_r - floor_r
    rows.add(np.arange(R), A + R + np.arange(R), -np.ones(R))
    rows.close(np.full(R, -np.inf), q - floor)
    if len(truck_lanes):
        _truck_rows(rows, a, lanes, truck_lanes, vol, np.minimum(q[ri], stock[groups]), A + 2 * R)
    return rows


def _truck_rows(rows: Rows, a: pd.DataFrame, lanes: pd.DataFrame, truck_lanes: np.ndarray, vol: np.ndarray,
                most: np.ndarray, it: int) -> None:  # fmt: skip
    """sum_{a on l} vol f_a - truck_capacity_l t_l <= 0, then the linking cuts f_a <= most_a x t_l
    (most_a = min(quantity, available)): redundant for whole trucks, but they make the LP relaxation charge
    a truck for any flow (the strong fixed-charge formulation). ``it``: the first truck variable."""
    T = len(truck_lanes)
    pos = pd.Series(-1, index=range(len(lanes)))
    pos[truck_lanes] = np.arange(T)
    tl = pos.to_numpy()[a["lane"].to_numpy(int)] if len(a) else np.zeros(0, int)
    k = np.flatnonzero(tl >= 0)
    rows.add(tl[k], k, vol[k])
    rows.add(np.arange(T), it + np.arange(T), -lanes["truck_capacity_m3"].astype(float).to_numpy()[truck_lanes])
    rows.close(np.full(T, -np.inf), np.zeros(T))
    n_k = len(k)
    rows.add(np.arange(n_k), k, np.ones(n_k))
    rows.add(np.arange(n_k), it + tl[k], -most[k])
    rows.close(np.full(n_k, -np.inf), np.zeros(n_k))


def _report(a, f, reqs, lanes, truck_lanes, trucks, vol, items, cfg, status, gap) -> DistributionPlan:
    """The solution as frames: flows per arc used, shipments per lane, delivery per requirement, totals."""
    flows = _flows(a, f, vol, items, lanes, reqs, cfg)
    shipments = _shipments(flows, lanes, truck_lanes, trucks)
    out, lt = _deliveries(flows, reqs)
    total_units = float(f.sum())
    co2 = float(flows["co2_kg"].sum())
    totals = {
        "units_shipped": total_units,
        "units_required": float(out["quantity"].sum()),
        "units_short": float(out["short"].sum()),
        "transport_cost": float(shipments["transport_cost"].sum()),
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


def _flows(a, f, vol, items, lanes, reqs, cfg) -> pd.DataFrame:
    """The arcs with flow: units, m3, kg, cost per unit x units, kg CO2e, arrival date, mode, on time."""
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
    return flows


def _shipments(flows, lanes, truck_lanes, trucks) -> pd.DataFrame:
    """Per lane used: units, m3, kg, SKUs, trucks and their fill, transport cost (per unit + per truck), CO2."""
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
    return ship.reset_index(drop=True)[
        ["origin", "destination", "mode", "distance_km", "transit_days", "skus", "units", "volume_m3", "weight_kg",
         "trucks", "truck_capacity_m3", "fill", "transport_cost", "co2_kg"]
    ]  # fmt: skip


def _deliveries(flows, reqs) -> tuple[pd.DataFrame, pd.Series]:
    """Per requirement: delivered, short, fill rate, units on time, mean lead time; and unit-days per requirement."""
    n = range(len(reqs))
    delivered = flows.groupby("req")["quantity"].sum().reindex(n).fillna(0.0).to_numpy()
    on_time = flows[flows["on_time"]].groupby("req")["quantity"].sum().reindex(n).fillna(0.0)
    lt = (flows["quantity"] * flows["transit_days"].astype(float).fillna(0.0)).groupby(flows["req"]).sum()
    out = reqs.copy()
    q = out["quantity"].to_numpy(float)
    out["delivered"] = delivered
    out["short"] = np.maximum(q - delivered, 0.0)
    out["fill_rate"] = np.divide(delivered, q, out=np.ones(len(out)), where=q > 0)
    out["on_time_units"] = on_time.to_numpy()
    out["lead_time_days"] = (lt.reindex(n) / pd.Series(delivered).where(delivered > 0)).to_numpy()
    return out, lt
