"""Typed settings parsed once, reason codes on every issue, per-row flags carried on the inputs (issue 8)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks

from planner.channels.api import load, plan_workbook
from planner.model.errors import InputError
from planner.model.issues import MAX_ISSUES_PER_KIND, IssueLog, Reason
from planner.model.settings import SETTINGS, AllocationSettings, DistributionSettings, Settings


def test_settings_fields_are_the_contract_settings_and_defaults_are_defined_once():
    assert [f.name for f in dataclasses.fields(Settings)] == list(SETTINGS)
    s = Settings.from_values(planning_date="2026-03-02")
    for name, spec in SETTINGS.items():
        if spec.default is not None:
            got = getattr(s, name)
            assert got == (tuple(spec.default) if isinstance(spec.default, tuple) else spec.default), name
    # the models' own defaults are the Settings sheet's
    assert s.allocation() == AllocationSettings()
    assert s.distribution() == DistributionSettings(planning_date=pd.Timestamp("2026-03-02"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.service_level = 0.5  # type: ignore[misc]


def test_derived_settings_follow_the_period():
    assert Settings.from_values(period="month").season_length == 12
    assert Settings.from_values(period="day").season_length == 7
    monthly = Settings.from_values(period="month", days_per_year=360, horizon_periods=3)
    assert monthly.days_per_period == 30 and monthly.horizon_days == 90
    with pytest.raises(ValueError, match="unknown settings.*'servce_level'"):
        Settings.from_values(servce_level=0.9)


def test_list_settings_are_parsed_once_with_their_bad_parts_reported(tmp_path):
    sheets = minimal_sheets()
    sheets["Settings"] += [["carbon_prices", "25; 75,abc,-5"], ["diversify_abc", "a, b, Z"], ["carbon_price_per_t", 10]]
    inputs = load(write_blocks(tmp_path / "t.xlsx", sheets))
    st = inputs.settings
    assert st.carbon_prices == (25.0, 75.0) and st.diversify_abc == ("A", "B")
    assert st.tradeoff_prices == [0.0, 10.0, 25.0, 75.0]
    issues = inputs.issues.frame()
    bad = issues[issues["code"] == Reason.BAD_SETTING.code]
    assert sorted(bad["value"]) == ["25; 75,abc,-5", "a, b, Z"]
    assert bad["message"].str.contains("the valid ones used").all()


def test_every_issue_carries_a_reason_code_severity_and_category(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] += [["C", "twelve", 5, 0.2], ["A", 99.0, 5, 0.2], ["D", 3.0, "lots", 0.2]]
    sheets["Stock"] += [["Z", "S1", 5, 0, 0]]
    sheets["Settings"] += [["no_such_setting", 1], ["carbon_prices", "10,x"]]
    issues = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets)).issues
    by_code = {r.code: r for r in Reason}
    assert len(issues) >= 6 and issues["code"].isin(by_code).all()
    for row in issues.itertuples():
        assert row.severity == by_code[row.code].severity and row.category == by_code[row.code].category
    assert set(issues["code"]) >= {"bad_required_value", "duplicate_key", "bad_optional_value", "unknown_sku",
                                   "unknown_setting", "bad_setting"}  # fmt: skip


def test_a_harmless_warning_does_not_mark_rows_repaired(tmp_path):
    """Regression: a shipped item without a weight (a warning about CO2) made the item's rows 'input
    repaired' and turned EXCESS into CHECK."""
    sheets = minimal_sheets()
    sheets["Stock"][2] = ["B", "S1", 5000, 0, 0]  # far above any policy maximum: EXCESS
    sheets["Stock"].append(["B", "DC", 100, 0, 0])
    sheets["Requirements"] = [["destination", "sku", "quantity"], ["S2", "B", 10]]
    sheets["Lanes"] = [["origin", "destination", "cost_per_unit", "distance_km"], ["S1", "S2", 1.0, 100]]
    res = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets))
    assert (res.issues["code"] == Reason.SHIPPED_WITHOUT_WEIGHT.code).any()  # the warning is there
    row = res.reorder.set_index(["sku", "site"]).loc[("B", "S1")]
    assert row["status"] == "EXCESS" and "input repaired" not in row["note"]


