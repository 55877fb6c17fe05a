"""The Service Check through the workbook: the planned levels deliver their target when simulated again,
independently (fresh seed, the one-SKU reference loop of test_service), and the settings act."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks
from test_service import reference_run

from planner.channels.api import plan_workbook
from planner.core import service as sv
from planner.core.row_streams import row_keys


def _sheets(**settings):
    """Three SKUs with a fill-rate target: smooth, erratic and intermittent weekly demand over two years."""
    rng = np.random.default_rng(5)
    end = pd.Timestamp("2026-03-02")
    dates = [end - pd.Timedelta(days=7 * k) for k in range(104, 0, -1)]
    demand = [["sku", "site", "date", "quantity"]]
    for d in dates:
        demand.append(["A", "S1", d.to_pydatetime(), float(rng.normal(140, 30))])
        demand.append(["B", "S1", d.to_pydatetime(), float(rng.gamma(0.7, 100))])
        demand.append(["C", "S1", d.to_pydatetime(), float(rng.random() < 0.4) * float(rng.poisson(8))])
    sheets = minimal_sheets(Demand=demand)
    sheets["Items"] = [["sku", "unit_cost", "service_type", "service_level", "policy"], ["A", 10.0, "fill", 0.95, "sQ"],
                       ["B", 10.0, "fill", 0.95, "RS"], ["C", 10.0, "fill", 0.9, "sQ"]]  # fmt: skip
    sheets["Stock"] = [["sku", "site", "on_hand"], ["A", "S1", 100], ["B", "S1", 100], ["C", "S1", 10]]
    sheets["Settings"] = [["setting", "value"], ["planning_date", end.to_pydatetime()], ["lead_time_days", 14],
                          *([k, v] for k, v in settings.items())]  # fmt: skip
    return sheets


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    path = write_blocks(tmp_path_factory.mktemp("svc") / "svc.xlsx", _sheets())
    return plan_workbook(path, path.with_name("svc.planned.xlsx")), path


def test_service_check_sheet_and_columns(tuned):
    result, path = tuned
    out = path.with_name("svc.planned.xlsx")
    wb = openpyxl.load_workbook(out)
    assert "Service Check" in wb.sheetnames
    assert wb.sheetnames.index("Service Check") == wb.sheetnames.index("Projected Inventory") + 1
    sc = result.service.set_index("sku")
    rp = result.reorder.set_index("sku")
    assert set(sc.index) == {"A", "B", "C"}
    assert (sc["simulated_on"] == "resampled history").all()  # two years of weekly history each
    np.testing.assert_allclose(rp.loc[sc.index, "simulated_fill_rate"], sc["simulated_fill_rate"].astype(float))
    level = np.where(rp.loc[sc.index, "policy"] == "RS", rp.loc[sc.index, "order_up_to"],
                     rp.loc[sc.index, "reorder_point"])  # fmt: skip
    np.testing.assert_allclose(level, sc["planned_level"].astype(float))
    kpi = result.kpis.set_index("kpi").loc["simulated_fill_rate"]
    d = rp["demand_per_day"]
    assert kpi["value"] == pytest.approx((rp["simulated_fill_rate"] * d).sum() / d.sum())
    replayed = result.kpis.set_index("kpi").loc["history_fill_rate", "value"]
    assert replayed == pytest.approx((sc["history_fill_rate"].astype(float) * d.loc[sc.index]).sum() / d.sum())
    for sku in sc.index[sc["tuned"] == "yes"]:
        assert "by the service simulation" in rp.loc[sku, "note"]


def test_planned_levels_meet_their_target_on_fresh_demand(tuned):
    """Fresh draws of the fitted process (another seed, PATHS paths of 10 years per SKU), run by the reference
    loop: the planned levels deliver their target within a point on average over the paths (one path of B's
    heavy-tailed demand, daily CV 3.9, gives anywhere from 90 to 100 %), or more."""
    result, _ = tuned
    rp = result.reorder.set_index("sku").loc[["A", "B", "C"]]
    sc = result.service.set_index("sku").loc[["A", "B", "C"]]
    paths = 12
    row = np.repeat(np.arange(3), paths)
    n = len(row)
    p = np.array([1.0, 1.0, sv.daily_occurrence(np.array([0.4 * (1 - np.exp(-8))]), 7)[0]])[row]
    process = sv.DemandProcess(rp["demand_per_day"].to_numpy(float)[row], rp["demand_sd_per_day"].to_numpy(float)[row],
                               p)  # fmt: skip
    is_rs = (rp["policy"] == "RS").to_numpy()[row]
    level = sc["planned_level"].to_numpy(float)[row]
    policy = sv.SimPolicy(is_rs, level, rp["order_quantity"].to_numpy(float)[row], np.where(is_rs, 7.0, 1.0),
                          np.full(n, 14.0), np.zeros(n))  # fmt: skip
    fresh = sv.scenario(process, policy, days=3650, seed=123)
    fill = np.array([reference_run(fresh.demand[i], fresh.lead_times[i], fresh.warmup, is_rs[i], level[i],
                                   policy.order_qty[i], 7 if is_rs[i] else 1, False)[0] for i in range(n)])  # fmt: skip
    mean = fill.reshape(3, paths).mean(axis=1)
    assert np.all(mean >= rp["service_level"].to_numpy(float) - 0.01), mean


def test_settings_off_and_lost_sales(tmp_path):
    off = plan_workbook(write_blocks(tmp_path / "off.xlsx", _sheets(service_check="off")))
    assert off.service is None and off.reorder["simulated_fill_rate"].isna().all()
    assert "simulated_fill_rate" not in set(off.kpis["kpi"])
    report = plan_workbook(write_blocks(tmp_path / "rep.xlsx", _sheets(service_check="report")))
    assert (report.service["tuned"] == "no").all()
    np.testing.assert_allclose(report.reorder["safety_stock"], off.reorder["safety_stock"])
    lost = plan_workbook(write_blocks(tmp_path / "lost.xlsx", _sheets(service_check="report", unmet_demand="lost")))
    # lost sales need no higher level than backorders (the fill-rate formula's lost-sales correction), and
    # are simulated with lost sales (the day itself is checked against the reference loop in test_service):
    # the simulated service differs where stock runs out
    a, b = report.service.set_index("sku"), lost.service.set_index("sku")
    assert np.all(b["planned_level"].astype(float) <= a["planned_level"].astype(float) + 1e-9)
    short = a["simulated_fill_rate"].astype(float) < 1
    assert np.all(b["simulated_fill_rate"].astype(float)[short] != a["simulated_fill_rate"].astype(float)[short])


def test_planned_levels_replayed_on_the_actual_history(tuned):
    """history_fill_rate: the reference loop run on each SKU's own weekly history, in order, each week's total
    split over its days (replay_scenario on the three rows, as the plan builds it: the days of each week sum
    to the Demand sheet's week exactly), the first L + R + 28 days (14 + 7 + 28) not measured, at the planned
    level."""
    result, path = tuned
    rp = result.reorder.set_index("sku")
    sc = result.service.set_index("sku")
    demand = pd.read_excel(path, sheet_name="Demand", engine="calamine").sort_values("date")
    Y = np.stack([demand.loc[demand["sku"] == sku, "quantity"].to_numpy(float) for sku in ["A", "B", "C"]])
    is_rs = (rp.loc[["A", "B", "C"], "policy"] == "RS").to_numpy()
    policy = sv.SimPolicy(is_rs, np.zeros(3), np.ones(3), np.where(is_rs, 7.0, 1.0), np.full(3, 14.0), np.zeros(3))
    daily = sv.replay_scenario(Y, 7.0, policy, keys=row_keys(["A", "B", "C"], ["S1"] * 3)).demand.astype(float)
    np.testing.assert_allclose(daily.reshape(3, -1, 7).sum(axis=2), Y, rtol=1e-5)
    for i, sku in enumerate(["A", "B", "C"]):
        fill = reference_run(daily[i], np.full(daily.shape[1], 14), 14 + 7 + 28, is_rs[i],
                             float(sc.loc[sku, "planned_level"]), float(rp.loc[sku, "order_quantity"]),
                             7 if is_rs[i] else 1, False)[0]  # fmt: skip
        assert float(sc.loc[sku, "history_fill_rate"]) == pytest.approx(fill, abs=1e-6), sku


def test_simulated_on_the_history_at_a_level_as_uncertain_as_the_forecast(tuned):
    """level_cv is level_error_cv of the forecast that the plan made (recomputed here from the Demand sheet's
    weeks), and the simulated fill rate on the sheet is the one of the history scenario with that level
    error: rerun here at the planned levels, it gives the sheet's figures, and without the level error
    other ones. The history is first moved to the pooled variance (spread_history, recomputed here too)."""
    from planner.core.forecast import forecast_series
    from planner.core.leadtime_demand import SLOW_UNITS, level_error_cv, successive_difference_variance
    from planner.core.pooled_variance import pooled_period_variance

    result, path = tuned
    rp = result.reorder.set_index("sku").loc[["A", "B", "C"]]
    sc = result.service.set_index("sku").loc[["A", "B", "C"]]
    demand = pd.read_excel(path, sheet_name="Demand", engine="calamine").sort_values("date")
    Y = np.stack([demand.loc[demand["sku"] == sku, "quantity"].to_numpy(float) for sku in ["A", "B", "C"]])
    fc = forecast_series(Y, 13, 52)
    level = rp["demand_per_day"].to_numpy(float) * 7
    expected = level_error_cv(fc.method, fc.params, fc.sigma, level, fc.adi, fc.cv2, np.full(3, 104))
    np.testing.assert_allclose(sc["level_cv"].astype(float), expected, rtol=1e-9)
    assert np.all(expected > 0)
    is_rs = (rp["policy"] == "RS").to_numpy()
    planned = sv.SimPolicy(is_rs, sc["planned_level"].to_numpy(float), rp["order_quantity"].to_numpy(float),
                           np.where(is_rs, 7.0, 1.0), rp["lead_time_days"].to_numpy(float),
                           rp["lead_time_sd_days"].to_numpy(float))  # fmt: skip
    days = np.where(is_rs, 7.0, 1.0) + rp["lead_time_days"].to_numpy(float)  # R + L, or L + review_days_sq
    slow = rp["demand_per_day"].to_numpy(float) * days < SLOW_UNITS
    spread = np.sqrt(pooled_period_variance(Y, fc.demand_class, slow) / successive_difference_variance(Y))
    assert np.any(np.abs(spread - 1) > 1e-3)  # rows alone in their class: their own variance, x up to 1.28
    keys = row_keys(["A", "B", "C"], ["S1"] * 3)  # each SKU-site's own stream, as the plan draws them
    with_error = sv.history_scenario(Y, rp["demand_per_day"].to_numpy(float), 7.0, planned, level_cv=expected,
                                     spread=spread, keys=keys)  # fmt: skip
    fill = sv.simulate(planned, with_error).fill_rate
    np.testing.assert_allclose(sc["simulated_fill_rate"].astype(float), fill, rtol=1e-9)
    without = sv.simulate(planned, sv.history_scenario(Y, rp["demand_per_day"].to_numpy(float), 7.0, planned,
                                                       keys=keys))  # fmt: skip
    assert np.any(np.abs(without.fill_rate - fill) > 1e-4)


def test_slow_movers_take_the_whole_unit_nearest_the_target_and_say_so(tmp_path):
    """Twelve Poisson slow movers (0.2 to 0.75 a day, fill target 95 %, Service Check off): each level is the whole
    unit whose formula fill rate (service_levels.fill_rate on the row's own columns) is nearest the target among
    it and its neighbours, and the note names exactly the rows whose level falls below the target."""
    from planner.core import service_levels as sl

    rng = np.random.default_rng(8)
    end = pd.Timestamp("2026-03-02")
    dates = [(end - pd.Timedelta(days=7 * k)).to_pydatetime() for k in range(104, 0, -1)]
    demand = [["sku", "site", "date", "quantity"]]
    for i in range(12):
        demand += [[f"P{i:02d}", "S1", d, float(rng.poisson(7 * (0.2 + 0.05 * i)))] for d in dates]
    sheets = minimal_sheets(Demand=demand)
    sheets["Items"] = [["sku", "unit_cost", "service_type", "service_level", "policy"],
                       *([f"P{i:02d}", 10.0, "fill", 0.95, "RS" if i % 2 else "sQ"] for i in range(12))]  # fmt: skip
    sheets["Stock"] = [["sku", "site", "on_hand"], *([f"P{i:02d}", "S1", 5] for i in range(12))]
    sheets["Settings"] = [["setting", "value"], ["planning_date", end.to_pydatetime()], ["service_check", "off"]]
    rp = plan_workbook(write_blocks(tmp_path / "slow.xlsx", sheets)).reorder.set_index("sku")
    assert (rp["demand_distribution"] == "negbin").all()
    rs = (rp["policy"] == "RS").to_numpy()
    level = np.where(rs, rp["order_up_to"], rp["reorder_point"]).astype(float)
    q, d = rp["order_quantity"].to_numpy(float), rp["demand_per_day"].to_numpy(float)
    var, lead = np.square(rp["demand_sd_per_day"].to_numpy(float)), rp["lead_time_days"].to_numpy(float)
    args = (q, d, var, lead, 0.0, rs, 7.0, np.where(rs, 0.0, 1.0), "negbin")  # review_days: the Settings default
    gap = [np.abs(sl.fill_rate(level + step, *args) - 0.95) for step in (-1, 0, 1)]
    assert np.all(gap[1] <= gap[0]) and np.all(gap[1] <= gap[2])
    below = sl.fill_rate(level, *args) < 0.95
    noted = rp["note"].str.contains("whole units: the level whose service is nearest the target").to_numpy()
    assert below.any() and not below.all()
    np.testing.assert_array_equal(noted, below)


def test_a_raise_beyond_three_sd_of_lead_time_demand_is_capped_and_said():
    """Levels far below what the simulated demand needs (a tenth of it): tuning would raise them by more than
    3 sigma_T of the rows' (deliberately small) protection_sd, so they stop at the formula's + ceil(3 sigma_T),
    their simulated figures are a fresh simulation's at that level, and the note says the raise was capped;
    rows whose raise fits stay as tuned."""
    from dataclasses import replace

    from planner.model.settings import Settings
    from planner.pipeline import service as ps

    rng = np.random.default_rng(6)
    n = 8
    process = sv.DemandProcess(rng.uniform(5, 10, n), rng.uniform(2, 6, n), np.ones(n))
    policy = sv.SimPolicy(np.arange(n) % 2 == 0, np.full(n, 10.0), np.full(n, 50.0), np.where(np.arange(n) % 2 == 0,
                          7.0, 1.0), np.full(n, 7.0), np.zeros(n))  # fmt: skip
    sc = sv.scenario(process, policy, days=730, seed=4)
    target, kind = np.full(n, 0.95), np.full(n, "fill")
    free = sv.tune_levels(policy, sc, target, kind)
    sd = np.where(np.arange(n) < 4, 2.0, 1e6)  # rows 0-3: a cap of 10 + 6 units
    rows = pd.DataFrame({"protection_sd": sd, "service_level": target, "service_type": kind})
    capped = ps._tune(policy, sc, rows, Settings.from_values(service_check="tune"))
    np.testing.assert_array_equal(capped.capped, np.arange(n) < 4)
    np.testing.assert_array_equal(capped.level[:4], np.minimum(free.level[:4], 16.0))
    assert np.all(free.level[:4] > 16.0)
    np.testing.assert_array_equal(capped.level[4:], free.level[4:])
    fresh = sv.simulate(replace(policy, level=capped.level), sc)
    np.testing.assert_array_equal(capped.after.fill_rate, fresh.fill_rate)
    np.testing.assert_array_equal(capped.after.average_stock, fresh.average_stock)
    note = ps._note(True, "fill rate", 0.5, float(capped.after.fill_rate[0]), 0.95, 50, True, 730)
    assert "at most 3 sd" in note and capped.after.fill_rate[0] < 0.945
    assert "at most" not in ps._note(True, "fill rate", 0.5, 0.94, 0.95, 50, False, 730)  # a nearest unit below
