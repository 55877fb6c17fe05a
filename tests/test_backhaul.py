"""Backhaul of returns on the outbound trucks' way back: hand-computed trips and CO2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.core.backhaul import plan_backhaul

DAY0 = pd.Timestamp("2026-03-02")
E, FULL, PAYLOAD = 0.6, 1.0, 25_000.0


def test_returns_ride_back_on_outbound_trucks_and_the_rest_goes_dedicated():
    """DC -> S1 runs 2 trucks of 10 m3 in week 0 and none in week 1; a lane S1 -> DC (200 km) exists, S2 has no
    lane back (its truck lane's 50 km serve). Week 0: 25 m3 (250 units, 0.1 m3 and 4 kg each: 1,000 kg)
    returned: 20 m3 (80 %) back on the two trucks, 5 m3 on one dedicated truck. Week 1: 30 units (3 m3,
    120 kg) all dedicated, one truck, to DC2, the nearest DC back (60 km), since no outbound truck runs that
    week; week 0 goes to DC, whose trucks run."""
    lanes = pd.DataFrame(
        {
            "origin": ["DC", "S1", "DC", "DC2", "S1"],
            "destination": ["S1", "DC", "S2", "S1", "DC2"],
            "distance_km": [210.0, 200.0, 50.0, 60.0, 60.0],
            "truck_capacity_m3": 10.0,
            "cost_per_truck": 300.0,
        }
    )
    ship = pd.DataFrame(
        {"origin": ["DC"], "destination": ["S1"], "ship_date": [DAY0 + pd.Timedelta(days=2)], "trucks": [2.0]}
    )
    items = pd.DataFrame({"unit_volume_m3": [0.1], "unit_weight_kg": [4.0]}, index=pd.Index(["X"], name="sku"))
    returns = pd.DataFrame(
        {
            "sku": "X",
            "site": ["S1", "S1", "S1", "S2"],
            "quantity": [200.0, 50.0, 30.0, 5.0],
            "date": [DAY0, DAY0 + pd.Timedelta(days=3), DAY0 + pd.Timedelta(days=8), DAY0],
        }
    )
    out = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0).set_index(["site", "period"])
    w0 = out.loc[("S1", 0)]
    assert (w0["dc"], w0["units"], w0["volume_m3"], w0["weight_kg"]) == ("DC", 250, pytest.approx(25), 1000)
    assert w0["backhaul_units"] == pytest.approx(200) and w0["dedicated_trucks"] == 1
    load = (FULL - E) * 1000 / PAYLOAD  # kg CO2e per km of the whole return load
    assert w0["co2_kg"] == pytest.approx(200 * (0.8 * load + 2 * E * 1 + 0.2 * load))
    assert w0["co2_dedicated_kg"] == pytest.approx(200 * (2 * E * 3 + load))  # 25 m3: three trucks
    assert w0["co2_saved_kg"] == pytest.approx(200 * 2 * E * 2)
    w1 = out.loc[("S1", 1)]
    assert w1["backhaul_units"] == 0 and w1["dedicated_trucks"] == 1 and w1["co2_saved_kg"] == pytest.approx(0)
    assert w1["dc"] == "DC2" and w1["co2_kg"] == pytest.approx(60 * (2 * E + (FULL - E) * 120 / PAYLOAD))
    s2 = out.loc[("S2", 0)]  # no lane back, but DC's trucks to S2 come back over the same 50 km: dedicated
    assert s2["dc"] == "DC" and s2["backhaul_units"] == 0 and s2["dedicated_trucks"] == 1
    assert s2["co2_kg"] == pytest.approx(50 * (2 * E + (FULL - E) * 20 / PAYLOAD))


def test_a_site_without_a_way_back_is_listed_without_trips():
    """The implicit way back is a truck lane's (priced per truck) to a site no lane leaves, with a distance:
    S (a store, 80 km) sends its returns back on DC's truck of the week, all backhauled. Listed with a blank dc
    and no trips: DC, which ships on to S (its returns stay, though a road truck lane P -> DC exists), and
    stores reached by a lane with a capacity but priced per unit (S2), by a truck lane without a distance
    (S3) or by rail (S4)."""
    lanes = pd.DataFrame({"origin": ["P", "DC", "DC", "DC", "P"], "destination": ["DC", "S", "S2", "S3", "S4"],
                          "distance_km": [500.0, 80.0, 40.0, np.nan, 300.0],
                          "truck_capacity_m3": [30.0, 10.0, 10.0, 10.0, np.nan],
                          "cost_per_truck": [900.0, 200.0, np.nan, 150.0, np.nan],
                          "cost_per_unit": [np.nan, np.nan, 0.5, np.nan, 0.2]})  # fmt: skip
    ship = pd.DataFrame({"origin": ["DC"], "destination": ["S"], "ship_date": [DAY0], "trucks": [1.0]})
    items = pd.DataFrame({"unit_volume_m3": [0.1], "unit_weight_kg": [4.0]}, index=pd.Index(["X"], name="sku"))
    sites = ["DC", "S", "S2", "S3", "S4"]
    returns = pd.DataFrame({"sku": "X", "site": sites, "quantity": [10.0, 40.0, 5.0, 5.0, 5.0], "date": DAY0})
    out = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0).set_index("site")
    for site in ("DC", "S2", "S3", "S4"):
        assert pd.isna(out.loc[site, "dc"]) and np.isnan(out.loc[site, "co2_kg"]), site
    s = out.loc["S"]  # 4 m3 on one 10 m3 truck's way back: all backhauled, 80 km of the load's extra fuel
    assert s["dc"] == "DC" and s["backhaul_units"] == 40 and s["dedicated_trucks"] == 0
    assert s["co2_kg"] == pytest.approx(80 * (FULL - E) * 160 / PAYLOAD)


def _one_store(trucks_by_week: dict[int, float], capacity_m3: float):
    """DC -> S (a store: no lane leaves it), 100 km, priced per truck with ``capacity_m3``; outbound trucks per
    week; items of 0.1 m3 and 4 kg."""
    lanes = pd.DataFrame({"origin": ["DC"], "destination": ["S"], "distance_km": [100.0],
                          "truck_capacity_m3": [capacity_m3], "cost_per_truck": [300.0]})  # fmt: skip
    ship = pd.DataFrame({"origin": "DC", "destination": "S", "trucks": list(trucks_by_week.values()),
                         "ship_date": [DAY0 + pd.Timedelta(days=7 * w + 1) for w in trucks_by_week]})  # fmt: skip
    items = pd.DataFrame({"unit_volume_m3": [0.1], "unit_weight_kg": [4.0]}, index=pd.Index(["X"], name="sku"))
    return lanes, ship, items


def _returns(units_by_week: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"sku": "X", "site": "S", "quantity": list(units_by_week.values()),
                         "date": [DAY0 + pd.Timedelta(days=7 * w + 2) for w in units_by_week]})  # fmt: skip


def test_returns_wait_for_the_next_outbound_truck_within_the_allowed_days():
    """One truck in week 1 only. Week 0's 40 units (4 m3, 160 kg) wait a week and ride it back; week 2's 30
    units (3 m3, 120 kg) find no truck in weeks 2 or 3 and go on one dedicated truck in week 2. Without
    waiting (0 days, or 6: less than a week), both weeks go dedicated; with 14 days, the same as 7 (no truck
    in weeks 3 or 4)."""
    lanes, ship, items = _one_store({1: 1.0}, 10.0)
    returns = _returns({0: 40.0, 2: 30.0})
    load = (FULL - E) / PAYLOAD  # kg CO2e per km and kg on board
    out = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, 7.0).set_index("period")
    assert out.index.tolist() == [0, 1, 2]  # week 1 listed for its truck, though nothing is returned then
    assert out["units"].tolist() == [40, 0, 30] and out["backhaul_units"].tolist() == [0, 40, 0]
    assert out["dedicated_trucks"].tolist() == [0, 0, 1]
    assert out["co2_kg"].tolist() == pytest.approx([0.0, 100 * load * 160, 100 * (2 * E + load * 120)])
    assert out["co2_dedicated_kg"].tolist() == pytest.approx(
        [100 * (2 * E + load * 160), 0.0, 100 * (2 * E + load * 120)]
    )
    assert out["co2_saved_kg"].sum() == pytest.approx(100 * 2 * E)  # one empty-back dedicated trip avoided
    for days in (0.0, 6.0):
        alone = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, days).set_index("period")
        assert alone.index.tolist() == [0, 2] and alone["backhaul_units"].sum() == 0
        assert alone["dedicated_trucks"].tolist() == [1, 1] and alone["co2_saved_kg"].sum() == pytest.approx(0)
    longer = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, 14.0)
    pd.testing.assert_frame_equal(longer, out.reset_index()[longer.columns])


def test_waiting_returns_ride_first_and_what_does_not_fit_waits_again():
    """Trucks of 5 m3: one in week 1, one in week 2. Week 0: 40 units (4 m3) wait; week 1: 30 units (3 m3).
    Week 1's truck takes week 0's 4 m3 first, then 1 m3 of week 1's (10 units, a third); the other 20 units
    wait and ride week 2's truck: everything backhauled, no dedicated truck, where same-week-only backhaul
    sends week 0's 40 units on a dedicated truck (week 1's 3 m3 fit its own truck)."""
    lanes, ship, items = _one_store({1: 1.0, 2: 1.0}, 5.0)
    returns = _returns({0: 40.0, 1: 30.0})
    load = (FULL - E) / PAYLOAD
    out = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, 7.0).set_index("period")
    assert out["units"].tolist() == [40, 30, 0]
    assert out["backhaul_units"].tolist() == pytest.approx([0, 50, 20]) and out["dedicated_trucks"].sum() == 0
    assert out["co2_kg"].tolist() == pytest.approx([0.0, 100 * load * 200, 100 * load * 80])
    alone = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, 0.0).set_index("period")
    assert alone["backhaul_units"].tolist() == pytest.approx([0, 30]) and alone["dedicated_trucks"].tolist() == [1, 0]


def test_waiting_returns_ride_only_their_own_dcs_trucks():
    """S is served by A (10 km, no truck in week 0 or 1) and B (400 km, a truck in week 1): week 0's returns go
    back to A, the nearest, and do not wait for B's truck, which would carry them 400 km: dedicated to A, as
    without waiting, and never less CO2 saved than none."""
    lanes = pd.DataFrame({"origin": ["A", "B"], "destination": ["S", "S"], "distance_km": [10.0, 400.0],
                          "truck_capacity_m3": 10.0, "cost_per_truck": 300.0})  # fmt: skip
    ship = pd.DataFrame({"origin": ["B"], "destination": ["S"], "ship_date": [DAY0 + pd.Timedelta(days=8)],
                         "trucks": [1.0]})  # fmt: skip
    items = pd.DataFrame({"unit_volume_m3": [0.1], "unit_weight_kg": [4.0]}, index=pd.Index(["X"], name="sku"))
    returns = _returns({0: 40.0})
    waited = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, 7.0)
    alone = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, 0.0)
    assert waited["backhaul_units"].sum() == 0 and waited["dedicated_trucks"].sum() == 1
    assert waited.loc[waited["units"] > 0, "dc"].tolist() == ["A"]
    assert waited["co2_kg"].sum() == pytest.approx(alone["co2_kg"].sum())
    assert waited["co2_saved_kg"].sum() >= 0


def test_a_batch_that_gets_nothing_does_not_stop_those_behind_it():
    """One truck of 5 m3 in week 2; weeks 0 and 1 return 60 units of 0.1 m3 each (12 m3 in all), week 2 ten
    units of an item without volume or weight: the truck takes 50 of week 0's units (5 m3) and, its volume
    full, still the ten weightless units (they need no room); waits of 14 days."""
    lanes, ship, items = _one_store({2: 1.0}, 5.0)
    items = pd.concat([items, pd.DataFrame({"unit_volume_m3": [0.0], "unit_weight_kg": [0.0]},
                                           index=pd.Index(["Z"], name="sku"))])  # fmt: skip
    returns = _returns({0: 60.0, 1: 60.0})
    returns = pd.concat([returns, _returns({2: 10.0}).assign(sku="Z")], ignore_index=True)
    out = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, 14.0).set_index("period")
    assert out.loc[2, "backhaul_units"] == pytest.approx(60)
    assert out.loc[2, "dedicated_trucks"] == 0  # the weightless units ride; weeks 0 and 1 send the rest


def test_a_truck_period_is_listed_only_where_returns_may_still_wait():
    """Returns in weeks 0 and 10, a truck in week 1 and in week 5, waits of 7 days: week 1's truck is listed
    (week 0's returns ride it), week 5's is not (nothing returned in the week before)."""
    lanes, ship, items = _one_store({1: 1.0, 5: 1.0}, 10.0)
    out = plan_backhaul(_returns({0: 20.0, 10: 20.0}), ship, lanes, items, DAY0, 7.0, 7.0)
    assert out["period"].tolist() == [0, 1, 10] and out["backhaul_units"].tolist() == [0, 20, 0]


def test_undated_shipments_and_unbounded_waits():
    """A shipment without a date is left out (as before waiting existed); an infinite or missing wait is the
    longest and no wait."""
    lanes, ship, items = _one_store({1: 1.0}, 10.0)
    ship = pd.concat([ship, ship.assign(ship_date=pd.NaT)], ignore_index=True)
    returns = _returns({0: 20.0})
    longest = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, float("inf"))
    assert longest["backhaul_units"].sum() == 20
    none = plan_backhaul(returns, ship, lanes, items, DAY0, 7.0, float("nan"))
    assert none["backhaul_units"].sum() == 0 and none["dedicated_trucks"].sum() == 1
