"""Delivery rounds orchestration: from validated inputs to one routing problem per depot and delivery day,
solved by the core (planner/core/optimize/rounds.py), and the result frames.

Deliveries of a day: transfers (sku, origin, destination, quantity, ship_date, due_date) summed per origin
depot, destination store and ship date, in units, m³ (x Items.unit_volume_m3) and kg (x Items.unit_weight_kg).
They are the synchronised plan's planned transfers where it exists (Sites.source links: each transfer ships on
its release period's start), else the Requirements (origin: the store's Sites.source; ship date: the due date,
else the planning date). Collections (:func:`pickups_by_day`): the returns to collect (sku, site, date,
quantity: the restock and refurbish returns forecast per period plus the Returns rows dated in the horizon,
planner.pipeline.echelons.returns_to_collect), picked up in the same round as the store's delivery of that day
(simultaneous pickup and delivery, capacities counted both ways); a collection on a day without a delivery is
a stop of its own, from the store's Sites.source depot.

Distances: the Distances sheet where it gives the pair (either direction), else Euclidean km on Sites
x_km/y_km, else great-circle km on latitude/longitude (haversine, Earth radius 6371.0088 km) x road_factor;
computed legs are rounded to a multiple of distance_step_km when it is above 0 (CVRPLIB rounds to whole units).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.core.optimize.rounds import (
    RoundsPlan,
    RoundsProblem,
    RoundsSettings,
    VehicleType,
    combine,
    route_summary,
    solve_rounds,
)
from planner.model.inputs import Inputs
from planner.model.issues import Reason
from planner.model.results import KpiRow, RoundsResult

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
TRANSFER_COLUMNS = ["sku", "origin", "destination", "quantity", "ship_date", "due_date"]


def requirements_as_transfers(inputs: Inputs) -> pd.DataFrame:
    """The Requirements as transfers: origin = the destination's Sites.source, shipped on the due date
    (the planning date where it is blank)."""
    reqs, sites = inputs["Requirements"], inputs["Sites"]
    source = sites.set_index("site")["source"] if len(sites) else pd.Series(dtype=object)
    day = reqs["due_date"].fillna(inputs.settings.planning_date) if len(reqs) else reqs["due_date"]
    return pd.DataFrame(
        {
            "sku": reqs["sku"],
            "origin": reqs["destination"].map(source),
            "destination": reqs["destination"],
            "quantity": reqs["quantity"].astype(float),
            "ship_date": pd.to_datetime(day),
            "due_date": reqs["due_date"],
        }
    )


def deliveries_by_day(transfers: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Per origin depot, destination and ship date: units, m³ and kg (blank unit volume or weight counts 0)."""
    it = items.set_index("sku")
    t = transfers.dropna(subset=["origin"])
    frame = pd.DataFrame(
        {
            "depot": t["origin"],
            "site": t["destination"],
            "date": pd.to_datetime(t["ship_date"]),
            "units": t["quantity"],
            "m3": t["quantity"] * t["sku"].map(it["unit_volume_m3"]).fillna(0.0).astype(float),
            "kg": t["quantity"] * t["sku"].map(it["unit_weight_kg"]).fillna(0.0).astype(float),
        }
    )
    return frame.groupby(["depot", "site", "date"], as_index=False)[["units", "m3", "kg"]].sum()


