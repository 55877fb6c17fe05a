"""Input branches that real workbooks reach and the other tests do not: monthly periods, Demand rows without a
Stock row, more than 1,000 issues of one kind, Excel serial dates, and empty sheets. Each is checked against
an independent computation (pandas resample, openpyxl's date conversion, a workbook without the rows)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks
from openpyxl.utils.datetime import from_excel

from planner.channels.api import load, plan_workbook
from planner.model.errors import InputError
from planner.model.issues import MAX_ISSUES_PER_KIND, IssueLog, Reason
from planner.pipeline.history import build_history
from planner.workbook.template import write_template

# --------------------------------------------------------------------------------------------------------
# monthly periods


def monthly_demand(seed: int = 3) -> pd.DataFrame:
    """A: ~120 days with demand from 2025-01 into the planning month; B: ~40 days from 2025-06 to 2026-01
    (nothing in December or February, so those months are zero, not missing)."""
    rng = np.random.default_rng(seed)
    a_days = pd.date_range("2025-01-06", "2026-03-14", freq="D")
    b_days = pd.date_range("2025-06-03", "2026-01-20", freq="D")
    b_days = b_days[b_days.month != 12]
    rows = [("A", d) for d in rng.choice(a_days, 120, replace=False)]
    rows += [("B", d) for d in rng.choice(b_days, 40, replace=False)]
    df = pd.DataFrame(rows, columns=["sku", "date"])
    df["site"] = "S1"
    df["quantity"] = rng.integers(1, 60, len(df)).astype(float)
    return df[["sku", "site", "date", "quantity"]]


def monthly_buckets(df: pd.DataFrame, planning_date: str) -> dict[str, pd.Series]:
    """The calendar months before the planning date's month, summed with pandas resample; a series starts
    at its first month with demand and runs to the last complete month (months without rows are 0)."""
    last = pd.Timestamp(planning_date).to_period("M").start_time - pd.offsets.MonthBegin(1)
    out = {}
    for sku, g in df[df["date"] <= last + pd.offsets.MonthEnd(0)].groupby("sku"):
        s = g.set_index("date")["quantity"].resample("MS").sum()
        out[sku] = s.reindex(pd.date_range(s.index[0], last, freq="MS"), fill_value=0.0)
    return out


@pytest.mark.parametrize("planning_date", ["2026-03-15", "2026-03-01"])
def test_monthly_periods_bucket_by_calendar_month(tmp_path, planning_date):
    df = monthly_demand()
    sheets = minimal_sheets(
        Demand=[["sku", "site", "date", "quantity"], *[[r.sku, r.site, r.date.to_pydatetime(), r.quantity]
                                                       for r in df.itertuples()]],
        Settings=[["setting", "value"], ["planning_date", pd.Timestamp(planning_date).to_pydatetime()],
                  ["period", "month"], ["days_per_year", 360], ["horizon_periods", 4], ["forecast_method", "mean"]],
    )  # fmt: skip
    path = write_blocks(tmp_path / "m.xlsx", sheets)
    want = monthly_buckets(df, planning_date)

    inputs = load(path)
    hist = build_history(inputs["Demand"], inputs["Stock"], inputs.settings, IssueLog(), "Demand")
    assert list(hist.period_starts) == list(want["A"].index)  # A has the longest history
    assert hist.days_per_period == 30.0  # days_per_year / 12
    assert list(hist.future_starts) == list(pd.date_range("2026-03-01", periods=4, freq="MS"))
    for i, sku in enumerate(inputs["Stock"]["sku"]):
        row = hist.Y[i]
        np.testing.assert_array_equal(row[~np.isnan(row)], want[sku].to_numpy())
        assert np.isnan(row[: len(row) - len(want[sku])]).all()

    res = plan_workbook(path)
    fc = res.forecast.set_index("sku")
    assert [c for c in res.forecast.columns if c[:2] == "20"] == ["2026-03-01", "2026-04-01", "2026-05-01",
                                                                   "2026-06-01"]  # fmt: skip
    r = res.reorder.set_index("sku")
    for sku, s in want.items():
        y = s.to_numpy()
        errors = [y[t] - y[:t].mean() for t in range(1, len(y))]  # one-step errors of the expanding mean
        assert fc.loc[sku, "history_periods"] == len(y)
        assert fc.loc[sku, "2026-03-01"] == pytest.approx(y.mean())
        assert r.loc[sku, "demand_per_day"] == pytest.approx(y.mean() / 30)
        # the one-step error sd (the plan's sigma_d is the multi-step sd, tests/test_service_levels.py)
        assert fc.loc[sku, "error_sd_per_period"] == pytest.approx(np.sqrt(np.mean(np.square(errors))))
    assert res.settings.season_length == 12

    in_month = df[df["date"] >= pd.Timestamp(planning_date).replace(day=1)]  # the month under way
    late = res.issues[res.issues["message"].str.contains("not used as history")]
    assert sorted(late["row"]) == sorted(in_month.index + 2) and set(late["code"]) == {"future_demand"}
    assert (late["severity"] == "warning").all()


# --------------------------------------------------------------------------------------------------------
# Demand rows without a Stock row


def test_demand_without_a_stock_row_is_reported_and_not_used(tmp_path):
    """A's demand at S2 and at S9 has no Stock row: an info issue per row (Excel row, site), and the plan of
    the Stock rows is exactly the plan of the workbook without those rows. A stray row dated after the
    planning date gets only the 'not used as history' warning."""
    sheets = minimal_sheets()
    base = plan_workbook(write_blocks(tmp_path / "base.xlsx", sheets))
    first_new = len(sheets["Demand"]) + 1  # Excel row of the first appended row
    stray = [["A", "S2", dt.datetime(2026, 1, 5), 500], ["B", "S9", dt.datetime(2026, 2, 2), 70],
             ["A", "S2", dt.datetime(2026, 2, 9), 900], ["A", "S2", dt.datetime(2026, 3, 9), 5]]  # fmt: skip
    sheets["Demand"] += stray
    res = plan_workbook(write_blocks(tmp_path / "stray.xlsx", sheets))

    info = res.issues[res.issues["severity"] == "info"]
    assert list(info["row"]) == [first_new, first_new + 1, first_new + 2]
    assert list(info["value"]) == ["S2", "S9", "S2"] and set(info["sheet"]) == {"Demand"}
    assert set(info["code"]) == {"demand_without_stock"} and set(info["category"]) == {"data"}
    assert set(info["message"]) == {"no Stock row for this sku/site; history not used"}
    future = res.issues[res.issues["severity"] == "warning"]
    assert list(future["row"]) == [first_new + 3] and list(future["code"]) == ["future_demand"]
    assert len(res.issues) == 4
    pd.testing.assert_frame_equal(res.reorder, base.reorder)
    pd.testing.assert_frame_equal(res.forecast, base.forecast)


# --------------------------------------------------------------------------------------------------------
# more than 1,000 issues of one kind


def test_issue_log_lists_1000_of_a_kind_and_counts_the_rest():
    log = IssueLog()
    log.add(Reason.BAD_OPTIONAL_VALUE, "Items", [7, 8, 9], "moq", ["x", "y", "z"], "expected a number >= 0")
    log.add(Reason.BAD_REQUIRED_VALUE, "Demand", np.arange(2, 1502), "quantity", "lots", "expected a number >= 0")
    log.add(Reason.BLANK_REQUIRED_VALUE, "Stock", np.arange(2, 1003), "on_hand", None, "required value is blank")
    log.add(Reason.DEMAND_WITHOUT_STOCK, "Demand", [], "site", [], "nothing")  # no rows: nothing logged
    frame = log.frame()
    assert MAX_ISSUES_PER_KIND == 1000
    assert log.count() == 3 + 1500 + 1001 and log.count("error") == 2501 and log.count("info") == 0
    assert len(frame) == 1000 + 1 + 1000 + 1 + 3
    assert list(frame["severity"]) == ["error"] * 2002 + ["warning"] * 3  # errors first, order kept
    demand = frame[frame["sheet"] == "Demand"]
    assert list(demand["row"].iloc[:1000]) == list(range(2, 1002))
    more = frame[frame["message"].str.startswith("... and")]
    assert list(more["message"]) == ["... and 500 more rows like this", "... and 1 more rows like this"]
    assert list(more["sheet"]) == ["Demand", "Stock"] and list(more["column"]) == ["quantity", "on_hand"]
    assert list(more["code"]) == ["bad_required_value", "blank_required_value"]
    assert more["row"].isna().all() and more["value"].isna().all()
    assert list(frame["row"].iloc[-3:]) == [7, 8, 9]


def test_1200_bad_cells_fill_1000_issue_rows_and_one_count_line(tmp_path):
    sheets = minimal_sheets()
    first = len(sheets["Demand"]) + 1
    sheets["Demand"] += [["A", "S1", dt.datetime(2020, 1, 1) + dt.timedelta(days=i), "n/a"] for i in range(1200)]
    out = tmp_path / "planned.xlsx"
    res = plan_workbook(write_blocks(tmp_path / "many.xlsx", sheets), output=out)
    kind = res.issues[(res.issues["sheet"] == "Demand") & (res.issues["column"] == "quantity")]
    assert list(kind["row"].iloc[:1000]) == list(range(first, first + 1000))
    assert kind["message"].iloc[-1] == "... and 200 more rows like this" and len(kind) == 1001
    info = res.run_info.set_index("item")["value"]
    assert info["issues: errors"] == 1200  # the count covers every row, listed or not
    ws = openpyxl.load_workbook(out, read_only=True)["Issues"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    written = [r for r in rows[1:] if r[header.index("column")] == "quantity"]
    assert len(written) == 1001 and written[-1][header.index("message")] == "... and 200 more rows like this"
    assert written[-1][header.index("row")] is None
    assert res.reorder.set_index("sku").loc["A", "demand_per_day"] == pytest.approx(10.0)  # bad rows skipped


# --------------------------------------------------------------------------------------------------------
# Excel serial dates


def test_serial_numbers_in_date_columns_are_excel_dates(tmp_path):
    """Dates typed or pasted as numbers (45000 = 2023-03-15, as Excel shows it with a date format), alone or
    mixed with date cells and ISO text, read as the dates openpyxl converts them to; a fraction (a time of
    day) is dropped; 0 and 109575 (2200-01-01, after the last date accepted, 2199-12-31) are not dates. The
    plan equals the plan of the same workbook with date cells."""
    sheets = minimal_sheets()
    sheets["Demand"].append(["B", "S1", dt.datetime(2023, 3, 15), 3])
    dated = write_blocks(tmp_path / "dated.xlsx", sheets)
    serial = minimal_sheets()
    for i, row in enumerate(serial["Demand"][1:]):
        n = (row[2] - dt.datetime(1899, 12, 30)).days
        row[2] = n + 0.75 if i % 3 == 0 else n if i % 3 == 1 else row[2].strftime("%Y-%m-%d")
    serial["Demand"] += [["A", "S1", 0, 5], ["A", "S1", 109575, 5], ["B", "S1", 45000, 3]]
    path = write_blocks(tmp_path / "serial.xlsx", serial)

    inputs = load(path)
    got = inputs["Demand"].set_index("_row")["date"]
    n = len(serial["Demand"])
    for r, cell in enumerate(serial["Demand"][1:n - 3], start=2):  # fmt: skip
        value = cell[2]
        want = pd.Timestamp(value) if isinstance(value, str) else pd.Timestamp(from_excel(value)).normalize()
        assert got[r] == want, (r, value)
    assert got[n] == pd.Timestamp(from_excel(45000)) == pd.Timestamp("2023-03-15")
    issues = inputs.issues.frame()
    bad = issues[issues["column"] == "date"]
    assert list(bad["row"]) == [n - 2, n - 1]
    assert set(bad["code"]) == {"bad_required_value"} and set(bad["value"]) == {0, 109575}
    assert pd.Timestamp(from_excel(109575)) == pd.Timestamp("2200-01-01")

    a, b = plan_workbook(dated).reorder, plan_workbook(path).reorder
    pd.testing.assert_frame_equal(a, b)


def test_a_serial_number_planning_date_in_settings_is_a_date(tmp_path):
    sheets = minimal_sheets()
    sheets["Settings"][1][1] = 46083  # a date cell whose format was lost, or pasted as values
    inputs = load(write_blocks(tmp_path / "s.xlsx", sheets))
    assert inputs.settings.planning_date == pd.Timestamp(from_excel(46083)) == pd.Timestamp("2026-03-02")
    assert len(inputs.issues.frame()) == 0


# --------------------------------------------------------------------------------------------------------
# empty sheets


def test_sheets_with_headers_and_no_rows(tmp_path):
    """Offers with headers only plans as if there were no Offers sheet; Demand with headers only leaves every
    row without history (NO DEMAND); Stock with headers only, or an empty template (Excel Tables with a header
    row only), is nothing to plan: one input error, no file written."""
    base = plan_workbook(write_blocks(tmp_path / "base.xlsx", minimal_sheets()))
    offers = plan_workbook(write_blocks(tmp_path / "offers.xlsx",
                                        minimal_sheets(Offers=[["supplier", "sku", "unit_price"]])))  # fmt: skip
    pd.testing.assert_frame_equal(offers.reorder, base.reorder)
    assert len(offers.issues) == 0

    demand = plan_workbook(write_blocks(tmp_path / "d.xlsx", minimal_sheets(Demand=[["sku", "site", "date",
                                                                                      "quantity"]])))  # fmt: skip
    assert list(demand.reorder["status"]) == ["NO DEMAND", "NO DEMAND"]
    assert (demand.reorder["demand_per_day"] == 0).all() and (demand.forecast["history_periods"] == 0).all()

    stock = write_blocks(tmp_path / "s.xlsx", minimal_sheets(Stock=[["sku", "site", "on_hand"]]))
    template = write_template(tmp_path / "template.xlsx")
    for path in (stock, template):
        assert len(load(path)["Stock"]) == 0
        with pytest.raises(InputError) as err:
            plan_workbook(path, output=tmp_path / "out.xlsx")
        assert str(err.value) == "Nothing to plan: sheet 'Stock' has no usable rows"
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("sheet,column", [("Items", "sku"), ("Offers", "supplier"), ("Settings", "setting")])
def test_a_sheet_with_nothing_at_all_is_a_structural_problem(tmp_path, sheet, column):
    """A sheet with no cells at all has none of its required columns: the run stops with one message
    naming the sheet and the first required column, and writes nothing (an absent optional sheet, by
    contrast, is simply not used)."""
    path = write_blocks(tmp_path / "blank.xlsx", minimal_sheets(**{sheet: []}))
    ws = openpyxl.load_workbook(path)[sheet]
    assert ws.max_row == ws.max_column == 1 and ws["A1"].value is None  # no cell at all
    with pytest.raises(InputError) as err:
        plan_workbook(path, output=tmp_path / "out.xlsx")
    assert str(err.value) == f"Sheet '{sheet}': required column '{column}' is missing (found: no headers)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blank.xlsx"]
