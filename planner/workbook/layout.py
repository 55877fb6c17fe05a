"""The output sheets described once, whatever renders them: which tables go where, each column's number
format and width, emphasised (subtotal) rows, per-cell formats, traffic-light columns, frozen panes and
charts. The openpyxl writer (headless) and the xlwings writer (Excel) both render this description, so
the two channels produce the same sheets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from planner.model.results import PlanResult
from planner.workbook import style
from planner.workbook.contract import NETWORK_SHEETS, OUTPUT_SHEETS, key

TABLE_NAMES = {
    "Reorder Plan": "ReorderPlan",
    "Purchase Orders": "PurchaseOrders",
    "Forecast": "ForecastPlan",
    "KPIs": "KPIs",
    "Issues": "PlanIssues",
    "Run Info": "RunInfo",
    "Supplier Scorecard": "SupplierScorecard",
    "Supplier Allocation": "SupplierAllocation",
    "Distribution Plan": "DistributionPlan",
    "Shipments": "Shipments",
    "Carbon": "CarbonTradeoff",
}
STATUSES = ("ORDER NOW", "CHECK", "EXCESS", "NO DEMAND", "OK")
LIGHTS = ("GREEN", "AMBER", "RED")


def cell_value(v):
    """A plain Python cell value: None for NaN/NaT/inf and empty text, datetime for timestamps, int/float for numpy
    numbers, and text without the control characters a workbook cannot hold."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, np.generic):  # before float: np.float64 is a float subclass
        return cell_value(v.item())
    if isinstance(v, float):
        return None if np.isnan(v) or np.isinf(v) else v
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("", v)
        if len(v) > MAX_CELL_TEXT:  # Excel holds at most 32,767 characters in a cell
            v = v[: MAX_CELL_TEXT - len(CUT_MARK)] + CUT_MARK
        return v or None  # empty text is a blank cell, as Excel stores it
    return v


MAX_CELL_TEXT = 32_767
CUT_MARK = " [...cut: longer than a cell holds]"


@dataclass
class Table:
    """A frame placed as an Excel Table with its header cell at ``at`` (1-based row, column)."""

    name: str
    header: list[str]
    rows: list[list]  # cell values (see cell_value); at least one row, blank when the frame is empty
    at: tuple[int, int]
    formats: list[str]  # Excel number format per column ("General" = none)
    widths: list[float]  # column widths in characters
    emphasis: dict[int, str] = field(default_factory=dict)  # data-row index -> fill; the row is bold
    cell_formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (data row, column) -> format
    lights: tuple[str, tuple[str, ...]] | None = None  # column whose values get style.STATUS_COLOURS

    @property
    def last_row(self) -> int:
        return self.at[0] + len(self.rows)

    @property
    def last_col(self) -> int:
        return self.at[1] + len(self.header) - 1

    def col(self, name: str) -> int:
        """Sheet column number of a header."""
        return self.at[1] + self.header.index(name)


@dataclass
class Chart:
    """A column chart over a table: ``bars`` by ``category``, optionally ``line`` on a secondary axis."""

    title: str
    table: Table
    category: str
    bars: str
    y_title: str
    anchor: tuple[int, int]  # top-left cell (row, column)
    line: str | None = None
    line_title: str = ""
    y_format: str | None = None
    line_secondary: bool = True  # the line on its own (right) axis; False: on the bars' axis, same scale
    width_cm: float = 14.0
    height_cm: float = 8.0


@dataclass
class Sheet:
    name: str
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    freeze: tuple[int, int] = (2, 1)  # first cell that scrolls (Excel's "freeze panes" at that cell)
    widths: dict[int, float] = field(default_factory=dict)  # column number -> width, overriding the tables'

    def column_widths(self) -> dict[int, float]:
        """Width of each used column: the widest its tables need (tables may share columns), then the
        sheet's overrides."""
        out: dict[int, float] = {}
        for t in self.tables:
            for j, width in enumerate(t.widths):
                out[t.at[1] + j] = max(out.get(t.at[1] + j, 0.0), width)
        return out | self.widths


