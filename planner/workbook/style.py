"""The output style, described once and rendered by both writers (openpyxl and xlwings): the font, number
formats by meaning (per column, or per cell where a column mixes meanings), colours, widths, chart sizes,
page setup and the traffic-light rules."""

from __future__ import annotations

# The Office theme's body font. Written with scheme "minor", so Excel shows the workbook's own theme font
# (Calibri, or Aptos in newer workbooks) and other applications this named font, never an unnamed one.
FONT_NAME, FONT_SIZE = "Calibri", 11
HEADER_FILL = "1F4E78"
HEADER_FONT = "FFFFFF"
TABLE_STYLE = "TableStyleMedium2"
TOTAL_FILL = "DDEBF7"

# status / traffic light -> (fill, font colour)
STATUS_COLOURS = {
    "ORDER NOW": ("F8CBAD", "9C0006"),
    "CHECK": ("FFEB9C", "9C5700"),
    "EXCESS": ("BDD7EE", "1F4E78"),
    "NO DEMAND": ("EDEDED", "595959"),
    "OK": ("C6EFCE", "006100"),
    "GREEN": ("C6EFCE", "006100"),
    "AMBER": ("FFEB9C", "9C5700"),
    "RED": ("FFC7CE", "9C0006"),
    "error": ("FFC7CE", "9C0006"),
    "OVER": ("FFC7CE", "9C0006"),
    "warning": ("FFEB9C", "9C5700"),
}


# Numbers are right-aligned and text left-aligned; every numeric format ends with the space of two digits, so a
# number never touches the text of the column to its right ("59  Quantity", not "59Quantity").
PAD = "_0_0"


def number_formats(currency: str) -> dict[str, str]:
    """Excel number format per meaning. The first group is for columns whose header names the unit; the
    second names the unit in the format, for columns that mix meanings row by row (Run Info, Issues, KPIs,
    the Carbon comparison); "as given" formats show a value exactly as typed (General) with its unit."""
    fmts = {
        "units": "#,##0.0",
        "whole": "#,##0",
        "rate": "#,##0.00",
        "money": f'#,##0.00 "{currency}"',
        "percent": "0.0%",
        "date": "yyyy-mm-dd",
        "days": "#,##0.0",
        "ratio": "0.00",
        "count": "#,##0",
        # units named in the format
        "money whole": f'#,##0 "{currency}"',
        "money per t": f'#,##0 "{currency}/t"',
        "money per unit": f'#,##0.00 "{currency}/unit"',
        "days named": '#,##0.0 "days"',
        "kg": '#,##0.0 "kg"',
        "kg fine": '#,##0.000 "kg"',
        "as given": "General",
        "days as given": 'General" days"',
        "seconds as given": 'General" s"',
        "years as given": 'General" years"',
        "MB as given": 'General" MB"',
    }
    out = {meaning: fmt + PAD for meaning, fmt in fmts.items()}
    return out | {"text": "@", "general": "General"}


def given_format(unit: str, currency: str) -> str:
    """The format of a value as typed into an input column of ``unit`` (the contract's unit text): money
    and fractions by meaning, any other unit named after the number as given (General)."""
    fmts = number_formats(currency)
    if unit.startswith("currency"):
        return fmts["money"]
    if unit.startswith("fraction"):
        return fmts["percent"]
    if unit in ("", "units"):
        return fmts["as given"]
    return f'General" {unit}"{PAD}'


# one colour per route on the route map (cycled)
ROUTE_COLOURS = ("1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F", "BCBD22", "17BECF")

