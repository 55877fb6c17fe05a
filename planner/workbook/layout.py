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
from planner.workbook.contract import NETWORK_SHEETS, OUTPUT_SHEETS, ROUNDS_SHEETS, SHEETS, key

TABLE_NAMES = {
    "Reorder Plan": "ReorderPlan",
    "Purchase Orders": "PurchaseOrders",
    "Projected Inventory": "ProjectedInventory",
    "Service Check": "ServiceCheck",
    "Forecast": "ForecastPlan",
    "KPIs": "KPIs",
    "Issues": "PlanIssues",
    "Run Info": "RunInfo",
    "Supplier Scorecard": "SupplierScorecard",
    "Supplier Allocation": "SupplierAllocation",
    "Distribution Plan": "DistributionPlan",
    "Shipments": "Shipments",
    "Carbon": "CarbonTradeoff",
    "Routes": "Routes",
    "Route Summary": "RouteSummary",
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

    def per_cell(self, column: str, meanings: Iterable[str], fmts: dict[str, str]) -> None:
        """Format ``column`` cell by cell, one meaning per data row (a column that mixes meanings); the
        column's own format becomes General. Widths follow."""
        j = self.header.index(column)
        self.formats[j] = fmts["general"]
        for i, meaning in enumerate(meanings):
            self.cell_formats[i, j] = fmts[meaning]
        fit_widths(self)


@dataclass(frozen=True)
class Series:
    """One series of a chart: the values of a table column, as bars or a line, named in the legend."""

    column: str
    name: str
    line: bool = False  # a line (else bars)
    secondary: bool = False  # on the right-hand value axis
    colour: str = style.BAR_COLOURS[0]
    markers: bool = True  # lines: a marker on each point


@dataclass(frozen=True)
class Axis:
    """A value axis: title, number format of its labels, and its scale (None = the application's choice).
    Value axes start at 0 so no bar or line is exaggerated by a cropped axis."""

    title: str
    fmt: str
    minimum: float | None = 0.0
    maximum: float | None = None
    major: float | None = None


@dataclass
class Chart:
    """A column chart over a table: ``series`` (bars and lines) by ``category``, every category labelled.
    The series' columns are adjacent, in order (xlwings takes them as one block)."""

    title: str
    table: Table
    category: str
    series: list[Series]
    y: Axis
    anchor: tuple[int, int]  # top-left cell (row, column)
    y2: Axis | None = None  # the secondary axis, when a series is on it
    width_cm: float = style.CHART_WIDTH_CM
    height_cm: float = style.CHART_HEIGHT_CM

    def __post_init__(self):
        """Wide enough for every category (style.CATEGORY_CM each); taller by the labels' length when they
        stand upright, so the plot keeps its height."""
        n = len(self.table.rows)
        self.width_cm = min(max(self.width_cm, 4.0 + style.CATEGORY_CM * n), style.CHART_MAX_WIDTH_CM)
        if self.label_angle:
            self.height_cm += max(map(len, self._labels()), default=0) * style.LABEL_CM_PER_CHAR

    def _labels(self) -> list[str]:
        j = self.table.header.index(self.category)
        return [shown(r[j], self.table.formats[j]).strip() for r in self.table.rows]

    @property
    def label_angle(self) -> int:
        """Category labels level (0) when they fit side by side, else turned by -90 degrees so every one
        shows (none skipped, none overlapping)."""
        labels = self._labels()
        room = (self.width_cm - 4.0) / max(len(labels), 1)
        return 0 if max(map(len, labels), default=0) * style.LABEL_CM_PER_CHAR <= room else -90

    @property
    def columns(self) -> tuple[int, int]:
        """First and last sheet column of the series (adjacent, in order)."""
        cols = [self.table.col(s.column) for s in self.series]
        if cols != list(range(cols[0], cols[0] + len(cols))):
            raise ValueError(f"chart '{self.title}': the series columns must be adjacent and in order")
        return cols[0], cols[-1]


@dataclass
class RouteMap:
    """A native XY scatter chart of the delivery rounds: one series per route, its points the stops in
    visiting order (x and y columns of ``table``, data rows ``segments[i][1]`` to ``segments[i][2]``,
    0-based), joined by straight lines."""

    title: str
    table: Table
    x: str
    y: str
    segments: list[tuple[str, int, int]]  # (series name, first data row, last data row)
    x_title: str
    y_title: str
    anchor: tuple[int, int]
    width_cm: float = 24.0
    height_cm: float = 16.0


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints: landscape, one page wide (as many tall as it takes), the header rows and the
    key columns (those frozen on screen) repeated on every page, the sheet name above and page numbers
    below."""

    title_rows: tuple[int, int] | None  # first and last row repeated at the top of each page
    title_cols: tuple[int, int] | None  # first and last column repeated at the left
    area: tuple[int, int, int, int] | None = None  # print area (first row, column, last row, column); None: all
    landscape: bool = True
    fit_width: int = 1
    fit_height: int = 0  # 0 = as many pages tall as needed
    header: str = "&A"  # the sheet's name (Excel's header code)
    footer: str = "Page &P of &N"


@dataclass
class Sheet:
    name: str
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    freeze: tuple[int, int] = (2, 1)  # first cell that scrolls (Excel's "freeze panes" at that cell)
    widths: dict[int, float] = field(default_factory=dict)  # column number -> width, overriding the tables'
    print_area: tuple[int, int, int, int] | None = None  # only this part prints, on one page (the gallery)

    def column_widths(self) -> dict[int, float]:
        """Width of each used column: the widest its tables need (tables may share columns), then the
        sheet's overrides."""
        out: dict[int, float] = {}
        for t in self.tables:
            for j, width in enumerate(t.widths):
                out[t.at[1] + j] = max(out.get(t.at[1] + j, 0.0), width)
        return out | self.widths

    @property
    def page(self) -> PageSetup:
        """The print setup: what is frozen on screen repeats on paper."""
        row, col = self.freeze
        return PageSetup(title_rows=(1, row - 1) if row > 1 else None, title_cols=(1, col - 1) if col > 1 else None,
                         area=self.print_area, fit_height=1 if self.print_area else 0)  # fmt: skip


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
    """Each column as wide as its values as Excel shows them (the first 200, per-cell formats included)
    plus padding, and as its bold header plus the filter button: at least style.MIN_WIDTH, at most
    MAX_WIDTH for numbers and TEXT_MAX_WIDTH for text (a message is read whole, never cut by the next
    column)."""
    t.widths = []
    for j, c in enumerate(t.header):
        header = len(c) * style.HEADER_BOLD + style.FILTER_BUTTON
        values = [(v, t.cell_formats.get((i, j), t.formats[j])) for i, r in enumerate(t.rows[:200])
                  if (v := r[j]) is not None]  # fmt: skip
        cells = max((len(shown(v, f)) for v, f in values), default=0) + style.CELL_PADDING
        text = any(isinstance(v, str) for v, _ in values)
        top = style.TEXT_MAX_WIDTH if text else style.MAX_WIDTH
        t.widths.append(float(round(min(max(header, cells, style.MIN_WIDTH), top), 1)))
    return t


def shown(v, fmt: str) -> str:
    """About what Excel shows for ``v`` under number format ``fmt`` (for column widths): dates as the
    format's pattern, thousands separators, the format's decimals, its quoted suffix (currency, unit),
    percent, the padding of one digit; General numbers at most 11 characters, as Excel's General does."""
    if isinstance(v, dt.datetime | dt.date):
        return fmt.split("_")[0] + " "
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    pad = " " * style.PAD.count("_") if fmt.endswith(style.PAD) else ""
    fmt = fmt.removesuffix(style.PAD)
    suffix = fmt.split('"')[1] if '"' in fmt else ""
    suffix = (" " + suffix.strip()) if suffix else ""
    number = fmt.split('"')[0].strip()
    decimals = len(number.split(".")[1].rstrip("%,")) if "." in number else 0
    if number.endswith("%"):
        return f"{v * 100:.{decimals}f}%" + pad
    if number.startswith("#,##0"):
        return f"{v:,.{decimals}f}" + suffix + pad
    if number.startswith("0"):
        return f"{v:.{decimals}f}" + suffix + pad
    return str(v)[:11] + suffix + pad


def nice_scale(top: float, fraction: bool = False) -> tuple[float, float]:
    """Axis maximum and major unit for values from 0 to ``top``: four to eight ticks, each a round number
    (1, 2, 2.5 or 5 x a power of ten) and a whole number in the unit the axis shows (percent points for a
    fraction, thousands or millions for large amounts, see _scale)."""
    unit = 0.01 if fraction else _scale(top)[0]
    span = max(top / unit, 1.0)
    raw = span / 7  # at least 7 steps' worth of room: 4 to 8 ticks
    power = float(10 ** np.floor(np.log10(raw))) if raw >= 1 else 1.0
    steps = [m * power for m in (1, 2, 2.5, 5, 10) if m != 2.5 or power >= 10]
    step = next(x for x in steps if x >= raw)
    return float(np.ceil(span / step - 1e-9) * step * unit), float(step * unit)


def _scale(top: float) -> tuple[float, str, str]:
    """What an amount axis counts in: (unit, the format's scaling commas, the label's prefix)."""
    if top >= 2e6:
        return 1e6, ",,", "M "
    if top >= 2e4:
        return 1e3, ",", "k "
    return 1.0, "", ""


def money_axis(title: str, top: float, currency: str) -> Axis:
    """A money axis without decimals, in thousands or millions when amounts are large ("25 M EUR")."""
    _, commas, prefix = _scale(top)
    maximum, major = nice_scale(top)
    return Axis(title, f'#,##0{commas} "{prefix}{currency}"', maximum=maximum, major=major)


def amount_axis(title: str, top: float) -> Axis:
    """A count or quantity axis (whole numbers with thousands separators)."""
    maximum, major = nice_scale(top)
    return Axis(title, "#,##0", maximum=maximum, major=major)


def percent_axis(title: str, top: float = 1.0) -> Axis:
    """A percent axis from 0 to at least 100 %."""
    maximum, major = nice_scale(max(top, 1.0), fraction=True)
    return Axis(title, "0%", maximum=maximum, major=major)


def _top(values) -> float:
    v = pd.to_numeric(pd.Series(list(values)), errors="coerce")
    return float(v.max()) if v.notna().any() and v.max() > 0 else 1.0


def _run_info_meaning(item: str, value) -> str:
    """Meaning of a Run Info value: settings by style.SETTING_MEANING, listed items by RUN_INFO_MEANING,
    any other whole number a count, anything else as given."""
    if item.startswith("setting "):
        return style.SETTING_MEANING.get(item.removeprefix("setting "), "general")
    if item in style.RUN_INFO_MEANING:
        return style.RUN_INFO_MEANING[item]
    return "count" if isinstance(value, int) and not isinstance(value, bool) else "general"


def _issue_format(sheet: object, column: object, currency: str) -> str:
    """Format of an Issues value: the unit of the input column it was found in (contract), else as given."""
    spec = next((s for s in SHEETS.values() if key(s.name) == key(sheet)), None)
    col = next((c for c in spec.columns if key(c.name) == key(column)), None) if spec else None
    if col is None or col.kind != "number":
        return style.number_formats(currency)["general"]
    return style.given_format(col.unit, currency)


def _kpi_sheet(result: PlanResult, fmts: dict[str, str]) -> Sheet:
    """The KPI table (value and target cells formatted by each KPI's unit) and, to its right, the ABC
    Pareto (table and chart), the warehouse occupancy chart and the occupancy table: charts first, where a
    planner looks."""
    k = result.kpis
    kpis = table(k, TABLE_NAMES["KPIs"], fmts)
    kpis.lights = ("status", LIGHTS)
    for column in ("value", "target"):
        kpis.per_cell(column, [style.kpi_meaning(u, cell_value(v)) for u, v in zip(k["unit"], k[column], strict=True)],
                      fmts)  # fmt: skip
    start = len(k.columns) + 2  # one blank column after the KPI table
    abc, pareto = _pareto(result, fmts, at=(1, start))
    sheet = Sheet("KPIs", [kpis, abc], [pareto])
    occ = result.occupancy
    if occ is not None:  # the sites whose occupancy means something: those with an occupancy KPI
        kpi = k["kpi"].astype(str)
        named = set(kpi.str.removeprefix("projected occupancy ")) | set(kpi.str.removeprefix("occupancy "))
        occ = occ[occ["site"].isin(named)]
    if occ is None or not len(occ):
        return sheet
    occ = occ.assign(full=1.0)  # the 100 % line of the chart
    occ = occ[[c for c in occ.columns if c != "flag"] + ["flag"]]
    chart_at = pareto.anchor[0] + _chart_rows(pareto) + 1
    occ_table = table(occ, "SiteOccupancy", fmts, at=(chart_at, start))
    occ_table.lights = ("flag", ("OVER",))
    top = _top(list(occ["occupancy"]) + list(occ["projected_occupancy"]))
    chart = Chart(
        "Warehouse occupancy", occ_table, "site",
        [Series("occupancy", "now"), Series("projected_occupancy", "projected", colour=style.BAR_COLOURS[1]),
         Series("full", "capacity (100 %)", line=True, colour=style.LINE_COLOURS[2], markers=False)],
        percent_axis("share of capacity", top), anchor=(chart_at, start))  # fmt: skip
    occ_table.at = (chart_at + _chart_rows(chart) + 1, start)  # the table below its chart
    sheet.tables.append(occ_table)
    sheet.charts.append(chart)
    return sheet


def _pareto(result: PlanResult, fmts: dict[str, str], at: tuple[int, int]) -> tuple[Table, Chart]:
    """The ABC table with the cumulative value share and the A-class cut-off (Settings abc_a_share), and
    its Pareto chart: annual value by class (bars) against the cumulative share and the cut-off (lines)."""
    abc = result.abc.copy()
    abc["cumulative_share"] = abc["value_share"].cumsum()
    abc["a_cutoff"] = float(result.settings.abc_a_share) if result.settings is not None else 0.8
    abc = abc[["abc", "sku_sites", "value_share", "annual_value", "cumulative_share", "a_cutoff"]]
    t = table(abc, "AbcPareto", fmts, at=at)
    currency = _currency(result)
    cutoff = f"A cut-off ({abc['a_cutoff'].iat[0]:.0%})".replace("%", " %")
    chart = Chart(
        "ABC Pareto", t, "abc",
        [Series("annual_value", "annual value"),
         Series("cumulative_share", "cumulative share", line=True, secondary=True, colour=style.LINE_COLOURS[0]),
         Series("a_cutoff", cutoff, line=True, secondary=True, colour=style.LINE_COLOURS[2], markers=False)],
        money_axis("annual demand value", _top(abc["annual_value"]), currency), anchor=(t.last_row + 2, at[1]),
        y2=percent_axis("cumulative share"))  # fmt: skip
    return t, chart


def _chart_rows(chart: Chart) -> int:
    """Rows a chart covers (default row height 15 points = 0.53 cm)."""
    return int(np.ceil(chart.height_cm / 0.53))


def issues_sheet(issues: pd.DataFrame, currency: str = "EUR") -> Sheet:
    """The Issues sheet alone (what validation found), severities coloured; each value formatted by the
    unit of the input column it was found in."""
    fmts = style.number_formats(currency)
    t = table(issues, TABLE_NAMES["Issues"], fmts)
    t.lights = ("severity", ("error", "warning"))
    if len(issues):
        j = t.header.index("value")
        t.formats[j] = fmts["general"]
        for i, (sheet, column) in enumerate(zip(issues["sheet"], issues["column"], strict=True)):
            t.cell_formats[i, j] = _issue_format(sheet, column, currency)
        fit_widths(t)
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
    "ship_date", "late_days", "lead_time_days", "cause",
]  # fmt: skip


