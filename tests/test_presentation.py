"""How the planned workbook reads: number formats by meaning cell by cell, charts, fonts, widths, page setup
and the KPI rows, read back from real .xlsx files with openpyxl (and the chart and workbook XML). The tests
on the planned sample are the integration layer (slow)."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from conftest import minimal_sheets, write_blocks
from lxml import etree
from openpyxl.utils import get_column_letter

from planner.channels.api import plan_workbook
from planner.model.settings import SETTINGS
from planner.workbook import style
from planner.workbook.contract import NETWORK_SHEETS, OUTPUT_SHEETS, ROUNDS_SHEETS
from planner.workbook.layout import nice_scale

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
EMU_PER_CM = 360000
COUNT, PERCENT, MONEY = "#,##0_0_0", "0.0%_0_0", '#,##0.00 "EUR"_0_0'


@pytest.fixture(scope="module")
def planned(small_planned):
    out, result = small_planned
    return out, result, openpyxl.load_workbook(out)


def by_first_column(ws) -> dict[str, openpyxl.cell.Cell]:
    """The value cell (column B) of each row, keyed by column A's text."""
    return {r[0].value: r[1] for r in ws.iter_rows(min_row=2, max_col=2) if r[0].value is not None}


@pytest.mark.slow
def test_run_info_formats_each_value_by_its_meaning(planned):
    _, result, wb = planned
    cells = by_first_column(wb["Run Info"])
    assert cells["sku-sites planned"].value == 140 and cells["sku-sites planned"].number_format == COUNT
    assert cells["orders suggested"].number_format == COUNT
    assert cells["issues: warnings"].number_format == COUNT
    assert cells["supplier allocation gap"].number_format == PERCENT
    assert cells["setting service_level"].number_format == PERCENT
    assert cells["setting holding_rate"].number_format == PERCENT
    assert cells["setting order_cost"].number_format == MONEY
    assert cells["setting carbon_price_per_t"].number_format == '#,##0 "EUR/t"_0_0'
    assert cells["setting shortage_penalty_per_unit"].number_format == '#,##0.00 "EUR/unit"_0_0'
    assert cells["setting lead_time_days"].number_format == 'General" days"_0_0'
    assert cells["setting solver_time_limit_s"].number_format == 'General" s"_0_0'
    assert cells["setting weight_price"].number_format == "0.00_0_0"
    assert cells["setting planning_date"].number_format == "General"
    # money only for money: exactly the settings that are amounts of money carry the currency
    with_currency = {k.removeprefix("setting ") for k, c in cells.items() if "EUR" in c.number_format}
    assert with_currency == {"order_cost", "carbon_price_per_t", "shortage_penalty_per_unit", "late_penalty_per_unit",
                             "target_excess_stock_value", "supplier allocation heuristic objective",
                             "supplier allocation objective"}  # fmt: skip


def test_every_setting_has_a_meaning_in_run_info():
    assert set(style.SETTING_MEANING) == set(SETTINGS)
    assert set(style.SETTING_MEANING.values()) <= set(style.number_formats("EUR"))


@pytest.mark.slow
def test_kpi_values_and_targets_in_their_units(planned):
    _, result, wb = planned
    ws = wb["KPIs"]
    header = [c.value for c in ws[1]][:7]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2, max_col=len(header)) if r[0].value}
    value, target = header.index("value"), header.index("target")
    assert rows["availability"][value].number_format == PERCENT
    assert rows["availability"][target].number_format == PERCENT
    assert rows["inventory_value"][value].number_format == '#,##0 "EUR"_0_0'  # money, no cents on a dashboard
    assert rows["days_of_cover"][value].number_format == '#,##0.0 "days"_0_0'
    assert rows["stockout_risk_skus"][value].number_format == COUNT
    assert rows["inventory_turns"][value].number_format == "0.00_0_0"
    assert rows["co2_total_kg"][value].number_format == '#,##0.0 "kg"_0_0'
    assert rows["co2_per_unit_bought_kg"][value].number_format == '#,##0.000 "kg"_0_0'
    money = {k for k, r in rows.items() if "EUR" in r[value].number_format}
    assert money == set(result.kpis.loc[result.kpis["unit"] == "money", "kpi"])