def pickups_by_day(returns: pd.DataFrame | None, items: pd.DataFrame) -> pd.DataFrame:
    """Collections per store and day (site, date, units, m3, kg) of ``returns`` (sku, site, date, quantity;
    blank unit volume or weight counts 0; units rounded to whole units per site and day); empty without returns."""
    if returns is None or not len(returns):
        return pd.DataFrame({"site": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]"),
                             **{c: pd.Series(dtype=float) for c in ("units", "m3", "kg")}})  # fmt: skip
    it = items.set_index("sku")
    q = returns["quantity"].astype(float)
    frame = pd.DataFrame({"site": returns["site"], "date": pd.to_datetime(returns["date"]), "units": q,
                          "m3": q * returns["sku"].map(it["unit_volume_m3"]).fillna(0.0).astype(float),
                          "kg": q * returns["sku"].map(it["unit_weight_kg"]).fillna(0.0).astype(float)})  # fmt: skip
    frame = frame.groupby(["site", "date"], as_index=False)[["units", "m3", "kg"]].sum()
    return frame.assign(units=np.round(frame["units"]))  # whole units per site and day (a forecast is fractional)


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in km (Sinnott, 1984) on a sphere of radius EARTH_RADIUS_KM."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def distance_matrices(names: list[str], inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """km and minutes between ``names`` (see the module docstring); NaN where nothing gives a distance
    (minutes NaN: from each vehicle's speed)."""
    st, sites = inputs.settings, inputs["Sites"].set_index("site")
    pos = sites.reindex(names)
    x, y = pos["x_km"].to_numpy(float), pos["y_km"].to_numpy(float)
    lat, lon = pos["latitude"].to_numpy(float), pos["longitude"].to_numpy(float)
    km = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    geo = great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * st.road_factor
    km = np.where(np.isnan(km), geo, km)
    if st.distance_step_km > 0:
        km = np.round(km / st.distance_step_km) * st.distance_step_km
    minutes = np.full_like(km, np.nan)
    dist = inputs["Distances"]
    if len(dist):
        at = {n: i for i, n in enumerate(names)}
        for r in dist.itertuples(index=False):
            a, b = at.get(r.origin), at.get(r.destination)
            if a is None or b is None:
                continue
            for i, j in ((b, a), (a, b)):  # the reverse first: a row given both ways wins for its own direction
                if not math.isnan(r.distance_km):
                    km[i, j] = r.distance_km
                if not math.isnan(r.minutes):
                    minutes[i, j] = r.minutes
    np.fill_diagonal(km, 0.0)
    np.fill_diagonal(minutes, 0.0)
    return km, minutes


def vehicle_types(vehicles: pd.DataFrame) -> dict[str, tuple[VehicleType, ...]]:
    """Vehicles rows per depot, blanks at their defaults (no capacity limit, 1 per km, 50 km/h, shift from
    00:00 with no end, empty factor for a blank full factor)."""
    out: dict[str, list[VehicleType]] = {}
    for r in vehicles.itertuples(index=False):
        if not r.count or r.count < 1:
            continue
        cap = tuple(math.inf if math.isnan(c) else float(c) for c in (r.capacity_units, r.capacity_m3, r.capacity_kg))
        empty = 0.0 if math.isnan(r.co2_kg_per_km_empty) else r.co2_kg_per_km_empty
        out.setdefault(r.depot, []).append(
            VehicleType(
                str(r.vehicle),
                int(r.count),
                cap,
                _or(r.cost_per_km, 1.0),
                _or(r.fixed_cost, 0.0),
                empty,
                _or(r.co2_kg_per_km_full, empty),
                _or(r.speed_kmh, 50.0),
                _or(r.shift_start, 0.0),
                _or(r.shift_end, math.inf),
            )
        )
    return {d: tuple(v) for d, v in out.items()}


def _or(v: float, default: float) -> float:
    return default if v is None or math.isnan(v) else float(v)


def plan_rounds(
    inputs: Inputs, transfers: pd.DataFrame | None = None, returns: pd.DataFrame | None = None
) -> RoundsResult | None:
    """Rounds of every depot and delivery day (None without Vehicles or deliveries). ``transfers``: the
    synchronised plan's transfers where they exist, else the Requirements; ``returns``: to collect."""
    st, log, names = inputs.settings, inputs.issues, inputs.sheet_names
    synced = transfers is not None and len(transfers)
    if not len(inputs["Vehicles"]) or not (synced or len(inputs["Requirements"])):
        return None
    transfers = transfers if synced else requirements_as_transfers(inputs)
    _report_without_depot(inputs, transfers)
    drops = deliveries_by_day(transfers, inputs["Items"])
    sites = inputs["Sites"].set_index("site")
    drops = _with_pickups(drops, pickups_by_day(returns, inputs["Items"]), sites["source"])
    drops = drops[drops["depot"].isin(set(inputs["Vehicles"]["depot"]))]  # other origins ship by Lanes
    fleet = vehicle_types(inputs["Vehicles"])
    cfg = RoundsSettings(
        iterations_per_stop=int(st.rounds_iterations_per_stop),
        seconds_per_stop=st.rounds_seconds_per_stop,
        seed=st.rounds_seed,
        max_trips=st.max_trips,
        split_deliveries=st.split_deliveries == "yes",
    )
    plans = [
        solve_rounds(_problem(inputs, depot, day, stores, fleet.get(depot, ())), cfg)
        for (depot, day), stores in drops.groupby(["depot", "date"], sort=True)
    ]
    plan = combine(plans)
    reqs = inputs["Requirements"]
    for r in plan.unserved.itertuples(index=False):
        rows = reqs.loc[reqs["destination"] == r.site, "_row"].to_numpy()
        log.add(
            Reason.UNROUTED_STOP,
            names["Requirements"],
            rows[:1] if len(rows) else [None],
            "destination",
            r.site,
            f"delivery of {r.units:,.0f} units from {r.depot} on {pd.Timestamp(r.date):%Y-%m-%d} not routed: "
            f"{r.reason}",
        )
    _report_time_limited(inputs, plan.time_limited)
    return _result(inputs, plan)


def _report_time_limited(inputs: Inputs, capped) -> None:
    """A warning on the Settings' rounds_seconds_per_stop per depot-day whose route search the time cap stopped
    before its iterations (RoundsPlan.time_limited): its routes depend on the machine's speed and load."""
    for t in capped:
        inputs.issues.add(
            Reason.ROUNDS_TIME_LIMIT,
            inputs.sheet_names["Settings"],
            [None],
            "rounds_seconds_per_stop",
            inputs.settings.rounds_seconds_per_stop,
            f"the route search of {t.depot} on {pd.Timestamp(t.day):%Y-%m-%d} stopped at its {t.seconds:g} s cap "
            f"after {t.iterations:,} of {t.budget:,} iterations: another run may give other routes (raise "
            "rounds_seconds_per_stop or lower rounds_iterations_per_stop)",
        )


def _report_without_depot(inputs: Inputs, transfers: pd.DataFrame) -> None:
    orphan = transfers["origin"].isna().to_numpy()
    reqs = inputs["Requirements"]
    if orphan.any() and len(reqs) == len(transfers):
        inputs.issues.add(
            Reason.STORE_WITHOUT_DEPOT,
            inputs.sheet_names["Requirements"],
            reqs.loc[orphan, "_row"].to_numpy(),
            "destination",
            reqs.loc[orphan, "destination"].to_numpy(),
            "the destination has no source on Sites: no round delivers it",
        )


def _with_pickups(drops: pd.DataFrame, pickups: pd.DataFrame, source: pd.Series) -> pd.DataFrame:
    """Deliveries with the day's collections at the same store (a collection alone is a stop too; its
    depot is the store's delivery depot of that day, else its Sites.source)."""
    p = pickups.rename(columns={"units": "pickup_units", "m3": "pickup_m3", "kg": "pickup_kg"})
    out = drops.merge(p, on=["site", "date"], how="outer")
    out["depot"] = out["depot"].fillna(out["site"].map(source))
    out = out.dropna(subset=["depot"]).fillna({c: 0.0 for c in ("units", "m3", "kg", "pickup_units", "pickup_m3",
                                                               "pickup_kg")})  # fmt: skip
    return out.sort_values(["depot", "date", "site"], kind="stable").reset_index(drop=True)


def _problem(inputs: Inputs, depot: str, day, stores: pd.DataFrame, vehicles) -> RoundsProblem:
    """One depot-day: the stores with their windows and service times; a store the distances do not reach
    is kept with an infinite distance, which the screen lists as out of reach."""
    sites = inputs["Sites"].set_index("site")
    at = sites.reindex(stores["site"])
    frame = stores.reset_index(drop=True).assign(
        open_min=at["open_time"].to_numpy(float),
        close_min=at["close_time"].to_numpy(float),
        service_min=at["service_minutes"].fillna(0.0).to_numpy(float),
    )
    km, minutes = distance_matrices([depot, *frame["site"]], inputs)
    km = np.where(np.isnan(km), np.inf, km)
    return RoundsProblem(depot, pd.Timestamp(day).date(), frame, km, minutes, vehicles)


def _result(inputs: Inputs, plan: RoundsPlan) -> RoundsResult:
    """The frames the sheets show: times as date-times, the route summary, positions and the comparison."""
    stops = plan.stops.copy()
    day = pd.to_datetime(stops["date"])
    stops["date"] = day
    stops["arrival"] = (day + pd.to_timedelta(stops["arrival_min"], unit="min")).dt.round("s")
    stops["departure"] = (day + pd.to_timedelta(stops["departure_min"], unit="min")).dt.round("s")
    summary = route_summary(plan)
    if len(summary):
        summary["date"] = pd.to_datetime(summary["date"])
    sites = inputs["Sites"]
    planar = bool(sites["x_km"].notna().any()) if len(sites) else False
    xs, ys = ("x_km", "y_km") if planar else ("longitude", "latitude")
    positions = sites.loc[sites["site"].isin(stops["site"]), ["site", xs, ys]].set_axis(["site", "x", "y"], axis=1)
    unserved = plan.unserved.assign(date=pd.to_datetime(plan.unserved["date"]))
    comparison = _comparison(stops, summary, plan)
    return RoundsResult(stops, summary, unserved, positions, "km" if planar else "degrees", comparison, plan.seconds)


def _comparison(stops: pd.DataFrame, summary: pd.DataFrame, plan: RoundsPlan) -> dict[str, float]:
    """The rounds' totals against direct delivery, and the KPIs' figures: CO2 per unit delivered, vehicle
    fill (the legs' load fractions weighted by km) and km per drop."""
    total = lambda c: float(summary[c].sum()) if len(summary) else 0.0  # noqa: E731
    km, cost, co2 = total("km"), total("cost"), total("co2_kg")
    dk, dc, dco2 = plan.direct
    units, drops = float(stops["delivered"].sum()), int(total("stops"))
    legs = stops["distance_km"] > 0
    leg_km = stops.loc[legs, "distance_km"]
    fill = float((leg_km * stops.loc[legs, "load_fraction"]).sum() / leg_km.sum()) if legs.any() else math.nan
    return {
        "km": km, "cost": cost, "co2_kg": co2, "direct_km": dk, "direct_cost": dc, "direct_co2_kg": dco2,
        "km_saved": dk - km, "cost_saved": dc - cost, "co2_saved_kg": dco2 - co2, "units_delivered": units,
        "drops": drops, "routes": len(summary), "co2_per_unit_kg": co2 / units if units else math.nan,
        "vehicle_fill": fill, "km_per_drop": km / drops if drops else math.nan, "unserved": len(plan.unserved),
    }  # fmt: skip


def rounds_kpis(rounds: RoundsResult | None) -> list[KpiRow]:
    """KPI rows of the delivery rounds."""
    if rounds is None or not rounds.comparison["routes"]:
        return []
    c = rounds.comparison
    rows = [
        (
            "rounds_co2_per_unit_kg",
            c["co2_per_unit_kg"],
            "kg",
            False,
            "rounds CO2 / units delivered (leg km x (empty + (full - empty) x load fraction))",
        ),
        ("vehicle_fill", c["vehicle_fill"], "percent", True, "load fraction on the rounds' legs, weighted by km"),
        ("km_per_drop", c["km_per_drop"], "ratio", False, "rounds km / store visits"),
        (
            "rounds_km_saved_vs_direct",
            c["km_saved"],
            "ratio",
            True,
            "km of one return trip per store minus the rounds' km",
        ),
        (
            "rounds_co2_saved_vs_direct_kg",
            c["co2_saved_kg"],
            "kg",
            True,
            "CO2 of one return trip per store minus the rounds' CO2",
        ),
    ]
    return [KpiRow(*r) for r in rows]