NOT_COMPUTED = {  # why a network or rounds sheet is missing from a plan
    "Routes": "the workbook has no Vehicles rows with Requirements",
    "Route Summary": "the workbook has no Vehicles rows with Requirements",
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
        "Routes": result.rounds is not None,
        "Route Summary": result.rounds is not None,
    }[name]


def sheet_names(result: PlanResult, existing: Iterable[str] = ()) -> tuple[str, ...]:
    """The sheets a plan writes: the contract's, then the network sheets it computed, and those it did not
    compute but ``existing`` (the workbook's sheet names) holds from an earlier run: those are replaced by
    a note saying why, so no stale plan is left standing."""
    there = {key(n) for n in existing}
    rounds = tuple(n for n in ROUNDS_SHEETS if result.rounds is not None or key(n) in there)
    return OUTPUT_SHEETS + tuple(n for n in NETWORK_SHEETS if _computed(result, n) or key(n) in there) + rounds


def _not_computed_sheet(result: PlanResult, name: str) -> Sheet:
    when = result.settings.planning_date if result.settings is not None else None
    note = (f"Not computed in the run of {when:%Y-%m-%d}: {NOT_COMPUTED[name]}. The earlier plan that stood "
            "here was removed.") if when is not None else f"Not computed: {NOT_COMPUTED[name]}."  # fmt: skip
    t = table(pd.DataFrame({"note": [note]}), TABLE_NAMES[name], style.number_formats("EUR"))
    return Sheet(name, [t], widths={1: 100.0})


