"""The network orchestrator: after the reorder plan, score suppliers, allocate each SKU's horizon requirement
over its offers, plan distribution to the Requirements, compare with the cost-only plan and a few carbon
prices, and project warehouse occupancy. No I/O; frames in, frames out.

Quantities (per SKU x site row of the reorder plan, d units/day, horizon H days = horizon_periods x days
per period): requirement to buy = max(suggested_order, d x H + safety_stock - inventory_position, 0),
summed over the SKU's sites (the MRP net requirement over the horizon, at least what is ordered now).
Stock that may leave a plant or DC for distribution: floor(max(on_hand - safety_stock - d x L, 0)), the site's
own demand until its next replenishment (an order placed now arrives after its lead time L) kept back.

The synchronised plan (Sites.source links, planner.pipeline.echelons): the supplier allocation is sized from the
top echelon (rows without a source, whose gross requirement holds their children's planned releases): per SKU,
the sum over those rows of max(suggested_order, the horizon's planned releases) (``top_requirement``). The
distribution plans the netting's planned transfers, each from its own origin, leaving on its ship date; the
Requirements rows of a SKU-site the netting plans are superseded by them (that demand is in the store's forecast,
netted: the destination has a source and a Stock row of the sku), the others stay as extra demand from any
origin with a lane, from the stock the transfers leave (the transfers rank above every Requirements priority).
Stock that may leave an origin is then the netting's: its planned releases over the horizon + max(projected on
hand at the horizon's end - safety stock, 0)
(the netting already keeps the origin's own demand and safety stock, so d x L is not kept back a second time).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.backhaul import plan_backhaul
from planner.core.emissions import MODE_CO2_KG_PER_TKM, transport_co2_kg
from planner.core.optimize.allocation import AllocationModel, spend_hhi
from planner.core.optimize.distribution import DistributionModel, DistributionPlan, transfers_as_requirements
from planner.core.scorecard import score_offers, supplier_summary
from planner.model.inputs import Inputs
from planner.model.issues import Reason
from planner.model.results import KpiRow, NetworkResult, PricedPlan

# where a binding allocation constraint is set: (contract sheet, column)
BINDING = {
    "offers": ("Offers", "sku"),
    "offer capacity": ("Offers", "capacity_units"),
    "offer lots": ("Offers", "moq"),
    "penalty": ("Settings", "shortage_penalty_per_unit"),
    "heuristic": ("Settings", "allocation_exact_time_limit_s"),
    "supplier capacity": ("Suppliers", "capacity_units"),
    "max supplier share": ("Settings", "max_supplier_share"),
    "min suppliers": ("Settings", "min_suppliers"),
}


def horizon_requirement(rows: pd.DataFrame, horizon_days: float) -> pd.Series:
    """Units to buy per SKU over the horizon (see the module docstring)."""
    net = rows["demand_per_day"] * horizon_days + rows["safety_stock"] - rows["inventory_position"]
    need = np.maximum(np.ceil(net.fillna(0.0) - 1e-9), rows["suggested_order"].fillna(0.0)).clip(lower=0.0)
    return need.groupby(rows["sku"]).sum()


def top_requirement(rows: pd.DataFrame) -> pd.Series:
    """Units to buy per SKU with the synchronised plan: over rows without a source (``releases``: the netting's
    planned releases over the horizon), max(suggested_order, releases), summed per SKU."""
    top = rows.loc[rows["_bought"]]
    need = np.maximum(top["planned_releases"].fillna(0.0), top["suggested_order"].fillna(0.0)).clip(lower=0.0)
    return np.ceil(need - 1e-9).groupby(top["sku"]).sum()


def inbound_co2(scored: pd.DataFrame, suppliers: pd.DataFrame, items: pd.DataFrame) -> np.ndarray:
    """kg CO2e per unit of the inbound leg of each offer, where its supplier gives a distance_km: unit_weight_kg
    / 1000 x distance_km x the road factor (tonne-km method, planner.core.emissions); 0 without a distance."""
    if not len(suppliers) or "distance_km" not in suppliers:
        return np.zeros(len(scored))
    km = scored["supplier"].map(suppliers.set_index("supplier")["distance_km"]).astype(float).fillna(0.0)
    kg = scored["sku"].map(items.set_index("sku")["unit_weight_kg"]).astype(float).fillna(0.0)
    return transport_co2_kg(kg.to_numpy(), km.to_numpy(), MODE_CO2_KG_PER_TKM["road"])


def sku_class(rows: pd.DataFrame) -> pd.Series:
    """Each SKU's ABC class for diversification: the best class among its sites (A before B before C).
    A single supplier's failure stops the SKU at every site at once, so a SKU that is class A anywhere
    carries class-A risk; the best class is also never less diversified than any of its site rows (the
    class of the first site row left SKUs that are A at two sites single-sourced)."""
    cls = rows["abc"].astype(object).where(rows["abc"].isin(["A", "B", "C"]))
    return cls.groupby(rows["sku"]).min().dropna()


def distribution_supply(rows: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Units each plant or DC may ship: floor(on_hand - safety_stock - demand_per_day x lead_time_days) where
    positive (the origin keeps its own demand until its next replenishment can arrive). Sites typed 'store'
    on the Sites sheet do not ship; a site without a type does."""
    kind = rows["site"].map(sites.set_index("site")["type"]) if len(sites) else pd.Series(np.nan, index=rows.index)
    ships = (kind != "store").to_numpy()
    own = (rows["demand_per_day"].fillna(0.0) * rows["lead_time_days"].fillna(0.0)).to_numpy(float)
    keep = rows["safety_stock"].fillna(0).to_numpy(float) + own
    avail = np.floor(np.maximum(rows["on_hand"].to_numpy(float) - keep, 0.0) + 1e-9)
    if "releasable" in rows:  # the synchronised plan: the netting's stock (module docstring)
        avail = np.floor(rows["releasable"].fillna(0.0).to_numpy(float) + 1e-9)
    return pd.DataFrame({"site": rows["site"], "sku": rows["sku"], "available": np.where(ships, avail, 0.0)})


