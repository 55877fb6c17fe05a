"""The Excel functions through xlwings' Office.js route (custom_functions_call with the arguments as Excel
sends them, 2-D ranges), checked against textbook examples, stockpyl, and the command line's own output
for the same inputs."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest
import xlwings as xw
from conftest import minimal_sheets, write_blocks
from scipy import stats
from stockpyl.eoq import economic_order_quantity
from stockpyl.loss_functions import standard_normal_loss
from xlwings.server import custom_functions_call, custom_functions_meta

from planner.channels.api import load, plan_workbook
from planner.channels.excel import functions
from planner.pipeline.plan import build_history

NAMES = ["ABC", "DEMAND_CLASS", "EOQ", "FILL_RATE", "FORECAST", "HHI", "NORMAL_LOSS", "ORDER_QTY", "ORDER_UP_TO",
         "REORDER_POINT", "ROUTE_DISTANCE", "SAFETY_STOCK", "SIMULATED_FILL_RATE", "TRANSPORT_CO2"]  # fmt: skip


def call(name: str, *args):
    """One call as Excel's Office.js add-in makes it: every argument a 2-D range (None when omitted)."""
    data = {"func_name": f"planner_{name.lower()}", "args": list(args), "version": xw.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-US"}  # fmt: skip
    return asyncio.run(custom_functions_call(data, functions))


def col(values) -> list[list]:
    """A column range; NaN as a blank cell."""
    return [[None if isinstance(v, float) and np.isnan(v) else v] for v in values]


def flat(block) -> np.ndarray:
    return np.array([v for row in block for v in row], dtype=object)


@pytest.fixture(scope="module")
def sample(small_sample, small_planned):
    """The small sample planned by the command line, with the inputs behind each Reorder Plan row."""
    result = small_planned[1]
    inputs = load(small_sample)
    items = inputs["Items"].set_index("sku")
    rows = result.reorder.copy()
    rows["review_days"] = rows["sku"].map(items["review_days"]).fillna(inputs.settings.review_days)
    rows["unit_cost"] = rows["sku"].map(items["unit_cost"])
    # the formulas' levels: the plan's less what the Service Check's simulation added (planner.core.service)
    check = result.service.set_index(["sku", "site"])
    key = pd.MultiIndex.from_frame(rows[["sku", "site"]])
    tuning = (check["planned_level"] - check["formula_level"]).astype(float).reindex(key).to_numpy()
    rows["safety_stock"] -= tuning
    rows["reorder_point"] -= tuning
    rows["order_up_to"] -= tuning
    return result, rows, inputs


def test_the_functions_register_in_the_planner_namespace_with_help():
    meta = custom_functions_meta(functions)["functions"]
    assert [f["name"] for f in meta] == [f"PLANNER.{n}" for n in NAMES]
    for f in meta:
        assert "\n" not in f["description"] and len(f["description"]) > 40
        assert all(not p["description"].startswith("Positional argument") for p in f["parameters"])


def test_eoq_textbook_example_and_stockpyl():
    # Snyder & Shen, Fundamentals of Supply Chain Theory, Example 3.1: K = 8, h = 0.225, lambda = 1300
    assert call("EOQ", [[1300]], [[1]], [[8]], [[0.225]])[0][0] == pytest.approx(304.0467, abs=1e-4)
    D = [[100], [1300], [52000]]
    got = flat(call("EOQ", D, [[4.0]], [[25]], [[0.2]]))
    want = [economic_order_quantity(25, 0.2 * 4.0, d[0])[0] for d in D]
    np.testing.assert_allclose(got.astype(float), want, rtol=1e-12)


def test_eoq_defaults_come_from_settings():
    # order_cost 50 and holding_rate 0.25 when left out: sqrt(2 * 50 * 1000 / (0.25 * 10)) = 200
    assert call("EOQ", [[1000]], [[10]], None, None) == [[200.0]]


def test_normal_loss_against_textbook_values_and_stockpyl():
    ks = [-1.5, 0.0, 0.5, 1.0, 2.0]
    got = flat(call("NORMAL_LOSS", [ks])).astype(float)
    np.testing.assert_allclose(got, [standard_normal_loss(k)[0] for k in ks], atol=1e-12)
    assert got[1] == pytest.approx(0.3989, abs=1e-4) and got[3] == pytest.approx(0.0833, abs=1e-4)


@pytest.mark.slow
def test_service_functions_equal_the_reorder_plan(sample):
    _, r, _ = sample
    # rows whose order the allocation moved to a supplier with another lead time have their levels at it too
    assert r["note"].fillna("").str.contains("levels at this supplier's lead time").any()
    args = [col(r["demand_per_day"]), col(r["demand_sd_per_day"]), col(r["lead_time_days"]),
            col(r["service_level"]), col(r["lead_time_sd_days"]), col(r["service_type"])]  # fmt: skip
    # each row's distribution, and the sQ review interval (0 for a forecast given on Stock: textbook)
    shape = [col(r["demand_distribution"]), col(np.where(r["forecast_method"] == "given", 0, 1))]
    assert set(r["demand_distribution"]) > {"normal"}
    ss = flat(call("SAFETY_STOCK", *args, col(r["order_quantity"]), col(r["policy"]), col(r["review_days"]),
                   *shape))  # fmt: skip
    np.testing.assert_allclose(ss.astype(float), r["safety_stock"], rtol=1e-9, atol=1e-9)
    sq, rs = (r["policy"] == "sQ").to_numpy(), (r["policy"] == "RS").to_numpy()
    assert sq.sum() > 5 and rs.sum() > 5 and (r["service_type"] == "fill").sum() > 5
    s = flat(call("REORDER_POINT", *args, col(r["order_quantity"]), *shape)).astype(float)
    np.testing.assert_allclose(s[sq], r["reorder_point"][sq], rtol=1e-9)
    S = flat(call("ORDER_UP_TO", *args[:3], col(r["review_days"]), *args[3:], shape[0])).astype(float)
    np.testing.assert_allclose(S[rs], r["order_up_to"][rs], rtol=1e-9)
    level = np.where(sq, r["reorder_point"], r["order_up_to"])
    fr = call("FILL_RATE", col(level), col(r["order_quantity"]), *args[:3], col(r["lead_time_sd_days"]),
              col(r["policy"]), col(r["review_days"]), *shape)  # fmt: skip
    np.testing.assert_allclose(flat(fr).astype(float), r["expected_fill_rate"], atol=1e-9)


def test_safety_stock_by_hand():
    # cycle service 95 %, d = 10, sd_d = 3, L = 14, sd_L = 2: sigma_T = sqrt(14 * 9 + 100 * 4) = 22.93
    sigma = np.sqrt(14 * 9 + 100 * 4)
    got = call("SAFETY_STOCK", [[10]], [[3]], [[14]], [[0.95]], [[2]], None, None, None, None)[0][0]
    assert got == pytest.approx(stats.norm.ppf(0.95) * sigma, rel=1e-12)
    # RS protects R + L: review 7 -> T = 21
    got = call("SAFETY_STOCK", [[10]], [[3]], [[14]], [[0.95]], None, None, None, [["RS"]], [[7]])[0][0]
    assert got == pytest.approx(stats.norm.ppf(0.95) * 3 * np.sqrt(21), rel=1e-12)


def test_order_qty_equals_the_command_line(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] = [["sku", "unit_cost", "order_cost", "holding_rate", "moq", "order_multiple"],
                       ["A", 10.0, 50, 0.2, 0, 12], ["B", 4.0, 20, 0.25, 400, 0]]  # fmt: skip
    path = write_blocks(tmp_path / "q.xlsx", sheets)
    r = plan_workbook(path).reorder.set_index("sku").loc[["A", "B"]]
    D = col(r["demand_per_day"] * 365)
    got = flat(call("ORDER_QTY", D, [[10.0], [4.0]], [[50], [20]], [[0.2], [0.25]], [[0], [400]], [[12], [None]]))
    assert list(got) == list(r["order_quantity"]) and got[0] % 12 == 0 and got[1] == 400


@pytest.mark.slow
def test_forecast_and_demand_class_equal_the_forecast_sheet(sample):
    result, _, inputs = sample
    st = inputs.settings
    Y = build_history(inputs["Demand"], inputs["Stock"], st, inputs.issues, "Demand").Y
    from_history = np.flatnonzero(result.forecast.method.to_numpy() != "given")  # not given on Stock
    pick = from_history[::3]  # every demand pattern of the sample
    history = [[None if np.isnan(v) else float(v) for v in Y[pick, t]] for t in range(Y.shape[1])]
    H = int(st.horizon_periods)
    got = np.array(call("FORECAST", history, [[H]], [["auto"]], [[int(st.season_length)]]), dtype=float)
    periods = result.forecast.columns[-H:]
    np.testing.assert_allclose(got.T, result.forecast.loc[pick, periods].to_numpy(float), rtol=1e-9, atol=1e-9)
    classes = call("DEMAND_CLASS", history)[0]
    assert classes == list(result.forecast.loc[pick, "demand_class"])
    assert len(set(classes)) >= 3


def test_forecast_by_method_and_orientation():
    y = [5, 6, 7, 5, 6, 7, 5, 6, 7, 5, 6, 7]
    mean = call("FORECAST", [[v] for v in y], [[3]], [["mean"]], None)
    assert mean == [[pytest.approx(np.mean(y), rel=1e-12)]] * 3  # the mean of every period, flat
    row = call("FORECAST", [y], [[3]], [["mean"]], None)
    assert len(row) == 1 and len(row[0]) == 3 and row[0] == [m[0] for m in mean]


@pytest.mark.slow
def test_abc_equals_the_reorder_plan(sample):
    _, r, inputs = sample
    value = r["demand_per_day"] * inputs.settings.days_per_year * r["unit_cost"]
    got = flat(call("ABC", col(value), None, None))
    assert list(got) == list(r["abc"]) and set(got) == {"A", "B", "C"}


def test_bad_cells_give_readable_messages_and_the_rest_is_computed():
    got = call("EOQ", [[1000], ["lots"], [None], [-5]], [[10], [10], [10], [10]], None, None)
    assert got[0] == [200.0]
    assert got[1] == ["#VALUE! annual_demand: found 'lots', expected a number >= 0"]
    assert got[2] == ["#VALUE! annual_demand: blank, expected a number >= 0"]
    assert got[3] == ["#VALUE! annual_demand: found -5, expected a number >= 0"]
    assert call("EOQ", [[1000]], [[-3]], None, None) == [
        ["#VALUE! unit_cost: found -3, expected a number > 0 and <= 1e+12"]  # the contract's bounds
    ]
    assert call("SAFETY_STOCK", [[1]], [[1]], [[7]], [[1.2]], None, None, None, None, None) == [
        ["#VALUE! service_level: found 1.2, expected a number >= 0.5 and <= 0.9999"]
    ]
    fill = call("SAFETY_STOCK", [[1]], [[1]], [[7]], None, None, [["fill"]], None, None, None)
    assert fill == [["#VALUE! order_qty: blank, needed for fill service with sQ"]]
    up_to = call("ORDER_UP_TO", [[10], [10]], [[3], [3]], [[14], [14]], [[7], [None]], None, None, None)
    assert up_to[0] == [pytest.approx(10 * 21 + stats.norm.ppf(0.95) * 3 * np.sqrt(21))]
    assert up_to[1] == ["#VALUE! review_days: blank, expected a number >= 0 and <= 3,650"]  # required here
    kind = call("SAFETY_STOCK", [[1]], [[1]], [[7]], None, None, [["both"]], None, None, None)
    assert kind == [["#VALUE! service_type: found 'both', expected one of cycle, fill"]]


def test_argument_level_problems_are_one_message():
    sizes = call("EOQ", [[1], [2]], [[1], [2], [3]], None, None)
    assert sizes == [["#VALUE! ranges of different sizes (annual_demand 2x1, unit_cost 3x1): "
                      "give ranges of one size, or single cells"]]  # fmt: skip
    assert call("FORECAST", [[1], [2]], [[3, 4]], None, None) == [["#VALUE! horizon: give one cell, found a 1x2 range"]]
    method = call("FORECAST", [[1], [2]], None, [["magic"]], None)[0][0]
    assert method.startswith("#VALUE! method: found 'magic', expected one of auto, mean")
    assert call("FORECAST", [[None], [None]], None, None, None) == [["#VALUE! history: no values"]]
    bad = call("FORECAST", [[1, 4], ["x", 5], [3, 6]], [[2]], [["mean"]], None)
    assert [r[0] for r in bad] == ["#VALUE! history: found 'x', expected a number >= 0 and <= 1e+12"] * 2
    assert [r[1] for r in bad] == [5.0, 5.0]  # the other series is forecast


@pytest.mark.slow
def test_transport_co2_equals_the_distribution_plan(sample):
    result, _, inputs = sample
    lanes = inputs["Lanes"].set_index(["origin", "destination"])
    flows = result.network.distribution.flows
    # lanes priced per unit keep the tonne-km method; truck lanes count vehicle-km (tests/test_distribution.py)
    per_truck = (lanes["truck_capacity_m3"] > 0) & (lanes["cost_per_truck"] > 0)
    flows = flows[~per_truck.reindex(pd.MultiIndex.from_frame(flows[["origin", "destination"]])).to_numpy()]
    assert len(flows)
    keys = list(zip(flows["origin"], flows["destination"], strict=True))
    weight = flows["weight_kg"]
    got = call("TRANSPORT_CO2", col(weight), col(lanes.loc[keys, "distance_km"]), col(flows["mode"]),
               col(lanes.loc[keys, "co2_kg_per_tkm"]))  # fmt: skip
    np.testing.assert_allclose(flat(got).astype(float), flows["co2_kg"], rtol=1e-9)
    # by hand: 2 t over 500 km by rail (default 0.028 kg/tkm) = 28 kg; a given factor wins over the mode
    assert call("TRANSPORT_CO2", [[2000]], [[500]], [["Rail"]], None) == [[pytest.approx(28.0)]]
    assert call("TRANSPORT_CO2", [[2000]], [[500]], [["rail"]], [[0.05]]) == [[pytest.approx(50.0)]]
    bad = flat(call("TRANSPORT_CO2", [[1000], [1000]], [[10], [10]], [["ship"], ["sea"]], None))
    assert bad[0] == "#VALUE! mode: found 'ship', expected one of road, rail, sea, air"
    assert bad[1] == pytest.approx(0.16)


@pytest.mark.slow
def test_hhi_equals_the_kpi(sample):
    result, _, _ = sample
    spend = result.network.allocation.lines.groupby("supplier")["purchase_value"].sum()
    kpi = result.kpis.set_index("kpi").loc["spend_hhi", "value"]
    assert call("HHI", col(spend)) == [[pytest.approx(kpi)]]
    assert call("HHI", [[50, 30, 20]]) == [[pytest.approx(0.25 + 0.09 + 0.04)]]
    assert call("HHI", [[10], [-1]]) == [["#VALUE! spend: found -1, expected a number >= 0"]]


@pytest.mark.parametrize("distribution", ["negbin", "gamma"])
def test_safety_stock_with_a_distribution_and_review_equals_the_core(distribution):
    """SAFETY_STOCK and REORDER_POINT with a distribution and an sQ review interval give the level of
    core.service_levels (checked there against enumeration and simulation; for negbin the whole unit nearest the
    target, as the Reorder Plan's) less d L; textbook when left out."""
    from planner.core import service_levels as sl

    d, sd, L, q = [[0.8], [3.0]], [[2.0], [6.0]], 14, [[40], [120]]
    ss = flat(call("SAFETY_STOCK", d, sd, [[L]], [[0.95]], None, [["fill"]], q, None, None, [[distribution]], [[1]]))
    s = flat(call("REORDER_POINT", d, sd, [[L]], [[0.95]], None, [["fill"]], q, [[distribution]], [[1]]))
    dd, v, qq = np.array([0.8, 3.0]), np.array([4.0, 36.0]), np.array([40.0, 120.0])
    whole = distribution == "negbin"
    level = sl.level_for_target("fill", 0.95, qq, dd, v, L, 0.0, False, 7.0, 1.0, distribution, nearest=whole)
    np.testing.assert_allclose(s.astype(float), np.maximum(level, dd * L), rtol=1e-12)
    np.testing.assert_allclose(ss.astype(float), np.maximum(level - dd * L, 0.0), rtol=1e-12)
    gap = [np.abs(sl.fill_rate(level + k, qq, dd, v, L, 0.0, False, 7.0, 1.0, distribution) - 0.95) for k in (-1, 0, 1)]
    if whole:  # the unit nearest the target
        assert np.all(gap[1] <= gap[0]) and np.all(gap[1] <= gap[2])
    else:  # the least level reaching it
        assert np.all(sl.fill_rate(level, qq, dd, v, L, 0.0, False, 7.0, 1.0, distribution) >= 0.95 - 1e-9)
    textbook = flat(call("SAFETY_STOCK", d, sd, [[L]], [[0.95]], None, [["fill"]], q, None, None, None, None))
    plain = flat(call("SAFETY_STOCK", d, sd, [[L]], [[0.95]], None, [["fill"]], q, None, None))
    np.testing.assert_array_equal(textbook, plain)
    bad = call("SAFETY_STOCK", [[1]], [[1]], [[7]], None, None, None, None, None, None, [["poisson"]], None)
    assert str(bad[0][0]).startswith("#VALUE!") and "distribution" in str(bad[0][0])
