"""Delivery rounds: one vehicle routing problem per depot and delivery day, solved by PyVRP.

The problem (Toth and Vigo, *Vehicle Routing*, 2nd ed., 2014, ch. 1, 5 and 7): a depot, its stores with a
drop (units, m³, kg delivered) and a collection (units, m³, kg picked up) each, a service time and a
time window [open, close] in which service starts; a heterogeneous fleet (per vehicle type: how many, a
capacity in units, m³ and kg, a cost per km, a fixed cost per vehicle used, a speed and a shift
[shift_start, shift_end]). A vehicle may make several trips in its shift, reloading at the depot
(``max_trips``). Pickup and delivery are simultaneous (VRPSPD): on every leg the load on board,
deliveries still to drop plus pickups already collected, stays within the capacity in every dimension.
Objective: sum over vehicles used of fixed_cost + cost_per_km x km.

PyVRP (Wouda, Lan and Kool, 2024, *INFORMS J. Computing* 36(4)) works on integers: distances are given to it
in metres, durations in seconds, loads in thousandths (milli-units, litres, grams), costs in tenths of a metre
at the cheapest cost per km.
Every figure on the output is recomputed from the visiting order with the original (float) data, and the
plan checks itself on construction (:meth:`RoundsPlan.check`).

CO2 of a leg (GLEC framework v3, 2023, linear load interpolation of a vehicle's factor):
km x (co2_kg_per_km_empty + (co2_kg_per_km_full - co2_kg_per_km_empty) x load fraction), where the load
fraction is the load on board over the leg divided by the capacity, in the most binding dimension (at most 1).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

DIMS = ("units", "m3", "kg")  # capacity dimensions, in this order everywhere
SCALE_KM, SCALE_MIN, SCALE_LOAD, COST_STEPS = 1000, 60, 1000, 10  # -> metres, seconds, thousandths; cost steps
FAR_KM = 1e5  # a leg between two stores nothing measures (one on x/y, one on latitude/longitude): avoided
TOLERANCE = 1e-6
SHIFT_SLACK_MIN = 0.5  # minutes: whole-second rounding of the legs, summed over a long route
STOP_COLUMNS = [
    "depot",
    "date",
    "vehicle",
    "route",
    "trip",
    "stop",
    "site",
    "arrival_min",
    "departure_min",
    "load_units",
    "delivered",
    "picked_up",
    "delivered_m3",
    "delivered_kg",
    "picked_up_m3",
    "picked_up_kg",
    "distance_km",
    "co2_kg",
    "load_fraction",
]
UNSERVED_COLUMNS = ["depot", "date", "site", "units", "reason"]


@dataclass(frozen=True)
class VehicleType:
    """One row of the Vehicles sheet. Capacities: math.inf where blank. Times: minutes after midnight."""

    name: str
    count: int
    capacity: tuple[float, float, float]  # units, m³, kg
    cost_per_km: float = 1.0
    fixed_cost: float = 0.0
    co2_kg_per_km_empty: float = 0.0
    co2_kg_per_km_full: float = 0.0
    speed_kmh: float = 60.0
    shift_start: float = 0.0
    shift_end: float = math.inf  # blank: no end

    def fits(self, load: np.ndarray) -> bool:
        """Whether a load (units, m³, kg) fits in one vehicle."""
        return bool(np.all(np.asarray(load, float) <= np.asarray(self.capacity) + TOLERANCE))

    def load_fraction(self, load: np.ndarray) -> float:
        """Load over capacity in the most binding finite dimension, at most 1 (0 without a finite capacity)."""
        cap = np.asarray(self.capacity, float)
        finite = np.isfinite(cap) & (cap > 0)
        if not finite.any():
            return 0.0
        return float(min(1.0, np.max(np.asarray(load, float)[finite] / cap[finite])))

    def leg_co2(self, km: float, load: np.ndarray) -> float:
        """CO2 (kg) of a leg of ``km`` carrying ``load`` (the module docstring's formula)."""
        f = self.load_fraction(load)
        return km * (self.co2_kg_per_km_empty + (self.co2_kg_per_km_full - self.co2_kg_per_km_empty) * f)


@dataclass(frozen=True)
class RoundsSettings:
    """PyVRP's search runs for a number of iterations (iterations_per_stop x stops, at least min_iterations),
    so the same problem and seed give the same routes on any machine and under any load; a wall-clock cap
    (seconds_per_stop x stops, at least min_seconds) stops it earlier on a machine too slow for that many,
    and the plan says so (RoundsPlan.time_limited)."""

    iterations_per_stop: int = 300  # about 0.3 s per stop at 100 to 200 stores on this 2-core machine (README)
    min_iterations: int = 500
    seconds_per_stop: float = 1.0  # the cap
    min_seconds: float = 1.0  # the cap of a small depot-day: its few hundred iterations take milliseconds
    seed: int = 1
    max_trips: int = 3  # trips per vehicle and shift (reloads at the depot = max_trips - 1)
    split_deliveries: bool = False  # a drop too big for any vehicle is split into vehicle loads

    def iterations(self, stops: int) -> int:
        return max(self.min_iterations, self.iterations_per_stop * stops)

    def time_limit(self, stops: int) -> float:
        return max(self.min_seconds, self.seconds_per_stop * stops)


@dataclass(frozen=True)
class RoundsProblem:
    """One depot on one day. ``stops``: one row per store to visit with columns site, units, m3, kg,
    pickup_units, pickup_m3, pickup_kg, open_min, close_min, service_min (minutes after midnight; NaN open
    or close = no window). ``km``/``minutes``: (n+1) x (n+1) matrices over [depot] + stops (``minutes`` NaN
    where travel time follows from each vehicle's speed)."""

    depot: str
    day: dt.date
    stops: pd.DataFrame
    km: np.ndarray
    minutes: np.ndarray
    vehicles: tuple[VehicleType, ...]

    def travel_minutes(self, vehicle: VehicleType) -> np.ndarray:
        """Travel minutes of each leg for ``vehicle``: the given minutes, else km / speed x 60."""
        return np.where(np.isnan(self.minutes), self.km / vehicle.speed_kmh * 60.0, self.minutes)


def _drops(stops: pd.DataFrame) -> np.ndarray:
    return stops[list(DIMS)].to_numpy(float)


def _pickups(stops: pd.DataFrame) -> np.ndarray:
    return stops[["pickup_units", "pickup_m3", "pickup_kg"]].to_numpy(float)


def _windows(stops: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return stops["open_min"].fillna(0.0).to_numpy(float), stops["close_min"].fillna(math.inf).to_numpy(float)


def screen(problem: RoundsProblem, settings: RoundsSettings) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Split the stops into those a vehicle can serve and those no vehicle can, with the reason: no vehicle
    at the depot; a drop or a collection larger than every vehicle (unless split deliveries are allowed);
    a window no vehicle reaches: for every type, leaving at shift_start, the direct arrival is after close,
    or serving and driving back ends after shift_end. Returns the stops kept (with a ``stop_index`` into the
    problem's matrices) and (row position, reason) for the others."""
    stops = problem.stops.reset_index(drop=True).assign(stop_index=np.arange(1, len(problem.stops) + 1))
    if not problem.vehicles:
        return stops.iloc[:0], [(i, f"no vehicle at depot {problem.depot}") for i in range(len(stops))]
    drops, picks = _drops(stops), _pickups(stops)
    opens, closes = _windows(stops)
    service = stops["service_min"].fillna(0.0).to_numpy(float)
    bad: list[tuple[int, str]] = []
    for i in range(len(stops)):
        j = i + 1
        if not (np.isfinite(problem.km[0, j]) and np.isfinite(problem.km[j, 0])):
            bad.append((i, "no position (x/y or latitude/longitude) and no Distances row to or from the depot"))
            continue
        carried = [v for v in problem.vehicles if v.fits(picks[i]) and (settings.split_deliveries or v.fits(drops[i]))]
        if not carried:
            dims = [
                d
                for k, d in enumerate(DIMS)
                if max(drops[i, k], picks[i, k]) > max(v.capacity[k] for v in problem.vehicles) + TOLERANCE
            ]
            bad.append((i, f"too large for any vehicle at {problem.depot} ({', '.join(dims) or 'no single type'})"))
            continue
        reachable = False
        for v in carried:
            t = problem.travel_minutes(v)
            start = max(v.shift_start + t[0, j], opens[i])
            reachable |= start <= closes[i] + TOLERANCE and start + service[i] + t[j, 0] <= v.shift_end + TOLERANCE
        if not reachable:
            bad.append((i, "time window cannot be reached within any vehicle's shift"))
    keep = np.setdiff1d(np.arange(len(stops)), [i for i, _ in bad])
    return stops.iloc[keep].reset_index(drop=True), bad


def split_loads(stops: pd.DataFrame, vehicles: tuple[VehicleType, ...]) -> pd.DataFrame:
    """Split deliveries: a drop larger than the largest vehicle (the type with the most units) becomes
    ceil(drop / capacity) visits of at most a vehicle load each, in proportion in every dimension; the
    collection goes with the first visit. Other stops are unchanged."""
    cap = np.asarray(max(vehicles, key=lambda v: v.capacity[0]).capacity, float)
    rows = []
    for _, row in stops.iterrows():
        drop = row[list(DIMS)].to_numpy(float)
        parts = int(np.max(np.ceil(np.where(np.isfinite(cap) & (cap > 0), drop / cap - 1e-9, 1.0)))) or 1
        for p in range(parts):
            part = row.copy()
            part[list(DIMS)] = drop / parts
            if p:
                part[["pickup_units", "pickup_m3", "pickup_kg"]] = 0.0
            rows.append(part)
    return pd.DataFrame(rows).reset_index(drop=True) if rows else stops


def _active_dims(vehicles: tuple[VehicleType, ...]) -> list[int]:
    """The dimensions some vehicle limits (a dimension no vehicle limits is left out of the model)."""
    return [k for k in range(len(DIMS)) if any(math.isfinite(v.capacity[k]) for v in vehicles)]


def _int_load(values: np.ndarray, dims: list[int]) -> list[int]:
    return [int(round(values[k] * SCALE_LOAD)) for k in dims]


def _int_capacity(values: tuple[float, ...], dims: list[int], unlimited: list[int]) -> list[int]:
    """Capacities in thousandths; a blank one is ``unlimited`` (more than the day's whole load)."""
    return [
        int(math.floor(values[k] * SCALE_LOAD + 1e-6)) if math.isfinite(values[k]) else u
        for k, u in zip(dims, unlimited, strict=True)
    ]


def reloads_matter(problem: RoundsProblem, stops: int, settings: RoundsSettings) -> bool:
    """Whether to let vehicles reload (several trips): only with max_trips > 1 and when a second trip can
    pay, i.e. vehicles are fewer than stops, or cost something to use, or have a shift end. Otherwise a
    multi-trip route is the same as one route per trip on separate vehicles, and leaving reloads out keeps
    the search on the plain problem (a smaller neighbourhood, better routes in the same time)."""
    if settings.max_trips <= 1:
        return False
    fleet = sum(v.count for v in problem.vehicles)
    return fleet < stops or any(v.fixed_cost > 0 or math.isfinite(v.shift_end) for v in problem.vehicles)


def _cost_unit(vehicles: tuple[VehicleType, ...]) -> float:
    """PyVRP's integer cost unit, 1/COST_STEPS of a metre at the cheapest positive cost per km: costs stay on
    the scale of distances, which PyVRP's penalty manager expects."""
    positive = [v.cost_per_km for v in vehicles if v.cost_per_km > 0]
    return min(positive) if positive else 1.0


def _int_time(minutes: float) -> int:
    """Minutes -> whole seconds; infinite (no limit) -> PyVRP's unconstrained value."""
    return int(round(minutes * SCALE_MIN)) if math.isfinite(minutes) else int(np.iinfo(np.int64).max)


def build_model(problem: RoundsProblem, stops: pd.DataFrame, settings: RoundsSettings, required: bool = True):
    """The PyVRP model of ``stops`` (rows kept by :func:`screen`): location 0 the depot, then one client
    per row. One routing profile per distinct speed. Optional clients (``required=False``) carry a prize
    above any route cost, so that only what no vehicle can take stays out."""
    m = pyvrp.Model()
    idx = np.concatenate([[0], stops["stop_index"].to_numpy(int)])
    locs = [m.add_location(0, 0, name=problem.depot)]
    locs += [m.add_location(0, 0, name=str(s)) for s in stops["site"]]
    depot = m.add_depot(locs[0])
    profiles, metres = _add_edges(m, problem, idx, locs)
    per_km = _cost_unit(problem.vehicles)
    prize = metres.max() * 2 * max(v.cost_per_km for v in problem.vehicles) / per_km * COST_STEPS
    prize += max(v.fixed_cost for v in problem.vehicles) / per_km * SCALE_KM * COST_STEPS
    dims = _active_dims(problem.vehicles)
    _add_clients(m, stops, locs, dims, required, int(prize) + 1)
    total = (_drops(stops) + _pickups(stops)).sum(axis=0)
    unlimited = [int(total[k] * SCALE_LOAD) + 1 for k in dims]
    reload = [depot] if reloads_matter(problem, len(stops), settings) else []
    for v in problem.vehicles:
        m.add_vehicle_type(
            v.count,
            capacity=_int_capacity(v.capacity, dims, unlimited),
            start_depot=depot,
            end_depot=depot,
            fixed_cost=int(round(v.fixed_cost / per_km * SCALE_KM * COST_STEPS)),
            unit_distance_cost=max(1, int(round(v.cost_per_km / per_km * COST_STEPS))),
            tw_early=int(round(v.shift_start * SCALE_MIN)),
            tw_late=_int_time(v.shift_end),
            profile=profiles[v.speed_kmh],
            reload_depots=reload,
            max_reloads=max(0, settings.max_trips - 1),
            name=v.name,
        )
    return m


def _add_edges(m, problem: RoundsProblem, idx: np.ndarray, locs: list) -> tuple[dict, np.ndarray]:
    """Every directed edge in metres and, per distinct speed (one routing profile each), in seconds; a leg
    nothing measures counts FAR_KM."""
    legs = problem.km[np.ix_(idx, idx)]
    metres = np.rint(np.where(np.isfinite(legs), legs, FAR_KM) * SCALE_KM).astype(np.int64)
    profiles = {s: m.add_profile() for s in sorted({v.speed_kmh for v in problem.vehicles})}
    for speed, profile in profiles.items():
        probe = VehicleType("", 1, (1, 1, 1), speed_kmh=speed)
        minutes = problem.travel_minutes(probe)[np.ix_(idx, idx)]
        seconds = np.rint(np.where(np.isfinite(minutes), minutes, FAR_KM) * SCALE_MIN).astype(np.int64)
        for a in range(len(locs)):
            for b in range(len(locs)):
                if a != b:
                    m.add_edge(locs[a], locs[b], int(metres[a, b]), int(seconds[a, b]), profile=profile)
    return profiles, metres


def _add_clients(m, stops: pd.DataFrame, locs: list, dims: list[int], required: bool, prize: int) -> None:
    """One client per stop: its drop and collection in the active dimensions, service time and window."""
    opens, closes = _windows(stops)
    drops, picks = _drops(stops), _pickups(stops)
    service = stops["service_min"].fillna(0.0).to_numpy(float)
    for k in range(len(stops)):
        m.add_client(
            locs[k + 1],
            delivery=_int_load(drops[k], dims),
            pickup=_int_load(picks[k], dims),
            service_duration=int(round(service[k] * SCALE_MIN)),
            tw_early=int(round(opens[k] * SCALE_MIN)),
            tw_late=_int_time(closes[k]),
            required=required,
            prize=0 if required else prize,
        )


@dataclass(frozen=True)
class TimeLimited:
    """A depot-day whose route search stopped at its wall-clock cap before its iterations: another run, on
    another machine or under another load, may give other routes."""

    depot: str
    day: dt.date
    iterations: int  # done
    budget: int  # asked (RoundsSettings.iterations)
    seconds: float  # the cap


@dataclass(frozen=True)
class RoundsPlan:
    """The rounds of one or more depot-days. ``stops``: one row per route activity in visiting order
    (STOP_COLUMNS; the depot rows open and close each trip; distance_km and co2_kg are those of the leg
    arriving at the row; load_units is on board when leaving the row). ``unserved``: UNSERVED_COLUMNS.
    ``vehicles``: per depot, the vehicle types used (to check capacities and shifts). On construction the
    plan checks itself (:meth:`check`) and refuses to exist if it is infeasible."""

    stops: pd.DataFrame
    unserved: pd.DataFrame
    vehicles: dict[str, tuple[VehicleType, ...]]
    split_deliveries: bool = False
    seconds: float = 0.0  # solver wall-clock time, summed over depot-days
    objective: float = 0.0  # fixed + distance cost, summed
    direct: tuple[float, float, float] = (0.0, 0.0, 0.0)  # km, cost, CO2 kg of direct delivery (direct_delivery)
    time_limited: tuple[TimeLimited, ...] = ()  # depot-days whose search the wall-clock cap stopped

    def __post_init__(self):
        problems = self.check()
        if problems:
            raise ValueError("infeasible rounds: " + "; ".join(problems[:5]))

    def check(self) -> list[str]:
        """Feasibility from the rows: each store visited at most once per depot-day (unless split), every
        trip within the vehicle's capacity in every dimension on every leg, every route inside its shift (to
        SHIFT_SLACK_MIN: PyVRP rounds each leg to whole seconds). The stores' windows are not on the rows;
        tests/test_rounds.py rechecks them, with everything else, from the problem's own data."""
        out = []
        s = self.stops
        if not len(s):
            return out
        visits = s.loc[s["stop"] > 0].loc[lambda f: f["site"] != f["depot"]]
        if not self.split_deliveries:
            dup = visits.duplicated(["depot", "date", "site"])
            out += [f"{r.site} visited twice on {r.date}" for r in visits.loc[dup].itertuples()]
        types = {(d, v.name): v for d, vs in self.vehicles.items() for v in vs}
        for (depot, _, vehicle, route), rows in s.groupby(["depot", "date", "vehicle", "route"], sort=False):
            v = types[depot, vehicle.rsplit("#", 1)[0]]
            if (
                rows["departure_min"].iloc[0] < v.shift_start - SHIFT_SLACK_MIN
                or rows["arrival_min"].iloc[-1] > v.shift_end + SHIFT_SLACK_MIN
            ):
                out.append(f"route {route} outside the shift of {vehicle}")
            for _, trip in rows.groupby("trip"):
                on_board = trip[["delivered", "delivered_m3", "delivered_kg"]].sum().to_numpy(float)
                if not v.fits(on_board):
                    out.append(f"route {route} over capacity leaving {trip['site'].iloc[0]}")
                for r in trip.iloc[1:].itertuples():
                    on_board = on_board - [r.delivered, r.delivered_m3, r.delivered_kg]
                    on_board = on_board + [r.picked_up, r.picked_up_m3, r.picked_up_kg]
                    if not v.fits(on_board):
                        out.append(f"route {route} over capacity after {r.site}")
        return out


def _extract(problem: RoundsProblem, stops: pd.DataFrame, route, vehicle: VehicleType, name: str, number: int):
    """Rows of one PyVRP route, recomputed with the original data: PyVRP gives the visiting order and the
    earliest service starts; arrival = previous departure + travel minutes, service start = max(arrival,
    PyVRP's start), departure = service start + service minutes; distances, loads and CO2 from the inputs."""
    acts = list(route.schedule())
    drops, picks = _drops(stops), _pickups(stops)
    service = stops["service_min"].fillna(0.0).to_numpy(float)
    t_min = problem.travel_minutes(vehicle)
    rows: list[dict] = []
    trip, prev, departure, on_board = 1, 0, 0.0, np.zeros(3)
    for p, a in enumerate(acts):
        if a.is_depot() and p == 0:
            departure = a.end_time / SCALE_MIN
            on_board = _trip_load(acts, p, drops)
            rows.append(_row(problem, name, number, trip, 0, problem.depot, departure, departure, on_board))
            continue
        here = 0 if a.is_depot() else int(stops["stop_index"].iat[a.idx])
        km, carried = float(problem.km[prev, here]), on_board
        arrival = departure + float(t_min[prev, here])
        if a.is_client():
            dl, pk = drops[a.idx], picks[a.idx]
            on_board = carried - dl + pk
            departure = max(arrival, a.start_time / SCALE_MIN) + service[a.idx]
            site = stops["site"].iat[a.idx]
        else:
            dl = pk = np.zeros(3)
            last = p == len(acts) - 1
            trip += 0 if last else 1
            on_board = np.zeros(3) if last else _trip_load(acts, p, drops)
            departure = arrival if last else max(arrival, a.start_time / SCALE_MIN)
            site = problem.depot
        row = _row(problem, name, number, trip, len(rows), site, arrival, departure, on_board, dl, pk)
        row.update(distance_km=km, co2_kg=vehicle.leg_co2(km, carried), load_fraction=vehicle.load_fraction(carried))
        rows.append(row)
        prev = here
    return rows


def _trip_load(acts: list, p: int, drops: np.ndarray) -> np.ndarray:
    """Deliveries of the trip leaving the depot at activity ``p``: the clients up to the next depot."""
    load = np.zeros(3)
    for a in acts[p + 1 :]:
        if a.is_depot():
            break
        load = load + drops[a.idx]
    return load


def _row(problem, vehicle, route, trip, stop, site, arrival, departure, on_board, dl=None, pk=None) -> dict:
    dl = np.zeros(3) if dl is None else dl
    pk = np.zeros(3) if pk is None else pk
    return {
        "depot": problem.depot,
        "date": problem.day,
        "vehicle": vehicle,
        "route": route,
        "trip": trip,
        "stop": stop,
        "site": site,
        "arrival_min": arrival,
        "departure_min": departure,
        "load_units": float(on_board[0]),
        "delivered": dl[0],
        "picked_up": pk[0],
        "delivered_m3": dl[1],
        "delivered_kg": dl[2],
        "picked_up_m3": pk[1],
        "picked_up_kg": pk[2],
        "distance_km": 0.0,
        "co2_kg": 0.0,
        "load_fraction": 0.0,
    }


def solve_rounds(problem: RoundsProblem, settings: RoundsSettings = RoundsSettings()) -> RoundsPlan:
    """Plan one depot-day: screen out what no vehicle can serve, solve the rest with PyVRP for
    ``settings.iterations(stops)`` iterations (seeded), each solve at most ``settings.time_limit(stops)`` seconds
    (a day where either solve was stopped by the cap is listed in RoundsPlan.time_limited, with the fewer
    iterations); if the best solution is infeasible (the fleet cannot take
    every stop), solve again with optional stops so that the fleet serves what it can and the rest is listed
    as unserved."""
    kept, bad = screen(problem, settings)
    if settings.split_deliveries and len(kept):
        kept = split_loads(kept, problem.vehicles)
    unserved = [_unserved(problem, problem.stops.iloc[i], why) for i, why in bad]
    rows, seconds, objective, direct, capped = [], 0.0, 0.0, (0.0, 0.0, 0.0), []
    if len(kept):
        budget, limit = settings.iterations(len(kept)), settings.time_limit(len(kept))
        result = _solve(build_model(problem, kept, settings), budget, limit, settings.seed)
        seconds, done = seconds + result.runtime, [result.num_iterations]
        if not result.is_feasible():  # a search the cap cut short may have missed a plan with every stop
            result = _solve(build_model(problem, kept, settings, required=False), budget, limit, settings.seed)
            seconds, done = seconds + result.runtime, done + [result.num_iterations]
        if min(done) < budget:
            capped.append(TimeLimited(problem.depot, problem.day, int(min(done)), budget, limit))
        rows, visited = _routes(problem, kept, result)
        objective = _plan_cost(rows, problem.vehicles)
        d = direct_delivery(problem, kept.iloc[sorted(visited)])
        direct = (d["km"], d["cost"], d["co2_kg"])
        for k in np.flatnonzero(~np.isin(np.arange(len(kept)), list(visited))):
            unserved.append(
                _unserved(problem, kept.iloc[k], "the fleet at the depot cannot take it (count, capacity or shift)")
            )
    stops = pd.DataFrame(rows, columns=STOP_COLUMNS)
    return RoundsPlan(
        stops,
        pd.DataFrame(unserved, columns=UNSERVED_COLUMNS),
        {problem.depot: problem.vehicles},
        settings.split_deliveries,
        seconds,
        objective,
        direct,
        tuple(capped),
    )


def _solve(model, iterations: int, seconds: float, seed: int):
    """PyVRP's solve for ``iterations`` iterations or ``seconds``, whichever comes first (RoundsSettings),
    quiet: its warning that penalties hit their bound means the day has no feasible solution with every stop,
    which solve_rounds handles (optional stops, the rest listed)."""
    stop = MultipleCriteria([MaxIterations(iterations), MaxRuntime(seconds)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        return model.solve(stop, seed=seed, display=False)


def _routes(problem: RoundsProblem, kept: pd.DataFrame, result) -> tuple[list[dict], set[int]]:
    """Rows of every feasible route of the result and the clients they visit; an infeasible route (time
    warp or excess load left by the search) is dropped and its stops count as unserved."""
    rows, visited, used = [], set(), {}
    for route in result.best.routes():
        if not route.is_feasible():
            continue
        v = problem.vehicles[route.vehicle_type()]
        used[v.name] = used.get(v.name, 0) + 1
        rows += _extract(problem, kept, route, v, f"{v.name}#{used[v.name]}", len({r["route"] for r in rows}) + 1)
        visited |= {a.idx for a in route.schedule() if a.is_client()}
    return rows, visited


def _plan_cost(rows: list[dict], vehicles: tuple[VehicleType, ...]) -> float:
    """Fixed cost of each route's vehicle + cost_per_km x km, from the rows."""
    types = {v.name: v for v in vehicles}
    frame = pd.DataFrame(rows, columns=STOP_COLUMNS)
    cost = 0.0
    for vehicle, legs in frame.groupby(["vehicle", "route"]):
        v = types[vehicle[0].rsplit("#", 1)[0]]
        cost += v.fixed_cost + v.cost_per_km * legs["distance_km"].sum()
    return cost


def _unserved(problem: RoundsProblem, row: pd.Series, reason: str) -> dict:
    return {
        "depot": problem.depot,
        "date": problem.day,
        "site": row["site"],
        "units": float(row["units"]),
        "reason": reason,
    }


def combine(plans: list[RoundsPlan]) -> RoundsPlan:
    """One plan of several depot-days (route numbers stay per depot-day)."""
    stops = [p.stops for p in plans if len(p.stops)]
    unserved = [p.unserved for p in plans if len(p.unserved)]
    vehicles = {d: vs for p in plans for d, vs in p.vehicles.items()}
    return RoundsPlan(
        pd.concat(stops, ignore_index=True) if stops else pd.DataFrame(columns=STOP_COLUMNS),
        pd.concat(unserved, ignore_index=True) if unserved else pd.DataFrame(columns=UNSERVED_COLUMNS),
        vehicles,
        any(p.split_deliveries for p in plans),
        sum(p.seconds for p in plans),
        sum(p.objective for p in plans),
        tuple(float(sum(p.direct[k] for p in plans)) for k in range(3)),
        tuple(t for p in plans for t in p.time_limited),
    )


def route_summary(plan: RoundsPlan) -> pd.DataFrame:
    """One row per route: trips, stops (store visits), km, duration (return - departure, minutes), peak load
    (the largest leg load fraction), units delivered and picked up, cost (fixed + cost_per_km x km), CO2."""
    s = plan.stops
    types = {(d, v.name): v for d, vs in plan.vehicles.items() for v in vs}
    rows = []
    for (depot, day, route, vehicle), r in s.groupby(["depot", "date", "route", "vehicle"], sort=False):
        v = types[depot, vehicle.rsplit("#", 1)[0]]
        km = float(r["distance_km"].sum())
        visits = int((r["site"] != depot).sum())
        rows.append(
            {
                "depot": depot,
                "date": day,
                "route": route,
                "vehicle": vehicle,
                "trips": int(r["trip"].max()),
                "stops": visits,
                "km": km,
                "duration_min": float(r["arrival_min"].iloc[-1] - r["departure_min"].iloc[0]),
                "start_min": float(r["departure_min"].iloc[0]),
                "end_min": float(r["arrival_min"].iloc[-1]),
                "load_pct": float(r["load_fraction"].max()),
                "delivered": float(r["delivered"].sum()),
                "picked_up": float(r["picked_up"].sum()),
                "cost": v.fixed_cost + v.cost_per_km * km,
                "co2_kg": float(r["co2_kg"].sum()),
                "km_per_drop": km / visits if visits else math.nan,
            }
        )
    return pd.DataFrame(rows)


def direct_delivery(problem: RoundsProblem, served: pd.DataFrame) -> dict[str, float]:
    """The comparison: every served store delivered by its own return trip depot -> store -> depot, in the
    cheapest vehicle type (cost per km) that carries its drop and collection (else the largest, in as many
    trips as its units need). km, cost (fixed + per km, per trip) and CO2 (loaded out with the drop, back with
    the collection) summed over stores."""
    km = cost = co2 = 0.0
    for row in served.itertuples(index=False):
        j = int(row.stop_index)
        drop = np.array([row.units, row.m3, row.kg], float)
        pick = np.array([row.pickup_units, row.pickup_m3, row.pickup_kg], float)
        fitting = [v for v in problem.vehicles if v.fits(drop) and v.fits(pick)]
        v = min(fitting, key=lambda x: x.cost_per_km) if fitting else max(problem.vehicles, key=lambda x: x.capacity[0])
        trips = 1 if fitting else int(np.ceil(max(drop[0], pick[0]) / v.capacity[0]))
        out, back = float(problem.km[0, j]), float(problem.km[j, 0])
        km += trips * (out + back)
        cost += trips * (v.fixed_cost + v.cost_per_km * (out + back))
        co2 += trips * (v.leg_co2(out, drop / trips) + v.leg_co2(back, pick / trips))
    return {"km": km, "cost": cost, "co2_kg": co2}


def route_length(x: np.ndarray, y: np.ndarray) -> float:
    """Length of a visiting order on the plane: the sum of the straight legs from each point to the next,
    sum_i sqrt((x[i+1] - x[i])² + (y[i+1] - y[i])²), in the order given, as an open path (repeat the first
    point at the end for a closed tour). Units: those of x and y (km on Sites.x_km/y_km)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.hypot(np.diff(x), np.diff(y)).sum())
