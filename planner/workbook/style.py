"""The output style, described once and rendered by the openpyxl writer (and later the xlwings one):
number formats by meaning, colours, widths and the traffic-light rules."""

from __future__ import annotations

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


def number_formats(currency: str) -> dict[str, str]:
    """Excel number format per meaning."""
    return {
        "units": "#,##0.0",
        "whole": "#,##0",
        "rate": "#,##0.00",
        "money": f'#,##0.00 "{currency}"',
        "percent": "0.0%",
        "date": "yyyy-mm-dd",
        "days": "#,##0.0",
        "ratio": "0.00",
        "count": "#,##0",
        "text": "@",
        "general": "General",
    }


# meaning of each output column (anything not listed is text or general)
COLUMN_MEANING = {
    "demand_per_day": "rate", "demand_sd_per_day": "rate", "lead_time_days": "days",
    "lead_time_sd_days": "days", "service_level": "percent", "safety_factor": "ratio",
    "safety_stock": "units", "reorder_point": "units", "order_up_to": "units", "order_quantity": "whole",
    "on_hand": "whole", "on_order": "whole", "backorders": "whole", "inventory_position": "whole",
    "suggested_order": "whole", "unit_price": "money", "order_value": "money", "order_date": "date",
    "expected_arrival": "date", "days_of_cover": "days", "expected_fill_rate": "percent",
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
    "carbon_price_per_t": "money", "purchase_cost": "money", "total_cost": "money", "co2_supply_kg": "units",
    "co2_transport_kg": "units", "co2_total_kg": "units", "co2_per_unit_bought_kg": "rate",
    "co2_per_unit_shipped_kg": "rate", "units_short": "whole", "inbound_po_m3": "units",
    "inbound_shipments_m3": "units", "outbound_shipments_m3": "units", "projected_m3": "units",
    "projected_occupancy": "percent", "plan": "units", "cost_only": "units", "difference": "units",
    "penalty_cost": "money", "late_units": "whole",
}  # fmt: skip

KPI_UNIT_FORMAT = {
    "percent": "percent", "money": "money", "days": "days", "ratio": "ratio", "count": "count", "kg": "units",
}  # fmt: skip

MIN_WIDTH, MAX_WIDTH = 8, 48
