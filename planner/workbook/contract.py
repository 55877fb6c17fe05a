"""The workbook contract (docs/workbook-contract.md) as data: input sheets, their columns with type,
unit, bounds and meaning, the Settings with defaults, and the output sheet names. Reading, validation,
the template and the writers all take their names from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from planner.model.settings import MAX_DAYS

MAX_QUANTITY = 1e12  # the largest quantity, price or size accepted in an input cell


def key(text: object) -> str:
    """Matching key for sheet and column names: case-insensitive; spaces, '-' and '_' are equivalent."""
    return "_".join(str(text).strip().lower().replace("-", " ").replace("_", " ").split())


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "number"  # number | text | date | time (minutes after midnight) | choice | raw (as typed)
    required: bool = False
    unit: str = ""
    meaning: str = ""
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # strict lower bound (e.g. a cost must be > 0)
    choices: tuple[str, ...] = ()

    @property
    def upper(self) -> float:
        """The largest value accepted: the maximum, else a sane bound by unit (10 years for days, 1e12
        otherwise): a number beyond it is a typing slip or a broken export, never a plan input."""
        if self.maximum is not None:
            return self.maximum
        return MAX_DAYS if self.unit == "days" else MAX_QUANTITY

    @property
    def lower(self) -> float:
        return self.minimum if self.minimum is not None else -MAX_QUANTITY


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
                Column("source", "text", meaning="Site that replenishes this site (blank: bought from suppliers)"),
                _days("handling_days", "Days the site needs to receive and put away a transfer (adds to transit)"),
                Column("x_km", unit="km", minimum=-1e6, maximum=1e6, meaning="Position east, planar (rounds)"),
                Column("y_km", unit="km", minimum=-1e6, maximum=1e6, meaning="Position north, planar (rounds)"),
                Column("latitude", unit="degrees", minimum=-90, maximum=90, meaning="Latitude (rounds, no x/y)"),
                Column("longitude", unit="degrees", minimum=-180, maximum=180, meaning="Longitude (rounds, no x/y)"),
                Column("open_time", "time", unit="time", meaning="Deliveries start from this time of day"),
                Column("close_time", "time", unit="time", meaning="Deliveries start at the latest at this time"),
                Column(
                    "service_minutes",
                    unit="minutes",
                    minimum=0,
                    maximum=1440,
                    meaning="Time spent unloading and loading at the site",
                ),
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
                Column("truck_capacity_kg", unit="kg", minimum=0, meaning="Payload of one truck (blank: 25 t)"),
                Column("co2_kg_per_tkm", unit="kg CO2e/t-km", minimum=0, meaning="Emission factor"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Open Orders",
            False,
            "SKU x site x source x due date",
            ("sku", "site", "source", "due_date"),
            (
                Column("sku", "text", True, meaning="Item code, as on Items"),
                Column("site", "text", True, meaning="Site the order will be received at"),
                Column("source", "text", meaning="Supplier or site it comes from (blank: a purchase order)"),
                _qty("quantity", "Units still to be received", required=True),
                Column("due_date", "date", True, meaning="Date the units are due at the site"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Returns",
            False,
            "SKU x site x date x disposition",
            ("sku", "site", "date", "disposition"),
            (
                Column("sku", "text", True, meaning="Item code, as on Items"),
                Column("site", "text", True, meaning="Site the units were returned to"),
                Column("date", "date", True, meaning="Day of the return"),
                _qty("quantity", "Units returned that day", required=True),
                Column(
                    "disposition",
                    "choice",
                    True,
                    choices=("restock", "refurbish", "scrap"),
                    meaning="restock = back to stock; refurbish = back after repair; scrap = lost",
                ),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Vehicles",
            False,
            "vehicle type x depot",
            ("vehicle", "depot"),
            (
                Column("vehicle", "text", True, meaning="Vehicle type name"),
                Column("depot", "text", True, meaning="Site the vehicles start from and return to"),
                Column(
                    "count",
                    required=True,
                    unit="vehicles",
                    minimum=0,
                    maximum=10_000,
                    meaning="Vehicles of this type at the depot",
                ),
                _qty("capacity_units", "Units one vehicle carries (blank: no limit)"),
                Column("capacity_m3", unit="m³", minimum=0, meaning="Volume one vehicle carries (blank: no limit)"),
                Column("capacity_kg", unit="kg", minimum=0, meaning="Weight one vehicle carries (blank: no limit)"),
                Column("cost_per_km", unit="currency/km", minimum=0, meaning="Running cost per km (blank: 1)"),
                Column("fixed_cost", unit="currency/vehicle", minimum=0, meaning="Cost of using one vehicle a day"),
                Column("co2_kg_per_km_empty", unit="kg CO2e/km", minimum=0, meaning="Emission factor, empty"),
                Column("co2_kg_per_km_full", unit="kg CO2e/km", minimum=0, meaning="Emission factor, fully loaded"),
                Column(
                    "speed_kmh",
                    unit="km/h",
                    minimum=0,
                    above_minimum=True,
                    maximum=1e6,
                    meaning="Average road speed (blank: 50)",
                ),
                Column("shift_start", "time", unit="time", meaning="Earliest departure from the depot"),
                Column("shift_end", "time", unit="time", meaning="Latest return to the depot (blank: none)"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Distances",
            False,
            "origin x destination",
            ("origin", "destination"),
            (
                Column("origin", "text", True, meaning="From site"),
                Column("destination", "text", True, meaning="To site"),
                Column("distance_km", unit="km", minimum=0, meaning="Road distance (overrides the computed one)"),
                Column("minutes", unit="minutes", minimum=0, meaning="Driving time (overrides km / speed)"),
            ),
        ),  # fmt: skip
        SheetSpec(
            "Settings",
            False,
            "setting",
            ("setting",),
            (
                Column("setting", "text", True, meaning="Setting name (see Instructions)"),
                Column("value", "raw", True, meaning="Its value (a number, a date, a word or a list, by setting)"),
            ),
        ),  # fmt: skip
    ]
}


# Output sheets, in the order they are written. Reorder Plan's columns are the contract's, then extras.
OUTPUT_SHEETS = (
    "Reorder Plan",
    "Purchase Orders",
    "Projected Inventory",
    "Service Check",
    "Forecast",
    "KPIs",
    "Issues",
    "Run Info",
)
# Network sheets (written when their inputs exist: Offers; Requirements with Lanes).
NETWORK_SHEETS = ("Supplier Scorecard", "Supplier Allocation", "Distribution Plan", "Shipments", "Carbon")
# Delivery rounds (written when Vehicles, Requirements and site positions exist).
ROUNDS_SHEETS = ("Routes", "Route Summary")

# Day 0 of Excel's 1900 date system: the cell serial n is this date + n days (exact from 1900-03-01 on;
# Excel counts a 1900-02-29 that never was). Reading, validating and writing dates all count from here.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)  # the 1904 date system (workbookPr date1904)
