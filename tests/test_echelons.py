"""Multi-echelon netting on real workbooks: the Projected Inventory balances row by row, a DC's gross
requirement is its own forecast plus its stores' planned releases, planned transfers are the internal
releases, the Reorder Plan and the Purchase Orders agree, Open Orders, returns and bad source links."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks

from planner.channels.api import load
from planner.pipeline.plan import plan

DAY = pd.Timestamp("2026-03-02")


@pytest.fixture(scope="module")
def chain(small_sample, small_planned):
    return small_planned[1], load(small_sample)


def _grid(result):
    return result.projected.assign(t=result.projected.groupby(["sku", "site"], sort=False).cumcount())


def test_every_projected_row_balances(chain):
    result, _ = chain
    g = _grid(result)
    start = result.reorder.set_index(["sku", "site"])
    now = (start["on_hand"] - start["backorders"].fillna(0)).reindex(pd.MultiIndex.from_frame(g[["sku", "site"]]))
    before = g.groupby(["sku", "site"], sort=False)["projected_on_hand"].shift().fillna(pd.Series(now.to_numpy()))
    flow = before + g["scheduled_receipts"] + g["planned_receipts"] - g["gross_requirement"]
    np.testing.assert_allclose(g["projected_on_hand"], flow, atol=1e-6)
    assert len(g) == len(result.reorder) * result.settings.horizon_periods


def test_parent_gross_requirement_is_own_forecast_plus_childrens_releases(chain):
    result, inputs = chain
    g = _grid(result)
    source = inputs["Sites"].set_index("site")["source"]
    fc = result.forecast.set_index(["sku", "site"])
    periods = [c for c in fc.columns if c[:2] == "20"]
    own = fc[periods].stack().rename("own").reset_index().rename(columns={"level_2": "period"})
    own["t"] = own["period"].map({p: i for i, p in enumerate(periods)})
    kids = g.assign(site=g["site"].map(source)).dropna(subset=["site"])
    releases = kids.groupby(["sku", "site", "t"])["planned_releases"].sum().rename("kids")
    want = own.set_index(["sku", "site", "t"])["own"].add(releases, fill_value=0.0)
    got = g.set_index(["sku", "site", "t"])["gross_requirement"]
    np.testing.assert_allclose(got, want.reindex(got.index), atol=1e-6)
    dcs = inputs["Sites"].loc[inputs["Sites"]["type"] == "dc", "site"]
    assert releases.reset_index()["site"].isin(dcs).any()  # stores really feed a DC in the sample
    assert releases.reset_index()["site"].eq("Plant-Lyon").any()  # and DCs the plant


def test_planned_transfers_are_the_internal_releases(chain):
    result, inputs = chain
    tr = result.transfers
    assert list(tr.columns) == ["sku", "origin", "destination", "quantity", "ship_date", "due_date"]
    source = inputs["Sites"].set_index("site")["source"]
    assert (tr["origin"] == tr["destination"].map(source)).all()
    assert (tr["due_date"] >= tr["ship_date"]).all() and (tr["quantity"] > 0).all()
    g = result.projected
    internal = g[g["site"].map(source).notna() & (g["planned_releases"] > 0)]
    got = tr.groupby(["sku", "destination", "ship_date"])["quantity"].sum()
    want = internal.groupby(["sku", "site", "period_start"])["planned_releases"].sum()
    np.testing.assert_allclose(got.sort_index().to_numpy(), want.sort_index().to_numpy())


def test_reorder_plan_and_purchase_orders_agree(chain):
    result, inputs = chain
    po = result.purchase_orders[result.purchase_orders["row_type"] == "line"].set_index(["sku", "site"])
    ro = result.reorder.set_index(["sku", "site"]).loc[po.index]
    for col in ("supplier", "unit_price", "lead_time_days"):
        assert (ro[col].to_numpy() == po[col].to_numpy()).all(), col
    np.testing.assert_allclose(ro["suggested_order"].astype(float), po["quantity"].astype(float))
    lines = result.reorder["suggested_order"] > 0
    top = result.reorder["site"].map(inputs["Sites"].set_index("site")["source"]).isna()
    assert ro["order_value"].sum() == pytest.approx(po["value"].sum())
    assert set(po.index) == set(result.reorder.loc[lines & top].set_index(["sku", "site"]).index)
    # the grid's release today is the purchase order (or transfer) of the Reorder Plan
    first = result.projected.groupby(["sku", "site"], sort=False)["planned_releases"].first()
    plan_now = result.reorder.set_index(["sku", "site"])["suggested_order"]
    np.testing.assert_allclose(first.reindex(plan_now.index), plan_now)


def _workbook(tmp_path, **sheets):
    return write_blocks(tmp_path / "w.xlsx", minimal_sheets(**sheets))


def test_two_echelons_open_orders_and_returns(tmp_path):
    """S2 is replenished by S1 (lane 3 days + 4 handling = 1 week); an open order at S1 in week 2 replaces its
    on_order; a restocked return at S2 the day before the planning date is back in week 0."""
    stock = [["sku", "site", "on_hand", "on_order", "backorders"], ["A", "S1", 300, 999, 0], ["A", "S2", 20, 0, 0],
             ["B", "S1", 500, 0, 0]]  # fmt: skip
    path = _workbook(
        tmp_path, Stock=stock,
        Sites=[["site", "type", "capacity_m3", "source", "handling_days"], ["S1", "dc", None, None, None],
               ["S2", "store", None, "S1", 4]],
        Lanes=[["origin", "destination", "transit_days", "cost_per_unit"], ["S1", "S2", 3, 1]],
        **{"Open Orders": [["sku", "site", "source", "quantity", "due_date"],
                           ["A", "S1", "Acme", 50, (DAY + pd.Timedelta(days=15)).to_pydatetime()]],
           "Returns": [["sku", "site", "date", "quantity", "disposition"],
                       ["A", "S2", (DAY - pd.Timedelta(days=1)).to_pydatetime(), 6, "restock"],
                       ["A", "S2", (DAY - pd.Timedelta(days=1)).to_pydatetime(), 9, "scrap"]]},
    )  # fmt: skip
    inputs = load(path)
    result = plan(inputs)
    g = _grid(result).set_index(["sku", "site", "t"])
    assert g.loc[("A", "S1", 2), "scheduled_receipts"] == 50  # the open order, not on_order 999
    assert g.xs(("A", "S1"))["scheduled_receipts"].sum() == 50
    assert g.loc[("A", "S2", 0), "scheduled_receipts"] == 6  # restocked, not scrapped
    assert result.issues["code"].eq("open_orders_over_on_order").any()
    ro = result.reorder.set_index(["sku", "site"])
    assert ro.loc[("A", "S2"), "supplier"] == "S1" and ro.loc[("A", "S2"), "lead_time_days"] == 7
    s2 = g.xs(("A", "S2"))["planned_releases"].to_numpy()
    s1_own = result.forecast.set_index(["sku", "site"]).loc[("A", "S1")].filter(regex=r"^20").to_numpy(float)
    np.testing.assert_allclose(g.xs(("A", "S1"))["gross_requirement"].to_numpy(), s1_own + s2)


def test_bad_source_links_are_reported(tmp_path):
    sites = [["site", "type", "source"], ["S1", "dc", "S3"], ["S3", "dc", "S1"], ["S4", "store", "Nowhere"],
             ["S5", "dc", "S4"], ["S6", "dc", "S6"]]  # fmt: skip
    orders = [["sku", "site", "quantity", "due_date"], ["A", "Atlantis", 5, DAY.to_pydatetime()]]
    inputs = load(_workbook(tmp_path, Sites=sites, **{"Open Orders": orders}))
    issues = inputs.issues.frame()
    unknown = issues[issues["code"] == "unknown_site"]
    assert unknown[["sheet", "row", "column", "value"]].values.tolist() == [["Open Orders", 2, "site", "Atlantis"]]
    by_code = issues.groupby("code")["row"].apply(set)
    assert by_code["source_cycle"] == {2, 3, 6}
    assert by_code["unknown_source"] == {4}
    assert by_code["source_is_store"] == {5}
    assert inputs["Sites"]["source"].isna().all()  # every bad link blanked: bought from suppliers
    plan(inputs)  # and the plan still runs


def test_a_grid_larger_than_a_sheet_keeps_the_rows_at_risk_first(monkeypatch):
    from planner.core.netting import Netting
    from planner.model.issues import IssueLog
    from planner.pipeline import echelons

    on_hand = np.array([[5, 5, 5], [1, -1, 0], [5, 5, 5], [5, 4, -2]], float)
    res = Netting(on_hand, on_hand, on_hand, on_hand, on_hand, np.zeros(4))
    log = IssueLog()
    assert list(echelons._rows_that_fit(res, log)) == [0, 1, 2, 3] and not log.count()
    monkeypatch.setattr(echelons, "MAX_GRID_ROWS", 7)  # room for two SKU-sites of three periods
    assert list(echelons._rows_that_fit(res, log)) == [1, 3]  # below 0 in periods 1 and 2
    assert log.frame()["code"].tolist() == ["projection_cut"]