def table(df: pd.DataFrame, name: str, fmts: dict[str, str], at: tuple[int, int] = (1, 1)) -> Table:
    """A Table with formats by column meaning (style.COLUMN_MEANING) and widths from the first 200 rows."""
    header = [str(c) for c in df.columns]
    rows = [[cell_value(v) for v in row] for row in df.itertuples(index=False, name=None)]
    rows = rows or [[None] * len(header)]
    formats = []
    for j, c in enumerate(header):
        meaning = style.COLUMN_MEANING.get(c)
        if meaning is None and c[:2].isdigit() and "-" in c:  # forecast period columns (dates as names)
            meaning = "units"
        if isinstance(rows[0][j], dt.datetime | dt.date):
            meaning = "date"
        formats.append(fmts[meaning or "general"])
    return fit_widths(Table(name, header, rows, at, formats, []))


def fit_widths(t: Table) -> Table:
    """Each column as wide as its header and the first 200 values as Excel shows them (per-cell formats
    included), within style.MIN_WIDTH and MAX_WIDTH; dates 11."""
    t.widths = []
    for j, c in enumerate(t.header):
        if isinstance(t.rows[0][j], dt.datetime | dt.date):
            t.widths.append(11.0)
            continue
        shown_len = [len(shown(r[j], t.cell_formats.get((i, j), t.formats[j])))
                     for i, r in enumerate(t.rows[:200]) if r[j] is not None]  # fmt: skip
        t.widths.append(float(min(max([len(c), style.MIN_WIDTH, *shown_len]) + 2, style.MAX_WIDTH)))
    return t