# meaning of each output column (anything not listed is text or general)
COLUMN_MEANING = {
    "demand_per_day": "rate", "demand_sd_per_day": "rate", "demand_distribution": "general", "lead_time_days": "days",
    "lead_time_sd_days": "days", "service_level": "percent", "safety_factor": "ratio",
    "safety_stock": "units", "reorder_point": "units", "order_up_to": "units", "order_quantity": "whole",
    "on_hand": "whole", "on_order": "whole", "backorders": "whole", "inventory_position": "whole",
    "suggested_order": "whole", "unit_price": "money", "order_value": "money", "order_date": "date",
    "expected_arrival": "date", "days_of_cover": "days", "expected_fill_rate": "percent",
    "simulated_fill_rate": "percent", "formula_fill_rate": "percent", "simulated_fill_rate_at_formula": "percent",
    "history_fill_rate": "percent", "history_cycle_service": "percent", "level_cv": "percent",
    "simulated_cycle_service_at_formula": "percent", "simulated_cycle_service": "percent",
    "formula_level": "units", "planned_level": "units", "average_stock": "units", "orders_per_year": "ratio",
    "review_days": "days",
    "excess_units": "whole", "quantity": "whole", "value": "money", "wape": "percent", "bias": "percent",
    "adi": "ratio", "cv2": "ratio", "error_sd_per_period": "rate", "history_periods": "count",
    "target": "general", "row": "count", "sku_sites": "count", "annual_value": "money",
    "value_share": "percent", "volume_m3": "units", "capacity_m3": "units", "occupancy": "percent",
    # network sheets
    "rank": "count", "score": "ratio", "mean_score": "ratio", "price_score": "ratio", "lead_time_score": "ratio",
    "lead_time_sd_score": "ratio", "on_time_score": "ratio", "quality_score": "ratio", "co2_score": "ratio",
    "on_time_rate": "percent", "defect_rate": "percent", "co2_kg_per_unit": "rate", "skus_offered": "count",
    "ranked_first": "count", "moq": "whole", "order_multiple": "whole", "capacity_units": "whole",
    "requirement": "whole", "share": "percent", "purchase_value": "money", "co2_kg": "units",
    "carbon_cost": "money", "risk_cost": "money", "bought": "whole", "shortfall": "whole",
    "suppliers_used": "count", "hhi": "ratio", "priority": "count", "weight_kg": "units", "transit_days": "days",
    "arrival": "date", "due_date": "date", "transport_cost": "money", "units": "whole", "trucks": "count",
    "truck_capacity_m3": "units", "fill": "percent", "distance_km": "whole", "skus": "count",
    "delivered": "whole", "short": "whole", "fill_rate": "percent", "on_time_units": "whole",
    "carbon_price_per_t": "money per t", "purchase_cost": "money", "total_cost": "money", "co2_supply_kg": "units",
    "co2_transport_kg": "units", "co2_total_kg": "units", "co2_per_unit_bought_kg": "rate",
    "co2_per_unit_shipped_kg": "rate", "units_short": "whole", "inbound_po_m3": "units",
    "inbound_shipments_m3": "units", "outbound_shipments_m3": "units", "projected_m3": "units",
    "projected_occupancy": "percent", "plan": "units", "cost_only": "units", "difference": "units",
    "penalty_cost": "money", "late_units": "whole", "cumulative_share": "percent", "a_cutoff": "percent",
    "full": "percent", "ship_date": "date", "late_days": "days", "truck_capacity_kg": "units",
    "truck_fill": "percent", "transport_co2_cap_kg": "units", "risk_score": "ratio", "cause": "general",
    # time-phased netting (Projected Inventory)
    "period_start": "date", "gross_requirement": "units", "scheduled_receipts": "units",
    "planned_receipts": "units", "planned_releases": "units", "projected_on_hand": "units",
    "run_out_date": "date", "first_below_safety_stock": "date", "excess_periods": "count",
    "lowest_projected_on_hand": "units", "periods_below_safety_stock": "count", "largest_shortfall": "units",
    # delivery rounds
    "route": "count", "trip": "count", "stop": "count", "load_units": "whole", "picked_up": "whole",
    "trips": "count", "stops": "count", "km": "units", "duration_h": "units", "load_pct": "percent",
    "cost": "money", "km_per_drop": "units", "rounds": "units", "direct": "units", "saved": "units",
    "x": "units", "y": "units",
}  # fmt: skip

# KPI unit -> meaning of its value and target cells (kg: see kpi_meaning)
KPI_UNIT_FORMAT = {
    "percent": "percent", "money": "money whole", "days": "days named", "ratio": "ratio", "count": "count",
    "kg": "kg",
}  # fmt: skip