def _currency(result: PlanResult) -> str:
    return str(result.settings.currency) if result.settings is not None else "EUR"


def _beside(left: Table, gap: int = 2) -> tuple[int, int]:
    return (1, left.last_col + gap)


AT_RISK = 10  # SKU-sites in the Projected Inventory chart


def at_risk(projected: pd.DataFrame, n: int = AT_RISK) -> pd.DataFrame:
    """The ``n`` SKU-sites most at risk: the largest shortfall below their safety stock in any period
    (safety_stock - lowest projected on hand), then the most periods below it; only those below it once."""
    p = projected.assign(below=projected["projected_on_hand"] < projected["safety_stock"] - 1e-9)
    g = p.groupby(["sku", "site"], sort=False).agg(
        periods_below_safety_stock=("below", "sum"), lowest_projected_on_hand=("projected_on_hand", "min"),
        safety_stock=("safety_stock", "first"))  # fmt: skip
    g = g[g["periods_below_safety_stock"] > 0].reset_index()
    g["largest_shortfall"] = g["safety_stock"] - g["lowest_projected_on_hand"]
    g = g.sort_values(["largest_shortfall", "periods_below_safety_stock"], ascending=False, kind="stable").head(n)
    g.insert(0, "sku_site", g["sku"] + " @ " + g["site"])
    return g[["sku_site", "largest_shortfall", "periods_below_safety_stock", "lowest_projected_on_hand",
              "safety_stock"]]  # fmt: skip


