"""Distribution plan: a textbook transportation problem, fairness under shortage, trucks, lateness, carbon,
and every constraint on random instances (LP and truck MILP)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from planner.core.optimize.distribution import DistributionModel, DistributionSettings, plan_distribution

DAY0 = pd.Timestamp("2026-03-02")
CFG = DistributionSettings(planning_date=DAY0)
LANE_COLUMNS = ["origin", "destination", "distance_km", "cost_per_unit", "transit_days", "mode", "truck_capacity_m3",
                "cost_per_truck", "co2_kg_per_tkm", "truck_capacity_kg"]  # fmt: skip


def lanes(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c, np.nan) for c in LANE_COLUMNS} for r in rows])


def reqs(*rows: tuple) -> pd.DataFrame:
    """(destination, sku, quantity[, due_date, priority])"""
    out = []
    for r in rows:
        r = tuple(r) + (None,) * (5 - len(r))
        out.append({"destination": r[0], "sku": r[1], "quantity": float(r[2]), "due_date": pd.Timestamp(r[3]) if r[3]
                    else pd.NaT, "priority": r[4] if r[4] is not None else np.nan, "_row": len(out) + 2})  # fmt: skip
    return pd.DataFrame(out)


def supply(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["site", "sku", "available"])


def items(**skus: tuple[float, float]) -> pd.DataFrame:
    """sku=(unit_volume_m3, unit_weight_kg)"""
    return pd.DataFrame(skus, index=["unit_volume_m3", "unit_weight_kg"]).T.rename_axis("sku")


def test_textbook_transportation_problem():
    """Winston, Operations Research, Powerco (section 7.1): 3 plants, 4 cities, optimal cost 1,020."""
    cost = [[8, 6, 10, 9], [9, 12, 13, 7], [14, 9, 16, 5]]
    ln = lanes(*[{"origin": f"P{i}", "destination": f"C{j}", "cost_per_unit": float(cost[i][j]), "distance_km": 1.0}
                 for i in range(3) for j in range(4)])  # fmt: skip
    plan = plan_distribution(supply(("P0", "X", 35), ("P1", "X", 50), ("P2", "X", 40)),
                             reqs(("C0", "X", 45), ("C1", "X", 20), ("C2", "X", 30), ("C3", "X", 30)), ln,
                             items(X=(0.0, 0.0)), CFG)  # fmt: skip
    assert plan.totals["transport_cost"] == pytest.approx(1020)
    assert plan.totals["units_short"] == 0
    f = plan.flows.groupby("origin")["quantity"].sum()
    assert list(f) == [35, 50, 40]


def test_shortage_is_shared_by_priority_without_starving_anyone():
    """100 units for 3 stores wanting 100 each (rho = 1/3): each first gets floor(0.5 x 1/3 x 100) = 16, the
    rest goes to the highest priority, even over a cheaper lane."""
    ln = lanes({"origin": "DC", "destination": "Hi", "cost_per_unit": 5.0},
               {"origin": "DC", "destination": "Lo", "cost_per_unit": 1.0},
               {"origin": "DC", "destination": "Lo2", "cost_per_unit": 1.0})  # fmt: skip
    plan = plan_distribution(supply(("DC", "X", 100)), reqs(("Hi", "X", 100, None, 3), ("Lo", "X", 100, None, 1),
                             ("Lo2", "X", 100, None, 1)), ln, items(X=(0.01, 1.0)), CFG)  # fmt: skip
    got = plan.requirements.set_index("destination")["delivered"]
    assert got["Lo"] == 16 and got["Lo2"] == 16 and got["Hi"] == 68
    assert got.sum() == 100
    # service penalty: 32 short at priority 3, 2 x 84 at priority 1, at (1,000 + the dearest path, 5) x (1 + priority)
    assert plan.totals["penalty_cost"] == pytest.approx(32 * 4 * 1005 + 2 * 84 * 2 * 1005)
    # equal priorities: the floor still holds for everyone, however cheap the other lane
    ln2 = lanes({"origin": "DC", "destination": "A", "cost_per_unit": 1.0},
                {"origin": "DC", "destination": "B", "cost_per_unit": 50.0})  # fmt: skip
    plan2 = plan_distribution(supply(("DC", "X", 60)), reqs(("A", "X", 100), ("B", "X", 100)), ln2,
                              items(X=(0.01, 1.0)), CFG)  # fmt: skip
    got2 = plan2.requirements.set_index("destination")["delivered"]
    assert got2["B"] == np.floor(0.5 * 0.3 * 100) and got2["A"] == 60 - got2["B"]
    # without the floor, the cheap lane takes everything: the floor is what prevents starvation
    plan3 = plan_distribution(supply(("DC", "X", 60)), reqs(("A", "X", 100), ("B", "X", 100)), ln2,
                              items(X=(0.01, 1.0)), DistributionSettings(DAY0, fair_share_floor=0.0))  # fmt: skip
    assert plan3.requirements.set_index("destination")["delivered"]["B"] == 0


def test_trucks_whole_and_filled():
    """0.5 m³ units, 30 m³ trucks at 400 each: 130 units = 65 m³ need 3 trucks (fill 65/90)."""
    ln = lanes({"origin": "DC", "destination": "S", "truck_capacity_m3": 30.0, "cost_per_truck": 400.0,
                "distance_km": 100.0, "mode": "road"})  # fmt: skip
    plan = plan_distribution(supply(("DC", "X", 500)), reqs(("S", "X", 130)), ln, items(X=(0.5, 10.0)), CFG)
    s = plan.shipments.iloc[0]
    assert s["trucks"] == 3 and s["fill"] == pytest.approx(65 / 90) and s["transport_cost"] == 1200
    # CO2 by vehicle-km, load-dependent: 3 trips x 100 km x 0.6 empty + 100 km x (1.0 - 0.6) x 1,300 kg / 25 t
    assert s["co2_kg"] == pytest.approx(3 * 100 * 0.6 + 100 * 0.4 * 1300 / 25_000)
    assert plan.totals["truck_fill"] == pytest.approx(65 / 90)


def test_late_lanes_are_penalised_and_reported():
    ln = lanes({"origin": "Far", "destination": "S", "cost_per_unit": 1.0, "transit_days": 5.0},
               {"origin": "Near", "destination": "S", "cost_per_unit": 3.0, "transit_days": 1.0})  # fmt: skip
    r = reqs(("S", "X", 10, DAY0 + pd.Timedelta(days=2)))
    plan = plan_distribution(supply(("Far", "X", 100), ("Near", "X", 4)), r, ln, items(X=(0.0, 1.0)), CFG)
    f = plan.flows.set_index("origin")
    assert f.loc["Near", "quantity"] == 4 and f.loc["Far", "quantity"] == 6  # the fast lane as far as it can
    assert bool(f.loc["Near", "on_time"]) and not bool(f.loc["Far", "on_time"])
    assert plan.totals["on_time_units"] == 4
    # 3 days late (5-day transit, due in 2) at 100 + the dearest path (3) per unit and day
    assert plan.totals["late_units"] == 6 and plan.totals["penalty_cost"] == pytest.approx(6 * 3 * 103)
    assert list(f["late_days"]) == [3, 0] or f.loc["Far", "late_days"] == 3
    cheap = plan_distribution(supply(("Far", "X", 100), ("Near", "X", 4)), r, ln, items(X=(0.0, 1.0)),
                              DistributionSettings(DAY0, late_penalty_per_unit=0.5, scaled_penalty=False))  # fmt: skip
    assert cheap.flows.set_index("origin").loc["Far", "quantity"] == 10  # 3 x 0.5 late costs less than 2 more


def test_carbon_price_moves_flows_to_the_cleaner_lane():
    """Air: 1/unit, 1.13 kg/tkm; rail: 1.5/unit, 0.028 kg/tkm; 10 kg units over 1,000 km: 11.3 vs 0.28 kg per
    unit. Rail pays once carbon costs more than 0.5 / 11.02 kg = 45.4 per tonne."""
    far = {"destination": "S", "distance_km": 1000.0}
    ln = lanes({"origin": "A", "mode": "air", "cost_per_unit": 1.0, **far},
               {"origin": "B", "mode": "rail", "cost_per_unit": 1.5, **far})  # fmt: skip
    args = (supply(("A", "X", 50), ("B", "X", 50)), reqs(("S", "X", 40)), ln, items(X=(0.0, 10.0)))
    for price, origin in ((0.0, "A"), (40.0, "A"), (50.0, "B"), (100.0, "B")):
        plan = plan_distribution(*args, DistributionSettings(DAY0, carbon_price_per_t=price))
        assert list(plan.flows["origin"]) == [origin], price


def check_constraints(plan, sup, rq, ln, it):
    f = plan.flows
    assert np.allclose(f["quantity"], np.round(f["quantity"]))  # whole units
    out = f.groupby(["origin", "sku"])["quantity"].sum()
    cap = sup.set_index(["site", "sku"])["available"]
    assert (out <= cap.reindex(out.index) + 1e-6).all()
    got = plan.requirements["delivered"] + plan.requirements["short"]
    assert np.allclose(got, rq["quantity"])
    lanes_used = set(zip(f["origin"], f["destination"], strict=True))
    assert lanes_used <= set(zip(ln["origin"], ln["destination"], strict=True))
    trucks = plan.shipments.dropna(subset=["trucks"])
    assert (trucks["volume_m3"] <= trucks["trucks"] * trucks["truck_capacity_m3"] + 1e-6).all()
    assert np.allclose(trucks["trucks"], np.round(trucks["trucks"]))


def random_network(seed: int, n_o: int = 6, n_d: int = 30, n_sku: int = 4, trucks: bool = False):
    rng = np.random.default_rng(seed)
    skus = [f"K{i}" for i in range(n_sku)]
    sup = supply(*[(f"O{o}", k, float(rng.integers(0, 80))) for o in range(n_o) for k in skus])
    rq = reqs(*[(f"D{d}", k, float(rng.integers(1, 30)), None, float(rng.integers(0, 3)))
                for d in range(n_d) for k in rng.choice(skus, 2, replace=False)])  # fmt: skip
    rows = []
    for o in range(n_o):
        for d in range(n_d):
            if rng.random() < 0.6:
                row = {"origin": f"O{o}", "destination": f"D{d}", "distance_km": float(rng.integers(50, 900)),
                       "transit_days": float(rng.integers(1, 4)), "mode": "road"}  # fmt: skip
                if trucks and rng.random() < 0.7:
                    row.update(truck_capacity_m3=20.0, cost_per_truck=float(100 + row["distance_km"]))
                else:
                    row["cost_per_unit"] = float(np.round(0.2 + row["distance_km"] / 500, 2))
                rows.append(row)
    it = pd.DataFrame({"unit_volume_m3": rng.uniform(0.01, 0.3, n_sku), "unit_weight_kg": rng.uniform(1, 20, n_sku)},
                      index=pd.Index(skus, name="sku"))  # fmt: skip
    return sup, rq, lanes(*rows), it


@pytest.mark.parametrize("seed", [3, 4])
def test_random_lp_is_feasible_whole_and_optimal(seed):
    sup, rq, ln, it = random_network(seed)
    cfg = DistributionSettings(DAY0, fair_share_floor=0.0)
    plan = plan_distribution(sup, rq, ln, it, cfg)
    check_constraints(plan, sup, rq, ln, it)
    # independent optimum: the same transportation LP written densely over (lane, sku) with linprog
    lane = ln.reset_index(drop=True)
    pairs = [(li, k) for li in range(len(lane)) for k in it.index]
    dest_rows = list(rq.itertuples())
    nv = len(pairs) + len(dest_rows)
    c = np.array([lane.loc[li, "cost_per_unit"] for li, _ in pairs]
                 + [1000 * (1 + r.priority) for r in dest_rows])  # fmt: skip
    A_eq = np.zeros((len(dest_rows), nv))
    for j, r in enumerate(dest_rows):
        for v, (li, k) in enumerate(pairs):
            if lane.loc[li, "destination"] == r.destination and k == r.sku:
                A_eq[j, v] = 1
        A_eq[j, len(pairs) + j] = 1
    keys = list(sup.itertuples())
    A_ub = np.zeros((len(keys), nv))
    for j, s in enumerate(keys):
        for v, (li, k) in enumerate(pairs):
            if lane.loc[li, "origin"] == s.site and k == s.sku:
                A_ub[j, v] = 1
    ref = linprog(c, A_ub=A_ub, b_ub=sup["available"].to_numpy(), A_eq=A_eq, b_eq=rq["quantity"].to_numpy())
    ours = plan.totals["transport_cost"] + (plan.requirements["short"] * 1000 * (1 + rq["priority"])).sum()
    assert ours == pytest.approx(ref.fun, rel=1e-6, abs=1e-3)  # no late lanes: no due dates given


def test_random_truck_milp_meets_every_constraint():
    sup, rq, ln, it = random_network(5, trucks=True)
    plan = plan_distribution(sup, rq, ln, it, CFG)
    check_constraints(plan, sup, rq, ln, it)
    assert plan.gap <= 1e-4
    assert plan.shipments["trucks"].notna().any()


def test_unreachable_destination_is_short_not_an_error():
    ln = lanes({"origin": "DC", "destination": "S1", "cost_per_unit": 1.0})
    plan = plan_distribution(supply(("DC", "X", 50)), reqs(("S1", "X", 10), ("S9", "X", 5)), ln, items(X=(0, 1)),
                             CFG)  # fmt: skip
    r = plan.requirements.set_index("destination")
    assert r.loc["S1", "delivered"] == 10 and r.loc["S9", "short"] == 5


def same_plan(a, b) -> None:
    for frame in ("flows", "shipments", "requirements"):
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame), check_exact=True)
    assert pd.Series(a.totals).equals(pd.Series(b.totals)) and (a.status, a.gap) == (b.status, b.gap)


@pytest.mark.parametrize("trucks", [False, True])
def test_one_model_solved_at_two_carbon_prices_equals_two_fresh_plans(trucks):
    """DistributionModel built once and solved at 0 and 500 per t CO2e (and at 0 again) gives exactly what
    plan_distribution gives at each price; with rail beside road on some lanes, the price moves the plan."""
    sup, rq, ln, it = random_network(6, trucks=trucks)
    rail = ln.sample(frac=0.5, random_state=1).assign(
        mode="rail", cost_per_unit=lambda d: d["cost_per_unit"].fillna(0.5) + 0.1
    )
    ln = pd.concat([ln, rail.assign(cost_per_truck=np.nan, truck_capacity_m3=np.nan)], ignore_index=True)
    cfg = DistributionSettings(DAY0, carbon_price_per_t=500.0)
    model = DistributionModel.build(sup, rq, ln, it, cfg)
    green, cheap, again = model.solve(), model.solve(carbon_price_per_t=0.0), model.solve(carbon_price_per_t=0.0)
    same_plan(green, plan_distribution(sup, rq, ln, it, cfg))
    same_plan(cheap, plan_distribution(sup, rq, ln, it, replace(cfg, carbon_price_per_t=0.0)))
    same_plan(again, cheap)
    assert green.totals["co2_kg"] < cheap.totals["co2_kg"]
    assert green.totals["transport_cost"] > cheap.totals["transport_cost"]


# Hillier & Lieberman, Introduction to Operations Research, the P&T Company: 3 canneries, 4 warehouses,
# 300 truckloads of peas; cost per truckload; optimal cost 152,535.
PT_COST = [[464, 513, 654, 867], [352, 416, 690, 791], [995, 682, 388, 685]]
PT_OUTPUT, PT_ALLOCATION = (75, 125, 100), (80, 65, 70, 85)


def pt_problem(scale: float):
    ln = lanes(*[{"origin": f"C{i}", "destination": f"W{j}", "cost_per_unit": PT_COST[i][j] * scale}
                 for i in range(3) for j in range(4)])  # fmt: skip
    sup = supply(*[(f"C{i}", "peas", float(q)) for i, q in enumerate(PT_OUTPUT)])
    rq = reqs(*[(f"W{j}", "peas", float(q)) for j, q in enumerate(PT_ALLOCATION)])
    return sup, rq, ln, items(peas=(0.0, 0.0))


@pytest.mark.parametrize("scale", [1, 2, 10, 1000])
def test_pt_company_ships_all_300_truckloads_at_any_cost_scale(scale):
    """The scaled penalties (the default) ship all 300 truckloads at the textbook optimum 152,535 x scale,
    whatever the costs' scale; the flat 1,000 per unit (penalty_scaling = flat) ships 195 at x 2, none at x 10,
    and says why: the lanes cost more than the shortage penalty (not missing stock)."""
    plan = plan_distribution(*pt_problem(scale), CFG)
    assert plan.totals["units_shipped"] == 300 and plan.totals["units_short"] == 0
    assert plan.totals["transport_cost"] == pytest.approx(152_535 * scale)
    flat = plan_distribution(*pt_problem(scale), replace(CFG, scaled_penalty=False))
    expected_flat = {1: 300, 2: 195, 10: 0, 1000: 0}[scale]
    assert flat.totals["units_shipped"] == expected_flat
    # the flat plan's shortfalls name the penalty, not missing stock (the canneries still hold the peas)
    if expected_flat < 300:
        causes = set(flat.requirements.loc[flat.requirements["short"] > 0, "cause"])
        assert causes and all("shortage penalty" in c for c in causes)
    assert (plan.requirements["cause"] == "").all()


def truck_lane(origin: str, transit: float, cost: float, **extra) -> dict:
    return {"origin": origin, "destination": "S", "distance_km": 100.0, "transit_days": transit, "mode": "road",
            "truck_capacity_m3": 10.0, "cost_per_truck": cost, **extra}  # fmt: skip


def brute_force_trucks(rq, lane_rows, vol: float, stock: dict, dispatch: float) -> float:
    """Cheapest whole-unit split of every requirement over the lanes, trucks counted per lane and dispatch
    period (ship date = due - transit, not before day 0) by ceil(m3 / capacity): enumerates every split."""
    import itertools

    per_req = []
    for r in rq.itertuples():
        q = int(r.quantity)
        per_req.append([(k, q - k) for k in range(q + 1)])  # units on lane 0, lane 1
    best = np.inf
    for combo in itertools.product(*per_req):
        used = {ln["origin"]: 0 for ln in lane_rows}
        loads: dict = {}
        for r, split in zip(rq.itertuples(), combo, strict=True):
            for ln, units in zip(lane_rows, split, strict=True):
                if units:
                    used[ln["origin"]] += units
                    day = max((r.due_date - DAY0).days - ln["transit_days"], 0)
                    key = (ln["origin"], int(day // dispatch))
                    loads[key] = loads.get(key, 0.0) + units * vol
        if any(used[o] > stock[o] for o in used):
            continue
        cost = sum(np.ceil(m3 / 10.0 - 1e-9) * next(ln["cost_per_truck"] for ln in lane_rows if ln["origin"] == o)
                   for (o, _), m3 in loads.items())  # fmt: skip
        best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(4))
def test_trucks_per_lane_and_period_against_brute_force(seed):
    """Two truck lanes into one store (transit 1 and 3 days), three requirements due over five weeks, weekly
    dispatch: the plan's truck cost equals the cheapest split found by enumeration, and no truck carries items
    of two dispatch periods."""
    rng = np.random.default_rng(seed)
    lane_rows = [
        truck_lane("A", 1.0, float(rng.integers(100, 200))),
        truck_lane("B", 3.0, float(rng.integers(100, 200))),
    ]
    rq = reqs(*[("S", "X", float(rng.integers(2, 7)), DAY0 + pd.Timedelta(days=int(d)))
                for d in rng.choice(np.arange(4, 35), 3, replace=False)])  # fmt: skip
    stock = {"A": float(rng.integers(5, 12)), "B": 30.0}
    cfg = DistributionSettings(DAY0, dispatch_days=7.0)
    plan = plan_distribution(supply(*[(o, "X", s) for o, s in stock.items()]), rq, lanes(*lane_rows),
                             items(X=(2.5, 10.0)), cfg)  # fmt: skip
    assert plan.totals["units_short"] == 0 and plan.totals["late_units"] == 0
    assert plan.totals["transport_cost"] == pytest.approx(brute_force_trucks(rq, lane_rows, 2.5, stock, 7.0))
    sh = plan.shipments
    periods = (sh["ship_date"] - DAY0).dt.days // 7
    assert not sh.assign(p=periods).duplicated(["origin", "p"]).any()  # one row per lane and period
    assert (sh["volume_m3"] <= sh["trucks"] * 10.0 + 1e-9).all()


def test_items_due_weeks_apart_do_not_share_a_truck_and_co2_follows_the_load():
    """5 m3 due on day 1 and 4 m3 due on day 30 on a 10 m3 lane: two trucks (one per period; counted over the
    whole plan they shared one). CO2 per trip by hand: 100 km x (0.6 + 0.4 x load / 25 t); a weight limit of
    1,500 kg makes the first period's 2,000 kg need two trucks."""
    ln = lanes(truck_lane("DC", 1.0, 300.0))
    rq = reqs(("S", "X", 10, DAY0 + pd.Timedelta(days=1)), ("S", "X", 8, DAY0 + pd.Timedelta(days=30)))
    it = items(X=(0.5, 200.0))
    plan = plan_distribution(supply(("DC", "X", 100)), rq, ln, it, CFG)
    sh = plan.shipments.sort_values("ship_date")
    assert list(sh["trucks"]) == [1, 1] and list(sh["ship_date"]) == [DAY0, DAY0 + pd.Timedelta(days=29)]
    assert list(sh["arrival"]) == [DAY0 + pd.Timedelta(days=1), DAY0 + pd.Timedelta(days=30)]
    trip = [100 * (0.6 + 0.4 * kg / 25_000) for kg in (2000, 1600)]
    assert list(sh["co2_kg"]) == pytest.approx(trip)
    assert plan.totals["co2_kg"] == pytest.approx(sum(trip))
    assert plan.totals["truck_fill"] == pytest.approx((5 / 10 + 4 / 10) / 2)
    heavy_lane = lanes(truck_lane("DC", 1.0, 300.0, truck_capacity_kg=1500.0))
    heavy = plan_distribution(supply(("DC", "X", 100)), rq, heavy_lane, it, CFG)
    h = heavy.shipments.sort_values("ship_date")
    assert list(h["trucks"]) == [2, 2]  # 2,000 kg and 1,600 kg over 1,500 kg trucks
    assert list(h["co2_kg"]) == pytest.approx([100 * (2 * 0.6 + 0.4 * kg / 1500) for kg in (2000, 1600)])
    assert list(h["fill"]) == pytest.approx([2000 / 3000, 1600 / 3000])  # by weight, the tighter limit


