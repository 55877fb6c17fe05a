"""Distribution plan: ship available stock from plants and DCs to the Requirements' destinations over Lanes,
period by period, a transportation problem (Hitchcock 1941; e.g. Winston, *Operations Research*, ch. 7) with
trucks counted per lane and dispatch period (a fixed-charge network), solved with HiGHS (``scipy.optimize.milp``;
a pure LP unless some lane is priced per truck). Pure: frames in, frames out.

Time: each requirement r leaves on its ship date = max(due_date_r - transit_l, planning_date) (the planning date
when it has no due date) and arrives transit_l days later; its lateness is late_a = max(planning_date + transit_l
- due_date_r, 0) days. Trucks are counted per lane l and dispatch period p = floor((ship date - planning date) /
dispatch_days) (default: the planning period): items due on day 1 and day 30 never share a truck; the truck of a
(lane, period) leaves on the earliest ship date of its load, so consolidation never makes an item later.

Variables: f_a units of a SKU on lane l to requirement r (one arc per lane into r's destination from an
origin holding the SKU, or from the requirement's own origin when it gives one); u_r units short; v_r units
below the fair floor; t_g trucks per truck group g = (truck lane, dispatch period).

    minimise  sum_a (cost_per_unit_l + cp x co2_a + L x late_a) f_a + sum_g (cost_per_truck_l + cp x e_g) t_g
              + sum_r P_r u_r + sum_r F v_r
    s.t.      sum_{a from o, SKU i} f_a <= available_{o,i}             (stock that may leave, see the pipeline)
              sum_{a to r} f_a + u_r = quantity_r
              sum_{a to r} f_a + v_r >= floor(fair_share_floor x rho_i x quantity_r)   (when SKU i is short)
              sum_{a in g} unit_volume_m3 x f_a <= truck_capacity_m3_l x t_g,  t_g integer
              sum_{a in g} unit_weight_kg x f_a <= truck_capacity_kg_l x t_g   (lanes with a weight limit)
              f_a <= min(quantity_r, available) x t_g       (strong linking cuts of fixed-charge networks)
              sum_a co2_a f_a + sum_g e_g t_g <= co2_cap_kg  (when a cap is set)

CO2 (kg CO2e, planner.core.emissions): on truck lanes by vehicle-km with a load-dependent factor, e_g = km_l x
TRUCK_CO2_KG_PER_KM_EMPTY per truck and co2_a = km_l x (full - empty) x unit_weight_kg / payload_kg per unit (a
trip's km x (empty + (full - empty) x load fraction)), so fuller trucks emit less per unit; on lanes priced per
unit, by the tonne-km method, co2_a = unit_weight_kg / 1000 x distance_km x co2_kg_per_tkm. cp = carbon price
per kg. The cap makes a plan short (u_r) rather than exceed it; Issues then name the cap.

Penalties scaled to the data (``scaled_penalty``, the default; Settings penalty_scaling = auto): with D = the
dearest path cost of one unit (max over arcs of cost_per_unit + cp x co2_a, plus on truck lanes a whole truck:
cost_per_truck + cp x e_g), a day late costs L = late_penalty_per_unit + D per unit, and a unit short costs
P_r = (1 + priority_r) x (shortage_penalty_per_unit + D + L x the longest lateness). So any on-time path beats
any late one and any delivery beats none, whatever the currency or cost scale (the flat penalties, penalty_scaling
= flat, left the Hillier-Lieberman P&T problem with costs x 2 at 195 of 300 units, with costs x 10 at none).

Fairness: when a SKU's total available stock is below its total requirement (rho_i = available / required
< 1), every destination first gets at least ``fair_share_floor`` (default 50 %) of its proportional share
rho_i x quantity; what is left goes to higher priorities first (higher shortage penalty), then to the
cheapest lanes. So no destination is starved while another is fully served, unless no lane reaches it.
F = 2 x the largest shortage penalty + 1, so the floor gives way only where lanes or stock cannot reach it.
Flows are whole units: with integral data the transportation LP has integral optimal vertices (its matrix is
totally unimodular), and flows on per-truck lanes (every flow when a CO2 cap is set, whose row breaks total
unimodularity) are integer variables of the MILP. With carbon_price 0,
ties are broken by a negligible carbon price (planner.core.optimize.solver.CARBON_TIE_BREAK_PER_T).

Build once, solve per carbon price: only the costs depend on the carbon price, so a trade-off over carbon
prices builds the model once and re-solves it with a new cost vector:

    model = DistributionModel.build(supply, requirements, lanes, items, cfg)
    by_price = {p: model.solve(carbon_price_per_t=p) for p in prices}

``model.solve(carbon_price_per_t=p)`` gives what ``plan_distribution(..., replace(cfg, carbon_price_per_t=p))``
gives; ``plan_distribution`` is build + solve at ``cfg.carbon_price_per_t``. Planned transfers of a netting
(sku, origin, destination, quantity, ship_date, due_date) enter through ``transfers_as_requirements``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint

from planner.core.emissions import (
    TRUCK_CO2_KG_PER_KM_EMPTY,
    TRUCK_CO2_KG_PER_KM_FULL,
    TRUCK_PAYLOAD_KG,
    lane_factor,
    transport_co2_kg,
)
from planner.core.optimize.solver import ModelInfo, Rows, carbon_price, solve
from planner.model.results import DistributionPlan
from planner.model.settings import DistributionSettings

INFO = ModelInfo(
    "distribution plan",
    costs_from="shortage_penalty_per_unit, late_penalty_per_unit, carbon_price_per_t or the Lanes' cost_per_unit "
    "and cost_per_truck",
    limits_from="the Requirements' quantity, the Lanes' truck_capacity_m3 and truck_capacity_kg and the stock on hand",
)


def lane_co2_factor(lanes: pd.DataFrame) -> pd.Series:
    """co2_kg_per_tkm of each lane, else its mode's default, else road's (planner.core.emissions)."""
    return pd.Series(lane_factor(lanes["co2_kg_per_tkm"], lanes["mode"]), index=lanes.index)


def transfers_as_requirements(transfers: pd.DataFrame) -> pd.DataFrame:
    """Planned transfers of a time-phased netting (sku, origin, destination, quantity, ship_date, due_date) as
    requirements of this model: each must come from its own origin (the ``origin`` column), due on its due
    date (else its ship date), priority 0."""
    t = transfers.reset_index(drop=True)
    due = t["due_date"] if "due_date" in t else pd.Series(pd.NaT, index=t.index)
    if "ship_date" in t:
        due = due.fillna(t["ship_date"])
    return pd.DataFrame({"destination": t["destination"], "sku": t["sku"], "quantity": t["quantity"].astype(float),
                         "due_date": pd.to_datetime(due), "priority": 0.0, "origin": t["origin"],
                         "_row": t["_row"] if "_row" in t else np.arange(len(t)) + 2})  # fmt: skip


def arcs(supply: pd.DataFrame, requirements: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
         cfg: DistributionSettings) -> pd.DataFrame:  # fmt: skip
    """Every (lane, requirement) pair that can carry stock: the lane ends at the requirement's destination,
    its origin holds the SKU (and is the requirement's origin when it names one). Columns: lane, req, origin,
    destination, sku, due date, the lane's data, weight and volume per unit, ship_date, period (dispatch
    period), late_days; sorted by requirement, lane."""
    req = requirements.reset_index(drop=True).assign(req=lambda d: np.arange(len(d)))
    if "origin" not in req:
        req["origin"] = np.nan
    ln = lanes.reset_index(drop=True).assign(lane=lambda d: np.arange(len(d)))
    a = (
        req[["req", "destination", "sku", "due_date", "origin"]]
        .rename(columns={"origin": "from"})
        .merge(
            ln[["lane", "origin", "destination", "distance_km", "cost_per_unit", "transit_days", "co2"]],
            on="destination",
        )
    )
    a = a[a["from"].isna() | (a["from"] == a["origin"])].drop(columns="from")
    have = supply.loc[supply["available"] > 0, ["site", "sku", "available"]].groupby(["site", "sku"], as_index=False)
    have = have.sum().rename(columns={"site": "origin"})
    a = a.merge(have, on=["origin", "sku"])
    a["weight"] = a["sku"].map(items["unit_weight_kg"]).astype(float).fillna(0.0).to_numpy()
    a["volume"] = a["sku"].map(items["unit_volume_m3"]).astype(float).fillna(0.0).to_numpy()
    transit = pd.to_timedelta(a["transit_days"].astype(float).fillna(0.0), unit="D")
    due = pd.to_datetime(a["due_date"])
    ship = (due.dt.normalize() - transit.dt.ceil("D")).fillna(cfg.planning_date).clip(lower=cfg.planning_date)
    if "ship_date" in requirements:  # planned transfers leave on their own ship date (the netting's release)
        given = pd.to_datetime(a["req"].map(req["ship_date"]))
        ship = given.fillna(ship).clip(lower=cfg.planning_date)
    a["ship_date"] = ship
    a["period"] = ((ship - cfg.planning_date).dt.days // max(cfg.dispatch_days, 1.0)).astype(int)
    arrival = ship + transit if "ship_date" in requirements else cfg.planning_date + transit
    a["late_days"] = ((arrival.dt.ceil("D") - due).dt.days.clip(lower=0)).fillna(0).astype(float).to_numpy()
    return a.sort_values(["req", "lane"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class DistributionModel:
    """The model built once from the data. Variables: f (units per arc), u (units short per requirement),
    v (units below the fair floor per requirement), t (trucks per truck group = truck lane x dispatch period),
    in that order. Cost parts: per arc ``unit_cost``, ``co2`` (kg CO2e per unit) and ``late_days``; per
    requirement ``priority``; per truck group ``truck_cost`` and ``truck_co2`` (kg CO2e per empty trip)."""

    arcs: pd.DataFrame
    requirements: pd.DataFrame
    lanes: pd.DataFrame
    items: pd.DataFrame
    groups: pd.DataFrame  # truck groups: lane, period, distance_km, cost_per_truck, capacities, payload
    group_of: np.ndarray  # per arc: its truck group, -1 on lanes priced per unit
    unit_cost: np.ndarray
    co2: np.ndarray
    late_days: np.ndarray
    priority: np.ndarray
    truck_cost: np.ndarray
    truck_co2: np.ndarray
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
        if "truck_capacity_kg" not in lanes:
            lanes["truck_capacity_kg"] = np.nan
        reqs = requirements.reset_index(drop=True).copy()
        reqs["priority"] = reqs["priority"].astype(float).fillna(0.0)
        a = arcs(supply, reqs, lanes, items, cfg)
        groups, group_of = _truck_groups(a, lanes)
        a["co2_per_unit"] = _unit_co2(a, groups, group_of)
        q = reqs["quantity"].to_numpy(float)
        floor = _fair_floor(supply, reqs, cfg.fair_share_floor)
        G = len(groups)
        ub = np.concatenate([np.full(len(a), np.inf), q, floor, np.full(G, np.inf)])
        whole = (group_of >= 0) | (cfg.co2_cap_kg is not None)  # a cap row breaks total unimodularity
        integrality = np.concatenate([whole.astype(float), np.zeros(2 * len(q)), np.ones(G)])
        truck_co2 = groups["distance_km"].to_numpy(float) * TRUCK_CO2_KG_PER_KM_EMPTY
        rows = _constraints(a, supply, q, floor, groups, group_of)
        if cfg.co2_cap_kg is not None:  # sum co2_a f_a + sum e_g t_g <= cap
            rows.add(np.zeros(len(a), int), np.arange(len(a)), a["co2_per_unit"].to_numpy(float))
            rows.add(np.zeros(G, int), len(a) + 2 * len(q) + np.arange(G), truck_co2)
            rows.close([-np.inf], [cfg.co2_cap_kg])
        return cls(a, reqs, lanes, items, groups, group_of, a["cost_per_unit"].astype(float).fillna(0.0).to_numpy(),
                   a["co2_per_unit"].to_numpy(float), a["late_days"].to_numpy(float), reqs["priority"].to_numpy(),
                   groups["cost_per_truck"].to_numpy(float), truck_co2, cfg, Bounds(np.zeros(len(ub)), ub),
                   integrality, rows.constraint(len(ub)))  # fmt: skip

    def penalties(self, carbon_price_per_t: float) -> tuple[float, float, np.ndarray]:
        """(D, L, P): the dearest path cost of one unit, the cost of a unit-day late and the shortage
        penalty per requirement at ``carbon_price_per_t`` (see the module docstring; flat: D = 0)."""
        cfg, cp = self.cfg, carbon_price(carbon_price_per_t)
        path = self.unit_cost + cp * self.co2
        on_truck = self.group_of >= 0
        path[on_truck] += (self.truck_cost + cp * self.truck_co2)[self.group_of[on_truck]]
        D = float(path.max()) if cfg.scaled_penalty and len(path) else 0.0
        L = cfg.late_penalty_per_unit + D
        worst_late = L * float(self.late_days.max()) if cfg.scaled_penalty and len(path) else 0.0
        P = (1.0 + self.priority) * (cfg.shortage_penalty_per_unit + D + worst_late)
        return D, L, P

    def cost_vector(self, carbon_price_per_t: float) -> np.ndarray:
        """The objective over (f, u, v, t) at ``carbon_price_per_t`` (currency per tonne CO2e)."""
        cp = carbon_price(carbon_price_per_t)
        _, L, P = self.penalties(carbon_price_per_t)
        per_unit = self.unit_cost + cp * self.co2 + L * self.late_days
        F = 2.0 * (P.max() if len(P) else 0.0) + 1.0
        return np.concatenate([per_unit, P, np.full(len(P), F), self.truck_cost + cp * self.truck_co2])

    def solve(self, carbon_price_per_t: float | None = None) -> DistributionPlan:
        """The distribution plan at ``carbon_price_per_t`` (default: the settings' price)."""
        price = self.cfg.carbon_price_per_t if carbon_price_per_t is None else carbon_price_per_t
        A, R, G = len(self.arcs), len(self.priority), len(self.groups)
        cfg = self.cfg
        res = solve(self.cost_vector(price), self.integrality, self.bounds, self.constraints, cfg.time_limit_s,
                    cfg.mip_rel_gap, INFO)  # fmt: skip
        f = np.round(res.x[:A], 6)  # whole units: integral data give integral LP vertices; truck arcs are integer
        trucks = np.round(res.x[A + 2 * R :])
        gap = float(getattr(res, "mip_gap", 0.0) or 0.0) if G else 0.0
        plan = _report(self, f, trucks, str(res.message), gap)
        plan.requirements["cause"] = _causes(self, f, plan.totals["co2_kg"])
        t = plan.totals  # the objective's service part: shortages by priority, late unit-days, floor
        t["penalty_cost"] = float(res.fun) - t["transport_cost"] - carbon_price(price) * t["co2_kg"]
        t["objective"] = float(res.fun)
        return plan


def plan_distribution(supply: pd.DataFrame, requirements: pd.DataFrame, lanes: pd.DataFrame, items: pd.DataFrame,
                      cfg: DistributionSettings) -> DistributionPlan:  # fmt: skip
    """``supply``: site, sku, available (units that may leave); ``requirements``: destination, sku, quantity,
    due_date, priority (optional origin: the only site it may come from; see ``transfers_as_requirements``);
    ``lanes``: the Lanes sheet; ``items`` indexed by sku with unit_volume_m3, unit_weight_kg.
    Build + solve at ``cfg.carbon_price_per_t``; build a ``DistributionModel`` once to solve at several."""
    return DistributionModel.build(supply, requirements, lanes, items, cfg).solve()


def truck_lanes(lanes: pd.DataFrame) -> np.ndarray:
    """The lanes priced per truck (bool per row): cost_per_truck > 0 and truck_capacity_m3 > 0."""

    def positive(column: str) -> pd.Series:
        values = lanes[column] if column in lanes else pd.Series(np.nan, index=lanes.index)
        return pd.to_numeric(values, errors="coerce").fillna(0.0) > 0

    return (positive("cost_per_truck") & positive("truck_capacity_m3")).to_numpy()


def _truck_groups(a: pd.DataFrame, lanes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Truck groups (lane priced per truck x dispatch period with arcs) and each arc's group (-1: none)."""
    truck = truck_lanes(lanes)
    on = truck[a["lane"].to_numpy(int)] if len(a) else np.zeros(0, bool)
    keys = a.loc[on, ["lane", "period"]].drop_duplicates().sort_values(["lane", "period"]).reset_index(drop=True)
    ln = lanes.iloc[keys["lane"].to_numpy(int)].reset_index(drop=True)
    groups = keys.assign(
        distance_km=ln["distance_km"].astype(float).fillna(0.0).to_numpy(),
        cost_per_truck=ln["cost_per_truck"].astype(float).to_numpy(),
        truck_capacity_m3=ln["truck_capacity_m3"].astype(float).to_numpy(),
        truck_capacity_kg=ln["truck_capacity_kg"].astype(float).to_numpy(),
    )
    kg = groups["truck_capacity_kg"]
    groups["payload_kg"] = kg.where(kg > 0, TRUCK_PAYLOAD_KG)
    gid = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(a[["lane", "period"]])) if len(a) else []
    return groups, np.where(on, np.asarray(gid, int), -1) if len(a) else np.zeros(0, int)


def _unit_co2(a: pd.DataFrame, groups: pd.DataFrame, group_of: np.ndarray) -> np.ndarray:
    """kg CO2e per unit of each arc: the load part of a truck trip on truck lanes, km x (full - empty) x kg /
    payload; the tonne-km method elsewhere."""
    km = a["distance_km"].astype(float).fillna(0.0).to_numpy()
    tkm = transport_co2_kg(a["weight"], km, a["co2"])
    on = group_of >= 0
    payload = groups["payload_kg"].to_numpy(float)[group_of[on]]
    load = km[on] * (TRUCK_CO2_KG_PER_KM_FULL - TRUCK_CO2_KG_PER_KM_EMPTY) * a["weight"].to_numpy()[on] / payload
    out = np.asarray(tkm, float).copy()
    out[on] = load
    return out


def _causes(model: DistributionModel, f: np.ndarray, co2_kg: float) -> np.ndarray:
    """Why each requirement is short ('' when it is not): no lane into its destination; no lane from a site
    with the SKU to spare; stock left at a site with a lane to it but the transport CO2 cap binds, or (flat
    penalties) shipping costs more than the shortage penalty; else not enough stock (shared fairly)."""
    a, reqs = model.arcs, model.requirements
    left = a["available"] - pd.Series(f, index=a.index).groupby([a["origin"], a["sku"]]).transform("sum")
    has_spare = (left >= 1.0 - 1e-9).to_numpy()
    n = range(len(reqs))
    spare = pd.Series(has_spare).groupby(a["req"].to_numpy()).any().reindex(n, fill_value=False).to_numpy()
    cleanest = pd.Series(np.where(has_spare, model.co2, np.inf)).groupby(a["req"].to_numpy()).min().reindex(n)
    reached = np.isin(np.arange(len(reqs)), a["req"].to_numpy())
    into = reqs["destination"].isin(set(model.lanes["destination"])).to_numpy()
    delivered = np.bincount(a["req"].to_numpy(int), weights=f, minlength=len(reqs)) if len(a) else np.zeros(len(reqs))
    short = reqs["quantity"].to_numpy(float) - delivered > 1e-6
    cap = model.cfg.co2_cap_kg
    capped = (
        (co2_kg + cleanest.fillna(np.inf).to_numpy() > cap + 1e-9) if cap is not None else np.zeros(len(reqs), bool)
    )
    cap_why = "the transport CO2 cap (transport_co2_cap_kg) binds: stock is left at a site with a lane to it"
    cost_why = (
        "shipping costs more than the shortage penalty (penalty_scaling flat): stock is left at a site "
        "with a lane to it; raise shortage_penalty_per_unit or set penalty_scaling to auto"
    )
    why = np.select([~into, ~reached, spare & capped, spare], ["no lane into this destination",
                    "no lane from a site with stock of this SKU to spare", cap_why, cost_why],
                    "not enough stock above what the sites keep (shared fairly by priority)")  # fmt: skip
    return np.where(short, why, "")


def _fair_floor(supply: pd.DataFrame, reqs: pd.DataFrame, fair_share_floor: float) -> np.ndarray:
    """Per requirement of a short SKU (rho_i < 1): floor(fair_share_floor x rho_i x quantity); else 0."""
    avail_sku = supply.groupby("sku")["available"].sum()
    need_sku = reqs.groupby("sku")["quantity"].sum()
    rho = (avail_sku.reindex(need_sku.index).fillna(0.0) / need_sku).clip(upper=1.0)
    share = reqs["sku"].map(rho).to_numpy(float)
    q = reqs["quantity"].to_numpy(float)
    return np.where(share < 1.0, np.floor(fair_share_floor * share * q + 1e-9), 0.0)


def _constraints(a: pd.DataFrame, supply: pd.DataFrame, q: np.ndarray, floor: np.ndarray, groups: pd.DataFrame,
                 group_of: np.ndarray) -> Rows:  # fmt: skip
    """The rows of the module docstring, in its order: supply, demand, fair floor, trucks, linking cuts."""
    A, R = len(a), len(q)
    rows = Rows()
    # supply rows: one per (origin, sku) with arcs
    okey = pd.MultiIndex.from_frame(a[["origin", "sku"]]) if A else pd.MultiIndex.from_tuples([], names=["o", "s"])
    okeys, ok = pd.factorize(okey) if A else (np.zeros(0, int), [])
    cap = supply.set_index(["site", "sku"])["available"].groupby(level=[0, 1]).sum()
    stock = cap.reindex(ok).to_numpy(float) if len(ok) else np.zeros(0)  # available per (origin, SKU) row
    rows.add(okeys, np.arange(A), np.ones(A))
    rows.close(np.full(len(ok), -np.inf), stock)
    ri = a["req"].to_numpy(int)  # demand rows: sum f + u = q
    rows.add(ri, np.arange(A), np.ones(A))
    rows.add(np.arange(R), A + np.arange(R), np.ones(R))
    rows.close(q, q)
    rows.add(np.arange(R), A + np.arange(R), np.ones(R))  # fair floor: u_r - v_r <= q_r - floor_r
    rows.add(np.arange(R), A + R + np.arange(R), -np.ones(R))
    rows.close(np.full(R, -np.inf), q - floor)
    if len(groups):
        _truck_rows(rows, a, groups, group_of, np.minimum(q[ri], stock[okeys]), A + 2 * R)
    return rows


def _truck_rows(rows: Rows, a: pd.DataFrame, groups: pd.DataFrame, group_of: np.ndarray, most: np.ndarray,
                it: int) -> None:  # fmt: skip
    """Per truck group g: sum vol f_a - truck_capacity_m3 t_g <= 0, the same in kg where the lane has a
    truck_capacity_kg, then the linking cuts f_a <= most_a x t_g (most_a = min(quantity, available)):
    redundant for whole trucks, but they make the LP relaxation charge a truck for any flow (the strong
    fixed-charge formulation). ``it``: the first truck variable."""
    G = len(groups)
    k = np.flatnonzero(group_of >= 0)
    g = group_of[k]
    rows.add(g, k, a["volume"].to_numpy()[k])
    rows.add(np.arange(G), it + np.arange(G), -groups["truck_capacity_m3"].to_numpy(float))
    rows.close(np.full(G, -np.inf), np.zeros(G))
    kg = groups["truck_capacity_kg"].to_numpy(float)
    heavy = np.flatnonzero(kg > 0)
    if len(heavy):
        pos = np.full(G, -1)
        pos[heavy] = np.arange(len(heavy))
        kk = k[pos[g] >= 0]
        rows.add(pos[group_of[kk]], kk, a["weight"].to_numpy()[kk])
        rows.add(np.arange(len(heavy)), it + heavy, -kg[heavy])
        rows.close(np.full(len(heavy), -np.inf), np.zeros(len(heavy)))
    n_k = len(k)
    rows.add(np.arange(n_k), k, np.ones(n_k))
    rows.add(np.arange(n_k), it + g, -most[k])
    rows.close(np.full(n_k, -np.inf), np.zeros(n_k))


def _report(model: DistributionModel, f: np.ndarray, trucks: np.ndarray, status: str, gap: float) -> DistributionPlan:
    """The solution as frames: flows per arc used, shipments per lane and period, delivery per requirement,
    totals."""
    flows = _flows(model, f, trucks)
    shipments = _shipments(flows, model, trucks)
    out, lt = _deliveries(flows, model.requirements)
    total_units = float(f.sum())
    co2 = float(flows["co2_kg"].sum())
    on_truck = shipments["trucks"].fillna(0) > 0
    n_trucks = float(shipments["trucks"].sum())
    late = flows["late_days"] > 0
    totals = {
        "units_shipped": total_units,
        "units_required": float(out["quantity"].sum()),
        "units_short": float(out["short"].sum()),
        "transport_cost": float(shipments["transport_cost"].sum()),
        "co2_kg": co2,
        "co2_kg_per_unit": co2 / total_units if total_units else float("nan"),
        "on_time_units": float(out["on_time_units"].sum()),
        "avg_lead_time_days": float(lt.sum() / total_units) if total_units else float("nan"),
        "trucks": n_trucks,
        "truck_fill": float((shipments.loc[on_truck, "fill"] * shipments.loc[on_truck, "trucks"]).sum() / n_trucks)
        if n_trucks
        else float("nan"),
        "late_units": float(flows.loc[late, "quantity"].sum()),
        "late_unit_days": float((flows["quantity"] * flows["late_days"]).sum()),
    }
    flows = flows[
        ["origin", "destination", "sku", "mode", "priority", "quantity", "volume_m3", "weight_kg", "transit_days",
         "ship_date", "arrival", "due_date", "late_days", "on_time", "transport_cost", "co2_kg"]
    ].reset_index(drop=True)  # fmt: skip
    return DistributionPlan(flows, shipments, out, totals, status, gap)


def _flows(model: DistributionModel, f: np.ndarray, trucks: np.ndarray) -> pd.DataFrame:
    """The arcs with flow: units, m3, kg, cost per unit x units, kg CO2e (a truck's empty-running part shared
    by weight, else by units, over its group's flows), ship date (the group's truck leaves on the earliest
    ship date of its load), arrival, days late, mode, on time."""
    a, lanes = model.arcs, model.lanes
    flows = a.assign(quantity=f, volume_m3=f * a["volume"].to_numpy(), weight_kg=f * a["weight"].to_numpy(),
                     transport_cost=f * model.unit_cost, co2_kg=f * model.co2, group=model.group_of)  # fmt: skip
    flows = flows.loc[flows["quantity"] > 0].copy()
    flows["ship_date"] = flows.groupby(["lane", "period"])["ship_date"].transform("min")
    transit = pd.to_timedelta(flows["transit_days"].astype(float).fillna(0.0), unit="D")
    flows["arrival"] = flows["ship_date"] + transit
    late = (flows["arrival"].dt.ceil("D") - pd.to_datetime(flows["due_date"])).dt.days
    flows["late_days"] = late.clip(lower=0).fillna(0).astype(float)
    on = flows["group"] >= 0
    if on.any():  # empty running: trucks x km x empty, shared within the group
        g = flows.loc[on, "group"].to_numpy(int)
        empty = trucks[g] * model.truck_co2[g]
        basis = flows.loc[on, "weight_kg"].where(flows.loc[on, "weight_kg"].groupby(g).transform("sum") > 0,
                                                 flows.loc[on, "quantity"])  # fmt: skip
        flows.loc[on, "co2_kg"] += empty * basis / basis.groupby(g).transform("sum")
    flows["mode"] = flows["lane"].map(lanes["mode"])
    flows["priority"] = flows["req"].map(model.requirements["priority"])
    flows["on_time"] = flows["late_days"] <= 0
    return flows


def _shipments(flows: pd.DataFrame, model: DistributionModel, trucks: np.ndarray) -> pd.DataFrame:
    """Per lane and dispatch period used: ship date, arrival, SKUs, units, m3, kg, trucks and their fill (the
    larger of volume and weight fill), transport cost (per unit + per truck), kg CO2e."""
    lanes = model.lanes
    ship = flows.groupby(["lane", "period"]).agg(
        ship_date=("ship_date", "min"), arrival=("arrival", "min"), units=("quantity", "sum"),
        volume_m3=("volume_m3", "sum"), weight_kg=("weight_kg", "sum"), unit_cost=("transport_cost", "sum"),
        co2_kg=("co2_kg", "sum"), skus=("sku", "nunique"), group=("group", "first"),
    ).reset_index()  # fmt: skip
    g = ship["group"].to_numpy(int)
    ship["trucks"] = np.where(g >= 0, trucks[np.maximum(g, 0)] if len(trucks) else 0.0, np.nan)
    li = ship["lane"].to_numpy(int)
    ship["truck_capacity_m3"] = np.where(g >= 0, lanes["truck_capacity_m3"].astype(float).to_numpy()[li], np.nan)
    kg = lanes["truck_capacity_kg"].astype(float).to_numpy()[li]
    ship["truck_capacity_kg"] = np.where(g >= 0, kg, np.nan)
    vol_fill = ship["volume_m3"] / (ship["trucks"] * ship["truck_capacity_m3"]).where(ship["trucks"] > 0)
    kg_fill = ship["weight_kg"] / (ship["trucks"] * ship["truck_capacity_kg"]).where(ship["trucks"] > 0)
    ship["fill"] = np.fmax(vol_fill, kg_fill)
    cost_per_truck = lanes["cost_per_truck"].astype(float).to_numpy()[li]
    ship["truck_cost"] = np.nan_to_num(ship["trucks"] * cost_per_truck)
    ship["transport_cost"] = ship["unit_cost"] + ship["truck_cost"]
    for col in ("origin", "destination", "mode", "distance_km", "transit_days"):
        ship[col] = lanes[col].to_numpy()[li]
    return ship[
        ["origin", "destination", "mode", "distance_km", "transit_days", "ship_date", "arrival", "skus", "units",
         "volume_m3", "weight_kg", "trucks", "truck_capacity_m3", "truck_capacity_kg", "fill", "transport_cost",
         "co2_kg"]
    ]  # fmt: skip


def _deliveries(flows, reqs) -> tuple[pd.DataFrame, pd.Series]:
    """Per requirement: delivered, short, fill rate, units on time, days late (the latest unit), mean lead
    time; and unit-days per requirement."""
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
    out["ship_date"] = flows.groupby("req")["ship_date"].min().reindex(n).to_numpy()
    out["late_days"] = flows.groupby("req")["late_days"].max().reindex(n).fillna(0.0).to_numpy()
    out["lead_time_days"] = (lt.reindex(n) / pd.Series(delivered).where(delivered > 0)).to_numpy()
    return out, lt