def _projected_sheet(result: PlanResult, fmts) -> Sheet:
    """Projected Inventory: the time-phased record of every SKU-site and period, beside it the SKU-sites
    most at risk and their chart (largest shortfall below safety stock, periods below it)."""
    grid = table(result.projected, TABLE_NAMES["Projected Inventory"], fmts)
    risk_frame = at_risk(result.projected)
    risk = table(risk_frame, "InventoryAtRisk", fmts, at=_beside(grid))
    charts = []
    if len(risk_frame):
        periods = float(risk_frame["periods_below_safety_stock"].max())
        charts.append(Chart(
            "SKU-sites most at risk", risk, "sku_site",
            [Series("largest_shortfall", "largest shortfall below safety stock (units)"),
             Series("periods_below_safety_stock", "periods below safety stock", line=True, secondary=True,
                    colour=style.LINE_COLOURS[0])],
            amount_axis("units below safety stock", _top(risk_frame["largest_shortfall"])),
            anchor=(risk.last_row + 2, risk.at[1]), y2=amount_axis("periods", max(periods, 1.0))))  # fmt: skip
    return Sheet("Projected Inventory", [grid, risk], charts, freeze=(2, 3))


def _service_sheet(result: PlanResult, fmts) -> Sheet:
    """The Service Check: one row per SKU-site, tuned rows filled; a note where it was not simulated."""
    if result.service is None:
        frame = pd.DataFrame({"note": ["not simulated: Setting service_check is off"]})
        return Sheet("Service Check", [table(frame, TABLE_NAMES["Service Check"], fmts)])
    t = table(result.service, TABLE_NAMES["Service Check"], fmts)
    t.emphasis = {i: style.TOTAL_FILL for i, tuned in enumerate(result.service["tuned"]) if tuned == "yes"}
    return Sheet("Service Check", [t], freeze=(2, 3))