def kpi_meaning(unit: str, value: float | None) -> str:
    """Meaning of a KPI's value cell: by its unit; kilograms below 100 (per unit) with three decimals."""
    if unit == "kg" and value is not None and abs(value) < 100:
        return "kg fine"
    return KPI_UNIT_FORMAT.get(unit, "general")


# Run Info rows: item -> meaning (settings: SETTING_MEANING; any other whole number is a count)
RUN_INFO_MEANING = {
    "sku-sites planned": "count", "orders suggested": "count", "issues: errors": "count",
    "issues: warnings": "count", "supplier allocation gap": "percent", "distribution plan gap": "percent",
    "supplier allocation exact solve s": "seconds as given", "supplier allocation heuristic objective": "money",
    "supplier allocation objective": "money",
}  # fmt: skip

# each Setting's meaning in Run Info (every setting is listed; a test checks it)
SETTING_MEANING = {
    "planning_date": "general", "period": "general", "horizon_periods": "count", "days_per_year": "count",
    "currency": "general", "holding_rate": "percent", "order_cost": "money", "service_level": "percent",
    "service_type": "general", "policy": "general", "review_days": "days as given", "variance_pooling": "general",
    "review_days_sq": "days as given", "unmet_demand": "general", "service_check": "general",
    "lead_time_days": "days as given", "lead_time_sd_days": "days as given", "return_restock_days": "days as given",
    "return_refurbish_days": "days as given", "returns_max_wait_days": "days as given", "forecast_method": "general",
    "season_length": "count", "carbon_price_per_t": "money per t", "shortage_penalty_per_unit": "money per unit",
    "penalty_scaling": "general", "transport_co2_cap_kg": "kg", "allocation_exact_time_limit_s": "seconds as given",
    "weight_price": "ratio", "weight_lead_time": "ratio", "weight_lead_time_sd": "ratio", "weight_on_time": "ratio",
    "weight_quality": "ratio", "weight_co2": "ratio", "risk_cost_rate": "percent", "max_supplier_share": "percent",
    "min_suppliers": "count", "diversify_abc": "general", "late_penalty_per_unit": "money per unit",
    "fair_share_floor": "percent", "carbon_prices": "general", "solver_time_limit_s": "seconds as given",
    "road_factor": "ratio", "rounds_iterations_per_stop": "count", "rounds_seconds_per_stop": "seconds as given",
    "rounds_seed": "count",
    "max_trips": "count", "split_deliveries": "general", "distance_step_km": "as given",
    "target_vehicle_fill": "percent",
    "target_availability": "percent", "target_fill_rate": "percent", "target_days_of_cover": "days as given",
    "target_inventory_turns": "ratio", "target_excess_stock_value": "money", "target_stockout_risk_skus": "count",
    "target_forecast_wape": "percent", "target_forecast_bias": "percent", "target_occupancy": "percent",
    "target_requirement_fill_rate": "percent", "target_on_time_share": "percent", "target_spend_hhi": "ratio",
    "target_supplier_on_time": "percent", "kpi_amber_band": "percent", "abc_a_share": "percent",
    "abc_b_share": "percent", "xyz_x_cv": "ratio", "xyz_y_cv": "ratio", "max_cover_days": "days as given",
    "max_history_years": "years as given", "max_input_mb": "MB as given", "max_input_cells": "count",
}  # fmt: skip

# Column widths in characters: a cell's text plus padding, a header's bold text plus its filter button.
MIN_WIDTH, MAX_WIDTH, TEXT_MAX_WIDTH = 8, 48, 100
CELL_PADDING, HEADER_BOLD, FILTER_BUTTON = 2, 1.1, 3

# Charts (cm): wide enough for a screen, a category at least CATEGORY_CM wide so every label shows
CHART_WIDTH_CM, CHART_HEIGHT_CM, CATEGORY_CM, CHART_MAX_WIDTH_CM = 16.0, 9.0, 1.0, 30.0
CHART_TITLE_PT = 12
LABEL_CM_PER_CHAR = 0.17  # a 9-point category label
BAR_COLOURS, LINE_COLOURS = ("4472C4", "9DC3E6"), ("ED7D31", "A5A5A5", "C00000")