def test_issue_values_take_the_unit_of_the_column_they_were_found_in(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"] = [[*sheets["Items"][0], "lead_time_days"], ["A", 10.0, 50, 0.2, 7], ["B", 4.0, 20, 7.0, -3],
                       ["C", -5.0, 20, 0.2, 7]]  # fmt: skip
    sheets["Stock"] = sheets["Stock"] + [["A", "S2", 3, -2, 0]]
    out = tmp_path / "t.planned.xlsx"
    result = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets), output=out)
    ws = openpyxl.load_workbook(out)["Issues"]
    header = [c.value for c in ws[1]]
    found = {(r[header.index("column")].value, r[header.index("value")].value): r[header.index("value")].number_format
             for r in ws.iter_rows(min_row=2)}  # fmt: skip
    assert found[("unit_cost", -5)] == MONEY
    assert found[("holding_rate", 7)] == PERCENT
    assert found[("lead_time_days", -3)] == 'General" days"_0_0'
    assert found[("on_order", -2)] == "General_0_0"  # a quantity, exactly as typed
    assert len(found) == len(result.issues)


def _chart_xml(path) -> dict[str, etree._Element]:
    """Each chart's XML by its title text."""
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if re.fullmatch(r"xl/charts/\w*chart\d+\.xml", name):
                root = etree.fromstring(z.read(name))
                title = "".join(root.find(f"{C}chart/{C}title").itertext())
                out[title] = root
    return out


def _series(root) -> list[dict]:
    """Each series: kind (bar or line), name, values reference, axis id of its chart group."""
    out = []
    for group in root.iter(f"{C}barChart", f"{C}lineChart"):
        axis = group.findall(f"{C}axId")[1].get("val")
        for ser in group.findall(f"{C}ser"):
            out.append({"kind": group.tag.removeprefix(C), "name": "".join(ser.find(f"{C}tx").itertext()),
                        "values": ser.find(f"{C}val/{C}numRef/{C}f").text, "axis": axis})  # fmt: skip
    return out


def _axes(root) -> dict[str, dict]:
    out = {}
    for ax in root.iter(f"{C}valAx"):
        scaling = ax.find(f"{C}scaling")
        get = lambda el, tag: None if el.find(tag) is None else el.find(tag).get("val")  # noqa: E731
        out[ax.find(f"{C}axId").get("val")] = {
            "format": ax.find(f"{C}numFmt").get("formatCode"),
            "min": get(scaling, f"{C}min"), "max": get(scaling, f"{C}max"),
            "title": "".join(ax.find(f"{C}title").itertext()) if ax.find(f"{C}title") is not None else "",
        }  # fmt: skip
    return out


def _values(wb, ref: str) -> list:
    sheet, cells = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    return [row[0].value for row in ws[cells.replace("$", "")]]


@pytest.mark.slow
def test_pareto_is_the_cumulative_share_against_the_a_cutoff(planned):
    out, result, wb = planned
    root = _chart_xml(out)["ABC Pareto"]
    series = {s["name"]: s for s in _series(root)}
    assert series["annual value"]["kind"] == "barChart"
    cumulative = _values(wb, series["cumulative share"]["values"])
    shares = result.abc["value_share"].tolist()
    assert cumulative == pytest.approx([sum(shares[: i + 1]) for i in range(len(shares))])
    assert cumulative[-1] == pytest.approx(1.0)
    cutoff = next(s for name, s in series.items() if name.startswith("A cut-off"))
    assert _values(wb, cutoff["values"]) == [pytest.approx(0.8)] * 3  # Settings abc_a_share (default)
    axes = _axes(root)
    share_axis = axes[series["cumulative share"]["axis"]]
    assert (share_axis["min"], share_axis["max"], share_axis["format"]) == ("0", "1", "0%")
    money_axis = axes[series["annual value"]["axis"]]
    assert "EUR" in money_axis["format"] and "." not in money_axis["format"]  # no decimals on money
    assert money_axis["min"] == "0"


@pytest.mark.slow
def test_occupancy_against_a_full_capacity_line_with_every_site_labelled(planned):
    out, result, wb = planned
    root = _chart_xml(out)["Warehouse occupancy"]
    series = _series(root)
    line = next(s for s in series if s["kind"] == "lineChart")
    sites = [k.removeprefix("projected occupancy ") for k in result.kpis["kpi"] if k.startswith("projected occ")]
    assert _values(wb, line["values"]) == [1.0] * len(sites)  # 100 % of capacity, for each site with a KPI
    assert {s["axis"] for s in series} == {line["axis"]}  # one percent scale for now, projected and the line
    axis = _axes(root)[line["axis"]]
    assert axis["min"] == "0" and float(axis["max"]) >= 1.0 and axis["format"] == "0%"
    assert root.find(f".//{C}catAx/{C}tickLblSkip").get("val") == "1"