def _scorecard_sheet(result: PlanResult, fmts) -> Sheet:
    net = result.network
    offers = table(net.scorecard[SCORECARD_COLUMNS], TABLE_NAMES["Supplier Scorecard"], fmts)
    summary = table(net.supplier_summary, "SupplierSummary", fmts, at=_beside(offers))
    chart = Chart(
        "Supplier scores", summary, "supplier",
        [Series("mean_score", "mean score of its offers"),
         Series("on_time_rate", "on-time rate", line=True, secondary=True, colour=style.LINE_COLOURS[0])],
        Axis("score (0 to 1)", "0.0", maximum=1.0, major=0.2), anchor=(summary.last_row + 2, summary.at[1]),
        y2=percent_axis("on-time rate"))  # fmt: skip
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


CARBON_MEASURES = ["purchase_cost", "transport_cost", "total_cost", "risk_cost", "penalty_cost", "co2_supply_kg",
                   "co2_transport_kg", "co2_total_kg", "co2_per_unit_bought_kg", "co2_per_unit_shipped_kg",
                   "units_short", "late_units", "trucks", "truck_fill"]  # fmt: skip


def _carbon_meaning(measure: str) -> str:
    if measure == "truck_fill":
        return "percent"
    if measure.endswith("_cost"):
        return "money"
    if "_per_unit_" in measure:
        return "kg fine"
    return "kg" if measure.endswith("_kg") else "whole"