def plan_network(
    inputs: Inputs, rows: pd.DataFrame, transfers: pd.DataFrame | None = None, returns: pd.DataFrame | None = None
) -> NetworkResult:
    """``inputs``: validated Inputs (Offers, Suppliers, Sites, Requirements, Lanes, Items; its issue log
    gets the network's problems); ``rows``: the reorder plan per SKU x site with its internal columns.
    Every model is solved at each carbon price of the trade-off; the plan is the one at the price in force.
    ``transfers``/``returns``: the synchronised plan's (see ``allocate`` and ``distribute`` to run apart)."""
    net, alloc_at = allocate(inputs, rows)
    return distribute(inputs, rows, net, alloc_at, transfers, returns)


def allocate(inputs: Inputs, rows: pd.DataFrame) -> tuple[NetworkResult, dict]:
    """The supplier scores and allocation (per carbon price), the first half of ``plan_network``."""
    out = NetworkResult()
    return out, _allocations(inputs, rows, out, inputs.settings.tradeoff_prices)


def distribute(
    inputs: Inputs,
    rows: pd.DataFrame,
    out: NetworkResult,
    alloc_at: dict,
    transfers: pd.DataFrame | None = None,
    returns: pd.DataFrame | None = None,
) -> NetworkResult:
    """The distribution (the planned ``transfers`` where given, module docstring), the backhaul of ``returns``
    (sku, site, date, quantity; default: the Returns sheet) and the trade-off, the second half of
    ``plan_network``."""
    st = inputs.settings
    prices = st.tradeoff_prices
    dist_at = _distributions(inputs, rows, out, prices, transfers)
    out.backhaul = _backhaul(inputs, out, returns)
    if alloc_at or dist_at:
        out.by_price = {p: PricedPlan(alloc_at.get(p), dist_at.get(p)) for p in prices}
        out.carbon = _tradeoff(prices, alloc_at, dist_at, inputs.settings.distribution().co2_cap_kg)
        out.comparison = _comparison(out.carbon, st.carbon_price_per_t)
    return out


