"""Reading conventions and bad-input rules of the contract, on real .xlsx files."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks

from planner.channels.api import load, plan_workbook
from planner.model.errors import InputError


def _issues(result_or_inputs) -> pd.DataFrame:
    obj = result_or_inputs
    return obj.issues if isinstance(obj.issues, pd.DataFrame) else obj.issues.frame()


def test_tolerant_headers_and_sheet_names(tmp_path):
    sheets = minimal_sheets()
    sheets["items"] = [["SKU", "Unit Cost", "Order-Cost", "holding rate"], *sheets.pop("Items")[1:]]
    sheets["STOCK"] = [["Sku", "Site", "On Hand", "on-order", "Back_Orders"], *sheets.pop("Stock")[1:]]
    inputs = load(write_blocks(tmp_path / "t.xlsx", sheets))
    assert inputs["Items"]["unit_cost"].tolist() == [10.0, 4.0]
    assert inputs["Stock"]["on_hand"].tolist() == [30.0, 500.0]
    assert inputs.sheet_names["Stock"] == "STOCK"


@pytest.mark.slow
def test_excel_tables_are_read_with_excel_row_numbers(small_sample):
    inputs = load(small_sample)
    assert len(inputs["Items"]) == 20 and len(inputs["Stock"]) == 140
    assert inputs["Items"]["_row"].iloc[0] == 2  # header in row 1


def test_block_not_at_a1_still_reads_with_right_rows(tmp_path):
    sheets = minimal_sheets()
    items = sheets.pop("Items")
    sheets["Items"] = [[], [], [None, None, *items[0]], [None, None, *items[1]], [None, None, "B", "oops", 20, 0.25]]
    inputs = load(write_blocks(tmp_path / "t.xlsx", sheets))
    issues = _issues(inputs)
    row = issues[issues["column"] == "unit_cost"].iloc[0]
    assert (row["sheet"], row["row"], row["value"]) == ("Items", 5, "oops")
    assert inputs["Items"]["sku"].tolist() == ["A"]


def test_unknown_columns_are_kept_out_and_ignored(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] = [[*sheets["Items"][0], "buyer notes"], *[[*r, "call Bob"] for r in sheets["Items"][1:]]]
    inputs = load(write_blocks(tmp_path / "t.xlsx", sheets))
    assert "buyer notes" not in inputs["Items"].columns and len(_issues(inputs)) == 0


def test_row_level_problems_are_logged_and_skipped(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] += [["C", "twelve", 5, 0.2], ["A", 99.0, 5, 0.2], ["D", -3.0, 5, 0.2]]
    sheets["Stock"] += [["Z", "S1", 5, 0, 0], ["B", "S1", "lots", 0, 0]]
    sheets["Demand"] += [["A", "S1", "not a date", 5], ["A", "S1", pd.Timestamp("2026-01-05").to_pydatetime(), -4]]
    issues = _issues(load(write_blocks(tmp_path / "t.xlsx", sheets)))
    got = {(r.sheet, int(r.row), r.column, str(r.value)): (r.severity, r.message) for r in issues.itertuples()}
    assert got[("Items", 4, "unit_cost", "twelve")][0] == "error"
    assert "duplicate sku (first at row 2)" in got[("Items", 5, "sku", "A")][1]
    assert "expected a number > 0" in got[("Items", 6, "unit_cost", "-3.0")][1]
    assert "not on the Items sheet" in got[("Stock", 4, "sku", "Z")][1]
    assert "row skipped" in got[("Stock", 5, "on_hand", "lots")][1]
    assert "expected a date" in got[("Demand", 42, "date", "not a date")][1]
    assert got[("Demand", 43, "quantity", "-4.0")][0] == "error"


def test_bad_rows_do_not_stop_the_rest_of_the_plan(tmp_path):
    sheets = minimal_sheets()
    sheets["Stock"] += [["Z", "S1", 5, 0, 0]]
    res = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets))
    assert sorted(res.reorder["sku"]) == ["A", "B"]
    assert (res.issues["severity"] == "error").sum() == 1


def test_optional_bad_value_uses_default_with_warning(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] = [["sku", "unit_cost", "service_type", "service_level"], ["A", 10.0, "sometimes", 1.5],
                       ["B", 4.0, "FILL", 0.9]]  # fmt: skip
    res = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets))
    warn = res.issues[res.issues["severity"] == "warning"]
    assert set(warn["column"]) == {"service_type", "service_level"}
    a = res.reorder.set_index("sku")
    assert a.loc["A", "service_type"] == "cycle" and a.loc["A", "service_level"] == 0.95  # Settings defaults
    assert a.loc["B", "service_type"] == "fill" and a.loc["B", "service_level"] == 0.9  # case-insensitive
    assert "input repaired" in a.loc["A", "note"] and "input repaired" not in a.loc["B", "note"]


def test_demand_duplicates_are_added_up(tmp_path):
    sheets = minimal_sheets()
    sheets["Demand"].append(list(sheets["Demand"][1]))  # A, S1, first date, 63 again
    inputs = load(write_blocks(tmp_path / "t.xlsx", sheets))
    d = inputs["Demand"]
    assert d[(d["sku"] == "A")]["quantity"].iloc[0] == 126
    assert "quantities added" in _issues(inputs)["message"].iloc[0]


def test_settings_defaults_overrides_and_bad_values(tmp_path):
    sheets = minimal_sheets()
    sheets["Settings"] += [["service level", 0.9], ["colour", "blue"]]
    inputs = load(write_blocks(tmp_path / "t.xlsx", sheets))
    st = inputs.settings
    assert st.service_level == 0.9 and st.horizon_periods == 12 and st.holding_rate == 0.25
    assert st.planning_date == pd.Timestamp("2026-03-02") and st.season_length == 52
    msgs = _issues(inputs)["message"].tolist()
    assert any("unknown setting" in m for m in msgs)
    # a setting that is not valid stops the run (a default would quietly plan something else)
    for name, bad, expects in [("horizon_periods", "many", "<= 520"), ("order_cost", 1e308, "<= 1e+09"),
                               ("planning_date", "next monday", "a date from 1900 to 2199"),
                               ("planning_date", "9999-12-31", "a date from 1900 to 2199"),
                               ("lead_time_days", 1e12, "<= 3,650")]:  # fmt: skip
        sheets = minimal_sheets()
        sheets["Settings"] = [r for r in sheets["Settings"] if r[0] != name] + [[name, bad]]
        with pytest.raises(InputError, match=f"setting '{name}' is .* expected .*{re.escape(expects)}"):
            load(write_blocks(tmp_path / "t.xlsx", sheets))


def test_history_gives_forecast_per_day_and_error_sd(tmp_path):
    """forecast_method mean, weekly: A alternates 63/77 -> 70 a week = 10 a day; the one-step error sd is
    the RMSE of one-step errors of the expanding mean (the plan's sigma_d is the multi-step one,
    tests/test_service_levels.py)."""
    res = plan_workbook(write_blocks(tmp_path / "t.xlsx", minimal_sheets()))
    a = res.reorder.set_index("sku").loc["A"]
    assert a["demand_per_day"] == pytest.approx(10.0)
    y = np.array([63.0 if i % 2 == 0 else 77.0 for i in range(20)])
    errs = [y[t] - y[:t].mean() for t in range(1, 20)]
    sigma_one_step = res.forecast.set_index("sku").loc["A", "error_sd_per_period"]
    assert sigma_one_step == pytest.approx(math.sqrt(np.mean(np.square(errs))))
    assert a["lead_time_days"] == 7  # from Settings


def test_item_overrides_and_stock_forecast_override(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] = [["sku", "unit_cost", "service_level", "lead_time_days", "policy"], ["A", 10.0, 0.99, 21, "RS"],
                       ["B", 4.0, None, None, None]]  # fmt: skip
    sheets["Stock"] = [["sku", "site", "on_hand", "forecast_per_day", "forecast_sd_per_day"], ["A", "S1", 30, 4.5, 1.5],
                       ["B", "S1", 500, None, None]]  # fmt: skip
    r = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets)).reorder.set_index("sku")
    assert r.loc["A", "service_level"] == 0.99 and r.loc["A", "lead_time_days"] == 21 and r.loc["A", "policy"] == "RS"
    assert r.loc["A", "demand_per_day"] == 4.5 and r.loc["A", "demand_sd_per_day"] == 1.5
    assert r.loc["A", "forecast_method"] == "given"
    assert r.loc["B", "service_level"] == 0.95 and r.loc["B", "lead_time_days"] == 7 and r.loc["B", "policy"] == "sQ"


def test_demand_sheet_optional_when_every_stock_row_has_a_forecast(tmp_path):
    sheets = minimal_sheets()
    del sheets["Demand"]
    with pytest.raises(InputError, match="Sheet 'Demand' is missing"):
        load(write_blocks(tmp_path / "a.xlsx", sheets))
    sheets["Stock"] = [["sku", "site", "on_hand", "forecast_per_day"], ["A", "S1", 30, 2.0], ["B", "S1", 5, 1.0]]
    res = plan_workbook(write_blocks(tmp_path / "b.xlsx", sheets))
    assert res.reorder.set_index("sku")["demand_per_day"].to_dict() == {"A": 2.0, "B": 1.0}


def test_future_dated_demand_is_not_history(tmp_path):
    sheets = minimal_sheets()
    sheets["Demand"].append(["A", "S1", pd.Timestamp("2026-03-05").to_pydatetime(), 10_000])
    res = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets))
    assert res.reorder.set_index("sku").loc["A", "demand_per_day"] == pytest.approx(10.0)
    assert "not used as history" in res.issues["message"].iloc[0]


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda s: s.pop("Items"), "Sheet 'Items' is missing"),
        (lambda s: s.__setitem__("Stock", [["sku", "site", "qty"], ["A", "S1", 3]]),
         "Sheet 'Stock': required column 'on_hand' is missing (found: sku, site, qty)"),
    ],
)  # fmt: skip
def test_structural_problems_raise_one_clear_message(tmp_path, change, message):
    sheets = minimal_sheets()
    change(sheets)
    with pytest.raises(InputError) as err:
        load(write_blocks(tmp_path / "t.xlsx", sheets))
    assert message in str(err.value)


def test_not_a_workbook(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("sku,site\n")
    with pytest.raises(InputError, match="not a valid Excel workbook"):
        load(fake)
    with pytest.raises(InputError, match="not an Excel workbook"):
        load(tmp_path / "x.csv")