def shown(v, fmt: str) -> str:
    """About what Excel shows for ``v`` under number format ``fmt`` (for column widths): thousands
    separators, the format's decimals, its quoted suffix (the currency) and percent; General numbers
    at most 11 characters, as Excel's General does."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    number = fmt.split('"')[0].strip()
    decimals = len(number.split(".")[1].rstrip("%")) if "." in number else 0
    if number.endswith("%"):
        return f"{v * 100:.{decimals}f}%"
    if number.startswith("#,##0"):
        suffix = fmt.split('"')[1] if '"' in fmt else ""
        return f"{v:,.{decimals}f}" + (f" {suffix}" if suffix else "")
    if number.startswith("0"):
        return f"{v:.{decimals}f}"
    return str(v)[:11]


def _kpi_sheet(result: PlanResult, fmts: dict[str, str]) -> Sheet:
    k = result.kpis
    kpis = table(k, TABLE_NAMES["KPIs"], fmts)
    kpis.lights = ("status", LIGHTS)
    for j in (1, 2):  # value and target: formatted by each KPI's unit
        kpis.formats[j] = fmts["general"]
    for i, unit in enumerate(k["unit"]):
        for j in (1, 2):
            kpis.cell_formats[i, j] = fmts[style.KPI_UNIT_FORMAT.get(unit, "general")]
    fit_widths(kpis)
    start = len(k.columns) + 2  # one blank column after the KPI table
    abc = table(result.abc, "AbcPareto", fmts, at=(1, start))
    sheet = Sheet("KPIs", [kpis, abc], widths={kpis.col("definition"): 60.0})
    sheet.charts.append(
        Chart("ABC Pareto: annual demand value by class", abc, "abc", "annual_value", "annual value",
              anchor=(len(abc.rows) + 4, start), line="value_share", line_title="value share")
    )  # fmt: skip
    occ = result.occupancy
    if occ is not None and len(occ):
        occ_table = table(occ, "SiteOccupancy", fmts, at=(len(abc.rows) + 22, start))
        occ_table.lights = ("flag", ("OVER",))
        sheet.tables.append(occ_table)
        sheet.charts.append(
            Chart("Warehouse occupancy by site: now (bars) and projected (line)", occ_table, "site", "occupancy",
                  "occupancy", anchor=(occ_table.last_row + 3, start), y_format="0%", line="projected_occupancy",
                  line_secondary=False)
        )  # fmt: skip
    return sheet


def issues_sheet(issues: pd.DataFrame, currency: str = "EUR") -> Sheet:
    """The Issues sheet alone (what validation found), severities coloured."""
    t = table(issues, TABLE_NAMES["Issues"], style.number_formats(currency))
    t.lights = ("severity", ("error", "warning"))
    return Sheet("Issues", [t])


SCORECARD_COLUMNS = [
    "sku", "supplier", "rank", "score", "unit_price", "price_score", "lead_time_days", "lead_time_score",
    "lead_time_sd_days", "lead_time_sd_score", "on_time_rate", "on_time_score", "defect_rate", "quality_score",
    "co2_kg_per_unit", "co2_score", "missing",
]  # fmt: skip
ALLOCATION_COLUMNS = [
    "sku", "supplier", "rank", "score", "requirement", "quantity", "share", "unit_price", "purchase_value",
    "co2_kg", "carbon_cost", "risk_cost", "moq", "order_multiple", "capacity_units", "note",
]  # fmt: skip
REQUIREMENT_COLUMNS = [
    "destination", "sku", "priority", "due_date", "quantity", "delivered", "short", "fill_rate", "on_time_units",
    "lead_time_days",
]  # fmt: skip


NOT_COMPUTED = {  # why a network sheet is missing from a plan
    "Supplier Scorecard": "the workbook has no Offers rows",
    "Supplier Allocation": "the workbook has no Offers rows",
    "Distribution Plan": "the workbook has no Requirements rows with usable Lanes",
    "Shipments": "the workbook has no Requirements rows with usable Lanes",
    "Carbon": "the workbook has neither Offers nor Requirements with Lanes",
}


def _computed(result: PlanResult, name: str) -> bool:
    net = result.network
    return {
        "Supplier Scorecard": net.scorecard is not None,
        "Supplier Allocation": net.allocation is not None,
        "Distribution Plan": net.distribution is not None,
        "Shipments": net.distribution is not None,
        "Carbon": net.carbon is not None,
    }[name]


def sheet_names(result: PlanResult, existing: Iterable[str] = ()) -> tuple[str, ...]:
    """The sheets a plan writes: the contract's, then the network sheets it computed, and those it did not
    compute but ``existing`` (the workbook's sheet names) holds from an earlier run: those are replaced by
    a note saying why, so no stale plan is left standing."""
    there = {key(n) for n in existing}
    return OUTPUT_SHEETS + tuple(n for n in NETWORK_SHEETS if _computed(result, n) or key(n) in there)


def _not_computed_sheet(result: PlanResult, name: str) -> Sheet:
    when = result.settings.planning_date if result.settings is not None else None
    note = (f"Not computed in the run of {when:%Y-%m-%d}: {NOT_COMPUTED[name]}. The earlier plan that stood "
            "here was removed.") if when is not None else f"Not computed: {NOT_COMPUTED[name]}."  # fmt: skip
    t = table(pd.DataFrame({"note": [note]}), TABLE_NAMES[name], style.number_formats("EUR"))
    return Sheet(name, [t], widths={1: 100.0})


def _beside(left: Table, gap: int = 2) -> tuple[int, int]:
    return (1, left.last_col + gap)


def _scorecard_sheet(result: PlanResult, fmts) -> Sheet:
    net = result.network
    offers = table(net.scorecard[SCORECARD_COLUMNS], TABLE_NAMES["Supplier Scorecard"], fmts)
    summary = table(net.supplier_summary, "SupplierSummary", fmts, at=_beside(offers))
    chart = Chart("Supplier score (mean over its offers)", summary, "supplier", "mean_score", "score",
                  anchor=(summary.last_row + 3, summary.at[1]), line="on_time_rate",
                  line_title="on-time rate")  # fmt: skip
    return Sheet("Supplier Scorecard", [offers, summary], [chart], freeze=(2, 3))


def _allocation_sheet(result: PlanResult, fmts) -> Sheet:
    alloc = result.network.allocation
    lines = table(alloc.lines[ALLOCATION_COLUMNS], TABLE_NAMES["Supplier Allocation"], fmts)
    per_sku = table(alloc.skus, "AllocationBySku", fmts, at=_beside(lines))
    return Sheet("Supplier Allocation", [lines, per_sku], freeze=(2, 3))


def _distribution_sheet(result: PlanResult, fmts) -> Sheet:
    dist = result.network.distribution
    flows = table(dist.flows, TABLE_NAMES["Distribution Plan"], fmts)
    reqs = table(dist.requirements[REQUIREMENT_COLUMNS], "RequirementStatus", fmts, at=_beside(flows))
    return Sheet("Distribution Plan", [flows, reqs], freeze=(2, 3))


def _carbon_sheet(result: PlanResult, fmts) -> Sheet:
    """The plan against the cost-only plan (carbon price 0), then the trade-off over carbon prices."""
    net = result.network
    prices = net.carbon
    base = prices.loc[prices["carbon_price_per_t"] == 0.0].iloc[0]
    this = prices.loc[prices["carbon_price_per_t"] == net.comparison["carbon_price_per_t"]].iloc[0]
    measures = ["purchase_cost", "transport_cost", "total_cost", "risk_cost", "penalty_cost", "co2_supply_kg",
                "co2_transport_kg", "co2_total_kg", "co2_per_unit_bought_kg", "co2_per_unit_shipped_kg", "units_short",
                "late_units"]  # fmt: skip
    compare = pd.DataFrame({"measure": measures, "plan": [float(this[m]) for m in measures],
                            "cost_only": [float(base[m]) for m in measures]})  # fmt: skip
    compare["difference"] = compare["plan"] - compare["cost_only"]
    head = table(compare, "CarbonComparison", fmts)
    for i, m in enumerate(measures):  # each row in its own unit
        meaning = "money" if m.endswith("_cost") else "rate" if "_per_unit_" in m else None
        for j in (1, 2, 3) if meaning else ():
            head.cell_formats[i, j] = fmts[meaning]
    fit_widths(head)
    trade = table(prices, TABLE_NAMES["Carbon"], fmts, at=(head.last_row + 3, 1))
    chart = Chart("CO2 and cost by carbon price", trade, "carbon_price_per_t", "co2_total_kg", "kg CO2e",
                  anchor=(trade.last_row + 3, 1), line="total_cost",
                  line_title="purchase + transport cost")  # fmt: skip
    return Sheet("Carbon", [head, trade], [chart], widths={1: 26.0})


def output_sheets(result: PlanResult, names: tuple[str, ...] | None = None) -> list[Sheet]:
    """The output sheets of a plan named in ``names``, in that order (default: ``sheet_names(result)``)."""
    names = sheet_names(result) if names is None else names
    currency = result.settings.currency if result.settings is not None else "EUR"
    fmts = style.number_formats(currency)

    def reorder() -> Sheet:
        t = table(result.reorder, TABLE_NAMES["Reorder Plan"], fmts)
        t.lights = ("status", STATUSES)
        return Sheet("Reorder Plan", [t], freeze=(2, 3))

    def purchase_orders() -> Sheet:
        t = table(result.purchase_orders, TABLE_NAMES["Purchase Orders"], fmts)
        kinds = result.purchase_orders["row_type"]
        t.emphasis = {i: style.TOTAL_FILL for i, kind in enumerate(kinds) if kind != "line"}
        return Sheet("Purchase Orders", [t])

    def run_info() -> Sheet:
        t = table(result.run_info.astype({"value": object}), TABLE_NAMES["Run Info"], fmts)
        return Sheet("Run Info", [t], widths={2: 60.0})

    build = {
        "Reorder Plan": reorder,
        "Purchase Orders": purchase_orders,
        "Forecast": lambda: Sheet("Forecast", [table(result.forecast, TABLE_NAMES["Forecast"], fmts)], freeze=(2, 3)),
        "KPIs": lambda: _kpi_sheet(result, fmts),
        "Issues": lambda: issues_sheet(result.issues, currency),
        "Run Info": run_info,
        "Supplier Scorecard": lambda: _scorecard_sheet(result, fmts),
        "Supplier Allocation": lambda: _allocation_sheet(result, fmts),
        "Distribution Plan": lambda: _distribution_sheet(result, fmts),
        "Shipments": lambda: Sheet(
            "Shipments", [table(result.network.distribution.shipments, TABLE_NAMES["Shipments"], fmts)], freeze=(2, 3)
        ),
        "Carbon": lambda: _carbon_sheet(result, fmts),
    }
    return [
        build[n]() if n not in NETWORK_SHEETS or _computed(result, n) else _not_computed_sheet(result, n) for n in names
    ]