def _allocations(inputs: Inputs, rows: pd.DataFrame, out: NetworkResult, prices: list[float]) -> dict:
    """Supplier scores and the allocation of each SKU's horizon requirement, per carbon price."""
    st, offers, suppliers = inputs.settings, inputs["Offers"], inputs["Suppliers"]
    if not len(offers):
        return {}
    out.scorecard = score_offers(offers, suppliers, st.weights)
    out.scorecard["inbound_co2_kg_per_unit"] = inbound_co2(out.scorecard, suppliers, inputs["Items"])
    out.supplier_summary = supplier_summary(out.scorecard)
    req = top_requirement(rows) if "_bought" in rows else horizon_requirement(rows, st.horizon_days)
    abc = sku_class(rows)
    cap = suppliers.set_index("supplier")["capacity_units"] if len(suppliers) else pd.Series(dtype=float)
    cfg = st.allocation()
    model = AllocationModel.build(out.scorecard, req, abc, cap, cfg)  # built once, solved per carbon price
    # Exact at the price in force and at 0 (the cost-only comparison); the curve's other prices by the heuristic
    compared = {cfg.carbon_price_per_t, 0.0}
    alloc_at = {p: model.solve(carbon_price_per_t=p, exact=p in compared) for p in prices}
    out.allocation = alloc_at[cfg.carbon_price_per_t]
    for sku, constraint, message in out.allocation.problems:
        sheet, column = BINDING[constraint]
        inputs.issues.add(Reason.ALLOCATION_BINDS, inputs.sheet_names[sheet], [None], column, sku,
                          f"supplier allocation, {sku}: {message}")  # fmt: skip
    return alloc_at


def demand_to_ship(inputs: Inputs, transfers: pd.DataFrame | None) -> pd.DataFrame:
    """What the distribution plans: the planned transfers (each from its origin, on its ship date) and the
    Requirements rows not netted (no Stock row of the sku at a destination with a Sites.source); the
    Requirements alone without transfers."""
    reqs, sites, stock = inputs["Requirements"], inputs["Sites"], inputs["Stock"]
    if transfers is None or not len(transfers):
        return reqs
    linked = set(sites.loc[sites["source"].notna(), "site"]) if len(sites) else set()
    netted = set(zip(stock["site"], stock["sku"], strict=True)) & {(s, k) for s in linked for k in stock["sku"]}
    extra = reqs.loc[[key not in netted for key in zip(reqs["destination"], reqs["sku"], strict=True)]]
    ship = pd.to_datetime(transfers["ship_date"]).to_numpy()
    first = 1.0 + max(float(extra["priority"].fillna(0.0).max()), 0.0) if len(extra) else 0.0
    planned = transfers_as_requirements(transfers.assign(_row=None)).assign(ship_date=ship, priority=first)
    return pd.concat([planned, extra], ignore_index=True)


def _distributions(inputs: Inputs, rows: pd.DataFrame, out: NetworkResult, prices: list[float],
                   transfers: pd.DataFrame | None = None) -> dict:  # fmt: skip
    """The distribution plan of the transfers and Requirements (``demand_to_ship``) over the Lanes, per price."""
    reqs, lanes, names = demand_to_ship(inputs, transfers), inputs["Lanes"], inputs.sheet_names
    if not len(reqs):
        return {}
    if not len(lanes):
        if len(inputs["Vehicles"]):  # delivered by the rounds instead
            return {}
        inputs.issues.add(Reason.NO_USABLE_LANES, names["Requirements"], [None], "destination", None,
                          "Requirements given but no usable Lanes rows: no distribution plan")  # fmt: skip
        return {}
    items = inputs["Items"].set_index("sku")
    supply = distribution_supply(rows, inputs["Sites"])
    cfg = inputs.settings.distribution()
    model = DistributionModel.build(supply, reqs, lanes, items, cfg)  # built once, solved per carbon price
    dist_at = {p: model.solve(carbon_price_per_t=p) for p in prices}
    out.distribution = dist_at[cfg.carbon_price_per_t]
    _report_unmet(out.distribution, inputs.issues, names["Requirements"])
    return dist_at


