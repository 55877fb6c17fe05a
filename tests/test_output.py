"""The planned workbook: contract names, formatting, charts, and numbers consistent with the formulas."""

from __future__ import annotations

import math
import subprocess
import sys
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import CHECK_OUTPUT, minimal_sheets, write_blocks
from openpyxl.utils import get_column_letter
from scipy import stats

from planner.channels.api import plan_workbook
from planner.core import service_levels as sl
from planner.core.inventory import normal_loss
from planner.workbook.contract import OUTPUT_SHEETS


@pytest.fixture(scope="module")
def planned(small_planned):
    return small_planned


@pytest.mark.slow
def test_conforms_to_the_contract_tool(planned):
    out, _ = planned
    proc = subprocess.run([sys.executable, str(CHECK_OUTPUT), str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert "conforms" in proc.stdout


@pytest.mark.slow
def test_every_output_sheet_is_a_formatted_table(planned):
    out, _ = planned
    wb = openpyxl.load_workbook(out)
    for name in OUTPUT_SHEETS:
        ws = wb[name]
        assert ws.tables, f"{name} has no Excel Table"
        for table in ws.tables.values():  # Excel refuses a table whose columns do not match its header cells
            first = ws[table.ref.split(":")[0]]
            header = [ws.cell(first.row, first.column + j).value for j in range(len(table.tableColumns))]
            assert [c.name for c in table.tableColumns] == [str(h) for h in header]
            assert table.autoFilter is not None
        assert ws.freeze_panes is not None, f"{name} has no frozen header"
    rp = wb["Reorder Plan"]
    header = [c.value for c in rp[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert rp.cell(2, col["unit_price"]).number_format == '#,##0.00 "EUR"_0_0'
    assert rp.cell(2, col["order_date"]).number_format == "yyyy-mm-dd_0_0"
    assert rp.cell(2, col["expected_fill_rate"]).number_format == "0.0%_0_0"
    rules = [r for cf in rp.conditional_formatting for r in cf.rules]
    assert {r.formula[0] for r in rules} >= {'"ORDER NOW"', '"EXCESS"', '"OK"'}
    kpis = wb["KPIs"]
    assert any(r.formula[0] == '"RED"' for cf in kpis.conditional_formatting for r in cf.rules)
    assert rp.column_dimensions["A"].width >= 8


@pytest.mark.slow
def test_native_charts_on_kpis_scorecard_and_carbon(planned):
    out, _ = planned
    wb = openpyxl.load_workbook(out)
    assert len(wb["KPIs"]._charts) == 2 and len(wb["Supplier Scorecard"]._charts) == 1
    assert len(wb["Carbon"]._charts) == 1
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/") and n.endswith(".xml")]
        titles = b"".join(z.read(c) for c in charts)
    for title in (b"ABC Pareto", b"Warehouse occupancy", b"Supplier scores", b"CO2 and cost by carbon price"):
        assert title in titles
    with zipfile.ZipFile(out) as z:
        xml = {c: z.read(c) for c in charts}
    occupancy = next(x for x in xml.values() if b"Warehouse occupancy" in x)
    pareto = next(x for x in xml.values() if b"ABC Pareto" in x)
    assert occupancy.count(b"<valAx>") == 1  # now, projected and the 100 % line on one percent scale
    assert pareto.count(b"<valAx>") == 2  # value in money, share in percent on the right


@pytest.mark.slow
def test_reorder_numbers_follow_the_contract_formulas(planned):
    _, res = planned
    r = res.reorder
    # rows whose order the allocation moved to a supplier with another lead time have their levels at it too
    assert r["note"].fillna("").str.contains("levels at this supplier's lead time").any()
    sq = r[r["policy"] == "sQ"]
    # sigma_T over L + review_days_sq (1 by default; 0, the textbook's L, for a forecast given on Stock)
    given = (sq["forecast_method"] == "given").to_numpy()
    review = np.where(given, 0.0, res.settings.review_days_sq)
    sigma = np.sqrt((sq["lead_time_days"] + review) * sq["demand_sd_per_day"] ** 2
                    + sq["demand_per_day"] ** 2 * sq["lead_time_sd_days"] ** 2)  # fmt: skip
    check = res.service.set_index(["sku", "site"])
    key = pd.MultiIndex.from_frame(sq[["sku", "site"]])
    tuning = (check["planned_level"] - check["formula_level"]).astype(float).reindex(key).to_numpy()
    np.testing.assert_allclose(sq["safety_stock"], sq["safety_factor"] * sigma + tuning, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sq["reorder_point"], sq["demand_per_day"] * sq["lead_time_days"] + sq["safety_stock"])
    textbook = sq[given & (sigma > 0).to_numpy()]  # normal demand, continuous review: SPT's formulas
    assert len(textbook) and (sq.loc[~given, "demand_distribution"] != "normal").any()
    cyc = textbook[textbook["service_type"] == "cycle"]
    np.testing.assert_allclose(cyc["safety_factor"], np.maximum(stats.norm.ppf(cyc["service_level"]), 0), rtol=1e-9)
    fill = textbook[(textbook["service_type"] == "fill") & (textbook["safety_factor"] > 0)]
    fs = np.sqrt(fill["lead_time_days"] * fill["demand_sd_per_day"] ** 2
                 + fill["demand_per_day"] ** 2 * fill["lead_time_sd_days"] ** 2)  # fmt: skip
    np.testing.assert_allclose(fs * normal_loss(fill["safety_factor"].to_numpy()),
                               (1 - fill["service_level"]) * fill["order_quantity"], rtol=1e-6)  # fmt: skip
    # the other rows: the formula's level (less the tuning) meets the target by its distribution; a whole-unit
    # (negbin) level is the unit whose service is nearest the target
    other = sq[~given & (sq["demand_per_day"] > 0).to_numpy()]
    level = other["reorder_point"].to_numpy() - tuning[~given & (sq["demand_per_day"] > 0).to_numpy()]
    args = (other["order_quantity"], other["demand_per_day"], other["demand_sd_per_day"] ** 2,
            other["lead_time_days"], other["lead_time_sd_days"], False, 7.0, res.settings.review_days_sq,
            other["demand_distribution"])  # fmt: skip
    is_fill = (other["service_type"] == "fill").to_numpy()

    def service(x):
        return np.where(is_fill, sl.fill_rate(x, *args), sl.cycle_service(x, *args[1:-1], args[-1]))

    target = other["service_level"].to_numpy()
    nb = (other["demand_distribution"] == "negbin").to_numpy()
    assert np.all(service(level)[~nb] >= target[~nb] - 1e-9)
    gap = [np.abs(service(level + k) - target)[nb] for k in (-1, 0, 1)]
    assert nb.any() and np.all(gap[1] <= gap[0] + 1e-12) and np.all(gap[1] <= gap[2] + 1e-12)
    whole = other.loc[other["demand_distribution"] == "negbin", "reorder_point"].to_numpy(float)
    np.testing.assert_allclose(whole, np.round(whole), atol=1e-9)  # whole units (s = d L + SS, to float noise)
    ip = r["on_hand"] + r["on_order"] - r["backorders"]
    np.testing.assert_allclose(r["inventory_position"], ip)
    ordered = r[(r["policy"] == "sQ") & (r["suggested_order"] > 0)]
    n = ordered["suggested_order"] / ordered["order_quantity"]
    assert np.allclose(n, np.round(n)) and (n >= 1).all()
    assert (ordered["inventory_position"] + ordered["suggested_order"] > ordered["reorder_point"]).all()
    assert (r.loc[r["suggested_order"] > 0, "status"] == "ORDER NOW").all()


@pytest.mark.slow
def test_purchase_orders_group_by_supplier_with_subtotals(planned):
    _, res = planned
    po, r = res.purchase_orders, res.reorder
    lines = po[po["row_type"] == "line"]
    bought = ~r["supplier"].isin(r["site"])  # rows replenished by a site (supplier = the site) are transfers
    assert len(lines) == int(((r["suggested_order"] > 0) & bought).sum()) and (~bought).any()
    for supplier, group in lines.groupby("supplier"):
        sub = po[(po["row_type"] == "subtotal") & (po["supplier"] == supplier)].iloc[0]
        assert sub["value"] == pytest.approx((group["quantity"] * group["unit_price"]).sum())
        assert sub["quantity"] == pytest.approx(group["quantity"].sum())
    total = po[po["row_type"] == "total"].iloc[0]
    assert total["value"] == pytest.approx(lines["value"].sum())
    assert (po.index[po["row_type"] == "total"] == len(po) - 1).all()


@pytest.mark.slow
def test_kpis_recomputed_independently(planned, small_sample):
    _, res = planned
    k = res.kpis.set_index("kpi")
    r = res.reorder
    live = r["demand_per_day"] > 0
    assert k.loc["availability", "value"] == pytest.approx(((r["on_hand"] > 0) & live).sum() / live.sum())
    w = r["demand_per_day"]
    assert k.loc["expected_fill_rate", "value"] == pytest.approx((r["expected_fill_rate"] * w).sum() / w.sum())
    risk = (r["inventory_position"] < r["demand_per_day"] * r["lead_time_days"]).sum()
    assert k.loc["stockout_risk_skus", "value"] == risk
    items = pd.read_excel(small_sample, sheet_name="Items", engine="calamine").set_index("sku")
    sites = pd.read_excel(small_sample, sheet_name="Sites", engine="calamine").set_index("site")
    cost = r["sku"].map(items["unit_cost"])
    inv_value = (r["on_hand"].clip(lower=0) * cost).sum()
    assert k.loc["inventory_value", "value"] == pytest.approx(inv_value)
    assert k.loc["inventory_turns", "value"] == pytest.approx((r["demand_per_day"] * 365 * cost).sum() / inv_value)
    unit_vol = r["sku"].map(items["unit_volume_m3"])
    vol = (r["on_hand"].clip(lower=0) * unit_vol).groupby(r["site"]).sum().reindex(sites.index).fillna(0.0)
    po = res.purchase_orders[res.purchase_orders["row_type"] == "line"]
    inbound = (r["on_order"] * unit_vol).groupby(r["site"]).sum().reindex(sites.index).fillna(0.0)
    inbound += (po["quantity"] * po["sku"].map(items["unit_volume_m3"])).groupby(po["site"]).sum().reindex(
        sites.index).fillna(0.0)  # fmt: skip
    ship = res.network.distribution.shipments
    if len(res.transfers):  # the synchronised plan: the first forecast period's shipments (they span the horizon)
        ship = ship[ship["ship_date"] < res.settings.planning_date + pd.Timedelta(days=7)]
    moved = ship.groupby("destination")["volume_m3"].sum().reindex(sites.index).fillna(0.0)
    moved -= ship.groupby("origin")["volume_m3"].sum().reindex(sites.index).fillna(0.0)
    for site in sites.index:
        cap = sites.loc[site, "capacity_m3"]
        if site in set(r["site"]):  # occupancy now: sites whose stock the plan holds
            assert k.loc[f"occupancy {site}", "value"] == pytest.approx(vol[site] / cap)
        else:
            assert f"occupancy {site}" not in k.index
        projected = (vol[site] + inbound[site] + moved[site]) / cap
        assert k.loc[f"projected occupancy {site}", "value"] == pytest.approx(projected)
    assert set(k["status"]) <= {"GREEN", "AMBER", "RED", "INFO"}
    lights = k.loc["availability"]
    expected = (
        "GREEN"
        if lights["value"] >= lights["target"]
        else ("AMBER" if lights["value"] >= 0.9 * lights["target"] else "RED")
    )
    assert lights["status"] == expected


def test_cheapest_offer_and_lead_time_chain(tmp_path):
    sheets = minimal_sheets()
    sheets["Suppliers"] = [["supplier", "lead_time_days", "lead_time_sd_days"], ["Cheap", 30, 2], ["Quick", 5, 1]]
    sheets["Offers"] = [
        ["supplier", "sku", "unit_price", "lead_time_days", "moq"],
        ["Cheap", "A", 9.0, None, 100],
        ["Quick", "A", 9.5, None, None],
        ["Cheap", "B", 3.0, 12, None],
        ["Quick", "B", 3.0, 4, None],
    ]
    r = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets)).reorder.set_index("sku")
    assert r.loc["A", "supplier"] == "Cheap" and r.loc["A", "unit_price"] == 9.0
    assert r.loc["A", "lead_time_days"] == 30 and r.loc["A", "lead_time_sd_days"] == 2  # from the supplier row
    assert r.loc["A", "order_quantity"] >= 100  # the offer's moq
    assert r.loc["B", "supplier"] == "Quick" and r.loc["B", "lead_time_days"] == 4  # tie on price: shorter lead


def test_formula_like_text_is_written_as_text(tmp_path):
    sheets = minimal_sheets()
    sheets["Stock"].append(['=HYPERLINK("http://x")', "S1", 1, 0, 0])
    out = tmp_path / "t.planned.xlsx"
    plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets), output=out)
    ws = openpyxl.load_workbook(out)["Issues"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYPER")]
    assert cells and all(c.data_type == "s" for c in cells)
    with zipfile.ZipFile(out) as z:
        issues_xml = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and b"HYPERLINK" in z.read(n)]
    assert issues_xml and all(b"<f>" not in x for x in issues_xml)