@pytest.mark.slow
def test_charts_read_at_a_glance(planned):
    out, result, _ = planned
    charts = _chart_xml(out)
    route_map = charts.pop("Delivery rounds")  # an XY scatter, one series per route: checked on its own
    scatter = route_map.find(f".//{C}scatterChart")
    assert scatter is not None and len(scatter.findall(f"{C}ser")) == len(result.rounds.summary)
    assert set(charts) == {"ABC Pareto", "Warehouse occupancy", "Supplier scores", "CO2 and cost by carbon price",
                           "SKU-sites most at risk"}  # fmt: skip
    for title, root in charts.items():
        assert len(title) <= 30
        size = root.find(f".//{C}title//{A}defRPr").get("sz")
        assert int(size) == 1200  # 12 pt, so the title does not crowd the plot
        assert root.find(f".//{C}legend/{C}legendPos").get("val") == "b"
        assert root.find(f".//{C}catAx/{C}tickLblSkip").get("val") == "1"  # every category label
        for axis in _axes(root).values():
            assert axis["min"] == "0"  # no cropped value axis
    supplier = _axes(charts["Supplier scores"])
    assert {(a["format"], a["max"]) for a in supplier.values()} == {("0.0", "1"), ("0%", "1")}  # not 105 %
    carbon = charts["CO2 and cost by carbon price"]
    cost = _axes(carbon)[next(s["axis"] for s in _series(carbon) if s["kind"] == "lineChart")]
    assert cost["format"].endswith('EUR"') and "." not in cost["format"]  # "4 M EUR", "250 k EUR"
    with zipfile.ZipFile(out) as z:  # sizes: at least 16 x 9 cm
        names = [n for n in z.namelist() if re.fullmatch(r"xl/drawings/\w*drawing\d+\.xml", n)]
        drawings = [etree.fromstring(z.read(n)) for n in names]
    exts = [e for d in drawings for e in d.iter(f"{XDR}ext")]
    assert len(exts) == len(charts) + 1  # the route map too
    assert all(int(e.get("cx")) >= 16 * EMU_PER_CM - 1 and int(e.get("cy")) >= 9 * EMU_PER_CM - 1 for e in exts)


@pytest.mark.slow
def test_carbon_price_reads_per_tonne(planned):
    _, _, wb = planned
    ws = wb["Carbon"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "carbon_price_per_t")
    below = ws.cell(cell.row + 1, cell.column)
    assert below.value == 0 and below.number_format == '#,##0 "EUR/t"_0_0'


@pytest.mark.parametrize(("top", "fraction", "expected"), [
    (22_549_038, False, (25e6, 5e6)), (3_960_842, False, (4e6, 1e6)), (84_973, False, (1e5, 2e4)),
    (1.54, True, (1.75, 0.25)), (0.95, True, (1.0, 0.2)), (7.0, False, (7.0, 1.0)),
])  # fmt: skip
def test_axis_scales_are_round_numbers_from_zero(top, fraction, expected):
    assert nice_scale(top, fraction) == pytest.approx(expected)


@pytest.mark.slow
def test_headers_are_named_bold_and_never_clipped(planned):
    _, _, wb = planned
    for name in OUTPUT_SHEETS + NETWORK_SHEETS:
        ws = wb[name]
        for t in ws.tables.values():
            first = ws[t.ref.split(":")[0]]
            for j in range(len(t.tableColumns)):
                cell = ws.cell(first.row, first.column + j)
                assert cell.font.name == style.FONT_NAME and cell.font.b, (name, cell.value)
                width = ws.column_dimensions[get_column_letter(cell.column)].width
                assert width >= len(str(cell.value)) + 2, (name, cell.value, width)  # bold text + filter button


@pytest.mark.slow
def test_numbers_keep_a_gap_before_the_next_column(planned):
    """Every numeric format pads its right edge (two digits' space), so a right-aligned number never runs
    into the left-aligned text of the next column."""
    _, _, wb = planned
    for name in OUTPUT_SHEETS + NETWORK_SHEETS:
        for row in wb[name].iter_rows(min_row=2, max_row=30):
            for cell in row:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    assert cell.number_format.endswith(style.PAD), (name, cell.coordinate, cell.number_format)


@pytest.mark.slow
def test_emphasised_rows_are_filled_across(planned):
    _, result, wb = planned
    ws = wb["Purchase Orders"]
    header = [c.value for c in ws[1]]
    total = next(r for r in ws.iter_rows(min_row=2) if r[header.index("row_type")].value == "total")
    assert {c.fill.fgColor.rgb[-6:] for c in total} == {style.TOTAL_FILL}
    assert all(c.font.b and c.font.name == style.FONT_NAME for c in total)