def test_fuller_trucks_emit_less_per_unit():
    """The same lane with 20 and 40 units of 0.25 m3 in one 10 m3 truck: CO2 per unit falls as the truck
    fills (the empty running is shared by more units)."""
    per_unit = []
    for q in (20, 40):
        plan = plan_distribution(supply(("DC", "X", 100)), reqs(("S", "X", q)), lanes(truck_lane("DC", 1.0, 300.0)),
                                 items(X=(0.25, 20.0)), CFG)  # fmt: skip
        per_unit.append(plan.totals["co2_kg_per_unit"])
    assert per_unit[1] < per_unit[0]
    assert per_unit[0] == pytest.approx(100 * (0.6 + 0.4 * 400 / 25_000) / 20)


def test_carbon_cap_is_a_constraint_and_names_itself():
    """Air (1/unit, 11.3 kg/unit) or rail (1.5/unit, 0.28 kg/unit) for 40 units: cost only ships by air (452
    kg); a 100 kg cap keeps 8 units by air (8 x 11.3 + 32 x 0.28 = 99.4 kg), an 11.5 kg cap moves all to rail
    (11.2 kg); a 5 kg cap leaves units short, blamed on the cap."""
    far = {"destination": "S", "distance_km": 1000.0}
    ln = lanes({"origin": "A", "mode": "air", "cost_per_unit": 1.0, **far},
               {"origin": "B", "mode": "rail", "cost_per_unit": 1.5, **far})  # fmt: skip
    args = (supply(("A", "X", 50), ("B", "X", 50)), reqs(("S", "X", 40)), ln, items(X=(0.0, 10.0)))
    free = plan_distribution(*args, CFG)
    assert free.totals["co2_kg"] == pytest.approx(40 * 11.3)
    capped = plan_distribution(*args, replace(CFG, co2_cap_kg=100.0))
    assert capped.flows.set_index("origin")["quantity"].to_dict() == {"A": 8, "B": 32}
    rail = plan_distribution(*args, replace(CFG, co2_cap_kg=11.5))
    assert list(rail.flows["origin"]) == ["B"] and rail.totals["co2_kg"] == pytest.approx(40 * 0.28)
    tight = plan_distribution(*args, replace(CFG, co2_cap_kg=5.0))
    assert tight.totals["co2_kg"] <= 5.0 + 1e-9 and tight.totals["units_shipped"] == np.floor(5.0 / 0.28)
    assert "CO2 cap" in tight.requirements.loc[0, "cause"]


def test_planned_transfers_enter_as_requirements_from_their_origin():
    """A netting's planned transfer (sku, origin, destination, quantity, ship_date, due_date) must come from
    its own origin, even when another origin's lane is cheaper."""
    from planner.core.optimize.distribution import transfers_as_requirements

    ln = lanes({"origin": "P", "destination": "S", "cost_per_unit": 1.0, "transit_days": 2.0},
               {"origin": "DC", "destination": "S", "cost_per_unit": 5.0, "transit_days": 2.0})  # fmt: skip
    tr = pd.DataFrame(
        {
            "sku": ["X"],
            "origin": ["DC"],
            "destination": ["S"],
            "quantity": [7.0],
            "ship_date": [DAY0 + pd.Timedelta(days=3)],
            "due_date": [DAY0 + pd.Timedelta(days=5)],
        }
    )
    plan = plan_distribution(supply(("P", "X", 50), ("DC", "X", 50)), transfers_as_requirements(tr), ln,
                             items(X=(0.0, 1.0)), CFG)  # fmt: skip
    f = plan.flows.iloc[0]
    assert (f["origin"], f["quantity"], f["ship_date"]) == ("DC", 7, DAY0 + pd.Timedelta(days=3))