@pytest.mark.slow
def test_sample_plan_statuses_and_dates_are_sensible(planned):
    _, res = planned
    r = res.reorder
    assert set(r["status"]) <= {"ORDER NOW", "OK", "EXCESS", "NO DEMAND", "CHECK"}
    arrive = (r["expected_arrival"] - r["order_date"]).dt.days
    assert (arrive == np.ceil(r["lead_time_days"])).all()
    pdate = pd.Timestamp(res.settings.planning_date)
    assert (r.loc[r["suggested_order"] > 0, "order_date"] == pdate).all()
    cover = r["on_hand"] / r["demand_per_day"]
    np.testing.assert_allclose(r["days_of_cover"].dropna(), cover[r["demand_per_day"] > 0])
    assert math.isfinite(res.kpis.set_index("kpi").loc["forecast_wape", "value"])


@pytest.mark.slow
def test_columns_are_wide_enough_for_values_as_excel_shows_them(planned):
    """No '###': a money column fits '22,345,678.12 EUR', a KPI value column its widest formatted value
    (money on the KPI dashboard in whole currency units)."""
    out, res = planned
    ws = openpyxl.load_workbook(out)["KPIs"]

    def width_of(table: str, column: str) -> float:
        t = ws.tables[table]
        first = openpyxl.utils.cell.range_boundaries(t.ref)[0]
        header = [c.value for c in ws[t.ref][0]]
        letter = get_column_letter(first + header.index(column))
        return ws.column_dimensions[letter].width

    top = res.abc["annual_value"].max()
    assert width_of("AbcPareto", "annual_value") >= len(f"{top:,.2f} EUR")
    k = res.kpis.set_index("kpi")
    assert width_of("KPIs", "value") >= len(f"{k.loc['inventory_value', 'value']:,.0f} EUR")