def _backhaul(inputs: Inputs, out: NetworkResult, returns: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Returns (sku, site, date, quantity: the returns to collect within the horizon, default the Returns sheet's
    restock and refurbish rows) carried back on the outbound trucks of the plan (planner.core.backhaul); None
    without returns or a distribution plan."""
    if returns is None:
        returns = inputs["Returns"]
        if "disposition" in returns:
            returns = returns.loc[returns["disposition"].isin(["restock", "refurbish"])]
    if returns is None or out.distribution is None or not len(returns):
        return None
    cfg = inputs.settings.distribution()
    return plan_backhaul(returns, out.distribution.shipments, inputs["Lanes"], inputs["Items"].set_index("sku"),
                         cfg.planning_date, cfg.dispatch_days, inputs.settings.returns_max_wait_days)  # fmt: skip


def _comparison(carbon: pd.DataFrame, now: float) -> dict[str, float]:
    """The plan at the carbon price in force against the cost-only plan (price 0)."""
    plan_row = carbon.loc[carbon["carbon_price_per_t"] == now].iloc[0]
    base = carbon.loc[carbon["carbon_price_per_t"] == 0.0].iloc[0]
    return {
        "carbon_price_per_t": now,
        "co2_kg": float(plan_row["co2_total_kg"]),
        "co2_kg_cost_only": float(base["co2_total_kg"]),
        "co2_reduction": _ratio(base["co2_total_kg"] - plan_row["co2_total_kg"], base["co2_total_kg"]),
        "extra_cost": float(plan_row["total_cost"] - base["total_cost"]),
        "co2_per_unit_bought_kg": float(plan_row["co2_per_unit_bought_kg"]),
        "co2_per_unit_shipped_kg": float(plan_row["co2_per_unit_shipped_kg"]),
    }


def summary(net: NetworkResult) -> str:
    """The network in one or two sentences ('' when there was nothing to optimise)."""
    parts = []
    if net.allocation is not None:
        a = net.allocation
        parts.append(f"Allocation: {int((a.lines['quantity'] > 0).sum())} offer lines, "
                     f"{a.skus['shortfall'].sum():,.0f} units short, gap {a.gap:.2%}.")  # fmt: skip
    if net.distribution is not None:
        t = net.distribution.totals
        parts.append(f"Distribution: {t['units_shipped']:,.0f} of {t['units_required']:,.0f} units delivered, "
                     f"{t['co2_kg']:,.0f} kg CO2e.")  # fmt: skip
    return " ".join(parts)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def _tradeoff(prices, alloc_at, dist_at, cap: float | None = None) -> pd.DataFrame:
    """One row per carbon price: what is bought and shipped, its cost without the carbon charge (total_cost
    = purchase + transport; risk_cost and penalty_cost, the objectives' other terms, beside it), its CO2 and
    its service (units short, units late), its trucks and their fill, and the transport CO2 cap in force
    (transport_co2_cap_kg: every plan of the curve keeps under it). A greener plan can be cheaper in
    total_cost only by serving worse, which penalty_cost, units_short and late_units then show."""
    rows = []
    for p in prices:
        a, d = alloc_at.get(p), dist_at.get(p)
        purchase = float(a.lines["purchase_value"].sum()) if a else 0.0
        co2_supply = float(a.lines["co2_kg"].sum()) if a else 0.0
        units_bought = float(a.lines["quantity"].sum()) if a else 0.0
        transport = d.totals["transport_cost"] if d else 0.0
        risk = float(a.lines["risk_cost"].sum()) if a else 0.0
        # service penalties (shortage, lateness, shares, fair floor) as the objectives price them
        penalty = (a.objective - purchase - risk - float(a.lines["carbon_cost"].sum()) if a else 0.0) + (
            d.totals["penalty_cost"] if d else 0.0
        )
        co2_transport = d.totals["co2_kg"] if d else 0.0
        units_shipped = d.totals["units_shipped"] if d else 0.0
        rows.append({
            "carbon_price_per_t": p,
            "co2_total_kg": co2_supply + co2_transport,
            "total_cost": purchase + transport,
            "purchase_cost": purchase,
            "transport_cost": transport,
            "risk_cost": risk,
            "penalty_cost": penalty,
            "co2_supply_kg": co2_supply,
            "co2_transport_kg": co2_transport,
            "co2_per_unit_bought_kg": _ratio(co2_supply, units_bought),
            "co2_per_unit_shipped_kg": _ratio(co2_transport, units_shipped),
            "units_short": (float(a.skus["shortfall"].sum()) if a else 0.0) + (d.totals["units_short"] if d else 0.0),
            "late_units": d.totals["late_units"] if d else 0.0,
            "trucks": d.totals["trucks"] if d else 0.0,
            "truck_fill": d.totals["truck_fill"] if d else float("nan"),
            "transport_co2_cap_kg": cap if cap is not None else float("nan"),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _report_unmet(plan: DistributionPlan, log, sheet: str) -> None:
    """Each requirement not fully delivered (with the cause the plan found; a planned transfer names itself, on
    the Projected Inventory), and each delivered late, into Issues."""
    r = plan.requirements
    what = (r["sku"] + " planned transfer " + r["origin"].astype(str) + " -> " + r["destination"]).where(
        r["origin"].notna(), "") if "origin" in r else pd.Series("", index=r.index)  # fmt: skip
    for i, row in r.loc[r["short"] > 1e-6].iterrows():
        where = "Projected Inventory" if what[i] else sheet  # a planned transfer comes from the netting's grid
        value = f"{row['quantity']:,.1f}" if what[i] else row["quantity"]  # a transfer's quantity, as text
        log.add(Reason.UNDELIVERABLE, where, row["_row"], "quantity", value,
                f"{what[i]}{': ' if what[i] else ''}{row['short']:,.0f} of {row['quantity']:,.0f} units cannot be "
                f"delivered: {row['cause']}")  # fmt: skip
    late = r["delivered"] - r["on_time_units"] > 1e-6
    for _, row in r.loc[late].iterrows():
        log.add(Reason.LATE_DELIVERY, sheet, row["_row"], "due_date", f"{row['due_date']:%Y-%m-%d}",
                f"{row['delivered'] - row['on_time_units']:,.0f} units arrive up to {row['late_days']:,.0f} days "
                "after the due date (no faster lane with stock)")  # fmt: skip


def _backhaul_kpis(net: NetworkResult) -> list[tuple[str, float, str, bool, str]]:
    """KPI rows of the backhaul of returns (none without returns)."""
    rows: list[tuple[str, float, str, bool, str]] = []
    if net.backhaul is not None and len(net.backhaul):
        b = net.backhaul
        rows += [
            ("backhaul_share", _ratio(b["backhaul_units"].sum(), b["units"].sum()), "percent", True,
             "returned units carried back on outbound trucks / units returned"),
            ("backhaul_co2_saved_kg", float(b["co2_saved_kg"].sum()), "kg", True,
             "CO2 of all-dedicated return trips - CO2 of the returns plan"),
        ]  # fmt: skip
    return rows


def network_kpis(net: NetworkResult) -> list[KpiRow]:
    """KPI rows of the network decisions."""
    rows: list[tuple[str, float, str, bool, str]] = []
    if net.allocation is not None:
        lines = net.allocation.lines
        spend = lines["purchase_value"]
        on_time = lines["on_time_rate"]
        ok = on_time.notna() & (spend > 0)
        rows += [
            ("spend_hhi", spend_hhi(lines), "ratio", False,
             "spend concentration: sum over suppliers of (spend share)^2; 1 = a single supplier"),
            ("supplier_on_time_rate", _ratio((on_time[ok] * spend[ok]).sum(), spend[ok].sum()), "percent", True,
             "on-time rate of the allocated suppliers, weighted by spend"),
        ]  # fmt: skip
    if net.distribution is not None:
        t = net.distribution.totals
        rows += [
            ("requirement_fill_rate", _ratio(t["units_shipped"], t["units_required"]), "percent", True,
             "units delivered / units required (Requirements)"),
            ("on_time_share", _ratio(t["on_time_units"], t["units_shipped"]), "percent", True,
             "share of delivered units arriving by their due date"),
            ("avg_delivery_lead_time", t["avg_lead_time_days"], "days", False,
             "transit days, weighted by units shipped"),
            ("truck_fill", t["truck_fill"], "percent", True,
             "loaded share of the trucks' capacity (the larger of m3 and kg), trucks per lane and dispatch period"),
        ]  # fmt: skip
    rows += _backhaul_kpis(net)
    if net.comparison is not None:
        c = net.comparison
        rows += [
            ("co2_total_kg", c["co2_kg"], "kg", False,
             "supply (co2_kg_per_unit) + transport (vehicle-km on truck lanes, t-km elsewhere)"),
            ("co2_reduction_vs_cost_only", c["co2_reduction"], "percent", True,
             "CO2 saved against the same plan with carbon_price_per_t = 0"),
            ("co2_reduction_extra_cost", c["extra_cost"], "money", False,
             "purchase + transport cost above the cost-only plan"),
        ]  # fmt: skip
        rows += [
            ("co2_per_unit_bought_kg", c["co2_per_unit_bought_kg"], "kg", False, "supply CO2 / units bought"),
            ("co2_per_unit_shipped_kg", c["co2_per_unit_shipped_kg"], "kg", False, "transport CO2 / units shipped"),
            (
                "co2_per_unit_delivered_kg",
                np.nansum([c["co2_per_unit_bought_kg"], c["co2_per_unit_shipped_kg"]]),
                "kg",
                False,
                "supplier to destination: supply CO2 per unit bought + transport CO2 per unit delivered",
            ),
        ]
    return [KpiRow(*row) for row in rows]