def _carbon_sheet(result: PlanResult, fmts) -> Sheet:
    """The plan against the cost-only plan (carbon price 0), each row in its own unit, then the trade-off
    over carbon prices with its chart (both axes from 0: a 0.01 % change looks like one)."""
    net = result.network
    prices = net.carbon.copy()
    money = [c for c in prices.columns if c.endswith("_cost")]
    prices[money] = prices[money].round(6)  # solver round-off (1e-10) is no cost: never "-0.00"
    base = prices.loc[prices["carbon_price_per_t"] == 0.0].iloc[0]
    this = prices.loc[prices["carbon_price_per_t"] == net.comparison["carbon_price_per_t"]].iloc[0]
    compare = pd.DataFrame({"measure": CARBON_MEASURES, "plan": [float(this[m]) for m in CARBON_MEASURES],
                            "cost_only": [float(base[m]) for m in CARBON_MEASURES]})  # fmt: skip
    compare["difference"] = (compare["plan"] - compare["cost_only"]).round(6)
    head = table(compare, "CarbonComparison", fmts)
    meanings = [_carbon_meaning(m) for m in CARBON_MEASURES]
    for column in ("plan", "cost_only", "difference"):
        head.per_cell(column, meanings, fmts)
    trade = table(prices, TABLE_NAMES["Carbon"], fmts, at=(head.last_row + 3, 1))
    currency = _currency(result)
    chart = Chart(
        "CO2 and cost by carbon price", trade, "carbon_price_per_t",
        [Series("co2_total_kg", "CO2 (kg CO2e)"),
         Series("total_cost", "purchase + transport cost", line=True, secondary=True, colour=style.LINE_COLOURS[0])],
        amount_axis("kg CO2e", _top(prices["co2_total_kg"])), anchor=(trade.last_row + 2, 1),
        y2=money_axis("cost", _top(prices["total_cost"]), currency))  # fmt: skip
    tables = [head, trade]
    if result.rounds is not None:  # the delivery rounds against direct delivery, beside the comparison
        tables.append(_rounds_vs_direct(result, fmts, "CarbonRounds", _beside(head)))
    return Sheet("Carbon", tables, [chart])


def output_sheets(result: PlanResult, names: tuple[str, ...] | None = None) -> list[Sheet]:
    """The output sheets of a plan named in ``names``, in that order (default: ``sheet_names(result)``)."""
    names = sheet_names(result) if names is None else names
    currency = _currency(result)
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
        info = result.run_info.astype({"value": object})
        t = table(info, TABLE_NAMES["Run Info"], fmts)
        t.per_cell("value", [_run_info_meaning(i, cell_value(v)) for i, v in zip(info["item"], info["value"],
                                                                                    strict=True)], fmts)  # fmt: skip
        return Sheet("Run Info", [t], widths={2: 28.0})  # long texts (solver status) run on into column C

    build = {
        "Reorder Plan": reorder,
        "Purchase Orders": purchase_orders,
        "Projected Inventory": lambda: _projected_sheet(result, fmts),
        "Service Check": lambda: _service_sheet(result, fmts),
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
        "Routes": lambda: _routes_sheet(result, fmts),
        "Route Summary": lambda: _route_summary_sheet(result, fmts),
    }
    optional = NETWORK_SHEETS + ROUNDS_SHEETS
    return [build[n]() if n not in optional or _computed(result, n) else _not_computed_sheet(result, n) for n in names]


