"""The workbook contract (../shared/workbook-contract.md) as data: input sheets, their columns with type,
unit, bounds and meaning, the Settings with defaults, and the output sheet names. Reading, validation,
the template and the writers all take their names from here."""

from __future__ import annotations

from dataclasses import dataclass, field


def key(text: object) -> str:
    """Matching key for sheet and column names: case-insensitive; spaces, '-' and '_' are equivalent."""
    return "_".join(str(text).strip().lower().replace("-", " ").replace("_", " ").split())


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "number"  # number | text | date | choice
    required: bool = False
    unit: str = ""
    meaning: str = ""
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # strict lower bound (e.g. a cost must be > 0)
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetSpec:
    name: str
    required: bool
    row: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _qty(name, meaning, required=False):
    return Column(name, required=required, unit="units", meaning=meaning, minimum=0)


def _days(name, meaning):
    return Column(name, unit="days", meaning=meaning, minimum=0)


SHEETS: dict[str, SheetSpec] = {
    s.name: s
    for s in [
        SheetSpec(
            "Items",
            True,
            "SKU",
            ("sku",),
            (
                Column("sku", "text", True, meaning="Stock keeping unit code, unique"),
                Column("description", "text", meaning="What the item is"),
                Column(
                    "unit_cost",
                    required=True,
                    unit="currency/unit",
                    minimum=0,
                    above_minimum=True,
                    meaning="Cost of one unit (values stock and holding cost)",
                ),
                Column(
                    "holding_rate",
                    unit="fraction/year",
                    minimum=0,
                    maximum=5,
                    meaning="Annual holding cost as a fraction of unit cost, e.g. 0.25",
                ),
                Column("order_cost", unit="currency/order", minimum=0, meaning="Fixed cost of placing one order"),
                Column(
                    "service_level",
                    unit="fraction",
                    minimum=0.5,
                    maximum=0.9999,
                    meaning="Target service, 0.5 to 0.9999",
                ),
                Column(
                    "service_type",
                    "choice",
                    choices=("cycle", "fill"),
                    meaning="cycle = no stockout per cycle; fill = share of demand met from stock",
                ),
                Column(
                    "policy",
                    "choice",
                    choices=("sQ", "RS"),
                    meaning="sQ = reorder point, fixed quantity; RS = periodic review, order up to",
                ),
                _days("review_days", "Days between reviews (RS policy)"),
                _qty("moq", "Minimum order quantity"),
                _qty("order_multiple", "Orders are a multiple of this (pack size)"),
                _days("lead_time_days", "Mean supplier lead time"),
                _days("lead_time_sd_days", "Standard deviation of the lead time"),
                Column("unit_volume_m3", unit="m³", minimum=0, meaning="Volume of one unit"),
                Column("unit_weight_kg", unit="kg", minimum=0, meaning="Weight of one unit"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Stock",
            True,
            "SKU x site",
            ("sku", "site"),
            (
                Column("sku", "text", True, meaning="Item code, as on Items"),
                Column("site", "text", True, meaning="Plant, warehouse or store holding the stock"),
                Column("on_hand", required=True, unit="units", meaning="Physical stock now (may be negative)"),
                _qty("on_order", "Ordered, not yet received"),
                _qty("backorders", "Demand owed to customers"),
                _qty("forecast_per_day", "Your own forecast; overrides the history for this row"),
                _qty("forecast_sd_per_day", "Standard deviation of daily forecast error (with forecast_per_day)"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Demand",
            False,
            "SKU x site x date",
            ("sku", "site", "date"),
            (
                Column("sku", "text", True, meaning="Item code"),
                Column("site", "text", True, meaning="Site the demand was served from"),
                Column("date", "date", True, meaning="Day of the demand"),
                _qty("quantity", "Units demanded that day", required=True),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Suppliers",
            False,
            "supplier",
            ("supplier",),
            (
                Column("supplier", "text", True, meaning="Supplier name, unique"),
                _days("lead_time_days", "Mean lead time"),
                _days("lead_time_sd_days", "Standard deviation of the lead time"),
                Column("on_time_rate", unit="fraction", minimum=0, maximum=1, meaning="Share of orders on time"),
                Column("defect_rate", unit="fraction", minimum=0, maximum=1, meaning="Share of defective units"),
                _qty("capacity_units", "Units the supplier can deliver over the horizon"),
                Column("country", "text", meaning="Country of origin"),
                Column("distance_km", unit="km", minimum=0, meaning="Distance to our sites"),
                Column("co2_kg_per_unit", unit="kg CO2e/unit", minimum=0, meaning="Emissions per unit supplied"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Offers",
            False,
            "supplier x SKU",
            ("supplier", "sku"),
            (
                Column("supplier", "text", True, meaning="Supplier, as on Suppliers"),
                Column("sku", "text", True, meaning="Item code, as on Items"),
                Column("unit_price", required=True, unit="currency/unit", minimum=0, meaning="Price per unit"),
                _qty("moq", "Minimum order quantity of this offer"),
                _qty("order_multiple", "Pack size of this offer"),
                _days("lead_time_days", "Lead time of this offer"),
                _qty("capacity_units", "Units available from this offer"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Sites",
            False,
            "site",
            ("site",),
            (
                Column("site", "text", True, meaning="Site name, unique"),
                Column("type", "choice", choices=("plant", "dc", "store"), meaning="plant, dc or store"),
                Column("capacity_m3", unit="m³", minimum=0, meaning="Storage capacity"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Requirements",
            False,
            "destination x SKU",
            ("destination", "sku"),
            (
                Column("destination", "text", True, meaning="Site to deliver to"),
                Column("sku", "text", True, meaning="Item code"),
                _qty("quantity", "Units required", required=True),
                Column("due_date", "date", meaning="Date the units are due"),
                Column("priority", minimum=0, meaning="Higher is served first when stock is short"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Lanes",
            False,
            "origin x destination",
            ("origin", "destination"),
            (
                Column("origin", "text", True, meaning="Shipping site"),
                Column("destination", "text", True, meaning="Receiving site"),
                Column("distance_km", unit="km", minimum=0, meaning="Lane distance"),
                Column("cost_per_unit", unit="currency/unit", minimum=0, meaning="Transport cost per unit"),
                _days("transit_days", "Transit time"),
                Column("mode", "choice", choices=("road", "rail", "sea", "air"), meaning="Transport mode"),
                Column("truck_capacity_m3", unit="m³", minimum=0, meaning="Volume of one truck"),
                Column("cost_per_truck", unit="currency/truck", minimum=0, meaning="Cost of one truck"),
                Column("co2_kg_per_tkm", unit="kg CO2e/t-km", minimum=0, meaning="Emission factor"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Settings",
            False,
            "setting",
            ("setting",),
            (
                Column("setting", "text", True, meaning="Setting name (see Instructions)"),
                Column("value", "text", True, meaning="Its value"),
            ),
        ),  # fmt: skip
    ]
}


@dataclass(frozen=True)
class Setting:
    name: str
    default: object  # None = computed (planning_date = today, season_length by period)
    kind: str  # number | int | text | date | choice
    meaning: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


FORECAST_METHODS = ("auto", "mean", "moving_average", "ses", "holt", "holt_winters", "croston", "sba", "tsb")

SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("planning_date", None, "date", "Date the plan is made for (default: today)"),
        Setting("period", "week", "choice", "Forecast bucket", ("day", "week", "month")),
        Setting("horizon_periods", 12, "int", "Periods forecast ahead", minimum=1, maximum=520),
        Setting("days_per_year", 365, "number", "Days in a planning year", minimum=1, maximum=366),
        Setting("currency", "EUR", "text", "Currency code shown on money columns"),
        Setting("holding_rate", 0.25, "number", "Annual holding cost fraction", minimum=0, maximum=5),
        Setting("order_cost", 50, "number", "Cost per order", minimum=0),
        Setting("service_level", 0.95, "number", "Target service", minimum=0.5, maximum=0.9999),
        Setting("service_type", "cycle", "choice", "cycle or fill", ("cycle", "fill")),
        Setting("policy", "sQ", "choice", "sQ or RS", ("sQ", "RS")),
        Setting("review_days", 7, "number", "Review interval for RS", minimum=0),
        Setting("lead_time_days", 14, "number", "Lead time when nothing else gives one", minimum=0),
        Setting("lead_time_sd_days", 0, "number", "Lead-time sd when nothing else gives one", minimum=0),
        Setting("forecast_method", "auto", "choice", "Forecast method for all series", FORECAST_METHODS),
        Setting("season_length", None, "int", "Periods per season (52 weeks, 12 months, 7 days)", minimum=1),
        Setting("carbon_price_per_t", 0, "number", "Carbon price per tonne CO2e", minimum=0),
        Setting("shortage_penalty_per_unit", 1000, "number", "Penalty per unit short", minimum=0),
        Setting("weight_price", 0.4, "number", "Supplier score weight: price (per SKU)", minimum=0),
        Setting("weight_lead_time", 0.15, "number", "Supplier score weight: lead time", minimum=0),
        Setting("weight_lead_time_sd", 0.1, "number", "Supplier score weight: lead-time variability", minimum=0),
        Setting("weight_on_time", 0.15, "number", "Supplier score weight: on-time rate", minimum=0),
        Setting("weight_quality", 0.1, "number", "Supplier score weight: defect rate", minimum=0),
        Setting("weight_co2", 0.1, "number", "Supplier score weight: CO2 per unit", minimum=0),
        Setting("risk_cost_rate", 0.1, "number", "Allocation risk cost: (1 - score) x this x unit price", minimum=0),
        Setting(
            "max_supplier_share",
            0.7,
            "number",
            "Largest share of one supplier (diversified SKUs)",
            minimum=0.01,
            maximum=1,
        ),
        Setting("min_suppliers", 2, "int", "Suppliers a diversified SKU uses where enough offers exist", minimum=1),
        Setting("diversify_abc", "A", "text", "ABC classes that are diversified, e.g. A or A,B"),
        Setting("late_penalty_per_unit", 100, "number", "Cost per unit delivered after its due date", minimum=0),
        Setting(
            "fair_share_floor",
            0.5,
            "number",
            "Share of its proportional ration every destination gets first",
            minimum=0,
            maximum=1,
        ),
        Setting("carbon_prices", "0,50,100,200,500", "text", "Carbon prices per t CO2e for the trade-off table"),
        Setting("solver_time_limit_s", 60, "number", "Time limit of each optimisation, seconds", minimum=1),
        Setting("target_availability", 0.95, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_fill_rate", 0.95, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_days_of_cover", 45, "number", "KPI target (at most)", minimum=0),
        Setting("target_inventory_turns", 6, "number", "KPI target (at least)", minimum=0),
        Setting("target_excess_stock_value", 0, "number", "KPI target (at most)", minimum=0),
        Setting("target_stockout_risk_skus", 0, "number", "KPI target (at most)", minimum=0),
        Setting("target_forecast_wape", 0.5, "number", "KPI target (at most)", minimum=0),
        Setting("target_forecast_bias", 0.1, "number", "KPI target (|bias| at most)", minimum=0),
        Setting("target_occupancy", 0.9, "number", "KPI target and occupancy flag (at most)", minimum=0),
        Setting("target_requirement_fill_rate", 0.98, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_on_time_share", 0.95, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_spend_hhi", 0.5, "number", "KPI target (at most)", minimum=0, maximum=1),
        Setting("target_supplier_on_time", 0.9, "number", "KPI target", minimum=0, maximum=1),
        Setting("kpi_amber_band", 0.1, "number", "Amber when within this fraction of target", minimum=0),
        Setting("abc_a_share", 0.8, "number", "Cumulative value share of class A", minimum=0, maximum=1),
        Setting("abc_b_share", 0.95, "number", "Cumulative value share of A + B", minimum=0, maximum=1),
        Setting("xyz_x_cv", 0.5, "number", "Demand CV below which an item is X", minimum=0),
        Setting("xyz_y_cv", 1.0, "number", "Demand CV below which an item is Y", minimum=0),
    ]
}

KPI_TARGETS = {
    "availability": "target_availability",
    "availability_value_weighted": "target_availability",
    "expected_fill_rate": "target_fill_rate",
    "days_of_cover": "target_days_of_cover",
    "inventory_turns": "target_inventory_turns",
    "excess_stock_value": "target_excess_stock_value",
    "stockout_risk_skus": "target_stockout_risk_skus",
    "forecast_wape": "target_forecast_wape",
    "forecast_bias": "target_forecast_bias",
    "occupancy": "target_occupancy",
    "requirement_fill_rate": "target_requirement_fill_rate",
    "on_time_share": "target_on_time_share",
    "spend_hhi": "target_spend_hhi",
    "supplier_on_time_rate": "target_supplier_on_time",
}

# Output sheets, in the order they are written. Reorder Plan's columns are the contract's, then extras.
OUTPUT_SHEETS = ("Reorder Plan", "Purchase Orders", "Forecast", "KPIs", "Issues", "Run Info")
# Network sheets (written when their inputs exist: Offers; Requirements with Lanes).
NETWORK_SHEETS = ("Supplier Scorecard", "Supplier Allocation", "Distribution Plan", "Shipments", "Carbon")
REORDER_COLUMNS = [
    "sku", "site", "description", "supplier", "abc", "xyz", "demand_class", "forecast_method",
    "demand_per_day", "demand_sd_per_day", "lead_time_days", "lead_time_sd_days", "policy",
    "service_type", "service_level", "safety_factor", "safety_stock", "reorder_point", "order_up_to",
    "order_quantity", "on_hand", "on_order", "backorders", "inventory_position", "suggested_order",
    "unit_price", "order_value", "order_date", "expected_arrival", "days_of_cover", "expected_fill_rate",
    "excess_units", "status", "note",
]  # fmt: skip
ISSUE_COLUMNS = ["severity", "sheet", "row", "column", "value", "message"]
