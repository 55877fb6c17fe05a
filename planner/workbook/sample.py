"""A realistic, seeded sample data set (pure: returns frames, writes nothing).

About 200 SKUs x 3 sites with two years of weekly history mixing smooth, trending, seasonal, erratic and
intermittent demand, suppliers with offers, sites with capacities, 12 stores with requirements, lanes by
road (per unit or per truck), rail and air, and Settings. The same seed always gives
the same workbook.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PLANNING_DATE = pd.Timestamp("2026-11-02")
SITES = ("DC-North", "DC-South", "Plant-Lyon")
PATTERNS = ("smooth", "trending", "seasonal", "erratic", "intermittent")
FAMILIES = ("Bearing", "Valve", "Filter", "Gasket", "Sensor", "Pump", "Cable", "Switch", "Motor", "Seal")


def sample_frames(n_skus: int = 200, weeks: int = 104, seed: int = 7, sites=SITES) -> dict[str, pd.DataFrame]:
    """Input sheets as frames, keyed by contract sheet name."""
    rng = np.random.default_rng(seed)
    skus = [f"SKU-{i:04d}" for i in range(1, n_skus + 1)]
    pattern = rng.choice(PATTERNS, n_skus, p=[0.35, 0.15, 0.2, 0.15, 0.15])
    unit_cost = np.round(np.exp(rng.normal(3.0, 1.0, n_skus)), 2)
    policy = np.where(rng.random(n_skus) < 0.7, "sQ", "RS")
    items = pd.DataFrame(
        {
            "sku": skus,
            "description": [f"{rng.choice(FAMILIES)} {p} #{i}" for i, p in enumerate(pattern, 1)],
            "unit_cost": unit_cost,
            "holding_rate": np.where(rng.random(n_skus) < 0.2, 0.3, np.nan),
            "order_cost": np.where(rng.random(n_skus) < 0.3, 80.0, np.nan),
            "service_level": np.where(unit_cost < 20, 0.98, np.where(unit_cost > 60, 0.9, np.nan)),
            "service_type": np.where(rng.random(n_skus) < 0.3, "fill", "cycle"),
            "policy": policy,
            "review_days": np.where(policy == "RS", rng.choice([7, 14], n_skus), np.nan),
            "moq": rng.choice([0, 0, 10, 25, 50], n_skus).astype(float),
            "order_multiple": rng.choice([1, 1, 6, 12, 24], n_skus).astype(float),
            "lead_time_days": rng.choice([7, 10, 14, 21, 28], n_skus).astype(float),
            "lead_time_sd_days": np.round(rng.uniform(0, 4, n_skus), 1),
            "unit_volume_m3": np.round(rng.uniform(0.0005, 0.05, n_skus), 4),
            "unit_weight_kg": np.round(rng.uniform(0.1, 20, n_skus), 2),
        }
    )
    dates = [PLANNING_DATE - pd.Timedelta(days=7 * k) for k in range(weeks, 0, -1)]
    t = np.arange(weeks)
    demand_parts, stock_rows = [], []
    for i, sku in enumerate(skus):
        for j, site in enumerate(sites):
            level = rng.gamma(2.0, 20.0) * (1.0 if j < 2 else 0.5)
            y = _pattern(rng, pattern[i], level, t)
            keep = y > 0
            demand_parts.append(pd.DataFrame({"sku": sku, "site": site, "date": np.array(dates)[keep],
                                              "quantity": y[keep]}))  # fmt: skip
            weekly = max(y[-13:].mean(), 0.1)
            stock_rows.append(
                {
                    "sku": sku,
                    "site": site,
                    "on_hand": float(np.round(weekly * rng.uniform(0, 8))),
                    "on_order": float(np.round(weekly * rng.choice([0, 0, 2, 4]))),
                    "backorders": float(np.round(weekly * rng.choice([0, 0, 0, 0.5]))),
                    "forecast_per_day": np.nan,
                    "forecast_sd_per_day": np.nan,
                }
            )
    stock = pd.DataFrame(stock_rows)
    given = rng.choice(len(stock), 5, replace=False)  # a few planner overrides
    stock.loc[given, "forecast_per_day"] = np.round(rng.uniform(1, 10, 5), 1)
    stock.loc[given, "forecast_sd_per_day"] = np.round(stock.loc[given, "forecast_per_day"] * 0.4, 2)
    suppliers, offers = _suppliers(rng, skus, unit_cost)
    sites_df = pd.DataFrame(
        {"site": list(sites), "type": ["dc", "dc", "plant"][: len(sites)], "capacity_m3": [900.0, 700.0, 1500.0]}
    )
    net = _network(np.random.default_rng(seed + 1000), items, stock, list(sites_df["site"]))
    sites_df = pd.concat([sites_df, net["Sites"]], ignore_index=True)
    chain = _three_echelons(np.random.default_rng(seed + 2000), items, sites_df, suppliers, dates)
    stock = pd.concat([stock, chain["Stock"]], ignore_index=True)
    demand_parts.append(chain["Demand"])
    sites_df, vehicles = _rounds(sites_df)
    settings = pd.DataFrame(
        [
            ("planning_date", PLANNING_DATE.date()),
            ("period", "week"),
            ("horizon_periods", 12),
            ("currency", "EUR"),
            ("holding_rate", 0.25),
            ("order_cost", 50),
            ("service_level", 0.95),
            ("forecast_method", "auto"),
            ("carbon_price_per_t", 100),
            ("rounds_seconds_per_stop", 0.05),  # a cap only (at least 1 s a depot-day): a few stores each, done in ms
        ],
        columns=["setting", "value"],
    )
    return {
        "Items": items,
        "Stock": stock,
        "Demand": pd.concat(demand_parts, ignore_index=True),
        "Suppliers": suppliers,
        "Offers": offers,
        "Sites": sites_df,
        "Requirements": net["Requirements"],
        "Lanes": net["Lanes"],
        "Open Orders": chain["Open Orders"],
        "Returns": chain["Returns"],
        "Vehicles": vehicles,
        "Settings": settings,
    }


def _pattern(rng: np.random.Generator, kind: str, level: float, t: np.ndarray) -> np.ndarray:
    """Weekly demand of one pattern, whole units >= 0."""
    n = len(t)
    if kind == "smooth":
        y = level + rng.normal(0, 0.15 * level, n)
    elif kind == "trending":
        y = level * (0.6 + 0.8 * t / n) + rng.normal(0, 0.12 * level, n)
    elif kind == "seasonal":
        y = level * (1 + 0.5 * np.sin(2 * np.pi * (t + rng.integers(52)) / 52)) + rng.normal(0, 0.1 * level, n)
    elif kind == "erratic":
        y = rng.gamma(0.8, level / 0.8, n)
    else:  # intermittent: demand in about one week out of three
        y = np.where(rng.random(n) < 0.3, rng.gamma(2.0, level / 4 + 1, n), 0.0)
    return np.maximum(np.round(y), 0.0)


def _suppliers(rng, skus, unit_cost) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = ["Acme Industrial", "Borealis Parts", "Castilla Supply", "Danube Components", "Eastwind Trading",
             "Fjord Metals", "Gallia Fluid", "Hanse Logistics"]  # fmt: skip
    countries = ["DE", "SE", "ES", "AT", "CN", "NO", "FR", "DE"]
    suppliers = pd.DataFrame(
        {
            "supplier": names,
            "lead_time_days": rng.choice([7, 10, 14, 21, 35], len(names)).astype(float),
            "lead_time_sd_days": np.round(rng.uniform(0.5, 5, len(names)), 1),
            "on_time_rate": np.round(rng.uniform(0.8, 0.99, len(names)), 3),
            "defect_rate": np.round(rng.uniform(0.001, 0.03, len(names)), 4),
            "capacity_units": rng.choice([50_000, 100_000, 250_000], len(names)).astype(float),
            "country": countries,
            "distance_km": [650, 1500, 1300, 1100, 9000, 2000, 400, 700],
            "co2_kg_per_unit": np.round(rng.uniform(0.05, 1.5, len(names)), 3),
        }
    )
    rows = []
    for sku, cost in zip(skus, unit_cost, strict=True):
        for s in rng.choice(len(names), rng.integers(1, 4), replace=False):
            rows.append(
                {
                    "supplier": names[s],
                    "sku": sku,
                    "unit_price": float(np.round(cost * rng.uniform(0.85, 1.15), 2)),
                    "moq": float(rng.choice([0, 20, 50, 100])),
                    "order_multiple": float(rng.choice([1, 6, 12])),
                    "lead_time_days": float(rng.choice([7, 14, 21])) if rng.random() < 0.5 else np.nan,
                    "capacity_units": float(rng.choice([5_000, 20_000])),
                }
            )
    return suppliers, pd.DataFrame(rows)


STORES = ("Paris", "Lille", "Nantes", "Bordeaux", "Toulouse", "Marseille", "Nice", "Strasbourg", "Dijon", "Rennes",
          "Grenoble", "Montpellier")  # fmt: skip


def _network(rng: np.random.Generator, items: pd.DataFrame, stock: pd.DataFrame, sites: list[str]) -> dict:
    """Stores and their requirements for the coming days, the DCs' replenishment from the plant, and the
    lanes that serve them (drawn from a separate random stream, so the rest of the sample does not change)."""
    stores = [f"Store-{c}" for c in STORES]
    new_sites = pd.DataFrame(
        {"site": stores, "type": "store", "capacity_m3": rng.choice([30.0, 45.0, 60.0], len(stores))}
    )
    weekly = stock.groupby("sku")["on_hand"].mean() / 4  # about a week of demand
    req = []
    for store in stores:
        for sku in rng.choice(items["sku"].to_numpy(), min(25, len(items)), replace=False):
            req.append({
                "destination": store,
                "sku": sku,
                "quantity": float(max(1, np.round(weekly[sku] * rng.uniform(0.2, 0.6)))),
                "due_date": (PLANNING_DATE + pd.Timedelta(days=int(rng.integers(2, 8)))).date(),
                "priority": float(rng.choice([1, 1, 2, 3])),
            })  # fmt: skip
    dcs, plant = sites[:2], sites[2]
    for dc in dcs:  # DC replenishment from the plant: the DCs' lowest-cover SKUs, about two weeks' worth
        cover = stock[stock["site"] == dc].assign(
            days=lambda s: s["on_hand"] / (weekly[s["sku"]].to_numpy() / 7 + 1e-9)
        )
        for sku in cover.nsmallest(min(15, len(cover)), "days")["sku"]:
            req.append({
                "destination": dc,
                "sku": sku,
                "quantity": float(max(1, np.round(2 * weekly[sku]))),
                "due_date": (PLANNING_DATE + pd.Timedelta(days=int(rng.integers(3, 8)))).date(),
                "priority": 2.0,
            })  # fmt: skip
    lanes = [
        {"origin": plant, "destination": dc, "distance_km": km, "mode": "rail", "transit_days": 2.0,
         "cost_per_unit": 0.15, "co2_kg_per_tkm": 0.028}
        for dc, km in zip(dcs, (560.0, 320.0), strict=True)
    ]  # fmt: skip
    for k, store in enumerate(stores):
        for j, dc in enumerate(dcs):
            km = float(np.round(rng.uniform(80, 450) if (k + j) % 2 == 0 else rng.uniform(400, 900)))
            lanes.append({"origin": dc, "destination": store, "distance_km": km, "mode": "road",
                          "transit_days": 1.0 if km < 450 else 2.0, "truck_capacity_m3": 18.0,
                          "cost_per_truck": float(np.round(150 + 0.9 * km)), "co2_kg_per_tkm": 0.107})  # fmt: skip
        km = float(np.round(rng.uniform(200, 900)))
        if k % 3 == 0:  # an express air lane: fast, dear and carbon-heavy
            lanes.append({"origin": plant, "destination": store, "distance_km": km, "mode": "air",
                          "transit_days": 1.0, "cost_per_unit": 1.5, "co2_kg_per_tkm": 1.13})  # fmt: skip
        else:
            lanes.append({"origin": plant, "destination": store, "distance_km": km, "mode": "road",
                          "transit_days": 3.0, "cost_per_unit": float(np.round(0.4 + 0.002 * km, 2)),
                          "co2_kg_per_tkm": 0.107})  # fmt: skip
    return {"Sites": new_sites, "Requirements": pd.DataFrame(req), "Lanes": pd.DataFrame(lanes)}


STOCKED_STORES = 4  # stores that hold stock of their own (a Stock row and demand history)


def _three_echelons(rng: np.random.Generator, items: pd.DataFrame, sites: pd.DataFrame, suppliers: pd.DataFrame,
                    dates: list) -> dict:  # fmt: skip
    """The supply chain plant -> DCs -> stores (a separate random stream): Sites.source and handling_days (set
    on ``sites`` in place), stocked stores with their own demand history, Open Orders (purchase orders to the
    plant, transfers to the DCs) and Returns (restock, refurbish, scrap) at stores and DCs."""
    kind = sites.set_index("site")["type"]
    plant = kind[kind == "plant"].index[0]
    dcs = list(kind[kind == "dc"].index)
    stores = list(kind[kind == "store"].index)
    sites["source"] = [None if t == "plant" else plant if t == "dc" else dcs[k % len(dcs)]
                       for k, t in enumerate(sites["type"])]  # fmt: skip
    sites["handling_days"] = np.where(sites["type"] == "dc", 1.0, np.where(sites["type"] == "store", 0.5, np.nan))
    skus = items["sku"].to_numpy()
    t = np.arange(len(dates))
    stock, demand = [], []
    for store in stores[:STOCKED_STORES]:
        for sku in rng.choice(skus, min(20, len(skus)), replace=False):
            y = _pattern(rng, "smooth" if rng.random() < 0.6 else "erratic", rng.gamma(2.0, 4.0), t)
            demand.append(
                pd.DataFrame({"sku": sku, "site": store, "date": np.array(dates)[y > 0], "quantity": y[y > 0]})
            )
            stock.append({"sku": sku, "site": store, "on_hand": float(np.round(y[-4:].mean() * rng.uniform(0.5, 3))),
                          "on_order": 0.0, "backorders": 0.0})  # fmt: skip
    return {"Stock": pd.DataFrame(stock), "Demand": pd.concat(demand, ignore_index=True),
            "Open Orders": _open_orders(rng, skus, plant, dcs, suppliers),
            "Returns": _returns(rng, skus, [*dcs, *stores[:STOCKED_STORES]], dates)}  # fmt: skip


def _open_orders(rng: np.random.Generator, skus: np.ndarray, plant: str, dcs: list, suppliers: pd.DataFrame):
    """Purchase orders already placed for the plant and transfers already under way to the DCs."""
    rows = []
    for sku in rng.choice(skus, min(30, len(skus)), replace=False):
        to_dc = rng.random() < 0.4
        rows.append({"sku": sku, "site": dcs[int(rng.integers(len(dcs)))] if to_dc else plant,
                     "source": plant if to_dc else str(rng.choice(suppliers["supplier"])),
                     "quantity": float(rng.choice([24, 48, 96, 120])),
                     "due_date": (PLANNING_DATE + pd.Timedelta(days=int(rng.integers(1, 50)))).date()})  # fmt: skip
    return pd.DataFrame(rows).drop_duplicates(["sku", "site", "source", "due_date"])


def _returns(rng: np.random.Generator, skus: np.ndarray, sites: list, dates: list) -> pd.DataFrame:
    """Customer returns over the last half year: a few units a week for some SKUs, mostly restocked."""
    rows = []
    for site in sites:
        for sku in rng.choice(skus, min(6, len(skus)), replace=False):
            for day in dates[-26:]:
                if rng.random() < 0.5:
                    quantity = float(rng.integers(1, 5))
                    kind = str(rng.choice(["restock", "restock", "refurbish", "scrap"]))
                    rows.append(
                        {"sku": sku, "site": site, "date": day.date(), "quantity": quantity, "disposition": kind}
                    )
    return pd.DataFrame(rows).drop_duplicates(["sku", "site", "date", "disposition"])


# Delivery rounds (issue 13): where the sites are, when the stores take deliveries, and the DCs' vans.
POSITIONS = {  # latitude, longitude (the city centres; the DCs near Paris and Avignon, the plant at Lyon)
    "DC-North": (48.73, 2.37), "DC-South": (43.95, 4.81), "Plant-Lyon": (45.76, 4.84),
    "Store-Paris": (48.86, 2.35), "Store-Lille": (50.63, 3.06), "Store-Nantes": (47.22, -1.55),
    "Store-Bordeaux": (44.84, -0.58), "Store-Toulouse": (43.60, 1.44), "Store-Marseille": (43.30, 5.37),
    "Store-Nice": (43.70, 7.27), "Store-Strasbourg": (48.57, 7.75), "Store-Dijon": (47.32, 5.04),
    "Store-Rennes": (48.11, -1.68), "Store-Grenoble": (45.19, 5.72), "Store-Montpellier": (43.61, 3.88),
}  # fmt: skip
NORTH = ("Store-Paris", "Store-Lille", "Store-Nantes", "Store-Strasbourg", "Store-Dijon", "Store-Rennes")


def _rounds(sites: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sites with positions (latitude/longitude), delivery windows and service times, each store supplied
    by its nearer DC and the DCs by the plant; and the DCs' vehicles: a rigid truck and two vans each."""
    sites = sites.copy()
    sites["source"] = [("DC-North" if s in NORTH else "DC-South") if s.startswith("Store") else
                       ("Plant-Lyon" if s.startswith("DC") else None) for s in sites["site"]]  # fmt: skip
    sites["latitude"] = [POSITIONS.get(s, (np.nan, np.nan))[0] for s in sites["site"]]
    sites["longitude"] = [POSITIONS.get(s, (np.nan, np.nan))[1] for s in sites["site"]]
    store = sites["type"] == "store"
    early = sites["site"].isin(["Store-Paris", "Store-Lille"])  # city centres: deliveries before 11:00
    sites["open_time"] = [dt.time(6, 0) if s else None for s in store]
    sites["close_time"] = [
        (dt.time(11, 0) if e else dt.time(16, 0)) if s else None for s, e in zip(store, early, strict=True)
    ]
    sites["service_minutes"] = np.where(store, 30.0, np.nan)
    vehicles = pd.DataFrame([
        {"vehicle": kind, "depot": dc, "count": n, "capacity_units": units, "capacity_m3": m3, "capacity_kg": kg,
         "cost_per_km": per_km, "fixed_cost": fixed, "co2_kg_per_km_empty": empty, "co2_kg_per_km_full": full,
         "speed_kmh": 75.0, "shift_start": dt.time(4, 0), "shift_end": dt.time(22, 0)}
        for dc in ("DC-North", "DC-South")
        for kind, n, units, m3, kg, per_km, fixed, empty, full in (
            ("Truck 19t", 1, 3000.0, 45.0, 10_000.0, 1.10, 180.0, 0.62, 0.90),
            ("Van 3.5t", 2, 800.0, 12.0, 1_200.0, 0.55, 60.0, 0.21, 0.29))
    ])  # fmt: skip
    return sites, vehicles
