"""Delivery rounds (planner/core/optimize/rounds.py, planner/pipeline/rounds.py): feasibility recomputed
independently from the output rows, optimality against brute force on small instances, what cannot be served,
split deliveries, and the workbook route (validation, sheets, chart)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import multiprocessing
import time

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks

from planner.core.optimize.rounds import (
    STOP_COLUMNS,
    RoundsPlan,
    RoundsProblem,
    RoundsSettings,
    VehicleType,
    solve_rounds,
)

DAY = dt.date(2026, 3, 3)
FAST = RoundsSettings(iterations_per_stop=50, seconds_per_stop=0.05)


def _problem(n: int, seed: int, vehicles, windows: bool = True, pickups: bool = True) -> RoundsProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 60, (n + 1, 2))
    xy[0] = 30.0
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    opens = np.where(rng.random(n) < 0.4, rng.choice([420.0, 600.0], n), np.nan) if windows else np.full(n, np.nan)
    closes = np.where(~np.isnan(opens), opens + 150.0, np.nan)
    stops = pd.DataFrame(
        {
            "site": [f"S{i}" for i in range(1, n + 1)],
            "units": rng.integers(5, 60, n).astype(float),
            "m3": rng.uniform(0.2, 4.0, n),
            "kg": rng.uniform(20, 600, n),
            "pickup_units": rng.integers(0, 15, n).astype(float) if pickups else 0.0,
            "pickup_m3": rng.uniform(0, 1.0, n) if pickups else 0.0,
            "pickup_kg": rng.uniform(0, 80, n) if pickups else 0.0,
            "open_min": opens,
            "close_min": closes,
            "service_min": rng.choice([5.0, 10.0, 20.0], n),
        }
    )
    return RoundsProblem("DC", DAY, stops, km, np.full_like(km, np.nan), tuple(vehicles))


FLEET = (
    VehicleType("Van", 3, (120.0, 10.0, 1500.0), 0.6, 40.0, 0.2, 0.3, 45.0, 360.0, 1080.0),
    VehicleType("Truck", 1, (400.0, 35.0, 9000.0), 1.2, 150.0, 0.6, 0.95, 40.0, 300.0, 1200.0),
)


def recheck(problem: RoundsProblem, plan: RoundsPlan, split: bool = False) -> None:
    """Feasibility from the output rows and the problem's own data only (no PyVRP flag, no load column):
    every store visited once (or its drop delivered in full over visits when split), every leg's load within
    the vehicle's capacity, arrival = departure before + km / speed, service starting inside the window,
    departures after service, routes inside the shift, distance and CO2 of every leg as the formulas say."""
    data = problem.stops.set_index("site")
    types = {v.name: v for v in problem.vehicles}
    s = plan.stops
    visits = s[s["site"] != problem.depot]
    served = set(visits["site"])
    assert served | set(plan.unserved["site"]) == set(data.index)
    assert not served & set(plan.unserved["site"])
    if not split:
        assert visits["site"].is_unique
    got = visits.groupby("site")["delivered"].sum()
    assert np.allclose(got.to_numpy(), data.loc[got.index, "units"].to_numpy())
    at = {site: i + 1 for i, site in enumerate(data.index)}
    at[problem.depot] = 0
    for (_, route), rows in s.groupby(["vehicle", "route"]):
        v = types[rows["vehicle"].iloc[0].rsplit("#", 1)[0]]
        cap = np.array(v.capacity)
        assert rows["departure_min"].iloc[0] >= v.shift_start - 1e-6
        assert rows["arrival_min"].iloc[-1] <= v.shift_end + 0.05
        assert rows["site"].iloc[0] == rows["site"].iloc[-1] == problem.depot
        # the loads: leaving the depot with the trip's drops, then - drop + pickup at each store; a visit's drop
        # is the store's, prorated by the units it delivers (the whole drop unless deliveries are split)
        trips, current = [], []
        for site, units in zip(rows["site"].iloc[1:], rows["delivered"].iloc[1:], strict=True):
            if site == problem.depot:
                trips.append(current)
                current = []
            else:
                share = units / data.loc[site, "units"]
                assert split or share == pytest.approx(1.0)
                current.append(
                    (
                        data.loc[site, ["units", "m3", "kg"]].to_numpy(float) * share,
                        data.loc[site, ["pickup_units", "pickup_m3", "pickup_kg"]].to_numpy(float),
                    )
                )
        for trip in trips:
            load = sum((d for d, _ in trip), np.zeros(3))
            assert np.all(load <= cap + 1e-6), f"route {route} leaves over capacity"
            for drop, pick in trip:
                load = load - drop + pick
                assert np.all(load <= cap + 1e-6), f"route {route} over capacity on a leg"
        # the clock and the legs
        prev = rows.iloc[0]
        for r in rows.iloc[1:].itertuples():
            leg = problem.km[at[prev["site"]], at[r.site]]
            assert r.distance_km == pytest.approx(leg)
            assert r.arrival_min == pytest.approx(prev["departure_min"] + leg / v.speed_kmh * 60.0, abs=1e-6)
            if r.site != problem.depot:
                open_, close = data.loc[r.site, "open_min"], data.loc[r.site, "close_min"]
                start = r.departure_min - data.loc[r.site, "service_min"]
                assert start >= r.arrival_min - 1e-6
                if not math.isnan(open_):
                    assert start >= open_ - 1e-6
                if not math.isnan(close):
                    assert start <= close + 0.05  # PyVRP works in whole seconds
            prev = rows.loc[rows["stop"] == r.stop].iloc[0]
    # CO2 per leg from the load carried over it (recomputed above in kind: checked through the fraction)
    frac = s["load_fraction"].to_numpy()
    expected = s["distance_km"] * [types[v.rsplit("#", 1)[0]].co2_kg_per_km_empty for v in s["vehicle"]] + s[
        "distance_km"
    ] * frac * [
        types[v.rsplit("#", 1)[0]].co2_kg_per_km_full - types[v.rsplit("#", 1)[0]].co2_kg_per_km_empty
        for v in s["vehicle"]
    ]
    assert np.allclose(s["co2_kg"].to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rounds_are_feasible_recomputed_from_the_rows(seed):
    problem = _problem(25, seed, FLEET)
    plan = solve_rounds(problem, FAST)
    recheck(problem, plan)
    assert len(plan.stops)


def test_multi_trip_when_the_fleet_is_short():
    """One small van for many stores: it makes several trips in its shift, each within capacity."""
    van = VehicleType("Van", 1, (100.0, math.inf, math.inf), 1.0, 10.0, 0.2, 0.3, 60.0, 0.0, 1440.0)
    problem = _problem(12, 4, (van,), windows=False, pickups=False)
    plan = solve_rounds(problem, RoundsSettings(seconds_per_stop=0.1, max_trips=8))
    recheck(problem, plan)
    assert plan.stops["trip"].max() >= math.ceil(problem.stops["units"].sum() / 100.0)
    assert not len(plan.unserved)


def _tsp_optimum(km: np.ndarray) -> float:
    n = len(km) - 1
    best = math.inf
    for order in itertools.permutations(range(1, n + 1)):
        path = (0, *order, 0)
        best = min(best, sum(km[a, b] for a, b in itertools.pairwise(path)))
    return best


@pytest.mark.parametrize("seed", [5, 6])
def test_one_vehicle_without_limits_finds_the_brute_force_tour(seed):
    """Seven stores, one vehicle with room for everything: the round is the optimal travelling salesman
    tour (all 5,040 orders enumerated)."""
    van = VehicleType("Van", 1, (math.inf, math.inf, math.inf), 1.0, 0.0)
    problem = _problem(7, seed, (van,), windows=False, pickups=False)
    plan = solve_rounds(problem, RoundsSettings(seconds_per_stop=0.2))
    assert plan.stops["distance_km"].sum() == pytest.approx(_tsp_optimum(problem.km), rel=1e-9)


def test_capacity_split_against_brute_force_partition():
    """Six stores, vans of capacity 100 (two needed): the plan's km equals the best over every split of the
    stores into two capacity-feasible tours, each tour at its brute-force optimum."""
    van = VehicleType("Van", 2, (100.0, math.inf, math.inf), 1.0, 0.0)
    problem = _problem(6, 8, (van,), windows=False, pickups=False)
    units = np.array([30.0, 40.0, 20.0, 35.0, 25.0, 30.0])
    problem.stops["units"] = units

    def tour(nodes):
        if not nodes:
            return 0.0
        return min(
            sum(problem.km[a, b] for a, b in itertools.pairwise((0, *p, 0))) for p in itertools.permutations(nodes)
        )

    best = math.inf
    for mask in range(1, 2**6 - 1):
        a = [i + 1 for i in range(6) if mask >> i & 1]
        b = [i + 1 for i in range(6) if not mask >> i & 1]
        if units[[i - 1 for i in a]].sum() <= 100 and units[[i - 1 for i in b]].sum() <= 100:
            best = min(best, tour(a) + tour(b))
    plan = solve_rounds(problem, RoundsSettings(seconds_per_stop=0.3))
    recheck(problem, plan)
    assert plan.stops["distance_km"].sum() == pytest.approx(best, rel=1e-9)


def test_what_no_vehicle_can_serve_is_listed_with_its_reason():
    van = VehicleType("Van", 2, (100.0, 10.0, 1000.0), 1.0, 0.0, speed_kmh=60.0, shift_start=480.0, shift_end=720.0)
    problem = _problem(6, 9, (van,), windows=False, pickups=False)
    stops = problem.stops
    stops.loc[0, "units"] = 150.0  # heavier than any vehicle
    stops.loc[1, "open_min"], stops.loc[1, "close_min"] = 1200.0, 1260.0  # after every shift
    plan = solve_rounds(problem, FAST)
    why = plan.unserved.set_index("site")["reason"]
    assert "too large" in why["S1"] and "units" in why["S1"]
    assert "time window" in why["S2"]
    recheck(problem, plan)
    none = solve_rounds(RoundsProblem("DC", DAY, stops, problem.km, problem.minutes, ()), FAST)
    assert set(none.unserved["site"]) == set(stops["site"])
    assert none.unserved["reason"].str.contains("no vehicle").all()


def test_split_deliveries_cover_a_drop_larger_than_a_vehicle():
    van = VehicleType("Van", 4, (100.0, math.inf, math.inf), 1.0, 0.0)
    problem = _problem(4, 10, (van,), windows=False, pickups=False)
    problem.stops.loc[0, "units"] = 250.0
    kept = solve_rounds(problem, FAST)
    assert "S1" in set(kept.unserved["site"])
    split = solve_rounds(problem, RoundsSettings(seconds_per_stop=0.05, split_deliveries=True))
    assert not len(split.unserved)
    assert (split.stops["site"] == "S1").sum() == 3
    recheck(problem, split, split=True)


def test_an_infeasible_plan_refuses_to_exist():
    van = VehicleType("Van", 1, (10.0, math.inf, math.inf))
    rows = [
        ["DC", DAY, "Van#1", 1, 1, 0, "DC", 0.0, 0.0, 20.0] + [0.0] * 9,
        ["DC", DAY, "Van#1", 1, 1, 1, "S1", 10.0, 15.0, 0.0, 20.0] + [0.0] * 8,
        ["DC", DAY, "Van#1", 1, 1, 2, "DC", 20.0, 20.0, 0.0] + [0.0] * 9,
    ]
    with pytest.raises(ValueError, match="over capacity"):
        RoundsPlan(pd.DataFrame(rows, columns=STOP_COLUMNS), pd.DataFrame(), {"DC": (van,)})


def _rounds_sheets(**changes) -> dict[str, list[list]]:
    """The minimal workbook with a DC at the origin, four stores around it and two vans."""
    due = pd.Timestamp("2026-03-03").to_pydatetime()
    sheets = minimal_sheets(
        Sites=[
            ["site", "type", "capacity_m3", "source", "x_km", "y_km", "open_time", "close_time", "service_minutes"],
            ["S1", "dc", None, None, 0, 0, None, None, None],
            ["Shop-A", "store", None, "S1", 10, 0, "07:00", "12:00", 15],
            ["Shop-B", "store", None, "S1", 10, 10, dt.time(8, 0), dt.time(17, 0), 15],
            ["Shop-C", "store", None, "S1", -5, 8, None, None, 10],
            ["Shop-D", "store", None, "S1", -8, -6, None, None, 10],
        ],
        Vehicles=[
            [
                "vehicle",
                "depot",
                "count",
                "capacity_units",
                "cost_per_km",
                "fixed_cost",
                "co2_kg_per_km_empty",
                "co2_kg_per_km_full",
                "speed_kmh",
                "shift_start",
                "shift_end",
            ],
            ["Van", "S1", 2, 100, 0.8, 50, 0.2, 0.3, 40, "06:00", "18:00"],
        ],
        Requirements=[
            ["destination", "sku", "quantity", "due_date"],
            ["Shop-A", "A", 40, due],
            ["Shop-B", "A", 30, due],
            ["Shop-C", "B", 50, due],
            ["Shop-D", "B", 20, due],
        ],
    )
    sheets.update(changes)
    return sheets


@pytest.mark.slow
def test_workbook_route_writes_routes_summary_and_the_route_map(tmp_path):
    from planner.channels.api import plan_workbook

    path = write_blocks(tmp_path / "r.xlsx", _rounds_sheets())
    result = plan_workbook(path, output=tmp_path / "out.xlsx")
    r = result.rounds
    assert r.comparison["units_delivered"] == 140.0
    assert r.comparison["km"] < r.comparison["direct_km"]
    # direct delivery: one return trip per store, straight-line km both ways
    assert r.comparison["direct_km"] == pytest.approx(2 * (10 + math.hypot(10, 10) + math.hypot(5, 8) + 10.0))
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    routes = wb["Routes"]
    header = [c.value for c in routes[1]]
    assert header[:14] == [
        "date",
        "depot",
        "vehicle",
        "route",
        "trip",
        "stop",
        "site",
        "arrival",
        "departure",
        "load_units",
        "delivered",
        "picked_up",
        "distance_km",
        "co2_kg",
    ]
    assert routes._charts and routes._charts[0].tagname == "scatterChart"
    summary = wb["Route Summary"]
    assert [c.value for c in summary[1]][:3] == ["date", "depot", "route"]
    kpis = {row[0].value: row[1].value for row in wb["KPIs"].iter_rows(min_row=2)}
    assert kpis["km_per_drop"] == pytest.approx(r.comparison["km"] / 4)


@pytest.mark.slow
def test_bad_round_inputs_are_reported_with_sheet_row_column_value(tmp_path):
    from planner.channels.api import plan_workbook

    sheets = _rounds_sheets()
    sheets["Sites"][2][6] = "25:99"  # not a time
    sheets["Vehicles"].append(["Truck", "S1", 1, 300, 1, 0, 0, 0, 50, "18:00", "06:00"])  # ends before it starts
    result = plan_workbook(write_blocks(tmp_path / "bad.xlsx", sheets))
    issues = result.issues
    bad_time = issues[(issues["sheet"] == "Sites") & (issues["column"] == "open_time")]
    assert bad_time["row"].tolist() == [3] and bad_time["value"].tolist() == ["25:99"]
    shift = issues[(issues["sheet"] == "Vehicles") & (issues["code"] == "bad_shift")]
    assert shift["row"].tolist() == [3]
    assert set(result.rounds.summary["vehicle"].str.rsplit("#").str[0]) == {"Van"}


@pytest.mark.slow
def test_route_distance_function_equals_the_routes_km(tmp_path):
    """ROUTE_DISTANCE over a route's sites in visiting order (depot first and last) gives the km the Routes
    rows add up to; by hand, the 3-4-5 triangle closed: 12."""
    from planner.channels.api import plan_workbook
    from planner.channels.excel.functions import planner_route_distance

    result = plan_workbook(write_blocks(tmp_path / "r.xlsx", _rounds_sheets()))
    stops = result.rounds.stops
    pos = result.rounds.positions.set_index("site")
    for _, rows in stops.groupby(["vehicle", "route"]):
        sites = [[s] for s in rows["site"]]
        x, y = [[pos.loc[s, "x"]] for s in rows["site"]], [[pos.loc[s, "y"]] for s in rows["site"]]
        assert planner_route_distance(sites, x, y) == [[pytest.approx(rows["distance_km"].sum())]]
    assert planner_route_distance([["D"], ["A"], ["B"], ["D"]], [[0], [3], [3], [0]], [[0], [4], [0], [0]]) == [[12.0]]
    assert planner_route_distance([["D"], ["A"]], [[0], [1], [2]], [[0], [4]])[0][0].startswith("#VALUE!")


def test_deliveries_of_a_day_from_a_transfer_frame():
    """The interface the synchronised plan's transfers use: units summed per origin, destination and ship
    date, volume and weight from Items (blank counts 0)."""
    from planner.pipeline.rounds import deliveries_by_day

    items = pd.DataFrame({"sku": ["A", "B"], "unit_volume_m3": [0.01, np.nan], "unit_weight_kg": [2.0, 0.5]})
    day = pd.Timestamp("2026-03-03")
    transfers = pd.DataFrame({
        "sku": ["A", "B", "A", "A"], "origin": ["DC", "DC", "DC", None], "destination": ["S1", "S1", "S2", "S3"],
        "quantity": [10.0, 4.0, 3.0, 5.0], "ship_date": [day, day, day + pd.Timedelta(days=1), day],
        "due_date": [day, day, day, day],
    })  # fmt: skip
    got = deliveries_by_day(transfers, items).set_index("site")
    assert list(got.index) == ["S1", "S2"]  # no origin: not a round's delivery
    assert got.loc["S1", ["units", "m3", "kg"]].tolist() == pytest.approx([14.0, 0.1, 22.0])
    assert got.loc["S2", "date"] == day + pd.Timedelta(days=1)


def test_great_circle_quarter_meridian():
    """Equator to pole along a meridian is a quarter of the circumference: π/2 × 6371.0088 km."""
    from planner.pipeline.rounds import EARTH_RADIUS_KM, great_circle_km

    assert great_circle_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM)
    assert great_circle_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1


@pytest.mark.slow
def test_same_problem_and_seed_give_the_same_routes_under_load():
    """The search is bounded by iterations, not by the clock: a 40-store depot-day solved alone and again while
    two other processes keep both cores busy (the search gets about half the CPU) gives the same routes, the
    budget's iterations done both times. The budget is small enough that the search is still improving (half
    of it gives a costlier plan), so a search that did fewer iterations under load would show."""
    problem = _problem(40, 8, FLEET)
    settings = RoundsSettings(iterations_per_stop=5, min_iterations=1, seconds_per_stop=5.0)
    alone = solve_rounds(problem, settings)
    half = solve_rounds(problem, RoundsSettings(iterations_per_stop=2, min_iterations=1, seconds_per_stop=5.0))
    assert half.objective > alone.objective
    with multiprocessing.get_context("fork").Pool(2) as pool:
        busy = pool.map_async(_burn, [3.0, 3.0])
        time.sleep(0.3)
        loaded = solve_rounds(problem, settings)
        busy.get()
    assert not alone.time_limited and not loaded.time_limited
    pd.testing.assert_frame_equal(alone.stops, loaded.stops)
    assert alone.objective == loaded.objective


def test_a_search_the_time_cap_stops_is_listed_in_the_plan():
    """A budget no machine finishes in the cap (10^6 iterations per store, 1 s): the plan lists the
    depot-day, with fewer iterations done than asked, and is still a feasible plan."""
    problem = _problem(12, 3, FLEET)
    plan = solve_rounds(problem, RoundsSettings(iterations_per_stop=1_000_000, seconds_per_stop=0.01))
    (capped,) = plan.time_limited
    assert (capped.depot, capped.day, capped.budget, capped.seconds) == ("DC", DAY, 12_000_000, 1.0)
    assert 0 < capped.iterations < capped.budget
    recheck(problem, plan)
    assert not solve_rounds(problem, FAST).time_limited


def test_a_day_searched_twice_under_the_cap_is_listed_once():
    """One van of 100 units for twelve stores of 5 to 60 units: no plan serves every store, so the day is
    searched again with optional stores; both searches stopped by the cap (10^6 iterations per store, 1 s):
    listed once, with fewer iterations than asked, the stores it cannot take listed as unserved."""
    van = (VehicleType("Van", 1, (100.0, 10.0, 1500.0), 0.6, 40.0, 0.2, 0.3, 45.0, 360.0, 1080.0),)
    problem = _problem(12, 3, van, windows=False, pickups=False)
    plan = solve_rounds(problem, RoundsSettings(iterations_per_stop=1_000_000, seconds_per_stop=0.01, max_trips=1))
    (capped,) = plan.time_limited
    assert 0 < capped.iterations < capped.budget == 12_000_000 and len(plan.unserved) > 0
    recheck(problem, plan)


@pytest.mark.slow
def test_workbook_lists_a_time_capped_route_search_in_issues(tmp_path):
    from planner.channels.api import plan_workbook

    sheets = _rounds_sheets()
    sheets["Settings"] += [["rounds_iterations_per_stop", 1_000_000], ["rounds_seconds_per_stop", 0.01]]
    issues = plan_workbook(write_blocks(tmp_path / "capped.xlsx", sheets)).issues
    capped = issues[issues["code"] == "rounds_time_limit"]
    assert capped["sheet"].tolist() == ["Settings"] and capped["column"].tolist() == ["rounds_seconds_per_stop"]
    assert capped["message"].str.contains("the route search of S1 on 2026-03-03 stopped at its 1 s cap").all()
    plain = plan_workbook(write_blocks(tmp_path / "plain.xlsx", _rounds_sheets())).issues
    assert not (plain["code"] == "rounds_time_limit").any()