@pytest.mark.slow
def test_every_repaired_row_is_noted_even_beyond_the_issue_list(tmp_path):
    """Regression: with 1,500 bad on_order cells only 1,000 rows got the note (the log lists 1,000 per kind)."""
    n = MAX_ISSUES_PER_KIND + 500
    sheets = minimal_sheets()
    sheets["Items"] = [["sku", "unit_cost"]] + [[f"S{i:04d}", 1.0] for i in range(n)]
    sheets["Stock"] = [["sku", "site", "on_hand", "on_order"]] + [[f"S{i:04d}", "X", 5, "n/a"] for i in range(n)]
    sheets["Demand"] = [["sku", "site", "date", "quantity"], ["S0000", "X", pd.Timestamp("2026-02-23"), 3]]
    res = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets))
    noted = res.reorder["note"].str.contains("input repaired", regex=False)
    assert noted.sum() == n and (res.reorder["status"] != "OK").all()
    listed = res.issues[res.issues["code"] == Reason.BAD_OPTIONAL_VALUE.code]
    assert len(listed) == MAX_ISSUES_PER_KIND + 1  # 1,000 rows and one "and 500 more" line
    assert listed["message"].iloc[-1] == "... and 500 more rows like this"
    inputs = load(tmp_path / "t.xlsx")
    assert inputs.repaired("Stock").sum() == n and inputs.issues.count("warning") == n


def test_skipped_rows_are_carried_on_the_inputs(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] += [["C", "twelve", 5, 0.2], ["A", 99.0, 5, 0.2]]  # rows 4 and 5
    sheets["Stock"] += [["Z", "S1", 5, 0, 0], ["B", "S1", None, 0, 0]]  # rows 4 and 5
    sheets["Lanes"] = [["origin", "destination", "cost_per_unit"], ["S1", "S1", 1.0], ["S1", "S2", 1.0]]
    inputs = load(write_blocks(tmp_path / "t.xlsx", sheets))
    assert inputs.skipped_rows["Items"].tolist() == [4, 5]
    assert inputs.skipped_rows["Stock"].tolist() == [4, 5]
    assert inputs.skipped_rows["Lanes"].tolist() == [2]
    assert inputs.skipped_rows["Demand"].tolist() == []
    assert not inputs.repaired("Items").any()


def test_issue_log_counts_every_row_and_folds_only_the_listing():
    log = IssueLog()
    log.add(Reason.BAD_OPTIONAL_VALUE, "Stock", np.arange(2, 1502), "on_order", "x", "expected a number")
    log.add(Reason.BAD_REQUIRED_VALUE, "Items", [7], "unit_cost", "y", "expected a number")
    frame = log.frame()
    assert log.count("warning") == 1500 and log.count("error") == 1 and log.count(category="data") == 1501
    assert len(frame) == 1 + MAX_ISSUES_PER_KIND + 1 and frame["severity"].iloc[0] == "error"
    assert log.has(Reason.BAD_REQUIRED_VALUE) and not log.has(Reason.UNDELIVERABLE)


@pytest.mark.slow
@pytest.mark.slow
def test_all_zero_weights_are_an_input_error_naming_what_to_change(tmp_path):
    sheets = minimal_sheets()
    sheets["Offers"] = [["supplier", "sku", "unit_price"], ["S-1", "A", 9.0], ["S-2", "A", 9.5]]
    sheets["Settings"] += [[f"weight_{w}", 0] for w in ("price", "lead_time", "lead_time_sd", "on_time", "quality",
                                                         "co2")]  # fmt: skip
    path = write_blocks(tmp_path / "t.xlsx", sheets)
    with pytest.raises(InputError, match="weights .* are all 0; set at least one above 0"):
        load(path)
    proc = subprocess.run([sys.executable, "-m", "planner", "run", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) <= 2 and "weight_price" in " ".join(lines) and "Traceback" not in proc.stderr