ROUTE_COLUMNS = ["date", "depot", "vehicle", "route", "trip", "stop", "site", "arrival", "departure", "load_units",
                 "delivered", "picked_up", "distance_km", "co2_kg", "x", "y"]  # fmt: skip
SUMMARY_COLUMNS = ["date", "depot", "route", "vehicle", "trips", "stops", "km", "duration_h", "load_pct", "delivered",
                   "picked_up", "cost", "co2_kg", "km_per_drop"]  # fmt: skip


def _routes_sheet(result: PlanResult, fmts) -> Sheet:
    """One row per stop in visiting order (the depot opens and closes each trip), with the site's position,
    and the route map beside it: one scatter series per route."""
    r = result.rounds
    pos = r.positions.set_index("site")
    frame = r.stops.assign(x=r.stops["site"].map(pos["x"]), y=r.stops["site"].map(pos["y"]))
    frame = frame.assign(route=[f"{d} {pd.Timestamp(t):%m-%d} R{k}" for d, t, k in
                                zip(frame["depot"], frame["date"], frame["route"], strict=True)])  # fmt: skip
    t = table(frame[ROUTE_COLUMNS], TABLE_NAMES["Routes"], fmts)
    for column in ("arrival", "departure"):
        t.formats[t.header.index(column)] = "hh:mm"
    segments, start = [], 0
    for name, rows in frame.groupby("route", sort=False):
        segments.append((str(name), start, start + len(rows) - 1))
        start += len(rows)
    x_title, y_title = ("x (km)", "y (km)") if r.plane == "km" else ("longitude", "latitude")
    chart = RouteMap("Delivery rounds", t, "x", "y", segments[:MAX_ROUTE_SERIES], x_title, y_title,
                     anchor=(2, t.last_col + 2))  # fmt: skip
    return Sheet("Routes", [t], [chart], freeze=(2, 4))


MAX_ROUTE_SERIES = 255  # Excel's limit of series in one chart


def _route_summary_sheet(result: PlanResult, fmts) -> Sheet:
    """Per route: stops, km, duration, peak load, cost, CO2, then a total row; beside it the rounds against
    direct delivery (one return trip per store) and what could not be served."""
    r = result.rounds
    s = r.summary.assign(duration_h=r.summary["duration_min"] / 60.0) if len(r.summary) else r.summary
    s = s[SUMMARY_COLUMNS] if len(s) else pd.DataFrame(columns=SUMMARY_COLUMNS)
    total = {c: None for c in SUMMARY_COLUMNS} | {"depot": "Total", "trips": s["trips"].sum(),
             "stops": s["stops"].sum(), "km": s["km"].sum(), "duration_h": s["duration_h"].sum(),
             "load_pct": s["load_pct"].mean() if len(s) else None, "delivered": s["delivered"].sum(),
             "picked_up": s["picked_up"].sum(), "cost": s["cost"].sum(), "co2_kg": s["co2_kg"].sum(),
             "km_per_drop": s["km"].sum() / s["stops"].sum() if s["stops"].sum() else None}  # fmt: skip
    frame = pd.concat([s, pd.DataFrame([total])], ignore_index=True)
    t = table(frame, TABLE_NAMES["Route Summary"], fmts)
    t.emphasis = {len(frame) - 1: style.TOTAL_FILL}
    vs = _rounds_vs_direct(result, fmts, "RoundsVsDirect", _beside(t))
    unserved = table(r.unserved, "Unserved", fmts, at=(vs.last_row + 3, vs.at[1]))  # a blank row when none
    return Sheet("Route Summary", [t, vs, unserved], freeze=(2, 4))


def _rounds_vs_direct(result: PlanResult, fmts, name: str, at: tuple[int, int]) -> Table:
    """The rounds against direct delivery (one return trip per store): km, cost, CO2 and what is saved."""
    c = result.rounds.comparison
    compare = pd.DataFrame({"measure": ["km", "cost", "co2_kg"], "rounds": [c["km"], c["cost"], c["co2_kg"]],
                            "direct": [c["direct_km"], c["direct_cost"], c["direct_co2_kg"]],
                            "saved": [c["km_saved"], c["cost_saved"], c["co2_saved_kg"]]})  # fmt: skip
    vs = table(compare, name, fmts, at=at)
    for column in ("rounds", "direct", "saved"):
        vs.per_cell(column, ["units", "money", "kg"], fmts)
    return vs