@pytest.mark.slow
def test_page_setup_on_every_output_sheet(planned):
    _, _, wb = planned
    for name in OUTPUT_SHEETS + NETWORK_SHEETS:
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.oddHeader.center.text == "&A" and "&P" in ws.oddFooter.center.text
    for name in ("Reorder Plan", "Forecast"):
        assert wb[name].print_title_cols == "$A:$B"  # sku and site on every page
        assert [wb[name]["A1"].value, wb[name]["B1"].value] == ["sku", "site"]
    assert wb["Issues"].print_title_cols is None


@pytest.mark.slow
def test_print_titles_follow_their_sheets_through_reruns_and_keep_the_users_names(small_sample, tmp_path):
    wb = openpyxl.load_workbook(small_sample)
    wb["Items"].print_title_rows = "1:1"  # the user's own print setup on an input sheet
    src = tmp_path / "mine.xlsx"
    wb.save(src)
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    plan_workbook(src, output=once)
    plan_workbook(once, output=twice)
    with zipfile.ZipFile(twice) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    sheets = [s.get("name") for s in book.find(f"{ns}sheets")]
    titles = [(sheets[int(d.get("localSheetId"))], d.text) for d in book.iter(f"{ns}definedName")
              if d.get("name") == "_xlnm.Print_Titles"]  # fmt: skip
    assert len(titles) == len({s for s, _ in titles})  # one per sheet: replaced, not added again
    assert all(text.startswith(f"'{sheet}'!") or text.startswith(f"{sheet}!") for sheet, text in titles)
    assert {s for s, _ in titles} == {"Items", *OUTPUT_SHEETS, *NETWORK_SHEETS, *ROUNDS_SHEETS}


def test_occupancy_kpis_only_where_they_mean_something(tmp_path):
    """S1 holds stock and has 2 m3: occupancy 30 x 0.01 / 2 = 15 %. S9 has a capacity but no stock and
    receives nothing: no row. S2 holds stock but has no capacity: no row."""
    sheets = minimal_sheets()
    sheets["Items"] = [[*sheets["Items"][0], "unit_volume_m3"], [*sheets["Items"][1], 0.01], [*sheets["Items"][2], 0.0]]
    sheets["Stock"] = sheets["Stock"] + [["A", "S2", 40, 0, 0]]
    sheets["Demand"] = sheets["Demand"] + [[r[0], "S2", *r[2:]] for r in sheets["Demand"][1:] if r[0] == "A"]
    sheets["Sites"] = [["site", "capacity_m3"], ["S1", 2.0], ["S9", 5.0], ["S2", None]]
    out = tmp_path / "t.planned.xlsx"
    result = plan_workbook(write_blocks(tmp_path / "t.xlsx", sheets), output=out)
    k = result.kpis.set_index("kpi")
    rows = [r for r in k.index if "occupancy" in r]
    assert rows == ["occupancy S1", "projected occupancy S1"]
    ws = openpyxl.load_workbook(out)["KPIs"]  # the occupancy table and chart show the same sites
    first, last = ws.tables["SiteOccupancy"].ref.split(":")
    assert [ws.cell(r, ws[first].column).value for r in range(ws[first].row + 1, ws[last].row + 1)] == ["S1"]
    assert k.loc["occupancy S1", "value"] == pytest.approx(30 * 0.01 / 2.0)
    a_s1 = result.reorder[(result.reorder["sku"] == "A") & (result.reorder["site"] == "S1")].iloc[0]
    inbound = (a_s1["on_order"] + a_s1["suggested_order"]) * 0.01
    assert k.loc["projected occupancy S1", "value"] == pytest.approx((30 * 0.01 + inbound) / 2.0)


@pytest.mark.slow
def test_sample_kpis_list_no_store_at_zero_occupancy(planned):
    _, result, _ = planned
    k = result.kpis.set_index("kpi")
    stocked = set(result.reorder["site"])  # the sample's first stores hold stock; the others only receive
    stores = [s for s in result.occupancy["site"] if s.startswith("Store")]
    assert stores and [s for s in stores if s in stocked] and [s for s in stores if s not in stocked]
    assert all((f"occupancy {s}" in k.index) == (s in stocked) for s in stores)  # no Stock rows: no "now"
    for s in stores:  # they receive shipments: the projected occupancy is theirs
        assert k.loc[f"projected occupancy {s}", "value"] > 0
    assert pd.Series([v for kpi, v in k["value"].items() if "occupancy" in kpi]).gt(0).all()
