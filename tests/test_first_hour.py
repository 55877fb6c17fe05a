"""The first hour of a planner (issue 9): a command line that protects files and says what it did, settings
that stop a wrong run, and plan sanity flags. Real processes, real files, exit codes and file hashes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks

from planner.channels.api import load, plan_workbook
from planner.model.errors import InputError
from planner.pipeline.history import build_history
from planner.workbook.template import write_template

PLANNER = [sys.executable, "-m", "planner"]


def run(*args, cwd=None):
    return subprocess.run([*PLANNER, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(proc) -> str:
    text = (proc.stdout + proc.stderr).strip()
    assert "Traceback" not in text
    return " ".join(text.split())


@pytest.mark.slow
def test_new_refuses_an_existing_workbook_unless_forced(tmp_path):
    data = write_blocks(tmp_path / "data.xlsx", minimal_sheets())
    before = digest(data)
    proc = run("new", data)
    assert proc.returncode == 2 and "already exists" in one_line(proc) and "--force" in one_line(proc)
    assert digest(data) == before
    forced = run("new", data, "--force")
    assert forced.returncode == 0 and digest(data) != before
    assert load(data)["Items"].empty  # it is the template now
    assert run("new", tmp_path / "t.csv").returncode == 2 and not (tmp_path / "t.csv").exists()


@pytest.mark.slow
def test_output_folder_is_created_for_several_workbooks(tmp_path):
    a = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    b = write_blocks(tmp_path / "b.xlsx", minimal_sheets())
    proc = run("run", a, b, "-o", tmp_path / "done" / "today", "-q")
    assert proc.returncode == 0, one_line(proc)
    assert sorted(p.name for p in (tmp_path / "done" / "today").iterdir()) == ["a.planned.xlsx", "b.planned.xlsx"]
    single = run("run", a, "-o", str(tmp_path / "one") + "/")  # a trailing separator names a folder
    assert single.returncode == 0 and (tmp_path / "one" / "a.planned.xlsx").exists()


@pytest.mark.slow
def test_output_name_must_keep_the_workbook_kind(tmp_path):
    a = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    before = digest(a)
    for bad in ("out.csv", "out.xlsm", "out"):
        proc = run("run", a, "-o", tmp_path / bad)
        assert proc.returncode == 2, bad
        assert ".xlsx" in one_line(proc) and not (tmp_path / bad).exists()
    assert digest(a) == before
    assert run("run", a, "-o", tmp_path / "out.XLSX").returncode == 0


@pytest.mark.slow
def test_an_empty_workbook_is_nothing_to_plan(tmp_path):
    template = write_template(tmp_path / "t.xlsx")
    before = digest(template)
    proc = run("run", template)
    assert proc.returncode == 2 and "Nothing to plan" in one_line(proc)
    assert not (tmp_path / "t.planned.xlsx").exists() and digest(template) == before
    check = run("validate", template)
    assert check.returncode == 2 and "nothing to plan" in one_line(check) and " rows; " not in check.stdout


@pytest.mark.slow
def test_a_wrong_choice_in_settings_stops_the_run_with_the_allowed_values(tmp_path):
    sheets = minimal_sheets()
    sheets["Settings"].append(["period", "fortnightly"])
    path = write_blocks(tmp_path / "p.xlsx", sheets)
    proc = run("run", path)
    text = one_line(proc)
    assert proc.returncode == 2 and len((proc.stdout + proc.stderr).strip().splitlines()) == 1
    assert "'fortnightly'" in text and "day, week, month" in text and "row 5" in text
    assert not (tmp_path / "p.planned.xlsx").exists()


@pytest.mark.parametrize(("spelling", "period"), [("monthly", "month"), ("Weekly", "week"), ("DAILY", "day")])
def test_common_spellings_of_a_period_are_accepted(tmp_path, spelling, period):
    sheets = minimal_sheets()
    sheets["Settings"].append(["period", spelling])
    assert load(write_blocks(tmp_path / "p.xlsx", sheets)).settings.period == period


def test_monthly_history_plans_monthly(tmp_path):
    """A monthly workbook is bucketed by calendar month (checked against pandas' own month grouping) and
    forecast month by month."""
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    rng = np.random.default_rng(3)
    qty = (100 + 30 * np.sin(np.arange(24) * 2 * np.pi / 12) + rng.normal(0, 5, 24)).round()
    sheets = minimal_sheets()
    sheets["Items"] = [["sku", "unit_cost"], ["M", 5.0]]
    sheets["Stock"] = [["sku", "site", "on_hand"], ["M", "S1", 40]]
    sheets["Demand"] = [["sku", "site", "date", "quantity"]] + [
        ["M", "S1", m + pd.Timedelta(days=9), q] for m, q in zip(months, qty, strict=True)
    ]
    sheets["Settings"] = [["setting", "value"], ["planning_date", pd.Timestamp("2026-01-15")], ["period", "monthly"],
                          ["horizon_periods", 6]]  # fmt: skip
    res = plan_workbook(write_blocks(tmp_path / "m.xlsx", sheets))
    f = res.forecast.iloc[0]
    assert [c for c in res.forecast.columns if c[:2] == "20"] == [f"2026-{m:02d}-01" for m in range(1, 7)]
    assert f["history_periods"] == 24 and res.settings.season_length == 12
    inputs = load(tmp_path / "m.xlsx")
    hist = build_history(inputs["Demand"], inputs["Stock"], inputs.settings, inputs.issues, "Demand")
    dates = pd.to_datetime(inputs["Demand"]["date"])
    monthly = inputs["Demand"]["quantity"].groupby(dates.dt.to_period("M")).sum()  # pandas' own month buckets
    assert hist.Y[0].tolist() == monthly.to_numpy().tolist() == qty.tolist()
    assert list(hist.period_starts) == list(months) and f["demand_class"] == "smooth"
    assert res.reorder.loc[0, "demand_per_day"] == pytest.approx(f["2026-01-01"] / (365 / 12))


@pytest.mark.slow
def test_summary_separates_data_issues_from_plan_exceptions(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"].append(["C", "cheap", 5, 0.2])  # a data issue
    sheets["Requirements"] = [["destination", "sku", "quantity"], ["S9", "A", 10_000]]  # cannot be delivered
    sheets["Lanes"] = [["origin", "destination", "cost_per_unit"], ["S1", "S9", 1.0]]
    path = write_blocks(tmp_path / "s.xlsx", sheets)
    text = one_line(run("run", path))
    res = plan_workbook(path)
    data = res.issues[res.issues["category"] == "data"]
    plan_rows = res.issues[res.issues["category"] == "plan"]
    assert len(plan_rows) >= 1 and (plan_rows["code"] == "undeliverable").any()
    assert f"{len(data)} data issue" in text and f"{len(plan_rows)} plan exception" in text
    validated = run("validate", path)
    assert f"{len(load(path).issues.frame())} issue" in validated.stdout  # validate lists the data issues only


def test_orders_covering_too_long_are_flagged_and_counted(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] = [["sku", "unit_cost", "moq"], ["A", 10.0, 0], ["B", 4.0, 2000]]  # B sells 2 a day
    sheets["Stock"] = [["sku", "site", "on_hand"], ["A", "S1", 0], ["B", "S1", 0]]
    sheets["Settings"].append(["max_cover_days", 200])
    res = plan_workbook(write_blocks(tmp_path / "c.xlsx", sheets))
    r = res.reorder.set_index("sku")
    cover = r["suggested_order"] / r["demand_per_day"]
    assert cover["B"] > 200 > cover["A"]
    assert f"order covers {cover['B']:,.0f} days of demand" in r.loc["B", "note"]
    assert "order covers" not in r.loc["A", "note"]
    kpi = res.kpis.set_index("kpi").loc["orders_over_max_cover"]
    assert kpi["value"] == 1


def test_negative_on_hand_is_listed_in_issues(tmp_path):
    sheets = minimal_sheets()
    sheets["Stock"][1] = ["A", "S1", -12, 0, 0]
    res = plan_workbook(write_blocks(tmp_path / "n.xlsx", sheets))
    neg = res.issues[res.issues["code"] == "negative_on_hand"]
    assert neg[["sheet", "row", "column", "value", "severity"]].values.tolist() == [["Stock", 2, "on_hand", -12.0,
                                                                                     "warning"]]  # fmt: skip
    assert res.reorder.set_index("sku").loc["A", "status"] == "ORDER NOW"


def test_nothing_to_plan_is_an_input_error_in_the_api(tmp_path):
    sheets = minimal_sheets()
    sheets["Stock"] = [["sku", "site", "on_hand"], ["Z", "S1", 3]]  # unknown sku: skipped
    with pytest.raises(InputError, match="Nothing to plan: sheet 'Stock' has no usable rows \\(1 skipped"):
        plan_workbook(write_blocks(tmp_path / "e.xlsx", sheets))
